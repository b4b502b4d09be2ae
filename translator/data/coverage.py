"""Which pieces of a corpus a translation memory holds, at which level, and how often its piece is gcc's.

    python -m neuralcc.translator.data.coverage --model translator/default_model \\
        --corpus benchmark://humaneval-decompile-v0 --shared ../shared --out runs/coverage-he

Each benchmark goes through the training data's own pipeline (the model's lowering, gcc's -O0 label,
named stack slots, the skeleton's pieces: lowerdata, slotdata, localdata), so every piece has gcc's
answer beside the memory's. Printed per arch: pieces per memory level with how many the level answers
exactly as gcc does, pieces at no level, functions whose every piece is gcc's, and the statements
missed most often (names canonical, numbers as #). `--out` keeps one JSON line per piece
(`pieces.jsonl`) and the totals (`coverage.json`).

It is a diagnostic of the data, not of the translator: a piece other than gcc's may still be right,
and a function whose pieces are all gcc's may still fail for other reasons (pieces that do not line
up give no row; see `skipped`).
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace

from ..memory.store import LEVELS, Memory

OPT = "O0"
_NUMBER = re.compile(r"\d+")


@dataclass
class ArchCoverage:
    pieces: Counter = field(default_factory=Counter)  # level (or "none") -> pieces
    right: Counter = field(default_factory=Counter)  # level -> pieces equal to gcc's
    functions: int = 0
    all_right: int = 0
    missed: Counter = field(default_factory=Counter)  # statement (numbers as #) -> pieces at no level
    wrong: Counter = field(default_factory=Counter)  # statement -> pieces answered other than gcc's

    def as_dict(self) -> dict:
        return {"functions": self.functions, "functions_all_right": self.all_right,
                "pieces": dict(self.pieces), "right": dict(self.right),
                "missed": dict(self.missed.most_common(40)), "wrong": dict(self.wrong.most_common(40))}


def statement_of(prompt) -> str:
    """A prompt's statement with its role, numbers as # (what the misses are counted by)."""
    return f"{prompt.role}: {_NUMBER.sub('#', prompt.statement)}"


def local_records(benchmarks, archs: list[str], lower: str | bool, params: bool, workers: int = 2):
    """(benchmark, "local" record or the reason there is none) per benchmark, as training data is made."""
    from neuralcc.corpora.label import Unit, label_units

    from .localdata import convert_record
    from .lowerdata import _lower
    from .slotdata import named_slots

    recs = []
    for b in benchmarks:
        rec = {"uri": b.uri, "entry": b.entry, "source": b.source, "split": "test"}
        if lower:
            rec, why = _lower(rec, atoms=lower == "atoms")
            if why:
                recs.append((b, why))
                continue
        recs.append((b, rec))
    todo = [r for _, r in recs if isinstance(r, dict)]
    labels = label_units([Unit(r["entry"], r["source"]) for r in todo], archs, [OPT], workers=workers,
                         progress=False)
    for b, rec in recs:
        if isinstance(rec, str):
            yield b, rec
            continue
        lab = labels[Unit(rec["entry"], rec["source"]).key]
        asm, lines = {}, {}
        for arch in archs:
            if lab[arch][OPT].asm is None:
                continue
            try:
                got = named_slots({**rec, "asm": {arch: {OPT: lab[arch][OPT].asm}},
                                   "lines": {arch: {OPT: lab[arch][OPT].lines}}}, arch)
            except Exception as err:  # noqa: BLE001 - a diagnostic: one function's failure is a row
                got = None
                yield b, f"{arch}: no named slots ({type(err).__name__})"
            if got:
                asm[arch], lines[arch] = {OPT: got[0]}, {OPT: got[1]}
        local, why = convert_record({**rec, "asm": asm, "lines": lines}, archs, params=params)
        yield b, local if local is not None else ", ".join(why)


