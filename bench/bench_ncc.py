"""ncc on the project's kernel programs: outputs against the gcc build, the share of functions the model
wrote (neural-verified) per program and arch, and the build-time ratio ncc/gcc. One run, side by side.

    .venv/bin/python bench/bench_ncc.py                            # ncc's default translator, both arches, -O0
    .venv/bin/python bench/bench_ncc.py --opt O2 --translator gcc:O0 --arch x86-64

Every ncc build starts from an empty cache (a cached build re-translates nothing and would measure
only the cache). AArch64 programs run under qemu-aarch64.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from neuralcc.harness.translators import BEST_TRANSLATOR

ROOT = Path(__file__).resolve().parents[1]
PROGRAMS = ROOT / "corpora" / "kernels" / "programs"
BIN = Path(sys.executable).parent
TOOLS = {"x86-64": ("gcc", str(BIN / "ncc"), ""),
         "aarch64": ("aarch64-linux-gnu-gcc", str(BIN / "aarch64-linux-gnu-ncc"),
                     "qemu-aarch64 -L /usr/aarch64-linux-gnu")}


def build(cc: str, cflags: str, out: Path, run: str, env: dict) -> tuple[float, bool, str]:
    start = time.perf_counter()
    made = subprocess.run(["make", "-s", "-C", str(PROGRAMS), f"CC={cc}", f"CFLAGS={cflags}", f"OUT={out}", "all"],
                          env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if made.returncode != 0:
        return seconds, False, made.stderr[-2000:]
    checked = subprocess.run(["make", "-s", "-k", "-C", str(PROGRAMS), f"CC={cc}", f"CFLAGS={cflags}", f"OUT={out}",
                              f"RUN={run}", "check"], env=env, capture_output=True, text=True)
    return seconds, checked.returncode == 0, checked.stderr[-2000:]


def program_of(unit: str) -> str:
    stem = Path(unit).stem
    return stem[len("main_"):] if stem.startswith("main_") else stem


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", choices=list(TOOLS), help="default: both")
    ap.add_argument("--opt", default="O0", help="optimisation level of both builds (default O0: the model's level)")
    ap.add_argument("--translator", default=BEST_TRANSLATOR,
                    help=f"NCC_TRANSLATOR (default: ncc's, {BEST_TRANSLATOR}: the translator that measures best)")
    ap.add_argument("--mode", default="fallback", choices=("fallback", "strict", "neural"))
    ap.add_argument("--out", help="also write the results as JSON here")
    args = ap.parse_args(argv)
    results = {"opt": args.opt, "translator": args.translator, "mode": args.mode, "arches": {}}
    status = 0
    for arch in args.arch or list(TOOLS):
        gcc, ncc, run = TOOLS[arch]
        if arch == "aarch64" and not shutil.which("qemu-aarch64"):
            print(f"{arch}: skipped: qemu-aarch64 not installed (apt-get install qemu-user)")
            continue
        with tempfile.TemporaryDirectory(prefix="bench-ncc-") as td:
            td = Path(td)
            report = td / "report.jsonl"
            env = {**os.environ, "NCC_CACHE_DIR": str(td / "cache"), "NCC_REPORT": str(report),
                   "NCC_TRANSLATOR": args.translator, "NCC_MODE": args.mode, "NCC_QUIET": "1"}
            cflags = f"-{args.opt} -Wall"
            t_gcc, ok_gcc, err_gcc = build(gcc, cflags, td / "gcc", run, env)
            t_ncc, ok_ncc, err_ncc = build(ncc, cflags, td / "ncc", run, env)
            if not ok_gcc:
                print(f"{arch}: the gcc build failed:\n{err_gcc}")
                return 1
            same, differ = [], []
            for ref in sorted((td / "gcc").glob("*.out")):
                got = td / "ncc" / ref.name
                (same if got.exists() and got.read_bytes() == ref.read_bytes() else differ).append(ref.stem)
            per: dict[str, list[int]] = defaultdict(lambda: [0, 0])
            cats: dict[str, int] = defaultdict(int)
            rows = [json.loads(l) for l in report.read_text().splitlines()] if report.exists() else []
            for row in rows:
                p = per[program_of(row["unit"])]
                p[0] += row["outcome"] == "neural"
                p[1] += 1
                cats[row["category"]] += 1
            neural, total = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
            print(f"\n{arch} -{args.opt}, translator {args.translator}, NCC_MODE={args.mode}")
            print(f"  outputs identical to the gcc build: {len(same)}/{len(same) + len(differ)} programs"
                  + (f" (differ: {', '.join(differ)})" if differ else "") + ("" if ok_ncc else f"\n{err_ncc}"))
            print(f"  build time: gcc {t_gcc:.1f} s, ncc {t_ncc:.1f} s, ratio ncc/gcc {t_ncc / t_gcc:.0f}x")
            print(f"  functions neural-verified: {neural}/{total} ({100 * neural / max(total, 1):.1f}%)")
            print("  per program (neural-verified/functions): " + ", ".join(
                f"{name} {v[0]}/{v[1]}" for name, v in sorted(per.items())))
            print("  verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items(), key=lambda kv: -kv[1])))
            results["arches"][arch] = {
                "programs": len(same) + len(differ), "identical": len(same), "differ": differ,
                "ncc_build_ok": ok_ncc, "gcc_seconds": round(t_gcc, 2), "ncc_seconds": round(t_ncc, 2),
                "ratio": round(t_ncc / t_gcc, 1), "functions": total, "neural_verified": neural,
                "per_program": {k: {"neural": v[0], "functions": v[1]} for k, v in sorted(per.items())},
                "categories": dict(cats)}
            if differ or (not ok_ncc and args.mode != "strict"):
                status = 1
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
