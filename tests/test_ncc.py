"""ncc, the drop-in cc: command line, builds with real gcc/as/ld, modes, fallback, cache, report.

Most builds use the `gcc:O0` translator: gcc's own -O0 code offered as the "translation" of an -O2
build is different code with the same meaning, so the verifier passes it and the splice is exercised
for real. The `mutant` translator offers wrong code: it must never reach a program except in neural mode.
"""
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from neuralcc.harness.ncc.cmdline import UsageError, parse
from neuralcc.harness.ncc.settings import Settings, SettingsError
from neuralcc.harness.ncc.unit import UnitTranslator
from neuralcc.harness.translators import Sample, Translator

BIN = Path(sys.executable).parent
KERNELS = Path(__file__).resolve().parent.parent / "corpora" / "kernels"
QEMU = ["qemu-aarch64", "-L", "/usr/aarch64-linux-gnu"]

MAIN = r"""
#include <stdio.h>
#include <stdint.h>
#include <stddef.h>
uint32_t crc32(const uint8_t *buf, size_t len);
int clampi(int x, int lo, int hi);
int main(void) {
    const char *s = "123456789";
    uint32_t c = crc32((const uint8_t *)s, 9);
    printf("%08x %d %d\n", c, clampi(-5, 0, 9), clampi(40, 0, 9));
    return c != 0xCBF43926u;
}
"""
CLAMP = """
// ncc: range(lo)=-100..0 range(hi)=0..100
int clampi(int x, int lo, int hi) { return x < lo ? lo : (x > hi ? hi : x); }
"""


def ncc(args, cwd, arch="x86-64", **env):
    name = "ncc" if arch == "x86-64" else "aarch64-linux-gnu-ncc"
    full = {**os.environ, "NCC_CACHE_DIR": str(Path(cwd) / "cache"), "NCC_REPORT": str(Path(cwd) / "report.jsonl"),
            **env}
    return subprocess.run([str(BIN / name), *args], cwd=cwd, env=full, capture_output=True, text=True)


def run_program(path, arch):
    cmd = [str(path)] if arch == "x86-64" else QEMU + [str(path)]
    return subprocess.run(cmd, capture_output=True, text=True)


def report(cwd):
    return [json.loads(l) for l in (Path(cwd) / "report.jsonl").read_text().splitlines()]


@pytest.fixture
def program(tmp_path):
    (tmp_path / "main.c").write_text(MAIN)
    shutil.copy(KERNELS / "crc32.c", tmp_path / "crc32.c")
    (tmp_path / "clamp.c").write_text(CLAMP)
    return tmp_path


def need_qemu(arch):
    if arch == "aarch64" and shutil.which("qemu-aarch64") is None:
        pytest.skip("qemu-aarch64 (Debian qemu-user) is not installed: cannot run AArch64 programs")


# -- the command line ---------------------------------------------------------------------------------

def test_cmdline_reads_what_cc_reads():
    c = parse(["-O2", "-c", "-I", "inc", "-DN=3", "-std=c99", "-Wall", "-g", "-MD", "-MF", "k.d", "k.c", "-o", "k.o"])
    assert (c.action, c.opt, c.output, c.sources, c.arch) == ("object", "O2", "k.o", ["k.c"], "x86-64")
    assert c.shaping == ["-I", "inc", "-DN=3", "-std=c99"]
    assert c.gcc[0] == "gcc" and c.gcc[1:] == ["-O2", "-c", "-I", "inc", "-DN=3", "-std=c99", "-Wall", "-g", "-MD",
                                                "-MF", "k.d", "k.c", "-o", "k.o"]
    assert parse(["-S", "a.c", "b.c"]).output_for("b.c") == "b.s"
    assert parse(["-c", "x/a.c"]).output_for("x/a.c") == "a.o"
    assert parse(["a.c", "b.o", "-lm", "-o", "prog"]).action == "link"
    for other in (["-E", "a.c"], ["--version"], ["-dumpmachine"], ["-M", "a.c"], []):
        assert parse(other).action == "other"


def test_cmdline_targets_and_unverifiable_flags():
    assert parse(["-c", "a.c"], prog="aarch64-linux-gnu-ncc").gcc[0] == "aarch64-linux-gnu-gcc"
    c = parse(["--target=aarch64-linux-gnu", "-c", "a.c"])
    assert c.arch == "aarch64" and "--target=aarch64-linux-gnu" not in c.gcc
    with pytest.raises(UsageError, match="unsupported target 'riscv64"):
        parse(["--target=riscv64-linux-gnu", "-c", "a.c"])
    with pytest.raises(UsageError, match="multiple files"):
        parse(["-c", "a.c", "b.c", "-o", "x.o"])
    assert parse(["-O2", "-fsanitize=address", "-c", "a.c"]).unverifiable == ["-fsanitize=address"]
    assert parse(["-Ofast", "-c", "a.c"]).unverifiable
    assert parse(["-O2", "-fno-stack-protector", "-fwrapv", "-c", "a.c"]).unverifiable == []
    assert parse(["-O2", "-flto=auto", "-c", "a.c"]).unverifiable == ["-flto=auto"]  # was "0/0 functions"
    assert parse(["-O2", "-fno-lto", "-c", "a.c"]).unverifiable == []


