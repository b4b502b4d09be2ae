"""Keystone (which the verifier runs) against GNU as (which builds programs), instruction by instruction.

The verifier judges the bytes keystone made. A program is built by GNU as: where the two encode a
line differently, a pass means nothing for the built program. `encoding_mismatches` assembles the same
text with GNU as, links it with ld where keystone's image put each section (externals at their stubs),
and compares the bytes of every instruction line, decoded by capstone.
"""
from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from capstone import CS_ARCH_ARM64, CS_ARCH_X86, CS_MODE_64, CS_MODE_ARM, Cs

from .assemble import Image

TOOLS = {"x86-64": ("as", "ld", "objcopy"),
         "aarch64": ("aarch64-linux-gnu-as", "aarch64-linux-gnu-ld", "aarch64-linux-gnu-objcopy")}


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


def gnu_text_bytes(asm: str, image: Image, entry: str) -> bytes:
    """GNU as + ld's .text for `asm`, laid out at keystone's addresses."""
    gas, ld, objcopy = TOOLS[image.arch]
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        # keystone ignores the max-skip of `.p2align n,,m`; give GNU as the same alignment so layouts
        # agree. The verifier lays out all read-only data in text order, in one part and unmerged; ld
        # would group it by section name and merge equal strings: give GNU as one plain .rodata too.
        text = re.sub(r"(\.p2align\s+\d+),,\d+", r"\1", asm)
        text = re.sub(r"^\s*\.section\s+\.rodata\b[^\n]*$", "\t.section\t.rodata", text, flags=re.M)
        (tmp / "k.s").write_text(text)
        rodata, data, bss = image.parts["rodata"][0], image.parts["data"][0], image.parts["bss"][0]
        defsyms = [f"--defsym={name}={addr:#x}" for addr, name in image.stubs.items() if not name.startswith("<")]
        (tmp / "k.ld").write_text(f"""SECTIONS {{
  . = {image.base:#x}; .text : {{ *(.text*) }}
  . = {rodata:#x}; .rodata : {{ *(.rodata .rodata.*) }}
  . = {data:#x}; .data : {{ *(.data*) }}
  . = {bss:#x}; .bss : {{ *(.bss*) *(COMMON) }}
  /DISCARD/ : {{ *(.note*) *(.comment) *(.eh_frame) }}
}}""")
        for cmd in ([gas, "k.s", "-o", "k.o"],
                    [ld, "-T", "k.ld", *defsyms, "-e", entry, "k.o", "-o", "k.elf"],
                    [objcopy, "-O", "binary", "-j", ".text", "k.elf", "k.bin"]):
            proc = subprocess.run(cmd, capture_output=True, text=True, cwd=td)
            if proc.returncode != 0:
                first = (proc.stderr.strip().splitlines() or ["failed"])[-1]
                raise GnuAsError(f"{Path(cmd[0]).name}: {first}")
        return (tmp / "k.bin").read_bytes()


def encoding_mismatches(asm: str, image: Image, entry: str) -> list[Mismatch]:
    """Every instruction line whose GNU as bytes decode differently from keystone's (NOP padding aside)."""
    gnu = gnu_text_bytes(asm, image, entry)
    ours = image.code[: len(gnu)]
    cs = Cs(CS_ARCH_X86, CS_MODE_64) if image.arch == "x86-64" else Cs(CS_ARCH_ARM64, CS_MODE_ARM)
    end = image.base + len(gnu)
    out = []
    for (addr, line), nxt in zip(image.line_addresses, image.line_addresses[1:] + [(end, 0)]):
        a, b = ours[addr - image.base: nxt[0] - image.base], gnu[addr - image.base: nxt[0] - image.base]
        if a != b:
            da = [(i.mnemonic, i.op_str) for i in cs.disasm(a, addr) if not i.mnemonic.startswith("nop")]
            db = [(i.mnemonic, i.op_str) for i in cs.disasm(b, addr) if not i.mnemonic.startswith("nop")]
            if da != db and not _same_meaning(da, db):
                out.append(Mismatch(line, image.source_lines[line - 1].strip(), da, db))
    return out
