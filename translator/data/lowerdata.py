"""Training data for lowered translation: corpus shards -> the same records with every function
rewritten to one operation per statement (front/lower.py) and labelled again by gcc at -O0.

The first stage of `neuralcc prepare-data` (prepare.py), which runs all three.

The output has the corpus's own format (URIs, splits and annotations unchanged; `meta.lowered` counts
what was rewritten), so slotdata.py and localdata.py convert it as they convert any corpus. Lowering
ran at 140 functions/s on 2 cores here (gcc -E and pycparser); `--limit` keeps a conversion to what a
training run will read (a 38-minute run read about 7,000 of 9,545 training functions).
"""
from __future__ import annotations

import json
import sys
from collections import Counter
from functools import partial
from itertools import islice
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from ..front.csource import SourceError
from ..front.lower import lower_unit
from .records import read_shards

OPT = "O0"


def _lower(rec: dict, atoms: bool = False) -> tuple[dict, str | None]:
    try:
        low = lower_unit(rec["source"], atoms=atoms)
    except (SourceError, ValueError) as err:
        return rec, f"not lowered: {type(err).__name__}"
    meta = {**rec.get("meta", {}), "lowered": {"statements": low.statements, "temporaries": low.temporaries,
                                                "kept": len(low.kept), "atoms": atoms}}
    return {**rec, "source": low.source, "meta": meta}, None


def convert(data: Path, out: Path, archs: list[str], workers: int, limit: int | None, atoms: bool = False) -> dict:
    from neuralcc.corpora.label import Unit, label_units
    from neuralcc.corpora.shards import ShardWriter

    recs = []
    for f in sorted(data.glob("*.jsonl*")):  # every valid and test record, the first `limit` of train
        left = None if limit is None or not f.name.startswith("train") else \
            max(0, limit - sum(r["split"] == "train" for r in recs))
        recs.extend(islice(read_shards(f), left))
    counts: Counter = Counter()
    lowered = []
    with Pool(workers) as pool:
        for rec, why in tqdm(pool.imap(partial(_lower, atoms=atoms), recs, chunksize=16), total=len(recs), desc="lower",
                             file=sys.stderr, mininterval=5):
            if why:
                counts[why] += 1
                continue
            counts["lowered"] += 1
            counts["statements rewritten"] += rec["meta"]["lowered"]["statements"]
            counts["temporaries"] += rec["meta"]["lowered"]["temporaries"]
            counts["statements kept as written"] += rec["meta"]["lowered"]["kept"]
            lowered.append(rec)
    units = [Unit(r["entry"], r["source"]) for r in lowered]
    labels = label_units(units, archs, [OPT], cache_path=str(out / "labels.sqlite"), workers=workers)
    with ShardWriter(out) as w:
        for r, u in zip(lowered, units):
            lab = labels[u.key]
            if any(lab[a][OPT].asm is None for a in archs):
                counts["gcc failed on the lowered source"] += 1
                continue
            w.write({**r, "asm": {a: {OPT: lab[a][OPT].asm} for a in archs},
                     "lines": {a: {OPT: lab[a][OPT].lines} for a in archs}})
            counts["written"] += 1
    report = {"source": str(data), "archs": archs, "opt": OPT, "atoms": atoms, "counts": dict(sorted(counts.items()))}
    (out / "build-report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report