def test_response_files_are_expanded_as_gcc_expands_them(tmp_path):
    inner = tmp_path / "inner.rsp"
    inner.write_text("-o 'k out.o'\n")
    outer = tmp_path / "outer.rsp"
    outer.write_text(f"-O2 '-DMSG=\"a b\"' -DQ=\\\"x\\\" -DS='it\\'s'\n\t-c k.c @{inner} @{tmp_path}/missing ''\n")
    c = parse(["-Wall", f"@{outer}", "-g"])
    assert c.gcc[1:] == ["-Wall", "-O2", '-DMSG="a b"', '-DQ="x"', "-DS=it's", "-c", "k.c", "-o", "k out.o",
                         f"@{tmp_path}/missing", "", "-g"]
    assert (c.action, c.opt, c.sources, c.output) == ("object", "O2", ["k.c"], "k out.o")
    (tmp_path / "empty.rsp").write_text(" \n")
    assert parse(["-c", "k.c", f"@{tmp_path}/empty.rsp"]).gcc[1:] == ["-c", "k.c"]
    with pytest.raises(UsageError, match="@-file refers to a directory"):
        parse([f"@{tmp_path}", "-c", "k.c"])
    (tmp_path / "loop.rsp").write_text(f"@{tmp_path}/loop.rsp")
    with pytest.raises(UsageError, match="too many @-files"):
        parse([f"@{tmp_path}/loop.rsp"])


def test_a_build_from_a_response_file_is_translated(tmp_path):
    shutil.copy(KERNELS / "crc32.c", tmp_path / "crc32.c")
    (tmp_path / "args").write_text("-O2 -c crc32.c\n")
    r = ncc(["@args"], tmp_path, NCC_TRANSLATOR="gcc:O0")
    assert r.returncode == 0, r.stderr
    assert "1/1 functions neural-verified (crc32)" in r.stderr and (tmp_path / "crc32.o").exists()


def test_settings_from_environment_and_file(tmp_path):
    cfg = tmp_path / "ncc.toml"
    cfg.write_text('[ncc]\nmode = "strict"\nsamples = 4\n')
    s = Settings.load({"NCC_CONFIG": str(cfg), "NCC_SAMPLES": "2", "HOME": str(tmp_path)})
    assert (s.mode, s.samples) == ("strict", 2)  # the environment wins over the file
    assert s.cache_dir == str(tmp_path / ".cache" / "neuralcc" / "ncc")
    with pytest.raises(SettingsError, match="NCC_MODE='fast'"):
        Settings.load({"NCC_MODE": "fast"})
    with pytest.raises(SettingsError, match="NCC_SAMPLES='many'"):
        Settings.load({"NCC_SAMPLES": "many"})


# -- builds -------------------------------------------------------------------------------------------

