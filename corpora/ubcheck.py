"""Native runs under -fsanitize=undefined,address on generated inputs: drop (and count) any function with UB.

One harness binary per batch of units: a `main` calls every function on `trials` inputs drawn inside
its annotations (lengths, ranges, strings) and prints a digest of what each call produced. A sanitizer
abort names the function being run; it is dropped and the harness restarts after it. The digests also
give a verifier-free liveness measure: a function whose outputs never change with its inputs, or that
a `return 0` translator would pass, is reported.
"""
from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path

from neuralcc.cbase.ctype import CHAR
from .generator import GeneratedFunction

UB_CHECK_VERSION = "ub-v1-trials24"  # bump when the harness or the input drawing changes
SANITIZE_FLAGS = ["-O0", "-fsanitize=undefined,address,float-cast-overflow",
                  "-fno-sanitize-recover=all", "-w"]

_PRELUDE = r"""
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>
#include <stddef.h>
static uint64_t ncc_s = 0x9E3779B97F4A7C15ULL;
static uint64_t ncc_rand(void) {
    ncc_s ^= ncc_s << 13; ncc_s ^= ncc_s >> 7; ncc_s ^= ncc_s << 17; return ncc_s;
}
static long long ncc_range(long long lo, long long hi) {
    unsigned long long span = (unsigned long long)hi - (unsigned long long)lo + 1ULL;
    if (span == 0) return (long long)ncc_rand();
    /* edges are where bugs live: pick them often */
    uint64_t r = ncc_rand();
    if ((r & 7) == 0) return lo;
    if ((r & 7) == 1) return hi;
    return (long long)((unsigned long long)lo + (ncc_rand() % span));
}
static unsigned long long ncc_urange(unsigned long long lo, unsigned long long hi) {
    unsigned long long span = hi - lo + 1ULL;
    uint64_t r = ncc_rand();
    if ((r & 7) == 0) return lo;
    if ((r & 7) == 1) return hi;
    if (span == 0) return ncc_rand();
    return lo + ncc_rand() % span;
}
static double ncc_frange(double lo, double hi) {
    return lo + (hi - lo) * ((double)(ncc_rand() >> 11) / 9007199254740992.0);
}
static void ncc_fill(void *p, size_t bytes) {
    unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++) b[i] = (unsigned char)(ncc_rand() >> 24);
}
static uint64_t ncc_h;
static void ncc_mix(const void *p, size_t bytes) {
    const unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++) { ncc_h ^= b[i]; ncc_h *= 0x100000001b3ULL; }
}
static int ncc_allzero(const void *p, size_t bytes) {
    const unsigned char *b = p;
    for (size_t i = 0; i < bytes; i++) if (b[i]) return 0;
    return 1;
}
"""


@dataclass
class UBReport:
    checked: int = 0
    dropped: list[str] = field(default_factory=list)  # entry names
    constant_output: list[str] = field(default_factory=list)  # same digest on every trial
    return0_passes: list[str] = field(default_factory=list)  # `return 0` would pass every trial
    dead_params: dict = field(default_factory=dict)  # entry -> input params that never changed the outcome
    harness_errors: list[str] = field(default_factory=list)

    @property
    def drop_rate(self) -> float:
        return len(self.dropped) / self.checked if self.checked else 0.0

    def merge(self, other: "UBReport") -> None:
        self.checked += other.checked
        self.dropped += other.dropped
        self.constant_output += other.constant_output
        self.return0_passes += other.return0_passes
        self.dead_params.update(other.dead_params)
        self.harness_errors += other.harness_errors


def _len_expr(expr: str) -> str:
    return "(" + "*".join(f"(long long)p_{t.strip()}" if not t.strip().isdigit() else t.strip()
                          for t in expr.split("*")) + ")"


