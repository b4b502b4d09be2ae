"""`neuralcc eval` and `neuralcc report`."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .translators import BEST_TRANSLATOR, MODEL_KINDS

DEFAULT_SYNTHETIC = "benchmark://synthetic-v1/seed=7?count=100&filter=live"  # the held-out seed-7 stream


def _csv(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "eval", help="evaluation run: translator x corpora x arches x opt levels -> verdicts and pass@k",
        description="Translate every benchmark with TRANSLATOR, check every sample with the verifier, and "
                    "write one JSONL line per sample to OUT/results.jsonl (resumable), then a report. "
                    "Translators: gcc | mutant | return0 | arg0 | model[:DIR] | memory[:DIR] | model+memory[:DIR] | "
                    "file:PATH | http:URL.")
    p.add_argument("--translator", default=BEST_TRANSLATOR,
                   help="gcc, mutant, return0, arg0, model[:DIR], memory[:DIR] (the translation memory beside that "
                        "model, alone: a nearest-neighbour baseline), model+memory[:DIR] (the model, with the pieces "
                        "the memory holds taken from it), file:PATH or http:URL (default: %(default)s, the one that "
                        "measures best with the shipped model)")
    p.add_argument("--corpus", nargs="+", default=[], metavar="URI",
                   help="benchmark URIs or paths, e.g. benchmark://kernels-v0 benchmark://humaneval-decompile-v0")
    p.add_argument("--arch", default="x86-64,aarch64", help="comma-separated (default: %(default)s)")
    p.add_argument("--opt", default="O0", help="comma-separated opt levels (default: %(default)s)")
    p.add_argument("-n", type=int, default=1, help="samples per benchmark (default: %(default)s = greedy)")
    p.add_argument("-k", default="1", help="comma-separated k for pass@k / verified@k (default: %(default)s)")
    p.add_argument("--out", help="run directory (default runs/<translator>)")
    p.add_argument("--workers", type=int, default=2, help="processes (default: %(default)s)")
    p.add_argument("--limit", type=int, help="at most this many benchmarks per corpus")
    p.add_argument("--seed", type=int, default=0, help="(default: %(default)s)")
    p.add_argument("--examples", type=int, default=100, help="hypothesis examples per sample (default: %(default)s)")
    p.add_argument("--random", type=int, default=300, dest="random_inputs",
                   help="fast random inputs per benchmark (default: %(default)s)")
    p.add_argument("--temperature", type=float, default=0.8, help="sampling temperature when n > 1 (default: %(default)s)")
    p.add_argument("--repair", type=int, default=0, metavar="CALLS",
                   help="guess and check: a failed greedy sample of model, memory or model+memory gets its "
                        "likeliest wrong pieces rewritten and checked again, at most CALLS more verifier calls; "
                        "reported as repaired@CALLS beside pass@1 (default 0: off)")
    p.add_argument("--prompt", help="prompt template file for http translators ({source} {entry} {arch} {opt})")
    p.add_argument("--model-name", default="default", help="model name sent to http translators (default: %(default)s)")
    p.add_argument("--shared", help="the shared/ folder holding corpora/ (default ../shared)")
    p.add_argument("--default-run", action="store_true",
                   help="the main job (make eval): shipped model on the project's kernels and a held-out "
                        "synthetic set, both arches, -O0; adds humaneval-decompile when shared/ is present")
    p.add_argument("--no-report", action="store_true")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=eval_command)

    r = sub.add_parser("report", help="HTML + Markdown failure-mode report of a run directory",
                       description="Write RUN/report.html (self-contained) and RUN/report.md; with --compare, "
                                   "also what got fixed and what regressed against other runs.")
    r.add_argument("run", help="run directory")
    r.add_argument("--compare", nargs="*", default=[], help="other run directories")
    r.add_argument("--max-pages", type=int, default=200, help="failing samples shown in detail")
    r.set_defaults(func=report_command)


def eval_command(args) -> int:
    from neuralcc.corpora.loaders import CorpusError

    from .evaluate import RunConfig, evaluate
    from .report import write_report
    from .translators import TranslatorError, has_memory, make_translator

    corpora = list(args.corpus)
    shared = args.shared
    if args.default_run:
        corpora = corpora or ["benchmark://kernels-v0", DEFAULT_SYNTHETIC]
        he = Path(shared or Path.cwd().parent / "shared") / "corpora" / "humaneval-decompile.jsonl"
        if he.exists():
            corpora.append("benchmark://humaneval-decompile-v0")
            print(f"neuralcc eval: humaneval-decompile found at {he}: included", file=sys.stderr)
        else:
            print(f"neuralcc eval: humaneval-decompile not found at {he}: skipped (give --shared DIR)",
                  file=sys.stderr)
    if not corpora:
        print("neuralcc eval: error: give at least one --corpus (or --default-run)", file=sys.stderr)
        return 2
    try:
        ks = [int(k) for k in _csv(args.k)]
    except ValueError:
        print(f"neuralcc eval: error: -k must be comma-separated integers, got '{args.k}'", file=sys.stderr)
        return 2
    if max(ks) > args.n:
        print(f"neuralcc eval: error: pass@{max(ks)} needs -n >= {max(ks)}", file=sys.stderr)
        return 2
    cfg = RunConfig(translator=args.translator, corpora=corpora, arches=_csv(args.arch), opts=_csv(args.opt),
                    n=args.n, ks=ks, seed=args.seed, examples=args.examples, random_inputs=args.random_inputs,
                    limit=args.limit, temperature=args.temperature, prompt=args.prompt,
                    model_name=args.model_name, shared=shared, workers=args.workers, repair=args.repair)
    for a in cfg.arches:
        if a not in ("x86-64", "aarch64"):
            print(f"neuralcc eval: error: unknown arch '{a}' (x86-64, aarch64)", file=sys.stderr)
            return 2
    out = Path(args.out or f"runs/{args.translator.split(':')[0]}")
    runs = [(out, cfg)]
    if args.default_run:  # every figure beside the trivial baselines, on the same benchmarks
        from dataclasses import replace
        baselines = comparisons(args.translator, has_memory)
        main_name = args.translator.partition(":")[0] if args.translator.partition(":")[0] in MODEL_KINDS else "main"
        runs = [(out / name, replace(cfg, translator=t)) for name, t in [(main_name, args.translator), *baselines]]
    try:
        make_translator(cfg.translator, cfg.prompt, cfg.model_name, cfg.temperature)  # fail fast on a bad spec
        for run_dir, run_cfg in runs:
            if len(runs) > 1:
                print(f"neuralcc eval: {run_cfg.translator} -> {run_dir}", file=sys.stderr)
            evaluate(run_cfg, run_dir, progress=not args.quiet)
    except (CorpusError, TranslatorError, ValueError, FileNotFoundError) as err:
        print(f"neuralcc eval: error: {err}", file=sys.stderr)
        return 2
    main_run = runs[0][0]
    print(f"results: {main_run / 'results.jsonl'}")
    if not args.no_report:
        html_path, md_path = write_report(main_run, baselines=[r for r, _ in runs[1:]])
        print(md_path.read_text())
        print(f"report: {html_path}")
    return 0


def comparisons(translator: str, has_memory) -> list[tuple[str, str]]:
    """What `--default-run` prints beside `translator`, as (run name, translator): the trivial baselines,
    and for a translator of a model directory with a translation memory, the other two of the model
    alone, the memory alone and the model with it."""
    out = [("return0", "return0"), ("arg0", "arg0")]
    kind, _, model_dir = translator.partition(":")
    if kind in MODEL_KINDS and has_memory(model_dir or None):
        suffix = f":{model_dir}" if model_dir else ""
        out += [(other, other + suffix) for other in MODEL_KINDS if other != kind]
    return out


def report_command(args) -> int:
    from .report import write_report

    run = Path(args.run)
    try:
        html_path, md_path = write_report(run, [Path(c) for c in args.compare], args.max_pages)
    except (FileNotFoundError, ValueError) as err:
        print(f"neuralcc report: error: {err}", file=sys.stderr)
        return 2
    print(md_path.read_text())
    print(f"report: {html_path}")
    return 0