@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_verified_code_replaces_gccs_and_the_program_agrees(program, arch):
    need_qemu(arch)
    cc = "gcc" if arch == "x86-64" else "aarch64-linux-gnu-gcc"
    subprocess.run([cc, "-O2", "main.c", "crc32.c", "clamp.c", "-o", "ref"], cwd=program, check=True)
    r = ncc(["-O2", "main.c", "crc32.c", "clamp.c", "-o", "prog"], program, arch, NCC_TRANSLATOR="gcc:O0")
    assert r.returncode == 0, r.stderr
    assert "crc32.c" in r.stderr and "1/1 functions neural-verified (crc32)" in r.stderr
    rows = {row["function"]: row for row in report(program)}
    assert rows["crc32"]["outcome"] == rows["clampi"]["outcome"] == "neural"
    # main calls the other two units: judged with their code beside it, once the whole program is known
    assert rows["main"]["outcome"] == "neural" and rows["main"]["at_link"]
    ref, got = run_program(program / "ref", arch), run_program(program / "prog", arch)
    assert (got.returncode, got.stdout) == (ref.returncode, ref.stdout) == (0, "cbf43926 0 9\n")
    # the program really holds the -O0 code: a frame pointer prologue, which gcc -O2 never writes
    dump = subprocess.run(["objdump" if arch == "x86-64" else "aarch64-linux-gnu-objdump", "-d", "prog"],
                          cwd=program, capture_output=True, text=True).stdout
    body = dump.split("<crc32>:")[1].split("\n\n")[0]
    assert ("push   %rbp" in body) if arch == "x86-64" else ("sub\tsp, sp" in body)


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_a_main_calling_other_units_is_verified_at_the_link(tmp_path, arch):
    """Compiled one file at a time, main cannot be tested (it calls gcd, defined in the other file); at
    the link ncc has both units and judges it with gcd's gcc code beside it."""
    need_qemu(arch)
    shutil.copy(KERNELS / "gcd.c", tmp_path / "gcd.c")
    shutil.copy(PROGRAMS / "main_gcd.c", tmp_path / "main_gcd.c")
    for src, obj in (("gcd.c", "gcd.o"), ("main_gcd.c", "main.o")):
        assert ncc(["-O2", "-c", src, "-o", obj], tmp_path, arch, NCC_TRANSLATOR="gcc:O0").returncode == 0
    assert report(tmp_path)[-1]["category"] == "unsupported"  # main, alone
    r = ncc(["-O2", "-o", "prog", "gcd.o", "main.o"], tmp_path, arch, NCC_TRANSLATOR="gcc:O0")
    assert r.returncode == 0, r.stderr
    assert "main_gcd.c" in r.stderr and "at the link, beside the other units: main neural-verified" in r.stderr
    (row,) = [row for row in report(tmp_path) if row["function"] == "main" and row["at_link"]]
    assert row["outcome"] == "neural" and row["unit"] == "main_gcd.c"
    got = run_program(tmp_path / "prog", arch)
    assert got.returncode == 0 and got.stdout.endswith("gcd: 15/15 checks passed\n"), got
    if arch == "x86-64":  # the -O0 main is linked: a frame pointer prologue, which gcc -O2 never writes
        dump = subprocess.run(["objdump", "-d", "prog"], cwd=tmp_path, capture_output=True, text=True).stdout
        assert "push   %rbp" in dump.split("<main>:")[1].split("\n\n")[0]
    # wrong code offered at the link never reaches the program
    ncc(["-O2", "-c", "main_gcd.c", "-o", "main.o"], tmp_path, arch, NCC_TRANSLATOR="mutant")
    r = ncc(["-O2", "-o", "prog", "gcd.o", "main.o"], tmp_path, arch, NCC_TRANSLATOR="mutant")
    assert r.returncode == 0 and "at the link, beside the other units: nothing more verified" in r.stderr, r.stderr
    assert run_program(tmp_path / "prog", arch).stdout == got.stdout
    # what ncc kept of main.o's unit, edited, is not read: the link step does not see a unit to judge
    (kept,) = [p for p in (tmp_path / "cache").rglob("unit-*.json") if "main_gcd.c" in p.read_text()
               and p.name == f"unit-{hashlib.sha256((tmp_path / 'main.o').read_bytes()).hexdigest()}.json"]
    data = json.loads(kept.read_text())
    data["entry"]["base"] = data["entry"]["base"].replace("checks passed", "checks faked")
    kept.write_text(json.dumps(data))
    r = ncc(["-O2", "-o", "prog", "gcd.o", "main.o"], tmp_path, arch, NCC_TRANSLATOR="gcc:O0")
    assert r.returncode == 0 and "at the link" not in r.stderr, r.stderr
    assert run_program(tmp_path / "prog", arch).stdout == got.stdout


def test_wrong_code_never_reaches_the_program(program):
    r = ncc(["-O2", "main.c", "crc32.c", "clamp.c", "-o", "prog"], program, NCC_TRANSLATOR="mutant")
    assert r.returncode == 0, r.stderr
    assert "0/1 functions neural-verified" in r.stderr and "gcc fallback: crc32" in r.stderr
    assert {row["outcome"] for row in report(program)} == {"gcc"}
    assert run_program(program / "prog", "x86-64").stdout == "cbf43926 0 9\n"


def test_guess_and_check_turns_a_failed_function_into_a_verified_one(tmp_path):
    # the translation memory's nearest pieces of argmax compute a wrong answer; one of its other pieces does not
    shutil.copy(KERNELS / "argmax.c", tmp_path)
    for repair, outcome in (("0", "gcc"), ("8", "neural")):
        (tmp_path / "report.jsonl").unlink(missing_ok=True)
        r = ncc(["-O0", "-c", "argmax.c", "-o", "argmax.o"], tmp_path, NCC_TRANSLATOR="memory", NCC_REPAIR=repair)
        assert r.returncode == 0, r.stderr
        (row,) = report(tmp_path)
        assert row["outcome"] == outcome, row
    assert row["samples"] > 1  # verified on a rewritten translation, not the first


