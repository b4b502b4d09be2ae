"""What the front end shares: the error for C it cannot handle, and a walk over pycparser's tree."""
from __future__ import annotations


class SourceError(ValueError):
    """A C input the translator cannot handle (message is user-facing)."""


def walk(node, into=lambda node: True):
    """`node` and every node under it, not below a node for which `into` is false."""
    yield node
    if into(node):
        for _, child in node.children():
            yield from walk(child, into)
