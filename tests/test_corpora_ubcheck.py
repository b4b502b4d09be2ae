"""The sanitizer check drops functions with UB and flags functions whose outputs never change."""
import pytest

from neuralcc.cbase.ctype import INT
from neuralcc.corpora.generator import GeneratedFunction, Param, generate_function
from neuralcc.corpora.ubcheck import check_batch


def _fn(name, body, params, ann):
    return GeneratedFunction(index=0, name=name, source=body, features=[], params=params, return_type="int",
                             annotations=ann, structs={})


def test_ub_is_dropped_clean_is_kept_constant_is_flagged():
    ann = {"len": {"a": "n"}, "out": [], "range": {"n": (0, 16), "x": (-2147483647, 2147483647)}, "string": []}
    params = [Param("a", INT, pointer=True, const=True), Param("n", INT), Param("x", INT)]
    overflow = _fn("k900001", "int k900001(const int *a, int n, int x) { return a[0] * 0 + n + x * 3; }\n",
                   params, ann)  # signed overflow for big x (and a[0] out of bounds when n == 0)
    oob = _fn("k900002", "int k900002(const int *a, int n, int x) { (void)x; return a[n]; }\n", params, ann)
    clean = _fn("k900003", "int k900003(const int *a, int n, int x) { unsigned s = (unsigned)x;"
                " for (int i = 0; i < n; i++) s += (unsigned)a[i]; return (int)s; }\n", params, ann)
    const = _fn("k900004", "int k900004(const int *a, int n, int x) { (void)a; (void)n; (void)x; return 0; }\n",
                params, ann)
    rep = check_batch([overflow, oob, clean, const], trials=24)
    assert set(rep.dropped) == {"k900001", "k900002"}
    assert "k900003" not in rep.constant_output
    assert "k900004" in rep.constant_output and "k900004" in rep.return0_passes
    assert rep.drop_rate == 0.5
    assert "k900003" not in rep.dead_params
    assert set(rep.dead_params["k900004"]) == {"a", "n", "x"}


def test_dead_parameter_is_found():
    ann = {"len": {"a": "n"}, "out": [], "range": {"n": (1, 16), "x": (0, 100)}, "string": []}
    params = [Param("a", INT, pointer=True, const=True), Param("n", INT), Param("x", INT)]
    # x is read, but (x & 0x100) is always 0 in its range: x cannot change the outcome
    fn = _fn("k900005", "int k900005(const int *a, int n, int x) { unsigned s = 0;"
             " for (int i = 0; i < n; i++) s += (unsigned)a[i] + (unsigned)(x & 0x100); return (int)s; }\n",
             params, ann)
    rep = check_batch([fn], trials=24)
    assert rep.dropped == [] and rep.dead_params == {"k900005": ["x"]}


@pytest.mark.slow
def test_generated_sample_is_ub_free():
    fns = [generate_function(50, i) for i in range(120)]
    rep = check_batch(fns, trials=8)
    assert rep.harness_errors == []
    assert rep.dropped == []


def test_annotation_parser():
    import pytest
    from neuralcc.corpora.annotations import AnnotationError, parse_annotations
    ann = parse_annotations(["// ncc: len(a)=n out(b) range(n)=0..64 string(s)", "// ncc: len(m)=rows*cols",
                             "// ncc: range(x)=-1.5..2.5 len(t)=16"])
    assert ann == {"len": {"a": "n", "m": "rows*cols", "t": "16"}, "out": ["b"],
                   "range": {"n": (0, 64), "x": (-1.5, 2.5)}, "string": ["s"]}
    for bad in ("len(a)", "range(n)=5", "size(a)=3", "len(a)=n+1"):
        with pytest.raises(AnnotationError):
            parse_annotations([bad])


def test_kernels_are_ub_free_and_live():
    from neuralcc.corpora import load_benchmarks
    from neuralcc.corpora.ubcheck import checkable
    fns = [checkable(b) for b in load_benchmarks("benchmark://kernels-v0")]
    rep = check_batch(fns, trials=32)
    assert rep.harness_errors == [] and rep.dropped == []
    assert rep.constant_output == [] and rep.return0_passes == [] and rep.dead_params == {}