def test_strict_mode_fails_the_build_and_leaves_no_output(program):
    r = ncc(["-O2", "-c", "crc32.c", "-o", "crc32.o"], program, NCC_TRANSLATOR="mutant", NCC_MODE="strict")
    assert r.returncode == 1
    assert "NCC_MODE=strict: not verified: crc32.c:crc32" in r.stderr
    assert not (program / "crc32.o").exists()
    ok = ncc(["-O2", "main.c", "crc32.c", "clamp.c", "-o", "prog"], program, NCC_TRANSLATOR="gcc:O0",
             NCC_MODE="strict")
    assert ok.returncode == 0, ok.stderr  # main cannot be tested at all: it stays gcc's and is named
    assert run_program(program / "prog", "x86-64").stdout == "cbf43926 0 9\n"


def test_neural_mode_uses_unverified_code_and_says_so_loudly(program):
    r = ncc(["-O2", "-c", "clamp.c"], program, NCC_TRANSLATOR="return0", NCC_MODE="neural")
    assert r.returncode == 0
    assert "WARNING: NCC_MODE=neural" in r.stderr and "clampi uses UNVERIFIED model code" in r.stderr
    dump = subprocess.run(["objdump", "-d", "clamp.o"], cwd=program, capture_output=True, text=True).stdout
    assert "xor    %eax,%eax" in dump


def test_c_errors_are_gccs_own(tmp_path):
    (tmp_path / "bad.c").write_text("int f(int x) {\n  return x +;\n}\n")
    ref = subprocess.run(["gcc", "-c", "bad.c"], cwd=tmp_path, capture_output=True, text=True)
    r = ncc(["-c", "bad.c"], tmp_path)
    assert r.returncode == ref.returncode == 1
    assert r.stderr == ref.stderr and "bad.c:2:" in r.stderr
    assert not (tmp_path / "report.jsonl").exists()


def test_passthrough_modes(tmp_path):
    (tmp_path / "a.c").write_text("#define V 42\nint v = V;\n")
    r = ncc(["-E", "a.c"], tmp_path)
    assert r.returncode == 0 and "int v = 42;" in r.stdout
    assert ncc(["--version"], tmp_path).stdout.startswith("gcc")
    assert ncc(["-dumpmachine"], tmp_path, "aarch64").stdout.strip() == "aarch64-linux-gnu"
    assert "NCC_MODE" in ncc(["--help"], tmp_path).stdout
    r = ncc(["-c", "a.c", "b.c", "-o", "x.o"], tmp_path)
    assert r.returncode == 1 and r.stderr.startswith("ncc: error: cannot specify '-o'")
    r = ncc(["-c", "a.c"], tmp_path, NCC_MODE="sometimes")
    assert r.returncode == 1 and "NCC_MODE='sometimes'" in r.stderr


def test_unchanged_code_is_not_translated_again(program):
    args = ["-O2", "-c", "crc32.c"]
    first = ncc(args, program, NCC_TRANSLATOR="gcc:O0")
    second = ncc(args, program, NCC_TRANSLATOR="gcc:O0")
    assert first.returncode == second.returncode == 0
    assert [r["cached"] for r in report(program)] == [False, True]
    assert "1 cached" in second.stderr
    (program / "crc32.c").write_text((program / "crc32.c").read_text() + "\n/* edited */\n")
    ncc(args, program, NCC_TRANSLATOR="gcc:O0")
    assert report(program)[-1]["cached"] is False


class _Exploding(Translator):
    name = "exploding"

    def translate(self, bench, arch, opt, n, seed):
        if bench.entry == "crc32":
            raise RuntimeError("translator crashed")
        return [Sample("\t.text\n\t.globl clampi\nclampi:\n\tmovl %esi, %eax\n\tret\n")]


def test_an_internal_failure_falls_back_for_that_function_only(program, tmp_path):
    source = (program / "crc32.c").read_text() + CLAMP
    (program / "both.c").write_text(source)
    settings = Settings.load({"NCC_CACHE_DIR": str(tmp_path / "c"), "HOME": str(tmp_path)})
    unit = UnitTranslator(settings, _Exploding()).run(str(program / "both.c"), "x86-64", "O2", [])
    by = {f.function: f for f in unit.functions}
    assert by["crc32"].category == "ncc.internal_error" and "translator crashed" in by["crc32"].message
    assert by["clampi"].category == "semantic.wrong_output" and not by["clampi"].verified
    assert unit.asm is None


