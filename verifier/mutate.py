"""Fault injection: one known fault per verdict category, applied to gcc's assembly of a function.

Each mutation is written so that, when it changes behaviour at all, it does so in the way its category
names: a callee-saved register overwritten just before `ret`, an endless loop at entry, a scan that runs
off the end of an input buffer, and so on. The harness's `mutant` translator and the benchmark's
confusion matrix use these to check that the verifier names what went wrong.
"""
from __future__ import annotations

import random
import re
from dataclasses import dataclass

from .asmprep import _strip_comment, split_statements

INJECTABLE = (
    "asm.syntax", "asm.forbidden", "symbol.undefined", "symbol.duplicate", "symbol.missing_entry",
    "symbol.unknown_external", "register.callee_saved", "register.stack_pointer", "register.return_unset",
    "register.uninitialized_read", "memory.unmapped_read", "memory.unmapped_write", "memory.unmapped_fetch",
    "memory.readonly_write", "memory.out_of_bounds", "memory.stack", "memory.uninitialized_read",
    "control.timeout", "control.invalid_instruction", "control.divide_error", "control.forbidden_instruction",
    "control.bad_return", "semantic.wrong_output",
)

# Categories with several hand-written faults: `seed` picks one (seed % count).
_FORBIDDEN = (  # what GNU as would build and the verifier never run
    ('\t.section .mytext,"ax"', "\tnop"),
    ('\t.section .init_array,"aw"', "\t.quad {name}"),
    ("\t.section .rodata", '\t.incbin "/etc/hostname"'),
    ("\t.bss", "\t.zero 10000000000"),
    ("\t.text", "\t.byte 0x90"),
)
_SYSTEM = {  # instructions a user program may not run, or whose result depends on the host
    "x86-64": ("syscall", "inb $0x60, %al", "cli", "rdtsc"),
    "aarch64": ("svc #0", "msr daifset, #2", "mrs x9, cntvct_el0", "wfi"),
}
VARIANTS = {"asm.forbidden": len(_FORBIDDEN), "control.forbidden_instruction": 4, "semantic.wrong_output": 3}


class MutationError(Exception):
    """The requested fault cannot be injected into this function."""


@dataclass
class Shape:
    """What the mutator needs to know about the function's C signature."""
    returns: str = "int"  # int, float, double, pointer, void
    pointer_args: tuple[int, ...] = ()  # integer-register positions of pointer parameters
    int_args: int = 0  # how many integer-register arguments


@dataclass
class _Body:
    lines: list[str]
    start: int  # index of the label line
    end: int  # one past the last line of the function
    entry: int  # index where code starts (after the label and endbr64)
    rets: list[int]


def _is_label(stmt: str) -> bool:
    return stmt.endswith(":") and " " not in stmt


def _locate(lines: list[str], function: str | None, arch: str) -> tuple[str, _Body]:
    labels = {}
    for i, raw in enumerate(lines):
        for stmt in split_statements(_strip_comment(raw, arch)):
            if _is_label(stmt) and not stmt.startswith(".L"):
                labels.setdefault(stmt[:-1], i)
    if function is None:
        globl = [m.group(1) for l in lines for m in [re.match(r"\s*\.globl\s+(\S+)", l)] if m]
        function = next((g for g in globl if g in labels), None) or next(iter(labels), None)
    if function is None or function not in labels:
        raise MutationError(f"function {function!r} is not defined in the assembly")
    start = labels[function]
    end = len(lines)
    for i in range(start + 1, len(lines)):
        stmt = _strip_comment(lines[i], arch)
        if (_is_label(stmt) and not stmt.startswith(".L")) or re.match(r"\.(size|section|data|bss|text)\b", stmt):
            end = i
            break
    entry = start + 1
    while entry < end and (_strip_comment(lines[entry], arch) in ("", "endbr64")
                           or _strip_comment(lines[entry], arch).startswith(".")):
        entry += 1
    rets = [i for i in range(start, end) if re.fullmatch(r"(rep\s+)?ret[q]?", _strip_comment(lines[i], arch))]
    return function, _Body(lines, start, end, entry, rets)


def _instructions(body: _Body, arch: str) -> list[int]:
    out = []
    for i in range(body.entry, body.end):
        stmt = _strip_comment(body.lines[i], arch)
        if stmt and not stmt.startswith(".") and not stmt.endswith(":"):
            out.append(i)
    return out


