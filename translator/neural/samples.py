"""Corpus records -> token-id samples.

A sample is one (function, arch, opt): front/skeleton.py lays the unit out in pieces (a statement, a
loop's test, a prologue...) and each piece is read from its own short prompt: its role, its C, the
declarations of what it names, and the pieces it may jump to (`for-test: for (...) {<sep>int i;
int n;<sep>body <C4> exit <C10>`) -> the piece's assembly </s>. See prompts.py, back/pieces.py and
data/localdata.py; the records themselves, data/records.py.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path

from ..data.records import canonical_pieces, iter_records
from . import reading, tokenizer as T
from .asmgrammar import merged, table_from_records
from .model import pad_rows


@dataclass
class Sample:
    uri: str
    arch: str
    opt: str
    srcs: list[list[int]]  # encoder inputs, one per piece (its prompt)
    tgts: list[list[int]]  # decoder targets (with </s>), one per piece

    @property
    def n_tokens(self) -> int:
        return sum(map(len, self.srcs)) + sum(map(len, self.tgts))


def make_sample(tok, rec: dict, arch: str, opt: str, max_src: int, max_tgt: int, style=None,
                retrieval=None) -> Sample | None:
    """The function's pieces (localdata.py records), each its own encoder input, rewritten in `style`
    (prompts.PromptStyle, default: prompts as written); `retrieval(arch, pairs)`: the memory's
    candidates for each (prompt, piece), read after the prompt (neural/reading.py). Pieces that do not fit
    the model are left out; None if none fits (skipped in training, counted)."""
    from ..prompts import PromptStyle

    style = style or PromptStyle(rename=False, types=False)
    pairs = canonical_pieces(rec, arch, style) if opt == "O0" else []
    found = retrieval(arch, pairs) if retrieval is not None and pairs else None
    srcs, tgts = [], []
    for i, (prompt, target) in enumerate(pairs):
        s = reading.ids(tok, prompt, found[i], max_src) if found is not None else T.encode(tok, prompt.render())
        t = T.encode(tok, target) + [tok.eos_token_id]
        if len(s) <= max_src and len(t) <= max_tgt:
            srcs.append(s)
            tgts.append(t)
    if not srcs:
        return None
    return Sample(rec.get("uri", ""), arch, opt, srcs, tgts)


@dataclass
class Batch:
    groups: list  # [(labels, -100 = padding; encoder input ids; their attention mask)]
    n_tokens: int

    @property
    def n_target_tokens(self) -> int:
        return sum(int((g[0] != -100).sum()) for g in self.groups)


def collate(samples: list[Sample], pad_id: int, group_tokens: int = 3072) -> Batch:
    """Every target has its own encoder input (its piece's prompt). Pairs are sorted by length and each
    group pads its own sources and targets: one batch-wide encoder block, padded to the longest prompt
    (300 tokens against a mean of 49), did 4x the encoder's work."""
    pairs = [(src, tgt) for s in samples for src, tgt in zip(s.srcs, s.tgts)]
    pairs.sort(key=lambda p: (len(p[1]), len(p[0])))
    groups, cur, ls, lt = [], [], 0, 0
    for p in pairs:
        ls2, lt2 = max(ls, len(p[0])), max(lt, len(p[1]))
        if cur and (len(cur) + 1) * (ls2 + lt2) > group_tokens:
            groups.append(cur)
            cur, ls2, lt2 = [], len(p[0]), len(p[1])
        cur.append(p)
        ls, lt = ls2, lt2
    if cur:
        groups.append(cur)
    out = []
    for g in groups:
        ids, mask = pad_rows([p[0] for p in g], pad_id)
        labels, _ = pad_rows([p[1] for p in g], -100)
        out.append((labels, ids, mask))
    n = sum(len(p[0]) + len(p[1]) for p in pairs)
    return Batch(out, n)


# -- what a model reads beside its weights, built from training records ----------------------------
def memory_retrieval(memory, k: int):
    """make_sample's `retrieval` for functions the memory never saw (held-out ones)."""
    return lambda arch, pairs: [memory.candidates(arch, prompt, k) for prompt, _ in pairs]


def operands_main(argv=None) -> int:
    """python -m neuralcc.translator.neural.asmgrammar --model DIR --data DIR [DIR ...]: learn the table
    from "local" training records and store it in the model's config.json."""
    ap = argparse.ArgumentParser(prog="python -m neuralcc.translator.neural.asmgrammar",
                                 description=operands_main.__doc__)
    ap.add_argument("--model", required=True, help="model directory whose config.json gets the table")
    ap.add_argument("--data", nargs="+", required=True, help='"local" record directories (neuralcc train --data)')
    args = ap.parse_args(argv)
    path = Path(args.model) / "config.json"
    if not path.exists():
        print(f"asmgrammar: {path}: no such file (a model directory holds config.json)", file=sys.stderr)
        return 2
    records = list(iter_records(args.data, "train"))
    table = table_from_records(records)
    if not table:
        print(f"asmgrammar: no \"local\" pieces in {' '.join(args.data)}", file=sys.stderr)
        return 2
    config = json.loads(path.read_text())
    config["neuralcc_operands"] = merged(config.get("neuralcc_operands") or {}, table)
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    print(f"{path}: operand counts of {', '.join(f'{len(t)} {a}' for a, t in table.items())} mnemonics "
          f"from {len(records)} records", file=sys.stderr)
    return 0