def _call_block(idx: int, fn: GeneratedFunction, trials: int) -> str:
    """C for one function: ncc_call_<idx>(seeds) builds inputs (param k from seeds[k]), calls, digests.

    ncc_run_<idx> calls it on `trials` base inputs and, for each, once more with one input parameter
    re-drawn (cycling over the parameters): a parameter that never changes the outcome is dead.
    """
    ann = fn.annotations
    globals_ = _globals_of(fn)
    np_ = len(fn.params)
    out = [f"static uint64_t ncc_call_{idx}(const uint64_t *seeds, int *zero) {{"]
    out.append("    ncc_h = 1469598103934665603ULL; *zero = 1;")
    for g in globals_:
        out.append(f"    memcpy(&{g}, &ncc_init_{g}, sizeof {g});")
    order = [k for k, p in enumerate(fn.params) if not p.pointer] + \
        [k for k, p in enumerate(fn.params) if p.pointer]
    frees, outs = [], []
    for k in order:
        p = fn.params[k]
        out.append(f"    ncc_s = seeds[{k}];")
        if not p.pointer:
            lo, hi = ann["range"][p.name]
            ty = p.ctype
            if ty.is_float:
                out.append(f"    {ty.name} p_{p.name} = ({ty.name})ncc_frange({float(lo)!r}, {float(hi)!r});")
            elif ty.signed:
                out.append(f"    {ty.name} p_{p.name} = ({ty.name})ncc_range({lo}LL, {hi}LL);")
            else:
                out.append(f"    {ty.name} p_{p.name} = ({ty.name})ncc_urange({lo}ULL, {hi}ULL);")
            continue
        elem = f"struct {p.struct}" if p.struct else p.ctype.name
        if p.name in ann["string"]:
            out.append(f"    size_t l_{p.name} = (size_t)ncc_urange(0, 40);")
            out.append(f"    char *p_{p.name} = malloc(l_{p.name} + 1);")
            out.append(f"    for (size_t i = 0; i < l_{p.name}; i++) {{ unsigned r = (unsigned)ncc_rand();"
                       f" p_{p.name}[i] = (char)((r & 3) ? 32 + (r >> 8) % 95 : 1 + (r >> 8) % 255); }}")
            out.append(f"    p_{p.name}[l_{p.name}] = 0;")
            frees.append(f"p_{p.name}")
            continue
        n = _len_expr(ann["len"][p.name])
        out.append(f"    size_t n_{p.name} = (size_t){n};")
        out.append(f"    {elem} *p_{p.name} = malloc(n_{p.name} ? n_{p.name} * sizeof({elem}) : 1);")
        if p.name in ann["out"]:
            out.append(f"    memset(p_{p.name}, 0, n_{p.name} * sizeof({elem}));")
            outs.append((p.name, elem))
        elif p.ctype.is_float and not p.struct:
            out.append(f"    for (size_t i = 0; i < n_{p.name}; i++) p_{p.name}[i] = "
                       f"({p.ctype.name})ncc_frange(-1000.0, 1000.0);")
        else:
            out.append(f"    ncc_fill(p_{p.name}, n_{p.name} * sizeof({elem}));")
        frees.append(f"p_{p.name}")
    args = ", ".join(f"p_{p.name}" for p in fn.params)
    if fn.return_type == "void":
        out.append(f"    {fn.name}({args});")
    else:
        out.append(f"    {fn.return_type} ret = {fn.name}({args});")
        out.append("    ncc_mix(&ret, sizeof ret); if (!ncc_allzero(&ret, sizeof ret)) *zero = 0;")
    for name, elem in outs:
        out.append(f"    ncc_mix(p_{name}, n_{name} * sizeof({elem}));"
                   f" if (!ncc_allzero(p_{name}, n_{name} * sizeof({elem}))) *zero = 0;")
    for g in globals_:
        out.append(f"    ncc_mix(&{g}, sizeof {g}); if (memcmp(&{g}, &ncc_init_{g}, sizeof {g})) *zero = 0;")
    for f in frees:
        out.append(f"    free({f});")
    out.append("    return ncc_h;")
    out.append("}")
    inputs = [k for k, p in enumerate(fn.params) if p.name not in ann["out"]]
    out.append(f"static void ncc_run_{idx}(int trials) {{")
    for g in globals_:
        out.append(f"    memcpy(&ncc_init_{g}, &{g}, sizeof {g});")
    out.append(f"    static const int inputs[] = {{{', '.join(map(str, inputs)) or '-1'}}};")
    out.append(f"    uint64_t seeds[{max(np_, 1)}];")
    out.append("    for (int t = 0; t < trials; t++) {")
    out.append(f"        for (int k = 0; k < {np_}; k++) seeds[k] = 0x9E3779B97F4A7C15ULL * (uint64_t)(t * 64 + k + 1)"
               f" + {idx}ULL;")
    out.append("        int zero, zero2;")
    out.append(f"        uint64_t d = ncc_call_{idx}(seeds, &zero);")
    out.append(f'        printf("D {idx} %d %016llx %d\\n", t, (unsigned long long)d, zero);')
    if inputs:
        out.append(f"        int j = inputs[t % {len(inputs)}];")
        out.append("        seeds[j] ^= 0xD1B54A32D192ED03ULL;")
        out.append(f"        uint64_t d2 = ncc_call_{idx}(seeds, &zero2);")
        out.append(f'        printf("P {idx} %d %d\\n", j, d2 != d);')
    out.append("    }")
    out.append("}")
    return "\n".join(out)


def _globals_of(fn: GeneratedFunction) -> list[str]:
    import re
    return sorted(set(re.findall(rf"^(?:int|unsigned|long|unsigned long|float|double) ({fn.name}_g)\b",
                                 fn.source, re.M)))


def build_harness(fns: list[GeneratedFunction], trials: int) -> str:
    parts = [_PRELUDE]
    for fn in fns:
        parts.append(fn.source)
    for fn in fns:
        for g in _globals_of(fn):
            parts.append(f"static __typeof__({g}) ncc_init_{g};")
    for i, fn in enumerate(fns):
        parts.append(_call_block(i, fn, trials))
    parts.append("int main(int argc, char **argv) {")
    parts.append("    int start = argc > 1 ? atoi(argv[1]) : 0;")
    parts.append("    setvbuf(stdout, NULL, _IOLBF, 0);")
    parts.append("    switch (start) { default: break;")
    for i in range(len(fns)):
        parts.append(f"    case {i}: printf(\"B {i}\\n\"); ncc_run_{i}({trials}); /* fallthrough */")
    parts.append("    }")
    parts.append('    printf("END\\n");')
    parts.append("    return 0;")
    parts.append("}")
    return "\n".join(parts)


