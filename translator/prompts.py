"""What the model reads to write one piece ("local" mode), as data, and the rewriting that makes prompts alike.

A `Prompt` holds a piece's fields: the target and level, the piece's role and C statement, the
declarations of what the statement names (struct definitions first), the pieces it may jump to and
where falling through lands, and notes on the function (its return type, leaf or not). `render()`
gives the text the tokenizer reads. Before the model reads a prompt, a `PromptStyle` renames the
piece's variables VA, VB, ... (`variable_names`, `rename_slots` names the stack slots of the piece
back after decoding) and writes one spelling per C integer type (`canonical_type_text`). The
translation memory computes its keys from the same fields (memory/). The assembly side of a piece
(cutting gcc's code, putting pieces back together) is back/pieces.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Callable

from neuralcc.cbase.ctype import TYPEDEFS

from .back import asmtext
from .back.asmtext import SEP
from .front.skeleton import Piece, Skeleton, StructDef


@dataclass(frozen=True)
class Decl:
    """One declaration a prompt shows: a struct definition, a variable of the frame, a global, a prototype."""
    text: str  # as C: `int VA;`, `struct <FN>_s { ... };`, `extern int <FN>_g;`, `int sq(int);`
    variable: str | None = None  # the variable it declares, renamed by the style (None: a struct, a
    #                              global, a prototype, or a declarator the style leaves alone)
    struct: StructDef | None = None  # for a struct definition: its tag and scalar members


@dataclass(frozen=True)
class Prompt:
    arch: str
    opt: str
    role: str  # the piece's role (front/skeleton.py's Piece.role)
    statement: str  # the C it implements
    decls: tuple[Decl, ...] = ()
    jumps: tuple[tuple[str, int], ...] = ()  # (role, piece index) of the pieces it may jump to
    next: int | None = None  # where falling through lands, when it jumps: a jump there is a `nop` to gcc
    notes: tuple[str, ...] = ()  # `returns int`, `calls` / `leaf`

    def head(self) -> str:
        """The target, the role and the statement: what the memory's statement levels key by."""
        return f"<{self.arch}><{self.opt}><chunks>{self.role}: {self.statement}"

    def render(self, text: Callable[[str], str] = lambda s: s,
               target: Callable[[int], str] = lambda n: f"<C{n}>") -> str:
        """The tokenizer's text. `text` rewrites each C field (statement, declarations, jump roles, notes)
        and `target` writes each jump target, both called in the order the text reads (templates.py
        abstracts numbers this way)."""
        head = f"<{self.arch}><{self.opt}><chunks>{self.role}: {text(self.statement)}"
        decls = " ".join(text(d.text) for d in self.decls)
        jumps = " ".join(f"{text(role)} {target(j)}" for role, j in self.jumps)  # `case 3 <C24>`
        if self.next is not None:
            jumps += f" next {target(self.next)}"
        out = f"{head}{SEP}{decls}{SEP}{jumps}"
        if self.notes:
            out += " | " + " ".join(text(n) for n in self.notes)
        return out

    def to_json(self) -> dict:
        return {"arch": self.arch, "opt": self.opt, "role": self.role, "statement": self.statement,
                "decls": [[d.text, d.variable, d.struct and [d.struct.tag, d.struct.members]] for d in self.decls],
                "jumps": [list(j) for j in self.jumps], "next": self.next, "notes": list(self.notes)}

    @classmethod
    def from_json(cls, obj: dict) -> "Prompt":
        if not isinstance(obj, dict):
            raise ValueError("a record written by an older neuralcc (its prompts are text): run `neuralcc "
                             "prepare-data` again")
        decls = tuple(Decl(text, var, s and StructDef(s[0], text, s[1] and tuple(map(tuple, s[1]))))
                      for text, var, s in obj["decls"])
        return cls(obj["arch"], obj["opt"], obj["role"], obj["statement"], decls,
                   tuple((r, j) for r, j in obj["jumps"]), obj["next"], tuple(obj["notes"]))


_TAG = re.compile(r"\b((?:struct|union|enum)\s+)([A-Za-z_]\w*)")


