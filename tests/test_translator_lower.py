"""Lowering C to one operation per statement (translator/front/lower.py): the types of its temporaries, the
shape of what it writes, and -- with real gcc, keystone and unicorn -- that gcc's code for the lowered
unit, and gcc's pieces of it put back together, pass the verifier against the *original* unit."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pycparser import c_ast

from neuralcc.corpora.generator import GeneratorConfig, generate_function
from neuralcc.translator.front import lower as L
from neuralcc.translator.front.csource import SourceError, walk
from neuralcc.verifier.check import Checker
from neuralcc.cbase.ctype import IntType
from neuralcc.verifier.reference import compile_to_asm

KERNELS = Path(__file__).parent.parent / "corpora" / "kernels"


def assert_lowered_passes(src: str, low, arch: str, names: list[str]) -> None:
    """gcc's code for the lowered unit passes the verifier against the original, function by function."""
    asm = compile_to_asm(low.source, arch, "O0", "<lowered>")
    for name in names:
        verdict = Checker(src, arch, "O0", name, examples=30, random_inputs=200).check(asm)
        assert verdict.category == "pass", (name, str(verdict), low.source)

def body_lines(src: str, name: str) -> list[str]:
    lines = src.split("\n")
    start = next(i for i, l in enumerate(lines) if re.search(rf"\b{name}\s*\(", l) and not l.rstrip().endswith(";"))
    while not lines[start].rstrip().endswith("{"):
        start += 1
    out = []
    for l in lines[start + 1:]:
        if l == "}":
            break
        out.append(l.strip())
    return out


def test_the_usual_arithmetic_conversions_on_lp64():
    uchar, short, ll = IntType("unsigned char", 1, False), IntType("short", 2, True), IntType("long long", 8, True)
    assert L.usual(uchar, short) == L.INT  # both promote to int
    assert L.usual(L.INT, L.UINT) == L.UINT
    assert L.usual(L.LONG, L.UINT) == L.LONG  # long holds every unsigned int
    assert L.usual(ll, L.ULONG) == L.ULONG
    assert L.usual(L.FLOAT, L.LONG) == L.FLOAT and L.usual(L.FLOAT, L.DOUBLE) == L.DOUBLE
    assert L._int_constant("2147483648") == L.LONG and L._int_constant("0x80000000") == L.UINT
    assert L._int_constant("31U") == L.UINT and L._int_constant("7UL") == L.ULONG


def test_a_nested_statement_becomes_one_operation_per_line_in_the_value_s_own_type():
    src = ("unsigned f(const unsigned char *m, int rows, int cols, int i, int j, unsigned s1)\n{\n"
           "    s1 = (s1 * 65535U) + ((unsigned)(m[i * cols + j]) - 3U);\n    return s1;\n}\n")
    low = L.lower_unit(src)
    assert body_lines(low.source, "f") == [
        "unsigned int t1 = s1 * 65535U;",
        "int t2 = i * cols;",
        "int t3 = t2 + j;",
        "unsigned int t4 = ((unsigned) m[t3]) - 3U;",
        "s1 = t1 + t4;",
        "return s1;",
    ]
    assert low.statements == 1 and low.temporaries == 4 and low.changed


def test_short_circuits_and_guarded_divisions_stay_conditional():
    src = ("int g(int n, int d, int a)\n{\n    int q = d != 0 ? n / d : n;\n"
           "    if (a > 0 && n / a > 2) {\n        q++;\n    }\n    return q;\n}\n")
    lines = body_lines(L.lower_unit(src).source, "g")
    # n / d only under d != 0, n / a only once a > 0 held
    assert lines[:6] == ["int q;", "if (d != 0) {", "q = n / d;", "} else {", "q = n;", "}"]
    div = lines.index("int t2 = n / a;")
    assert lines[div - 1] == "if (a > 0) {" and lines[div + 1] == "t1 = t2 > 2;"
    assert "if (t1) {" in lines


