"""Keystone (which the verifier runs) against GNU as (which builds programs): the same sections, the
same bytes.

The verifier judges the bytes keystone made. A program is built by GNU as: where the two differ, a pass
means nothing for the built program. `encoding_mismatches` assembles the same text with GNU as, checks
that its object holds only sections the verifier ran (with the permissions it ran them with), links it
where keystone's image put each part (externals at their stubs), and compares constants and data byte
for byte and every instruction line as capstone decodes it.
"""
from __future__ import annotations

import re
import struct
import tempfile
from dataclasses import dataclass
from pathlib import Path


from neuralcc.cbase.toolchain import BINUTILS

from . import policy
from .assemble import Image, disassembler
from .errors import VerifierInputError
from .limits import run_tool



@dataclass
class Mismatch:
    line: int  # 1-based line of the assembly text
    text: str
    keystone: list[tuple[str, str]]  # (mnemonic, operands) as capstone decodes keystone's bytes
    gnu: list[tuple[str, str]]

    def __str__(self) -> str:
        show = lambda ins: "; ".join(f"{m} {o}".strip() for m, o in ins) or "(nothing)"
        return f"line {self.line} `{self.text}`: keystone {show(self.keystone)}, GNU as {show(self.gnu)}"


class GnuAsError(Exception):
    """GNU as or ld rejected what keystone accepted."""


def _same_meaning(a, b) -> bool:
    """The one alias keystone and GNU as encode differently: `uxtw xN, wN` (UBFX vs ORR), both zero-extend."""
    if len(a) == len(b) == 1:
        m1 = re.fullmatch(r"x(\d+), x(\d+), #0, #0x20", a[0][1]) if a[0][0] == "ubfx" else None
        m2 = re.fullmatch(r"w(\d+), w(\d+)", b[0][1]) if b[0][0] == "mov" else None
        return bool(m1 and m2 and m1.groups() == m2.groups())
    return False


# ELF section types and flags (the System V ABI's numbers)
_SHT_PROGBITS, _SHT_SYMTAB, _SHT_STRTAB, _SHT_RELA, _SHT_NOBITS = 1, 2, 3, 4, 8
_SHT_X86_64_UNWIND = 0x70000001
_SHF_WRITE, _SHF_ALLOC, _SHF_EXECINSTR = 1, 2, 4
# The flags each part's sections must have, and those they must not.
_PART_FLAGS = {"text": (_SHF_ALLOC | _SHF_EXECINSTR, _SHF_WRITE), "rodata": (_SHF_ALLOC, _SHF_WRITE | _SHF_EXECINSTR),
               "data": (_SHF_ALLOC | _SHF_WRITE, _SHF_EXECINSTR), "bss": (_SHF_ALLOC | _SHF_WRITE, _SHF_EXECINSTR)}
_CANONICAL = {"text": ".text", "rodata": ".rodata", "data": ".data", "bss": ".bss"}


@dataclass
class Section:
    name: str
    type: int
    flags: int
    size: int


