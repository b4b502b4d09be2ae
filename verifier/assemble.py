"""Assemble prepared assembly with keystone into an Image: one blob, page-aligned parts, a symbol table.

keystone has no symbol table API, so the blob ends with a `.quad` for every label we want to know
(including a marker label before every instruction line, which maps addresses back to source lines).
AArch64 `adrp`/`:lo12:` operands are mis-encoded by keystone away from address 0, so AArch64 is
assembled twice: first with placeholders to learn the layout, then with numeric page/offset values.
keystone can abort the process on bad input, so it always runs in a forked child, and it can loop forever
on some input, so a child that has not answered within `KEYSTONE_SECONDS` is killed (asm.syntax).
keystone 0.9.2 never initialises its number radix: each engine is set to decimal before use (`_decimal_radix`).
"""
from __future__ import annotations

import faulthandler
import functools
import math
import os
import pickle
import platform
import re
import select
import signal
import time
from bisect import bisect_right
from dataclasses import dataclass, field

from . import policy
from .asmprep import AsmError, Line, PreparedAsm
from .limits import CHILD_MEMORY, limit_memory

PAGE = 0x1000
CODE_BASE = 0x100000
STUB_SIZE = 16
KEYSTONE_SECONDS = 20.0  # one keystone run; a normal blob takes milliseconds

_ADRP = re.compile(r"^(adrp\s+\w+\s*,\s*)#?([A-Za-z_.$][\w.$]*)\s*(?:([+-])\s*(\d+|0x[0-9a-fA-F]+))?\s*$", re.I)
_LO12 = re.compile(r"#?:lo12:([A-Za-z_.$][\w.$]*)\s*(?:([+-])\s*(\d+|0x[0-9a-fA-F]+))?")


@dataclass
class Image:
    arch: str
    base: int
    code: bytes
    parts: dict[str, tuple[int, int]]  # text/stubs/rodata/data/bss/symtab -> [start, end)
    symbols: dict[str, int]
    stubs: dict[int, str]  # stub address -> external name
    line_addresses: list[tuple[int, int]] = field(default_factory=list)  # sorted (address, source line)
    source_lines: list[str] = field(default_factory=list)

    def line_at(self, address: int) -> int | None:
        """Source line of the instruction at `address` (None outside the code)."""
        start, end = self.parts["text"]
        if not (start <= address < end) or not self.line_addresses:
            return None
        i = bisect_right(self.line_addresses, (address, 1 << 30)) - 1
        return self.line_addresses[i][1] if i >= 0 else None

    def symbol_at(self, address: int) -> str | None:
        best = None
        for name, addr in self.symbols.items():
            if addr <= address and (best is None or addr > self.symbols[best]) and not name.startswith(".L"):
                best = name
        return best


def _is_instruction(line: Line) -> bool:
    return not line.text.endswith(":") and not line.text.startswith(".")


def _marker(index: int) -> str:
    return f".Lncc_ln{index}"


def _blob(prep: PreparedAsm, symbols_wanted: list[str], lines: dict[str, list[Line]]) -> tuple[str, list[str]]:
    """Assembly text of the whole blob and the ordered names of its symbol table."""
    out: list[str] = [".att_syntax"] if prep.arch == "x86-64" else []
    markers: list[str] = []
    for i, line in enumerate(lines["text"]):
        if _is_instruction(line):
            m = _marker(i)
            markers.append(m)
            out.append(f"{m}:")
        out.append(line.text)
    # A never-called first stub catches execution falling off the end of the code.
    out += [".p2align 12", ".Lncc_stubs:", ".Lncc_fell_off:", f".zero {STUB_SIZE}"]
    for name in prep.externals:
        out += [f"{name}:", f".zero {STUB_SIZE}"]
    pads: list[str] = []
    out += [".p2align 12", ".Lncc_rodata:"] + _marked_padding(lines["rodata"], pads)
    for sym in prep.got:
        out += [".p2align 3", f".Lncc_got_{sym}:", f".quad {sym}"]
    out += [".p2align 12", ".Lncc_data:"] + _marked_padding(lines["data"], pads)
    out += [".p2align 12", ".Lncc_bss:"] + [l.text for l in lines["bss"]]
    out += [".p2align 12", ".Lncc_symtab:"]
    names = [".Lncc_stubs", ".Lncc_rodata", ".Lncc_data", ".Lncc_bss", ".Lncc_symtab"]
    names += symbols_wanted + markers + pads
    out += [f".quad {n}" for n in names]
    out += [".Lncc_end:", ".quad .Lncc_end"]
    return "\n".join(out) + "\n", names