def test_a_conditional_over_operands_becomes_an_if_of_common_statements():
    src = ("long g(short *b, int i, long n)\n{\n    unsigned long x = b[i] > 0 ? (unsigned long) n : (unsigned long) b[i];\n"
           "    n = i < 3 ? n : 7;\n    return x > 9 ? n : (long) x;\n}\n")
    lines = body_lines(L.lower_unit(src).source, "g")
    assert lines[:6] == ["unsigned long x;", "if (b[i] > 0) {", "x = (unsigned long) n;", "} else {",
                         "x = (unsigned long) b[i];", "}"]
    assert lines[6:12] == ["long t1;", "if (i < 3) {", "t1 = n;", "} else {", "t1 = 7;", "}"] and lines[12] == "n = t1;"
    assert lines[-1] == "return t2;" and "t2 = (long) x;" in lines  # the arms convert as `?:` converts them


def test_atoms_lowers_to_three_address_code():
    src = ("long g(short *b, int i, unsigned long *o)\n{\n    unsigned long x = ((unsigned long) b[i]) * ((unsigned long) i);\n"
           "    o[i] = x + 3;\n    o[i] += (long) b[1];\n    if (b[i] >= (short) x) {\n        x++;\n    }\n    return f(b[0], x);\n}\n")
    src = "long f(short a, unsigned long b);\n" + src
    lines = body_lines(L.lower_unit(src, atoms=True).source, "g")
    assert lines == ["short t1 = b[i];", "unsigned long t2 = (unsigned long) t1;", "unsigned long t3 = (unsigned long) i;",
                     "unsigned long x = t2 * t3;",
                     "unsigned long t4 = x + 3;", "o[i] = t4;",  # a store takes a variable
                     "short t5 = b[1];", "long t6 = (long) t5;", "o[i] += t6;",
                     "short t7 = b[i];", "short t8 = (short) x;", "if (t7 >= t8) {", "x += 1;", "}",
                     "short t9 = b[0];", "return f(t9, x);"]
    assert body_lines(L.lower_unit(src).source, "g")[0] == "unsigned long x = ((unsigned long) b[i]) * ((unsigned long) i);"
    bumps = "int c(char *o, const char *s)\n{\n    int k = 0;\n    o[k++] = s[0];\n    ++k;\n    k--;\n    return --k;\n}\n"
    assert body_lines(L.lower_unit(bumps, atoms=True).source, "c") == [
        "int k = 0;", "int t1 = k;", "k += 1;", "char t2 = s[0];", "o[t1] = t2;",  # the old value is stored at
        "k += 1;", "k -= 1;", "k -= 1;", "return k;"]
    assert body_lines(L.lower_unit(bumps).source, "c")[1] == "o[k++] = s[0];"  # kept as written without atoms
    constant = "double h(int a)\n{\n    if (a > 2) {\n        return 1;\n    }\n    return a;\n}\n"
    assert body_lines(L.lower_unit(constant, atoms=True).source, "h")[1:3] == ["double t1 = 1;", "return t1;"]


def test_a_label_stays_before_the_first_statement_of_what_it_labels():
    src = "int g(int *a, int i)\n{\n    int s = 0;\nagain: s += a[i] * 2;\n    if (s < 100) goto again;\n    return s;\n}\n"
    assert body_lines(L.lower_unit(src, atoms=True).source, "g") == [
        "int s = 0;", "again: ;", "int t1 = a[i];", "int t2 = t1 * 2;", "s += t2;", "if (s < 100) {", "goto again;",
        "}", "return s;"]


UPDATES = """struct pt { int x; int y; };
int g(int *p, struct pt *q, int d, int *a, int n, float *f)
{
    (*p)++;
    q->x += d;
    *f *= 2.5f;
    a[1]--;
    int i = 0;
    while (i < n && a[i] != 0 && *f < 9.0f) {
        i++;
        if (i == 3)
            continue;
        *p -= 2;
    }
    for (int j = 0; j < n && a[j] > d; j++)
        d++;
    return i + d;
}
"""


