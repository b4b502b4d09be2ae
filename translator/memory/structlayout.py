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
only when the statement indexes (`[`): through a plain pointer only the offset matters. Nor does the
code read the tag: the structs are written `<FN>_s`, `<FN>_s2`, ... in the order they are defined, the
first as the synthetic kernels name their one struct, so `struct point` meets the layouts they hold.
"""
from __future__ import annotations

import re
from dataclasses import replace

from neuralcc.cbase.ctype import FloatType, IntType, base_type, make_struct

from ..prompts import Decl, Prompt

_ACCESS = re.compile(r"(\.|->)\s*([A-Za-z_]\w*)")
_STRUCT_TAG = re.compile(r"\bstruct\s+([\w<>]+)")


def scalar_layout(members: tuple[tuple[str, str], ...] | None) -> tuple[dict[str, tuple[str, int]], int] | None:
    """A struct of scalar members as (name -> (type text, offset), size); None for anything else
    (arrays, pointers, nested structs, bit-fields: their layout is not modelled here)."""
    if members is None:
        return None
    typed = []
    for name, words in members:
        ctype = base_type(words.split(), char_signed=True)
        if not isinstance(ctype, (IntType, FloatType)):
            return None
        typed.append((name, ctype, words))
    layout = make_struct("s", [(name, ctype) for name, ctype, _ in typed])
    return {f.name: (text, f.offset) for f, (_, _, text) in zip(layout.fields, typed)}, layout.size


def layout_prompt(prompt: Prompt) -> Prompt | None:
    """`prompt` with each struct definition written as its layout and the fields its statement names
    renamed f0, f1, ... in order of first use; None when the prompt defines no struct or one whose
    layout is not modelled."""
    defined = [d.struct for d in prompt.decls if d.struct is not None]
    structs = {s.tag: scalar_layout(s.members) for s in defined}
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

    statement = _ACCESS.sub(rename, prompt.statement)
    indexed = "[" in statement

    def layout(tag: str) -> str:
        parts = [f"f{i} {known[name][1][0]} at{known[name][1][1]}" for i, name in enumerate(used)
                 if known[name][0] == tag]
        if indexed:
            parts.append(f"size{structs[tag][1]}")
        return f"struct {tag} {{{'; '.join(parts)}}};"

    tag_of = {tag: "<FN>_s" + (str(i + 1) if i else "") for i, tag in enumerate(structs)}
    tagged = lambda text: _STRUCT_TAG.sub(lambda m: f"struct {tag_of.get(m.group(1), m.group(1))}", text)
    decls = tuple(Decl(tagged(layout(d.struct.tag))) if d.struct is not None else replace(d, text=tagged(d.text))
                  for d in prompt.decls)
    return replace(prompt, statement=tagged(statement), decls=decls)
