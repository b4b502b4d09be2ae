"""Turn gcc-style assembly text into what keystone assembles correctly (see shared/notes/verifier-facts.md).

keystone crashes or silently mis-assembles on several things gcc writes, so every line is sorted here:
section switches become four lists (text, rodata, data, bss) assembled as one blob with page-aligned
parts; bookkeeping directives are dropped; `.comm` becomes a label and zeros; `@PLT` goes; GOT loads of
a symbol become loads from a small table we add. Symbols are checked here, because keystone's
"symbol missing" error does not say which.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field


from neuralcc.cbase.toolchain import ARCHES

from . import policy
from .policy import directive_kind


_LABEL = re.compile(r"^([A-Za-z_.$][\w.$]*|\d+):")
_IDENT = re.compile(r"(?<![\w.$%#:])([A-Za-z_.$][\w.$]*)")
_AARCH64_REGISTER = re.compile(
    r"^(?:[xwbhsdqv]\d+|[xw]zr|w?sp|lr|fp|ip[01]|v\d+\.\w+|nzcv|fpcr|fpsr|"
    r"eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al|nv|"
    r"lsl|lsr|asr|ror|msl|[su]xt[bhwx]|mul|vl)$", re.I)

_X86_PREFIXES = {"rep", "repe", "repz", "repne", "repnz", "lock", "notrack", "data16", "addr32"}

# Mnemonics whose operands may name a code or data symbol.
_AARCH64_SYMBOL_OPS = re.compile(r"^(b|bl|b\.?(eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al|nv)|cbn?z|tbn?z|"
                                 r"adrp?|ldr\w*|ldrsw|prfm)$")


class AsmError(Exception):
    """An assembly problem with its verdict category, line number and text."""

    def __init__(self, category: str, message: str, line: int | None = None, text: str = "",
                 symbol: str | None = None):
        super().__init__(message)
        self.category, self.message, self.line, self.text, self.symbol = category, message, line, text, symbol


@dataclass
class Line:
    number: int  # 1-based line in the original text
    text: str  # the prepared statement


@dataclass
class PreparedAsm:
    arch: str
    text: list[Line] = field(default_factory=list)
    rodata: list[Line] = field(default_factory=list)
    data: list[Line] = field(default_factory=list)
    bss: list[Line] = field(default_factory=list)
    labels: dict[str, int] = field(default_factory=dict)  # defined label -> line
    references: dict[str, int] = field(default_factory=dict)  # symbol used -> first line using it
    externals: list[str] = field(default_factory=list)  # symbols resolved by libc stubs
    got: list[str] = field(default_factory=list)  # symbols loaded through the GOT
    source_lines: list[str] = field(default_factory=list)  # the original text, for diagnostics


def _strip_comment(line: str, arch: str) -> str:
    out, quote, i = [], False, 0
    while i < len(line):
        c = line[i]
        if quote:
            out.append(c)
            if c == "\\" and i + 1 < len(line):
                out.append(line[i + 1])
                i += 1
            elif c == '"':
                quote = False
        elif c == '"':
            quote = True
            out.append(c)
        elif line.startswith("/*", i):
            end = line.find("*/", i + 2)
            i = len(line) if end < 0 else end + 2
            continue
        elif line.startswith("//", i) or (arch == "x86-64" and c == "#"):
            break
        else:
            out.append(c)
        i += 1
    return "".join(out).strip()


def split_statements(line: str) -> list[str]:
    """`label: insn` -> ['label:', 'insn']; also splits on ';' outside strings (GNU as separator)."""
    parts, current, quote = [], [], False
    for c in line:
        if c == '"':
            quote = not quote
        if c == ";" and not quote:
            parts.append("".join(current))
            current = []
        else:
            current.append(c)
    parts.append("".join(current))
    out = []
    for part in parts:
        part = part.strip()
        while part:
            m = _LABEL.match(part)
            if not m or part.startswith(('"',)):
                out.append(part)
                break
            out.append(m.group(0))
            part = part[m.end():].strip()
    return out


def prepare(text: str, arch: str) -> PreparedAsm:
    """Sort the statements into the image's parts. What policy.py does not accept (a section, a
    directive, a size) is an AsmError of category asm.forbidden naming its line."""
    if arch not in ARCHES:
        raise ValueError(f"unknown arch {arch!r}")
    if "\0" in text:
        raise AsmError("asm.syntax", "assembly contains NUL bytes: not a text file", 1, "")
    if len(text) > policy.MAX_SOURCE_BYTES:
        raise AsmError(policy.FORBIDDEN, f"the assembly has {len(text)} bytes, more than the verifier's "
                       f"limit of {policy.MAX_SOURCE_BYTES}", None, "")
    prep = PreparedAsm(arch, source_lines=text.splitlines())
    budget = _SizeBudget()
    section = previous = "text"
    stack: list[str] = []
    for number, raw in enumerate(prep.source_lines, 1):
        for stmt in split_statements(_strip_comment(raw, arch)):
            if not stmt:
                continue
            word = stmt.split(None, 1)[0]
            args = stmt[len(word):].strip()
            lower = word.lower()
            is_directive = lower.startswith(".") and not lower.endswith(":")
            kind = directive_kind(lower) if is_directive else None
            if is_directive and kind is None:
                raise AsmError(policy.FORBIDDEN, f"directive '{word}' is not one the verifier accepts",
                               number, raw.strip())
            if kind == "section":
                if lower in (".text", ".data", ".bss") and args:
                    raise AsmError(policy.FORBIDDEN, f"subsections ({stmt}) are not accepted", number, raw.strip())
                if lower == ".pushsection":
                    stack.append(section)
                if lower == ".popsection":
                    section = stack.pop() if stack else "text"
                elif lower == ".previous":  # GNU as: back to the section before the last switch
                    section, previous = previous, section
                    continue
                elif lower in (".text", ".data", ".bss"):
                    previous, section = section, lower[1:]
                else:
                    name = args.split(",")[0].strip().strip('"')
                    previous, section = section, policy.section_part(name)
                    if section is None:
                        raise AsmError(policy.FORBIDDEN, f"section '{name}' is not one the verifier accepts "
                                       "(it would be linked without being run)", number, raw.strip())
                continue
            if kind == "bookkeeping":
                continue
            if section == "empty":
                raise AsmError(policy.FORBIDDEN, "contents in a section that must stay empty", number,
                               raw.strip())
            _check_literals(stmt, number)
            if kind == "set":
                m = _SET.fullmatch(stmt)
                if not m or m.group(2) == "." and int(m.group(3) or 0):
                    raise AsmError(policy.FORBIDDEN, "only `.set NAME, .` and `.set NAME, SYMBOL+N` are accepted "
                                   "(a label, an alias)", number, raw.strip())
                if m.group(2) != ".":  # gcc -O2 aliases equal constants: `.set .LC2,.LC0+8`
                    _define(prep, m.group(1), number, raw)
                    prep.references.setdefault(m.group(2), number)
                    _target(prep, section).append(Line(number, stmt))
                    continue
                word = stmt = m.group(1) + ":"  # `.set X, .` is a label in disguise
            if word.endswith(":") and stmt == word:
                _define(prep, word[:-1], number, raw)
                _target(prep, section).append(Line(number, stmt))
                continue
            if kind == "data" and section == "text":
                raise AsmError(policy.FORBIDDEN, f"data ({word}) in a code section: the verifier reads only "
                               "instructions there", number, raw.strip())
            budget.take(lower, args, number, raw)
            if kind == "comm":
                _comm(prep, args, number, raw)
                continue
            stmt = _rewrite(stmt, word, args, arch, prep, number)
            if stmt.startswith(".p2align"):
                budget.add(1 << _alignment(stmt, number, raw), number, raw)  # at most that much padding
            if stmt:
                _target(prep, section).append(Line(number, stmt))
                _note_references(prep, stmt, arch, number)
    return prep


# `.set NAME, .` (a label) or `.set NAME, SYMBOL[+N]` (an alias)
_SET = re.compile(r"\.(?:set|equ)\s+([A-Za-z_.$][\w.$]*)\s*,\s*(\.|[A-Za-z_.$][\w.$]*)(?:\s*\+\s*(\d+))?", re.I)


def _define(prep: PreparedAsm, name: str, number: int, raw: str) -> None:
    if name in prep.labels:
        raise AsmError("symbol.duplicate", f"label '{name}' is defined twice "
                       f"(lines {prep.labels[name]} and {number})", number, raw.strip(), name)
    prep.labels[name] = number


def _alignment(stmt: str, number: int, raw: str) -> int:
    """The log2 of a `.p2align`, which must be a plain number of at most MAX_ALIGN_LOG2."""
    log2 = policy.literal_size(stmt[len(".p2align"):])
    if log2 is None or log2 > policy.MAX_ALIGN_LOG2:
        raise AsmError(policy.FORBIDDEN, f"alignment must be a plain number of at most 2**{policy.MAX_ALIGN_LOG2} "
                       "bytes", number, raw.strip())
    return log2


class _SizeBudget:
    """The bytes an image will take, counted before keystone is asked to make them: `.zero 10000000000`
    would take keystone gigabytes of memory and a minute."""

    def __init__(self):
        self.total = 0

    def take(self, word: str, args: str, number: int, raw: str) -> None:
        """A statement's bytes, before it is rewritten."""
        if word in (".zero", ".skip", ".space", ".comm", ".lcomm"):
            operands, index = args.split(","), 1 if word in (".comm", ".lcomm") else 0  # .comm NAME, SIZE
            size = policy.literal_size(operands[index]) if len(operands) > index else None
            if size is None:
                raise AsmError(policy.FORBIDDEN, f"the size of {word} must be a plain number", number, raw.strip())
        elif word in (".p2align", ".align", ".balign"):
            size = 0  # added once written as .p2align (what .align means depends on the arch)
        else:
            size = 16  # an instruction or a data directive's share (a string: its length)
            if word in (".ascii", ".asciz", ".string"):
                size = len(args)
        self.add(size, number, raw)

    def add(self, size: int, number: int, raw: str) -> None:
        self.total += size
        if self.total > policy.MAX_IMAGE_BYTES:
            raise AsmError(policy.FORBIDDEN, f"the image would exceed the verifier's limit of "
                           f"{policy.MAX_IMAGE_BYTES >> 20} MiB", number, raw.strip())


