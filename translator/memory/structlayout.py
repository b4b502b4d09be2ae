"""A prompt with its struct written as the layout gcc's code depends on, for the memory's "layout" level.

Why: gcc's -O0 code for `VA += VB[VC].lo` reads the struct's size (the index's scale), the field's
offset and the field's type; it does not read the field's name nor the fields the statement leaves
alone. Synthetic kernels draw a new struct for each function, so a statement on a struct is nearly
always new to the memory's other levels (15% of held-out struct functions passed) while
the same statement on the same layout is common. Here

    stmt: VA += VB[VC].lo;<sep>struct <FN>_s { unsigned char lo; int c; long d; }; int VA; ...

becomes

    stmt: VA += VB[VC].f0;<sep>struct <FN>_s {f0 unsigned char at0; size16}; int VA; ...

Offsets and sizes are written as words (`at8`, `size16`), not numbers: the memory's templates abstract
numbers, and a different offset is different code (`(%rax)` against `8(%rax)`). The size is written
only when the statement indexes (`[`): through a plain pointer only the offset matters.
"""
from __future__ import annotations

import re

from neuralcc.cbase.ctype import FloatType, IntType, base_type, make_struct

from ..prompts import SEP, STRUCT_DEF

_MEMBER = re.compile(r"^\s*([A-Za-z_][\w ]*?)\s+([A-Za-z_]\w*)\s*$")
_ACCESS = re.compile(r"(\.|->)\s*([A-Za-z_]\w*)")


def _layout(body: str) -> tuple[dict[str, tuple[str, int]], int] | None:
    """A struct body of scalar members as (name -> (type text, offset), size); None for anything else
    (arrays, pointers, nested structs, bit-fields: their layout is not modelled here)."""
    members = []
    for decl in body.split(";"):
        if not decl.strip():
            continue
        m = _MEMBER.match(decl)
        if m is None:
            return None
        ctype = base_type(m.group(1).split(), char_signed=True)
        if not isinstance(ctype, (IntType, FloatType)):
            return None
        members.append((m.group(2), ctype, " ".join(m.group(1).split())))
    layout = make_struct("s", [(name, ctype) for name, ctype, _ in members])
    return {f.name: (text, f.offset) for f, (_, _, text) in zip(layout.fields, members)}, layout.size


def layout_prompt(prompt: str) -> str | None:
    """`prompt` with each struct definition written as its layout and the fields its statement names
    renamed f0, f1, ... in order of first use; None when the prompt defines no struct or one whose
    layout is not modelled."""
    head, sep, rest = prompt.partition(SEP)
    if not sep or "struct" not in rest:
        return None
    decls, sep2, tail = rest.partition(SEP)
    structs = {m.group(1): _layout(m.group(2)) for m in STRUCT_DEF.finditer(decls)}
    if not structs or any(s is None for s in structs.values()):
        return None
    known = {name: (tag, spec) for tag, (fields, _) in structs.items() for name, spec in fields.items()}
    used: list[str] = []

    def rename(m: re.Match) -> str:
        name = m.group(2)
        if name not in known:
            return m.group(0)
        if name not in used:
            used.append(name)
        return f"{m.group(1)}f{used.index(name)}"

    role, colon, text = head.partition(": ")
    text = _ACCESS.sub(rename, text)
    indexed = "[" in text

    def layout(m: re.Match) -> str:
        tag = m.group(1)
        parts = [f"f{i} {known[name][1][0]} at{known[name][1][1]}" for i, name in enumerate(used)
                 if known[name][0] == tag]
        if indexed:
            parts.append(f"size{structs[tag][1]}")
        return f"struct {tag} {{{'; '.join(parts)}}};"

    return role + colon + text + sep + STRUCT_DEF.sub(layout, decls) + sep2 + tail
