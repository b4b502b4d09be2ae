"""The cc command line as ncc reads it.

ncc hands the whole command line to gcc first, untouched (less `--target=`, `@file`s expanded), so
diagnostics, exit codes, dependency files and links are gcc's own. What ncc needs to know on top is
read here: which C files it may translate, at which level, for which target, where each output goes,
and the flags that shape the C (to compile the verifier's reference the same way).
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field

from neuralcc.cbase.toolchain import COMPILERS, CPP_WITH_VALUE, CROSS_PREFIX, OPT_LEVELS

# Options whose value is the next argument when not joined (`-o out`, `-I dir`, `-MF x.d` ...).
TAKES_VALUE = {
    "-o", "-I", "-D", "-U", "-L", "-l", "-x", "-include", "-imacros", "-isystem", "-iquote", "-idirafter",
    "-iprefix", "-iwithprefix", "-isysroot", "-MF", "-MT", "-MQ", "-Xlinker", "-Xassembler", "-Xpreprocessor",
    "-u", "-T", "-z", "-e", "-aux-info", "--param", "-wrapper", "-B", "-target",
}
# The options that shape the code of a C unit; the verifier's reference is compiled with them too.
SHAPING_JOINED = ("-I", "-D", "-U", "-std=", "-ansi", "-f", "-m")
SHAPING_WITH_VALUE = ("-I", "-D", "-U") + CPP_WITH_VALUE
# Flags under which a unit's behaviour cannot be checked in the emulator: such units are left to gcc.
UNVERIFIABLE = ("-fsanitize", "-fprofile", "-fstack-protector", "-finstrument-functions", "-fcf-protection",
                "-pg", "--coverage", "-ftest-coverage", "-fopenmp", "-fexceptions", "-fasynchronous-unwind-tables",
                "-ffast-math", "-Ofast", "-fsplit-stack", "-fharden",
                "-flto")  # the object holds gcc's intermediate code, compiled at the link: no machine code to check
SAFE_NEGATIONS = ("-fno-stack-protector", "-fcf-protection=none", "-fno-sanitize", "-fno-exceptions",
                  "-fno-asynchronous-unwind-tables", "-fno-fast-math", "-fno-lto")
SPACES = " \t\n\v\f\r"  # C's isspace, which separates a response file's words
RESPONSE_FILE_LIMIT = 2000  # gcc's: more @-files than this is an error (a file that names itself)
INFO_FLAGS = ("--version", "-v", "-###", "-dumpversion", "-dumpfullversion", "-dumpmachine", "-dumpspecs",
              "--help", "-print-")


class UsageError(Exception):
    """A command line ncc cannot make sense of (said as cc would, exit status 1)."""


@dataclass
class Command:
    gcc: list[str]  # the gcc command that does everything gcc would (compiler first)
    arch: str
    action: str  # "link", "object" (-c), "asm" (-S), "other" (-E, -M, --version, no input ...)
    opt: str = "O0"
    output: str | None = None
    sources: list[str] = field(default_factory=list)  # C files ncc translates, in command-line order
    objects: list[str] = field(default_factory=list)  # object files linked (ncc's own, if ncc made them)
    shaping: list[str] = field(default_factory=list)  # flags for the reference compile
    unverifiable: list[str] = field(default_factory=list)  # why ncc leaves every unit to gcc
    help: bool = False

    def output_for(self, source: str) -> str:
        """Where gcc writes the -c / -S output for `source`."""
        if self.output and len(self.sources) == 1:
            return self.output
        stem = os.path.splitext(os.path.basename(source))[0]
        return stem + (".o" if self.action == "object" else ".s")


def parse(argv: list[str], prog: str = "ncc") -> Command:
    argv = expand_response_files(argv)
    arch = "aarch64" if os.path.basename(prog).startswith(CROSS_PREFIX) else "x86-64"
    if argv == ["--help"] or argv == ["-h"]:
        return Command([], arch, "other", help=True)
    args: list[str] = []
    action, opt, output = "link", "O0", None
    sources: list[str] = []
    objects: list[str] = []
    shaping: list[str] = []
    unverifiable: list[str] = []
    language_set = False
    info = False
    i = 0
    while i < len(argv):
        a = argv[i]
        value = argv[i + 1] if a in TAKES_VALUE and i + 1 < len(argv) else None
        i += 2 if value is not None else 1
        if a.startswith("--target=") or a == "-target":
            target = a.split("=", 1)[1] if "=" in a else value or ""
            arch = _target_arch(target)
            continue
        args += [a] if value is None else [a, value]
        if a == "-c":
            action = "object" if action == "link" else action
        elif a == "-S":
            action = "asm" if action != "other" else action
        elif a in ("-E", "-M", "-MM", "-fsyntax-only") or a.startswith(INFO_FLAGS):
            action = "other"
            info = info or a.startswith(INFO_FLAGS)
        elif a == "-o":
            output = value
        elif a.startswith("-o") and len(a) > 2:
            output = a[2:]
        elif a == "-x":
            language_set = True
        elif a.startswith("-O"):
            level = a[1:] or "O1"
            opt = level if level in OPT_LEVELS else opt
            if level not in OPT_LEVELS:
                unverifiable.append(f"{a} (ncc verifies -O0, -O1, -O2, -O3 and -Os)")
        elif a in SHAPING_WITH_VALUE and value is not None:
            shaping += [a, value]
        elif a.startswith(SHAPING_JOINED):
            if a.startswith(UNVERIFIABLE) and not a.startswith(SAFE_NEGATIONS):
                unverifiable.append(a)
            else:
                shaping.append(a)
        elif a in ("-pg", "--coverage"):
            unverifiable.append(a)
        elif not a.startswith("-") and value is None and a.endswith(".c") and not language_set:
            sources.append(a)
        elif not a.startswith("-") and value is None and a.endswith(".o"):
            objects.append(a)
    if language_set and sources:
        unverifiable.append("-x (ncc translates only .c files named as such)")
    if output == "-" and sources:
        unverifiable.append("-o - (output to stdout)")
    if info or not any(not a.startswith("-") for a in argv):
        action = "other"
    if action in ("object", "asm") and output and len(sources) > 1:
        raise UsageError("cannot specify '-o' with '-c', '-S' or '-E' with multiple files")
    return Command([COMPILERS[arch], *args], arch, action, opt, output, sources, objects, shaping, unverifiable)


def expand_response_files(argv: list[str]) -> list[str]:
    """Each `@file` replaced by the options the file holds, as gcc (libiberty's expandargv) does: the
    file's words, in it and in the files it names in turn; an `@file` that cannot be read stays as it is.
    gcc is then given the expanded line, so that ncc and gcc read one and the same command."""
    out = list(argv)
    i, budget = 0, RESPONSE_FILE_LIMIT
    while i < len(out):
        name = out[i][1:]
        if not out[i].startswith("@"):
            i += 1
            continue
        budget -= 1
        if budget == 0:
            raise UsageError("too many @-files encountered")
        if not os.path.exists(name):
            i += 1
            continue
        if os.path.isdir(name):
            raise UsageError("@-file refers to a directory")
        try:
            with open(name, newline="", errors="surrogateescape") as fh:
                words = split_response_file(fh.read().split("\0", 1)[0])  # read as a C string
        except OSError:
            i += 1
            continue
        out[i:i + 1] = words  # and read again from i: the file may name other files
    return out


def split_response_file(text: str) -> list[str]:
    """buildargv: words separated by whitespace; '...' and "..." quote (the quotes are dropped), a
    backslash takes the next character as it is, inside quotes too. '' is an empty word."""
    words: list[str] = []
    word: list[str] | None = None  # None between words
    quote, escaped = "", False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
            word = word if word is not None else []
            continue
        elif quote:
            if ch == quote:
                quote = ""
                continue
        elif ch in SPACES:
            if word is not None:
                words.append("".join(word))
                word = None
            continue
        elif ch in "'\"":
            quote = ch
            word = word if word is not None else []
            continue
        word = word if word is not None else []
        word.append(ch)
    if word is not None:
        words.append("".join(word))
    return words


def _target_arch(target: str) -> str:
    if target.startswith(("aarch64-linux", "aarch64-unknown-linux", "arm64-linux")):
        return "aarch64"
    if target.startswith(("x86_64-linux", "x86_64-pc-linux", "x86_64-unknown-linux")):
        return "x86-64"
    raise UsageError(f"unsupported target '{target}' (ncc targets x86_64-linux-gnu and aarch64-linux-gnu)")
