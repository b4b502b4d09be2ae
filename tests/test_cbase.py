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


def test_one_c_type_model():
    """The generator's types, the lowering's and the verifier's are cbase's: each type the generator spells
    means, read back by the verifier's reading of C (base_type), the width and signedness it generates with;
    the promotions and the usual conversions follow C11 6.3.1.1 and 6.3.1.8 on LP64."""
    from neuralcc.cbase.ctype import (CHAR, INT, LLONG, LONG, SHORT, UCHAR, UINT, ULONG, base_type, canonical,
                                      promote)
    from neuralcc.corpora.generator import DOUBLE, FLOAT, PLAIN_INTS, STDINT_INTS
    from neuralcc.translator.front.lower import promote as lowered, usual

    for t in PLAIN_INTS + STDINT_INTS + [CHAR, FLOAT, DOUBLE]:
        read = base_type(t.name.split(), char_signed=True)
        assert canonical(read) == canonical(t), t.name
    int32, uint64 = (next(t for t in STDINT_INTS if t.name == n) for n in ("int32_t", "uint64_t"))
    assert [promote(t) for t in (CHAR, UCHAR, SHORT, INT, int32, LLONG, FLOAT)] == [INT, INT, INT, INT, int32, LLONG,
                                                                                  FLOAT]
    assert [lowered(t) for t in (UCHAR, int32, LLONG, uint64)] == [INT, INT, LONG, ULONG]
    assert [usual(a, b) for a, b in ((UINT, LONG), (ULONG, LONG), (UINT, INT), (SHORT, UCHAR), (INT, FLOAT),
                                     (FLOAT, DOUBLE))] == [LONG, ULONG, UINT, INT, FLOAT, DOUBLE]