def _insert(lines: list[str], index: int, new: list[str]) -> list[str]:
    return lines[:index] + ["\t" + n for n in new] + lines[index:]


def _before_rets(body: _Body, new: list[str]) -> list[str]:
    if not body.rets:
        raise MutationError("the function has no return instruction")
    lines = list(body.lines)
    for r in reversed(body.rets):
        lines = _insert(lines, r, new)
    return lines


_X86_RET = {"rax": "r11", "eax": "r11d", "ax": "r11w", "al": "r11b"}
_X86_ARGS = ["rdi", "rsi", "rdx", "rcx", "r8", "r9"]
_X86_ARG32 = {"rdi": "edi", "rsi": "esi", "rdx": "edx", "rcx": "ecx", "r8": "r8d", "r9": "r9d"}


def mutate(text: str, arch: str, category: str, function: str | None = None, seed: int = 0,
           shape: Shape | None = None) -> str:
    """`text` with one fault of `category` injected into `function`."""
    if category not in INJECTABLE:
        raise MutationError(f"unknown category {category!r} (injectable: {', '.join(INJECTABLE)})")
    shape = shape or Shape()
    rng = random.Random(seed)
    lines = text.splitlines()
    name, body = _locate(lines, function, arch)
    insns = _instructions(body, arch)
    if not insns:
        raise MutationError(f"{name} has no instructions")
    x86 = arch == "x86-64"
    tag = f".Lncc_mut{seed}"

    if category == "asm.syntax":
        i = rng.choice(insns)
        stmt = lines[i].strip()
        word = stmt.split(None, 1)[0]
        lines[i] = lines[i].replace(word, word + "zz", 1)
    elif category == "symbol.undefined":
        uses = [i for i in insns if re.search(r"\.L\w+", _strip_comment(lines[i], arch))]
        if uses:
            i = rng.choice(uses)
            lines[i] = re.sub(r"(\.L\w+)", r"\1_undefined", lines[i], count=1)
        else:
            lines = _insert(lines, body.entry, ["jmp .Lncc_nowhere" if x86 else "b .Lncc_nowhere"])
    elif category == "symbol.duplicate":
        lines.insert(body.end, f"{name}:")
    elif category == "symbol.missing_entry":
        lines = [re.sub(rf"(?<![\w.$]){re.escape(name)}(?![\w.$])", name + "_renamed", l) for l in lines]
    elif category == "symbol.unknown_external":
        lines = _insert(lines, body.entry, ["call ncc_no_such_function" if x86 else "bl ncc_no_such_function"])
    elif category == "register.callee_saved":
        reg = rng.choice(["rbx", "r12", "r13", "r14", "r15"]) if x86 else rng.choice([f"x{i}" for i in range(19, 29)])
        lines = _before_rets(body, [f"movq $12345, %{reg}" if x86 else f"mov {reg}, #12345"])
    elif category == "register.stack_pointer":
        pops = [i for i in insns if re.fullmatch(r"(popq\s+%rbp|leave|leaveq)", lines[i].strip())] if x86 else []
        if pops:
            del lines[rng.choice(pops)]
        else:
            lines = _before_rets(body, ["addq $8, %rsp" if x86 else "add sp, sp, #16"])
    elif category == "register.return_unset":
        lines = _return_unset(lines, body, insns, arch, shape)
    elif category == "register.uninitialized_read":
        lines = _uninitialized(lines, body, insns, arch, shape)
    elif category == "memory.unmapped_read":
        lines = _insert(lines, body.entry, ["xorl %r11d, %r11d", "movl 16(%r11), %r11d"] if x86
                        else ["mov x17, #16", "ldr w17, [x17]"])
    elif category == "memory.unmapped_write":
        lines = _insert(lines, body.entry, ["xorl %r11d, %r11d", "movl %r11d, 16(%r11)"] if x86
                        else ["mov x17, #16", "str w17, [x17]"])
    elif category == "memory.unmapped_fetch":
        lines = _insert(lines, body.entry, ["movl $0x1230, %r11d", "jmp *%r11"] if x86
                        else ["mov x17, #0x1230", "br x17"])
    elif category == "memory.readonly_write":
        lines = _insert(lines, body.entry, [f"leaq {name}(%rip), %r11", "movl %r11d, (%r11)"] if x86
                        else [f"adr x17, {name}", "str w17, [x17]"])
    elif category == "memory.out_of_bounds":
        if not shape.pointer_args:
            raise MutationError("no pointer parameter to run past")
        k = shape.pointer_args[0]
        reg = _X86_ARGS[k] if x86 else f"x{k}"
        lines = _insert(lines, body.entry, [f"movq %{reg}, %r11", f"{tag}:", "movb (%r11), %r10b", "incq %r11",
                                             f"jmp {tag}"] if x86 else
                        [f"mov x16, {reg}", f"{tag}:", "ldrb w17, [x16], #1", f"b {tag}"])
    elif category == "memory.stack":
        lines = _insert(lines, body.entry, [f"{tag}:", "pushq $0", f"jmp {tag}"] if x86
                        else [f"{tag}:", "str xzr, [sp, #-16]!", f"b {tag}"])
    elif category == "control.timeout":
        lines = _insert(lines, body.entry, [f"{tag}:", f"jmp {tag}" if x86 else f"b {tag}"])
    elif category == "control.invalid_instruction":
        if not x86:  # keystone assembles no undefined AArch64 instruction, and data in code is refused
            raise MutationError("no undefined AArch64 instruction can be written as an instruction")
        lines = _insert(lines, body.entry, ["ud2"])
    elif category == "asm.forbidden":
        section, content = _FORBIDDEN[seed % len(_FORBIDDEN)]
        content = content.format(name=name).replace(".quad", ".quad" if x86 else ".xword")
        lines = lines + [section, content]
    elif category == "control.forbidden_instruction":
        # saved around it where it writes registers, so that only the instruction itself is wrong
        insn = _SYSTEM[arch][seed % 4]
        save, restore = (["pushq %rax", "pushq %rcx", "pushq %rdx", "pushq %r11"],
                         ["popq %r11", "popq %rdx", "popq %rcx", "popq %rax"]) if x86 else ([], [])
        lines = _insert(lines, body.entry, save + [insn] + restore)
    elif category == "control.divide_error":
        if not x86:
            raise MutationError("AArch64 division by zero does not trap")
        lines = _insert(lines, body.entry, ["pushq %rax", "pushq %rdx", "xorl %r11d, %r11d", "xorl %edx, %edx",
                                            "divl %r11d", "popq %rdx", "popq %rax"])
    elif category == "memory.uninitialized_read":
        lines = _before_rets(body, _stack_read(arch, shape))
    elif category == "control.bad_return":
        lines = _before_rets(body, ["movq $0x1230, (%rsp)" if x86 else "mov x30, #0x1230"])
    elif category == "semantic.wrong_output":
        lines = _wrong_output(lines, body, insns, arch, shape, rng, seed % VARIANTS[category])
    return "\n".join(lines) + "\n"