GNU_C = r"""
#include <stdio.h>
struct node { int v; struct node *next; };

__attribute__((noinline)) static int twice(int x) { return 2 * x; }

int sum_list(struct node *n) {
    int s = 0;
    while (n) {
        s += n->v;
        n = n->next;
    }
    return s;
}

int with_pragma(int n) {
    int s = 0;
#pragma GCC unroll 4
    for (int i = 0; i < n; i++)
        s += i;
    return s;
}

int ext(int x) {
    __extension__ long long y = x;
    return (int)(y * 3);
}

int asm_nop(int x) {
    __asm__ volatile("nop");
    return x + 1;
}

int kr(a, b)
    int a;
    int b;
{
    return a - b;
}

int octal(int x) { return x & 017; }

double hexf(double x) { return x * 0x1.8p1; }

int main(void) {
    struct node c = {3, 0}, b = {2, &c}, a = {1, &b};
    printf("%d %d %d %d %d %d %d %g\n", twice(4), sum_list(&a), with_pragma(5), ext(7), asm_nop(1), kr(9, 4),
           octal(31), hexf(1.5));
    return 0;
}
"""


def test_gnu_c_is_read_function_by_function_and_what_is_refused_is_named(tmp_path):
    """GNU attributes, `__extension__`, a self-referential struct, octal and hex-float literals are read; a
    `#pragma` among the statements, inline assembly and a K&R definition are refused for their own function
    only, by name: the unit's other functions are still translated, and the program is gcc's."""
    (tmp_path / "gnu.c").write_text(GNU_C)
    built = ncc(["-O0", "gnu.c", "-o", "gnu"], tmp_path)
    assert built.returncode == 0, built.stderr
    subprocess.run(["gcc", "-O0", "gnu.c", "-o", "ref"], cwd=tmp_path, check=True)
    assert run_program(tmp_path / "gnu", "x86-64").stdout == run_program(tmp_path / "ref", "x86-64").stdout
    rows = {r["function"]: r for r in report(tmp_path)}
    assert set(rows) == {"twice", "sum_list", "with_pragma", "ext", "asm_nop", "kr", "octal", "hexf", "main"}, rows
    assert not [r for r in rows.values() if "internal" in r["category"] or r["category"] == "ncc.unit_left_to_gcc"]
    assert "Pragma" in rows["with_pragma"]["message"] and "inline assembly" in rows["asm_nop"]["message"]
    assert rows["kr"]["outcome"] == "gcc" and "struct field 'next' is a pointer" in rows["sum_list"]["message"]
    assert {f for f, r in rows.items() if r["outcome"] == "neural"} >= {"twice", "ext", "octal"}, rows


def test_a_units_gcc_work_is_done_once_for_all_its_functions(program, tmp_path, monkeypatch):
    """gcc compiles the unit once per level and flag set, and the unit is read once, however many functions
    it has: every function's check shares them (verifier.check.UnitBuild)."""
    import neuralcc.verifier.check as check

    source = (program / "crc32.c").read_text() + CLAMP + "int twice(int x) { return 2 * x; }\n"
    (program / "three.c").write_text(source)
    compiled, read = [], []
    real_compile, real_parse = check.compile_to_asm, check.parse_unit
    monkeypatch.setattr(check, "compile_to_asm", lambda *a, **k: compiled.append((a[2], k.get("extra"))) or real_compile(*a, **k))
    monkeypatch.setattr(check, "parse_unit", lambda *a, **k: read.append(1) or real_parse(*a, **k))
    settings = Settings.load({"NCC_CACHE_DIR": str(tmp_path / "c"), "HOME": str(tmp_path)})
    unit = UnitTranslator(settings, _Exploding()).run(str(program / "three.c"), "x86-64", "O2", [])
    assert [f.function for f in unit.functions] == ["crc32", "clampi", "twice"]
    assert len(compiled) == len(set(map(str, compiled))) == 3, compiled  # -O2, its -E, the -O0 second reference
    assert len(read) == 1


def test_a_unit_whose_reading_crashes_keeps_gccs_object_and_is_reported(program, tmp_path, monkeypatch, capsys):
    """A crash while a unit is read is that unit's: gcc's object is kept, the report has its line with
    the reason, and the other units are still translated (before, the build's report had no line)."""
    from neuralcc.harness.ncc import driver

    real = UnitTranslator.run

    def run(self, path, *args):
        if path.endswith("clamp.c"):
            raise RecursionError("maximum recursion depth exceeded")
        return real(self, path, *args)

    monkeypatch.setattr(UnitTranslator, "run", run)
    monkeypatch.chdir(program)
    monkeypatch.setenv("NCC_CACHE_DIR", str(tmp_path / "c"))
    monkeypatch.setenv("NCC_REPORT", str(program / "report.jsonl"))
    monkeypatch.setenv("NCC_TRANSLATOR", "gcc")
    assert driver.main(["-c", "clamp.c", "crc32.c"], prog="ncc") == 0
    assert (program / "clamp.o").exists() and (program / "crc32.o").exists()
    lines = {(r["unit"], r["function"]): r for r in report(program)}
    crashed = lines["clamp.c", None]
    assert crashed["category"] == "ncc.unit_left_to_gcc" and "RecursionError" in crashed["message"]
    assert lines["crc32.c", "crc32"]["outcome"] == "neural"
    assert "clamp.c" in capsys.readouterr().err


