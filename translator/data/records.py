"""Training records on disk: shards of JSONL, their train/valid split, a record's (prompt, piece) pairs as
the model reads and writes them, and the translation memory built from them (`python -m
neuralcc.translator.memory`). Nothing here reads token ids: that is neural/samples.py."""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import sys
from pathlib import Path
from typing import Iterator

from ..memory.store import PATTERN, MemoryBuilder, load_if_any
from ..prompts import Prompt, PromptStyle, rename_slots


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


def pieces_of(rec: dict, arch: str) -> list[tuple[Prompt, str]]:
    """A record's (prompt, gcc's piece) pairs for `arch`, as written."""
    return [(Prompt.from_json(prompt), target) for prompt, target in (rec.get("pieces") or {}).get(arch) or []]


def canonical_pieces(rec: dict, arch: str, style) -> list[tuple[Prompt, str]]:
    """A record's (prompt, piece) pairs for `arch` as the model reads and writes them."""
    out = []
    for prompt, target in pieces_of(rec, arch):
        prompt, names = style.apply(prompt)
        out.append((prompt, rename_slots(target, names)))
    return out


def memory_from_records(records, archs, style):
    """The memory (a MemoryBuilder) of "local" records' pieces, as a model with prompt style `style`
    reads them."""
    memory = MemoryBuilder()
    for r in records:
        for arch in archs:
            memory.add(arch, canonical_pieces(r, arch, style))
    return memory


def memory_main(argv=None) -> int:
    """`python -m neuralcc.translator.memory --model DIR --data LOCAL_DIR... [--fresh]`: add the training split
    of more "local" records (localdata.py's output) to the memory beside a model, without training it."""
    from types import SimpleNamespace

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
