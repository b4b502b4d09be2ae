"""Prompts written in tests as the text the model reads, turned into `Prompt`s (the inverse of
`Prompt.render`, for legible tests only: the translator itself never parses a rendered prompt).
test_translator_local checks that it inverts `render` on every piece of the kernels."""
import re

from pycparser import c_parser

from neuralcc.translator.front.skeleton import StructDef, _members
from neuralcc.translator.prompts import Decl, Prompt, declared

_HEAD = re.compile(r"^<([^>]+)><([^>]+)><chunks>([\w-]+): (.*)$", re.S)
_STRUCT = re.compile(r"struct\s+([\w<>]+)\s*\{[^}]*\}\s*;")
_JUMP = re.compile(r"(.+?) <C(\d+)>(?: |$)")


def _struct(text: str, tag: str) -> StructDef:
    parsed = c_parser.CParser().parse(text.replace(tag, "S_"))
    return StructDef(tag, text, _members(parsed.ext[0].type))


def prompt_of(text: str) -> Prompt:
    head, decls, tail = text.split("<sep>")
    arch, opt, role, statement = _HEAD.match(head).groups()
    out, last = [], 0
    for m in _STRUCT.finditer(decls):
        out.append(Decl(m.group(0), struct=_struct(m.group(0), m.group(1))))
        last = m.end()
    out += [Decl(d.strip() + ";", declared(d.strip() + ";")) for d in decls[last:].split(";") if d.strip()]
    jumps, _, notes = tail.partition(" | ")
    pairs = [(r.strip(), int(n)) for r, n in _JUMP.findall(jumps)]
    nxt = pairs.pop()[1] if pairs and pairs[-1][0] == "next" else None
    return Prompt(arch, opt, role, statement, tuple(out), tuple(pairs), nxt, tuple(notes.split()) if notes else ())
