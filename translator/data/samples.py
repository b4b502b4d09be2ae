"""Corpus records -> token-id samples.

A sample is one (function, arch, opt): front/skeleton.py lays the unit out in pieces (a statement, a
loop's test, a prologue...) and each piece is read from its own short prompt: its role, its C, the
declarations of what it names, and the pieces it may jump to (`for-test: for (...) {<sep>int i;
int n;<sep>body <C4> exit <C10>`) -> the piece's assembly </s>. See prompts.py, back/pieces.py and
localdata.py.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from ..memory.store import PATTERN, MemoryBuilder, load_if_any
from ..neural import reading, tokenizer as T
from ..neural.asmgrammar import merged, table_from_records
from ..neural.model import pad_rows


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


def read_shards(path: str | Path) -> Iterator[dict]:
    path = Path(path)
    files = sorted(path.rglob("*.jsonl")) + sorted(path.rglob("*.jsonl.gz")) if path.is_dir() else [path]
    for f in files:
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def is_heldout(uri: str, percent: float = 2.0) -> bool:
    h = int(hashlib.sha1(uri.encode()).hexdigest()[:8], 16)
    return (h % 10000) < percent * 100


def iter_records(paths, split: str) -> Iterator[dict]:
    """Records of `split` ("train" or "valid") from one or more shard directories. The corpora's
    own "split" field wins; records without one are held out 2% by a hash of their uri."""
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        for rec in read_shards(path):
            if "split" in rec:
                if rec["split"] == split:
                    yield rec
            elif is_heldout(rec.get("uri", rec["source"])) == (split != "train"):
                yield rec


def canonical_pieces(rec: dict, arch: str, style) -> list[tuple[str, str]]:
    """A record's (prompt, piece) pairs for `arch` as the model reads and writes them."""
    from ..prompts import rename_slots

    out = []
    for prompt, target in (rec.get("pieces") or {}).get(arch) or []:
        prompt, names = style.apply(prompt)
        out.append((prompt, rename_slots(target, names)))
    return out


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
        s = reading.ids(tok, prompt, found[i], max_src) if found is not None else T.encode(tok, prompt)
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
def memory_from_records(records, archs, style):
    """The memory (a MemoryBuilder) of "local" records' pieces, as a model with prompt style `style`
    reads them."""
    memory = MemoryBuilder()
    for r in records:
        for arch in archs:
            memory.add(arch, canonical_pieces(r, arch, style))
    return memory


def memory_retrieval(memory, k: int):
    """make_sample's `retrieval` for functions the memory never saw (held-out ones)."""
    return lambda arch, pairs: [memory.candidates(arch, prompt, k) for prompt, _ in pairs]


def memory_main(argv=None) -> int:
    """`python -m neuralcc.translator.memory --model DIR --data LOCAL_DIR... [--fresh]`: add the training split
    of more "local" records (localdata.py's output) to the memory beside a model, without training it."""
    from types import SimpleNamespace

    from ..prompts import PromptStyle

    ap = argparse.ArgumentParser(prog="python -m neuralcc.translator.memory", description=memory_main.__doc__)
    ap.add_argument("--model", required=True, help="model directory; its memory files are rewritten")
    ap.add_argument("--data", required=True, nargs="+", help="local-mode record directories")
    ap.add_argument("--arch", nargs="+", default=["x86-64", "aarch64"])
    ap.add_argument("--fresh", action="store_true",
                    help="replace the model's memory instead of adding to it (after the key format changed, or to "
                         "drop data of another layout)")
    ap.add_argument("--fill", action="store_true",
                    help="add only keys the memory lacks: every prompt it answers now keeps its answer (data of "
                         "another kind, e.g. corpora/statements.py's, that should not outvote the kernels')")
    args = ap.parse_args(argv)
    model_dir = Path(args.model)
    if not (model_dir / "config.json").is_file():
        print(f"memory: error: {model_dir}: no model here", file=sys.stderr)
        return 2
    config = json.loads((model_dir / "config.json").read_text())
    if config.get("neuralcc_mode") != "local":
        print(f"memory: error: {model_dir}: not a local-mode model", file=sys.stderr)
        return 2
    if args.fresh and args.fill:
        print("memory: error: --fresh and --fill contradict each other", file=sys.stderr)
        return 2
    records = list(iter_records(args.data, "train"))
    memory = memory_from_records(records, args.arch, PromptStyle.of(SimpleNamespace(**config))).freeze()
    older = None if args.fresh else load_if_any(model_dir)
    if older is not None:
        memory = older.merged_over(memory) if args.fill else memory.merged_over(older)
    memory.save(model_dir)
    print(f"memory: {len(records)} training functions added; {sum(len(memory.levels(a).get('exact', {})) for a in memory.arches())} "
          f"exact prompts in {model_dir}/{PATTERN}", file=sys.stderr)
    return 0


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
