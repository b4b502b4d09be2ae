"""The verifier as an attacker meets it: hand-written candidates that must not pass.

Each test is one attack: code the verifier would not run but GNU as would build, instructions the
emulator runs differently from the host, wrong code that zeroed memory hides, inputs that would take
unbounded time or memory, and faults the verifier used to misread.
"""
import resource
import subprocess
import sys
import time

import pytest

from neuralcc.verifier import Checker
from neuralcc.verifier.assemble import _keystone
from neuralcc.verifier.gnu_as import GnuAsError, encoding_mismatches
from neuralcc.verifier.reference import compile_to_asm

GCD = """// ncc: range(a)=0..4294967295 range(b)=0..4294967295
unsigned gcd(unsigned a, unsigned b) { while (b != 0) { unsigned t = a % b; a = b; b = t; } return a; }
"""

_CHECKERS: dict = {}


def checker(source: str, arch: str, opt: str = "O0", **kw) -> Checker:
    key = (source, arch, opt, tuple(sorted(kw.items())))
    if key not in _CHECKERS:
        _CHECKERS[key] = Checker(source, arch, opt, **{"examples": 20, "random_inputs": 100, **kw})
    return _CHECKERS[key]


def gcc_asm(arch: str, source: str = GCD, opt: str = "O0") -> str:
    return compile_to_asm(source, arch, opt)


def with_extra(asm: str, extra: str) -> str:
    """gcc's own assembly with `extra` appended: the function itself is right."""
    return asm + "\n" + extra + "\n"


def before_return(asm: str, arch: str, lines: list[str]) -> str:
    ret = "\tret\n"
    assert ret in asm
    return asm.replace(ret, "".join(f"\t{l}\n" for l in lines) + ret, 1)


# -- code the verifier would not run, built by GNU as ------------------------------------------------
HIDDEN = {
    "x86-64": '\t.section .mytext,"ax"\nhidden:\n\tsyscall\n\tret\n',
    "aarch64": '\t.section .mytext,"ax"\nhidden:\n\tsvc #0\n\tret\n',
}


