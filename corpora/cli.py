"""`neuralcc corpus ...`: build labelled shards, report statistics, list benchmarks."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from .gcc import ARCHES, OPT_LEVELS


def _error(msg: str) -> int:
    print(f"neuralcc corpus: error: {msg.splitlines()[0] if msg else 'failed'}", file=sys.stderr)
    return 2


def register(subparsers) -> None:
    p = subparsers.add_parser("corpus", help="synthetic C functions, real corpora, gcc-labelled pairs",
                              description="Build and inspect the corpora: synthetic-v1, kernels-v0, "
                                          "humaneval-decompile-v0, C files, ExeBench JSONL.")
    sub = p.add_subparsers(dest="corpus_command", metavar="SUBCOMMAND", required=True)

    b = sub.add_parser("build", help="generate synthetic functions and write gcc-labelled JSONL shards",
                       description="Generate synthetic-v1 functions for a seed, drop duplicates, evaluation "
                                   "look-alikes (exact and MinHash near duplicates), functions with undefined "
                                   "behaviour (ASan+UBSan native runs) and functions whose outputs never change; "
                                   "label the rest with gcc for every arch and opt level; write "
                                   "train/valid/test shards (gzip JSONL) and build-report.json.")
    b.add_argument("--out", required=True, help="output directory for the shards")
    b.add_argument("--seed", type=int, default=1, help="generator seed (default 1; seed 7 is held out)")
    b.add_argument("--count", type=int, default=1000, help="functions to generate (before drops)")
    b.add_argument("--start", type=int, default=0, help="first function index")
    b.add_argument("--arch", action="append", choices=ARCHES, help="target (repeatable; default both)")
    b.add_argument("--opt", action="append", choices=OPT_LEVELS, help="opt level (repeatable; default O0 O2)")
    b.add_argument("--cache", default=None, help="sqlite label cache (default <out>/../cache/labels.sqlite)")
    b.add_argument("--no-cache", action="store_true", help="do not read or write the label cache")
    b.add_argument("--workers", type=int, default=2, help="processes (default 2)")
    b.add_argument("--batch-size", type=int, default=250, help="functions per gcc invocation")
    b.add_argument("--no-ub-check", action="store_true", help="skip the sanitizer runs")
    b.add_argument("--keep-constant", action="store_true",
                   help="keep functions whose outputs never changed over the UB-check inputs")
    b.add_argument("--keep-dead-params", action="store_true",
                   help="keep functions with an input parameter that never changed the outcome")
    b.add_argument("--eval", action="append", metavar="URI",
                   help="evaluation corpus to decontaminate against (repeatable; default humaneval, "
                        "kernels-v0, synthetic-v1/seed=7?count=1000)")
    b.add_argument("--no-eval", action="store_true", help="skip contamination control")
    b.add_argument("--shared-dir", default=None, help="directory holding humaneval-decompile.jsonl")
    b.add_argument("--records-per-shard", type=int, default=10000)
    b.add_argument("--no-progress", action="store_true", help="no progress bars")
    b.set_defaults(func=cmd_build)

    s = sub.add_parser("stats", help="counts, lengths and feature coverage of a shard directory",
                       description="Report record counts per split, contamination and drop counts from the "
                                   "build report, length distributions (C tokens and lines, asm lines per "
                                   "arch/opt) and feature coverage.")
    s.add_argument("path", help="shard directory or one .jsonl[.gz] shard")
    s.add_argument("--split", default=None, help="only this split (default all)")
    s.add_argument("--limit", type=int, default=None, help="read at most this many records")
    s.add_argument("--json", action="store_true", help="machine-readable output")
    s.set_defaults(func=cmd_stats)

    ls = sub.add_parser("list", help="list the benchmarks a URI or path names",
                        description="Print one line per benchmark: URI, entry, features. URIs: "
                                    "benchmark://humaneval-decompile-v0[/N], benchmark://synthetic-v1/seed=S[/I]"
                                    "[?count=N], benchmark://kernels-v0[/name], file:///x.c#fn, file:///dir/, "
                                    "ExeBench .jsonl paths.")
    ls.add_argument("uri", help="benchmark URI or path")
    ls.add_argument("--limit", type=int, default=None)
    ls.add_argument("--shared-dir", default=None, help="directory holding humaneval-decompile.jsonl")
    ls.add_argument("--source", action="store_true", help="print each benchmark's C source too")
    ls.set_defaults(func=cmd_list)

    u = sub.add_parser("ubcheck", help="run the sanitizer check on synthetic functions",
                       description="Native runs under -fsanitize=undefined,address on generated inputs; prints "
                                   "the drop rate and the verifier-free liveness counts.")
    u.add_argument("--seed", type=int, default=1)
    u.add_argument("--count", type=int, default=1000)
    u.add_argument("--start", type=int, default=0)
    u.add_argument("--workers", type=int, default=2)
    u.add_argument("--no-progress", action="store_true")
    u.set_defaults(func=cmd_ubcheck)


def cmd_build(args) -> int:
    from .build import DEFAULT_EVAL_URIS, BuildConfig, build_synthetic

    if args.count <= 0:
        return _error(f"--count must be positive, got {args.count}")
    out = Path(args.out)
    cache = None if args.no_cache else (args.cache or str(out.parent / "cache" / "labels.sqlite"))
    cfg = BuildConfig(out_dir=str(out), seed=args.seed, count=args.count, start=args.start,
                      arches=tuple(args.arch or ARCHES), opts=tuple(args.opt or ("O0", "O2")),
                      cache_path=cache, workers=args.workers, batch_size=args.batch_size,
                      ub_check=not args.no_ub_check, drop_constant=not args.keep_constant,
                      drop_dead_params=not args.keep_dead_params,
                      eval_uris=() if args.no_eval else tuple(args.eval or DEFAULT_EVAL_URIS),
                      shared_dir=args.shared_dir, records_per_shard=args.records_per_shard,
                      progress=not args.no_progress)
    t0 = time.time()
    try:
        rep = build_synthetic(cfg)
    except (OSError, ValueError) as e:
        return _error(str(e))
    total = sum(rep.written.values())
    print(f"generated {rep.generated}, duplicates removed {rep.duplicates_removed}, "
          f"contamination removed {json.dumps(rep.contamination)}")
    print(f"dropped {rep.warning_dropped} that gcc -Wall -Wextra warns about")
    if cfg.ub_check:
        print(f"UB check: {rep.ub_dropped}/{rep.ub_checked} dropped ({100 * rep.ub_drop_rate:.3f}%); "
              f"constant output dropped {rep.constant_output_dropped}, return-0-passes dropped "
              f"{rep.return0_passes_dropped}; {rep.dead_param_functions} with a dead input parameter "
              f"({rep.dead_param_dropped} dropped)")
    print(f"labels: {rep.labels_batched} batched, {rep.labels_single} single, {rep.labels_cached} cached, "
          f"{rep.compile_failures} compile failures")
    print(f"wrote {total} records {rep.written} to {out} in {time.time() - t0:.0f} s ({rep.seconds})")
    return 0 if rep.compile_failures == 0 else 1


def cmd_stats(args) -> int:
    from .stats import corpus_stats, format_stats
    from .shards import ShardError

    try:
        st = corpus_stats(args.path, split=args.split, limit=args.limit)
    except (ShardError, OSError, ValueError) as e:
        return _error(str(e))
    print(json.dumps(st, indent=1) if args.json else format_stats(st))
    return 0


def cmd_list(args) -> int:
    from .loaders import CorpusError, load_benchmarks

    try:
        bms = load_benchmarks(args.uri, shared_dir=args.shared_dir, limit=args.limit)
    except (CorpusError, OSError) as e:
        return _error(str(e))
    for bm in bms:
        print(f"{bm.uri}\t{bm.entry}\t{','.join(bm.features)}")
        if args.source:
            print(bm.source)
    return 0


def cmd_ubcheck(args) -> int:
    from .build import generate_many
    from .ubcheck import check_functions

    fns = generate_many(args.seed, args.start, args.count, workers=args.workers, progress=not args.no_progress)
    rep = check_functions(fns, workers=args.workers, progress=not args.no_progress)
    print(f"UB check: {len(rep.dropped)}/{rep.checked} dropped ({100 * rep.drop_rate:.3f}%)")
    print(f"liveness: {len(rep.constant_output)} constant output, {len(rep.return0_passes)} pass with return 0, "
          f"{len(rep.dead_params)} have an input parameter that never changed the outcome")
    for name in rep.dropped[:20]:
        print(f"  dropped {name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="neuralcc")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
