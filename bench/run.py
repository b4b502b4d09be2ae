"""`make bench`: every benchmark in this folder, one after another (never two heavy jobs at once).

    python bench/run.py [--shared ../shared] [--quick] [--only verifier,faults,corpora,translator,training,ncc]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(HERE.parents[1] / "shared"))
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--only", default="verifier,faults,corpora,translator,training,ncc")
    args = ap.parse_args()
    status = 0
    for name in args.only.split(","):
        script = HERE / f"bench_{name}.py"
        if not script.exists():
            print(f"(no {script.name})")
            continue
        cmd = [sys.executable, str(script)]
        if name == "verifier":
            cmd += ["--shared", args.shared] + (["--quick"] if args.quick else [])
        if name == "faults" and args.quick:
            cmd.append("--quick")
        if name == "training":
            cmd += ["--steps", "10" if args.quick else "40"]
        runs = [cmd]
        if name == "translator":  # and what ncc and `--translator model+memory` do: the memory's pieces first
            runs.append([sys.executable, str(script), "--memory-first"])
        for run in runs:
            start = time.perf_counter()
            print(f"\n=== {' '.join([script.name, *run[2:]])} ===", flush=True)
            status |= subprocess.run(run).returncode
            print(f"=== {script.name}: {time.perf_counter() - start:.0f} s ===", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