def measure(model_dir: Path, benchmarks, archs: list[str], workers: int = 2, rows: list | None = None):
    """Per arch, the memory's coverage of the benchmarks' pieces; `rows` collects one dict per piece."""
    from ..prompts import PromptStyle
    from . import records as R

    config = json.loads((model_dir / "config.json").read_text())
    style = PromptStyle.of(SimpleNamespace(**config))
    memory = Memory.load(model_dir)
    out = {a: ArchCoverage() for a in archs}
    skipped = Counter()
    for b, rec in local_records(benchmarks, archs, config.get("neuralcc_lower", False),
                                bool(config.get("neuralcc_params")), workers):
        if isinstance(rec, str):
            skipped[rec] += 1
            continue
        for arch in archs:
            pairs = R.canonical_pieces(rec, arch, style)
            if not pairs:
                skipped[f"{arch}: no pieces"] += 1
                continue
            cov = out[arch]
            cov.functions += 1
            every = True
            for prompt, piece in pairs:
                hit = memory.lookup(arch, prompt)
                level = hit.level if hit else "none"
                ok = hit is not None and hit.piece == piece
                cov.pieces[level] += 1
                cov.right[level] += ok
                every &= ok
                if hit is None:
                    cov.missed[statement_of(prompt)] += 1
                elif not ok:
                    cov.wrong[statement_of(prompt)] += 1
                if rows is not None:
                    rows.append({"benchmark": b.uri, "arch": arch, "prompt": prompt.render(), "gcc": piece, "level": level,
                                 "memory": hit.piece if hit else None, "right": ok})
            cov.all_right += every
    return out, skipped


def report(out: dict[str, ArchCoverage], skipped: Counter, show: int) -> str:
    lines = []
    for arch, cov in out.items():
        total = sum(cov.pieces.values())
        lines.append(f"{arch}: {cov.functions} functions, {total} pieces; every piece gcc's in {cov.all_right}")
        for level in (*LEVELS, "none"):
            n = cov.pieces[level]
            if n:
                lines.append(f"  {level:18} {n:6} pieces ({n / total:6.1%})  gcc's piece {cov.right[level]:6}")
        if show:
            lines.append("  most missed statements:")
            lines += [f"    {n:4}  {s}" for s, n in cov.missed.most_common(show)]
            lines.append("  most often answered otherwise:")
            lines += [f"    {n:4}  {s}" for s, n in cov.wrong.most_common(show)]
    if skipped:
        lines.append("skipped: " + ", ".join(f"{k} {v}" for k, v in skipped.most_common()))
    return "\n".join(lines)


def main(argv=None) -> int:
    from neuralcc.corpora.loaders import CorpusError, load_benchmarks

    ap = argparse.ArgumentParser(prog="python -m neuralcc.translator.data.coverage",
                                 description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="translator/default_model", help="a local-mode model with its memory")
    ap.add_argument("--corpus", required=True, help="benchmark URI or path")
    ap.add_argument("--shared", default="../shared", help="the shared/ folder holding corpora/")
    ap.add_argument("--arch", default="x86-64,aarch64")
    ap.add_argument("--limit", type=int)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--show", type=int, default=15, help="statements listed per arch")
    ap.add_argument("--out", help="directory for pieces.jsonl and coverage.json")
    args = ap.parse_args(argv)
    model_dir = Path(args.model)
    if not list(model_dir.glob("memory-*.json.gz")):
        print(f"coverage: error: {model_dir}: no translation memory here", file=sys.stderr)
        return 2
    try:
        benchmarks = load_benchmarks(args.corpus, shared_dir=Path(args.shared) / "corpora", limit=args.limit)
    except CorpusError as err:
        print(f"coverage: error: {err}", file=sys.stderr)
        return 2
    rows = [] if args.out else None
    out, skipped = measure(model_dir, benchmarks, args.arch.split(","), args.workers, rows)
    print(report(out, skipped, args.show))
    if args.out:
        d = Path(args.out)
        d.mkdir(parents=True, exist_ok=True)
        with open(d / "pieces.jsonl", "w") as fh:
            fh.writelines(json.dumps(r) + "\n" for r in rows)
        (d / "coverage.json").write_text(json.dumps(
            {"model": str(model_dir), "corpus": args.corpus, "arches": {a: c.as_dict() for a, c in out.items()},
             "skipped": dict(skipped)}, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
