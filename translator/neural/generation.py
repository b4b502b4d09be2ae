"""What steers the model's generate(): a stop for rows that repeat themselves, per-row banned tokens, and the
stack-slot grammar. Imported only when a model writes (torch and transformers take seconds to import)."""
from __future__ import annotations

import torch
from transformers import LogitsProcessor, StoppingCriteria


class RepetitionStop(StoppingCriteria):
    """Stop a row whose last `period` tokens (any period up to `longest`) came `times` times in a row:
    an under-trained model repeats one instruction to the length cap, which costs most of the decoding
    time and cannot be right. The row is then reported as cut (no </s>), like one that hit the cap."""

    def __init__(self, longest: int = 16, times: int = 6):
        self.longest, self.times = longest, times

    def __call__(self, input_ids: torch.LongTensor, scores, **kwargs) -> torch.BoolTensor:
        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        length = input_ids.shape[1]
        for period in range(1, self.longest + 1):
            if period * self.times > length:
                break
            tail = input_ids[:, length - period * self.times:].reshape(input_ids.shape[0], self.times, period)
            done |= (tail == tail[:, -1:, :]).all(dim=2).all(dim=1)
        return done


class RowMask(LogitsProcessor):
    """Per-row banned tokens (a piece may only name the pieces it may jump to)."""

    def __init__(self, banned: torch.BoolTensor):
        self.banned = banned

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        banned = self.banned
        if banned.shape[0] != scores.shape[0]:  # beams: each row's beams are consecutive
            banned = banned.repeat_interleave(scores.shape[0] // banned.shape[0], dim=0)
        return scores.masked_fill(banned[:, : scores.shape[1]], float("-inf"))


class SlotGrammar(LogitsProcessor):
    """With canonical names: a stack slot `@V?@` may only name one of the row's own variables (VA, VB,
    ... of its prompt), and a prologue (or a parameter's piece) ends once every parameter is stored:
    after the line that stores the last one, no new line may start. Without it the model went on
    storing a parameter that does not exist (`movl %ecx, @VE@(%rbp)` after VD) in most functions."""

    def __init__(self, tok, rows: list[tuple[list[str], bool]]):
        ids = lambda t: tok.convert_tokens_to_ids(t)
        self.at, self.v = ids("@"), ids("V")
        self.letters = [ids(chr(c)) for c in range(ord("A"), ord("Z") + 1)]
        self.line_starts = [i for i in (ids("\n\t"), ids("\t")) if i is not None and i != tok.unk_token_id]
        self.rows = [(len(names), prologue) for names, prologue in rows]  # per row: names, is it a prologue

    def __call__(self, input_ids: torch.LongTensor, scores: torch.FloatTensor) -> torch.FloatTensor:
        beams = scores.shape[0] // len(self.rows)
        tails = input_ids[:, -2:].tolist()  # whole rows only for prologues
        for r, ids in enumerate(tails):
            n_names, prologue = self.rows[r // beams]
            if len(ids) >= 2 and ids[-2] == self.at and ids[-1] == self.v:
                scores[r, self.letters[n_names:]] = float("-inf")
                scores[r, self.v] = float("-inf")
            elif ids and ids[-1] == self.at and n_names == 0:
                scores[r, self.v] = float("-inf")
            if prologue and n_names:
                ids = input_ids[r].tolist()
                named = {ids[i + 2] for i in range(len(ids) - 2) if ids[i] == self.at and ids[i + 1] == self.v}
                if len(named) >= n_names:  # every parameter stored: finish this line, start no other
                    scores[r, self.line_starts] = float("-inf")
        return scores