def test_updates_through_pointers_become_a_load_an_operation_and_a_store():
    lines = body_lines(L.lower_unit(UPDATES, atoms=True).source, "g")
    assert lines[:12] == ["int t1 = *p;", "int t2 = t1 + 1;", "*p = t2;",
                          "int t3 = q->x;", "int t4 = t3 + d;", "q->x = t4;",
                          "float t5 = *f;", "float t6 = t5 * 2.5f;", "*f = t6;",
                          "int t7 = a[1];", "int t8 = t7 - 1;", "a[1] = t8;"]
    # an element's update stays one statement, as the kernels write it
    assert body_lines(L.lower_unit("void h(long *o, int i, long v)\n{\n    o[i] += v;\n}\n", atoms=True).source,
                      "h") == ["o[i] += v;"]


def test_a_loop_test_of_several_conditions_tests_the_first_and_breaks_on_the_others():
    lines = body_lines(L.lower_unit(UPDATES, atoms=True).source, "g")
    loop = lines.index("while (i < n) {")
    assert lines[loop + 1: loop + 5] == ["int t9 = a[i];", "if (t9 == 0) {", "break;", "}"]
    # on floats the test is negated as it is, not turned into `t10 >= 9.0f`, which a NaN does not meet
    assert lines[loop + 5: loop + 11] == ["float t10 = *f;", "int t11 = t10 < 9.0f;", "if (!t11) {", "break;", "}",
                                          "i += 1;"]
    step = lines.index("for (int j = 0; j < n; j++) {")
    assert lines[step + 1: step + 5] == ["int t14 = a[j];", "if (t14 <= d) {", "break;", "}"]


ROTATED = """int r(const char *s, int *a, int n)
{
    int k = 0;
    while (s[k] != '\\0') {
        for (int j = 0; j < n; j++) {
            if (a[j] < 0)
                continue;
            a[j] -= 1;
        }
        k++;
    }
    int i = 0;
    while (a[i] > 0) {
        i++;
        if (i >= n)
            break;
        if (a[i] == 5)
            continue;
        a[i] = 7;
    }
    return k * 100 + i;
}
"""


def test_a_loop_test_that_reads_memory_loads_before_the_loop_and_again_at_the_end_of_the_body():
    lines = body_lines(L.lower_unit(ROTATED, atoms=True).source, "r")
    loop = lines.index("while (t1 != '\\0') {")
    assert lines[loop - 1] == "char t1 = s[k];"
    # the `continue` of the inner loop does not skip the reload; the body's last statements reload
    end = lines.index("k += 1;")
    assert lines[end + 1: end + 3] == ["t1 = s[k];", "}"] and lines[loop + 1].startswith("for ("), lines
    # a `continue` of the loop itself would: that test stays as written
    assert "while (a[i] > 0) {" in lines
    # a test that steps its variable steps it before the loop and again at the end of the body
    down = body_lines(L.lower_unit("int d(int n)\n{\n    int s = 0;\n    while (n-- > 0)\n        s += n;\n"
                                   "    return s;\n}\n", atoms=True).source, "d")
    assert down[1:8] == ["int t1 = n;", "n -= 1;", "while (t1 > 0) {", "s += n;", "t1 = n;", "n -= 1;", "}"], down


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_rotated_loops_compute_what_the_original_computes(arch):
    src = "// ncc: len(a)=8 range(n)=1..8\n" + ROTATED
    low = L.lower_unit(src, atoms=True)
    assert "t1 = s[k];" in low.source and not low.kept, low.kept
    assert_lowered_passes(src, low, arch, ["r"])


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_updates_and_loop_tests_lowered_compute_what_the_original_computes(arch):
    src = "// ncc: len(a)=8 range(n)=0..8\n" + UPDATES
    low = L.lower_unit(src, atoms=True)
    assert not low.kept, low.kept
    assert_lowered_passes(src, low, arch, ["g"])


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_atoms_steps_inside_expressions_compute_what_the_original_computes(arch):
    src = ("int squeeze(char *out, const char *s, int n)\n{\n    int k = 0;\n    for (int i = 0; i < n; i++) {\n"
           "        if (s[i] != 32) {\n            out[k++] = s[i];\n        }\n    }\n    out[k] = 0;\n"
           "    char *p = out;\n    int m = 0;\n    while (*p) {\n        m += *p++ == 97;\n    }\n    return k * 100 + --m;\n}\n")
    low = L.lower_unit(src, atoms=True)
    assert not low.kept and "k++" not in low.source and "p++" not in low.source
    verdict = Checker(src, arch, "O0", "squeeze", examples=30, random_inputs=150).check(
        compile_to_asm(low.source, arch, "O0", "<lowered>"))
    assert verdict.category == "pass", (str(verdict), low.source)