def _marked_padding(lines: list[Line], pads: list[str]) -> list[str]:
    """Data lines with a label on each side of every alignment: keystone pads data with NOPs, GNU as
    with zeros, and the image must hold the bytes the built program holds (see `_zero_padding`)."""
    out = []
    for line in lines:
        if line.text.startswith(".p2align"):
            n = len(pads) // 2
            pads += [f".Lncc_pad{n}", f".Lncc_pad{n}_end"]
            out += [f".Lncc_pad{n}:", line.text, f".Lncc_pad{n}_end:"]
        else:
            out.append(line.text)
    return out


def _zero_padding(code: bytes, symbols: dict[str, int], base: int) -> bytes:
    out = bytearray(code)
    n = 0
    while f".Lncc_pad{n}" in symbols:
        start, end = symbols[f".Lncc_pad{n}"] - base, symbols[f".Lncc_pad{n}_end"] - base
        out[start:end] = bytes(end - start)
        n += 1
    return bytes(out)


def _keystone(arch: str, text: str, base: int,
              timeout: float = KEYSTONE_SECONDS) -> tuple[bytes | None, str | None]:
    """Run keystone in a forked child; returns (bytes, None) or (None, error message). A child that has
    not answered within `timeout` seconds is killed: keystone loops forever on some input."""
    field = _radix_field()  # found once per process; every forked child inherits it
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: whatever happens, it ends here
        try:
            faulthandler.disable()  # a crash is the parent's to report, as a verdict
            os.close(read_fd)
            _keystone_child(arch, text, base, write_fd, field)
        finally:
            os._exit(0)
    os.close(write_fd)
    answered = False
    try:
        payload, answered = _read_until_eof(read_fd, time.monotonic() + timeout)
    finally:
        os.close(read_fd)
        if not answered:  # out of time, or interrupted (KeyboardInterrupt): no child is left behind
            _kill(pid)
    if not answered:
        return None, f"keystone did not return within {timeout:g} s (killed)"
    status = _wait(pid)
    if not payload:
        sig = os.WTERMSIG(status) if os.WIFSIGNALED(status) else None
        name = signal.Signals(sig).name if sig else f"exit {os.WEXITSTATUS(status)}"
        return None, f"assembler crashed ({name})"
    return pickle.loads(payload)


def _keystone_child(arch: str, text: str, base: int, write_fd: int, radix_field: tuple[int, int] | None) -> None:
    from keystone import KS_ARCH_ARM64, KS_ARCH_X86, KS_MODE_64, KS_MODE_LITTLE_ENDIAN, Ks, KsError
    try:
        limit_memory(CHILD_MEMORY)
    except (OSError, ValueError):
        pass  # no /proc (not Linux): the size budget of asmprep still holds
    ks = Ks(KS_ARCH_X86, KS_MODE_64) if arch == "x86-64" else Ks(KS_ARCH_ARM64, KS_MODE_LITTLE_ENDIAN)
    try:
        _decimal_radix(ks, radix_field)
        encoding, _ = ks.asm(text, base)
        result = (bytes(encoding or b""), None)
    except (KsError, RadixError) as err:
        result = (None, str(err))
    except MemoryError:
        result = (None, f"the assembler needed more than {CHILD_MEMORY >> 20} MiB (killed)")
    with os.fdopen(write_fd, "wb") as f:  # blocks while the parent drains the pipe; closes write_fd
        f.write(pickle.dumps(result))


class RadixError(Exception):
    pass


@functools.cache
def _radix_field() -> tuple[int, int] | None:
    """Where keystone keeps the number radix: (offset of the MCAsmInfo pointer in the engine, offset of
    MCAsmInfo::Radix), read from ks_option's machine code, which starts by writing 16 there
    (`mov r8, [rdi + 0x90]; mov dword [r8 + 0x8c], 0x10` in the keystone-engine 0.9.2 wheel); None on a
    host whose keystone is not x86-64 code. Reading the code calls nothing in keystone."""
    import ctypes

    if platform.machine() not in ("x86_64", "AMD64"):
        return None

    from capstone import CS_ARCH_X86, CS_MODE_64, Cs
    from keystone import keystone as ks_module

    address = ctypes.cast(ks_module._ks.ks_option, ctypes.c_void_p).value
    holder = engine_offset = None
    for insn in Cs(CS_ARCH_X86, CS_MODE_64).disasm(ctypes.string_at(address, 48), address):
        m = re.fullmatch(r"(\w+), qword ptr \[rdi \+ (0x[0-9a-f]+)\]", insn.op_str)
        if insn.mnemonic == "mov" and m and holder is None:
            holder, engine_offset = m.group(1), int(m.group(2), 16)
            continue
        m = re.fullmatch(r"dword ptr \[(\w+) \+ (0x[0-9a-f]+)\], 0x10", insn.op_str)
        if insn.mnemonic == "mov" and m and m.group(1) == holder:
            return engine_offset, int(m.group(2), 16)
    return None


