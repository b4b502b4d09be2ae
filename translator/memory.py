"""A translation memory: gcc's pieces from the training split, looked up by their prompt.

Why: synthetic kernels share most statements. Of the pieces of 400 held-out functions, 78% have a
prompt (canonical names, canonical types) that some training function also has, and gcc's most common
piece for that prompt is the held-out piece 99% of the time; the 6M-parameter default model writes
73% of those and 2% of the others (docs/experiments.md). A prompt nobody has seen gets the piece of
the nearest key: a template of the same prompt with its numbers filled in (below), the template of
the same statement on a struct of the same layout (structlayout.py), of a loop header's own clause
(`clause_prompt`), the same prompt with numbers abstracted, the same statement with other
declarations, both.

What it is used for: a nearest-neighbour baseline (every piece looked up, no model: `neuralcc eval
--translator memory`), `memory_first` decoding (pieces it holds come from it, the model writes the rest),
and a diagnostic (`train.pieces_exact`'s split by memory level: how often the model writes a piece it
could have seen, against one nobody has written before).

Files: `memory-<arch>.json.gz` beside the model, written by every training run.
"""
from __future__ import annotations

import gzip
import json
import re
import struct
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from .immediates import literal_class
from .structlayout import layout_prompt

PATTERN = "memory-*.json.gz"
VERSION = 2  # 2: template keys name each literal's kind (immediates.py) and which jump targets are one;
#               pieces of a near key have their jump targets written as the prompt's (template_of)


def file_name(arch: str) -> str:
    return f"memory-{arch}.json.gz"


LEVELS = ("exact", "template", "layout", "clause", "numbers", "statement", "statement-numbers")  # nearest first
TEMPLATE_LEVELS = ("template", "layout", "clause")  # their pieces are templates filled with the prompt's numbers
_NUMBER = re.compile(r"\d+")


def views(prompt: str) -> tuple[tuple[str | None, str | None], ...]:
    """Per level of LEVELS, the prompt's key there and the prompt that level's templates are written
    with (the prompt as the model reads it, style applied; at "layout" its struct layout, at "clause"
    its loop clause). Both are None at "layout" for a prompt without a struct and at "clause" for one
    that is not a `for` header's piece: their template key says the same."""
    statement = prompt.split("<sep>", 1)[0]
    laid_out, clause = layout_prompt(prompt), clause_prompt(prompt)
    return ((prompt, prompt), (template_key(prompt), prompt), (laid_out and template_key(laid_out), laid_out),
            (clause and template_key(clause), clause), (_NUMBER.sub("#", prompt), prompt), (statement, prompt),
            (_NUMBER.sub("#", statement), prompt))


_FOR = re.compile(r"^(<[^:]*><chunks>for-(init|test|step): )\s*for\s*\((.*)\)\s*\{?\s*$")
_DECLARED = re.compile(r"^((?:(?:const|unsigned|signed|int|long|short|char|float|double|\w+_t)\s+)+)(\**)\s*(?=(\w+)\s*=)")


def clause_prompt(prompt: str) -> str | None:
    """A loop header's piece reads one clause of `for (init; test; step)`: the prompt with that clause
    alone, an init's declaration moved to the declarations (`int i = 0` and `i = 0` are one store, and
    the test and step pieces already declare `int i;`); None for other pieces. Real code writes
    `for (j = i + 1; j < n; j++)` where the kernels write `for (int j = 0; ...)`."""
    text, sep, rest = prompt.partition("<sep>")
    m = _FOR.match(text)
    if not sep or m is None:
        return None
    parts = m.group(3).split(";")
    if len(parts) != 3:
        return None
    clause = parts[("init", "test", "step").index(m.group(2))].strip()
    declared = _DECLARED.match(clause)
    if declared is not None:
        words, stars, name = declared.group(1).split(), declared.group(2), declared.group(3)
        decl = " ".join(words + list(stars)) + f" {name};"
        clause = clause[declared.end():]
        decls, sep2, tail = rest.partition("<sep>")
        if decl not in decls.split("; "):
            rest = (decl + (" " + decls if decls else "")) + sep2 + tail
    return m.group(1) + clause + sep + rest



