"""Compile-only statements for the translation memory (corpora/statements.py) and the coverage
diagnostic that shows what they add (translator/data/coverage.py): real gcc, the training data's pipeline."""
import json
from types import SimpleNamespace

import pytest

from neuralcc.corpora.loaders import load_benchmarks
from neuralcc.corpora.statements import compiles, generate
from neuralcc.translator.data import records as R
from neuralcc.translator.data.coverage import local_records, measure
from neuralcc.translator.data.records import memory_from_records
from neuralcc.translator.prompts import PromptStyle

CONFIG = {"neuralcc_mode": "local", "neuralcc_rename": True, "neuralcc_types": True, "neuralcc_params": True,
          "neuralcc_lower": "atoms"}


def test_a_record_is_a_function_of_its_seed_and_index():
    assert generate(1, 5) == generate(1, 5)
    assert generate(1, 5)["source"] != generate(1, 6)["source"] != generate(2, 6)["source"]
    rec = generate(3, 12)
    assert rec["uri"] == "benchmark://statements-v0/seed=3/12" and f"{rec['entry']}(" in rec["source"]


def test_nearly_every_function_compiles():
    ok = sum(compiles(generate(1, i)["source"]) for i in range(40))
    assert ok >= 36, ok
    assert not compiles("int f(void) { return x; }")  # the check is gcc's, not a formality


@pytest.fixture(scope="module")
def statement_records():
    class B(SimpleNamespace):
        pass

    recs = [generate(1, i) for i in range(40)]
    benches = [B(uri=r["uri"], entry=r["entry"], source=r["source"]) for r in recs if compiles(r["source"])]
    return [r for _, r in local_records(benches, ["x86-64"], "atoms", True) if isinstance(r, dict)]


def test_they_give_pieces_of_what_the_kernels_lack(statement_records):
    style = PromptStyle.of(SimpleNamespace(**CONFIG))
    aligned = [r for r in statement_records if r["pieces"].get("x86-64")]
    assert len(aligned) >= 15, len(aligned)  # gcc laid most of them out statement by statement
    prompts = [p for r in aligned for p, _ in R.canonical_pieces(r, "x86-64", style)]
    for wanted in ("_Bool VA", "strlen(", "malloc(", "* * VA", "'"):
        assert any(wanted in p.head() + " ".join(d.text for d in p.decls) for p in prompts), wanted
    assert any(p.role == "return" and p.notes[-1].endswith("*") for p in prompts)  # `returns char *`


def test_coverage_of_a_memory_holding_the_same_functions_is_complete(tmp_path):
    benches = load_benchmarks("benchmark://kernels-v0", limit=3)
    recs = [r for _, r in local_records(benches, ["x86-64"], "atoms", True)]
    assert all(isinstance(r, dict) for r in recs), recs
    (tmp_path / "config.json").write_text(json.dumps(CONFIG))
    memory_from_records(recs, ["x86-64"], PromptStyle.of(SimpleNamespace(**CONFIG))).freeze().save(tmp_path)
    rows = []
    out, skipped = measure(tmp_path, benches, ["x86-64"], rows=rows)
    cov = out["x86-64"]
    assert not skipped and cov.functions == 3 and cov.all_right == 3
    assert cov.pieces["exact"] == sum(cov.pieces.values()) == len(rows) > 20
    other = load_benchmarks("benchmark://kernels-v0")[3:5]  # functions it does not hold: some pieces missed
    out, _ = measure(tmp_path, other, ["x86-64"])
    assert out["x86-64"].pieces["none"] > 0 and out["x86-64"].all_right < 2
