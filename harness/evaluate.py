"""Evaluation runs: translator x corpora x arches x opt levels -> one JSONL line per sample.

A run directory holds `config.json` (exact configuration, versions, model hash) and `results.jsonl`
(appended as units finish). Run it again with the same directory and finished work is skipped, so an
interrupted run resumes. A benchmark that breaks (bad source, translator crash) gets result lines with
category `harness.error` and the run goes on.
"""
from __future__ import annotations

import json
import platform
import subprocess
import sys
import time
import traceback
from dataclasses import asdict, dataclass
from multiprocessing import get_context
from pathlib import Path

from tqdm import tqdm


@dataclass
class RunConfig:
    translator: str
    corpora: list[str]
    arches: list[str]
    opts: list[str]
    n: int
    ks: list[int]
    seed: int = 0
    examples: int = 100  # hypothesis examples per sample
    random_inputs: int = 300  # fast random inputs per benchmark
    limit: int | None = None
    temperature: float = 0.8
    prompt: str | None = None
    model_name: str = "default"
    shared: str | None = None
    workers: int = 2


@dataclass
class Unit:
    bench: object  # corpora.Benchmark
    corpus: str
    arch: str
    opt: str


def versions() -> dict:
    out = {"python": platform.python_version()}
    for pkg in ("neuralcc", "torch", "transformers", "tokenizers", "unicorn", "keystone-engine", "capstone",
                "pycparser", "hypothesis"):
        try:
            from importlib.metadata import version
            out[pkg] = version(pkg)
        except Exception:
            out[pkg] = None
    for cc in ("gcc", "aarch64-linux-gnu-gcc"):
        try:
            out[cc] = subprocess.run([cc, "-dumpfullversion"], capture_output=True, text=True).stdout.strip()
        except OSError:
            out[cc] = None
    return out


def corpora_dir(shared: str | None) -> Path | None:
    """Where the real corpora are: `shared/corpora` (None: the corpora package's default, ../shared/corpora)."""
    return Path(shared) / "corpora" if shared else None


def load_units(cfg: RunConfig) -> list[Unit]:
    from neuralcc.corpora import load_benchmarks

    units = []
    for corpus in cfg.corpora:
        for bench in load_benchmarks(corpus, shared_dir=corpora_dir(cfg.shared), limit=cfg.limit):
            for arch in cfg.arches:
                for opt in cfg.opts:
                    units.append(Unit(bench, corpus, arch, opt))
    return units


def repair(results: Path) -> None:
    """Drop a last line cut short by an interruption, so appended lines start on a line of their own."""
    if results.exists():
        data = results.read_bytes()
        if data and not data.endswith(b"\n"):
            results.write_bytes(data[: data.rfind(b"\n") + 1])


def done_keys(results: Path) -> set[tuple]:
    keys = set()
    if results.exists():
        for line in results.read_text().splitlines():
            try:
                r = json.loads(line)
                keys.add((r["benchmark"], r["arch"], r["opt"], r["sample"]))
            except (json.JSONDecodeError, KeyError):
                continue  # a line cut short by an interruption: that sample is redone
    return keys


_WORKER: dict = {}  # per-process: the translator, built once by the pool's initializer


def _init_worker(cfg: RunConfig, threads: int | None) -> None:
    from .translators import make_translator

    _WORKER["translator"] = make_translator(cfg.translator, cfg.prompt, cfg.model_name, cfg.temperature, threads)
    _WORKER["cfg"] = cfg