# -- templates: gcc's piece with the prompt's numbers as slots ------------------------------------------
# `t3 = VA + 7;` and `t3 = VA + 12;` share a key with numbers abstracted, and gcc writes `$7` and `$12`
# where they differ. A template writes each number of the piece as the prompt's k-th number, or a simple
# function of it (gcc compares `x < 5` as `x <= 4`, subtracts 5 as `$-5`, shifts for `* 8`), or as the
# literal when nothing explains it; a jump target `<C12>` is written as the prompt's k-th target. Each
# training piece votes for its own template and the most common one answers for the key. AArch64 writes
# a constant that fits no instruction in 16-bit chunks (`mov w0, 31064; movk w0, 0x3, lsl 16`): the
# chunk transforms, and a template key that says which instructions each literal fits (immediates.py).
_PIECE_NUMBER = re.compile(r"(?<![\w.%@])-?\d+\.\d+e[-+]\d+|(?<=<C)(?P<target>\d+)(?=>)|(?<![\w.%@])0x[0-9a-f]+(?![\w.])"
                           r"|(?<![\w.%@])-?\d+(?![\w.])")
_ALIGN = re.compile(r"\.(p2|b)?align\b")  # alignment is the type's, never the prompt's
_SLOT = re.compile("\x01(\\d+):([\\w.]+)\x02")
_LITERAL = re.compile(  # a jump target, or a C literal with its sign: `{3, -423}` is two numbers, not three
    r"<C(\d+)>|(?<![\w.])(-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+))")
_U64 = (1 << 64) - 1
_BASE = {  # integer literal -> the number gcc computes with
    "id": lambda n: n,
    "neg": lambda n: -n,
    "dec": lambda n: n - 1,
    "inc": lambda n: n + 1,
}
_HALFWORDS = {  # a number -> how an AArch64 mov/movk sequence writes one 16-bit chunk of it
    "lo16": lambda p: p & 0xFFFF,  # `mov w0, 31064`
    "lo16n": lambda p: (p & 0xFFFF) - 0x10000,  # `mov x0, -4464` (movn: the chunks above are all ones)
    "hi16": lambda p: hex(p >> 16 & 0xFFFF),  # `movk w0, 0x3, lsl 16`
    "hw2": lambda p: hex(p >> 32 & 0xFFFF),
    "hw3": lambda p: hex(p >> 48 & 0xFFFF),
}
TRANSFORMS = {  # integer literal -> a number gcc writes for it
    **_BASE,
    "u32": lambda n: -n & 0xFFFFFFFF,  # a negated constant as a 32-bit unsigned immediate
    "s32": lambda n: (n + (1 << 31) & 0xFFFFFFFF) - (1 << 31),  # an unsigned int constant as a signed one
    "log2": lambda n: n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None,
    **{f"{b}.{c}": (lambda n, b=b, c=c: _HALFWORDS[c](_BASE[b](n) & _U64)) for b in _BASE for c in _HALFWORDS},
}
_F32 = lambda x: struct.unpack("<I", struct.pack("<f", x))[0]
_F64 = lambda x: struct.unpack("<Q", struct.pack("<d", x))[0]
FLOAT_TRANSFORMS = {  # floating literal -> the words of its pooled constant (`.long`), or its bits by chunk
    "f32": _F32,
    "f64lo": lambda x: _F64(x) & 0xFFFFFFFF,
    "f64hi": lambda x: _F64(x) >> 32,
    "fimm": lambda x: _gcc_float(x),  # AArch64 `fmov d0, 7.5e-1`
    **{f"f32.{c}": (lambda x, c=c: _HALFWORDS[c](_F32(x))) for c in ("lo16", "hi16")},  # `mov w0, ..; fmov s1, w0`
    **{f"f64.{c}": (lambda x, c=c: _HALFWORDS[c](_F64(x))) for c in _HALFWORDS},
}


def _gcc_float(x: float) -> str:
    """`x` the way gcc writes an fmov immediate: the shortest exact mantissa, `e-1` not `e-01`."""
    for digits in range(1, 18):
        text = f"{x:.{digits}e}"
        if float(text) == x:
            break
    return re.sub(r"e([-+])0*(\d)", r"e\1\2", text)


