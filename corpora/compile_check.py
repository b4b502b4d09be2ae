"""Drop generated functions that gcc warns about (-Wall -Wextra) on either target.

gcc's front-end warnings catch what the generator's own reasoning misses: a comparison that is always
true for the type (type-limits), a self-comparison, a value that folds to a constant on conversion.
Those are exactly the dead-code cases a translator could get right by accident, so they are dropped.
"""
from __future__ import annotations

import os
import re
import subprocess
import tempfile
from multiprocessing import Pool

from .gcc import COMPILERS, warning_command
from .generator import GeneratedFunction
from .label import Unit, build_batch_source

_DIAG = re.compile(r"^[^:\n]*\.c:(\d+):\d+: (?:warning|error):", re.M)


def warned_units(units: list[Unit], arch: str, opt: str = "O2", syntax_only: bool = True) -> set[str]:
    """Entries of the units gcc warns about when compiled together (one batch)."""
    text, offsets = build_batch_source(units)
    with tempfile.TemporaryDirectory() as td:
        src = os.path.join(td, "w.c")
        with open(src, "w") as f:
            f.write(text)
        cmd = warning_command(arch, opt)[:]
        cmd.remove("-Werror")
        cmd.remove("-S")
        cmd += ["-fsyntax-only" if syntax_only else "-c", src, "-o", os.devnull]
        r = subprocess.run(cmd, capture_output=True, text=True)
    bad: set[str] = set()
    for m in _DIAG.finditer(r.stderr):
        line = int(m.group(1))
        k = _unit_at(offsets, line)
        if k is not None:
            bad.add(units[k].entry)
    if r.returncode != 0 and not bad:
        bad = {u.entry for u in units}  # a failure we cannot attribute: drop the batch, loudly counted
    return bad


def _unit_at(offsets: list[int], line: int) -> int | None:
    lo, hi = 0, len(offsets) - 1
    if line <= offsets[0]:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if offsets[mid] < line:
            lo = mid
        else:
            hi = mid - 1
    return lo


def _job(args) -> set[str]:
    raw, arch, syntax_only = args
    return warned_units([Unit(e, s) for e, s in raw], arch, syntax_only=syntax_only)


def filter_warnings(fns: list[GeneratedFunction], arches=tuple(COMPILERS), *, batch_size: int = 500,
                    workers: int = 2, syntax_only: bool = True, progress: bool = True) -> tuple[list, set[str]]:
    """(kept functions, names dropped) after -Wall -Wextra on every arch."""
    from tqdm import tqdm

    jobs = []
    for arch in arches:
        for i in range(0, len(fns), batch_size):
            jobs.append(([(f.name, f.source) for f in fns[i:i + batch_size]], arch, syntax_only))
    bad: set[str] = set()
    bar = tqdm(total=len(jobs), desc="warnings", unit="batch", disable=not progress)
    if workers > 1 and len(jobs) > 1:
        with Pool(workers) as pool:
            for b in pool.imap_unordered(_job, jobs):
                bad |= b
                bar.update(1)
    else:
        for j in jobs:
            bad |= _job(j)
            bar.update(1)
    bar.close()
    return [f for f in fns if f.name not in bad], bad
