"""The instruction grammar gcc's own output follows, learnt from the training targets and enforced
while decoding: a line starts with a mnemonic gcc writes, and ends only after as many operands as
gcc ever gives that mnemonic.

Why: the most common single mistake of the trained model under teacher forcing was ending an
instruction after its first operand (`movl %eax` then a new line, where gcc writes `, `: 335 of
4,607 mispredicted tokens on 30 held-out functions). Such a line never assembles, and
once off track the model tends to repeat it to the length cap. The grammar only removes choices gcc
never makes, so it can never turn a right piece wrong (tests/test_translator_local.py checks every
token of gcc's own pieces is allowed).

The table (`operand_counts`) is stored in the model's config (`neuralcc_operands`: per arch,
mnemonic -> the operand counts seen), written by `neuralcc train`, or added to a trained model
with `python -m neuralcc.translator.neural.asmgrammar --model DIR --data DIR`.
"""
from __future__ import annotations

import sys
from collections import defaultdict
from typing import Iterable

import torch
from transformers import LogitsProcessor

from ..back.asmtext import SEP  # what follows it in a piece is its constants (directives), not instructions

WINDOW = 48  # tokens read back from the end of a row; a longer line is left alone


def split_operands(text: str) -> list[str]:
    """An instruction's operand text split at the top-level ", " (not inside () or [])."""
    out, depth, cur, i = [], 0, "", 0
    while i < len(text):
        ch = text[i]
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0 and text.startswith(", ", i):
            out.append(cur)
            cur, i = "", i + 2
            continue
        cur += ch
        i += 1
    return out + [cur] if cur or out else out


def instructions(piece: str) -> Iterable[tuple[str, int]]:
    """(mnemonic, operand count) of each instruction line of a piece's target text: lines that start
    with a tab (labels do not), up to the piece's constants."""
    for line in piece.split(SEP, 1)[0].split("\n"):
        if not line.startswith("\t") or not line.strip():
            continue
        mnemonic, _, rest = line[1:].partition("\t")
        yield mnemonic, len(split_operands(rest))


def operand_counts(targets: Iterable[str]) -> dict[str, list[int]]:
    """mnemonic -> sorted operand counts gcc wrote it with, over `targets` (one arch's pieces)."""
    seen: dict[str, set[int]] = defaultdict(set)
    for t in targets:
        for m, n in instructions(t):
            seen[m].add(n)
    return {m: sorted(v) for m, v in sorted(seen.items())}


def table_from_records(records: Iterable[dict]) -> dict[str, dict[str, list[int]]]:
    """Per arch, the operand-count table of "local" records' target pieces."""
    texts: dict[str, list[str]] = defaultdict(list)
    for r in records:
        for arch, pairs in (r.get("pieces") or {}).items():
            texts[arch].extend(t for _, t in pairs)
    return {arch: operand_counts(ts) for arch, ts in sorted(texts.items())}


def merged(*tables: dict[str, dict[str, list[int]]]) -> dict[str, dict[str, list[int]]]:
    """The union of per-arch tables (a fine-tuned model keeps what its initial model was taught)."""
    out: dict[str, dict[str, set[int]]] = defaultdict(lambda: defaultdict(set))
    for table in tables:
        for arch, counts in table.items():
            for m, ns in counts.items():
                out[arch][m].update(ns)
    return {a: {m: sorted(ns) for m, ns in sorted(t.items())} for a, t in sorted(out.items())}


class OperandGrammar(LogitsProcessor):
    """Bans, per row and step, the tokens that would leave gcc's grammar (module docstring):
    - within a mnemonic: any token that does not continue one in the table;
    - after it: a new line or the piece's end before the operand count reaches one the table has for
      the mnemonic, and `, ` once it has reached the largest (at the top level: `[sp, 12]` and
      `0(,%rax,8)` hold commas of their own).
    Label lines (not tab-led) and a piece's constants are left alone."""

    def __init__(self, tok, table: dict[str, list[int]]):
        vocab = len(tok)
        self.strings = [tok.convert_ids_to_tokens(i) or "" for i in range(vocab)]
        self.id = lambda t: tok.convert_tokens_to_ids(t)
        self.nl, self.nl_tab, self.tab, self.comma = self.id("\n"), self.id("\n\t"), self.id("\t"), self.id(", ")
        self.sep = self.id(SEP)
        self.ends = [i for i in (self.nl, self.nl_tab, tok.eos_token_id, self.sep) if i is not None]
        self.table = table
        self.prefixes = {m[:k] for m in table for k in range(len(m) + 1)}
        self._mnemonic_masks: dict[str, torch.BoolTensor] = {}

    def _line(self, ids: list[int], whole: bool) -> list[int] | None:
        """The tokens of the instruction being written after its leading tab, or None when the
        current line is not an instruction (a label), not begun, or longer than the window. `ids`: the
        row's last tokens; `whole`: they are the entire row after its decoder start token."""
        start = None
        for k in range(len(ids) - 1, -1, -1):
            if ids[k] in (self.nl, self.nl_tab):
                start = k + 1
                break
        if start is None and not whole:
            return None
        start = start or 0
        line = ids[start:]
        if start and ids[start - 1] == self.nl_tab:
            return line
        if line and line[0] == self.tab:  # the piece's first line, or a line after "\n"
            return line[1:]
        return None

    def _mnemonic_mask(self, prefix: str) -> torch.BoolTensor:
        """Banned tokens while the mnemonic written so far is `prefix`."""
        mask = self._mnemonic_masks.get(prefix)
        if mask is None:
            mask = torch.tensor([prefix + s not in self.prefixes or not s for s in self.strings])
            counts = self.table.get(prefix)
            if counts and max(counts) > 0:
                mask[self.tab] = False
            if counts and 0 in counts:
                mask[self.ends] = False
            self._mnemonic_masks[prefix] = mask
        return mask

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        # Only the rows' last WINDOW tokens are read: reading whole rows every step made decoding 2.4x
        # slower (tokens/s, 182 held-out functions).
        constants = (input_ids == self.sep).any(dim=1).tolist() if self.sep is not None else None
        whole = input_ids.shape[1] <= WINDOW + 1
        tails = input_ids[:, 1:].tolist() if whole else input_ids[:, -WINDOW:].tolist()  # [:, 0]: decoder start
        for r, ids in enumerate(tails):
            line = None if constants and constants[r] else self._line(ids, whole)
            if line is None:
                continue
            if self.tab not in line:
                prefix = "".join(self.strings[i] for i in line)
                if prefix in self.prefixes:
                    mask = self._mnemonic_mask(prefix)
                    scores[r, : mask.shape[0]] = scores[r, : mask.shape[0]].masked_fill(mask, float("-inf"))
                continue
            cut = line.index(self.tab)
            counts = self.table.get("".join(self.strings[i] for i in line[:cut]))
            if not counts:
                continue
            depth, commas, current = 0, 0, False
            for i in line[cut + 1:]:
                if i == self.comma and depth == 0:
                    commas, current = commas + 1, False
                    continue
                s = self.strings[i]
                depth += s.count("(") + s.count("[") - s.count(")") - s.count("]")
                current = True
            if depth != 0:
                continue
            if not (current and commas + 1 in counts):
                scores[r, self.ends] = float("-inf")
            if not current or commas + 1 >= max(counts):
                scores[r, self.comma] = float("-inf")
        return scores


if __name__ == "__main__":  # learning the table is training's work: the command lives in neural/samples.py
    from .samples import operands_main

    sys.exit(operands_main())