def test_a_headers_functions_are_reported_as_gccs(tmp_path):
    """A static inline helper of an included header is in the unit's code but not in the .c file: it
    is reported as gcc's with the reason (it was in neither the count nor the report), and strict mode
    does not fail on it."""
    (tmp_path / "h.h").write_text("static inline int twice(int x) { return 2 * x; }\n")
    (tmp_path / "q.c").write_text('#include "h.h"\nint quad(int x) { return twice(twice(x)); }\n')
    r = ncc(["-O0", "-c", "q.c"], tmp_path, NCC_TRANSLATOR="gcc:O0", NCC_MODE="strict")
    assert r.returncode == 0, r.stderr
    rows = {row["function"]: row for row in report(tmp_path)}
    assert rows["quad"]["outcome"] == "neural"
    assert rows["twice"]["outcome"] == "gcc" and rows["twice"]["category"] == "ncc.header_function"
    assert "1/2 functions neural-verified" in r.stderr


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_shaping_flags_reach_the_verifier(tmp_path, arch):
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "k.h").write_text("#define SCALE 3\n")
    (tmp_path / "k.c").write_text('#include "k.h"\nint scale(int x) { return x * SCALE + OFFSET; }\n')
    r = ncc(["-O1", "-Iinc", "-DOFFSET=7", "-c", "k.c"], tmp_path, arch, NCC_TRANSLATOR="gcc:O0")
    assert r.returncode == 0, r.stderr
    assert report(tmp_path)[0]["outcome"] == "neural", report(tmp_path)


def test_a_unit_that_includes_its_own_header_reaches_the_model(tmp_path):
    """The translator preprocesses the unit with the build's -I/-D, as gcc and the verifier do."""
    (tmp_path / "inc").mkdir()
    (tmp_path / "inc" / "k.h").write_text("#define SCALE 3\n")
    (tmp_path / "k.c").write_text('#include "k.h"\nint scale(int x)\n{\n    return x * SCALE + OFFSET;\n}\n')
    r = ncc(["-O0", "-Iinc", "-DOFFSET=7", "-c", "k.c"], tmp_path, NCC_TRANSLATOR="memory")
    assert r.returncode == 0, r.stderr
    (row,) = report(tmp_path)
    assert row["category"] == "pass", row


SCALED = '#include "k.h"\nint scale(int x) { return x * SCALE; }\n'
SCALED_MAIN = '#include <stdio.h>\nint scale(int x);\nint main(void) { printf("%d\\n", scale(2)); return 0; }\n'


@pytest.fixture
def scaled(tmp_path):
    (tmp_path / "k.h").write_text("#define SCALE 3\n")
    (tmp_path / "k.c").write_text(SCALED)
    (tmp_path / "main.c").write_text(SCALED_MAIN)
    return tmp_path


def build_scaled(cwd, **env):
    """ncc -c k.c, then the program linked by gcc, and gcc's own build of it: (ncc run, ncc's output, gcc's)."""
    r = ncc(["-O2", "-c", "k.c"], cwd, NCC_TRANSLATOR="gcc:O0", **env)
    assert r.returncode == 0, r.stderr
    subprocess.run(["gcc", "main.c", "k.o", "-o", "prog"], cwd=cwd, check=True)
    subprocess.run(["gcc", "-O2", "main.c", "k.c", "-o", "ref"], cwd=cwd, check=True)
    return r, run_program(cwd / "prog", "x86-64").stdout, run_program(cwd / "ref", "x86-64").stdout


def test_a_header_edit_is_not_taken_from_cache(scaled):
    """The key is what gcc compiled (the preprocessed unit), not the unit's own text."""
    first, got, ref = build_scaled(scaled)
    assert got == ref == "6\n" and report(scaled)[-1]["outcome"] == "neural"
    (scaled / "k.h").write_text("#define SCALE 5\n")
    second, got, ref = build_scaled(scaled)
    assert got == ref == "10\n"
    assert "cached" not in second.stderr and report(scaled)[-1]["cached"] is False
    third, _, _ = build_scaled(scaled)
    assert "1 cached" in third.stderr  # and unchanged code is still not translated again


