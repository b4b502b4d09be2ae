"""cbase: the C knowledge verifier, corpora and translator share is one copy, read the same by each."""
import pytest

from neuralcc.cbase.annotations import AnnotationError, read_lines
from neuralcc.corpora import load_benchmarks
from neuralcc.corpora.gcc import gcc_command as label_command
from neuralcc.verifier.reference import gcc_command as reference_command
from neuralcc.verifier.signature import parse_unit


def test_the_corpora_and_the_verifier_read_the_same_annotations():
    benches = load_benchmarks("benchmark://kernels-v0")
    annotated = 0
    for b in benches:
        spec = parse_unit(b.source, b.uri).functions[b.entry]
        assert b.meta["annotations"] == spec.annotations.to_dict(), b.uri
        annotated += bool(spec.annotations.lengths or spec.annotations.ranges)
    assert annotated >= 10


def test_one_grammar_with_its_spellings():
    notes = read_lines(["// ncc: len( a ) = n; out(b)", "/* ncc: range(x)=0x10..255 string(s) */", "len(m)=rows*cols"])
    assert notes.to_dict() == {"len": {"a": "n", "m": "rows*cols"}, "out": ["b"], "range": {"x": (16, 255)},
                               "string": ["s"]}
    for bad in ("len(a)=n+1", "range(x)=5..1", "size(a)=3"):
        with pytest.raises(AnnotationError):
            read_lines([bad])


def test_references_and_labels_are_one_compile(arch):
    for opt in ("O0", "O2"):
        label = label_command(arch, opt)
        assert reference_command(arch, opt)[:len(label)] == label


def test_c_integer_literals_in_every_radix():
    from neuralcc.cbase.ctype import int_literal

    assert [int_literal(t) for t in ("0", "7", "017", "0x1F", "0XffUL", "10u", "010L")] == [0, 7, 15, 31, 255, 10, 8]
    for bad in ("09", "1.5", "x"):
        with pytest.raises(ValueError):
            int_literal(bad)
