"""Corpus pipeline benchmark: generation rate, gcc labelling throughput, UB-check rate and drop rate.

    .venv/bin/python bench/bench_corpora.py --count 200000            # the issue's target (< 30 min)
    .venv/bin/python bench/bench_corpora.py --count 5000 --ub-count 2000

Labels are computed without the cache (a fresh one in a temporary directory), with both cores, for
both arches at O0 and O2. It refuses to start while a training job runs (the machine has 2 cores).
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def training_running() -> bool:
    for pat in ("neuralcc train", "train.py"):
        r = subprocess.run(["pgrep", "-f", pat], capture_output=True, text=True)
        if r.stdout.strip():
            return True
    return False


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=200000, help="functions to label")
    ap.add_argument("--seed", type=int, default=100)
    ap.add_argument("--ub-count", type=int, default=10000, help="functions for the UB-check rate (0: skip)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=250)
    ap.add_argument("--out", default=None, help="write the results as JSON here too")
    ap.add_argument("--force", action="store_true", help="run even if a training job is running")
    args = ap.parse_args(argv)

    if training_running() and not args.force:
        print("bench_corpora: a training job is running; refusing (use --force)", file=sys.stderr)
        return 2

    from neuralcc.corpora.build import generate_many
    from neuralcc.corpora.label import LabelStats, Unit, label_units
    from neuralcc.corpora.ubcheck import check_functions

    res: dict = {"count": args.count, "seed": args.seed, "workers": args.workers}
    t0 = time.time()
    fns = generate_many(args.seed, 0, args.count, workers=args.workers)
    res["generate_s"] = round(time.time() - t0, 1)
    res["generate_per_s"] = round(args.count / max(res["generate_s"], 1e-9))

    units = [Unit(f.name, f.source) for f in fns]
    stats = LabelStats()
    with tempfile.TemporaryDirectory() as td:
        t0 = time.time()
        label_units(units, ["x86-64", "aarch64"], ["O0", "O2"], cache_path=Path(td) / "c.sqlite",
                    workers=args.workers, batch_size=args.batch_size, stats=stats)
        dt = time.time() - t0
    pairs = stats.batched + stats.single + stats.failed
    res.update({"label_s": round(dt, 1), "label_min": round(dt / 60, 2), "pairs": pairs,
                "pairs_per_min": round(pairs / dt * 60), "batched": stats.batched, "single": stats.single,
                "compile_failures": stats.failed, "errors": stats.errors[:10],
                "target_met": dt < 30 * 60 and stats.failed == 0})
    print(f"labelled {args.count} functions x 2 arches x (O0, O2) = {pairs} pairs in {dt / 60:.1f} min "
          f"({res['pairs_per_min']} pairs/min; {stats.single} compiled alone; {stats.failed} failures)")

    if args.ub_count:
        sub = fns[:args.ub_count]
        t0 = time.time()
        rep = check_functions(sub, workers=args.workers)
        dt = time.time() - t0
        res.update({"ub_checked": rep.checked, "ub_dropped": len(rep.dropped), "ub_drop_rate": rep.drop_rate,
                    "ub_s": round(dt, 1), "ub_per_s": round(rep.checked / dt, 1),
                    "constant_output": len(rep.constant_output), "return0_passes": len(rep.return0_passes)})
        print(f"UB check: {len(rep.dropped)}/{rep.checked} dropped ({100 * rep.drop_rate:.3f}%) in {dt:.0f} s; "
              f"constant output {len(rep.constant_output)}, return-0 passes {len(rep.return0_passes)}")
    print(json.dumps(res, indent=1))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(res, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