def _return_unset(lines, body, insns, arch, shape: Shape) -> list[str]:
    """Move the whole computation off the return register, so it is never written."""
    if shape.returns == "void":
        raise MutationError("the function returns void")
    text = "\n".join(lines[i] for i in insns)
    if re.search(r"\b(call|bl|blr)\b", text):
        raise MutationError("the function calls others (their results arrive in the return register)")
    x86 = arch == "x86-64"
    if shape.returns in ("float", "double"):
        if x86:
            if "xmm15" in text:
                raise MutationError("xmm15 is in use")
            new = [re.sub(r"%xmm0\b", "%xmm15", lines[i]) for i in insns]
            prologue = ["movaps %xmm0, %xmm15"]
        else:
            if re.search(r"\b[sdvq]31\b", text):
                raise MutationError("v31 is in use")
            new = [re.sub(r"\b([sdqv])0\b", r"\g<1>31", lines[i]) for i in insns]
            prologue = ["mov v31.16b, v0.16b"]
    elif x86:
        if re.search(r"\b(cltd|cqto|cltq|cwtl|idiv\w*|div\w*|mul[lqwb]?|stos\w*|lods\w*|scas\w*|movs[bwlq]?|cmpxchg)\b",
                     text) or "r11" in text:
            raise MutationError("the function uses rax implicitly")
        new = [re.sub(r"%(rax|eax|ax|al)\b", lambda m: "%" + _X86_RET[m.group(1)], lines[i]) for i in insns]
        prologue = []
    else:
        if re.search(r"\b[wx]15\b", text):
            raise MutationError("x15 is in use")
        new = [re.sub(r"\b([wx])0\b", r"\g<1>15", lines[i]) for i in insns]
        prologue = ["mov x15, x0"]
    lines = list(lines)
    for i, n in zip(insns, new):
        lines[i] = n
    return _insert(lines, body.entry, prologue)


