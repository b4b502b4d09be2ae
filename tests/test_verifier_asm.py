"""Assembly preparation and keystone assembly, cross-checked against GNU as."""
import os
import re
import subprocess
import time

import pytest
from capstone import CS_ARCH_ARM64, CS_ARCH_X86, CS_MODE_64, CS_MODE_ARM, Cs

from neuralcc.verifier import asmprep
from neuralcc.verifier.asmprep import AsmError, prepare, resolve_symbols
from neuralcc.verifier.assemble import CODE_BASE, _keystone, assemble
from neuralcc.verifier.gnu_as import encoding_mismatches
from neuralcc.verifier.libc import Libc
from neuralcc.verifier.reference import compile_to_asm

SOURCE = r"""
#include <string.h>
int counter;
static const int table[5] = {3, 1, 4, 1, 5};
int pick(int i) { return table[(unsigned)i % 5u] + counter; }
int classify(int x) { switch (x) { case 0: return 10; case 1: return 20; case 2: return 5; case 3: return 7;
                      case 4: return 11; case 5: return 99; default: return -1; } }
long mix(long a, long b, int c) { long r = 0; for (int i = 0; i < c; i++) r += (a ^ b) >> (i & 7); return r; }
unsigned long size(const char *s) { return strlen(s) + 1; }
double scale(double x, float y) { return x * y + 0.5; }
"""


def test_sections_and_directives_are_sorted(arch):
    asm = compile_to_asm(SOURCE, arch, "O2")
    prep = prepare(asm, arch)
    texts = [l.text for l in prep.text]
    assert not any(t.startswith((".file", ".ident", ".type", ".size", ".cfi")) for t in texts)
    assert any(l.text == "table:" for l in prep.rodata)
    assert any(l.text == "counter:" for l in prep.bss)  # .comm or .bss, both end up here
    assert {"pick", "classify", "mix", "size", "scale"} <= set(prep.labels)


def test_symbol_checks_name_the_symbol(arch):
    asm = compile_to_asm(SOURCE, arch, "O0")
    prep = prepare(asm, arch)
    with pytest.raises(AsmError) as err:
        resolve_symbols(prep, "nonexistent", Libc().served)
    assert err.value.category == "symbol.missing_entry"
    with pytest.raises(AsmError) as err:
        resolve_symbols(prepare(asm, arch), "pick", set())  # strlen is not served
    assert err.value.category == "symbol.unknown_external" and err.value.symbol == "strlen"
    broken = asm.replace("table(%rip)", "tabel(%rip)").replace(":lo12:table", ":lo12:tabel")
    assert broken != asm
    with pytest.raises(AsmError) as err:
        resolve_symbols(prepare(broken, arch), "pick", Libc().served)
    assert err.value.category == "symbol.undefined"
    with pytest.raises(AsmError) as err:
        prepare(asm.replace("pick:", "pick:\npick:", 1), arch)
    assert err.value.category == "symbol.duplicate" and err.value.symbol == "pick"


def test_syntax_error_names_the_line(arch):
    asm = compile_to_asm("int f(int a) { return a * 3; }", arch, "O0")
    lines = asm.splitlines()
    target = next(i for i, l in enumerate(lines) if l.startswith("\t") and not l.strip().startswith("."))
    lines[target] = "\tfrobnicate %eax, %ebx" if arch == "x86-64" else "\tfrobnicate x0, x1"
    prep = prepare("\n".join(lines), arch)
    resolve_symbols(prep, "f", set())
    with pytest.raises(AsmError) as err:
        assemble(prep)
    assert err.value.category == "asm.syntax"
    assert err.value.line == target + 1 and "frobnicate" in err.value.text


@pytest.mark.parametrize("directive", [".align", ".balign"])
def test_a_directive_without_its_number_is_a_syntax_error(arch, directive):
    """Seen in model output: `.align 2:k000002@i@]`. A verdict, not a crash of the verifier."""
    asm = compile_to_asm("int f(int a) { return a * 3; }", arch, "O0")
    lines = asm.splitlines()
    target = next(i for i, l in enumerate(lines) if l.strip() == "f:")
    lines.insert(target, f"\t{directive}\t2:k@i@]")
    with pytest.raises(AsmError) as err:
        prepare("\n".join(lines), arch)
    assert err.value.category == "asm.syntax" and err.value.line == target + 1


TOO_WIDE = [".long 107483648364836483648364836", ".quad 18446744073709551616", ".quad 0x10000000000000000",
            ".byte 0b1" + "0" * 64, ".long -107483648364836483648364836", ".zero 99999999999999999999",
            ".double 123456789012345678901234567", ".long " + "9" * 5000]


