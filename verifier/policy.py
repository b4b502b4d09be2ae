"""What assembly the verifier accepts: the sections, directives, sizes and instructions of gcc's own
code for a C function, and nothing else.

The verifier can only vouch for what it runs. Anything GNU as would build but the emulator would not
see (a section it does not map, a constructor, bytes pulled from a host file) or would see differently
(a system call unicorn ignores, a privileged instruction that runs at ring 0 in the emulator and faults
in a user program) is refused here with a typed verdict naming the line. This is an allow-list: a
directive or section is accepted because gcc writes it for a function, never because it looks harmless.

    part = section_part(".rodata.str1.1")       # 'rodata' (None: forbidden)
    directive_kind(".p2align")                  # 'align'
    reason = forbidden_instruction("x86-64", "syscall", "")   # 'a system call'
"""
from __future__ import annotations

import re

FORBIDDEN = "asm.forbidden"  # a section, directive or size the verifier does not accept
FORBIDDEN_INSTRUCTION = "control.forbidden_instruction"  # an instruction a user program may not run here

MAX_IMAGE_BYTES = 32 << 20  # code, constants, data and bss of one image
MAX_ALIGN_LOG2 = 12  # one page; gcc aligns to at most 64 bytes
MAX_SOURCE_BYTES = 16 << 20  # assembly text of one candidate (a unit's assembly with it spliced in)

# Sections, by name, and the part of the image their contents go to. gcc puts a function's code in
# .text (.text.startup for main, .text.unlikely for cold parts), constants in .rodata*, writable data in
# .data*/.bss*. Everything else is forbidden: .init_array/.ctors (code run before main), TLS sections
# (the emulator has no thread pointer), unknown names (sections the verifier would not map).
_SECTION_PREFIXES = (
    (".text", "text"),
    (".rodata", "rodata"), (".data.rel.ro", "rodata"),
    (".data", "data"),
    (".bss", "bss"),
)
EMPTY_SECTIONS = (".note.GNU-stack",)  # gcc's marker for a non-executable stack: accepted only empty


def section_part(name: str) -> str | None:
    """The image part a section's contents go to, 'empty' for a marker section that must stay empty,
    None for a section the verifier does not accept."""
    name = name.strip().strip('"')
    if name in EMPTY_SECTIONS:
        return "empty"
    for prefix, part in _SECTION_PREFIXES:
        if name == prefix or name.startswith(prefix + "."):
            return part
    return None


# Directives by what they do. "bookkeeping": no bytes (symbol attributes, file names); "section":
# switches; "align"; "data": bytes into the current section; "comm": a common symbol.
_DIRECTIVES = {
    "bookkeeping": {".file", ".ident", ".globl", ".global", ".type", ".size", ".local", ".hidden",
                    ".weak", ".protected", ".internal", ".arch", ".att_syntax",
                    # call-frame information (gcc writes it for AArch64): GNU as turns it into .eh_frame,
                    # which describes frames and is never run. Not .cfi_escape (raw bytes) or the
                    # personality and LSDA directives (handlers the unwinder would call).
                    ".cfi_startproc", ".cfi_endproc", ".cfi_def_cfa", ".cfi_def_cfa_offset",
                    ".cfi_def_cfa_register", ".cfi_adjust_cfa_offset", ".cfi_offset", ".cfi_rel_offset",
                    ".cfi_restore", ".cfi_remember_state", ".cfi_restore_state", ".cfi_register",
                    ".cfi_undefined", ".cfi_same_value", ".cfi_window_save", ".cfi_negate_ra_state"},
    "section": {".text", ".data", ".bss", ".section", ".pushsection", ".popsection", ".previous"},
    "align": {".p2align", ".align", ".balign"},
    "data": {".byte", ".short", ".value", ".hword", ".2byte", ".word", ".long", ".int", ".4byte", ".quad",
             ".xword", ".dword", ".8byte", ".single", ".float", ".double", ".zero", ".skip", ".space",
             ".string", ".asciz", ".ascii"},
    "comm": {".comm", ".lcomm"},
    "set": {".set", ".equ"},
}
_KIND = {name: kind for kind, names in _DIRECTIVES.items() for name in names}