def _uninitialized(lines, body, insns, arch, shape: Shape) -> list[str]:
    """Read an argument from a scratch register that holds no argument."""
    x86 = arch == "x86-64"
    lines = list(lines)
    regs = _X86_ARGS[:max(shape.int_args, 1)] if x86 else [f"x{i}" for i in range(max(shape.int_args, 1))]
    for i in insns:
        stmt = lines[i]
        for reg in regs:
            names = (reg, _X86_ARG32[reg]) if x86 else (reg, "w" + reg[1:])
            for nm in names:
                pattern = rf"%{nm}\b" if x86 else rf"\b{nm}\b"
                parts = stmt.strip().split(None, 1)
                if len(parts) < 2 or not re.search(pattern, parts[1]):
                    continue
                operands = parts[1]
                # only a source operand: the first operand in AT&T, not the first in AArch64
                if x86:
                    first = operands.split(",")[0]
                    if re.search(pattern, first):
                        scratch = "%r10" if nm == reg else "%r10d"
                        lines[i] = stmt.replace(first, re.sub(pattern, scratch, first), 1)
                        return lines
                else:
                    ops = operands.split(",", 1)
                    if len(ops) == 2 and re.search(pattern, ops[1]) or parts[0].startswith("str"):
                        scratch = "x10" if nm.startswith("x") else "w10"
                        target = ops[0] if parts[0].startswith(("str", "stp")) else ops[1]
                        lines[i] = stmt.replace(target, re.sub(pattern, scratch, target), 1)
                        return lines
    raise MutationError("no argument register is read")


def _stack_read(arch: str, shape: Shape) -> list[str]:
    """Add a stack word nobody wrote (far below the stack pointer) into the return value."""
    x86 = arch == "x86-64"
    if shape.returns == "void":
        raise MutationError("the function returns void")
    if shape.returns in ("float", "double"):
        size = "ss" if shape.returns == "float" else "sd"
        reg = "s" if shape.returns == "float" else "d"
        return [f"add{size} -40000(%rsp), %xmm0"] if x86 else \
            ["mov x9, #40000", "sub x9, sp, x9", f"ldr {reg}16, [x9]", f"fadd {reg}0, {reg}0, {reg}16"]
    return ["addq -40000(%rsp), %rax"] if x86 else \
        ["mov x9, #40000", "sub x9, sp, x9", "ldr x9, [x9]", "add x0, x0, x9"]


