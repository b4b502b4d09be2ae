"""How gcc builds a label: the compile of cbase/toolchain.py (the verifier's reference too), with line
information and LABEL_FLAGS."""
from __future__ import annotations

from neuralcc.cbase.toolchain import ARCHES, ASSEMBLERS, COMPILERS, compile_command

__all__ = ["ARCHES", "ASSEMBLERS", "COMPILERS", "LABEL_FLAGS", "OPT_LEVELS", "check_target", "gcc_command",
           "gcc_command_with_lines", "warning_command"]

OPT_LEVELS = ("O0", "O1", "O2", "Os")  # the levels labels are made at (the model's <O..> tokens)


def check_target(arch: str, opt: str) -> None:
    if arch not in COMPILERS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHES)}")
    if opt not in OPT_LEVELS:
        raise ValueError(f"unknown opt level {opt!r}; expected one of {', '.join(OPT_LEVELS)}")


def gcc_command(arch: str, opt: str) -> list[str]:
    """The label compile: `gcc_command(arch, opt) + ["-S", src, "-o", out]`."""
    check_target(arch, opt)
    return compile_command(arch, opt)


# AArch64 at -O1 and above addresses globals through section anchors (`.LANCHOR0+off`) shared by
# every variable of the unit: a batched compile then cannot be split per function, and 17% of
# synthetic functions had to be compiled alone (45% of all labelling time). Labels use direct
# `adrp g` / `:lo12:g` addressing instead; the code is otherwise the same.
LABEL_FLAGS = {"x86-64": [], "aarch64": ["-fno-section-anchors"]}


def gcc_command_with_lines(arch: str, opt: str) -> list[str]:
    """The label compile: `gcc_command` plus `-g1`, so the output carries `.loc` line info, and
    `LABEL_FLAGS`.

    -g does not change the generated code (gcc guarantees it, -fcompare-debug checks it);
    the normaliser strips every debug directive and section afterwards.
    """
    return gcc_command(arch, opt) + LABEL_FLAGS[arch] + ["-g1"]


def warning_command(arch: str, opt: str = "O2") -> list[str]:
    """Compile-clean check used by tests and by the generator's self-check."""
    return gcc_command(arch, opt) + ["-Wall", "-Wextra", "-Werror"]