def directive_kind(word: str) -> str | None:
    """What a directive does, or None when the verifier does not accept it (.incbin, .include, .fill,
    .org, .rept, .macro, .if, .inst, .cfi_*, .uleb128, .intel_syntax, .code32, ...)."""
    return _KIND.get(word.lower())


_NUMBER = re.compile(r"\s*(0[xX][0-9a-fA-F]+|\d+)\s*$")


def literal_size(text: str) -> int | None:
    """A size operand written as a plain number (what gcc writes), else None."""
    m = _NUMBER.match(text)
    return int(m.group(1), 0) if m else None


# -- instructions ----------------------------------------------------------------------------------
# Mnemonics as capstone spells them. x86-64: unicorn runs the guest at ring 0 and ignores syscall and
# sysenter without a hook, so these would pass in the emulator and do something else on the host.
_X86 = {
    "a system call or trap": {"syscall", "sysenter", "sysexit", "sysret", "sysretq", "sysexitq", "int", "int1",
                      "int3", "into", "iret", "iretd", "iretq", "vmcall", "vmmcall"},
    "an I/O instruction": {"in", "out", "insb", "insw", "insd", "outsb", "outsw", "outsd"},
    "a privileged instruction": {"hlt", "cli", "sti", "clts", "lgdt", "lidt", "lldt", "ltr", "lmsw", "sgdt",
                                 "sidt", "sldt", "str", "smsw", "invd", "wbinvd", "invlpg", "invpcid",
                                 "rdmsr", "wrmsr", "swapgs", "monitor", "mwait", "xsetbv", "wrpkru",
                                 "rdpkru", "wrfsbase", "wrgsbase", "rdfsbase", "rdgsbase", "lar", "lsl",
                                 "verr", "verw", "arpl", "clac", "stac", "encls", "enclu", "enclv",
                                 "vmlaunch", "vmresume", "vmxon", "vmxoff", "vmptrld", "vmptrst", "vmread",
                                 "vmwrite", "vmclear", "vmfunc", "vmrun", "vmload", "vmsave", "invept",
                                 "invvpid", "skinit", "stgi", "clgi"},
    "an instruction whose result depends on the host": {"rdtsc", "rdtscp", "rdpmc", "rdrand", "rdseed",
                                                        "cpuid", "xgetbv", "rdpid"},
}
# AArch64 at EL0 may touch only these system registers with mrs/msr.
_AARCH64_USER_SYSREGS = {"nzcv", "fpcr", "fpsr"}
_AARCH64 = {
    "a system call or trap": {"svc", "hvc", "smc", "brk", "hlt", "dcps1", "dcps2", "dcps3", "eret", "drps"},
    "a privileged instruction": {"sys", "sysl", "dc", "ic", "at", "tlbi", "wfi", "wfe", "sev", "sevl"},
}
_X86_REASON = {m: why for why, names in _X86.items() for m in names}
_AARCH64_REASON = {m: why for why, names in _AARCH64.items() for m in names}
_X86_CONTROL_REGISTER = re.compile(r"%?\b[cd]r\d+\b")


def forbidden_instruction(arch: str, mnemonic: str, operands: str) -> str | None:
    """Why an instruction (as capstone decodes it) may not run, or None when it may."""
    mnemonic, operands = mnemonic.lower(), operands.lower()
    if arch == "x86-64":
        base = mnemonic.split()[-1]  # `rep insb`, `lock ...`: the instruction is the last word
        if base in _X86_REASON:
            return _X86_REASON[base]
        if base.startswith("mov") and _X86_CONTROL_REGISTER.search(operands):
            return "a privileged instruction"
        return None
    if mnemonic in _AARCH64_REASON:
        return _AARCH64_REASON[mnemonic]
    if mnemonic == "msr" or mnemonic == "mrs":
        parts = [p.strip() for p in operands.split(",")]
        register = parts[0] if mnemonic == "msr" else (parts[1] if len(parts) > 1 else "")
        if register not in _AARCH64_USER_SYSREGS:
            return "a system-register access"
    return None