def run_unit(unit: Unit, missing: list[int]) -> list[dict]:
    """Translate and verify one (benchmark, arch, opt); never raises."""
    cfg: RunConfig = _WORKER["cfg"]
    translator = _WORKER["translator"]
    bench = unit.bench
    base = {"benchmark": bench.uri, "corpus": unit.corpus, "arch": unit.arch, "opt": unit.opt,
            "translator": cfg.translator, "features": list(bench.features),
            "lines": sum(1 for l in bench.source.splitlines() if l.strip())}
    try:
        from neuralcc.verifier.check import Checker

        start = time.perf_counter()
        checker = Checker(bench.source, unit.arch, unit.opt, bench.entry, examples=cfg.examples,
                          random_inputs=cfg.random_inputs, seed=cfg.seed, filename=bench.uri,
                          test_source=bench.test_source)
        setup = time.perf_counter() - start
        samples = translator.translate(bench, unit.arch, unit.opt, cfg.n, cfg.seed)
    except Exception as err:  # one broken benchmark never stops the run
        reason = f"{type(err).__name__}: {err}".splitlines()[0]
        return [{**base, "sample": i, "category": "harness.error", "passed": False, "message": reason,
                 "trace": traceback.format_exc(limit=3)} for i in missing]
    rows = []
    judged: dict[str, dict] = {}  # candidate text -> its verdict fields: sampling often repeats a text
    for i in missing:
        s = samples[i]
        row = {**base, "sample": i, "translate_seconds": round(s.seconds, 4), "tokens_in": s.tokens_in,
               "tokens_out": s.tokens_out, "injected": s.injected, "notes": s.notes, "asm": s.asm,
               "checker_setup_seconds": round(setup, 4)}
        if s.error:
            rows.append({**row, "category": "translator.error", "passed": False, "message": s.error})
            continue
        if s.asm in judged:
            rows.append({**row, **judged[s.asm], "notes": [*s.notes, "the same text as an earlier sample: its verdict"]})
            continue
        try:
            verdict = checker.check(s.asm)
        except Exception as err:
            rows.append({**row, "category": "harness.error", "passed": False,
                         "message": f"{type(err).__name__}: {err}".splitlines()[0]})
            continue
        vd = json.loads(verdict.to_json())
        judged[s.asm] = {"category": verdict.category, "passed": verdict.passed, "message": verdict.message,
                         "verify_seconds": verdict.seconds, "verdict": vd,
                         "test_category": verdict.test.category if verdict.test else None}
        rows.append({**row, **judged[s.asm]})
    return rows


def _run_unit_star(args):
    return run_unit(*args)


def evaluate(cfg: RunConfig, out: Path, progress: bool = True) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    config_path = out / "config.json"
    record = {"config": asdict(cfg), "versions": versions(), "command": sys.argv}
    from .translators import make_translator
    record["translator"] = make_translator(cfg.translator, cfg.prompt, cfg.model_name, cfg.temperature).describe()
    if config_path.exists():
        previous = json.loads(config_path.read_text())
        if previous.get("config") != record["config"]:
            raise ValueError(f"{out} holds a run with a different configuration; use another --out "
                             "(or delete it to start again)")
    config_path.write_text(json.dumps(record, indent=2))
    results = out / "results.jsonl"
    repair(results)
    done = done_keys(results)
    units = load_units(cfg)
    todo = []
    for u in units:
        missing = [i for i in range(cfg.n) if (u.bench.uri, u.arch, u.opt, i) not in done]
        if missing:
            todo.append((u, missing))
    skipped = len(units) - len(todo)
    bar = tqdm(total=len(todo), desc="eval", unit="unit", disable=not progress, dynamic_ncols=True,
               postfix={"resumed": skipped})
    workers = max(1, min(cfg.workers, len(todo)))
    threads = 1 if workers > 1 else None
    passed = total = 0
    with results.open("a") as sink:
        if workers == 1:
            _init_worker(cfg, threads)
            iterator = (run_unit(u, m) for u, m in todo)
            pool = None
        else:
            pool = get_context("fork").Pool(workers, _init_worker, (cfg, threads))
            iterator = pool.imap_unordered(_run_unit_star, todo)
        try:
            for rows in iterator:
                for r in rows:
                    sink.write(json.dumps(r) + "\n")
                    passed += bool(r["passed"])
                    total += 1
                sink.flush()
                bar.set_postfix(passed=f"{passed}/{total}", resumed=skipped)
                bar.update(1)
        finally:
            if pool is not None:
                pool.terminate()
    bar.close()
    return results


def read_results(run_dir: Path) -> list[dict]:
    path = run_dir / "results.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir}: no results.jsonl (is this a run directory?)")
    rows = []
    for line in path.read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows

