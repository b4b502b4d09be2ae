"""One function's assembly put into another unit's assembly: what `c_test` programs and `ncc` need.

A unit's assembly is cut at symbol boundaries: a function or object runs from its label to its
`.size` directive. `replace_function` removes gcc's definition of one function (and its `.cold`
part) and appends the candidate's, local labels renamed so they cannot clash with gcc's `.L` labels.
"""
from __future__ import annotations

import re

from .asmprep import _strip_comment, split_statements

# Directives that declare or define a named symbol: `.globl f`, `.type f, @function`, `.comm g,4,4` ...
_SYMBOL_DIRECTIVE = re.compile(
    r"\.(?:globl|global|local|weak|hidden|protected|internal|type|size|comm|lcomm|set|equ)\s+([A-Za-z_.$][\w.$]*)")


def _label(stmt: str) -> str | None:
    """The name a statement defines as a label (`f:` -> `f`), local `.L` labels included."""
    return stmt[:-1] if stmt.endswith(":") and " " not in stmt else None


def _symbol(stmt: str) -> str | None:
    """The symbol a statement defines as a label: not a local `.L` label."""
    name = _label(stmt)
    return name if name and not name.startswith(".L") else None


# `.text`, `.data`, `.bss`, `.section NAME`, `.previous`...: what follows is in another section
_SECTION = re.compile(r"\.(?:text|data|bss|section|pushsection|popsection|previous)\b")
_TEXT_SECTION = re.compile(r"\.text\b|\.section\s+\.text\b")


def defined_symbols(asm: str, arch: str) -> set[str]:
    return {name for raw in asm.splitlines() for stmt in split_statements(_strip_comment(raw, arch))
            if (name := _symbol(stmt))}


_DATA = re.compile(r"\.(?:zero|skip|space|byte|short|value|hword|word|long|int|quad|xword|dword|octa|"
                   r"float|single|double|ascii|asciz|string|string8|string16)\b")


def cut_symbols(asm: str, names: set[str], arch: str, keep_lines: bool = False) -> str:
    """Remove each named function or object from the assembly: a function from its label to its
    `.size` (gcc writes it after the body), an object from its label through its data directives
    (gcc writes an object's `.size` before its label). `keep_lines`: blank the lines instead, so line
    numbers still point into the original text."""
    out, skipping, sized = [], None, set()
    gone = "" if keep_lines else None
    for raw in asm.splitlines():
        stmt = _strip_comment(raw, arch).strip()
        m = re.match(r"\.size\s+([\w.$]+)\s*,", stmt)
        label = _label(stmt)
        if skipping is not None:
            if skipping in sized:  # an object: its data directives (and local labels inside it) go with it
                if _DATA.match(stmt) or not stmt or (label or "").startswith(".L"):
                    out.append(gone)
                    continue
                skipping = None
            elif _symbol(stmt) or _SECTION.match(stmt):
                # text without `.size` (normalised assembly) ends at the next symbol or section switch
                skipping = None
            else:
                out.append(gone)
                if m and m.group(1) == skipping:
                    skipping = None
                continue
        if label in names:
            skipping = label
            out.append(gone)
            continue
        if m:
            sized.add(m.group(1))
        out.append(raw)
    return "\n".join(line for line in out if line is not None) + "\n"


def rename_locals(asm: str, prefix: str) -> str:
    return re.sub(r"(?<![\w.$])\.L(\w+)", lambda m: f".L{prefix}{m.group(1)}", asm)


def rename_symbols(asm: str, names, tag: str) -> str:
    """Every use of each of `names` as a whole symbol becomes `name.tag` (longest names first, so a
    name that is a prefix of another is not renamed inside it)."""
    for name in sorted(names, key=len, reverse=True):
        asm = re.sub(rf"(?<![\w.$]){re.escape(name)}(?![\w$])(?!\.\w)", f"{name}.{tag}", asm)
    return asm


def _unit_noise(stmt: str) -> bool:
    """A statement about the whole file (its name, the compiler's, the stack note), which a spliced part
    must not repeat."""
    return stmt.startswith((".file", ".ident")) or ".note.GNU-stack" in stmt


def function_only(asm: str, name: str, arch: str, keep: set[str] = frozenset(), tag: str = "") -> str:
    """The candidate's definition of `name` with the local labels and constants it uses. Every other
    symbol it defines, and every directive about one, is dropped (the unit it goes into has gcc's),
    except those in `keep`: they stay as local symbols renamed `sym.tag`, so two candidates that each
    bring their own copy of a helper do not clash."""
    others = defined_symbols(asm, arch) - {name} - set(keep)
    text = cut_symbols(asm, others, arch)
    renamed = {f"{k}.{tag}" for k in keep}
    text = rename_symbols(text, keep, tag)
    kept = ["\t.text"]
    for raw in text.splitlines():
        stmt = _strip_comment(raw, arch).strip()
        m = _SYMBOL_DIRECTIVE.match(stmt)
        if m and m.group(1) != name and not m.group(1).startswith(".L") and (
                m.group(1) not in renamed or stmt.startswith((".globl", ".global", ".weak"))):
            continue
        if _unit_noise(stmt):
            continue
        kept.append(raw)
    return "\n".join(kept) + "\n"


