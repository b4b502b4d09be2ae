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
    repair: int = 0  # guess and check: verifier calls a failed greedy sample may spend on rewritten pieces


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
    from neuralcc.corpora import CorpusError, load_benchmarks

    units = []
    for corpus in cfg.corpora:
        benches = load_benchmarks(corpus, shared_dir=corpora_dir(cfg.shared), limit=cfg.limit)
        if not benches:
            raise CorpusError(f"{corpus}: no benchmark in it")
        for bench in benches:
            for arch in cfg.arches:
                for opt in cfg.opts:
                    units.append(Unit(bench, corpus, arch, opt))
    return units


# What every results.jsonl row holds (run_unit writes them; resume and the report read them).
RESULT_FIELDS = {"benchmark": str, "corpus": str, "arch": str, "opt": str, "sample": int, "passed": bool,
                 "category": str, "lines": int, "message": (str, type(None)), "asm": (str, type(None)),
                 "verdict": (dict, type(None)), "injected": (str, type(None)), "features": (list, type(None))}


class ResultsError(ValueError):
    """A run directory that cannot be used; the message is one line naming the file."""


@dataclass
class Results:
    rows: list[dict]
    kept: list[bytes]  # each row's line as it is in the file
    broken: list[tuple[int, str]]  # (line number, what is wrong) of every line that is not a row
    cut_line: int | None  # the last line, when it ends without a newline (a write cut short)


def scan_results(path: Path) -> Results:
    from neuralcc.corpora.jsonl import parse_record

    try:
        data = path.read_bytes() if path.exists() else b""
    except OSError as err:
        raise ResultsError(f"{path}: {err.strerror}") from None
    lines = data.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    cut_line = len(lines) if data and not data.endswith(b"\n") else None
    scan = Results([], [], [], cut_line)
    for lineno, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            scan.rows.append(parse_record(raw, RESULT_FIELDS))
            scan.kept.append(raw)
        except ValueError as err:
            scan.broken.append((lineno, str(err)))
    return scan


def repair(results: Path) -> set[tuple]:
    """The (benchmark, arch, opt, sample) keys already done. Lines that are not rows (a write cut short by an
    interruption, a damaged line) are dropped from the file, saying so, and their samples are redone."""
    scan = scan_results(results)
    if scan.broken:
        tmp = results.with_suffix(".repair.tmp")
        tmp.write_bytes(b"".join(raw + b"\n" for raw in scan.kept))
        tmp.replace(results)
        lineno, problem = scan.broken[0]
        more = f" and {len(scan.broken) - 1} more" if len(scan.broken) > 1 else ""
        kept = len(scan.rows)
        print(f"neuralcc eval: repaired {results}: dropped line {lineno} ({problem}){more}, kept {kept} complete "
              f"row{'s' if kept != 1 else ''}; the samples whose rows were lost are redone", file=sys.stderr)
    return {(r["benchmark"], r["arch"], r["opt"], r["sample"]) for r in scan.rows}


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
            rows.append({**row, "category": "translator.error", "passed": False, "message": s.error,
                         "refused": s.refused})
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
        if cfg.repair and i == 0:
            rows[-1]["repair"] = guess_and_check(checker, s, verdict, cfg.repair)
    return rows


def guess_and_check(checker, sample, verdict, budget: int) -> dict:
    """Sample 0's repair (translator/repair.py): rewritten pieces checked until one passes or `budget`
    verifier calls are spent. The row's own verdict stays the greedy one (pass@1)."""
    out = {"budget": budget, "calls": 0, "passed": verdict.passed, "category": verdict.category, "asm": None}
    if verdict.passed or sample.repair is None:
        return out
    start = time.perf_counter()
    while out["calls"] < budget and not verdict.passed:
        asm = sample.repair.next(verdict)
        if asm is None:
            break
        verdict = checker.check(asm)
        out["calls"] += 1
    out.update(passed=verdict.passed, category=verdict.category, asm=asm if verdict.passed else None,
               pieces=sample.repair.rewritten(verdict.passed), seconds=round(time.perf_counter() - start, 3))
    return out


def _run_unit_star(args):
    return run_unit(*args)


def _differences(old: dict, new: dict) -> str:
    keys = [k for k in {**old, **new} if old.get(k) != new.get(k)]
    return ", ".join(f"{k} {old.get(k)!r} -> {new.get(k)!r}" for k in keys)


def evaluate(cfg: RunConfig, out: Path, progress: bool = True) -> Path:
    if out.exists() and not out.is_dir():
        raise ResultsError(f"{out}: not a directory (--out names the run directory)")
    config_path = out / "config.json"
    record = {"config": asdict(cfg), "versions": versions(), "command": sys.argv}
    from .translators import make_translator
    record["translator"] = make_translator(cfg.translator, cfg.prompt, cfg.model_name, cfg.temperature).describe()
    if config_path.exists():
        previous = read_config(out)
        fresh = f"use another --out, or delete {out} to start fresh"
        if previous.get("config") != record["config"]:
            raise ResultsError(f"{out} holds a run with a different configuration "
                               f"({_differences(previous.get('config') or {}, record['config'])}); {fresh}")
        if previous.get("translator") != record["translator"]:
            raise ResultsError(f"{out} holds a run of another translator or model "
                               f"({_differences(previous.get('translator') or {}, record['translator'])}); "
                               f"resuming would mix the two: {fresh}")
    units = load_units(cfg)  # before the directory is written: a bad corpus leaves nothing behind
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ResultsError(f"{out}: cannot create the run directory ({err.strerror})") from None
    config_path.write_text(json.dumps(record, indent=2))
    results = out / "results.jsonl"
    done = repair(results)
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


def read_config(run_dir: Path) -> dict:
    """A run's config.json ({} when there is none)."""
    from neuralcc.corpora.jsonl import read_text

    path = run_dir / "config.json"
    if not path.exists():
        return {}
    try:
        record = json.loads(read_text(path, ResultsError))
    except json.JSONDecodeError as err:
        raise ResultsError(f"{path}:{err.lineno}: malformed JSON ({err.msg})") from None
    if not isinstance(record, dict):
        raise ResultsError(f"{path}: expected an object")
    return record


def read_results(run_dir: Path) -> list[dict]:
    path = run_dir / "results.jsonl"
    if not path.exists():
        raise FileNotFoundError(f"{run_dir}: no results.jsonl (is this a run directory?)")
    scan = scan_results(path)
    for lineno, problem in scan.broken:
        if lineno != scan.cut_line:  # a last line still being written, or cut short: resuming redoes it
            raise ResultsError(f"{path}:{lineno}: {problem} (resuming the run with `neuralcc eval` repairs the file)")
    return scan.rows
