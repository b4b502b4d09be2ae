"""A corpus's own test program (a `main` of asserts), built by gcc and linked with the candidate.

gcc compiles the function's source together with the test's `main` (at -O0, no inlining); every symbol
the candidate defines is then cut out of gcc's assembly and the candidate's assembly put in its place
(its local labels renamed so they cannot clash). `main` runs in unicorn like any other function.
"""
from __future__ import annotations

import re

from .asmprep import AsmError, _strip_comment, split_statements
from .layout import STACK_TOP
from .marshal import Marshalled
from .reference import compile_to_asm
from .errors import VerifierInputError
from .verdict import Verdict

TEST_BUDGET = 50_000_000


def defined_symbols(asm: str, arch: str) -> set[str]:
    names = set()
    for raw in asm.splitlines():
        for stmt in split_statements(_strip_comment(raw, arch)):
            if stmt.endswith(":") and " " not in stmt and not stmt.startswith(".L"):
                names.add(stmt[:-1])
    return names


def cut_symbols(asm: str, names: set[str], arch: str) -> str:
    """Remove each named function or object (from its label to its `.size`) from gcc's assembly."""
    out, skipping = [], None
    for raw in asm.splitlines():
        stmt = _strip_comment(raw, arch)
        if skipping is None:
            label = stmt[:-1] if stmt.endswith(":") and " " not in stmt else None
            if label in names:
                skipping = label
                continue
            out.append(raw)
        elif re.match(rf"\.size\s+{re.escape(skipping)}\s*,", stmt):
            skipping = None
    return "\n".join(out) + "\n"


def rename_locals(asm: str, prefix: str) -> str:
    return re.sub(r"(?<![\w.$])\.L(\w+)", lambda m: f".L{prefix}{m.group(1)}", asm)


def run_test(checker, candidate_asm: str) -> Verdict:
    arch = checker.arch

    def verdict(category: str, message: str, **kw) -> Verdict:
        return Verdict(category, message, "main", arch, checker.opt, **kw)

    try:
        gcc_asm = compile_to_asm(checker.source + "\n" + checker.test_source, arch, "O0",
                                 f"{checker.filename} + test")
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