def test_what_it_cannot_type_or_rewrite_is_kept_as_written_and_named():
    src = "int h(int *p, int n)\n{\n    int s = *p++ + n * 2;\n    s += n * n * n;\n    return s;\n}\n"
    low = L.lower_unit(src)
    lines = body_lines(low.source, "h")
    assert lines[0] == "int s = (*(p++)) + (n * 2);"  # a side effect inside an expression: as written
    assert any("++/--" in k and "line 3" in k for k in low.kept)
    assert lines[1:4] == ["int t1 = n * n;", "int t2 = t1 * n;", "s += t2;"]  # the next one is still lowered


def test_bad_c_is_a_source_error_naming_the_problem():
    with pytest.raises(SourceError, match="parse error"):
        L.lower_unit("int f(int x) { return x +; }\n")


@pytest.mark.parametrize("atoms", [False, True])
def test_lowered_generator_kernels_compile_cleanly_and_have_one_operation_per_statement(atoms):
    ops = (c_ast.BinaryOp, c_ast.UnaryOp, c_ast.FuncCall, c_ast.TernaryOp)
    for i in range(60):
        f = generate_function(3, i, GeneratorConfig())
        low = L.lower_unit(f.source, atoms=atoms)
        assert not low.kept, low.kept
        proc = subprocess.run(["gcc", "-O0", "-Wall", "-Wextra", "-fsyntax-only", "-x", "c", "-"],
                              input=low.source, capture_output=True, text=True)
        assert proc.returncode == 0 and "warning" not in proc.stderr, (proc.stderr, low.source)
        import pycparser
        from neuralcc.verifier.signature import preprocess

        ast = pycparser.CParser().parse(preprocess(low.source, "<t>"), filename="<stdin>")
        for fd in (n for n in ast.ext if isinstance(n, c_ast.FuncDef)):
            for node in walk(fd.body):
                if isinstance(node, c_ast.Assignment):
                    value = node.rvalue
                elif isinstance(node, c_ast.Decl) and node.init is not None and not isinstance(node.init, c_ast.InitList):
                    value = node.init
                elif isinstance(node, c_ast.Return) and node.expr is not None:
                    value = node.expr
                else:
                    continue
                assert not isinstance(value, c_ast.TernaryOp), (i, c_ast_text(value))  # an if/else now
                inner = [n for n in walk(value) if isinstance(n, ops) and n is not value
                         and not (isinstance(n, c_ast.UnaryOp) and n.op in ("-", "sizeof", "*"))]
                assert not inner, (i, c_ast_text(value))
                if atoms and isinstance(value, (c_ast.BinaryOp, c_ast.Cast)):  # over variables and constants
                    parts = [value.expr] if isinstance(value, c_ast.Cast) else [value.left, value.right]
                    assert all(L._Function.is_atom(p) for p in parts), (i, c_ast_text(value))


def c_ast_text(node) -> str:
    from pycparser import c_generator

    return c_generator.CGenerator().visit(node)


@pytest.mark.parametrize("arch,atoms", [("x86-64", False), ("aarch64", False), ("x86-64", True), ("aarch64", True)])
def test_gcc_code_for_the_lowered_unit_passes_against_the_original(arch, atoms):
    checked = 0
    for i in range(6):
        f = generate_function(5, i, GeneratorConfig())
        low = L.lower_unit(f.source, atoms=atoms)
        verdict = Checker(f.source, arch, "O0", f.name, examples=30, random_inputs=150).check(
            compile_to_asm(low.source, arch, "O0", "<lowered>"))
        assert verdict.category == "pass", (str(verdict), low.source)
        checked += low.statements > 0
    assert checked >= 3  # the sample really was rewritten


