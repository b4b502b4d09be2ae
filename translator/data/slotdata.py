"""Training data with named stack slots (localdata.py's input): corpus shards -> the same records, O0
assembly with named stack slots (back/frame.py). The names come from gcc's `-fverbose-asm` comments, from
one compile per batch of units (the corpora's batching: every symbol of a unit starts with its entry
name).
The second stage of `neuralcc prepare-data` (prepare.py).
"""
from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

from tqdm import tqdm

from ..back import asmtext, frame
from .records import read_shards

OPT = "O0"


def verbose_asm(source: str, arch: str) -> str:
    """The corpora's label compile with gcc's operand comments (they name each stack slot)."""
    from neuralcc.corpora.label import compile_to_asm

    return compile_to_asm(source, arch, OPT, extra=["-fverbose-asm"])


def symbolic_label(rec: dict, arch: str, maps: dict) -> tuple[str, list] | None:
    """The record's normalised O0 assembly with named slots, and its line numbers (unchanged)."""
    asm = rec.get("asm", {}).get(arch, {}).get(OPT)
    if not asm:
        return None
    lines, nums = asmtext.clean_lines(asm, (rec.get("lines") or {}).get(arch, {}).get(OPT))
    return "\n".join(frame.symbolize(lines, maps, arch)) + "\n", nums


def named_slots(rec: dict, arch: str) -> tuple[str, list] | None:
    """symbolic_label for one record compiled on its own (slot names from its own verbose compile)."""
    maps = frame.slot_maps(verbose_asm(rec["source"], arch), arch, rec["source"])
    return symbolic_label(rec, arch, maps)


def _job(job: tuple[str, list[dict]]) -> list[tuple[int, str, tuple | str]]:
    """(index, arch, (asm, lines) or the reason it was dropped) for a batch of records."""
    arch, recs = job
    from neuralcc.corpora.label import Unit, build_batch_source

    text, _ = build_batch_source([Unit(r["entry"], r["source"]) for r in recs])
    try:
        maps = frame.slot_maps(verbose_asm(text, arch), arch, text)
    except subprocess.CalledProcessError:
        maps = None
    out = []
    for i, r in enumerate(recs):
        try:
            # one unit broke the batch: each on its own
            got = named_slots(r, arch) if maps is None else symbolic_label(r, arch, maps)
            out.append((i, arch, got if got else "no O0 assembly"))
        except (frame.FrameError, subprocess.CalledProcessError) as err:
            out.append((i, arch, type(err).__name__))
    return out


def convert(data: Path, out: Path, archs: list[str], workers: int, batch: int) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in data.iterdir() if p.name.endswith((".jsonl", ".jsonl.gz")))
    counts: Counter = Counter()
    with Pool(workers) as pool:
        for f in files:
            recs = list(read_shards(f))
            jobs = [(a, recs[i: i + batch]) for i in range(0, len(recs), batch) for a in archs]
            results: dict[tuple[int, str], tuple] = {}
            for j, rows in enumerate(tqdm(pool.imap(_job, jobs), total=len(jobs), desc=f.name,
                                          file=sys.stderr, mininterval=5)):
                base = (j // len(archs)) * batch
                for i, arch, got in rows:
                    if isinstance(got, str):
                        counts[f"{arch} dropped: {got}"] += 1
                    else:
                        results[(base + i, arch)] = got
                        counts[f"{arch} converted"] += 1
            name = f.name if f.name.endswith(".gz") else f.name + ".gz"
            with gzip.open(out / name, "wt") as fh:
                for i, r in enumerate(recs):
                    asm = {a: {OPT: results[(i, a)][0]} for a in archs if (i, a) in results}
                    if not asm:
                        continue
                    lines = {a: {OPT: results[(i, a)][1]} for a in asm}
                    fh.write(json.dumps({**r, "asm": asm, "lines": lines, "slots": True}) + "\n")
    report = {"source": str(data), "archs": archs, "opt": OPT, "counts": dict(sorted(counts.items()))}
    (out / "build-report.json").write_text(json.dumps(report, indent=1) + "\n")
    return report