def _target(prep: PreparedAsm, section: str) -> list[Line]:
    return getattr(prep, section)


def _comm(prep: PreparedAsm, args: str, number: int, raw: str) -> None:
    parts = [p.strip() for p in args.split(",")]
    try:
        name, size = parts[0], int(parts[1], 0)
        align = int(parts[2], 0) if len(parts) > 2 else 8
    except (IndexError, ValueError):
        raise AsmError("asm.syntax", f"cannot read .comm '{args}'", number, raw.strip()) from None
    _define(prep, name, number, raw)
    prep.bss += [Line(number, f".p2align {max(align, 1).bit_length() - 1}"), Line(number, f"{name}:"),
                 Line(number, f".zero {max(size, 1)}")]


# A token that starts with a digit (`42`, `0x1f`, `0b101`, `0777`, `1f`, `123:`) or a float (`1.5`, `2e10`),
# scanned after identifiers, so the digits of `.L123` or `x0` are not numbers.
_TOKENS = re.compile(r"[A-Za-z_.][\w.$]*|(\d+(?:\.\d*)?[eE][+-]?\d+|\d+\.\d*)|(\d\w*)")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_MAX_DIGITS = {16: 16, 2: 64, 8: 22, 10: 20}  # more significant digits than these cannot fit in 64 bits


