"""What the model reads to write one piece ("local" mode), and the rewriting that makes prompts alike.

`prompt` gives a piece's encoder input: the target and level, the piece's role and C line, the
declarations of what the line names, the pieces it may jump to and where falling through lands,
in fields joined by `SEP`. Before the model reads it, a `PromptStyle` renames the piece's variables
VA, VB, ... (`variable_names`, `rename_prompt`; `rename_slots` names the stack slots of the piece back
after decoding) and writes one spelling per C integer type (`canonical_types`). The translation memory
keys its pieces by the same text. The assembly side of a piece (cutting gcc's code, putting pieces
back together) is back/pieces.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from neuralcc.cbase.ctype import TYPEDEFS

from .back import asmtext
from .back.asmtext import SEP
from .front.skeleton import Piece, Skeleton


def prompt(skel: Skeleton, piece: Piece, arch: str, opt: str, scope: dict[str, str], entry: str) -> str:
    """What the model reads to write one piece: the target, the piece's role and C, the declarations
    of what that C names, and where it may jump. `scope`: the function's variables, name -> C type."""
    decls, structs = [], []
    for name in piece.names:
        if name in scope:
            decls.append(f"{scope[name]} {name};")
        elif name in skel.globals:
            decls.append(skel.globals[name])
        elif name in skel.prototypes and name != piece.func:
            decls.append(skel.prototypes[name])
    for tag, text in skel.structs.items():
        if any(f"struct {tag}" in d for d in decls) or (piece.role == "prologue" and f"struct {tag}" in piece.text):
            structs.append(text)
    info = next((f for f in skel.functions if f.name == piece.func), None)
    extra = []
    if info is not None and piece.role in ("prologue", "epilogue", "return"):
        extra.append(f"returns {info.ret}")
    if info is not None and piece.role in ("prologue", "epilogue"):
        extra.append("calls" if info.calls else "leaf")
    jumps = " ".join(f"{role} <C{j}>" for role, j in piece.targets.items())
    if jumps:  # where falling through lands: a jump there is a `nop` to gcc (the last case's break)
        jumps += f" next <C{piece.index + 1}>"
    text = f"<{arch}><{opt}><chunks>{piece.role}: {piece.text}{SEP}{' '.join(structs + decls)}{SEP}{jumps}"
    if extra:
        text += " | " + " ".join(extra)
    renames = {g: r for g, r in asmtext.global_names(entry, skel.globals).items() if g not in scope}
    return asmtext.replace_name(asmtext.rename_globals(text, renames), entry, keep=scope)


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


def variable_types(prompt: str) -> dict[str, str]:
    """The piece's variables (declared in its declarations, or in its own statement) -> their C types."""
    head, _, rest = prompt.partition(": ")
    text, _, rest = rest.partition(SEP)
    decls = STRUCT_DEF.sub(" ", rest.partition(SEP)[0])
    if head.endswith("data"):
        return {}
    types = {}
    for m in _DECLARED_IN_TEXT.finditer(text):
        name = m.group(2)
        if name not in _KEYWORDS and not name.endswith("_t"):
            dims = re.match(r"\s*((?:\[[^\]]*\])*)", text[m.end(2):]).group(1)
            types.setdefault(name, m.group(1) + dims)
    for entry in decls.split(";"):
        entry = entry.strip()
        if entry and not re.search(r"[(){}]", entry) and len(entry.split()) > 1:
            m = _DECL_NAME.search(entry)
            if m and m.group(1) not in _KEYWORDS:
                types.setdefault(m.group(1), entry[: m.start(1)] + entry[m.end(1):])
    return types


def variable_names(prompt: str) -> dict[str, str]:
    """The piece's variables -> canonical names (VA, VB, ... by first appearance)."""
    head, _, rest = prompt.partition(": ")
    text, _, rest = rest.partition(SEP)
    decls = STRUCT_DEF.sub(" ", rest.partition(SEP)[0])
    types = variable_types(prompt)
    order = [w for w in _WORD.findall(text + " " + decls) if w in types]
    return {w: canonical(i) for i, w in enumerate(dict.fromkeys(order))}


def rename_prompt(prompt: str, names: dict[str, str]) -> str:
    """Rename in the statement and the declarations (not in struct bodies, not field names after `.`/`->`,
    not the role or the jump targets)."""
    if not names:
        return prompt
    head, _, rest = prompt.partition(": ")
    text, _, rest = rest.partition(SEP)
    decls, _, jumps = rest.partition(SEP)
    sub = lambda s: _WORD.sub(lambda m: names.get(m.group(1), m.group(1)), s)
    parts, last = [], 0
    for m in STRUCT_DEF.finditer(decls):
        parts += [sub(decls[last: m.start()]), m.group(0)]
        last = m.end()
    decls = "".join(parts) + sub(decls[last:])
    return f"{head}: {sub(text)}{SEP}{decls}{SEP}{jumps}"


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


def canonical_types(prompt: str) -> str:
    """One spelling per C integer type in a prompt (its C text and declarations)."""
    head, sep, rest = prompt.partition(": ")
    parts = _LITERAL.split(rest)  # odd parts: string and character literals, left as written
    for i in range(0, len(parts), 2):
        parts[i] = canonical_type_text(parts[i])
    return head + sep + "".join(parts)


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

    def apply(self, prompt: str) -> tuple[str, dict[str, str]]:
        """The text the model reads, and the canonical variable names used in it
        (`rename_slots(asm, {v: k for k, v in names.items()})` names them back)."""
        names = variable_names(prompt) if self.rename else {}
        text = rename_prompt(prompt, names)
        return (canonical_types(text) if self.types else text), names
