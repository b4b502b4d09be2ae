"""Lowering C to one operation per statement (translator/lower.py): the types of its temporaries, the
shape of what it writes, and -- with real gcc, keystone and unicorn -- that gcc's code for the lowered
unit, and gcc's pieces of it put back together, pass the verifier against the *original* unit."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from pycparser import c_ast

from neuralcc.corpora.generator import GeneratorConfig, generate_function
from neuralcc.translator import lower as L
from neuralcc.translator.csource import SourceError
from neuralcc.verifier.check import Checker
from neuralcc.verifier.ctype import IntType
from neuralcc.verifier.reference import compile_to_asm

KERNELS = Path(__file__).parent.parent / "corpora" / "kernels"


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
    assert lines[:7] == ["int t1;", "if (d != 0) {", "t1 = n / d;", "} else {", "t1 = n;", "}", "int q = t1;"]
    div = lines.index("int t3 = n / a;")
    assert lines[div - 1] == "if (a > 0) {" and lines[div + 1] == "t2 = t3 > 2;"
    assert "if (t2) {" in lines


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


def test_lowered_generator_kernels_compile_cleanly_and_have_one_operation_per_statement():
    ops = (c_ast.BinaryOp, c_ast.UnaryOp, c_ast.FuncCall, c_ast.TernaryOp)
    for i in range(60):
        f = generate_function(3, i, GeneratorConfig())
        low = L.lower_unit(f.source)
        assert not low.kept, low.kept
        proc = subprocess.run(["gcc", "-O0", "-Wall", "-Wextra", "-fsyntax-only", "-x", "c", "-"],
                              input=low.source, capture_output=True, text=True)
        assert proc.returncode == 0 and "warning" not in proc.stderr, (proc.stderr, low.source)
        import pycparser
        from neuralcc.verifier.signature import preprocess

        ast = pycparser.CParser().parse(preprocess(low.source, "<t>"), filename="<stdin>")
        for fd in (n for n in ast.ext if isinstance(n, c_ast.FuncDef)):
            for node in L._walk(fd.body):
                if isinstance(node, c_ast.Assignment):
                    value = node.rvalue
                elif isinstance(node, c_ast.Decl) and node.init is not None and not isinstance(node.init, c_ast.InitList):
                    value = node.init
                elif isinstance(node, c_ast.Return) and node.expr is not None:
                    value = node.expr
                else:
                    continue
                cond = value.cond if isinstance(value, c_ast.TernaryOp) else None  # `c ? x : y`, c one comparison
                inner = [n for n in L._walk(value) if isinstance(n, ops) and n is not value and n is not cond
                         and not (isinstance(n, c_ast.UnaryOp) and n.op in ("-", "sizeof", "*"))]
                assert not inner, (i, c_ast_text(value))


def c_ast_text(node) -> str:
    from pycparser import c_generator

    return c_generator.CGenerator().visit(node)


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_gcc_code_for_the_lowered_unit_passes_against_the_original(arch):
    checked = 0
    for i in range(6):
        f = generate_function(5, i, GeneratorConfig())
        low = L.lower_unit(f.source)
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