def prompt(skel: Skeleton, piece: Piece, arch: str, opt: str, scope: dict[str, str], entry: str) -> Prompt:
    """What the model reads to write one piece: the target, the piece's role and C, the declarations
    of what that C names, and where it may jump. `scope`: the function's variables, name -> C type."""
    decls: list[tuple[str, bool]] = []  # (C, a variable of the frame?)
    for name in piece.names:
        if name in scope:
            decls.append((f"{scope[name]} {name};", True))
        elif name in skel.globals:
            decls.append((skel.globals[name], False))
        elif name in skel.prototypes and name != piece.func:
            decls.append((skel.prototypes[name], False))
    structs = [s for tag, s in skel.structs.items()
               if any(f"struct {tag}" in d for d, _ in decls) or (piece.role == "prologue" and f"struct {tag}" in piece.text)]
    info = next((f for f in skel.functions if f.name == piece.func), None)
    notes = []
    if info is not None and piece.role in ("prologue", "epilogue", "return"):
        notes.append(f"returns {info.ret}")
    if info is not None and piece.role in ("prologue", "epilogue"):
        notes.append("calls" if info.calls else "leaf")
    renames = {g: r for g, r in asmtext.unit_names(entry, skel.globals, skel.helpers(entry)).items() if g not in scope}
    name = lambda text: asmtext.replace_name(asmtext.rename_unit(text, renames), entry, keep=scope)
    # in a struct definition only tags are renamed: its members are fields, whatever they are called
    tags = lambda text: _TAG.sub(lambda m: m.group(1) + name(m.group(2)), text)
    out = [Decl(tags(s.text), struct=StructDef(name(s.tag), tags(s.text), s.members and tuple(
        (m, tags(t)) for m, t in s.members))) for s in structs]
    out += [Decl(d, variable=declared(d) if local else None) for d, local in ((name(d), local) for d, local in decls)]
    jumps = tuple(piece.targets.items())
    return Prompt(arch, opt, piece.role, name(piece.text), tuple(out), jumps,
                  piece.index + 1 if jumps else None, tuple(name(n) for n in notes))


# -- variable names, canonical per piece -------------------------------------------------------------
# The model wrote `@n@` for `@m@` and `@c@` for `@x@`: it recalled names common in training instead of
# copying the prompt's. Each piece's variables are renamed VA, VB, ... in order of first appearance in
# its prompt (statement, then declarations), in the prompt and in the stack slots of its target, and
# named back after decoding. The rule reads the prompt text alone, so training and decoding agree.
_TYPE = (r"(?:(?:const|volatile|static|register)\s+)*"
         r"(?:(?:unsigned|signed)(?:\s+(?:int|long|short|char))*"
         r"|(?:int|long|short|char|double|float|_Bool|bool|size_t|ssize_t|\w+_t)(?:\s+(?:int|long|double|char))*"
         r"|struct\s+\w+)")
_DECLARED_IN_TEXT = re.compile(rf"(?:^|[;({{,]\s*)({_TYPE}(?:\s*\*\s*|\s+)(?:\*\s*)*)\b([A-Za-z_]\w*)\s*(?=[=\[;,)])")
_KEYWORDS = {"int", "long", "short", "char", "double", "float", "unsigned", "signed", "const", "volatile", "static",
             "struct", "void", "_Bool", "bool", "register", "sizeof", "return", "if", "else", "for", "while", "do",
             "switch", "case", "default", "break", "continue", "size_t", "ssize_t"}
STRUCT_DEF = re.compile(r"struct\s+([\w<>]+)\s*\{([^}]*)\}\s*;")  # tag (may be `<FN>_s`), body
_DECL_NAME = re.compile(r"(?<![>\w])([A-Za-z_]\w*)\s*(?:\[[^\]]*\])*\s*$")
_WORD = re.compile(r"(?<![\w.>$@])(?<!->)([A-Za-z_]\w*)\b(?!\s*\()")
_SLOT_BASE = re.compile(r"@([A-Za-z_]\w*)(?=[@\[.])")


def canonical(i: int) -> str:
    return "V" + chr(ord("A") + i) if i < 26 else f"VV{i}"


def declared(decl: str) -> str | None:
    """The variable a declaration of the prompt declares: one plain declarator (no function, no braces)."""
    for entry in decl.split(";"):
        entry = entry.strip()
        if entry and not re.search(r"[(){}]", entry) and len(entry.split()) > 1:
            m = _DECL_NAME.search(entry)
            if m and m.group(1) not in _KEYWORDS:
                return m.group(1)
    return None


