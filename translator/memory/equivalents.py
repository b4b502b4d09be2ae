"""Prompts that say what a prompt says in other words: what the memory looks up when it holds nothing
for a prompt as written (store.Memory.candidates).

C spells one computation in several ways, and the training functions happened to use one of them. Each
rewrite here changes the spelling, never what the piece computes:

- a variable read twice (`return VA * VA;`) is two variables of its type read once each
  (`return VA * VB;`) that hold the same value: the memory's piece for the second, with every slot of
  the copy naming the variable again (at -O0 each read is a load from its stack slot);
- a character literal is the int it stands for (`'\\0'` is `0`, `'a'` is `97`: C gives it type int);
- a loop's or branch's truth test `while (VA[VB])` is `while (VA[VB] != 0)`;
- a `static` function's prologue is the prologue of the same function exported, without `.globl`;
- a struct's field read or written through a pointer (`VA->y`) is an element of the field's type at
  its offset (`VA[1]` with `int * VA`), when every use of the pointer in the statement is such a field
  of one type; a parameter's piece stores a pointer whatever it points to (`struct point *p` as `int *p`);
- a test of an unsigned variable for (in)equality with a literal is the same test of the signed type of its
  width: the comparison reads the same bits (`if (VA == 1)` with `unsigned int VA;` as with `int VA;`);
- `const` changes no code that compiles: `const int * VA = VB;` is `int * VA = VB;`;
- a declaration with a value is a store to the variable: `int * VA = VB;` is `VA = VB;` with `int * VA;`.

Each equivalent comes with how its pieces are read back as the prompt's (`Equivalent.back`).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from pycparser import c_ast, c_parser

from neuralcc.cbase.ctype import base_type

from ..prompts import _DECLARED_IN_TEXT, _LITERAL, _WORD, Decl, Prompt, rename_prompt, rename_slots, variable_names
from .structlayout import scalar_layout

_CHAR = re.compile(r"'(\\(?:[0-7]{1,3}|x[0-9a-fA-F]{1,2}|[ntrabfv\\'\"?])|[^'\\])'")
_ESCAPES = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92, "'": 39, '"': 34, "?": 63}
# the statements of a truth test, as the skeleton writes them: `while (c) {`, `} while (c);`, `if (c) {`
_TEST = re.compile(r"^(?P<head>(?:\}\s*)?(?:while|if)\s*\()(?P<cond>.*)(?P<tail>\)\s*[{;]\s*)$")
_COMPARE = {"==", "!=", "<", ">", "<=", ">=", "&&", "||"}
_FRESH = "ZqCopy"  # no C name the skeleton writes starts with it
_STATIC = re.compile(r"^static\s+")
_GLOBL = re.compile(r"^[ \t]*\.globa?l[ \t]+<FN>[ \t]*\n", re.M)  # `.global` on AArch64


@dataclass(frozen=True)
class Equivalent:
    prompt: Prompt  # in canonical names
    names: dict[str, str]  # its variables -> the prompt's
    local: bool = False  # the prompt's function is static: its pieces export nothing

    def back(self, piece: str) -> str:
        """A piece the memory holds for this equivalent, as the piece of the prompt."""
        piece = rename_slots(piece, self.names)
        return _GLOBL.sub("", piece) if self.local else piece


def equivalents(prompt: Prompt) -> list[Equivalent]:
    """The prompt rewritten each way that applies, all rewrites together first."""
    rewrites = [r for r in (_char_values, _truth_test, _fields_as_elements, _signless_equality, _unqualified, _stored, _unaliased, _exported) if r(prompt) is not None]
    out, seen = [], {prompt.render()}
    for chosen in ([rewrites] if len(rewrites) > 1 else []) + [[r] for r in rewrites]:
        alt, copies = prompt, {}
        for rewrite in chosen:
            alt, more = rewrite(alt) or (alt, {})
            copies.update(more)
        names = variable_names(alt)
        canon = rename_prompt(alt, names)
        if canon.render() not in seen:
            seen.add(canon.render())
            out.append(Equivalent(canon, {new: copies.get(old, old) for old, new in names.items()},
                                  local=_exported in chosen))
    return out


def _outside_literals(text: str, fn) -> str:
    parts = _LITERAL.split(text)  # odd parts: string and character literals
    return "".join(fn(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def _char_value(m: re.Match) -> str | None:
    body = m.group(1)
    if not body.startswith("\\"):
        value = ord(body)
    elif body[1] == "x":
        value = int(body[2:], 16)
    elif body[1] in "01234567":
        value = int(body[1:], 8)
    else:
        value = _ESCAPES[body[1]]
    return str(value) if value < 128 else None  # above: signed char on x86-64, unsigned on AArch64


def _char_values(prompt: Prompt) -> tuple[Prompt, dict] | None:
    def sub(m: re.Match) -> str:
        return _char_value(m) or m.group(0)

    statement = _CHAR.sub(sub, prompt.statement)
    return (replace(prompt, statement=statement), {}) if statement != prompt.statement else None


def _truth_test(prompt: Prompt) -> tuple[Prompt, dict] | None:
    m = _TEST.match(prompt.statement)
    if m is None or not m.group("cond").strip():
        return None
    try:
        tree = c_parser.CParser().parse(f"void f(void) {{ ({m.group('cond')}); }}")
        (expr,) = tree.ext[0].body.block_items
    except Exception:  # a cast to a typedef name, or anything else that is not an expression alone
        return None
    if isinstance(expr, c_ast.BinaryOp) and expr.op in _COMPARE or isinstance(expr, c_ast.UnaryOp) and expr.op == "!":
        return None
    if isinstance(expr, c_ast.ID):  # `while (VA)`: the memory's template level has those
        return None
    statement = f"{m.group('head')}{m.group('cond')} != 0{m.group('tail')}"
    return replace(prompt, statement=statement), {}


def _unaliased(prompt: Prompt) -> tuple[Prompt, dict[str, str]] | None:
    """Every read of a variable after its first becomes a read of a new variable of its type."""
    in_text = {m.group(2) for m in _DECLARED_IN_TEXT.finditer(prompt.statement)}
    declared = {d.variable: d for d in prompt.decls if d.variable and d.variable not in in_text}
    seen: set[str] = set()
    copies: dict[str, str] = {}  # new name -> the variable it copies

    def word(m: re.Match) -> str:
        name = m.group(1)
        if name not in declared:
            return name
        if name not in seen:
            seen.add(name)
            return name
        new = f"{_FRESH}{len(copies)}"
        copies[new] = name
        return new

    statement = _outside_literals(prompt.statement, lambda s: _WORD.sub(word, s))
    if not copies:
        return None
    # the frame's variables are declared in the order the statement first names them (prompts.prompt)
    order = {n: i for i, n in enumerate(dict.fromkeys(m.group(1) for m in _WORD.finditer(statement)))}
    variables = [d for d in prompt.decls if d.variable in declared]
    variables += [Decl(re.sub(rf"\b{old}\b", new, declared[old].text), new) for new, old in copies.items()]
    variables.sort(key=lambda d: order.get(d.variable, len(order)))
    slots = iter(variables)
    decls = [next(slots) if d.variable in declared else d for d in prompt.decls]
    decls += list(slots)  # the copies, after the last variable
    return replace(prompt, statement=statement, decls=tuple(decls)), copies


def _exported(prompt: Prompt) -> tuple[Prompt, dict] | None:
    if prompt.role != "prologue" or not _STATIC.match(prompt.statement):
        return None
    return replace(prompt, statement=_STATIC.sub("", prompt.statement)), {}


_STRUCT_POINTER = re.compile(r"^((?:const\s+)?)struct\s+([\w<>]+)\s*\*\s*(\w+);$")
_PARAM = re.compile(r"^(\d+: )((?:const\s+)?)struct\s+[\w<>]+\s*\*\s*(\w+)$")


def _fields_as_elements(prompt: Prompt) -> tuple[Prompt, dict] | None:
    layouts = {d.struct.tag: scalar_layout(d.struct.members) for d in prompt.decls if d.struct is not None}
    statement, decls, changed = prompt.statement, list(prompt.decls), False
    param = _PARAM.match(statement) if prompt.role == "param" else None
    for k, d in enumerate(decls):
        m = _STRUCT_POINTER.match(d.text) if d.variable else None
        layout = m and layouts.get(m.group(2))
        if not layout:
            continue
        const, name = m.group(1), m.group(3)
        if param is not None and param.group(3) == name:
            statement = f"{param.group(1)}{const}int *{name}"
            decls[k], changed = Decl(f"{const}int * {name};", name), True
            continue
        fields, _ = layout
        uses = list(re.finditer(rf"(?<![\w.>]){re.escape(name)}\b(\s*->\s*(\w+))?", statement))
        types = {fields[u.group(2)][0] if u.group(2) in fields else None for u in uses}
        if not uses or len(types) != 1 or None in types:
            continue
        (ctype,) = types
        size = base_type(ctype.split(), char_signed=True).size
        if any(fields[u.group(2)][1] % size for u in uses):
            continue
        statement = re.sub(rf"(?<![\w.>]){re.escape(name)}\s*->\s*(\w+)",
                           lambda f: f"{name}[{fields[f.group(1)][1] // size}]", statement)
        decls[k], changed = Decl(f"{const}{ctype} * {name};", name), True
    if not changed:
        return None
    named = " ".join([statement] + [d.text for d in decls if d.struct is None])
    decls = [d for d in decls if d.struct is None or re.search(rf"\bstruct\s+{re.escape(d.struct.tag)}\b", named)]
    return replace(prompt, statement=statement, decls=tuple(decls)), {}


_EQUALITY = re.compile(r"^(?:(?:\}\s*)?(?:while|if)\s*\()\s*(\w+)\s*[!=]=\s*(-?\d+)\s*\)\s*[{;]\s*$")
_UNSIGNED = re.compile(r"^unsigned (int|long) (\w+);$")


def _signless_equality(prompt: Prompt) -> tuple[Prompt, dict] | None:
    m = _EQUALITY.match(prompt.statement)
    if m is None or not -(1 << 31) <= int(m.group(2)) < (1 << 31):
        return None
    decls = [replace(d, text=f"{u.group(1)} {u.group(2)};") if (u := _UNSIGNED.match(d.text)) and u.group(2) == m.group(1)
             else d for d in prompt.decls]
    return (replace(prompt, decls=tuple(decls)), {}) if decls != list(prompt.decls) else None


_CONST = re.compile(r"\bconst\s+")


def _unqualified(prompt: Prompt) -> tuple[Prompt, dict] | None:
    if prompt.role in ("prologue", "param") or not (_CONST.search(prompt.statement) or any(
            d.struct is None and _CONST.search(d.text) for d in prompt.decls)):
        return None
    bare = lambda text: _outside_literals(text, lambda t: _CONST.sub("", t))
    decls = tuple(d if d.struct is not None else replace(d, text=bare(d.text)) for d in prompt.decls)
    return replace(prompt, statement=bare(prompt.statement), decls=decls), {}


_DECLARATION = re.compile(r"^(?!return\b)([A-Za-z_][\w\s]*?[\w*])\s*(\**)\s*\b([A-Za-z_]\w*)\s*=(?!=)\s*(.+);$")


def _stored(prompt: Prompt) -> tuple[Prompt, dict] | None:
    m = _DECLARATION.match(prompt.statement) if prompt.role == "stmt" else None
    if m is None or m.group(3) not in {n.group(2) for n in _DECLARED_IN_TEXT.finditer(prompt.statement)}:
        return None
    words = " ".join(m.group(1).split() + list(m.group(2)))
    if {"static", "extern", "typedef"} & set(words.split()):  # a static is stored once, not each time
        return None
    name = m.group(3)
    decl = Decl(f"{words} {name};", name)
    return replace(prompt, statement=f"{name} = {m.group(4)};", decls=(decl, *prompt.decls)), {}