ATTACKS = {  # the statement the verdict must name, and what comes before it
    "hidden section": ('\t.section .mytext,"ax"', ""),
    "constructor": ('\t.section .init_array,"aw"', "\t.quad gcd"),
    "incbin": ('\t.incbin "/etc/hostname"', "\t.section .rodata"),
    "huge skip": ("\t.skip 1500000000", "\t.section .rodata"),
    "include": ('\t.include "/etc/hostname"', ""),
    "subsection": ("\t.text 1", "\tnop"),
    "tls": ('\t.section .tbss,"awT",@nobits', "\t.zero 8"),
    "raw instruction word": ("\t.inst 0xd4000001", ""),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_what_the_verifier_would_not_run_is_forbidden(arch, attack):
    """GNU as would build each of these into the program; the verifier never ran them."""
    statement, other = ATTACKS[attack]
    text = statement + "\n" + other if attack in ("constructor", "subsection", "tls") else other + "\n" + statement
    candidate = with_extra(gcc_asm(arch), text)
    verdict = checker(GCD, arch).check(candidate)
    assert verdict.category == "asm.forbidden", verdict.summary()
    assert candidate.splitlines()[verdict.line - 1] == statement


def test_data_in_code_is_forbidden(arch):
    """Bytes in a code section would be run without ever being read as instructions by the verifier."""
    asm = before_return(gcc_asm(arch), arch, [".byte 0x0f, 0x05"] if arch == "x86-64" else [".word 0xd4000001"])
    verdict = checker(GCD, arch).check(asm)
    assert verdict.category == "asm.forbidden" and "code section" in verdict.message


def test_previous_returns_to_the_section_before(arch):
    """GNU as's `.previous` goes back to the section before the last switch: code after it runs."""
    asm = gcc_asm(arch).replace("gcd:\n", "gcd:\n\t.section .rodata\n\t.previous\n", 1)
    assert checker(GCD, arch).check(asm).category == "pass"


def test_gnu_as_objects_hold_only_what_the_verifier_ran(arch):
    """ncc's check on its own: GNU as's object for the text may hold no section the verifier did not run."""
    c = checker(GCD, arch)
    image = c.build(c.reference_asm).image
    assert encoding_mismatches(c.reference_asm, image, "gcd") == []
    with pytest.raises(GnuAsError, match="init_array"):
        encoding_mismatches(with_extra(c.reference_asm, '\t.section .init_array,"aw"\n\t.quad gcd'), image, "gcd")
    with pytest.raises(GnuAsError, match="rodata differs"):  # bytes keystone never saw (`.ident` is dropped)
        encoding_mismatches(c.reference_asm.replace("gcd:", '.section .rodata\n.ascii "x"\n.text\ngcd:'),
                            image, "gcd")


NAMES = 'static const char *const names[] = {"zero", "one", "two"};\nconst char *name(int i) { return names[(unsigned)i % 3u]; }\n'


@pytest.mark.parametrize("opt", ["O0", "O2"])
def test_gcc_relocated_constants_pass_the_gnu_as_check(arch, opt):
    """A table of pointers is .data.rel.ro: writable in the object (the loader relocates it), a constant to
    the verifier. gcc's own unit must pass ncc's check."""
    c = checker(NAMES, arch, opt)
    assert ".data.rel.ro" in c.reference_asm and c.check(c.reference_asm).category == "pass"
    assert encoding_mismatches(c.reference_asm, c.build(c.reference_asm).image, "name") == []


# -- instructions the host would treat differently -----------------------------------------------
FORBIDDEN = {
    "x86-64": ["syscall", "sysenter", "in $0x60, %al", "outb %al, $0x80", "int $0x80", "int3", "hlt", "cli",
               "rdtsc", "cpuid", "wrmsr", "movq %cr0, %rax"],
    "aarch64": ["svc #0", "hvc #0", "smc #0", "brk #0", "msr daifset, #2", "mrs x9, cntvct_el0",
                "mrs x9, sctlr_el1", "wfi", "dc zva, x9"],
}


@pytest.mark.parametrize("index", range(12))
def test_system_instructions_are_faults_at_their_line(arch, index):
    if index >= len(FORBIDDEN[arch]):
        pytest.skip("fewer instructions on this arch")
    instruction = FORBIDDEN[arch][index]
    # saved and restored around it, so that only the instruction itself can make the candidate fail
    save = ["pushq %rax", "pushq %rcx", "pushq %rdx", "pushq %r11"] if arch == "x86-64" else ["str x9, [sp, #-16]!"]
    restore = ["popq %r11", "popq %rdx", "popq %rcx", "popq %rax"] if arch == "x86-64" else ["ldr x9, [sp], #16"]
    asm = before_return(gcc_asm(arch), arch, save + [instruction] + restore)
    verdict = checker(GCD, arch).check(asm)
    assert verdict.category == "control.forbidden_instruction", (instruction, verdict.summary())
    assert instruction in asm.splitlines()[verdict.line - 1], verdict.line


def test_a_system_call_hidden_inside_another_instruction_is_caught_when_run():
    """x86 code can jump into the middle of an instruction: the bytes of `movabs` hold `syscall; ret`,
    which no static reading of the lines shows. Unicorn ignores syscall unless hooked."""
    asm = before_return(gcc_asm("x86-64"), "x86-64", ["pushq %rax", "pushq %rcx", "pushq %r11",
                                                      "call .Lhide+2", "popq %r11", "popq %rcx", "popq %rax"])
    asm += "\t.text\n.Lhide:\n\tmovabsq $0xc3050f, %rax\n\tret\n"
    verdict = checker(GCD, "x86-64").check(asm)
    assert verdict.category == "control.forbidden_instruction", verdict.summary()
    assert "syscall" in verdict.message


# -- wrong code that zeroed memory or one seed hid ---------------------------------------------------
COPY = """// ncc: string(s) out(out) len(out)=64 range(n)=0..63
void copy(const char *s, char *out, int n) { int i = 0; while (i < n && s[i]) { out[i] = s[i]; i++; } out[i] = 0; }
"""
COPY_NO_NUL = COPY.replace("out[i] = 0;", "")
COPY_NUL_LATE = COPY.replace("out[i] = 0;", "out[i + 1] = 0;")


@pytest.mark.parametrize("wrong", [COPY_NO_NUL, COPY_NUL_LATE], ids=["NUL never written", "NUL one byte late"])
def test_a_string_terminator_not_written_is_caught(arch, wrong):
    verdict = checker(COPY, arch).check(gcc_asm(arch, wrong.replace("copy(", "copy(", 1)))
    assert verdict.category == "semantic.wrong_output", verdict.summary()
    assert "0xa5" in verdict.message  # only the poisoned run shows it


DEPOSIT = """int deposit(int balance, int amount, int limit) {
    if (amount <= 0) return balance;
    if (balance + amount <= limit) return balance + amount;
    return balance;
}
"""


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_comparison_off_by_one_is_caught_with_every_seed(arch, seed):
    """`<=` -> `<` (the jle -> jl mutant): it differs only where balance + amount == limit."""
    mutant = gcc_asm(arch, DEPOSIT.replace("balance + amount <= limit", "balance + amount < limit"))
    verdict = checker(DEPOSIT, arch, seed=seed).check(mutant)
    assert verdict.category == "semantic.wrong_output", verdict.summary()


# -- budgets ----------------------------------------------------------------------------------------
def test_a_huge_zero_is_refused_before_the_assembler_runs(arch):
    start = time.perf_counter()
    verdict = checker(GCD, arch).check(with_extra(gcc_asm(arch), "\t.bss\n\t.zero 10000000000\n"))
    assert verdict.category == "asm.forbidden" and "limit" in verdict.message
    assert time.perf_counter() - start < 30


def test_alignment_padding_counts_against_the_budget(arch):
    """Each `.p2align 12` may add a page of padding: enough of them are as large as a huge `.zero`."""
    pages = "\t.section .rodata\n" + "\t.p2align 12\n\t.byte 1\n" * 9000
    verdict = checker(GCD, arch).check(with_extra(gcc_asm(arch), pages))
    assert verdict.category == "asm.forbidden" and "limit" in verdict.message, verdict.summary()


def test_a_common_symbol_without_a_size_is_refused(arch):
    verdict = checker(GCD, arch).check(with_extra(gcc_asm(arch), "\t.bss\n\t.comm unsized"))
    assert verdict.category == "asm.forbidden" and ".comm" in verdict.message, verdict.summary()


def test_the_keystone_child_cannot_take_gigabytes(arch):
    """Past policy.py's size check (asked directly), keystone's child still has a memory limit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    code, error = _keystone(arch, ".zero 3000000000\n", 0x100000)
    assert code is None and error
    assert resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss < max(before, 2 << 20)  # KiB: 2 GiB


PRINTER = '#include <stdio.h>\nint say(int x) { printf("%d\\n", x); return x; }\n'


def test_a_printf_of_absurd_width_is_a_verdict(arch):
    asm = gcc_asm(arch, PRINTER.replace('"%d\\n"', '"%1500000000d\\n"'))
    start = time.perf_counter()
    verdict = checker(PRINTER, arch).check(asm)
    assert verdict.category == "control.timeout" and "printf field" in verdict.message, verdict.summary()
    assert time.perf_counter() - start < 30
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss < 2 << 20  # KiB: 2 GiB


def test_a_huge_c_file_is_refused_with_one_line(tmp_path):
    big = tmp_path / "big.c"
    big.write_text("int f(int x) { return x; }\n" +
                   "".join(f"int g{i}(int x) {{ return x + {i}; }}\n" for i in range(200_000)))  # 6 MB
    asm = tmp_path / "f.s"
    asm.write_text(gcc_asm("x86-64", "int f(int x) { return x; }\n"))
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", "verify", str(big), str(asm),
                           "--function", "f"], capture_output=True, text=True)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "big.c" in proc.stderr, proc.stderr
    assert time.perf_counter() - start < 30


# -- faults the verifier used to misread -----------------------------------------------------------
DIVIDE = "int dv(int a, int b) { return a / b; }\n"


def test_a_reused_machine_reports_the_same_fault_every_time():
    c = Checker(DIVIDE, "x86-64", "O0", random_inputs=0, examples=0)
    call = c.marshaller.lay_out({"a": 7, "b": 0})
    kinds = [c.run(c.reference, call).fault.kind for _ in range(4)]
    assert kinds == ["divide_error"] * 4
    assert c.run(c.reference, c.marshaller.lay_out({"a": 7, "b": 1})).results.int0 == 7


def test_a_reference_fault_is_never_discarded_as_a_timeout():
    """gcc's own code divides by zero on some inputs: those are reference faults, every one of them (a
    reused machine used to turn the second into a double fault and the third into a timeout)."""
    c = Checker(DIVIDE, "x86-64", "O0", random_inputs=400, examples=0)
    assert c.discarded.get("reference-fault", 0) > 2 and "reference-timeout" not in c.discarded
    assert c.check(c.reference_asm).category == "pass"


ADD = "int add(int a, int b) { return a + b; }\n"


def test_a_wrong_value_equal_to_the_first_argument_is_a_wrong_output(arch):
    """AArch64 enters with x0 holding `a`: code that computes `a` wrote x0; it is not return_unset."""
    verdict = checker(ADD, arch).check(gcc_asm(arch, ADD.replace("a + b", "a")))
    assert verdict.category == "semantic.wrong_output", verdict.summary()


def test_a_return_register_never_written_is_return_unset(arch):
    asm = gcc_asm(arch, ADD)
    start = asm.index("add:\n")
    candidate = asm[:start] + "add:\n\tret\n" + asm[asm.index("\t.size", start):]
    verdict = checker(ADD, arch).check(candidate)
    assert verdict.category == "register.return_unset", verdict.summary()


SUM = """// ncc: len(a)=n range(n)=0..16
int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i]; return s; }
"""


def test_a_stack_slot_nobody_wrote_is_an_uninitialized_memory_read(arch):
    asm = gcc_asm(arch, SUM)
    init = "\tmovl\t$0, -4(%rbp)\n" if arch == "x86-64" else "\tstr\twzr, [sp, 28]\n"
    assert asm.count(init) >= 1
    verdict = checker(SUM, arch).check(asm.replace(init, "", 1))
    assert verdict.category == "memory.uninitialized_read", verdict.summary()
    assert "register" not in verdict.message


def test_gcc_constant_aliases_are_runnable(arch):
    """gcc -O2 writes `.set .LC2,.LC0+8` for a constant equal to part of another: a definition."""
    source = ("double f(double x, int k) { double a[4] = {1.0, 2.0, 3.0, 4.0}; double b[4] = {1.0, 2.0, 3.0, 4.0};"
              " return x * a[k & 3] + b[(k >> 2) & 3] + 2.0; }\n")
    c = checker(source, arch, "O2")
    assert ".set" in c.reference_asm or arch == "aarch64"
    assert c.unsupported is None and c.check(c.reference_asm).category == "pass"
