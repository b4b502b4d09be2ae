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
    changed = [(i, g) for _, _, i, g in rows if i != "-" and g not in ("pass", "unsupported")]
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
    wrong = [(n, a, i, g) for n, a, i, g in rows if i != g and g not in ("pass", "unsupported")]
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


def _pair_job(job):
    uri, source, entry, asm, arch, opt = job
    try:
        checker = Checker(source, arch, opt, entry, examples=20, random_inputs=100, seed=0)
        return uri, arch, opt, checker.check(asm).summary()
    except Exception as err:
        return uri, arch, opt, f"crash: {err!r}"


def pairs(data: Path, count: int, workers: int) -> None:
    """Issue 3: every labelled pair in a sample passes the verifier (the data is what the verifier accepts)."""
    from neuralcc.corpora import iter_pairs

    if not data.exists():
        print(f"\n(labelled pairs not found at {data}: run `neuralcc corpus build` first; skipped)")
        return
    records = []
    for split in ("test", "valid", "train"):
        for r in iter_pairs(data, split):
            records.append(r)
            if len(records) >= count:
                break
    records = records[:count]
    jobs = [(r["uri"], r["source"], r["entry"], r["asm"][a][o], a, o) for r in records
            for a in r["asm"] for o in r["asm"][a]]
    start = time.perf_counter()
    with Pool(workers) as pool:
        results = list(pool.imap_unordered(_pair_job, jobs))
    bad = [r for r in results if not r[3].startswith("pass")]
    print(f"\n## Labelled pairs: {len(records)} functions, {len(jobs)} (arch, opt) pairs from {data} "
          f"({time.perf_counter() - start:.0f} s)\n")
    print(f"{len(jobs) - len(bad)} of {len(jobs)} pass ({100 * (len(jobs) - len(bad)) / max(len(jobs), 1):.2f}%).")
    for uri, a, o, summary in bad[:20]:
        print(f"- {uri} [{a} -{o}]: {summary[:200]}")


def _liveness_job(job):
    from neuralcc.verifier.mutate import perturb

    uri, source, entry, arch, seed = job
    try:
        checker = Checker(source, arch, "O0", entry, examples=30, random_inputs=150, seed=0)
    except Exception as err:
        return uri, arch, None, None, None, f"checker: {err!r}"
    zero = {"x86-64": "xorl %eax, %eax\n\tpxor %xmm0, %xmm0\n\tret", "aarch64": "mov x0, #0\n\tfmov d0, xzr\n\tret"}
    first = {"x86-64": "movq %rdi, %rax\n\tret", "aarch64": "ret"}
    try:
        r0 = checker.check(f"\t.globl {entry}\n{entry}:\n\t{zero[arch]}\n").category
        a0 = checker.check(f"\t.globl {entry}\n{entry}:\n\t{first[arch]}\n").category
    except Exception as err:  # a verifier crash is a result to print, not the end of the benchmark
        return uri, arch, None, None, None, f"verifier crashed: {err!r}"[:300]
    try:
        mutant, change = perturb(checker.reference_asm, arch, seed)
        caught = checker.check(mutant).category
    except MutationError as err:
        caught, change = None, str(err)
    except Exception as err:
        caught, change = "verifier crash", f"{err!r}"[:300]
    return uri, arch, r0, a0, caught, change


def liveness(count: int, workers: int) -> None:
    """Issue 3: trivial translators almost never pass; one changed constant or operator is almost always caught."""
    from neuralcc.corpora import load_benchmarks

    # the live filter drops some of the stream's functions (~15%): draw more, keep the first `count`
    benches = load_benchmarks(f"benchmark://synthetic-v1/seed=7?count={count * 3 // 2}&filter=live")[:count]
    jobs = [(b.uri, b.source, b.entry, arch, i) for i, b in enumerate(benches) for arch in ("x86-64", "aarch64")]
    start = time.perf_counter()
    with Pool(workers) as pool:
        rows = list(pool.imap_unordered(_liveness_job, jobs))
    print(f"\n## Liveness: {len(benches)} held-out synthetic functions (seed 7, filter=live), both arches, -O0 "
          f"({time.perf_counter() - start:.0f} s)\n")
    print("| arch | return 0 passes | return first argument passes | one constant/operator changed: caught |")
    print("|---|---|---|---|")
    for arch in ("x86-64", "aarch64"):
        sel = [r for r in rows if r[1] == arch and r[2] is not None]
        n = max(len(sel), 1)
        r0 = sum(r[2] == "pass" for r in sel)
        a0 = sum(r[3] == "pass" for r in sel)
        mutated = [r for r in sel if r[4] not in (None, "verifier crash")]
        caught = sum(r[4] != "pass" for r in mutated)
        print(f"| {arch} | {r0}/{len(sel)} ({100 * r0 / n:.1f}%) | {a0}/{len(sel)} ({100 * a0 / n:.1f}%) | "
              f"{caught}/{len(mutated)} ({100 * caught / max(len(mutated), 1):.1f}%) |")
    crashed = [r for r in rows if r[4] == "verifier crash" or (r[5] or "").startswith("verifier crashed")]
    print(f"\nverifier crashes (not counted above): {len(crashed)}")
    for uri, arch, _, _, _, change in crashed[:5]:
        print(f"- {uri} [{arch}] {change}")
    missed = [r for r in rows if r[4] == "pass"]
    for uri, arch, _, _, _, change in missed[:10]:
        print(f"- not caught: {uri} [{arch}] {change}")


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
    ap.add_argument("--part", default="speed,mutants,humaneval,pairs,liveness")
    ap.add_argument("--data", default=str(Path(__file__).resolve().parents[1] / "data" / "synthetic-v1"),
                    help="labelled pairs for the `pairs` part")
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
    if "pairs" in parts:
        pairs(Path(args.data), 50 if args.quick else 500, args.workers)
    if "liveness" in parts:
        liveness(100 if args.quick else 1000, args.workers)
    if "humaneval" in parts:
        if he.exists():
            humaneval(he, args.workers, 20 if args.quick else None)
        else:
            print(f"\nhumaneval-decompile not found at {he}: skipped (pass --shared DIR)")


if __name__ == "__main__":
    main()
