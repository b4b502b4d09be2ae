"""A translation memory: gcc's pieces from the training split, looked up by their prompt.

Why: synthetic kernels share most statements. Of the pieces of 400 held-out functions, 78% have a
prompt (canonical names, canonical types) that some training function also has, and gcc's most common
piece for that prompt is the held-out piece 99% of the time; the 6M-parameter default model writes
73% of those and 2% of the others (docs/experiments.md). A prompt nobody has seen gets the piece of
the nearest key: a template of the same prompt with its numbers filled in (templates.py), the
template of the same statement on a struct of the same layout (structlayout.py), of a loop header's
own clause (`clause_prompt`), the piece of the same prompt without its trailing jump and then the jump
(`jumped_on`), the same prompt with numbers abstracted, the same statement with other declarations, both;
a prompt it holds at no sure level (`Hit.sure`) is looked up in other words that mean the same
(equivalents.py), whose sure piece comes before the prompt's own near one.

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
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from pathlib import Path

from ..prompts import Decl, Prompt
from .equivalents import equivalents
from .structlayout import layout_prompt
from .templates import TRANSFORMS, instantiate, prompt_numbers, template_key, template_of

_SLOT_NAME = re.compile("\x01\\d+:([\\w.]+)\x02")  # templates.template_of's slots

PATTERN = "memory-*.json.gz"
VERSION = 2  # 2: template keys name each literal's kind (immediates.py) and which jump targets are one;
#               pieces of a near key have their jump targets written as the prompt's (template_of)


def file_name(arch: str) -> str:
    return f"memory-{arch}.json.gz"


LEVELS = ("exact", "template", "layout", "clause", "numbers", "statement", "statement-numbers")  # nearest first
TEMPLATE_LEVELS = ("template", "layout", "clause")  # their pieces are templates filled with the prompt's numbers
_NUMBER = re.compile(r"\d+")


def views(prompt: Prompt) -> tuple[tuple[str | None, Prompt | None], ...]:
    """Per level of LEVELS, the prompt's key there and the prompt that level's templates are written
    with (the prompt as the model reads it, style applied; at "layout" its struct layout, at "clause"
    its loop clause). Both are None at "layout" for a prompt without a struct and at "clause" for one
    that is not a `for` header's piece: their template key says the same."""
    text, statement = prompt.render(), prompt.head()
    if _DIVISOR.search(prompt.statement):  # the levels whose keys abstract numbers say nothing of its code
        return (text, prompt), (None, None), (None, None), (None, None), (None, None), (statement, prompt), (None, None)
    laid_out, clause = layout_prompt(prompt), clause_prompt(prompt)
    return ((text, prompt), (template_key(prompt), prompt), (laid_out and template_key(laid_out), laid_out),
            (clause and template_key(clause), clause), (_NUMBER.sub("#", text), prompt), (statement, prompt),
            (_NUMBER.sub("#", statement), prompt))


# an integer divisor that is no power of two: gcc -O0 divides by it with a multiplier and shifts computed
# from it (`x / 10` multiplies by 1717986919 and shifts by 2), numbers no template slot explains, so one
# divisor's piece is another's wrong answer
_DIVISOR = re.compile(r"[/%]=?\s*\(?\s*(?!(?:1|2|4|8|16|32|64|128|256|512|1024|2048|4096)[uUlL]*\b)\d+[uUlL]*\b(?!\.)")


_FOR = re.compile(r"^\s*for\s*\((.*)\)\s*\{?\s*$")
_DECLARED = re.compile(r"^((?:(?:const|unsigned|signed|int|long|short|char|float|double|\w+_t)\s+)+)(\**)\s*(?=(\w+)\s*=)")
_CLAUSES = ("for-init", "for-test", "for-step")


def clause_prompt(prompt: Prompt) -> Prompt | None:
    """A loop header's piece reads one clause of `for (init; test; step)`: the prompt with that clause
    alone, an init's declaration moved to the declarations (`int i = 0` and `i = 0` are one store, and
    the test and step pieces already declare `int i;`); None for other pieces. Real code writes
    `for (j = i + 1; j < n; j++)` where the kernels write `for (int j = 0; ...)`."""
    m = _FOR.match(prompt.statement)
    if prompt.role not in _CLAUSES or m is None:
        return None
    parts = m.group(1).split(";")
    if len(parts) != 3:
        return None
    clause = parts[_CLAUSES.index(prompt.role)].strip()
    declared = _DECLARED.match(clause)
    decls = prompt.decls
    if declared is not None:
        words, stars, name = declared.group(1).split(), declared.group(2), declared.group(3)
        decl = " ".join(words + list(stars)) + f" {name};"
        clause = clause[declared.end():]
        if not (decls and decls[-1].text == decl):
            decls = (Decl(decl, name),) + decls
    return replace(prompt, statement=clause, decls=decls)


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


def _stored(level: str, read: Prompt, piece: str) -> str:
    """What a level keeps of gcc's piece for a prompt the level reads as `read` (`views`): the piece
    itself for its exact prompt, a template (numbers and jump targets from the prompt's) for a template
    key, the jump targets written as the prompt's for a key of several statements."""
    if level == "exact":
        return piece
    return template_of(read, piece, numbers=level in TEMPLATE_LEVELS)