def _too_wide(token: str) -> bool:
    """Whether the integer at the start of `token` has a magnitude of 2**64 or more. Only the leading
    digits count: `1f` is a local label, `0x1fh` has a suffix keystone rejects on its own."""
    lower = token.lower()
    if lower.startswith("0x"):
        base, digits = 16, re.match(r"[0-9a-f]*", lower[2:]).group(0)
    elif re.match(r"0b[01]", lower):
        base, digits = 2, re.match(r"[01]*", lower[2:]).group(0)
    else:
        digits = re.match(r"\d*", lower).group(0)
        base = 8 if len(digits) > 1 and digits[0] == "0" and set(digits) <= set("01234567") else 10
    digits = digits.lstrip("0")
    # The digit count first: int() would refuse (or take long on) a number with thousands of digits.
    return len(digits) > _MAX_DIGITS[base] or (bool(digits) and int(digits, base) >= 1 << 64)


def _check_literals(stmt: str, number: int) -> None:
    """Every integer in a statement (a data directive's value, an immediate, a displacement, a numeric
    label) must fit in 64 bits, signed or unsigned (magnitude below 2**64): keystone never returns on a
    wider one (`.long 107483648364836483648364836`, seen in model output). Whether a value fits its
    directive or operand (`.byte 300`) is keystone's to say. Floats and strings are not integers here."""
    for m in _TOKENS.finditer(_STRING.sub('""', stmt)):
        if m.group(2) and _too_wide(m.group(2)):
            shown = m.group(2) if len(m.group(2)) <= 40 else m.group(2)[:37] + "..."
            raise AsmError("asm.syntax", f"the number {shown} does not fit in 64 bits", number, stmt)


def _first_int(args: str, stmt: str, number: int) -> int:
    """The directive's first operand as a number (`.align 8, 0x90`); text that is not one is an
    assembler error of the candidate, not a crash of the verifier."""
    try:
        return int(args.split(",")[0], 0)
    except ValueError:
        raise AsmError("asm.syntax", f"expected a number in '{stmt}'", number, stmt) from None