def _decimal_radix(ks, field: tuple[int, int] | None) -> None:
    """keystone 0.9.2 never initialises MCAsmInfo::Radix (keystone PRs 528, 608): each engine reads numbers
    in whatever radix the heap memory it got held, and when that happens to be 16, `.byte 10` is 0x10 and
    `.zero 16` is 22 bytes. A forked child inherits the parent's heap, so the same text
    assembled differently depending on what the parent had done before (gcc's own assembly came out
    'Literal value out of range', 'Unknown error' or an LLVM fatal error). Set it to 10, then check."""
    import ctypes

    if field is not None:
        engine_offset, radix_offset = field
        mai = ctypes.c_void_p.from_address(ks._ksh.value + engine_offset).value
        if mai:
            ctypes.c_uint32.from_address(mai + radix_offset).value = 10
    encoding, _ = ks.asm(".byte 10\n", 0)
    if bytes(encoding or b"") != b"\x0a":
        raise RadixError("keystone reads decimal numbers as hexadecimal (its radix is not initialised, "
                         "and this keystone build could not be set to decimal)")


def _read_until_eof(fd: int, deadline: float) -> tuple[bytes, bool]:
    """Everything written to the pipe until its writer closes it (the answer can be larger than the pipe's
    buffer, so this reads as it arrives), or (what came, False) at the deadline."""
    poller = select.poll()
    poller.register(fd, select.POLLIN | select.POLLHUP | select.POLLERR)
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return b"".join(chunks), False
        try:
            ready = poller.poll(max(1, math.ceil(remaining * 1000)))
        except InterruptedError:  # Python retries on EINTR itself; this is only belt and braces
            continue
        if not ready:
            continue  # the loop head decides whether time is up
        try:
            chunk = os.read(fd, 1 << 16)
        except InterruptedError:
            continue
        if not chunk:
            return b"".join(chunks), True
        chunks.append(chunk)


def _wait(pid: int) -> int:
    while True:
        try:
            return os.waitpid(pid, 0)[1]
        except InterruptedError:
            continue
        except ChildProcessError:  # already reaped
            return 0


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    _wait(pid)


def _numeric_aarch64(lines: list[Line], addresses: dict[str, int] | None) -> list[Line]:
    """Replace adrp/:lo12: symbol operands by numbers (zeros in the layout pass)."""
    def value(sym: str, sign: str | None, off: str | None) -> int:
        if addresses is None:
            return 0
        v = addresses[sym]
        if off:
            v = v + int(off, 0) if sign == "+" else v - int(off, 0)
        return v

    out = []
    for line in lines:
        text = line.text
        m = _ADRP.match(text)
        if m:
            text = f"{m.group(1)}#{value(m.group(2), m.group(3), m.group(4)) & ~0xfff:#x}"
        else:
            text = _LO12.sub(lambda mm: f"#{value(mm.group(1), mm.group(2), mm.group(3)) & 0xfff:#x}", text)
        out.append(Line(line.number, text))
    return out


def _sections(prep: PreparedAsm) -> dict[str, list[Line]]:
    return {"text": prep.text, "rodata": prep.rodata, "data": prep.data, "bss": prep.bss}


def _decode(code: bytes, names: list[str], base: int) -> dict[str, int]:
    """Read the symbol table back: `.quad` per name, then the address of the table's end."""
    end = len(code) - 8
    values = _quads(code, end - 8 * len(names), len(names))
    return dict(zip(names, values)) | {".Lncc_end": _quads(code, end, 1)[0]}


def _quads(code: bytes, offset: int, n: int) -> list[int]:
    return [int.from_bytes(code[offset + 8 * i: offset + 8 * i + 8], "little") for i in range(n)]


def _pass(prep: PreparedAsm, lines: dict[str, list[Line]], wanted: list[str], base: int,
          timeout: float) -> tuple[bytes, dict]:
    text, names = _blob(prep, wanted, lines)
    code, error = _keystone(prep.arch, text, base, timeout)
    if code is None or len(code) < 16:
        _raise_located(prep, lines, error, timeout)
    return code, _decode(code, names, base)


