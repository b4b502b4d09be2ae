"""Guess and check: after the verifier fails a translation, rewrite the piece most likely at fault and
put the whole back together for another check, within the caller's budget of verifier calls.

    repair = Repair(translation.draft)
    while budget and not verdict.passed and (asm := repair.next(verdict)) is not None:
        verdict = checker.check(asm); budget -= 1

Which piece: the one holding the assembly line the verdict names (an assembler error, an undefined
symbol, a fault's pc), then the others in order of doubt: pieces nobody wrote (the memory held nothing
near and no model wrote it), pieces the model wrote, pieces the memory held at a far level (farthest
first); exact hits last (gcc's own piece for that very prompt). What replaces it: the memory's pieces of
the other levels for the same prompt (nearest first), then the model's samples. A change whose verdict
gets no further (`progress`: assembled, then ran without a fault, then computed the right answer, and
through more of the verifier's inputs before the first it fails) is undone, so each try changes one piece
against the best translation so far.

The translator reads only the verdict (its category and line), never gcc's code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .back.pieces import line_pieces
from .memory.store import LEVELS

SAMPLES_PER_PIECE = 4  # model samples tried for one piece, after the memory's other pieces
_STAGES = ("asm", "symbol", "register", "memory", "control", "semantic")


def progress(verdict) -> tuple[int, int]:
    """How far a candidate got: rejected before running (asm, symbol), faulted or broke the ABI while
    running, ran to the end with a wrong answer, passed; then how many inputs it got through before the
    one it failed on (the verifier's inputs come in one fixed order)."""
    family = verdict.category.split(".")[0]
    stage = 3 if verdict.category == "pass" else 0 if family in ("asm", "symbol") else 2 if family == "semantic" else 1
    return stage, verdict.inputs_checked


def doubt(level: str | None, by_model: bool) -> int:
    """Larger: more likely wrong."""
    if level is None:
        return len(LEVELS) + 1
    if by_model:
        return len(LEVELS)
    return LEVELS.index(level)


@dataclass
class Repair:
    draft: object  # neural.decode.Draft
    texts: list = field(init=False)  # the best translation so far, per skeleton piece
    best: tuple = field(init=False, default=(-1, 0))  # its progress
    line: int | None = field(init=False, default=None)  # the assembly line its verdict names
    tried: list = field(init=False)  # per row, how many of its candidates were tried
    pending: tuple | None = field(init=False, default=None)  # (row, the text it replaced) under test
    changed: list[int] = field(init=False, default_factory=list)  # skeleton pieces kept rewritten

    def __post_init__(self):
        self.texts = list(self.draft.texts)
        self.tried = [0] * len(self.draft.rows)

    def _candidate(self, r: int) -> str | None:
        """Row r's next untried text, or None when it has none left."""
        d = self.draft
        alternatives = d.alternatives[r]
        while self.tried[r] < len(alternatives) + (SAMPLES_PER_PIECE if d.sample is not None else 0):
            k = self.tried[r]
            self.tried[r] += 1
            text = alternatives[k] if k < len(alternatives) else d.sample(r, k - len(alternatives))
            if text is not None and text != self.texts[d.rows[r].index]:
                return text
        return None

    def _suspects(self, asm: str, line: int | None) -> list[int]:
        """Rows in the order they are rewritten: the piece holding `line` (1-based), then by doubt."""
        d = self.draft
        order = sorted(range(len(d.rows)), key=lambda r: (-doubt(d.levels[r], d.by_model[r]), r))
        if line:
            owners = line_pieces(d.skel, asm)
            if 0 < line <= len(owners):
                blamed = [r for r, p in enumerate(d.rows) if p.index == owners[line - 1]]
                order = blamed + [r for r in order if r not in blamed]
        return order

    def rewritten(self, passed: bool) -> list[int]:
        """The skeleton pieces the last candidate has rewritten (`passed`: the last candidate passed)."""
        return self.changed + ([self.draft.rows[self.pending[0]].index] if passed and self.pending else [])

    def next(self, verdict) -> str | None:
        """The verdict of the last candidate (the first call: of the translation itself) -> the next
        candidate's assembly, or None when nothing is left to try."""
        d = self.draft
        reached = progress(verdict)
        if self.pending is not None:
            r, old = self.pending
            if reached > self.best:
                self.changed.append(d.rows[r].index)
            else:
                self.texts[d.rows[r].index] = old
            self.pending = None
        if reached > self.best:
            self.best, self.line = reached, verdict.line
        asm = d.assemble(self.texts)
        for r in self._suspects(asm, self.line):
            text = self._candidate(r)
            if text is not None:
                self.pending = (r, self.texts[d.rows[r].index])
                self.texts[d.rows[r].index] = text
                return d.assemble(self.texts)
        return None
