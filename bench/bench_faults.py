"""Fault campaign: every hand-written fault of verifier/mutate.py, and every equivalent rewrite, on gcc's
-O0 and -O2 code of six varied functions, both arches.

A fault counts as caught when the verdict is not `pass`, and as named when the verdict is the fault's
own category. A rewrite keeps the behaviour: any verdict but `pass` is a false alarm.

    python bench/bench_faults.py [--workers 2] [--quick]
"""
from __future__ import annotations

import argparse
import collections
from multiprocessing import Pool

from neuralcc.verifier.check import Checker
from neuralcc.verifier.mutate import EQUIVALENT, INJECTABLE, VARIANTS, MutationError, mutate, rewrite, shape_of

FUNCTIONS = {
    "loop": """// ncc: len(a)=n range(n)=0..32
long sum_squares(const int *a, int n) { long s = 0; for (int i = 0; i < n; i++) s += (long)a[i] * a[i]; return s; }
""",
    "string": """// ncc: string(s) out(out) len(out)=64
int upper(const char *s, char *out) {
    int i = 0;
    for (; s[i] && i < 63; i++) out[i] = (s[i] >= 'a' && s[i] <= 'z') ? s[i] - 32 : s[i];
    out[i] = 0;
    return i;
}
""",
    "struct": """struct rect { int w, h; };
// ncc: len(r)=n range(n)=0..16
long area(const struct rect *r, int n) { long s = 0; for (int i = 0; i < n; i++) s += (long)r[i].w * r[i].h; return s; }
""",
    "recursion": """// ncc: range(n)=0..18
int fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
""",
    "float": """// ncc: len(c)=n range(n)=0..8 range(x)=-4..4
double horner(const double *c, int n, double x) { double r = 0.0; for (int i = n - 1; i >= 0; i--) r = r * x + c[i]; return r; }
""",
    "switch": """int classify(int x) {
    switch (x) {
    case 0: return 10; case 1: return 20; case 2: return 5; case 3: return 7;
    case 4: return 11; case 5: return 99; case 6: return 42; default: return -1;
    }
}
""",
}
FAULTS = [(c, v) for c in INJECTABLE for v in range(VARIANTS.get(c, 1))]


def _job(job):
    name, arch, opt, inputs = job
    checker = Checker(FUNCTIONS[name], arch, opt, examples=inputs // 5, random_inputs=inputs, seed=0)
    assert checker.unsupported is None, (name, arch, opt, checker.unsupported)
    shape = shape_of(checker.spec)
    fn = checker.function
    rows = []
    for category, variant in FAULTS:
        try:
            mutant = mutate(checker.reference_asm, arch, category, fn, seed=variant, shape=shape)
        except MutationError:
            continue
        rows.append(("fault", name, arch, opt, f"{category}#{variant}", category, checker.check(mutant).category))
    for kind in EQUIVALENT:
        try:
            same = rewrite(checker.reference_asm, arch, kind, fn)
        except MutationError:
            continue
        rows.append(("rewrite", name, arch, opt, kind, "pass", checker.check(same).category))
    return rows


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--quick", action="store_true", help="fewer inputs per check")
    args = ap.parse_args(argv)
    inputs = 100 if args.quick else 300
    jobs = [(n, a, o, inputs) for n in FUNCTIONS for a in ("x86-64", "aarch64") for o in ("O0", "O2")]
    rows = []
    with Pool(args.workers) as pool:
        for r in pool.imap_unordered(_job, jobs):
            rows += r
    faults = [r for r in rows if r[0] == "fault"]
    rewrites = [r for r in rows if r[0] == "rewrite"]
    caught = [r for r in faults if r[6] != "pass"]
    named = [r for r in faults if r[6] == r[5]]
    alarms = [r for r in rewrites if r[6] != "pass"]
    kinds = {r[4] for r in faults}
    print(f"\n## Fault campaign: {len(kinds)} hand-written faults ({len({r[5] for r in faults})} categories) and "
          f"{len({r[4] for r in rewrites})} equivalent rewrites, on {len(FUNCTIONS)} functions x -O0/-O2 x 2 arches\n")
    print(f"- faults applied: {len(faults)}; caught {len(caught)} ({100 * len(caught) / max(len(faults), 1):.1f}%); "
          f"category named {len(named)} ({100 * len(named) / max(len(faults), 1):.1f}%)")
    print(f"- rewrites applied: {len(rewrites)}; false alarms {len(alarms)}\n")
    matrix = collections.defaultdict(collections.Counter)
    for r in faults:
        matrix[r[5]][r[6]] += 1
    cols = sorted({g for c in matrix.values() for g in c})
    print("| injected \\ verdict | " + " | ".join(cols) + " |")
    print("|---|" + "---|" * len(cols))
    for category in INJECTABLE:
        if category in matrix:
            print(f"| {category} | " + " | ".join(str(matrix[category].get(c, "")) for c in cols) + " |")
    for r in [r for r in faults if r[6] != r[5]][:30]:
        print(f"- {r[1]} [{r[2]} -{r[3]}] {r[4]}: verdict {r[6]}")
    for r in alarms:
        print(f"- FALSE ALARM {r[1]} [{r[2]} -{r[3]}] {r[4]}: verdict {r[6]}")


if __name__ == "__main__":
    main()
