"""`neuralcc corpus build`: generate -> dedup -> decontaminate -> UB check -> gcc labels -> shards."""
from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from multiprocessing import Pool
from pathlib import Path

from .dedup import EvalIndex, exact_key
from .generator import GeneratedFunction, GeneratorConfig, generate_function
from .label import LabelStats, Unit, label_units
from .shards import ShardWriter
from .splits import split_of
from .uris import synthetic_uri

DEFAULT_EVAL_URIS = ("benchmark://humaneval-decompile-v0", "benchmark://kernels-v0",
                     "benchmark://synthetic-v1/seed=7?count=1000")


@dataclass
class BuildConfig:
    out_dir: str
    seed: int = 1
    count: int = 1000
    start: int = 0
    arches: tuple = ("x86-64", "aarch64")
    opts: tuple = ("O0", "O2")
    cache_path: str | None = None
    workers: int = 2
    batch_size: int = 250
    ub_check: bool = True
    drop_constant: bool = True
    drop_dead_params: bool = True  # an input parameter never changed the outcome on the check inputs
    eval_uris: tuple = DEFAULT_EVAL_URIS
    shared_dir: str | None = None
    records_per_shard: int = 10000
    progress: bool = True


@dataclass
class BuildReport:
    seed: int
    generated: int = 0
    duplicates_removed: int = 0
    contamination: dict = field(default_factory=dict)  # eval corpus -> {"exact": n, "near": n}
    contaminated_examples: list = field(default_factory=list)
    eval_corpora: dict = field(default_factory=dict)  # uri -> count or "missing: ..."
    warning_dropped: int = 0  # gcc -Wall -Wextra warned on some arch
    ub_checked: int = 0
    ub_dropped: int = 0
    ub_drop_rate: float = 0.0
    constant_output_dropped: int = 0
    return0_passes_dropped: int = 0
    dead_param_functions: int = 0
    dead_param_dropped: int = 0
    compile_failures: int = 0
    compile_errors: list = field(default_factory=list)
    labels_batched: int = 0
    labels_single: int = 0
    labels_cached: int = 0
    written: dict = field(default_factory=dict)
    shard_paths: dict = field(default_factory=dict)
    seconds: dict = field(default_factory=dict)


def _gen_chunk(args) -> list[GeneratedFunction]:
    seed, lo, hi, cfg = args
    return [generate_function(seed, i, cfg) for i in range(lo, hi)]


def generate_many(seed: int, start: int, count: int, cfg: GeneratorConfig | None = None, workers: int = 2,
                  progress: bool = True) -> list[GeneratedFunction]:
    from tqdm import tqdm

    cfg = cfg or GeneratorConfig()
    step = 1000
    chunks = [(seed, i, min(i + step, start + count), cfg) for i in range(start, start + count, step)]
    out: list[GeneratedFunction] = []
    bar = tqdm(total=count, desc="generate", unit="fn", disable=not progress)
    if workers > 1 and len(chunks) > 1:
        with Pool(workers) as pool:
            for part in pool.imap(_gen_chunk, chunks):
                out.extend(part)
                bar.update(len(part))
    else:
        for c in chunks:
            part = _gen_chunk(c)
            out.extend(part)
            bar.update(len(part))
    bar.close()
    return out


def eval_index(uris, shared_dir, report: BuildReport) -> dict[str, EvalIndex]:
    from .loaders import CorpusMissing, load_benchmarks

    out = {}
    for uri in uris:
        try:
            bms = load_benchmarks(uri, shared_dir=shared_dir)
        except CorpusMissing as e:
            report.eval_corpora[uri] = f"missing: {e}"
            continue
        report.eval_corpora[uri] = len(bms)
        out[uri] = EvalIndex.build([(b.uri, _entry_text(b.source, b.entry)) for b in bms])
    return out


def _entry_text(source: str, entry: str) -> str:
    """The code that matters for contamination: the whole unit minus #include lines."""
    return "\n".join(line for line in source.splitlines() if not line.lstrip().startswith("#include"))


def _checked(fns: list[GeneratedFunction], cfg: BuildConfig):
    """Sanitizer + liveness verdicts, from the cache where possible (keyed by source hash)."""
    from .label import LabelCache
    from .ubcheck import UB_CHECK_VERSION, UBReport, check_functions

    cache = LabelCache(cfg.cache_path)
    keys = {f.name: Unit(f.name, f.source).key for f in fns}
    known = cache.get_checks(keys.values(), UB_CHECK_VERSION)
    todo = [f for f in fns if keys[f.name] not in known]
    new = check_functions(todo, workers=cfg.workers, batch_size=cfg.batch_size, progress=cfg.progress) \
        if todo else UBReport()
    fresh = {}
    for f in todo:
        fresh[keys[f.name]] = {"ub": f.name in set(new.dropped), "constant": f.name in set(new.constant_output),
                               "return0": f.name in set(new.return0_passes), "dead": new.dead_params.get(f.name, [])}
    cache.put_checks(fresh, UB_CHECK_VERSION)
    rep = UBReport(checked=len(fns), harness_errors=new.harness_errors)
    verdicts = {**known, **fresh}
    for f in fns:
        v = verdicts[keys[f.name]]
        if v["ub"]:
            rep.dropped.append(f.name)
        if v["constant"]:
            rep.constant_output.append(f.name)
        if v["return0"]:
            rep.return0_passes.append(f.name)
        if v["dead"]:
            rep.dead_params[f.name] = v["dead"]
    return rep