def _rewrite(stmt: str, word: str, args: str, arch: str, prep: PreparedAsm, number: int) -> str:
    lower = word.lower()
    if lower == ".p2align":
        return f".p2align {args.split(',')[0].strip()}"
    if lower == ".align":
        n = _first_int(args, stmt, number)
        # GNU as: .align is a power of two on AArch64 and a byte count on x86.
        return f".p2align {n if arch == 'aarch64' else max(n, 1).bit_length() - 1}"
    if lower == ".balign":
        n = _first_int(args, stmt, number)
        return f".p2align {max(n, 1).bit_length() - 1}"
    if lower in (".skip", ".space"):
        return f".zero {args}"
    if lower == ".value":
        return f".short {args}"
    if lower in (".xword", ".dword", ".8byte"):
        return f".quad {args}"
    if lower == ".4byte":
        return f".long {args}"
    if lower == ".2byte":
        return f".short {args}"
    if lower == ".string":
        return f".asciz {args}"
    if arch == "x86-64":
        stmt = stmt.replace("@PLT", "")
        m = re.search(r"([A-Za-z_.$][\w.$]*)@GOTPCREL\(%rip\)", stmt)
        if m:
            sym = m.group(1)
            if sym not in prep.got:
                prep.got.append(sym)
            stmt = stmt.replace(m.group(0), f".Lncc_got_{sym}(%rip)")
        if "@" in re.sub(r'"(?:[^"\\]|\\.)*"', '""', stmt):  # an `@` inside a string is a byte
            raise AsmError("asm.syntax", f"unsupported relocation in '{stmt}'", number, stmt)
    else:
        for kind in (":got:", ":got_lo12:"):
            m = re.search(re.escape(kind) + r"([A-Za-z_.$][\w.$]*)", stmt)
            if m:
                sym = m.group(1)
                if sym not in prep.got:
                    prep.got.append(sym)
                stmt = stmt.replace(m.group(0), (":lo12:" if kind == ":got_lo12:" else "") + f".Lncc_got_{sym}")
    return stmt


def _note_references(prep: PreparedAsm, stmt: str, arch: str, number: int) -> None:
    parts = stmt.split(None, 1)
    word, args = parts[0], (parts[1].strip() if len(parts) > 1 else "")
    if not args:
        return
    if word.startswith("."):
        if word.lower() in (".ascii", ".asciz", ".string", ".p2align", ".zero"):
            return
        operands = args  # a data directive: `.quad sym`, `.long .L3-.L4`
    elif arch == "x86-64":
        if word.lower() in _X86_PREFIXES:  # `rep stosq`: the mnemonic is the second word
            return
        operands = re.sub(r"%\w+", " ", args).replace("$", " ")
    else:
        for m in re.finditer(r":lo12:([A-Za-z_.$][\w.$]*)", args):
            prep.references.setdefault(m.group(1), number)
        if not _AARCH64_SYMBOL_OPS.match(word.lower()):
            return
        operands = re.sub(r":lo12:[A-Za-z_.$][\w.$]*", " ", args)
        operands = re.sub(r"#-?(0x[0-9a-fA-F]+|\d+)", " ", operands)
        operands = operands.lstrip("=")
    for m in _IDENT.finditer(operands):
        name = m.group(1)
        if arch == "aarch64" and _AARCH64_REGISTER.match(name):
            continue
        if name == "." or re.fullmatch(r"\d+[bf]", name):
            continue
        prep.references.setdefault(name, number)


_CALLS = re.compile(r"^(call\w?|jmp\w?|bl|b)\s+([A-Za-z_.$][\w.$]*)\s*$")


def resolve_symbols(prep: PreparedAsm, entry: str, served: set[str]) -> None:
    """Check every symbol the code uses; those served by the harness's libc become stubs."""
    if entry not in prep.labels:
        raise AsmError("symbol.missing_entry", f"entry function '{entry}' is not defined", None, "", entry)
    called = set()
    for lines in (prep.text,):
        for line in lines:
            m = _CALLS.match(line.text)
            if m:
                called.add(m.group(2))
    for name, number in prep.references.items():
        if name in prep.labels:
            continue
        text = prep.source_lines[number - 1].strip() if number <= len(prep.source_lines) else ""
        if name in served:
            if name not in prep.externals:
                prep.externals.append(name)
        elif name in called and not name.startswith(".L"):
            raise AsmError("symbol.unknown_external", f"call to '{name}', which is neither defined here "
                           "nor a library function the harness serves", number, text, name)
        else:
            raise AsmError("symbol.undefined", f"symbol '{name}' is used but never defined", number, text, name)
    for sym in prep.got:
        if sym not in prep.labels and sym not in prep.externals:
            raise AsmError("symbol.undefined", f"symbol '{sym}' (through the GOT) is never defined", None, "", sym)
