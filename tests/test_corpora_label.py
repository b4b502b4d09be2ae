"""Batched labelling equals single compiles; the cache answers repeated requests."""
import pytest

from neuralcc.corpora.generator import generate_function
from neuralcc.corpora.label import LabelStats, Unit, _label_job, label_single, label_units


def _check_batched_equals_single(n, n_check, seed):
    units = [Unit(f.name, f.source) for f in (generate_function(seed, i) for i in range(n))]
    for arch in ("x86-64", "aarch64"):
        for opt in ("O0", "O2"):
            _, _, res = _label_job((arch, opt, [(u.entry, u.source) for u in units]))
            assert sum(r["batched"] for r in res.values()) >= 0.6 * n
            for u in units[:n_check]:
                single = label_single(u.source, arch, opt)
                got = res[u.key]
                assert got["error"] is None
                assert got["asm"] == single.asm, (arch, opt, u.entry)
                assert got["lines"] == single.lines, (arch, opt, u.entry)


def test_batched_equals_single_small():
    _check_batched_equals_single(30, 8, seed=31)


@pytest.mark.slow
def test_batched_equals_single_large_sample():
    _check_batched_equals_single(250, 100, seed=32)


def test_label_units_uses_cache(tmp_path):
    units = [Unit(f.name, f.source) for f in (generate_function(33, i) for i in range(10))]
    db = tmp_path / "labels.sqlite"
    s1, s2 = LabelStats(), LabelStats()
    a = label_units(units, ["x86-64"], ["O0"], cache_path=db, workers=1, progress=False, stats=s1)
    b = label_units(units, ["x86-64"], ["O0"], cache_path=db, workers=1, progress=False, stats=s2)
    assert s1.cached == 0 and s2.cached == 10 and s1.failed == 0
    for u in units:
        assert a[u.key]["x86-64"]["O0"].asm == b[u.key]["x86-64"]["O0"].asm
        assert a[u.key]["x86-64"]["O0"].lines == b[u.key]["x86-64"]["O0"].lines


def test_compile_error_is_reported_not_raised():
    units = [Unit("k999999", "int k999999(int x) { return x + ; }\n")]
    stats = LabelStats()
    out = label_units(units, ["x86-64"], ["O0"], workers=1, progress=False, stats=stats)
    assert stats.failed == 1 and out[units[0].key]["x86-64"]["O0"].asm is None


def test_constant_aliased_across_units_is_compiled_alone():
    # gcc -O2 stores 2.125f as the high half of the double 3.0 (`.set .LC1,.LC0+4`) when both are in one unit
    a = Unit("k000001", "double k000001(double x)\n{\n    return x * 3.0;\n}\n")
    b = Unit("k000002", "float k000002(float x)\n{\n    return x * 2.125f;\n}\n")
    _, _, res = _label_job(("x86-64", "O2", [(u.entry, u.source) for u in (a, b)]))
    assert res[a.key]["batched"] and not res[b.key]["batched"]
    for u in (a, b):
        single = label_single(u.source, "x86-64", "O2")
        assert res[u.key]["asm"] == single.asm and ".set" not in single.asm