def _answer(level: str, stored: str, read: Prompt) -> Hit | None:
    """A level's stored piece as the answer for the prompt the level reads as `read` (a template filled
    with its numbers and targets); None when a level nearer than the statement alone answers with a piece
    that writes none of the statement's integer literals: the piece of another number (`t = 0;`'s
    `str wzr`, `x /= 3`'s multiplier) under a key that abstracts them."""
    piece = stored if level == "exact" else instantiate(stored, read)
    if piece is None or level not in ("exact", "statement") and not _writes_numbers(read, piece):
        return None
    return Hit(level, piece)


def _writes_numbers(read: Prompt, piece: str) -> bool:
    """Some number of `piece` is one of the integer literals of `read`'s statement (or what gcc makes
    of it: templates.TRANSFORMS), or the statement has none but zeros (AArch64 writes a zero as the zero
    register, no number)."""
    if not any(isinstance(n, int) and n != 0 for n in prompt_numbers(replace(read, decls=(), jumps=()))):
        return True
    return any(name in TRANSFORMS for name in _SLOT_NAME.findall(template_of(read, piece)))


_JUMP = {"x86-64": "\tjmp\t<C{}>\n", "aarch64": "\tb\t<C{}>\n"}
_LAST_JUMPS = re.compile(r"^\t(?:jmp|b|ret)\b[^\n]*\n?\Z", re.M)
_THEN_JUMPS = ("join", "over")  # an unconditional jump after the piece's own code (front/skeleton.py)


def jumped_on(prompt: Prompt, stored) -> Hit | None:
    """A then-branch's last piece jumps past the else (`join`), a piece that out-of-line blocks follow
    (`if (c) break;`'s, a forward `if (c) goto L;`'s) jumps over them (`over`), whatever its statement:
    the piece of the same prompt without that target, when the memory holds it at a sure level, then
    the jump; no jump after one that jumps already (a `return`, a `break`), as gcc writes none."""
    then = [(r, j) for r, j in prompt.jumps if r in _THEN_JUMPS]
    if len(then) != 1 or prompt.arch not in _JUMP:
        return None
    rest = tuple(j for j in prompt.jumps if j not in then)
    (inner, *_) = nearest(replace(prompt, jumps=rest, next=prompt.next if rest else None), stored, 1) or [None]
    if inner is None or not inner.sure:
        return None
    if _LAST_JUMPS.search(inner.piece):
        return inner
    return Hit(inner.level, inner.piece + _JUMP[prompt.arch].format(then[0][1]))


def nearest(prompt: Prompt, stored, k: int) -> list[Hit]:
    """Up to `k` hits with distinct pieces, nearest level first: at each level of LEVELS, the piece
    `stored(level, key)` holds for the prompt's key there (None: none), answered for the prompt; after
    the sure levels, the piece `jumped_on` composes."""
    out: list[Hit] = []
    for level, (key, read) in zip(LEVELS, views(prompt)):
        piece = stored(level, key) if key is not None else None
        hits = [jumped_on(prompt, stored)] if level == "numbers" else []
        hits.append(_answer(level, piece, read) if piece is not None else None)
        for hit in hits:
            if hit is not None and all(h.piece != hit.piece for h in out):
                out.append(hit)
                if len(out) == k:
                    return out
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

    def lookup(self, arch: str, prompt: Prompt) -> Hit | None:
        """The piece of the nearest key."""
        return next(iter(self.candidates(arch, prompt, 1)), None)

    def candidates(self, arch: str, prompt: Prompt, k: int) -> list[Hit]:
        """The pieces of the `k` nearest keys whose pieces differ, nearest first (what a retrieval-reading
        model reads beside the prompt, neural/reading.py)."""
        levels = self.levels(arch)
        stored = lambda level, key: (levels.get(level) or {}).get(key)
        found = nearest(prompt, stored, k)
        if found and found[0].sure:
            return found
        for alt in equivalents(prompt):  # the prompt in other words (equivalents.py)
            theirs = [Hit(h.level, alt.back(h.piece)) for h in nearest(alt.prompt, stored, k)]
            if theirs and (theirs[0].sure or not found):  # a sure piece in other words before a near one
                return (theirs + [h for h in found if all(h.piece != t.piece for t in theirs)])[:k]
        return found

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
    def own(pairs: list[tuple[Prompt, str]]) -> dict[tuple[str, str], Counter]:
        """One function's contribution, (level, key) -> pieces, from its (prompt, piece) pairs."""
        mine: dict[tuple[str, str], Counter] = defaultdict(Counter)
        for prompt, piece in pairs:
            for level, (key, read) in zip(LEVELS, views(prompt)):
                if key is not None:
                    mine[level, key][_stored(level, read, piece)] += 1
        return mine

    def add(self, arch: str, pairs: list[tuple[Prompt, str]]) -> None:
        levels = self.counts.setdefault(arch, {level: {} for level in LEVELS})
        for (level, key), pieces in self.own(pairs).items():
            levels[level].setdefault(key, Counter()).update(pieces)

    def lookup(self, arch: str, prompt: Prompt) -> Hit | None:
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

    def candidates(self, arch: str, pairs: list[tuple[Prompt, str]], k: int, layer: int = 0) -> list[list[Hit]]:
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
