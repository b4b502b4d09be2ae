"""Metrics over a run's results: pass@k (Chen et al. 2021's unbiased estimator), verified@k, 95% intervals,
fault-category rates and breakdowns by source length, construct and target."""
from __future__ import annotations

import collections
import random
from dataclasses import dataclass
from math import comb


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


@dataclass
class Estimate:
    value: float
    low: float
    high: float
    count: int

    def __str__(self) -> str:
        return f"{100 * self.value:.1f}% [{100 * self.low:.1f}, {100 * self.high:.1f}]"


def bootstrap(values: list[float], seed: int = 0, rounds: int = 1000) -> Estimate:
    """Mean with a 95% percentile-bootstrap interval over benchmarks (deterministic for a seed)."""
    if not values:
        return Estimate(0.0, 0.0, 0.0, 0)
    mean = sum(values) / len(values)
    rng = random.Random(seed)
    means = sorted(sum(rng.choices(values, k=len(values))) / len(values) for _ in range(rounds))
    return Estimate(mean, means[int(0.025 * rounds)], means[int(0.975 * rounds) - 1], len(values))


def group_units(rows: list[dict]) -> dict[tuple, list[dict]]:
    """Results per (benchmark, arch, opt), samples in order."""
    units: dict[tuple, list[dict]] = collections.defaultdict(list)
    for r in rows:
        units[r["benchmark"], r["arch"], r["opt"]].append(r)
    for samples in units.values():
        samples.sort(key=lambda r: r["sample"])
    return units


def pass_at(rows: list[dict], k: int) -> Estimate:
    vals = [pass_at_k(len(s), sum(r["passed"] for r in s), k) for s in group_units(rows).values() if len(s) >= k]
    return bootstrap(vals)


def verified_at(rows: list[dict], k: int) -> Estimate:
    """Empirical: a benchmark counts if any of its first k samples passed the verifier."""
    vals = [float(any(r["passed"] for r in s[:k])) for s in group_units(rows).values() if len(s) >= k]
    return bootstrap(vals)


def repaired(rows: list[dict]) -> dict:
    """Guess and check (harness.evaluate.guess_and_check): the share of benchmarks whose greedy sample
    passed or was repaired within the budget, and the verifier calls the repairs spent; {} for a run
    without it."""
    firsts = [s[0] for s in group_units(rows).values() if s[0]["sample"] == 0 and "repair" in s[0]]
    if not firsts:
        return {}
    budget = max(r["repair"]["budget"] for r in firsts)
    return {f"repaired@{budget}": bootstrap([float(r["repair"]["passed"]) for r in firsts]).__dict__,
            "repair_calls": sum(r["repair"]["calls"] for r in firsts)}


def category_rates(rows: list[dict]) -> dict[str, float]:
    counts = collections.Counter(r["category"] for r in rows)
    total = max(len(rows), 1)
    return {c: n / total for c, n in counts.most_common()}


def refusals(rows: list[dict]) -> dict[str, int]:
    """How many (benchmark, target) pairs the translator refused, by the construct it named."""
    counts = collections.Counter(r["refused"] for r in rows if r["sample"] == 0 and r.get("refused"))
    return dict(counts.most_common())


def length_bucket(lines: int) -> str:
    for hi in (10, 20, 40):
        if lines <= hi:
            return f"<= {hi} lines"
    return "> 40 lines"


def breakdown(rows: list[dict], key) -> dict[str, Estimate]:
    groups: dict[str, list[dict]] = collections.defaultdict(list)
    for r in rows:
        for g in key(r):
            groups[g].append(r)
    return {g: pass_at(rs, 1) for g, rs in sorted(groups.items())}


def summarize(rows: list[dict], ks: list[int]) -> dict:
    """Everything the report shows, as plain data (also written to summary.json)."""
    out: dict = {"samples": len(rows), "benchmarks": len({r["benchmark"] for r in rows})}
    table = {}
    for (corpus, arch, opt), rs in sorted(_by(rows, lambda r: (r["corpus"], r["arch"], r["opt"])).items()):
        table[f"{corpus} {arch} -{opt}"] = {
            **{f"pass@{k}": pass_at(rs, k).__dict__ for k in ks},
            **{f"verified@{k}": verified_at(rs, k).__dict__ for k in ks},
            "benchmarks": len({r["benchmark"] for r in rs}),
            **repaired(rs),
        }
    out["headline"] = table
    out["categories"] = category_rates(rows)
    out["refused"] = refusals(rows)
    out["by_length"] = {g: e.__dict__ for g, e in breakdown(rows, lambda r: [length_bucket(r["lines"])]).items()}
    out["by_construct"] = {g: e.__dict__ for g, e in breakdown(rows, lambda r: r.get("features") or ["none"]).items()}
    out["by_target"] = {g: e.__dict__ for g, e in breakdown(rows, lambda r: [f"{r['arch']} -{r['opt']}"]).items()}
    injected = [r for r in rows if r.get("injected") and r["category"] != "pass"]
    if injected:
        out["mutant_recovery"] = sum(r["category"] == r["injected"] for r in injected) / len(injected)
    return out


def _by(rows, key):
    groups = collections.defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return groups