@pytest.mark.parametrize("statement", TOO_WIDE + ["big_immediate", "big_displacement"])
def test_an_integer_wider_than_64_bits_is_a_syntax_error(arch, statement):
    """Seen in model output: `.long 107483648364836483648364836`. keystone never returns on an integer
    wider than 64 bits, so preparation rejects it, naming the line."""
    if statement == "big_immediate":
        statement = "movq $18446744073709551616, %rax" if arch == "x86-64" else "mov x0, #18446744073709551616"
    elif statement == "big_displacement":
        statement = ("movq 0x10000000000000000(%rax), %rax" if arch == "x86-64"
                     else "ldr x0, [x1, #0x10000000000000000]")
    asm = compile_to_asm("int f(int a) { return a * 3; }", arch, "O0")
    lines = asm.splitlines()
    target = next(i for i, l in enumerate(lines) if l.strip() == "f:") + 1
    lines.insert(target, f"\t{statement}")
    with pytest.raises(AsmError) as err:
        prepare("\n".join(lines), arch)
    assert err.value.category == "asm.syntax" and err.value.line == target + 1
    assert "does not fit in 64 bits" in err.value.message and len(err.value.message) < 120


def test_integers_that_fit_in_64_bits_are_left_to_the_assembler(arch):
    """Only the width that hangs keystone is rejected here: 64-bit values, signed or unsigned, numbers in
    label names, strings and floats, and a .byte too large for a byte are not this check's business."""
    data = [".quad 18446744073709551615", ".quad 0xffffffffffffffff", ".quad -9223372036854775808",
            ".quad 01777777777777777777777", ".quad 0x000000000000000000000001", ".byte 300",
            '.ascii "107483648364836483648364836"', ".double 123456789012345678901234567.0",
            ".L107483648364836483648364836:", ".quad .L107483648364836483648364836"]
    prep = prepare("\t.section .rodata\n" + "\n".join(data) + "\n", arch)
    assert len(prep.rodata) == len(data)


def test_keystone_that_never_returns_is_killed(monkeypatch):
    """The guard behind the one above: keystone loops forever on `.long 107483648364836483648364836`; the
    child is killed after the time limit and reaped, and the caller gets an error, not a stall."""
    children = _record_children(monkeypatch)
    start = time.monotonic()
    code, error = _keystone("x86-64", ".long 107483648364836483648364836\n", CODE_BASE, timeout=0.2)
    assert code is None and error == "keystone did not return within 0.2 s (killed)"
    assert time.monotonic() - start < 10
    _assert_reaped(children)


def test_a_line_keystone_never_finishes_is_asm_syntax_naming_it(arch, monkeypatch):
    """Through assemble() with the preparation check switched off: the blob runs out of time, then the
    line-by-line search runs out of time on the line keystone cannot finish, and names it."""
    monkeypatch.setattr(asmprep, "_check_literals", lambda stmt, number: None)
    children = _record_children(monkeypatch)
    asm = compile_to_asm("int f(int a) { return a * 3; }", arch, "O0")
    asm += "\t.section .rodata\n.Lbig:\n\t.long 107483648364836483648364836\n"
    prep = prepare(asm, arch)
    resolve_symbols(prep, "f", set())
    with pytest.raises(AsmError) as err:
        assemble(prep, timeout=0.3)
    assert err.value.category == "asm.syntax" and "did not return within 0.3 s" in err.value.message
    assert err.value.line == len(asm.splitlines()) and "107483648364836483648364836" in err.value.text
    _assert_reaped(children)


def test_keystone_answers_larger_than_a_pipe_buffer_are_read_whole(monkeypatch):
    children = _record_children(monkeypatch)
    code, error = _keystone("x86-64", ".zero 300000\n.byte 7\n", CODE_BASE, timeout=20)
    assert error is None and len(code) == 300001 and code[-1] == 7
    _assert_reaped(children)


def _record_children(monkeypatch) -> list[int]:
    children: list[int] = []
    fork = os.fork

    def recording_fork():
        pid = fork()
        children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recording_fork)
    return children


def _assert_reaped(children: list[int]) -> None:
    assert children
    for pid in children:
        with pytest.raises(ChildProcessError):  # neither running nor a zombie: waited for
            os.waitpid(pid, os.WNOHANG)


def test_not_text_is_rejected():
    with pytest.raises(AsmError) as err:
        prepare("f:\n\0\0ret\n", "x86-64")
    assert err.value.category == "asm.syntax"


@pytest.mark.parametrize("opt", ["O0", "O2"])
def test_keystone_matches_gnu_as(arch, opt, tmp_path):
    """The cross-check: keystone's bytes for every instruction equal GNU as + ld at the same addresses."""
    asm = compile_to_asm(SOURCE, arch, opt)
    prep = prepare(asm, arch)
    resolve_symbols(prep, "pick", Libc().served)
    image = assemble(prep)
    assert encoding_mismatches(asm, image, "pick") == []


def test_string_data_may_hold_an_at_sign(arch):
    """gcc writes a byte table as `.ascii "...@..."`: the `@` is a byte (64), not a relocation."""
    source = "static const unsigned char tab[6] = {154, 64, 4, 111, 201, 64};\nint at(int i) { return tab[i % 6]; }\n"
    asm = compile_to_asm(source, arch, "O0")
    prep = prepare(asm, arch)
    image = assemble(prep)
    assert bytes([154, 64, 4, 111, 201, 64]) in image.code