@pytest.mark.parametrize("name", ["crc32", "saxpy", "matmul", "binary_search"])
def test_gcc_pieces_of_a_lowered_kernel_put_back_together_pass_against_the_original(name):
    from test_translator_local import _gold_asm, _local_record

    source = (KERNELS / f"{name}.c").read_text()
    low = L.lower_unit(source)
    rec, why = _local_record(low.source, name, ("x86-64",))
    assert rec is not None and "x86-64" in rec["pieces"], why
    verdict = Checker(source, "x86-64", "O0", name, examples=30, random_inputs=200).check(_gold_asm(rec, "x86-64"))
    assert verdict.category == "pass", str(verdict)


def test_real_c_with_stdio_void_calls_and_initialised_arrays_lowers_and_compiles():
    src = ("#include <stdio.h>\n#include <stdlib.h>\n\nint k(const int *a, int n) {\n    int seen[4] = {0};\n"
           "    int *b = (int *)malloc(n * sizeof(int));\n    for (int i = 0; i < n; i++) {\n"
           "        b[i] = a[i] * 2 + 1;\n        seen[b[i] & 3] = 1;\n    }\n    int s = seen[1] + seen[3] * 2;\n"
           "    free(b);\n    return s;\n}\n")
    low = L.lower_unit(src)  # glibc's FILE holds a pointer to itself: read lazily, never needed here
    lines = body_lines(low.source, "k")
    assert "int seen[4] = {0};" in lines and "free(b);" in lines and not low.kept
    proc = subprocess.run(["gcc", "-O0", "-Wall", "-fsyntax-only", "-x", "c", "-"], input=low.source,
                          capture_output=True, text=True)
    assert proc.returncode == 0 and "warning" not in proc.stderr, proc.stderr
    verdict = Checker(src, "x86-64", "O0", "k", examples=30, random_inputs=150).check(
        compile_to_asm(low.source, "x86-64", "O0", "<lowered>"))
    assert verdict.category == "pass", str(verdict)


@pytest.mark.parametrize("source, entry", [
    ("int length(int *a, int n) { return n; }\n", "length"),  # a body on the brace's line (was refused)
    ("int sq(int x) { int y = x * x; return y + 1; } /* after the brace */\nint one(void)\n{ return 1; }\n", "sq"),
    ("int peak(int n) {\n    int peak_i = n + 1;\n    return peak_i;\n}\n", "peak"),  # a local named after its function
    ("int big(int a) {\n" + "    a = a + 1;\n" * 300 + "    return a;\n}\nint two(int x) { return x + 2; }\n",
     "two"),  # a unit of more pieces than the model can name: only what the entry reaches is numbered
])
def test_real_layouts_reach_a_verified_translation(source, entry, arch):
    """C as people write it, translated by the shipped memory and passed by the verifier on both arches."""
    from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
    from neuralcc.verifier.check import Checker

    (out,) = NeuralTranslator().translate(source, arch, "O0", entry=entry, opt=DecodeOptions(memory_only=True))
    assert Checker(source, arch, "O0", entry).check(out.asm).category == "pass"


def test_a_function_that_names_no_global_is_not_failed_by_the_units_data(arch):
    """`int g;` and an initialised table in the file: a function that never names them is translated without
    the unit's data piece (which the memory writes wrong) and passes."""
    from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
    from neuralcc.verifier.check import Checker

    source = "int g;\nstatic int counts[4] = {1, 2, 3, 4};\nint twice(int x) { return x * 2; }\n"
    (out,) = NeuralTranslator().translate(source, arch, "O0", entry="twice", opt=DecodeOptions(memory_only=True))
    assert out.pieces[0][0].role == "prologue"  # no data piece was written
    assert Checker(source, arch, "O0", "twice").check(out.asm).category == "pass"