def _wrong_output(lines, body, insns, arch, shape: Shape, rng, variant: int = 0) -> list[str]:
    """Hand-written wrong outputs: (0) the result changed just before returning, (1) a conditional
    jump's condition off by one (`jl` -> `jle`), (2) an immediate operand one larger."""
    x86 = arch == "x86-64"
    if variant == 1:
        swaps = {"jl": "jle", "jle": "jl", "jg": "jge", "jge": "jg", "jb": "jbe", "jbe": "jb", "ja": "jae",
                 "jae": "ja"} if x86 else {"b.lt": "b.le", "b.le": "b.lt", "b.gt": "b.ge", "b.ge": "b.gt",
                                           "b.hi": "b.cs", "b.cs": "b.hi", "b.ls": "b.cc", "b.cc": "b.ls"}
        # a condition on a comparison with a constant (not a loop bound, which would run past a buffer)
        following = dict(zip(insns, insns[1:]))  # each instruction -> the next one
        sites = [(j, lines[j].split(None, 1)[0]) for i, j in following.items()
                 if re.match(r"\s*(cmp\w*\s+\$|cmp\s+[wx]\d+,\s*#)", lines[i]) and lines[j].split(None, 1)[0] in swaps]
        if not sites:
            raise MutationError("no ordered comparison with a constant to change")
        i, word = sites[0]
        lines = list(lines)
        lines[i] = lines[i].replace(word, swaps[word], 1)
        return lines
    if variant == 2:
        pattern = r"\$(-?\d+)\b" if x86 else r"#(-?\d+)\b"
        # a value moved or compared (not a pointer step or a frame offset, which would run past a buffer)
        moves = r"\s*(mov|cmp)[lqwb]?\s" if x86 else r"\s*(mov|cmp)\s+[wx]\d"
        sites = [i for i in insns if re.match(moves, lines[i]) and re.search(pattern, lines[i])
                 and not re.search(r"%[re]?sp|\bsp\b|x29|%rbp", lines[i])]
        if not sites:
            raise MutationError("no immediate operand to change")
        lines = list(lines)
        i = sites[0]
        lines[i] = re.sub(pattern, lambda m: m.group(0)[0] + str(int(m.group(1)) + 1), lines[i], count=1)
        return lines
    if shape.returns in ("int", "pointer"):
        return _before_rets(body, ["addq $1, %rax" if x86 else "add x0, x0, #1"])
    if shape.returns in ("float", "double"):
        op = ("addss %xmm0, %xmm0" if shape.returns == "float" else "addsd %xmm0, %xmm0") if x86 else \
            ("fadd s0, s0, s0" if shape.returns == "float" else "fadd d0, d0, d0")
        return _before_rets(body, [op])
    swaps = [(i, m) for i in insns for m in [re.match(r"\s*(addl|subl|add|sub)\b(.*)", lines[i])]
             if m and "sp" not in m.group(2) and "rbp" not in m.group(2) and "x29" not in m.group(2)]
    if not swaps:
        raise MutationError("no arithmetic to change")
    i, m = rng.choice(swaps)
    flip = {"addl": "subl", "subl": "addl", "add": "sub", "sub": "add"}[m.group(1)]
    lines = list(lines)
    lines[i] = lines[i].replace(m.group(1), flip, 1)
    return lines


def applicable(text: str, arch: str, function: str | None = None, shape: Shape | None = None) -> list[str]:
    out = []
    for cat in INJECTABLE:
        try:
            mutated = mutate(text, arch, cat, function, shape=shape)
        except MutationError:
            continue
        if mutated != text:
            out.append(cat)
    return out


def shape_of(spec) -> Shape:
    """The Shape of a parsed FunctionSpec (see signature.py)."""
    from neuralcc.cbase.ctype import FloatType, PointerType, VoidType

    ret = spec.ret
    returns = ("void" if isinstance(ret, VoidType) else "pointer" if isinstance(ret, PointerType)
               else ("float" if ret.bytes == 4 else "double") if isinstance(ret, FloatType) else "int")
    pointer_args, position = [], 0
    for p in spec.params:
        if isinstance(p.type, FloatType):
            continue
        if isinstance(p.type, PointerType):
            pointer_args.append(position)
        position += 1
    return Shape(returns, tuple(pointer_args), position)


_X86_SWAPS = {"add": "sub", "sub": "add", "imul": "add", "and": "or", "or": "and", "xor": "and", "shl": "shr",
              "shr": "shl", "sal": "sar", "sar": "shl", "jl": "jle", "jle": "jl", "jg": "jge", "jge": "jg",
              "jb": "jbe", "jbe": "jb", "ja": "jae", "jae": "ja", "je": "jne", "jne": "je", "setl": "setle",
              "setle": "setl", "setg": "setge", "setge": "setg", "sete": "setne", "setne": "sete"}
_ARM_SWAPS = {"add": "sub", "sub": "add", "mul": "add", "and": "orr", "orr": "and", "eor": "orr", "lsl": "lsr",
              "lsr": "lsl", "asr": "lsl", "b.lt": "b.le", "b.le": "b.lt", "b.gt": "b.ge", "b.ge": "b.gt",
              "b.eq": "b.ne", "b.ne": "b.eq", "b.hi": "b.cs", "b.cs": "b.hi", "b.ls": "b.cc", "b.cc": "b.ls",
              "fadd": "fsub", "fsub": "fadd", "fmul": "fadd", "sdiv": "udiv"}
_X86_SUFFIX = re.compile(r"^(add|sub|imul|and|or|xor|shl|shr|sal|sar)([bwlq]?)$")