def test_a_tampered_cache_entry_is_discarded(scaled):
    build_scaled(scaled)
    (entry,) = [p for p in (scaled / "cache").rglob("*.json") if not p.name.startswith("unit-")]  # the function's
    data = json.loads(entry.read_text())
    stored = data.get("entry", data)  # wherever the entry keeps its assembly
    assert stored["function"] == "scale" and stored["verified"] is True
    stored["asm"] = "\t.text\n\t.globl\tscale\n\t.type\tscale, @function\nscale:\n\tmovl\t$42, %eax\n\tret\n" \
                    "\t.size\tscale, .-scale\n"
    entry.write_text(json.dumps(data))
    r, got, ref = build_scaled(scaled)
    assert got == ref == "6\n"
    assert "1 cache entry discarded (digest mismatch)" in r.stderr and "1 cached" not in r.stderr
    row = report(scaled)[-1]
    assert (row["cached"], row["cache_discarded"], row["outcome"]) == (False, "digest mismatch", "neural")
    again, _, _ = build_scaled(scaled)
    assert "1 cached" in again.stderr and "discarded" not in again.stderr  # the entry was rewritten, signed
    secret = scaled / "cache" / "secret.key"
    assert secret.stat().st_mode & 0o777 == 0o600
    secret.chmod(0o644)  # a key others can read can sign anything: the cache is not used
    r, got, _ = build_scaled(scaled)
    assert got == "6\n" and "cache not used" in r.stderr and report(scaled)[-1]["cached"] is False


def test_hypothesis_keeps_its_files_in_the_cache_directory(scaled):
    build_scaled(scaled)
    assert not (scaled / ".hypothesis").exists()
    assert (scaled / "cache" / "hypothesis").is_dir()


# -- the trust boundary: what ncc links is exactly what the verifier ran --------------------------------
GCD_MAIN = '#include <stdio.h>\nunsigned gcd(unsigned a, unsigned b);\nint main(void) { printf("%u\\n", gcd(12, 18)); return 0; }\n'
HIDDEN = {  # code the function never runs, a constructor that would run it at start-up, a host file's bytes
    "x86-64": '\t.section .mytext,"ax"\nhidden:\n\tsyscall\n\tret\n\t.section .init_array,"aw"\n\t.quad hidden\n'
              '\t.section .rodata\n\t.incbin "/etc/hostname"\n',
    "aarch64": '\t.section .mytext,"ax"\nhidden:\n\tsvc #0\n\tret\n\t.section .init_array,"aw"\n\t.xword hidden\n'
               '\t.section .rodata\n\t.incbin "/etc/hostname"\n',
}
UNCALLED = {"x86-64": "\t.text\nhelper:\n\tsyscall\n\tret\n", "aarch64": "\t.text\nhelper:\n\tsvc #0\n\tret\n"}


def build_with_candidate(tmp_path, arch, extra: str):
    """main.c + gcd.c built by ncc -O0, the translator offering gcc's own gcd with `extra` appended."""
    from neuralcc.verifier.reference import compile_to_asm

    (tmp_path / "main.c").write_text(GCD_MAIN)
    shutil.copy(KERNELS / "gcd.c", tmp_path / "gcd.c")
    asm = compile_to_asm((KERNELS / "gcd.c").read_text(), arch, "O0") + extra
    row = {"benchmark": f"file://{tmp_path / 'gcd.c'}#gcd", "arch": arch, "opt": "O0", "sample": 0, "asm": asm}
    (tmp_path / "cand.jsonl").write_text(json.dumps(row) + "\n")
    r = ncc(["-O0", "main.c", "gcd.c", "-o", "prog"], tmp_path, arch, NCC_TRANSLATOR=f"file:{tmp_path / 'cand.jsonl'}")
    assert r.returncode == 0, r.stderr
    return r, {row["function"]: row for row in report(tmp_path)}


@pytest.mark.parametrize("extra", ["", "hidden", "uncalled"])
def test_only_what_the_verifier_ran_is_linked(tmp_path, arch, extra):
    need_qemu(arch)
    r, rows = build_with_candidate(tmp_path, arch, {"": "", "hidden": HIDDEN[arch], "uncalled": UNCALLED[arch]}[extra])
    gcd = rows["gcd"]
    if not extra:  # gcc's own code, offered as the translation, is verified and linked
        assert gcd["outcome"] == "neural", gcd
    else:
        assert gcd["outcome"] == "gcc" and gcd["category"] == "asm.forbidden", gcd
        assert "0/1 functions neural-verified" in r.stderr
    assert run_program(tmp_path / "prog", arch).stdout == "6\n"
    binary = (tmp_path / "prog").read_bytes()
    hostname = Path("/etc/hostname").read_bytes() if Path("/etc/hostname").exists() else b""
    assert len(hostname) < 4 or hostname not in binary
    sections = subprocess.run(["objdump" if arch == "x86-64" else "aarch64-linux-gnu-objdump", "-h", "prog"],
                              capture_output=True, text=True, cwd=tmp_path).stdout
    assert ".mytext" not in sections


