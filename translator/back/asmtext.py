"""gcc's assembly text as the model reads and writes it: debug and unwind noise dropped, the
translated function's name as `<FN>`, a jump to piece k as `<Ck>` (pieces.py cuts the text into pieces).
"""
from __future__ import annotations

import re

SEP = "<sep>"  # between a prompt's fields (prompts.py), and between a piece's code and its constants
FN = "<FN>"  # placeholder for the translated function's name, in C and asm alike
MAX_PIECES = 256  # pieces a unit may have: the tokenizer's <C0> ... <C255>

_DROP = re.compile(
    r"^\s*(\.file\b|\.loc\b|\.cfi_|\.ident\b|\.section\s+\.note|\.L(FB|FE|BB|BE|VL|text|etext|debug)\w*:)"
)
_DEBUG_SECTION = re.compile(r"^\s*\.section\s+\.debug")
_CHUNK_TOKEN = re.compile(r"<C(\d+)>")
_LOC = re.compile(r"^\s*\.loc\s+\d+\s+(\d+)")


def clean_lines(asm: str, lines: list | None = None) -> tuple[list[str], list]:
    """Drop debug/unwind noise. Returns (asm lines, C line per asm line or None)."""
    out, nums = [], []
    raw = asm.split("\n")
    if lines is None:
        lines = [None] * len(raw)
    for text, num in zip(raw, lines):
        if _DEBUG_SECTION.match(text):
            break
        if not text.strip() or _DROP.match(text):
            continue
        out.append(text.rstrip())
        nums.append(num)
    return out, nums


def lines_from_loc(asm: str) -> tuple[str, list]:
    """For raw `gcc -S -g` text: strip .loc and give each remaining line its C line number."""
    cur, out, nums = None, [], []
    for text in asm.split("\n"):
        m = _LOC.match(text)
        if m:
            cur = int(m.group(1))
            continue
        out.append(text)
        is_insn = text.startswith("\t") and not text.lstrip().startswith(".")
        nums.append(cur if is_insn else None)
    return "\n".join(out), nums


def replace_name(text: str, name: str, placeholder: str = FN, keep=()) -> str:
    """`name` -> `placeholder`, also where it begins a file-scope name (helpers, tables: k000123_h0 -> <FN>_h0);
    `keep`: names that begin with `name_` but are no file-scope name of it (a local `peak_i` of `peak`), left
    as written. `restore` undoes any replacement exactly."""
    kept = "".join(rf"(?!{re.escape(k[len(name):])}(?![\w$]))" for k in keep if k.startswith(name + "_"))
    return re.sub(rf"(?<![\w.$])(?<!->){re.escape(name)}(?![A-Za-z0-9$]){kept}", placeholder, text)


def unit_names(entry: str, globals_: dict[str, str], helpers: list[str] | tuple = ()) -> dict[str, str]:
    """A unit's global variables (name -> declaration) and its other functions (`helpers`, in the order
    defined) -> their names as the model reads and writes them, the synthetic corpora's (`k000123_g` for a
    scalar, `k000123_tab` for a table, `k000123_h0` for a helper, which replace_name writes `<FN>_g`,
    `<FN>_tab`, `<FN>_h0`): the first scalar `<FN>_g`, the next `<FN>_g2`, ..., the first array `<FN>_tab`,
    ..., the helpers `<FN>_h0`, `<FN>_h1`, ..., so the globals and helpers of real C read like the ones
    training saw, never like locals. Names already `<entry>_...` stay; a new name the unit already has is
    passed over for the next."""
    taken = set(globals_) | set(helpers)
    out: dict[str, str] = {}
    count = {"g": 0, "tab": 0, "h": -1}

    def fresh(kind: str) -> str:
        while True:
            count[kind] += 1
            n = count[kind]
            suffix = f"_{kind}{n}" if kind == "h" else f"_{kind}{n if n > 1 else ''}"
            if entry + suffix not in taken:
                return FN + suffix

    for g, decl in globals_.items():
        if not g.startswith(entry + "_"):
            out[g] = fresh("tab" if "[" in decl else "g")
    for h in helpers:
        if h != entry and not h.startswith(entry + "_"):
            out[h] = fresh("h")
    return out


def rename_unit(text: str, renames: dict[str, str]) -> str:
    """`unit_names`' renames applied to C or assembly text (not to fields after `.`/`->`, nor stack slots)."""
    if not renames:
        return text
    words = "|".join(re.escape(g) for g in sorted(renames, key=len, reverse=True))
    return re.sub(rf"(?<![\w.$>@])({words})(?![\w$])", lambda m: renames[m.group(1)], text)


def restore(text: str, name: str, renames: dict[str, str] | None = None) -> str:
    """Model text (piece tokens, <FN>, the unit's names as `unit_names` wrote them) -> assembler text."""
    text = _CHUNK_TOKEN.sub(lambda m: f".L{m.group(1)}", text)
    for g, renamed in (renames or {}).items():
        text = re.sub(rf"{re.escape(renamed)}(?![\w$])", g, text)
    return text.replace(FN, name)