def build_synthetic(cfg: BuildConfig) -> BuildReport:
    rep = BuildReport(seed=cfg.seed)
    t0 = time.time()
    fns = generate_many(cfg.seed, cfg.start, cfg.count, workers=cfg.workers, progress=cfg.progress)
    rep.generated = len(fns)
    rep.seconds["generate"] = round(time.time() - t0, 1)

    t0 = time.time()
    seen: set[str] = set()
    kept: list[GeneratedFunction] = []
    for f in fns:
        k = exact_key(f.source)
        if k in seen:
            rep.duplicates_removed += 1
            continue
        seen.add(k)
        kept.append(f)
    indexes = eval_index(cfg.eval_uris, cfg.shared_dir, rep)
    clean: list[GeneratedFunction] = []
    for f in kept:
        hit = None
        for uri, idx in indexes.items():
            # the held-out synthetic stream of the same seed range is its own corpus: skip self-matches
            m = idx.match(_entry_text(f.source, f.name))
            if m is not None and m[1] != synthetic_uri(cfg.seed, f.index):
                hit = (uri, m)
                break
        if hit is None:
            clean.append(f)
            continue
        uri, (kind, eval_uri, sim) = hit
        c = rep.contamination.setdefault(uri, {"exact": 0, "near": 0})
        c[kind] += 1
        if len(rep.contaminated_examples) < 20:
            rep.contaminated_examples.append({"uri": synthetic_uri(cfg.seed, f.index), "matches": eval_uri,
                                              "kind": kind, "similarity": round(sim, 3)})
    rep.seconds["dedup"] = round(time.time() - t0, 1)

    t0 = time.time()
    from .compile_check import filter_warnings

    clean, warned = filter_warnings(clean, cfg.arches, workers=cfg.workers, progress=cfg.progress)
    rep.warning_dropped = len(warned)
    rep.seconds["warnings"] = round(time.time() - t0, 1)

    if cfg.ub_check:
        t0 = time.time()
        ub = _checked(clean, cfg)
        rep.ub_checked = ub.checked
        rep.ub_dropped = len(ub.dropped)
        rep.ub_drop_rate = round(ub.drop_rate, 5)
        drop = set(ub.dropped)
        if cfg.drop_constant:
            rep.constant_output_dropped = len(set(ub.constant_output) - drop)
            rep.return0_passes_dropped = len(set(ub.return0_passes) - drop - set(ub.constant_output))
            drop |= set(ub.constant_output) | set(ub.return0_passes)
        if cfg.drop_dead_params:
            rep.dead_param_dropped = len(set(ub.dead_params) - drop)
            drop |= set(ub.dead_params)
        rep.dead_param_functions = len(ub.dead_params)
        clean = [f for f in clean if f.name not in drop]
        rep.seconds["ub_check"] = round(time.time() - t0, 1)

    t0 = time.time()
    units = [Unit(f.name, f.source) for f in clean]
    stats = LabelStats()
    labels = label_units(units, cfg.arches, cfg.opts, cache_path=cfg.cache_path, workers=cfg.workers,
                         batch_size=cfg.batch_size, progress=cfg.progress, stats=stats)
    rep.labels_batched, rep.labels_single, rep.labels_cached = stats.batched, stats.single, stats.cached
    rep.compile_failures = stats.failed
    rep.compile_errors = stats.errors[:20]
    rep.seconds["label"] = round(time.time() - t0, 1)

    t0 = time.time()
    with ShardWriter(cfg.out_dir, cfg.records_per_shard) as w:
        for f, u in zip(clean, units):
            lab = labels[u.key]
            if any(lab[a][o].asm is None for a in cfg.arches for o in cfg.opts):
                continue
            w.write({
                "uri": synthetic_uri(cfg.seed, f.index),
                "entry": f.name,
                "source": f.source,
                "features": f.features,
                "split": split_of(f.source, f.name),
                "asm": {a: {o: lab[a][o].asm for o in cfg.opts} for a in cfg.arches},
                "lines": {a: {o: lab[a][o].lines for o in cfg.opts} for a in cfg.arches},
                "meta": {"seed": cfg.seed, "index": f.index, "return_type": f.return_type,
                         "annotations": f.annotations},
            })
    rep.written = dict(w.counts)
    rep.shard_paths = {k: v for k, v in w.paths.items()}
    rep.seconds["write"] = round(time.time() - t0, 1)
    Path(cfg.out_dir, "build-report.json").write_text(json.dumps(asdict(rep), indent=1, default=str) + "\n")
    return rep
