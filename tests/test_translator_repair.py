"""Guess and check (translator/repair.py): a failed translation gets its likeliest wrong piece rewritten and is
checked again, with the shipped model's translation memory and the real verifier."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from neuralcc.translator.back.pieces import line_pieces
from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
from neuralcc.translator.repair import Repair, progress
from neuralcc.verifier import Checker, Verdict

KERNELS = Path(__file__).parents[1] / "corpora" / "kernels"


@pytest.fixture(scope="module")
def shipped():
    return NeuralTranslator()


def _argmax(shipped):
    source = (KERNELS / "argmax.c").read_text()
    (out,) = shipped.translate(source, "x86-64", "O0", entry="argmax", opt=DecodeOptions(memory_only=True))
    return source, out


def test_the_memorys_other_piece_repairs_a_wrong_output_within_the_budget(shipped):
    source, out = _argmax(shipped)
    checker = Checker(source, "x86-64", "O0", "argmax", examples=20, random_inputs=50)
    verdict = checker.check(out.asm)
    assert verdict.category == "semantic.wrong_output"  # greedy: the memory's nearest pieces are wrong
    repair, calls = Repair(out.draft), 0
    while not verdict.passed and calls < 8 and (asm := repair.next(verdict)) is not None:
        verdict, calls = checker.check(asm), calls + 1
    assert verdict.passed, str(verdict)
    (piece,) = repair.rewritten(True)  # one piece rewritten, one the memory held only at a near level
    row = [p.index for p in out.draft.rows].index(piece)
    assert out.draft.levels[row] != "exact"


def test_each_line_belongs_to_the_piece_whose_label_it_follows(shipped):
    _, out = _argmax(shipped)
    lines = out.asm.split("\n")
    owners = line_pieces(out.draft.skel, out.asm)
    assert len(owners) == len(lines)
    for n, line in enumerate(lines):
        if m := re.match(r"^\.L(\d+):$", line):
            assert owners[n] == int(m.group(1))
    first = next(f.first for f in out.draft.skel.functions if f.name == "argmax")
    assert owners[lines.index("argmax:")] == first


def test_a_change_that_gets_no_further_is_undone_before_the_next_one(shipped):
    _, out = _argmax(shipped)
    repair = Repair(out.draft)
    wrong = Verdict("semantic.wrong_output", "return value differs")
    repair.next(wrong)
    first = [k for k, (a, b) in enumerate(zip(repair.texts, out.draft.texts)) if a != b]
    repair.next(wrong)  # the same verdict for the changed translation: no progress
    second = [k for k, (a, b) in enumerate(zip(repair.texts, out.draft.texts)) if a != b]
    assert len(first) == len(second) == 1  # one piece changed against the greedy translation each time
    assert repair.rewritten(False) == []


def test_a_change_that_gets_further_is_kept():
    def v(category, checked=1):
        return Verdict(category, "", inputs_checked=checked)

    assert progress(v("asm.syntax")) < progress(v("memory.unmapped_read")) < progress(v("semantic.wrong_output"))
    assert progress(v("semantic.wrong_output", 5)) < progress(v("semantic.wrong_output", 6)) < progress(v("pass"))


def test_eval_reports_repaired_beside_pass_at_1(tmp_path):
    from neuralcc.harness.evaluate import RunConfig, evaluate, read_results
    from neuralcc.harness.metrics import summarize

    cfg = RunConfig(translator="memory", corpora=["benchmark://kernels-v0/argmax"], arches=["x86-64"], opts=["O0"],
                    n=1, ks=[1], examples=20, random_inputs=50, workers=1, repair=8)
    evaluate(cfg, tmp_path / "run", progress=False)
    (row,) = read_results(tmp_path / "run")
    assert not row["passed"] and row["repair"]["passed"] and 1 <= row["repair"]["calls"] <= 8
    (table,) = summarize([row], [1])["headline"].values()
    assert table["pass@1"]["value"] == 0.0 and table["repaired@8"]["value"] == 1.0
    assert table["repair_calls"] == row["repair"]["calls"]
