"""The one place that says how gcc builds a label. The verifier builds its reference the same way."""
from __future__ import annotations

ARCHES = ("x86-64", "aarch64")
OPT_LEVELS = ("O0", "O1", "O2", "Os")

COMPILERS = {"x86-64": "gcc", "aarch64": "aarch64-linux-gnu-gcc"}
ASSEMBLERS = {"x86-64": "as", "aarch64": "aarch64-linux-gnu-as"}

COMMON_FLAGS = [
    "-fno-asynchronous-unwind-tables",
    "-fno-stack-protector",
    "-fno-ipa-icf",
    "-fno-inline-functions-called-once",
]
ARCH_FLAGS = {
    "x86-64": ["-fcf-protection=none"],
    "aarch64": ["-mno-outline-atomics"],
}


def check_target(arch: str, opt: str) -> None:
    if arch not in COMPILERS:
        raise ValueError(f"unknown arch {arch!r}; expected one of {', '.join(ARCHES)}")
    if opt not in OPT_LEVELS:
        raise ValueError(f"unknown opt level {opt!r}; expected one of {', '.join(OPT_LEVELS)}")


def gcc_command(arch: str, opt: str) -> list[str]:
    """The label compile: `gcc_command(arch, opt) + ["-S", src, "-o", out]`."""
    check_target(arch, opt)
    return [COMPILERS[arch], "-S", f"-{opt}", *COMMON_FLAGS, *ARCH_FLAGS[arch]]


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
