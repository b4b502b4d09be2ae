"""Assembly text <-> chunks.

gcc -O0 emits code almost statement by statement. We cut a function's assembly into
*chunks*: maximal runs of lines attributed (by gcc's .loc info) to one C line, also cut
before every code label. Every code label then sits at the start of a chunk, so labels are
renamed to the index of the chunk they start (`<C7>`): a jump names a chunk, which the
model can find in the chunk order it was given, instead of an arbitrary gcc number.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

FN = "<FN>"  # placeholder for the translated function's name, in C and asm alike
MAX_CHUNKS = 256
MAX_LINE = 255

_DROP = re.compile(
    r"^\s*(\.file\b|\.loc\b|\.cfi_|\.ident\b|\.section\s+\.note|\.L(FB|FE|BB|BE|VL|text|etext|debug)\w*:)"
)
_DEBUG_SECTION = re.compile(r"^\s*\.section\s+\.debug")
_CODE_LABEL_DEF = re.compile(r"^(\.L\d+):\s*$")
_CODE_LABEL_REF = re.compile(r"\.L\d+\b")
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


@dataclass
class Chunk:
    line: int | None = None
    text: list[str] = field(default_factory=list)
    has_insn: bool = False


def split_chunks(asm_lines: list[str], nums: list) -> list[Chunk]:
    """Cut cleaned asm into chunks and rename code labels to chunk tokens `<Ck>`."""
    chunks: list[Chunk] = [Chunk()]
    label_chunk: dict[str, int] = {}
    for text, num in zip(asm_lines, nums):
        cur = chunks[-1]
        m = _CODE_LABEL_DEF.match(text)
        if m:
            if cur.has_insn or cur.line is not None:
                chunks.append(Chunk())
            label_chunk[m.group(1)] = len(chunks) - 1
            continue  # re-emitted as `<Ck>:` below
        is_insn = text.startswith("\t") and not text.lstrip().startswith(".")
        if is_insn and num is not None:
            if cur.line is None:
                cur.line = num
            elif num != cur.line:
                chunks.append(Chunk(line=num))
                cur = chunks[-1]
            cur.has_insn = True
        cur.text.append(text)
    first = next((c.line for c in chunks if c.line is not None), 0)
    for i, c in enumerate(chunks):
        if c.line is None:
            c.line = first
        if i in label_chunk.values():
            c.text.insert(0, f"<C{i}>:")
    if len(chunks) > MAX_CHUNKS:
        raise ValueError(f"{len(chunks)} chunks > {MAX_CHUNKS}")

    def rename(match: re.Match) -> str:
        k = label_chunk.get(match.group(0))
        return f"<C{k}>" if k is not None else match.group(0)

    for c in chunks:
        c.text = [_CODE_LABEL_REF.sub(rename, t) if not t.startswith("<C") else t for t in c.text]
    return chunks


def chunk_text(chunk: Chunk) -> str:
    return "\n".join(chunk.text) + "\n"


def replace_name(text: str, name: str, placeholder: str = FN) -> str:
    # also inside helper names (k000123_h0 -> <FN>_h0): `restore` undoes any replacement exactly
    return re.sub(rf"(?<![\w.$]){re.escape(name)}(?![A-Za-z0-9$])", placeholder, text)


def restore(text: str, name: str) -> str:
    """Model text (chunk tokens, <FN>) -> assembler text."""
    text = _CHUNK_TOKEN.sub(lambda m: f".L{m.group(1)}", text)
    return text.replace(FN, name)


def reassemble(chunks: list[str], name: str) -> str:
    body = "".join(c if c.endswith("\n") else c + "\n" for c in chunks)
    return restore(body, name)