def test_report_summarises_a_build(program):
    ncc(["-O2", "-c", "crc32.c"], program, NCC_TRANSLATOR="gcc:O0")
    ncc(["-O2", "-c", "main.c"], program, NCC_TRANSLATOR="gcc:O0")
    r = subprocess.run([str(BIN / "neuralcc"), "ncc-report", str(program / "report.jsonl")], capture_output=True,
                       text=True)
    assert r.returncode == 0
    assert "x86-64 -O2: 1/2 functions neural-verified (50.0%)" in r.stdout
    assert "gcc fallback by verdict: unsupported 1" in r.stdout


# -- make CC=ncc on the project's kernel programs -------------------------------------------------------

PROGRAMS = KERNELS / "programs"


def make_programs(cc, out, targets=(), env=None, run=""):
    full = {**os.environ, **(env or {})}
    built = subprocess.run(["make", "-s", "-C", str(PROGRAMS), f"CC={cc}", "CFLAGS=-O2 -Wall", f"OUT={out}",
                            *[str(out / t) for t in targets]], env=full, capture_output=True, text=True)
    return built


def outputs(out, names, arch):
    return {n: (r.returncode, r.stdout) for n in names for r in [run_program(out / n, arch)]}


def test_make_cc_ncc_builds_programs_that_match_gcc(tmp_path):
    names = ["crc32", "fir_q15"]
    assert make_programs("gcc", tmp_path / "gcc", names).returncode == 0
    env = {"NCC_TRANSLATOR": "gcc:O0", "NCC_CACHE_DIR": str(tmp_path / "cache"),
           "NCC_REPORT": str(tmp_path / "report.jsonl")}
    built = make_programs(str(BIN / "ncc"), tmp_path / "ncc", names, env)
    assert built.returncode == 0, built.stderr
    ref = outputs(tmp_path / "gcc", names, "x86-64")
    assert outputs(tmp_path / "ncc", names, "x86-64") == ref and all(code == 0 for code, _ in ref.values())
    assert sum(r["outcome"] == "neural" for r in report(tmp_path)) >= 2  # crc32 and fir_q15 at least


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
@pytest.mark.parametrize("translator", ["model+memory", "model", "gcc:O0", "mutant"])
def test_every_program_matches_gcc_with_ncc(tmp_path, arch, translator):
    """Issue 6's first promise: all 20 programs, built with make CC=ncc, print what the gcc build prints."""
    need_qemu(arch)
    cc, ncc_name = ("gcc", "ncc") if arch == "x86-64" else ("aarch64-linux-gnu-gcc", "aarch64-linux-gnu-ncc")
    names = sorted(p.stem[len("main_"):] for p in PROGRAMS.glob("main_*.c"))
    assert len(names) >= 12
    assert make_programs(cc, tmp_path / "gcc").returncode == 0
    env = {"NCC_TRANSLATOR": translator, "NCC_CACHE_DIR": str(tmp_path / "cache"), "NCC_QUIET": "1"}
    built = make_programs(str(BIN / ncc_name), tmp_path / "ncc", env=env)
    assert built.returncode == 0, built.stderr
    assert outputs(tmp_path / "ncc", names, arch) == outputs(tmp_path / "gcc", names, arch)


def test_an_objects_unit_record_is_read_back_only_with_what_its_results_were_computed_from(tmp_path):
    from neuralcc.harness.ncc.unit import Cache, UnitResult

    cache = Cache.open(str(tmp_path / "cache"))
    obj = tmp_path / "a.o"
    obj.write_bytes(b"\x7fELF object")
    unit = UnitResult("a.c", "x86-64", "O0", source="int f(void) { return 1; }\n", base="\t.text\n",
                      inputs={"path": "/src/a.c", "source": "ab12", "compiled": "cd34"})
    cache.put_unit(str(obj), unit)
    back = cache.get_unit(str(obj))
    assert back is not None and back.inputs == unit.inputs and back.source == unit.source
    # a record that does not say what its results depend on keys nothing at the link: not ncc's
    cache._write(f"unit-{hashlib.sha256(obj.read_bytes()).hexdigest()}",
                 {k: v for k, v in unit.record().items() if k != "inputs"})
    assert cache.get_unit(str(obj)) is None
