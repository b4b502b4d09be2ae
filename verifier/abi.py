"""The two calling conventions, written down the way the ABI documents say them.

Each Abi knows which registers carry integer and floating-point arguments, which hold the return value,
which the callee must preserve, and the trampoline: a few instructions that load every register from
the ARGS block (arguments, or a poison value for everything else), call the function, and store the
return and callee-saved registers into the RESULTS block. One mem_write in, one emu_start, one
mem_read out: no per-register Python calls on the fast path.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass
from functools import lru_cache

from unicorn import UC_ARCH_ARM64, UC_ARCH_X86, UC_MODE_64, UC_MODE_ARM
from unicorn.arm64_const import UC_ARM64_REG_PC, UC_ARM64_REG_SP, UC_ARM64_REG_X30
from unicorn.x86_const import UC_X86_REG_RIP, UC_X86_REG_RSP

from .memorymap import ARGS, RESULTS, TRAMPOLINE

DONE_OFFSET = 0x100  # in RESULTS: the trampoline's last store, so reaching it is one memory read away
DONE_MAGIC = 0x600D


@dataclass(frozen=True)
class Abi:
    arch: str
    uc_arch: int
    uc_mode: int
    int_args: tuple[str, ...]
    float_args: int  # how many vector registers carry float arguments
    gprs: tuple[str, ...]  # every register the trampoline loads from ARGS, in block order
    callee_saved: tuple[str, ...]  # general registers the callee must preserve
    callee_saved_fp: tuple[str, ...]  # vector registers whose low 64 bits the callee must preserve
    vector_count: int
    pc: int
    sp: int
    link: int | None  # return-address register (None: on the stack)
    args_gpr_offset: int = 0
    args_sp_offset: int = 0
    args_fn_offset: int = 0
    args_vec_offset: int = 0

    @property
    def stop(self) -> int:
        """Address of the trampoline's last instruction: reaching it means the call returned."""
        code = trampoline_code(self.arch)
        return TRAMPOLINE + len(code) - (1 if self.arch == "x86-64" else 4)

    def pack_args(self, gpr_values: dict[str, int], vectors: list[bytes], sp: int, fn: int) -> bytes:
        block = bytearray(self.args_vec_offset + 16 * self.vector_count)
        for i, name in enumerate(self.gprs):
            struct.pack_into("<Q", block, self.args_gpr_offset + 8 * i, gpr_values[name] & (2**64 - 1))
        struct.pack_into("<QQ", block, self.args_sp_offset, sp, fn)
        for i, vec in enumerate(vectors):
            block[self.args_vec_offset + 16 * i: self.args_vec_offset + 16 * i + 16] = vec.ljust(16, b"\0")
        return bytes(block)

    @property
    def result_size(self) -> int:
        return 8 * 2 + 16 * 2 + 8 * len(self.callee_saved) + 8 + 8 * len(self.callee_saved_fp)

    def finished(self, raw: bytes) -> bool:
        return int.from_bytes(raw[DONE_OFFSET:DONE_OFFSET + 8], "little") == DONE_MAGIC

    def unpack_results(self, raw: bytes) -> "Results":
        r0, r1 = struct.unpack_from("<QQ", raw, 0)
        v0, v1 = raw[16:32], raw[32:48]
        off = 48
        saved = dict(zip(self.callee_saved, struct.unpack_from(f"<{len(self.callee_saved)}Q", raw, off)))
        off += 8 * len(self.callee_saved)
        (sp,) = struct.unpack_from("<Q", raw, off)
        off += 8
        saved_fp = dict(zip(self.callee_saved_fp, struct.unpack_from(f"<{len(self.callee_saved_fp)}Q", raw, off)))
        return Results(r0, r1, v0, v1, saved, saved_fp, sp)


@dataclass
class Results:
    int0: int
    int1: int
    vec0: bytes
    vec1: bytes
    saved: dict[str, int]
    saved_fp: dict[str, int]
    sp: int


X86_64 = Abi(
    arch="x86-64", uc_arch=UC_ARCH_X86, uc_mode=UC_MODE_64,
    int_args=("rdi", "rsi", "rdx", "rcx", "r8", "r9"),
    float_args=8,
    gprs=("rdi", "rsi", "rdx", "rcx", "r8", "r9", "rax", "rbx", "rbp", "r10", "r11", "r12", "r13", "r14", "r15"),
    callee_saved=("rbx", "rbp", "r12", "r13", "r14", "r15"),
    callee_saved_fp=(),
    vector_count=16,
    pc=UC_X86_REG_RIP, sp=UC_X86_REG_RSP, link=None,
    args_gpr_offset=0, args_sp_offset=0x78, args_fn_offset=0x80, args_vec_offset=0x100,
)

