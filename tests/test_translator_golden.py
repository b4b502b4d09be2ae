"""Golden figures the translator's redesign must not move.

- The frozen corpus streams (synthetic-v1 seed 7, statements-v0 seed 1): hashes of their first sources, so
  a generator change can never shift a held-out set silently.
- The translation (greedy, the shipped model with its memory's pieces first, what ncc uses) of every
  function of kernels-v0, humaneval-decompile and the first 300 live functions of the seed-7 stream, both
  arches, -O0: one hash per function. Slow (about 16 CPU-minutes).

Recorded once, before a change, with

    NEURALCC_RECORD_GOLDEN=1 .venv/bin/python -m pytest -q tests/test_translator_golden.py -m slow

which rewrites tests/golden/*.json; otherwise the tests compare with what was recorded.
"""
import hashlib
import json
import os
from pathlib import Path

import pytest

from neuralcc.corpora.generator import generate_function
from neuralcc.corpora.loaders import load_benchmarks
from neuralcc.corpora.statements import generate as generate_statement

GOLDEN = Path(__file__).resolve().parent / "golden"
RECORD = os.environ.get("NEURALCC_RECORD_GOLDEN") == "1"
SETS = {  # name -> (URI, at most this many functions)
    "kernels": ("benchmark://kernels-v0", None),
    "humaneval": ("benchmark://humaneval-decompile-v0", None),
    "synthetic": ("benchmark://synthetic-v1/seed=7?count=400&filter=live", 300),
}
ARCHES = ("x86-64", "aarch64")


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def _compare_or_record(name: str, got: dict) -> None:
    path = GOLDEN / f"{name}.json"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(json.dumps(got, indent=1, sort_keys=True) + "\n")
        return
    if not path.exists():
        pytest.fail(f"{path} was never recorded (NEURALCC_RECORD_GOLDEN=1, see this file's docstring)")
    want = json.loads(path.read_text())
    changed = sorted(k for k in want.keys() | got.keys() if want.get(k) != got.get(k))
    assert not changed, f"{len(changed)} of {len(want)} changed, first: {changed[:10]}"


def test_the_frozen_corpus_streams_do_not_drift():
    streams = {
        "synthetic-v1/seed=7": [generate_function(7, i).source for i in range(300)],
        "statements-v0/seed=1": [generate_statement(1, i)["source"] for i in range(300)],
    }
    _compare_or_record("streams", {k: _sha("\0".join(v)) for k, v in streams.items()})


@pytest.mark.slow
@pytest.mark.parametrize("name", list(SETS))
def test_greedy_translations_are_unchanged(name, shared_dir):
    from neuralcc.harness.translators import make_translator

    uri, limit = SETS[name]
    if name == "humaneval" and not (shared_dir / "corpora" / "humaneval-decompile.jsonl").exists():
        pytest.skip(f"humaneval-decompile not found under {shared_dir} (set NEURALCC_SHARED=DIR)")
    benches = load_benchmarks(uri, shared_dir=shared_dir / "corpora", limit=limit)
    translator = make_translator("model+memory", threads=1)
    got = {}
    for bench in benches:
        for arch in ARCHES:
            (sample,) = translator.translate(bench, arch, "O0", 1, 0)
            got[f"{bench.uri} {arch}"] = _sha(sample.asm if not sample.error else "error: " + sample.error)
    _compare_or_record(f"translations-{name}", got)
