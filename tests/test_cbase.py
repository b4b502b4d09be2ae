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


def test_one_reading_of_where_functions_are():
    """The corpora's loaders and the translator find functions with one function (cbase.csource): a GNU
    attribute in the head, a body on one line, a brace inside a macro or a string are read alike."""
    from neuralcc.cbase.csource import find_functions
    from neuralcc.translator.front.csource import SourceError

    src = ('#define BLOCK { 1, 2 }\n'
           'static int __attribute__((noinline)) twice(int x) { return 2 * x; }\n'
           'const char *brace(void)\n{\n    return "{";\n}\n'
           'int tab[2] = { 3, 4 };\n')
    found = find_functions(src)
    assert [(f.name, f.static, f.line, f.last_line) for f in found] == [("twice", True, 2, 2), ("brace", False, 3, 6)]
    with pytest.raises(SourceError, match="unbalanced braces from line 1"):
        find_functions("int f(int x) { if (x) { return 1; }\n", SourceError)
