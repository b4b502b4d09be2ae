"""gcc builds the reference: the C source compiled to assembly for the target at an optimisation level.

The compile is the corpora's label compile (cbase/toolchain.py), so the verifier's reference and the
model's training targets are the same code.
"""
from __future__ import annotations


from neuralcc.cbase.toolchain import ARCHES, OPT_LEVELS, compile_command

from .errors import VerifierInputError
from .limits import check_source_size, run_tool


def gcc_command(arch: str, opt: str, extra: list[str] | None = None) -> list[str]:
    if arch not in ARCHES:
        raise VerifierInputError(f"unknown arch '{arch}' (use x86-64 or aarch64)")
    if opt not in OPT_LEVELS:
        raise VerifierInputError(f"unknown optimisation level '{opt}' (use one of {', '.join(OPT_LEVELS)})")
    return [*compile_command(arch, opt), *(extra or []), "-x", "c", "-", "-o", "-"]


def compile_to_asm(source: str, arch: str, opt: str, filename: str = "<source>",
                   extra: list[str] | None = None) -> str:
    check_source_size(source, filename)
    proc = run_tool(gcc_command(arch, opt, extra), f"{filename}: gcc ({arch}, -{opt})", input=source)
    if proc.returncode != 0:
        lines = [l for l in proc.stderr.splitlines() if "error" in l] or proc.stderr.splitlines() or ["failed"]
        raise VerifierInputError(f"{filename}: gcc ({arch}, -{opt}) failed: {lines[0].replace('<stdin>', filename)}")
    return proc.stdout


def other_opt(opt: str) -> str:
    """The second reference that exposes undefined behaviour: -O2 for -O0, else -O0."""
    return "O2" if opt == "O0" else "O0"