def test_the_lowered_ast_is_what_parsing_the_lowered_text_gives():
    """Lowering builds the rewritten unit's AST with coords on the lines it printed: the skeleton and the
    frames read from it equal those read from parsing the lowered text, layouts of every kind included."""
    from dataclasses import asdict

    from neuralcc.translator.front import skeleton
    from neuralcc.verifier.signature import frame_variables

    sources = [p.read_text() for p in sorted(KERNELS.glob("*.c"))]
    sources += [generate_function(7, i).source for i in range(40)]
    sources += ["int length(int *a, int n) { return n; } int g = 2;\nint h(int x)\n{\n  return x ? g : -x;\n}\n",
                "int sq(int x) { int y = x * x; return y + 1; } /* after */\nint one(void)\n{ return 1; }\n",
                "struct s { int a; struct s *next; };\nint f(struct s *q, int n) {\n"
                "    if (n > 0 && q->next->a < 3) n = n ? 1 : 2;\n    switch (n) { case 1: n++; default: n--; }\n"
                "    do { n--; } while (n > 0);\n    return n;\n}\n"]
    for source in sources:
        for atoms in (False, True):
            low = L.lower_unit(source, atoms=atoms)
            built, parsed = (skeleton.build(low.source, params=True, ast=a) for a in (low.ast, None))
            assert [asdict(p) for p in built.pieces] == [asdict(p) for p in parsed.pieces], source
            assert (built.functions, built.globals, built.prototypes) == (parsed.functions, parsed.globals,
                                                                           parsed.prototypes)
            assert frame_variables(low.source, ast=low.ast) == frame_variables(low.source)


C_FILES = Path(__file__).parent / "c"



def test_switches_commas_and_enumerators_become_statements_the_memory_holds():
    switch = L.lower_unit((C_FILES / "switch.c").read_text(), atoms=True).source
    lines = body_lines(switch, "fall_through")
    tests = [(lines[i], lines[i + 1]) for i in range(len(lines) - 1) if lines[i].startswith("if (")]
    assert "switch (" not in switch and [t for t, _ in tests] == ["if (k == 1) {", "if (k == -2) {", "if (k == 3) {"], lines
    label = {l[:-3]: i for i, l in enumerate(lines) if l.endswith(": ;")}
    after = lambda stmt: label[re.fullmatch(r"goto (\w+);", stmt).group(1)] + 1
    assert [lines[after(g)] for _, g in tests] == ["s += 10;", "s += 1;", "s = 7;"], lines
    assert lines[after(lines[lines.index("if (k == 3) {") + 3])] == "s += 5;", lines  # the default, in the middle
    assert lines[after(lines[lines.index("s += 1;") + 1])] == "return s;", lines  # break: past the switch
    assert "continue;" in body_lines(switch, "skip_zeros")  # still the loop's
    commas = body_lines(L.lower_unit((C_FILES / "commas.c").read_text(), atoms=True).source, "reverse_sum")
    assert commas[1:5] == ["{", "int i = 0;", "int j = n - 1;", "while (i < j) {"], commas
    enums = L.lower_unit((C_FILES / "enums.c").read_text(), atoms=True).source
    assert "if (c == 5) {" in body_lines(enums, "color_code") and "return -1;" not in enums
    assert "enum color { RED, GREEN = 5, BLUE };" in enums  # the declarations stay as written


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
@pytest.mark.parametrize("file", ["switch.c", "commas.c", "enums.c"])
def test_switches_commas_and_enumerators_lowered_compute_what_the_original_computes(file, arch):
    src = (C_FILES / file).read_text()
    assert_lowered_passes(src, L.lower_unit(src, atoms=True), arch, re.findall(r"^\w[\w ]*?\b(\w+)\(", src, re.M))


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_octal_hex_and_hex_float_literals_are_written_in_decimal_of_the_same_type(arch):
    src = ("int octal(int x) { return x & 017; }\nunsigned big(unsigned x) { return x ^ 0xFFFFFFFF; }\n"
           "long wide(long x) { return x + 0x80000000; }\ndouble hexf(double x) { return x * 0x1.8p1; }\n"
           "float quarter(float x) { return x * 0x1p-2f; }\n")
    low = L.lower_unit(src, atoms=True)
    for line in ("return x & 15;", "return x ^ 4294967295U;", "return x + 2147483648U;", "return x * 3.0;",
                 "return x * 0.25f;"):
        assert line in low.source, low.source
    assert_lowered_passes(src, low, arch, ["octal", "big", "wide", "hexf", "quarter"])
