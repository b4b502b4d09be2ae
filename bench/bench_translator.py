"""Translator latency: median greedy time per function on one core, and generated tokens/s.

    python bench/bench_translator.py [--model DIR] [--data DIR] [-n 20] [--arch x86-64]

Functions come from the held-out ("valid") split of --data (default: data/synthetic-v1,
then data/synthetic-v1-x86), else from a small generated set. Reported per C length so the
"20-line function under 2 s" target can be read off directly. Training throughput: bench_training.py.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def load_functions(data: str | None, n: int, arch: str) -> list[dict]:
    from neuralcc.translator.data import records as R, toydata

    candidates = [Path(data)] if data else [ROOT / "data" / "synthetic-v1", ROOT / "data" / "synthetic-v1-x86"]
    for c in candidates:
        if c.exists():
            recs = [r for r in itertools.islice(R.iter_records([c], "valid"), 4 * n) if arch in r.get("asm", {})]
            if recs:
                return recs[:n]
    return toydata.make_records_fast(n, seed=99)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=None)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--arch", default="x86-64")
    ap.add_argument("--opt", default="O0")
    ap.add_argument("--memory-first", action="store_true",
                    help="pieces the translation memory holds come from it, the model writes the rest "
                         "(`--translator model+memory`, what ncc uses); default: the model writes every piece")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from neuralcc.cbase.csource import find_functions
    from neuralcc.translator.front.csource import SourceError
    from neuralcc.translator.neural.decode import DEFAULT_MODEL, DecodeOptions, NeuralTranslator

    tr = NeuralTranslator(args.model or DEFAULT_MODEL)
    opt = DecodeOptions(memory_first=args.memory_first)
    recs = load_functions(args.data, args.n, args.arch)
    rows = []
    t = time.perf_counter()
    tr.translate(recs[0]["source"], args.arch, args.opt, entry=recs[0]["entry"], opt=opt)  # warm-up
    first = time.perf_counter() - t  # includes reading the arch's translation memory, if the model has one
    for r in recs:
        f = {x.name: x for x in find_functions(r["source"])}.get(r["entry"])
        lines = sum(1 for l in r["source"].split("\n")[f.line - 1 : f.last_line] if l.strip()) if f else 0
        t = time.perf_counter()
        try:
            (out,) = tr.translate(r["source"], args.arch, args.opt, entry=r["entry"], opt=opt)
        except SourceError:
            continue
        dt = time.perf_counter() - t
        rows.append({"lines": lines, "seconds": dt, "tokens": out.new_tokens})
    secs = [x["seconds"] for x in rows]
    near20 = [x["seconds"] for x in rows if 17 <= x["lines"] <= 23]
    report = {
        "functions": len(rows),
        "arch": args.arch,
        "threads": 1,
        "median_s": round(statistics.median(secs), 3),
        "p90_s": round(sorted(secs)[int(0.9 * (len(secs) - 1))], 3),
        "tokens_per_s": round(sum(x["tokens"] for x in rows) / sum(secs), 1),
        "median_s_17_23_lines": round(statistics.median(near20), 3) if near20 else None,
        "first_translation_s": round(first, 3),
        "translation_memory": tr.memory is not None,
        "memory_first": args.memory_first,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
