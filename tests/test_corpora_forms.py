"""forms-v0: the three-address forms, enumerated from the C operators and the LP64 scalar types."""
from collections import Counter

from neuralcc.corpora import forms as F
from neuralcc.corpora.statements import compiles
from neuralcc.translator.front.lower import lower_unit


def test_the_enumeration_is_fixed_and_complete():
    recs = F.generate()
    assert recs == F.generate()
    assert len({r["uri"] for r in recs}) == len(recs) == len({r["entry"] for r in recs})
    every = list(F.forms())
    by_family = Counter(f.family for f in every)
    # every operator on every pair of arithmetic types, every conversion between scalar types
    int_pairs, float_pairs = len(F.INTS) ** 2, len(F.ARITH) ** 2 - len(F.INTS) ** 2
    assert by_family["temporary"] == int_pairs * len(F.INT_OPS) + float_pairs * len(F.FLOAT_OPS)
    assert by_family["convert"] == 2 * len(F.SCALARS) ** 2
    assert by_family["compare"] == len(F.ARITH) ** 2 * len(F.COMPARISONS)
    texts = {line for f in every for line in f.lines}
    assert "unsigned long t = a * b;" in texts and "int t = a << b;" in texts  # unsigned int * long; char << x
    assert {"x = a;", "double t = (double) a;", "_Bool t = (_Bool) a;"} <= texts


def test_gcc_compiles_every_function():
    recs = F.generate()
    bad = [r["uri"] for r in recs[::25] if not compiles(r["source"])]
    assert not bad


def test_the_temporaries_are_declared_as_the_lowering_declares_them():
    """A temporary's form is already three-address code of the lowering's types: lowering a function of
    them keeps every operation's statement as written."""
    recs = [r for r in F.generate() if "int t_0 = a_0 + b_0;" in r["source"] or "unsigned long t_0 = a_0 * b_0;" in r["source"]
            or "double t_0 = a_0 / b_0;" in r["source"]][:6]
    assert recs
    for r in recs:
        low = lower_unit(r["source"], atoms=True)
        ops = [ln.strip() for ln in r["source"].splitlines() if " t_" in ln and "=" in ln]
        assert ops
        lowered = {ln.strip() for ln in low.source.splitlines()}
        assert all(op in lowered for op in ops), r["uri"]
