"""`neuralcc prepare-data`: a labelled corpus (`neuralcc corpus build`) to the records `neuralcc train` reads.

    neuralcc prepare-data --data data/synthetic-v1 --out data/synthetic-v1-prepared
    neuralcc train --lower atoms --data data/synthetic-v1-prepared/records ...

Three stages, each in its own folder under OUT (a stage that is already there is not redone):

    lowered/  the C lowered (lowerdata.py): three-address code by default (`--lower atoms`), one operation
              per statement with `--lower ops`; gcc's labels recompiled from the lowered C
    slots/    gcc's code with named stack slots (slotdata.py): `@x@` where gcc wrote -20(%rbp)
    records/  one (prompt, piece) pair per piece of every function (localdata.py), a piece per
              parameter by default (`--no-params`: the prologue as one piece)

OUT/prepare.json holds the settings and counts what each stage kept and dropped; an OUT prepared with
other settings is refused, never reused.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from neuralcc.cbase.toolchain import ARCHES

LOWERINGS = {"atoms": "--lower atoms", "ops": "--lower", "none": ""}  # -> how `neuralcc train` is told


def prepare(data: Path, out: Path, arches: list[str], workers: int = 2, limit: int | None = None,
            lower: str = "atoms", params: bool = True, batch: int = 200) -> dict:
    """Run the stages; returns {stage: counts}."""
    from . import localdata, lowerdata, slotdata

    if lower not in LOWERINGS:
        raise ValueError(f"unknown lowering {lower!r} (use {', '.join(LOWERINGS)})")
    if limit is not None and lower == "none":
        raise ValueError("--limit is applied by the lowering stage: it needs --lower atoms or ops")
    settings = {"data": str(data.resolve()), "arches": list(arches), "limit": limit, "lower": lower, "params": params}
    path = out / "prepare.json"
    if path.is_file():
        report = json.loads(path.read_text())
    elif any(_done(out / stage) for stage in ("lowered", "slots", "records")):
        raise ValueError(f"{out} holds stages without a prepare.json: give another --out")
    else:
        report = {"settings": settings}
    if report.get("settings") != settings:
        raise ValueError(f"{out} was prepared with other settings ({report.get('settings')}): give another --out")
    out.mkdir(parents=True, exist_ok=True)

    def save() -> None:  # after each stage: a rerun resumes from the first stage not done
        path.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")

    save()
    source = data
    if lower != "none":
        lowered = out / "lowered"
        if not _done(lowered):
            report["lowered"] = dict(lowerdata.convert(data, lowered, arches, workers, limit, lower == "atoms")["counts"])
            save()
        source = lowered
    slots = out / "slots"
    if not _done(slots):
        report["slots"] = dict(slotdata.convert(source, slots, arches, workers, batch)["counts"])
        save()
    records = out / "records"
    if not _done(records):
        report["records"] = dict(localdata.convert(slots, records, workers, params=params))
        save()
    return report


def _done(stage: Path) -> bool:
    return stage.is_dir() and any(stage.glob("*.jsonl*"))


def register(subparsers) -> None:
    p = subparsers.add_parser("prepare-data", help="a labelled corpus to the records `neuralcc train` reads",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True, help="a corpus directory (neuralcc corpus build --out)")
    p.add_argument("--out", required=True, help="where the stages go (OUT/records is what train reads)")
    p.add_argument("--arch", nargs="+", default=list(ARCHES), help="default: both")
    p.add_argument("--workers", type=int, default=2, help="processes per stage (default 2)")
    p.add_argument("--limit", type=int, help="the first N training functions (valid and test stay whole)")
    p.add_argument("--lower", choices=list(LOWERINGS), default="atoms",
                   help="atoms: three-address code (default, the shipped model's); ops: one operation per "
                        "statement; none: the C as written")
    p.add_argument("--no-params", dest="params", action="store_false",
                   help="the prologue as one piece (default: a piece per parameter)")
    p.set_defaults(func=_command)


def _command(args) -> int:
    data = Path(args.data)
    if not data.is_dir() or not any(data.glob("*.jsonl*")):
        print(f"neuralcc prepare-data: error: {data}: not a corpus directory (no shards)", file=sys.stderr)
        return 2
    try:
        report = prepare(data, Path(args.out), args.arch, args.workers, args.limit, args.lower, args.params)
    except ValueError as err:
        print(f"neuralcc prepare-data: error: {err}", file=sys.stderr)
        return 2
    records = Path(args.out) / "records"
    aligned = sum(v for k, v in report.get("records", {}).items() if k.endswith("aligned"))
    print(json.dumps(report, sort_keys=True), file=sys.stderr)
    print(f"neuralcc prepare-data: {records}: {aligned} aligned (function, arch) records; train with "
          f"`neuralcc train {LOWERINGS[args.lower]} --data {records}`".replace("train  --", "train --"), file=sys.stderr)
    return 0
