"""A corpus's own test program (a `main` of asserts), built by gcc and linked with the candidate.

gcc compiles the function's source together with the test's `main` (at -O0, no inlining); every symbol
the candidate defines is then cut out of gcc's assembly and the candidate's assembly put in its place
(its local labels renamed so they cannot clash). `main` runs in unicorn like any other function.
"""
from __future__ import annotations

from .asmprep import AsmError
from .memorymap import STACK_TOP
from .marshal import Marshalled
from .reference import compile_to_asm
from .splice import cut_symbols, defined_symbols, rename_locals
from .errors import VerifierInputError
from .verdict import Verdict

TEST_BUDGET = 50_000_000


def run_test(checker, candidate_asm: str) -> Verdict:
    arch = checker.arch

    def verdict(category: str, message: str, **kw) -> Verdict:
        return Verdict(category, message, "main", arch, checker.opt, **kw)

    try:
        gcc_asm = compile_to_asm(checker.source + "\n" + checker.test_source, arch, "O0",
                                 f"{checker.filename} + test", extra=checker.cflags)
    except VerifierInputError as err:
        return verdict("unsupported", f"the test program does not build: {err}")
    cand_defs = defined_symbols(candidate_asm, arch)
    combined = cut_symbols(gcc_asm, cand_defs, arch) + rename_locals(candidate_asm, "cand_")
    try:
        program = checker.build(combined, entry="main")
    except AsmError as err:
        return verdict(err.category, err.message, line=err.line, text=err.text, symbol=err.symbol)
    call = Marshalled(ints=[], floats=[], stack=[], writes=[], regions=[])
    run = checker.run(program, call, budget=TEST_BUDGET)
    if run.fault is not None:
        if run.fault.kind == "libc" and run.fault.access == "assert":
            return verdict("semantic.wrong_output", run.fault.message)
        failure = checker.classify_fault(program, run.fault)
        d = failure.details
        return verdict(failure.category, failure.message, pc=d.get("pc"), address=d.get("address"),
                       instruction=d.get("instruction"))
    status = run.results.int0 & 0xFFFFFFFF
    if run.results.sp != STACK_TOP:
        return verdict("register.stack_pointer", "main returned with the stack pointer moved")
    if status != 0:
        return verdict("semantic.wrong_output", f"the test program exited with status {status}")
    return verdict("pass", "the test program's asserts all held")