@dataclass(frozen=True)
class Target:
    """A jump target `<Cn>` of the prompt: only a jump target of the piece is written from it."""
    n: int


def _literal(m: re.Match) -> int | float | Target:
    if m.group(1):
        return Target(int(m.group(1)))
    text = m.group(2)
    return float(text) if "." in text or "e" in text.lower() else int(text)


def prompt_numbers(prompt: str) -> list[int | float | Target]:
    """The jump targets and literals after the `<arch><opt><chunks>` header, in order (floating
    literals as floats)."""
    return [_literal(m) for m in _LITERAL.finditer(prompt.split("<chunks>", 1)[-1])]


def template_key(prompt: str) -> str:
    """The prompt with each of its `prompt_numbers` written `#` and the instructions it fits in
    (immediates.py: `x + 7` and `x + 70000` are different code on AArch64), each jump target `<C#k>`
    with k its first place among the targets (an "exit" that is also "next" is a fall-through, no jump):
    prompts with one key have their numbers in the same places and of the same kind."""
    head, sep, rest = prompt.partition("<chunks>")
    if not sep:
        return prompt
    arch = head[1:].split(">", 1)[0]
    targets: list[int] = []

    def abstract(m: re.Match) -> str:
        n = _literal(m)
        if isinstance(n, Target):
            if n.n not in targets:
                targets.append(n.n)
            return f"<C#{targets.index(n.n)}>"
        return "#" + literal_class(arch, n)

    return head + sep + _LITERAL.sub(abstract, rest)


def _apply(name: str, n: int | float | Target):
    if isinstance(n, Target):  # jump targets are filled by place, never by a transform
        return None
    table = FLOAT_TRANSFORMS if isinstance(n, float) else TRANSFORMS
    try:
        return table[name](n) if name in table else None
    except (OverflowError, struct.error):  # a double beyond float's range has no f32 bits
        return None


def template_of(prompt: str, piece: str, numbers: bool = True) -> str:
    """`piece` with each number written as the first explanation found: the transforms in their order,
    each tried on the prompt's numbers from the one after the number used last (gcc writes a table, a
    call's arguments, in the C's order), then from the start. A jump target is written as the prompt's
    j-th target. `numbers=False`: the jump targets only (the numbers of another statement's piece
    explain nothing)."""
    nums = prompt_numbers(prompt)
    targets = [n.n for n in nums if isinstance(n, Target)]
    after = [0]

    def slot(m):
        text = m.group(0)
        if m.group("target"):
            return f"\x01{targets.index(int(text))}:target\x02" if int(text) in targets else text
        if not numbers:
            return text
        v = text if "e" in text or text.startswith("0x") else int(text)  # floats and hex chunks compare as text
        for name in (*TRANSFORMS, *FLOAT_TRANSFORMS):
            for k in [*range(after[0], len(nums)), *range(after[0])]:
                if _apply(name, nums[k]) == v:
                    after[0] = k + 1
                    return f"\x01{k}:{name}\x02"
        return text

    return "".join(line if _ALIGN.search(line) else _PIECE_NUMBER.sub(slot, line) for line in piece.splitlines(True))


def instantiate(template: str, prompt: str) -> str | None:
    """The template's piece for `prompt`; None if a slot names a number or a jump target the prompt lacks."""
    nums = prompt_numbers(prompt)
    targets = [n.n for n in nums if isinstance(n, Target)]
    missing = []

    def fill(m):
        k, name = int(m.group(1)), m.group(2)
        if name == "target":
            v = targets[k] if k < len(targets) else None
        else:
            v = _apply(name, nums[k]) if k < len(nums) else None
        if v is None:
            missing.append(m.group(0))
            return ""
        return str(v)

    out = _SLOT.sub(fill, template)
    return None if missing else out


def _best(counts: Counter):
    """The most common piece (ties: the smaller text); None if there is none."""
    best, best_n = None, 0
    for text, n in counts.items():
        if n > best_n or (n == best_n and n > 0 and text < best):
            best, best_n = text, n
    return best