def check_batch(fns: list[GeneratedFunction], trials: int = 24) -> UBReport:
    rep = UBReport(checked=len(fns))
    with tempfile.TemporaryDirectory() as td:
        src = os.path.join(td, "h.c")
        exe = os.path.join(td, "h")
        Path(src).write_text(build_harness(fns, trials))
        r = subprocess.run(["gcc", *SANITIZE_FLAGS, src, "-o", exe, "-lm"], capture_output=True, text=True)
        if r.returncode != 0:
            rep.harness_errors.append(r.stderr.strip().splitlines()[0] if r.stderr.strip() else "compile failed")
            return rep
        env = dict(os.environ, ASAN_OPTIONS="detect_leaks=0:abort_on_error=0",
                   UBSAN_OPTIONS="print_stacktrace=0:halt_on_error=1")
        start = 0
        digests: dict[int, set] = {}
        zeros: dict[int, bool] = {}
        sens: dict[tuple[int, int], bool] = {}
        while start < len(fns):
            try:
                p = subprocess.run([exe, str(start)], capture_output=True, text=True, env=env, timeout=60)
                out, rc = p.stdout, p.returncode
            except subprocess.TimeoutExpired as e:
                out, rc = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or ""), -9
            last = start
            finished = False
            for line in out.splitlines():
                if line.startswith("B "):
                    last = int(line[2:])
                elif line.startswith("D "):
                    _, i, _t, h, z = line.split()
                    digests.setdefault(int(i), set()).add(h)
                    zeros[int(i)] = zeros.get(int(i), True) and z == "1"
                elif line.startswith("P "):
                    _, i, j, changed = line.split()
                    key = (int(i), int(j))
                    sens[key] = sens.get(key, False) or changed == "1"
                elif line == "END":
                    finished = True
            if finished and rc == 0:
                break
            rep.dropped.append(fns[last].name)
            digests.pop(last, None)
            zeros.pop(last, None)
            start = last + 1
    dropped = set(rep.dropped)
    for i, fn in enumerate(fns):
        if fn.name in dropped:
            continue
        if len(digests.get(i, ())) == 1:
            rep.constant_output.append(fn.name)
        if zeros.get(i, False):
            rep.return0_passes.append(fn.name)
        dead = [fn.params[j].name for (k, j), ch in sorted(sens.items()) if k == i and not ch]
        if dead:
            rep.dead_params[fn.name] = dead
    return rep


def _check_job(args) -> UBReport:
    fns, trials = args
    return check_batch(fns, trials)


def check_functions(fns: list[GeneratedFunction], *, trials: int = 24, batch_size: int = 250, workers: int = 2,
                    progress: bool = True) -> UBReport:
    from tqdm import tqdm

    jobs = [(fns[i:i + batch_size], trials) for i in range(0, len(fns), batch_size)]
    total = UBReport()
    bar = tqdm(total=len(fns), desc="UB check", unit="fn", disable=not progress)
    if workers > 1 and len(jobs) > 1:
        with Pool(workers) as pool:
            for rep in pool.imap_unordered(_check_job, jobs):
                total.merge(rep)
                bar.update(rep.checked)
    else:
        for job in jobs:
            rep = _check_job(job)
            total.merge(rep)
            bar.update(rep.checked)
    bar.close()
    return total


def checkable(bm) -> GeneratedFunction:
    """A Benchmark with `// ncc:` annotations as something check_batch can run (kernels, C files)."""
    from .annotations import parse_annotations, parse_signature
    from .generator import Param

    raw = bm.meta.get("annotations") or {}
    ann = {k: (dict(v) if isinstance(v, dict) else list(v)) for k, v in raw.items()} if isinstance(raw, dict) \
        else parse_annotations(raw)
    for k, empty in (("len", {}), ("out", []), ("range", {}), ("string", [])):
        ann.setdefault(k, empty)
    ret, sig = parse_signature(bm.source, bm.entry)
    params = []
    for name, ctype, pointer, const, tag in sig:
        if pointer and name not in ann["len"] and name not in ann["string"]:
            if ctype == CHAR and const:
                ann["string"].append(name)
            else:
                ann["len"][name] = "1"
        if not pointer and name not in ann["range"]:
            ann["range"][name] = (-100.0, 100.0) if ctype.is_float else (max(ctype.min, -1000), min(ctype.max, 1000))
        params.append(Param(name, ctype if ctype is not None else CHAR, pointer=pointer, const=const, struct=tag))
    return GeneratedFunction(index=0, name=bm.entry, source=bm.source, features=list(bm.features), params=params,
                             return_type=ret, annotations=ann, structs={})
