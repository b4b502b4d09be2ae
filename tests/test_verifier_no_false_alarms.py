"""No false alarms: gcc's own assembly passes against its own C, on the project's kernels and humaneval."""
import json

import pytest

from neuralcc.corpora import load_benchmarks
from neuralcc.verifier.check import Checker

TARGETS = [(a, o) for a in ("x86-64", "aarch64") for o in ("O0", "O2")]


def _check(source, entry, arch, opt, test=None, **kw):
    checker = Checker(source, arch, opt, entry, seed=0, test_source=test, **kw)
    return checker.check(checker.reference_asm)


@pytest.mark.parametrize("arch,opt", TARGETS)
def test_project_kernels_pass(arch, opt):
    benches = load_benchmarks("benchmark://kernels-v0")
    assert len(benches) >= 15
    for b in benches:
        v = _check(b.source, b.entry, arch, opt, examples=10, random_inputs=60)
        assert v.category == "pass", (b.uri, v.summary())
        assert v.inputs_checked >= 60  # annotated kernels: the reference is defined on every input


def _humaneval(path, step):
    return [json.loads(l) for l in path.read_text().splitlines()][::step]


@pytest.mark.parametrize("arch,opt", TARGETS)
def test_humaneval_sample_passes(humaneval_path, arch, opt):
    rows = _humaneval(humaneval_path, 12)
    unsupported = 0
    for r in rows:
        v = _check(r["c_func"], "func0", arch, opt, test=r["c_test"], examples=15, random_inputs=80)
        assert v.category in ("pass", "unsupported"), (r["task_id"], v.summary())
        unsupported += v.category == "unsupported"
        assert v.test is not None and v.test.category == "pass", (r["task_id"], v.test and v.test.summary())
    assert unsupported <= 0.05 * len(rows) + 1


@pytest.mark.slow
@pytest.mark.parametrize("arch,opt", TARGETS)
def test_humaneval_all_pass(humaneval_path, arch, opt):
    rows = _humaneval(humaneval_path, 1)
    verdicts = {r["task_id"]: _check(r["c_func"], "func0", arch, opt, examples=30, random_inputs=150) for r in rows}
    wrong = {t: v.summary() for t, v in verdicts.items() if v.category not in ("pass", "unsupported")}
    assert wrong == {}
    unsupported = [t for t, v in verdicts.items() if v.category == "unsupported"]
    assert len(unsupported) <= 0.05 * len(rows)
