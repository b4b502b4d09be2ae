"""Verifier benchmarks: checking speed next to native calls, the mutant confusion matrix, false alarms.

    python bench/bench_verifier.py [--shared ../shared] [--part speed,mutants,humaneval] [--quick]
"""
from __future__ import annotations

import argparse
import collections
import ctypes
import json
import subprocess
import tempfile
import time
from multiprocessing import Pool
from pathlib import Path

from neuralcc.verifier.check import Checker
from neuralcc.verifier.mutate import INJECTABLE, MutationError, mutate, shape_of

SPEED_SOURCE = r"""
int small(int a, int b) { return (a ^ b) + (a >> 3) - b * 5; }
// ncc: len(a)=n len(b)=n range(n)=0..16
long dot(const int *a, const int *b, int n) { long s = 0; for (int i = 0; i < n; i++) s += (long)a[i] * b[i]; return s; }
"""


def speed(inputs: int) -> None:
    print(f"\n## Checking speed (one core, {inputs} random inputs, assembly and reference runs excluded)\n")
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "k.c").write_text(SPEED_SOURCE)
        subprocess.run(["gcc", "-O0", "-shared", "-fPIC", "-o", f"{d}/k.so", f"{d}/k.c"], check=True)
        lib = ctypes.CDLL(f"{d}/k.so")
        print("| function | arch | checked inputs/s | with both references run too | native ctypes calls/s | ratio native/checked |")
        print("|---|---|---|---|---|---|")
        for fn in ("small", "dot"):
            for arch in ("x86-64", "aarch64"):
                checker = Checker(SPEED_SOURCE, arch, "O0", fn, examples=0, random_inputs=inputs, seed=0)
                cand = checker.build(checker.reference_asm)
                items = checker.items
                start = time.perf_counter()
                for item in items:
                    assert checker.judge(cand, item) is None
                rate = len(items) / (time.perf_counter() - start)
                start = time.perf_counter()
                for item in items[:1000]:
                    checker.reference_item(item.value)
                    checker.judge(cand, item)
                full = min(len(items), 1000) / (time.perf_counter() - start)
                native = _native_rate(lib, fn, items)
                print(f"| {fn} | {arch} | {rate:,.0f} | {full:,.0f} | {native:,.0f} | {native / rate:,.0f}x |")


def _native_rate(lib, fn, items) -> float:
    f = getattr(lib, fn)
    args = []
    for item in items:
        if fn == "small":
            args.append((item.value["a"], item.value["b"]))
        else:
            n = item.value["n"]
            args.append(((ctypes.c_int * max(n, 1))(*item.value["a"]), (ctypes.c_int * max(n, 1))(*item.value["b"]), n))
    start = time.perf_counter()
    for a in args:
        f(*a)
    return len(args) / (time.perf_counter() - start)


def _mutant_job(job):
    source, name, arch, fn = job
    rows = []
    try:
        checker = Checker(source, arch, "O0", fn, examples=30, random_inputs=150, seed=0)
    except Exception as err:  # a corpus entry the verifier cannot read: report, do not stop
        return [(name, arch, "-", f"checker: {err}")]
    if checker.unsupported:
        return rows
    shape = shape_of(checker.spec)
    for category in INJECTABLE:
        try:
            mutant = mutate(checker.reference_asm, arch, category, fn, shape=shape)
        except MutationError:
            continue
        rows.append((name, arch, category, checker.check(mutant).category))
    return rows