def assemble(prep: PreparedAsm, base: int = CODE_BASE, timeout: float = KEYSTONE_SECONDS) -> Image:
    """`timeout`: seconds for each keystone run (a line keystone never finishes costs two: the blob,
    then the line on its own while finding which line failed)."""
    wanted = list(prep.labels) + [f".Lncc_got_{s}" for s in prep.got] + prep.externals
    final_lines = _sections(prep)
    if prep.arch == "aarch64":
        _, layout = _pass(prep, {k: _numeric_aarch64(v, None) for k, v in final_lines.items()}, wanted, base,
                          timeout)
        final_lines = {k: _numeric_aarch64(v, layout) for k, v in final_lines.items()}
    code, symbols = _pass(prep, final_lines, wanted, base, timeout)
    code = _zero_padding(code, symbols, base)
    if prep.arch == "aarch64" and symbols != layout:
        raise AsmError("asm.syntax", "layout changed between the two AArch64 assembler passes")
    if symbols[".Lncc_end"] != base + len(code) - 8:
        raise AsmError("asm.syntax", "assembler output is inconsistent (symbol table not at the end)")
    parts = {
        "text": (base, symbols[".Lncc_stubs"]),
        "stubs": (symbols[".Lncc_stubs"], symbols[".Lncc_rodata"]),
        "rodata": (symbols[".Lncc_rodata"], symbols[".Lncc_data"]),
        "data": (symbols[".Lncc_data"], symbols[".Lncc_bss"]),
        "bss": (symbols[".Lncc_bss"], symbols[".Lncc_symtab"]),
        "symtab": (symbols[".Lncc_symtab"], base + len(code)),
    }
    line_addresses = []
    instruction_lines = [l for l in final_lines["text"] if _is_instruction(l)]
    addrs = [symbols[_marker(i)] for i, l in enumerate(final_lines["text"]) if _is_instruction(l)]
    text_end = parts["text"][1]
    for i, (line, addr) in enumerate(zip(instruction_lines, addrs)):
        nxt = addrs[i + 1] if i + 1 < len(addrs) else text_end
        if nxt <= addr:  # keystone sometimes emits nothing for a line it did not understand
            raise AsmError("asm.syntax", "the assembler produced no code for this line", line.number,
                           _source(prep, line.number))
        line_addresses.append((addr, line.number))
    _check_instructions(prep, code, base, line_addresses, text_end)
    user_symbols = {k: v for k, v in symbols.items() if not k.startswith(".Lncc_")}
    stubs = {symbols[name]: name for name in prep.externals}
    stubs[symbols[".Lncc_stubs"]] = "<end of code>"
    return Image(prep.arch, base, code, parts, user_symbols, stubs, line_addresses, prep.source_lines)


@functools.cache
def disassembler(arch: str, detail: bool = False):
    """capstone for `arch` (one per process); `detail`: with the registers each instruction reads and writes."""
    from capstone import CS_ARCH_ARM64, CS_ARCH_X86, CS_MODE_64, CS_MODE_ARM, Cs

    cs = Cs(CS_ARCH_X86, CS_MODE_64) if arch == "x86-64" else Cs(CS_ARCH_ARM64, CS_MODE_ARM)
    cs.detail = detail
    return cs


def _check_instructions(prep: PreparedAsm, code: bytes, base: int, line_addresses: list[tuple[int, int]],
                        text_end: int) -> None:
    """Every instruction the code holds, as the CPU will decode it, must be one a user program may run
    (policy.forbidden_instruction): the emulator would run a system call or a privileged instruction
    differently from the host."""
    cs = disassembler(prep.arch)
    ends = [a for a, _ in line_addresses[1:]] + [text_end]
    for (start, number), end in zip(line_addresses, ends):
        for insn in cs.disasm(code[start - base:end - base], start):
            why = policy.forbidden_instruction(prep.arch, insn.mnemonic, insn.op_str)
            if why:
                shown = f"{insn.mnemonic} {insn.op_str}".strip()
                raise AsmError(policy.FORBIDDEN_INSTRUCTION,
                               f"`{shown}` is {why}: the emulator cannot run it as the host would", number,
                               _source(prep, number))


def _source(prep: PreparedAsm, number: int) -> str:
    return prep.source_lines[number - 1].strip() if 0 < number <= len(prep.source_lines) else ""


def _raise_located(prep: PreparedAsm, lines: dict[str, list[Line]], error: str | None, timeout: float) -> None:
    """keystone does not say which line failed: assemble statements one at a time to find it."""
    labels = [f"{name}:" for name in prep.labels] + [f"{name}:" for name in prep.externals]
    labels += [f".Lncc_got_{s}:" for s in prep.got]
    for section in ("text", "rodata", "data", "bss"):
        for line in lines[section]:
            if line.text.endswith(":"):
                continue
            prefix = ".att_syntax\n" if prep.arch == "x86-64" else ""
            probe = prefix + line.text + "\n" + "\n".join(labels) + "\n.quad 0\n"
            code, err = _keystone(prep.arch, probe, CODE_BASE, timeout)
            if code is None or len(code) < 8:
                message = err or "the assembler produced no code for this line"
                raise AsmError("asm.syntax", f"{message}", line.number, _source(prep, line.number))
    raise AsmError("asm.syntax", f"assembler error: {error or 'no output'}", None, "")