def linked_part(asm: str, arch: str, tag: str, taken: set[str]) -> tuple[str, set[str]]:
    """Another unit's assembly, to be run beside a unit that calls into it (a program's `main` calling
    the functions of the other files). Its local labels are renamed with `tag` and its local symbols
    (static functions and objects) renamed `sym.tag`, so neither clashes with the unit's own; what the
    unit itself exports too (`taken`) is dropped from it, as the unit's definition is the one under test.
    Returns the text and its private names (renamed symbols and labels), which only it may use."""
    defined = defined_symbols(asm, arch)
    exported = {m.group(1) for raw in asm.splitlines()
                if (m := re.match(r"\.(?:globl|global|weak)\s+([\w.$]+)", _strip_comment(raw, arch).strip()))}
    text = cut_symbols(asm, defined & exported & taken, arch)
    text = rename_symbols(text, defined - exported, tag)
    kept = [raw for raw in rename_locals(text, tag).splitlines() if not _unit_noise(_strip_comment(raw, arch).strip())]
    text = "\t.text\n" + "\n".join(kept) + "\n"
    private = {f"{n}.{tag}" for n in defined - exported} | set(re.findall(rf"\.L{re.escape(tag)}\w+", text))
    return text, private


def own_parts(asm: str, name: str, arch: str) -> set[str]:
    """`name` and the parts gcc split off it that only it jumps into (`name.cold`)."""
    return {name} | {s for s in defined_symbols(asm, arch) if s.startswith(name + ".cold")}


def replace_function(base: str, candidate: str, name: str, arch: str, tag: str) -> str:
    """`base` with its function `name` replaced by the candidate's; `tag` makes the candidate's local
    labels unique (use a different tag for every function replaced in one unit). Helpers the candidate
    defines and the base does not (a static function gcc inlined everywhere) come along, renamed."""
    parts = own_parts(base, name, arch)
    missing = defined_symbols(candidate, arch) - defined_symbols(base, arch) - {name}
    missing = {m for m in missing if not m.startswith(name + ".cold")}
    return cut_symbols(base, parts, arch) + rename_locals(function_only(candidate, name, arch, missing, tag), tag)


def function_regions(asm: str, arch: str) -> tuple[dict[str, list[str]], list[str]]:
    """Each function's statements, from its label to its `.size` (or, in normalised assembly without
    `.size`, to the next symbol or section switch), and the statements outside every function (data,
    directives). Objects (gcc sizes them before their label; any label outside a text section) are
    not functions."""
    regions: dict[str, list[str]] = {}
    outside: list[str] = []
    cur, sized, in_text = None, set(), True
    for raw in asm.splitlines():
        for stmt in split_statements(_strip_comment(raw, arch)):
            m = re.match(r"\.size\s+([\w.$]+)\s*,", stmt)
            symbol = _symbol(stmt)
            if _SECTION.match(stmt):
                in_text = bool(_TEXT_SECTION.match(stmt)) if not stmt.startswith((".previous", ".popsection")) else True
                cur = None
            elif cur is not None and symbol:
                cur = None  # text without `.size`: the next symbol ends a function
            if cur is not None:
                if m and m.group(1) == cur:
                    cur = None
                else:
                    regions[cur].append(stmt)
            elif symbol and symbol not in sized and in_text:
                cur = symbol
                regions[cur] = []
            else:
                if m:
                    sized.add(m.group(1))
                outside.append(stmt)
    return regions, outside


_NAME = re.compile(r"[A-Za-z_.$][\w.$]*")
_DECLARATIONS = (".globl", ".global", ".type", ".size", ".local", ".weak", ".hidden", ".file", ".ident")


def unreachable_functions(asm: str, entry: str, arch: str) -> set[str]:
    """Functions neither `entry` nor any data reaches through references: a unit's `main` calling other
    units' code must not stop the verifier from testing a helper beside it."""
    regions, outside = function_regions(asm, arch)
    # references from data (a table of function pointers) keep their targets
    todo = [entry] + [n for stmt in outside if not stmt.startswith(_DECLARATIONS)
                      for n in _NAME.findall(stmt) if n in regions]
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen or name not in regions:
            continue
        seen.add(name)
        todo.extend(n for stmt in regions[name] if not stmt.startswith(_DECLARATIONS)
                    for n in _NAME.findall(stmt) if n in regions)
    return set(regions) - seen


def runnable_part(asm: str, entry: str, arch: str) -> str:
    """The text with every function `entry` cannot reach blanked out (line numbers unchanged)."""
    dead = unreachable_functions(asm, entry, arch)
    return cut_symbols(asm, dead, arch, keep_lines=True) if dead else asm