def variable_names(prompt: Prompt) -> dict[str, str]:
    """The piece's variables (declared in its declarations, or in its own statement) -> canonical names
    (VA, VB, ... by first appearance in the statement, then the declarations)."""
    if prompt.role == "data":
        return {}
    names = {m.group(2) for m in _DECLARED_IN_TEXT.finditer(prompt.statement)
             if m.group(2) not in _KEYWORDS and not m.group(2).endswith("_t")}
    names |= {d.variable for d in prompt.decls if d.variable}
    words = " ".join([prompt.statement] + [d.text for d in prompt.decls if d.struct is None])
    order = [w for w in _WORD.findall(words) if w in names]
    return {w: canonical(i) for i, w in enumerate(dict.fromkeys(order))}


def rename_prompt(prompt: Prompt, names: dict[str, str]) -> Prompt:
    """Rename in the statement and the declarations (not in struct definitions, not field names after
    `.`/`->`)."""
    if not names:
        return prompt
    sub = lambda s: _WORD.sub(lambda m: names.get(m.group(1), m.group(1)), s)
    decls = tuple(d if d.struct is not None else Decl(sub(d.text), d.variable and names.get(d.variable, d.variable))
                  for d in prompt.decls)
    return replace(prompt, statement=sub(prompt.statement), decls=decls)


def rename_slots(asm: str, names: dict[str, str]) -> str:
    return _SLOT_BASE.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), asm) if names else asm


# -- type spellings, one per type ---------------------------------------------------------------------
# gcc writes the same code for `long long` and `long`, `int32_t` and `int`, `size_t` and `unsigned long`
# (LP64, both arches); one spelling per type lets the model learn each type once.
_SPELLING = {(1, True): "signed char", (1, False): "unsigned char", (2, True): "short", (2, False): "unsigned short",
             (4, True): "int", (4, False): "unsigned int", (8, True): "long", (8, False): "unsigned long"}
_TYPE_SPELLINGS = [(re.compile(rf"\b{a}\b"), b) for a, b in [
    *((name, _SPELLING[size_signed]) for name, size_signed in TYPEDEFS.items()),
    (r"long\s+long", "long"), (r"(short|long)\s+int", r"\1"), (r"signed\s+(?=int|long|short)", ""),
    (r"unsigned(?!\s+(?:int|long|short|char)\b)", "unsigned int"),
]]

_LITERAL = re.compile(r"""("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')""")


def canonical_type_text(text: str) -> str:
    """One spelling per C integer type in C text without literals."""
    for pat, to in _TYPE_SPELLINGS:
        text = pat.sub(to, text)
    return text


def canonical_types(prompt: Prompt) -> Prompt:
    """One spelling per C integer type in a prompt's C (string and character literals left as written)."""
    def text(s: str) -> str:
        parts = _LITERAL.split(s)  # odd parts: literals
        return "".join(canonical_type_text(t) if i % 2 == 0 else t for i, t in enumerate(parts))

    def decl(d: Decl) -> Decl:
        st = d.struct and StructDef(d.struct.tag, text(d.struct.text),
                                    d.struct.members and tuple((m, text(t)) for m, t in d.struct.members))
        return Decl(text(d.text), d.variable, st)

    return replace(prompt, statement=text(prompt.statement), decls=tuple(map(decl, prompt.decls)),
                   notes=tuple(map(text, prompt.notes)))


@dataclass(frozen=True)
class PromptStyle:
    """How a piece's prompt is rewritten before the model reads it; a model is trained with one style and
    decoded with the same (its config.json: `neuralcc_rename`, `neuralcc_types`)."""
    rename: bool = True  # variables VA, VB, ... per piece
    types: bool = True  # one spelling per integer type

    @classmethod
    def of(cls, model_config) -> "PromptStyle":
        return cls(bool(getattr(model_config, "neuralcc_rename", False)),
                   bool(getattr(model_config, "neuralcc_types", False)))

    def apply(self, prompt: Prompt) -> tuple[Prompt, dict[str, str]]:
        """The prompt the model reads, and the canonical variable names used in it
        (`rename_slots(asm, {v: k for k, v in names.items()})` names them back)."""
        names = variable_names(prompt) if self.rename else {}
        out = rename_prompt(prompt, names)
        return (canonical_types(out) if self.types else out), names