def mutants(benchmarks, workers: int) -> None:
    jobs = [(src, name, arch, fn) for name, src, fn in benchmarks for arch in ("x86-64", "aarch64")]
    rows = []
    with Pool(workers) as pool:
        for r in pool.imap_unordered(_mutant_job, jobs):
            rows += r
    matrix = collections.defaultdict(collections.Counter)
    for _, _, injected, got in rows:
        if injected != "-":
            matrix[injected][got] += 1
    changed = [(i, g) for _, _, i, g in rows if i != "-" and g != "pass"]
    right = sum(i == g for i, g in changed)
    print(f"\n## Fault injection: {len(rows)} mutants of {len(benchmarks)} functions x 2 arches, -O0\n")
    print(f"Behaviour changed in {len(changed)}; the verdict named the injected category in {right} "
          f"({100 * right / max(len(changed), 1):.1f}%).\n")
    cols = sorted({g for c in matrix.values() for g in c})
    print("| injected \\ verdict | " + " | ".join(c.split(".")[-1] for c in cols) + " |")
    print("|---|" + "---|" * len(cols))
    for injected in INJECTABLE:
        if injected in matrix:
            print(f"| {injected} | " + " | ".join(str(matrix[injected].get(c, "")) for c in cols) + " |")
    wrong = [(n, a, i, g) for n, a, i, g in rows if i != g and g != "pass"]
    for n, a, i, g in wrong[:20]:
        print(f"- {n} [{a}]: injected {i}, verdict {g}")


def _gcc_job(job):
    task, arch, opt, source, test = job
    try:
        checker = Checker(source, arch, opt, "func0", examples=50, random_inputs=300, seed=0, test_source=test)
        v = checker.check(checker.reference_asm)
        return task, arch, opt, v.category, v.message, v.test.category if v.test else None
    except Exception as err:
        return task, arch, opt, "crash", repr(err), None


def humaneval(path: Path, workers: int, limit: int | None) -> None:
    rows = [json.loads(l) for l in path.read_text().splitlines()][:limit]
    jobs = [(r["task_id"], a, o, r["c_func"], r["c_test"]) for r in rows for a in ("x86-64", "aarch64")
            for o in ("O0", "O2")]
    results = []
    start = time.perf_counter()
    with Pool(workers) as pool:
        for r in pool.imap_unordered(_gcc_job, jobs):
            results.append(r)
    print(f"\n## No false alarms: gcc's own assembly of {len(rows)} humaneval-decompile functions "
          f"({time.perf_counter() - start:.0f} s)\n")
    print("| arch | opt | pass | unsupported | other verdicts | test program passes |")
    print("|---|---|---|---|---|---|")
    for a in ("x86-64", "aarch64"):
        for o in ("O0", "O2"):
            sel = [r for r in results if r[1] == a and r[2] == o]
            c = collections.Counter(r[3] for r in sel)
            other = len(sel) - c["pass"] - c["unsupported"]
            tests = sum(r[5] == "pass" for r in sel)
            print(f"| {a} | {o} | {c['pass']} | {c['unsupported']} ({100 * c['unsupported'] / max(len(sel), 1):.1f}%) "
                  f"| {other} | {tests}/{len(sel)} |")
    for r in sorted(results):
        if r[3] != "pass":
            print(f"- task {r[0]} [{r[1]} -{r[2]}]: {r[3]}: {r[4][:160]}")


def project_kernels():
    kernels = Path(__file__).resolve().parents[1] / "corpora" / "kernels"
    out = []
    for path in sorted(kernels.glob("*.c")):
        from neuralcc.verifier.signature import parse_unit
        unit = parse_unit(path.read_text(), str(path))
        for fn in unit.functions:
            if fn != "main" and not fn.startswith("_"):
                out.append((f"{path.stem}:{fn}", path.read_text(), fn))
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--shared", default=str(Path(__file__).resolve().parents[2] / "shared"))
    ap.add_argument("--part", default="speed,mutants,humaneval")
    ap.add_argument("--quick", action="store_true", help="fewer inputs and a humaneval sample")
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args(argv)
    parts = args.part.split(",")
    print("# Verifier benchmark")
    if "speed" in parts:
        speed(2000 if args.quick else 20000)
    he = Path(args.shared) / "corpora" / "humaneval-decompile.jsonl"
    if "mutants" in parts:
        bench = project_kernels()
        if he.exists():
            rows = [json.loads(l) for l in he.read_text().splitlines()]
            bench += [(f"humaneval/{r['task_id']}", r["c_func"], "func0") for r in rows[:: 8 if args.quick else 4]]
        mutants(bench, args.workers)
    if "humaneval" in parts:
        if he.exists():
            humaneval(he, args.workers, 20 if args.quick else None)
        else:
            print(f"\nhumaneval-decompile not found at {he}: skipped (pass --shared DIR)")


if __name__ == "__main__":
    main()