def elf_sections(obj: bytes) -> list[Section]:
    """The section headers of a little-endian ELF64 object (what GNU as wrote, both arches)."""
    if obj[:4] != b"\x7fELF" or obj[4] != 2 or obj[5] != 1:
        raise GnuAsError("the assembler's output is not a little-endian ELF64 object")
    shoff, = struct.unpack_from("<Q", obj, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", obj, 0x3A)
    headers = [struct.unpack_from("<IIQQQQIIQQ", obj, shoff + i * shentsize) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    out = []
    for name_offset, type_, flags, _addr, _offset, size, *_ in headers[1:]:
        start = names_at + name_offset
        out.append(Section(obj[start:obj.index(b"\0", start)].decode("latin-1"), type_, flags, size))
    return out


def section_problem(section: Section) -> str | None:
    """Why GNU as's object may not hold this section, or None. Everything it holds is either a part
    the verifier ran (code, constants, data, bss, with the permissions the verifier gave them) or
    bookkeeping nothing runs: symbols, relocations, the .comment of `.ident`, the empty
    non-executable-stack marker, and .eh_frame (call-frame descriptions)."""
    name, allocated = section.name, bool(section.flags & _SHF_ALLOC)
    if section.type in (_SHT_SYMTAB, _SHT_STRTAB) and not allocated:
        return None
    if section.type == _SHT_RELA and not allocated:
        return None  # relocations of the sections below, each checked itself
    if name == ".comment" and not allocated:
        return None
    if name == ".eh_frame" and section.type in (_SHT_PROGBITS, _SHT_X86_64_UNWIND) \
            and section.flags & (_SHF_WRITE | _SHF_EXECINSTR) == 0:
        return None
    part = policy.section_part(name)
    if part == "empty":
        return None if section.size == 0 and not allocated else f"section {name} is not empty"
    if part is None or section.type not in (_SHT_PROGBITS, _SHT_NOBITS):
        return f"section {name} (type {section.type:#x}) is not one the verifier ran"
    need, never = _PART_FLAGS[part]
    if name.startswith(".data.rel.ro"):  # constants the dynamic loader relocates: written once, then read-only
        never &= ~_SHF_WRITE
    if section.flags & need != need or section.flags & never:
        return f"section {name} has flags {section.flags:#x}, not those of {part}"
    if (section.type == _SHT_NOBITS) != (part == "bss"):
        return f"section {name} is {'NOBITS' if section.type == _SHT_NOBITS else 'PROGBITS'} in {part}"
    return None


def _one_section_per_part(asm: str) -> str:
    """Every section switch to a part's canonical section (.text.startup -> .text, .rodata.str1.1 and
    .data.rel.ro.local -> .rodata, ...): the verifier lays each part out in text order, unmerged, and
    ld would group input sections by name and merge equal strings. keystone ignores the max-skip of
    `.p2align n,,m`: GNU as gets the same alignment, so the layouts agree."""
    def canonical(m: re.Match) -> str:
        part = policy.section_part(m.group(1))
        return f"\t.section\t{_CANONICAL[part]}" if part in _CANONICAL else m.group(0)

    text = re.sub(r"(\.p2align\s+\d+),,\d+", r"\1", asm)
    return re.sub(r"^\s*\.section\s+\"?([\w.$]+)\"?[^\n]*$", canonical, text, flags=re.M)


@dataclass
class GnuBuild:
    """GNU as + ld's bytes for each part, laid out at keystone's addresses."""
    text: bytes
    rodata: bytes
    data: bytes
    bss_size: int


def _run(cmd: list[str], cwd: str) -> None:
    try:
        proc = run_tool(cmd, Path(cmd[0]).name, cwd=cwd)
    except VerifierInputError as err:
        raise GnuAsError(str(err)) from None
    if proc.returncode != 0:
        first = (proc.stderr.strip().splitlines() or ["failed"])[-1]
        raise GnuAsError(f"{Path(cmd[0]).name}: {first}")


def gnu_build(asm: str, image: Image, entry: str) -> GnuBuild:
    """Assemble `asm` with GNU as, check every section of the object (section_problem), then link
    it, one section per part, where keystone's image put each part (externals at their stubs)."""
    gas, ld, objcopy = BINUTILS[image.arch]
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        (tmp / "as-is.s").write_text(asm)
        _run([gas, "as-is.s", "-o", "as-is.o"], td)
        for section in elf_sections((tmp / "as-is.o").read_bytes()):
            problem = section_problem(section)
            if problem:
                raise GnuAsError(f"GNU as's object holds what the verifier did not run: {problem}")
        (tmp / "k.s").write_text(_one_section_per_part(asm))
        rodata, data, bss = image.parts["rodata"][0], image.parts["data"][0], image.parts["bss"][0]
        defsyms = [f"--defsym={name}={addr:#x}" for addr, name in image.stubs.items() if not name.startswith("<")]
        (tmp / "k.ld").write_text(f"""SECTIONS {{
  . = {image.base:#x}; .text : {{ *(.text) }}
  . = {rodata:#x}; .rodata : {{ *(.rodata) }}
  . = {data:#x}; .data : {{ *(.data) }}
  . = {bss:#x}; .bss : {{ *(.bss) *(COMMON) }}
  /DISCARD/ : {{ *(.note*) *(.comment) *(.eh_frame) }}
}}""")
        _run([gas, "k.s", "-o", "k.o"], td)
        _run([ld, "-T", "k.ld", *defsyms, "-e", entry, "k.o", "-o", "k.elf"], td)
        for part in ("text", "rodata", "data"):
            _run([objcopy, "-O", "binary", "-j", f".{part}", "k.elf", f"{part}.bin"], td)
        bss_size = sum(s.size for s in elf_sections((tmp / "k.elf").read_bytes()) if s.name == ".bss")
        read = lambda part: (tmp / f"{part}.bin").read_bytes() if (tmp / f"{part}.bin").exists() else b""
        return GnuBuild(read("text"), read("rodata"), read("data"), bss_size)


def encoding_mismatches(asm: str, image: Image, entry: str) -> list[Mismatch]:
    """Every instruction line whose GNU as bytes decode differently from keystone's (NOP padding aside).
    Raises GnuAsError when GNU as's object holds a section the verifier did not run, or constants, data
    or bss that differ from the verifier's image: then nothing of it is what was verified."""
    build = gnu_build(asm, image, entry)
    for part in ("rodata", "data"):
        ours, gnu = _part(image, part), getattr(build, part)
        if ours[:len(gnu)] != gnu:
            at = next(i for i, (a, b) in enumerate(zip(ours, gnu)) if a != b) if len(ours) >= len(gnu) else len(ours)
            raise GnuAsError(f"GNU as's {part} differs from the verifier's at byte {at}")
    start, end = image.parts["bss"]
    if build.bss_size > end - start:
        raise GnuAsError(f"GNU as's bss has {build.bss_size} bytes, the verifier's {end - start}")
    gnu = build.text
    text_start, text_end = image.parts["text"]
    if len(gnu) > text_end - text_start:
        raise GnuAsError(f"GNU as's code has {len(gnu)} bytes, more than the verifier ran")
    ours = image.code[: len(gnu)]
    cs = disassembler(image.arch)
    end = image.base + len(gnu)
    out = []
    for (addr, line), nxt in zip(image.line_addresses, image.line_addresses[1:] + [(end, 0)]):
        a, b = ours[addr - image.base: nxt[0] - image.base], gnu[addr - image.base: nxt[0] - image.base]
        if a != b:
            da = [(i.mnemonic, i.op_str) for i in cs.disasm(a, addr) if not i.mnemonic.startswith("nop")]
            db = [(i.mnemonic, i.op_str) for i in cs.disasm(b, addr) if not i.mnemonic.startswith("nop")]
            if da != db and not _same_meaning(da, db):
                out.append(Mismatch(line, image.source_lines[line - 1].strip(), da, db))
    first = image.line_addresses[0][0] if image.line_addresses else end
    if ours[:first - image.base] != gnu[:first - image.base]:
        out.append(Mismatch(0, "(before the first instruction)", [], []))
    return out


def _part(image: Image, part: str) -> bytes:
    start, end = image.parts[part]
    return image.code[start - image.base:end - image.base]
