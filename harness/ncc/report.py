"""`neuralcc ncc-report build.jsonl`: how much of a build the model wrote, from ncc's NCC_REPORT lines."""
from __future__ import annotations

import json
import sys
from collections import Counter, defaultdict
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("ncc-report", help="summarise an ncc build report (NCC_REPORT=path.jsonl)",
                       description=__doc__)
    p.add_argument("report", help="the JSONL file ncc appended to")
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    p.set_defaults(func=run)


def summarise(rows: list[dict]) -> dict:
    """Per arch and unit: functions, neural-verified, neural-unverified; the last line per function wins
    (a rebuild appends again)."""
    last = {}
    for row in rows:
        last[row["arch"], row["opt"], row["unit"], row.get("cwd"), row["function"]] = row
    per_unit: dict = defaultdict(Counter)
    categories: Counter = Counter()
    for (arch, opt, unit, _, _), row in last.items():
        c = per_unit[f"{arch} -{opt}", unit]
        c["functions"] += 1
        c[row["outcome"]] += 1
        if row["outcome"] != "neural":
            categories[row["category"]] += 1
    totals: dict = defaultdict(Counter)
    for (target, _), c in per_unit.items():
        totals[target].update(c)
    return {"targets": {t: dict(c) for t, c in sorted(totals.items())},
            "units": [{"target": t, "unit": u, **c} for (t, u), c in sorted(per_unit.items())],
            "fallback_categories": dict(categories.most_common())}


def run(args) -> int:
    path = Path(args.report)
    try:
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    except (OSError, json.JSONDecodeError) as err:
        print(f"neuralcc ncc-report: error: {path}: {err}", file=sys.stderr)
        return 2
    summary = summarise(rows)
    if args.json:
        print(json.dumps(summary, indent=1))
        return 0
    for target, c in summary["targets"].items():
        n, v = c.get("functions", 0), c.get("neural", 0)
        print(f"{target}: {v}/{n} functions neural-verified ({100 * v / max(n, 1):.1f}%)"
              + (f", {c['neural-unverified']} unverified model code (NCC_MODE=neural)" if c.get("neural-unverified") else ""))
    for u in summary["units"]:
        print(f"  {u['target']}  {u['unit']}: {u.get('neural', 0)}/{u['functions']}")
    if summary["fallback_categories"]:
        print("gcc fallback by verdict: " + ", ".join(f"{k} {v}" for k, v in summary["fallback_categories"].items()))
    return 0