AARCH64 = Abi(
    arch="aarch64", uc_arch=UC_ARCH_ARM64, uc_mode=UC_MODE_ARM,
    int_args=tuple(f"x{i}" for i in range(8)),
    float_args=8,
    gprs=tuple(f"x{i}" for i in range(31)),
    callee_saved=tuple(f"x{i}" for i in range(19, 30)),
    callee_saved_fp=tuple(f"d{i}" for i in range(8, 16)),
    vector_count=32,
    pc=UC_ARM64_REG_PC, sp=UC_ARM64_REG_SP, link=UC_ARM64_REG_X30,
    args_gpr_offset=0, args_sp_offset=0xF8, args_fn_offset=0x100, args_vec_offset=0x200,
)

ABIS = {"x86-64": X86_64, "aarch64": AARCH64}


def _x86_trampoline() -> str:
    # keystone mis-encodes absolute memory operands in 64-bit mode (some become RIP-relative with the
    # absolute value as displacement), so ARGS and RESULTS are labels addressed RIP-relative.
    abi = X86_64
    lines = [".att_syntax"]
    for i, reg in enumerate(abi.gprs):
        lines.append(f"movq args+{abi.args_gpr_offset + 8 * i:#x}(%rip), %{reg}")
    for i in range(abi.vector_count):
        lines.append(f"movdqu args+{abi.args_vec_offset + 16 * i:#x}(%rip), %xmm{i}")
    lines.append(f"movq args+{abi.args_sp_offset:#x}(%rip), %rsp")
    lines.append(f"callq *args+{abi.args_fn_offset:#x}(%rip)")
    lines += ["movq %rax, results(%rip)", "movq %rdx, results+8(%rip)",
              "movdqu %xmm0, results+16(%rip)", "movdqu %xmm1, results+32(%rip)"]
    for i, reg in enumerate(abi.callee_saved):
        lines.append(f"movq %{reg}, results+{48 + 8 * i}(%rip)")
    lines.append(f"movq %rsp, results+{48 + 8 * len(abi.callee_saved)}(%rip)")
    lines.append(f"movq ${DONE_MAGIC:#x}, results+{DONE_OFFSET}(%rip)")
    lines.append("stop: nop")  # the stop address: emulation ends before executing it
    assert ARGS == TRAMPOLINE + 0x1000 and RESULTS == ARGS + 0x1000
    lines += [".p2align 12", "args:", ".zero 0x1000", "results:", ".zero 0x1000", ".quad stop"]
    return "\n".join(lines) + "\n"


def _movz_movk(reg: str, value: int) -> list[str]:
    return [f"movz {reg}, #{value >> 16 & 0xffff:#x}, lsl #16", f"movk {reg}, #{value & 0xffff:#x}"]


def _aarch64_trampoline() -> str:
    abi = AARCH64
    lines = _movz_movk("x9", ARGS)
    for i in range(abi.vector_count):
        lines.append(f"ldr q{i}, [x9, #{abi.args_vec_offset + 16 * i}]")
    lines += [f"ldr x10, [x9, #{abi.args_sp_offset}]", "mov sp, x10"]
    for i, reg in enumerate(abi.gprs):
        if reg not in ("x9", "x16"):
            lines.append(f"ldr {reg}, [x9, #{abi.args_gpr_offset + 8 * i}]")
    lines.append(f"ldr x16, [x9, #{abi.args_fn_offset}]")
    lines.append(f"ldr x9, [x9, #{abi.args_gpr_offset + 8 * 9}]")
    lines.append("blr x16")
    lines += _movz_movk("x9", RESULTS)
    lines += ["str x0, [x9, #0]", "str x1, [x9, #8]", "str q0, [x9, #16]", "str q1, [x9, #32]"]
    for i, reg in enumerate(abi.callee_saved):
        lines.append(f"str {reg}, [x9, #{48 + 8 * i}]")
    off = 48 + 8 * len(abi.callee_saved)
    lines += ["mov x10, sp", f"str x10, [x9, #{off}]"]
    for i, reg in enumerate(abi.callee_saved_fp):
        lines.append(f"str {reg}, [x9, #{off + 8 + 8 * i}]")
    lines += [f"mov x10, #{DONE_MAGIC:#x}", f"str x10, [x9, #{DONE_OFFSET}]"]
    lines.append("nop")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=None)
def trampoline_code(arch: str) -> bytes:
    from .assemble import _keystone  # the trampoline goes through the same assembler as everything else

    source = _x86_trampoline() if arch == "x86-64" else _aarch64_trampoline()
    code, error = _keystone(arch, source, TRAMPOLINE)
    if code is None:
        raise RuntimeError(f"cannot assemble the {arch} trampoline: {error}")
    if arch == "x86-64":
        stop = int.from_bytes(code[-8:], "little")  # the blob ends with `.quad stop`
        code = code[:stop - TRAMPOLINE + 1]  # the rest is the ARGS and RESULTS pages
    return code
