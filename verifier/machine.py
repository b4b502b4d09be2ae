"""A unicorn machine that holds one assembled image and calls its functions, over and over.

Set-up (mapping memory, loading code) happens once; every call then costs one ARGS write, the input
buffers, one emu_start and one RESULTS read. No per-instruction hook runs on this path: the
instruction budget is unicorn's `count`, invalid accesses arrive through UC_HOOK_MEM_INVALID (which
only fires on faults) and library calls through fetch faults on the non-executable stub page.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass, field

from unicorn import (UC_ERR_FETCH_PROT, UC_ERR_FETCH_UNMAPPED, UC_HOOK_CODE, UC_HOOK_INSN, UC_HOOK_INTR,
                     UC_HOOK_MEM_INVALID,
                     UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT, UC_MEM_READ_UNMAPPED,
                     UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED, UC_PROT_EXEC, UC_PROT_READ,
                     UC_PROT_WRITE, Uc, UcError)
from unicorn import arm64_const, x86_const

from .abi import ABIS, DONE_OFFSET, Results, trampoline_code
from .assemble import PAGE, Image
from .memorymap import (ARGS, CALLER_AREA, HEAP, HEAP_SIZE, LIBC_DATA, LIBC_DATA_SIZE, RESULTS, SLOT_COUNT,
                        SLOT_SIZE, STACK_LOW, STACK_SIZE, STACK_TOP, TRAMPOLINE, slot_address)
from .libc import Libc, LibcFault, libc_data_image

_ACCESS = {
    UC_MEM_READ_UNMAPPED: ("read", "unmapped"), UC_MEM_WRITE_UNMAPPED: ("write", "unmapped"),
    UC_MEM_FETCH_UNMAPPED: ("fetch", "unmapped"), UC_MEM_READ_PROT: ("read", "protected"),
    UC_MEM_WRITE_PROT: ("write", "protected"), UC_MEM_FETCH_PROT: ("fetch", "protected"),
}
MAX_LIBC_CALLS = 20_000  # per call of the function: each library call is a Python round trip
# The top of the stack is refilled before every call with a pattern that depends on the poison set, so
# a load from a slot nobody wrote gives a value that changes with the set (never zero, never stale).
# Below it the stack holds the pattern from set-up and what earlier calls left there.
STACK_POISON = (0xA5, 0x3C)
STACK_FILL = 0x10000

# CPU exceptions unicorn reports through UC_HOOK_INTR that only an instruction asking for them raises
# (x86 `int n`, `int3`, `into`; AArch64 svc, hvc, smc, brk): a user program would trap to the kernel.
_AARCH64_UDEF = 1
_X86_DIVIDE = 0
_X86_FAULTS = set(range(1, 32)) - {3, 4}  # raised by the CPU on its own (#DB, #UD, #GP, ...)


@dataclass
class Fault:
    """Why a call did not come back normally."""
    kind: str  # read/write/fetch, invalid_instruction, divide_error, forbidden, timeout, libc
    pc: int
    address: int | None = None
    access: str = ""  # unmapped / protected
    sp: int = 0
    message: str = ""
    after_return: bool = False  # the fetch fault came right after a return instruction


@dataclass
class RunResult:
    results: Results | None
    fault: Fault | None
    stdout: bytes
    heap: dict[int, int] = field(default_factory=dict)
    libc_calls: int = 0
    instructions: int | None = None  # counted only when asked (tracing)


def _reg(arch: str, name: str) -> int:
    if arch == "x86-64":
        return getattr(x86_const, f"UC_X86_REG_{name.upper()}")
    return getattr(arm64_const, f"UC_ARM64_REG_{name.upper()}")


class Machine:
    def __init__(self, image: Image):
        self.image = image
        self.abi = ABIS[image.arch]
        self.arch = image.arch
        self.uc = Uc(self.abi.uc_arch, self.abi.uc_mode)
        self.libc = Libc()
        self._int_arg_regs = [_reg(self.arch, r) for r in self.abi.int_args]
        self._vec_regs = [_reg(self.arch, f"xmm{i}" if self.arch == "x86-64" else f"q{i}") for i in range(8)]
        self._map()
        self._invalid: tuple[str, str, int] | None = None
        self._raw_results = b""
        # ARGS and RESULTS are adjacent: one write sets the arguments and clears the done flag
        self._results_reset = bytes(RESULTS - ARGS + DONE_OFFSET + 8)
        self._interrupt: int | None = None
        self._forbidden: str | None = None  # a system instruction the guest executed
        self.uc.hook_add(UC_HOOK_MEM_INVALID, self._on_invalid)
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        if self.arch == "x86-64":
            # unicorn treats these as no-ops (syscall, sysenter) or as port I/O at ring 0 (in, out)
            for ins, name in ((x86_const.UC_X86_INS_SYSCALL, "syscall"), (x86_const.UC_X86_INS_SYSENTER, "sysenter")):
                self.uc.hook_add(UC_HOOK_INSN, lambda uc, data, n=name: self._on_forbidden(n), None, 1, 0, ins)
            self.uc.hook_add(UC_HOOK_INSN, lambda uc, port, size, data: self._on_forbidden("in") or 0,
                             None, 1, 0, x86_const.UC_X86_INS_IN)
            self.uc.hook_add(UC_HOOK_INSN, lambda uc, port, size, value, data: self._on_forbidden("out"),
                             None, 1, 0, x86_const.UC_X86_INS_OUT)
        else:  # run at EL0, as a user program does: system registers and EL1 instructions trap
            pstate = self.uc.reg_read(arm64_const.UC_ARM64_REG_PSTATE)
            self.uc.reg_write(arm64_const.UC_ARM64_REG_PSTATE, pstate & ~0xF)
        self._stack_fill = [bytes([b]) * STACK_FILL for b in STACK_POISON]
        # every call starts from this CPU state: an exception leaves state behind in the CPU that
        # turned the next call's divide error into a double fault, then into a hang
        self._context = self.uc.context_save()

    # -- set-up ----------------------------------------------------------------------------------
    def _map(self) -> None:
        uc, image = self.uc, self.image
        code = trampoline_code(self.arch)
        uc.mem_map(TRAMPOLINE, PAGE, UC_PROT_READ | UC_PROT_EXEC)
        uc.mem_write(TRAMPOLINE, code)
        uc.mem_map(ARGS, 2 * PAGE, UC_PROT_READ | UC_PROT_WRITE)
        uc.mem_map(LIBC_DATA, LIBC_DATA_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        uc.mem_write(LIBC_DATA, libc_data_image())
        perms = {"text": UC_PROT_READ | UC_PROT_EXEC, "stubs": UC_PROT_READ, "rodata": UC_PROT_READ,
                 "data": UC_PROT_READ | UC_PROT_WRITE, "bss": UC_PROT_READ | UC_PROT_WRITE, "symtab": UC_PROT_READ}
        for part, (start, end) in image.parts.items():
            end = (end + PAGE - 1) & ~(PAGE - 1)
            if end > start:
                uc.mem_map(start, end - start, perms[part])
        uc.mem_write(image.base, image.code)
        start, end = image.parts["data"][0], image.parts["bss"][1]
        self._data_start = start
        self._data_init = image.code[start - image.base:end - image.base]
        uc.mem_map(HEAP, HEAP_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        for i in range(SLOT_COUNT):
            uc.mem_map(slot_address(i), SLOT_SIZE, UC_PROT_READ | UC_PROT_WRITE)
        uc.mem_map(STACK_LOW, STACK_SIZE + CALLER_AREA, UC_PROT_READ | UC_PROT_WRITE)
        uc.mem_write(STACK_LOW, bytes([STACK_POISON[0]]) * STACK_SIZE)

    def _on_invalid(self, uc, access, address, size, value, user_data):
        self._invalid = (*_ACCESS.get(access, ("read", "unmapped")), address)
        return False

    def _on_interrupt(self, uc, intno, user_data):
        self._interrupt = intno
        uc.emu_stop()

    def _on_forbidden(self, name: str) -> None:
        self._forbidden = name
        self.uc.emu_stop()

    # -- the CallContext the C library sees ------------------------------------------------------
    def arg_int(self, i: int) -> int:
        return self.uc.reg_read(self._int_arg_regs[i])

    def int_arg_count(self) -> int:
        return len(self._int_arg_regs)

    def float_arg_count(self) -> int:
        return self.abi.float_args

    def arg_float(self, i: int, double: bool) -> float:
        raw = self.uc.reg_read(self._vec_regs[i])
        if double:
            return struct.unpack("<d", struct.pack("<Q", raw & (2**64 - 1)))[0]
        return struct.unpack("<f", struct.pack("<I", raw & 0xFFFFFFFF))[0]

    def stack_arg(self, i: int) -> int:
        sp = self.uc.reg_read(self.abi.sp)
        skip = 8 if self.arch == "x86-64" else 0  # x86: the return address is on top
        return int.from_bytes(self.read(sp + skip + 8 * i, 8), "little")

    def read(self, address: int, size: int) -> bytes:
        try:
            return bytes(self.uc.mem_read(address, size))
        except UcError:
            raise LibcFault("read", "the C library read unmapped memory", self._first_bad(address, size)) from None

    def write(self, address: int, data: bytes) -> None:
        try:
            self.uc.mem_write(address, data)
        except UcError:
            raise LibcFault("write", "the C library wrote unmapped memory",
                            self._first_bad(address, len(data))) from None

    def _first_bad(self, address: int, size: int) -> int:
        for a in range(address, address + size, 1 if size < 64 else 16):
            try:
                self.uc.mem_read(a, 1)
            except UcError:
                return a
        return address

    def _set_return(self, kind: str, value) -> None:
        if kind == "int":
            self.uc.reg_write(self._int_arg_regs[0] if self.arch == "aarch64" else x86_const.UC_X86_REG_RAX,
                              int(value) & (2**64 - 1))
        else:
            bits = struct.unpack("<Q", struct.pack("<d", value))[0] if kind == "double" else \
                struct.unpack("<I", struct.pack("<f", value))[0]
            self.uc.reg_write(self._vec_regs[0], bits)

    def _return_address(self) -> int:
        if self.abi.link is not None:
            return self.uc.reg_read(self.abi.link)
        sp = self.uc.reg_read(self.abi.sp)
        ret = int.from_bytes(self.uc.mem_read(sp, 8), "little")
        self.uc.reg_write(self.abi.sp, sp + 8)
        return ret

    # -- calls -----------------------------------------------------------------------------------
    def symbol(self, name: str) -> int:
        return self.image.symbols[name]

    def run(self, args_block: bytes, writes: list[tuple[int, bytes]], budget: int,
            count_instructions: bool = False, stack_poison: int = 0) -> RunResult:
        uc = self.uc
        uc.context_restore(self._context)
        uc.mem_write(STACK_TOP - STACK_FILL, self._stack_fill[stack_poison])
        uc.mem_write(ARGS, args_block + self._results_reset[len(args_block):])
        for address, data in writes:
            uc.mem_write(address, data)
        if self._data_init:
            uc.mem_write(self._data_start, self._data_init)
        self.libc.reset()
        counter = [0]
        hook = None
        if count_instructions:  # diagnosis only: a Python hook per instruction is slow
            start, end = self.image.parts["text"]
            hook = uc.hook_add(UC_HOOK_CODE, lambda *a: counter.__setitem__(0, counter[0] + 1),
                               begin=start, end=end - 1)
            uc.ctl_flush_tb()  # translated blocks must be rebuilt with (and later without) the hook
        try:
            fault, calls = self._execute(budget)
        finally:
            if hook is not None:
                uc.hook_del(hook)
                uc.ctl_flush_tb()
        results = None if fault else self.abi.unpack_results(self._raw_results)
        return RunResult(results, fault, bytes(self.libc.stdout), dict(self.libc.heap.blocks), calls,
                         counter[0] if count_instructions else None)

    def _execute(self, budget: int) -> tuple[Fault | None, int]:
        uc, stop, stubs = self.uc, self.abi.stop, self.image.stubs
        pc, calls = TRAMPOLINE, 0
        while True:
            self._invalid = None
            self._interrupt = None
            self._forbidden = None
            try:
                uc.emu_start(pc, stop, count=budget)
                raw = bytes(uc.mem_read(RESULTS, DONE_OFFSET + 8))
                if self.abi.finished(raw):  # the trampoline's last store: the call came back
                    self._raw_results = raw
                    return None, calls
            except UcError as err:
                pc_now = uc.reg_read(self.abi.pc)
                sp = uc.reg_read(self.abi.sp)
                if err.errno == UC_ERR_FETCH_PROT and pc_now in stubs and stubs[pc_now] != "<end of code>":
                    calls += 1
                    if calls > MAX_LIBC_CALLS:
                        return Fault("timeout", pc_now, sp=sp, message="too many library calls"), calls
                    try:
                        returned = self.libc.call(stubs[pc_now], self)
                    except LibcFault as lf:
                        return self._libc_fault(lf, pc_now), calls
                    if returned is not None:
                        self._set_return(*returned)
                    pc = self._return_address()
                    continue
                return self._fault(err, pc_now, sp), calls
            pc_now = uc.reg_read(self.abi.pc)
            sp = uc.reg_read(self.abi.sp)
            if self._forbidden is not None:
                return Fault("forbidden", pc_now, sp=sp, message=f"executed `{self._forbidden}`"), calls
            if self._interrupt is not None:
                return self._interrupt_fault(pc_now, sp), calls
            return Fault("timeout", pc_now, sp=sp, message=f"instruction budget of {budget} exhausted"), calls

    def _interrupt_fault(self, pc: int, sp: int) -> Fault:
        n, message = self._interrupt, f"CPU exception {self._interrupt}"
        if self.arch == "x86-64":
            kind = "divide_error" if n == _X86_DIVIDE else "invalid_instruction" if n in _X86_FAULTS else "forbidden"
        else:
            kind = "invalid_instruction" if n == _AARCH64_UDEF else "forbidden"
        if kind == "forbidden":
            message += " (a trap a user program would take to the kernel)"
        return Fault(kind, pc, sp=sp, message=message)

    def _libc_fault(self, lf: LibcFault, stub_pc: int) -> Fault:
        caller = self._caller_pc()
        if lf.kind in ("read", "write"):
            return Fault(lf.kind, caller, lf.address, "unmapped", message=f"{self.image.stubs[stub_pc]}: {lf.message}")
        return Fault("libc", caller, lf.address, message=f"{self.image.stubs[stub_pc]}: {lf.message}",
                     access=lf.kind)

    def _caller_pc(self) -> int:
        if self.abi.link is not None:
            return self.uc.reg_read(self.abi.link) - 4
        sp = self.uc.reg_read(self.abi.sp)
        return int.from_bytes(self.uc.mem_read(sp, 8), "little") - 5

    def _fault(self, err: UcError, pc: int, sp: int) -> Fault:
        if self._invalid is not None:
            kind, access, address = self._invalid
            if err.errno in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT):
                kind, address = "fetch", pc
            return Fault(kind, pc, address, access, sp, str(err),
                         after_return=kind == "fetch" and self._after_return(pc, sp))
        if err.errno in (UC_ERR_FETCH_UNMAPPED, UC_ERR_FETCH_PROT):
            return Fault("fetch", pc, pc, "unmapped", sp, str(err), after_return=self._after_return(pc, sp))
        name = str(err)
        if "INSN_INVALID" in name or "invalid instruction" in name.lower():
            return Fault("invalid_instruction", pc, sp=sp, message=name)
        if self._interrupt is not None:
            return self._interrupt_fault(pc, sp)
        return Fault("invalid_instruction", pc, sp=sp, message=name)

    def _after_return(self, pc: int, sp: int) -> bool:
        """Did a return instruction jump here? (x86: the value just popped; AArch64: the link register)"""
        if self.abi.link is not None:
            return self.uc.reg_read(self.abi.link) == pc
        try:
            return int.from_bytes(self.uc.mem_read(sp - 8, 8), "little") == pc
        except UcError:
            return False