@dataclass
class Hit:
    level: str  # one of LEVELS
    piece: str  # gcc's piece for the key found, in canonical names

    @property
    def exact(self) -> bool:
        return self.level == "exact"

    @property
    def sure(self) -> bool:
        """Good enough that sampling never asks the model for another piece (memory_first, samples after
        the first; a greedy memory_first answer takes every hit): the prompt's own key, or a
        template filled with its numbers (on held-out pieces: right 91% / 85% of the time, x86-64 /
        AArch64, against 99% for exact keys; docs/experiments.md), the template of a statement on a
        struct of the same layout (right 70 of 71 / 71 of 71 times), or of a loop header's
        clause (352 of 352 on humaneval-decompile's x86-64 pieces)."""
        return self.level == "exact" or self.level in TEMPLATE_LEVELS


def _stored(level: str, read: str, piece: str) -> str:
    """What a level keeps of gcc's piece for a prompt the level reads as `read` (`views`): the piece
    itself for its exact prompt, a template (numbers and jump targets from the prompt's) for a template
    key, the jump targets written as the prompt's for a key of several statements."""
    if level == "exact":
        return piece
    return template_of(read, piece, numbers=level in TEMPLATE_LEVELS)


def _answer(level: str, stored: str, read: str) -> Hit | None:
    """A level's stored piece as the answer for the prompt the level reads as `read` (a template filled
    with its numbers and targets)."""
    piece = stored if level == "exact" else instantiate(stored, read)
    return Hit(level, piece) if piece is not None else None


def nearest(prompt: str, stored, k: int) -> list[Hit]:
    """Up to `k` hits with distinct pieces, nearest level first: at each level of LEVELS, the piece
    `stored(level, key)` holds for the prompt's key there (None: none), answered for the prompt."""
    out: list[Hit] = []
    for level, (key, read) in zip(LEVELS, views(prompt)):
        piece = stored(level, key) if key is not None else None
        hit = _answer(level, piece, read) if piece is not None else None
        if hit is not None and all(h.piece != hit.piece for h in out):
            out.append(hit)
            if len(out) == k:
                break
    return out


class Memory:
    """arch -> level -> key -> piece. Read from a model directory one arch at a time, when first
    looked up (a translation for one arch reads only that arch's file)."""

    def __init__(self, table: dict[str, dict[str, dict[str, str]]] | None = None, model_dir: str | Path | None = None):
        self.table = table if table is not None else {}
        self.model_dir = Path(model_dir) if model_dir is not None else None

    def levels(self, arch: str) -> dict[str, dict[str, str]]:
        if arch not in self.table and self.model_dir is not None and (self.model_dir / file_name(arch)).exists():
            with gzip.open(self.model_dir / file_name(arch), "rt", encoding="utf-8") as f:
                raw = json.load(f)
            pieces = raw["pieces"]
            current = raw.get("version", 1) >= VERSION  # older template keys did not say the literals' kind
            self.table[arch] = {level: {k: pieces[i] for k, i in raw["levels"].get(level, {}).items()}
                                for level in LEVELS if current or level != "template"}
        return self.table.get(arch) or {}

    def arches(self) -> list[str]:
        found = {p.name[len("memory-"):-len(".json.gz")] for p in self.model_dir.glob(PATTERN)} if self.model_dir else set()
        return sorted(found | set(self.table))

    def lookup(self, arch: str, prompt: str) -> Hit | None:
        """The piece of the nearest key."""
        return next(iter(self.candidates(arch, prompt, 1)), None)

    def candidates(self, arch: str, prompt: str, k: int) -> list[Hit]:
        """The pieces of the `k` nearest keys whose pieces differ, nearest first (what a retrieval-reading
        model reads beside the prompt, reading.py)."""
        levels = self.levels(arch)
        return nearest(prompt, lambda level, key: (levels.get(level) or {}).get(key), k)

    def save(self, model_dir: str | Path) -> None:
        """One file per arch. A key with no number abstracted is left out of the "numbers" levels: only
        the prompt it is the key of has it, and that prompt is found a level nearer."""
        for arch in self.arches():
            index: dict[str, int] = {}
            out = {}
            for level in LEVELS:
                keyed = self.levels(arch).get(level, {})
                out[level] = {k: index.setdefault(p, len(index)) for k, p in sorted(keyed.items())
                              if level in ("exact", "layout", "clause", "statement") or "#" in k}
            with gzip.open(Path(model_dir) / file_name(arch), "wt", encoding="utf-8", compresslevel=9) as f:
                json.dump({"version": VERSION, "arch": arch, "pieces": sorted(index, key=index.get), "levels": out}, f)

    @classmethod
    def load(cls, model_dir: str | Path) -> "Memory":
        return cls(model_dir=model_dir)

    def merged_over(self, older: "Memory") -> "Memory":
        """This memory, with `older`'s keys this one lacks (fine-tuning keeps --init's memory)."""
        table = {arch: {level: dict(keyed) for level, keyed in older.levels(arch).items()} for arch in older.arches()}
        for arch in self.arches():
            for level, keyed in self.levels(arch).items():
                table.setdefault(arch, {}).setdefault(level, {}).update(keyed)
        return Memory(table)


