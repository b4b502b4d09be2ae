"""Training data for the "local" mode: corpus shards with named stack slots (slotdata.py) -> one record
per function with, for each arch, the (prompt, target) of every piece: the prompt's fields as JSON
(`prompts.Prompt.to_json`), gcc's piece as text (front/skeleton.py, prompts.py, back/pieces.py).

The third stage of `neuralcc prepare-data` (prepare.py). Reading the C (gcc -E and pycparser) costs ~50 ms a function, so it is done once here rather
than in every training epoch. A function whose gcc layout does not line up with the skeleton gives no
pieces for that arch; the counts go to <out>/report.json.
"""
from __future__ import annotations

import gzip
import json
from collections import Counter
from functools import partial
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from .. import prompts
from ..back import pieces
from ..front import skeleton
from ..front.csource import SourceError
from ..front.skeleton import scopes
from .records import read_shards

OPT = "O0"


def convert_record(rec: dict, archs=("x86-64", "aarch64"), params: bool = False) -> tuple[dict | None, Counter]:
    """`params`: a piece per parameter (skeleton.build), recorded as `"params": true`."""
    why = Counter()
    from neuralcc.verifier.errors import VerifierInputError

    try:
        skel = skeleton.build(rec["source"], params=params)
        if skel.refused:  # gcc's code has every function: the pieces would not line up with it
            raise next(iter(skel.refused.values()))[0]
        scope = scopes(rec["source"])
    except (SourceError, VerifierInputError, ValueError) as err:
        why[f"skeleton: {type(err).__name__}"] += 1
        return None, why
    out = {k: rec[k] for k in ("uri", "entry", "source", "split") if k in rec}
    out["pieces"] = {}
    if params:
        out["params"] = True
    for arch in archs:
        if not rec.get("asm", {}).get(arch, {}).get(OPT):
            why[f"{arch}: no label"] += 1
            continue
        targets = pieces.piece_targets(rec, arch, OPT, skel)
        if targets is None:
            why[f"{arch}: layout differs"] += 1
            continue
        pairs = []
        for p, t in zip(skel.pieces, targets):
            if p.role == "data" and not skel.globals:
                continue
            if t is None:
                why[f"{arch}: piece jumps elsewhere"] += 1
                continue
            pairs.append([prompts.prompt(skel, p, arch, OPT, scope.get(p.func, {}), rec["entry"]).to_json(), t])
        out["pieces"][arch] = pairs
        why[f"{arch}: aligned"] += 1
    return out, why


def convert(data: Path, out: Path, workers: int = 2, per_shard: int = 5000, params: bool = False) -> Counter:
    """Every record of `data` (slotdata's shards) as (prompt, piece) records in `out`; what happened, counted."""
    out.mkdir(parents=True, exist_ok=True)
    counts, shard, fh, n = Counter(), 0, None, 0
    with Pool(workers) as pool:
        jobs = pool.imap(partial(convert_record, params=params), read_shards(data), chunksize=16)
        for rec, why in tqdm(jobs, desc="pieces", mininterval=10):
            counts.update(why)
            if rec is None or not rec["pieces"]:
                continue
            if fh is None or n >= per_shard:
                if fh:
                    fh.close()
                fh = gzip.open(out / f"local-{shard:05d}.jsonl.gz", "wt")
                shard, n = shard + 1, 0
            fh.write(json.dumps(rec) + "\n")
            n += 1
    if fh:
        fh.close()
    (out / "report.json").write_text(json.dumps(dict(counts), indent=1, sort_keys=True) + "\n")
    return counts