def perturb(text: str, arch: str, seed: int = 0) -> tuple[str, str]:
    """One random small change to a constant or an operator: (mutant, what changed).

    The verifier's liveness measure: gcc's assembly with one such change should almost always be caught.
    """
    rng = random.Random(seed)
    lines = text.splitlines()
    sites = []  # (line index, new statement)
    for i, raw in enumerate(lines):
        stmt = _strip_comment(raw, arch)
        if not stmt or stmt.startswith(".") or stmt.endswith(":"):
            continue
        word = stmt.split(None, 1)[0]
        rest = stmt[len(word):]
        if arch == "x86-64":
            m = _X86_SUFFIX.match(word)
            base, suffix = (m.group(1), m.group(2)) if m else (word, "")
            if base in _X86_SWAPS:
                sites.append((i, _X86_SWAPS[base] + suffix + rest))
            constants = re.finditer(r"(?<![\w.])\$?(-?\d+)\b", rest)  # immediates and displacements
        else:
            if word in _ARM_SWAPS:
                sites.append((i, _ARM_SWAPS[word] + rest))
            constants = re.finditer(r"(?<![\w.])#?(-?\d+)\b", rest)
        for c in constants:
            value = str(int(c.group(1)) + 1)
            sites.append((i, word + rest[:c.start(1)] + value + rest[c.end(1):]))
    if not sites:
        raise MutationError("no constant or operator to change")
    i, new = rng.choice(sites)
    old = lines[i].strip()
    lines[i] = "\t" + new
    return "\n".join(lines) + "\n", f"line {i + 1}: {old} -> {new}"


# -- equivalent rewrites: changes a correct verifier must not flag ------------------------------------
EQUIVALENT = ("nop at entry", "nop before returns", "saved pair", "comments", "labels renamed",
              "label before returns", "aligned entry", "dead code after", "set label", "explicit return",
              "self move", "hot section", "spaced operands")


def rewrite(text: str, arch: str, kind: str, function: str | None = None) -> str:
    """`text` changed in a way that keeps its behaviour (a benchmark's false-alarm check)."""
    lines = text.splitlines()
    name, body = _locate(lines, function, arch)
    x86 = arch == "x86-64"
    if kind == "nop at entry":
        lines = _insert(lines, body.entry, ["nop"])
    elif kind == "nop before returns":
        lines = _before_rets(body, ["nop"])
    elif kind == "saved pair":  # two callee-saved registers saved and restored: alignment kept
        save, restore = (["pushq %rbx", "pushq %r12"], ["popq %r12", "popq %rbx"]) if x86 else \
            (["stp x19, x20, [sp, #-16]!"], ["ldp x19, x20, [sp], #16"])
        lines = _insert(_before_rets(body, restore), body.entry, save)
    elif kind == "comments":
        mark = "#" if x86 else "//"
        lines = [f"{l}\t{mark} a comment" if l.strip() and not l.strip().startswith(".") else l for l in lines]
        lines.insert(body.start, f"/* {name}, rewritten */")
    elif kind == "labels renamed":
        lines = [re.sub(r"(?<![\w.$])\.L(\d+)\b", r".Lrenamed\1", l) for l in lines]
    elif kind == "label before returns":
        lines = list(body.lines)
        for k, r in enumerate(reversed(body.rets)):
            lines.insert(r, f".Lncc_ret{k}:")
    elif kind == "aligned entry":
        lines.insert(body.start, "\t.p2align 5")
    elif kind == "dead code after":
        if not body.rets:
            raise MutationError("the function has no return instruction")
        lines = _insert(lines, body.rets[-1] + 1, ["movl $1, %eax" if x86 else "mov w0, #1", "ret"])
    elif kind == "set label":  # `.set X, .` defines a label, as gcc writes for some aliases
        lines.insert(body.entry, f"\t.set .Lncc_here, .")
    elif kind == "explicit return":
        for r in body.rets:
            lines[r] = "\tretq" if x86 else "\tret x30"
    elif kind == "self move":
        lines = _insert(lines, body.entry, ["movq %rax, %rax" if x86 else "mov x9, x9"])
    elif kind == "hot section":
        lines.insert(body.start, '\t.section .text.hot,"ax"')
    elif kind == "spaced operands":
        lines = [re.sub(r",\s*", ",  ", l) if l.strip() and not l.strip().startswith((".", '"')) else l
                 for l in lines]
    else:
        raise MutationError(f"unknown rewrite {kind!r} (known: {', '.join(EQUIVALENT)})")
    return "\n".join(lines) + "\n"