class MemoryBuilder:
    """Counts gcc's pieces per key; answers lookups as the frozen Memory will."""

    def __init__(self):
        self.counts: dict[str, dict[str, dict[str, Counter]]] = {}  # arch -> level -> key -> pieces

    @staticmethod
    def own(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], Counter]:
        """One function's contribution, (level, key) -> pieces, from its (prompt, piece) pairs."""
        mine: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for prompt, piece in pairs:
            for level, (key, read) in zip(LEVELS, views(prompt)):
                if key is not None:
                    mine[level, key][_stored(level, read, piece)] += 1
        return mine

    def add(self, arch: str, pairs: list[tuple[str, str]]) -> None:
        levels = self.counts.setdefault(arch, {level: {} for level in LEVELS})
        for (level, key), pieces in self.own(pairs).items():
            levels[level].setdefault(key, Counter()).update(pieces)

    def lookup(self, arch: str, prompt: str) -> Hit | None:
        levels = self.counts.get(arch) or {}
        return next(iter(nearest(prompt, lambda level, key: _best(levels.get(level, {}).get(key) or Counter()), 1)),
                    None)

    def freeze(self) -> Memory:
        return Memory({arch: {level: {k: _best(c) for k, c in keyed.items()} for level, keyed in levels.items()}
                       for arch, levels in self.counts.items()})


class LeaveOneOut:
    """The memory of every training function but the one asked about, which is what a retrieval-reading
    model is trained on: it meets exact hits, near hits and misses as often as it will on new code,
    instead of always finding its own piece. Layers nearest first: the primary data's counts, then
    those of data that only fills keys the primary lacks (`memory --fill`, `train --fill`); each key
    keeps its `depth` most common pieces."""

    def __init__(self, layers: list[MemoryBuilder], depth: int = 4):
        self.layers = [{arch: {level: {key: sorted(c.items(), key=lambda t: (-t[1], t[0]))[:depth]
                                       for key, c in keyed.items()}
                               for level, keyed in levels.items()}
                        for arch, levels in b.counts.items()} for b in layers]

    def candidates(self, arch: str, pairs: list[tuple[str, str]], k: int, layer: int = 0) -> list[list[Hit]]:
        """Per (prompt, piece) of one function of `layer`: `Memory.candidates` of the memory without it."""
        own = MemoryBuilder.own(pairs)

        def stored(level: str, key: str) -> str | None:
            for i, table in enumerate(self.layers):
                ranked = table.get(arch, {}).get(level, {}).get(key)
                mine = own.get((level, key), Counter()) if i == layer else Counter()
                left = [(piece, n - mine[piece]) for piece, n in ranked or () if n > mine[piece]]
                if left:
                    return min(left, key=lambda t: (-t[1], t[0]))[0]
            return None

        return [nearest(prompt, stored, k) for prompt, _ in pairs]


def load_if_any(model_dir: str | Path) -> Memory | None:
    """The memory saved beside a model (read lazily, per arch), or None if there is none."""
    return Memory.load(model_dir) if any(Path(model_dir).glob(PATTERN)) else None


if __name__ == "__main__":  # building a memory is training's work: the command lives in data.py
    import sys

    from .data import memory_main

    sys.exit(memory_main())
