"""`neuralcc corpus stats`: counts, drops, lengths (tokens and lines) and feature coverage of shards."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from .dedup import tokens
from .shards import iter_pairs, shard_paths
from .splits import SPLITS


def _quantiles(values: list[int]) -> dict:
    if not values:
        return {}
    v = sorted(values)
    q = lambda p: v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]  # noqa: E731
    return {"n": len(v), "mean": round(sum(v) / len(v), 1), "min": v[0], "p10": q(0.1), "p50": q(0.5),
            "p90": q(0.9), "p99": q(0.99), "max": v[-1]}


def corpus_stats(path: str | Path, split: str | None = None, limit: int | None = None) -> dict:
    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"{p}: no such file or directory")
    splits = [split] if split else list(SPLITS)
    counts: dict[str, int] = {}
    feats: Counter = Counter()
    c_tokens: list[int] = []
    c_lines: list[int] = []
    asm_lines: dict[str, list[int]] = {}
    n = 0
    for sp in splits:
        if p.is_dir() and not shard_paths(p, sp):
            counts[sp] = 0
            continue
        k = 0
        for rec in iter_pairs(p, sp if p.is_dir() else None):
            if limit is not None and n >= limit:
                break
            k += 1
            n += 1
            feats.update(rec.get("features", []))
            src = rec["source"]
            c_tokens.append(len(tokens(src)))
            c_lines.append(sum(1 for line in src.splitlines() if line.strip()))
            for arch, per_opt in rec.get("asm", {}).items():
                for opt, text in per_opt.items():
                    if text is not None:
                        asm_lines.setdefault(f"{arch} {opt}", []).append(text.count("\n"))
        counts[sp] = k
        if not p.is_dir():
            break
    report = {}
    rp = (p if p.is_dir() else p.parent) / "build-report.json"
    if rp.is_file():
        report = json.loads(rp.read_text())
    return {
        "path": str(p),
        "records": counts,
        "total": n,
        "removed": {k: report.get(k) for k in ("duplicates_removed", "contamination", "warning_dropped",
                                               "ub_dropped", "ub_checked", "ub_drop_rate",
                                               "constant_output_dropped", "return0_passes_dropped",
                                               "dead_param_functions", "dead_param_dropped",
                                               "compile_failures") if k in report},
        "eval_corpora": report.get("eval_corpora", {}),
        "c_tokens": _quantiles(c_tokens),
        "c_lines": _quantiles(c_lines),
        "asm_lines": {k: _quantiles(v) for k, v in sorted(asm_lines.items())},
        "features": {k: {"count": v, "share": round(v / n, 3) if n else 0} for k, v in feats.most_common()},
    }


def format_stats(st: dict) -> str:
    out = [f"{st['path']}: {st['total']} records " + ", ".join(f"{k} {v}" for k, v in st["records"].items())]
    if st["removed"]:
        out.append("removed: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in st["removed"].items()))
    if st["eval_corpora"]:
        out.append("decontaminated against: " + ", ".join(f"{k} ({v})" for k, v in st["eval_corpora"].items()))

    def row(name: str, q: dict) -> str:
        if not q:
            return f"  {name:16s} -"
        return (f"  {name:16s} mean {q['mean']:7.1f}  p10 {q['p10']:5d}  p50 {q['p50']:5d}  p90 {q['p90']:5d}  "
                f"p99 {q['p99']:5d}  max {q['max']:5d}")

    out.append("lengths:")
    out.append(row("C tokens", st["c_tokens"]))
    out.append(row("C lines", st["c_lines"]))
    for k, q in st["asm_lines"].items():
        out.append(row(f"asm lines {k}", q))
    out.append("feature coverage:")
    for k, v in st["features"].items():
        out.append(f"  {k:16s} {v['count']:7d}  {100 * v['share']:5.1f}%")
    return "\n".join(out)
