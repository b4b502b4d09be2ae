"""How gcc is run, for every part of neuralcc: the targets, the compilers, the flags that make a reference
or a training label, and the flags the preprocessor reads.

The verifier's reference (verifier/reference.py) and the corpora's labels (corpora/gcc.py) are the same
compile: `compile_command(arch, opt)` plus what each adds (its input and output, line info for labels).
"""
from __future__ import annotations

ARCHES = ("x86-64", "aarch64")
OPT_LEVELS = ("O0", "O1", "O2", "O3", "Os")  # what the verifier and ncc check
CROSS_PREFIX = "aarch64-linux-gnu-"
COMPILERS = {"x86-64": "gcc", "aarch64": f"{CROSS_PREFIX}gcc"}
ASSEMBLERS = {"x86-64": "as", "aarch64": f"{CROSS_PREFIX}as"}
BINUTILS = {"x86-64": ("as", "ld", "objcopy"),
            "aarch64": tuple(f"{CROSS_PREFIX}{tool}" for tool in ("as", "ld", "objcopy"))}

# Every reference and label: no unwind tables or stack protector (code the C does not ask for), no
# identical-code folding or inlining of static functions called once (each function keeps its own body).
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


def char_signed(arch: str) -> bool:
    """Plain `char` is signed on x86-64 and unsigned on AArch64 (both Linux ABIs)."""
    return arch == "x86-64"


def compile_command(arch: str, opt: str) -> list[str]:
    """gcc at `opt` for `arch`, to assembly: add the input, the output and any extra flags."""
    return [COMPILERS[arch], "-S", f"-{opt}", *COMMON_FLAGS, *ARCH_FLAGS[arch]]


# The flags of a compile command that the preprocessor reads (the rest shape code, not the text).
CPP_JOINED = ("-I", "-D", "-U", "-std=")
CPP_WITH_VALUE = ("-include", "-imacros", "-isystem", "-iquote", "-idirafter")


def cpp_flags(cflags: list[str]) -> list[str]:
    out, it = [], iter(cflags)
    for flag in it:
        if flag in CPP_WITH_VALUE:
            out += [flag, next(it, "")]
        elif flag.startswith(CPP_JOINED + CPP_WITH_VALUE):
            out.append(flag)
    return out


# pycparser cannot read GNU extensions in glibc's headers; these defines erase them (see shared notes).
PYCPARSER_DEFINES = [
    "-D__attribute__(x)=", "-D__extension__=", "-D__restrict=", "-D__restrict__=", "-D__asm__(x)=",
    "-D__builtin_va_list=void*", "-D_Float128=double", "-D__inline=", "-D__inline__=",
    "-D__builtin_offsetof(t,m)=0", "-D__typeof__(x)=int", "-D__float128=double",
    "-D__signed__=signed", "-D__const=const", "-D__volatile__=volatile",
]
