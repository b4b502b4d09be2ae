"""What the front end shares: the error for C it cannot handle, and a walk over pycparser's tree."""
from __future__ import annotations


class SourceError(ValueError):
    """A C input the translator cannot handle. The message is user-facing and names the line; `construct`
    names what was refused in a few stable words, so an evaluation can count refusals by construct."""

    def __init__(self, message: str, construct: str = "input"):
        super().__init__(message)
        self.construct = construct


def walk(node, into=lambda node: True):
    """`node` and every node under it, not below a node for which `into` is false."""
    yield node
    if into(node):
        for _, child in node.children():
            yield from walk(child, into)
