"""gcc's assembly text as the model reads and writes it: debug and unwind noise dropped, the
translated function's name as `<FN>`, a jump to piece k as `<Ck>` (pieces.py cuts the text into pieces).
"""
from __future__ import annotations

import re

FN = "<FN>"  # placeholder for the translated function's name, in C and asm alike
MAX_PIECES = 256  # pieces a unit may have: the tokenizer's <C0> ... <C255>
MAX_LINE = 255  # csource.encoder_text's default line limit (the retired chunk modes' <Ln> markers)

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


def replace_name(text: str, name: str, placeholder: str = FN) -> str:
    # also inside helper names (k000123_h0 -> <FN>_h0): `restore` undoes any replacement exactly
    return re.sub(rf"(?<![\w.$]){re.escape(name)}(?![A-Za-z0-9$])", placeholder, text)


def restore(text: str, name: str) -> str:
    """Model text (piece tokens, <FN>) -> assembler text."""
    text = _CHUNK_TOKEN.sub(lambda m: f".L{m.group(1)}", text)
    return text.replace(FN, name)
