"""Stack slots as symbols: the model names the variable, a deterministic pass places it.

At -O0 nearly every instruction reads or writes a variable's stack slot, and where gcc puts each
variable depends on every declaration of the function. A piece is decoded on its own, so the model
would have to recompute that layout in every piece. Instead its targets name the slot by the C
lvalue gcc's `-fverbose-asm` comments give for it, and `resolve` lays the frame out afterwards, the
way an assembler resolves labels:

    x86-64   movl  -12(%rbp), %eax       ->  movl  @i@(%rbp), %eax
             movl  -24(%rbp), %eax       ->  movl  @buf[2]@(%rbp), %eax
             subq  $48, %rsp             ->  subq  $@FRAME@, %rsp
    AArch64  ldr   w0, [sp, 68]          ->  ldr   w0, [sp, @i@]
             add   x1, sp, 48            ->  add   x1, sp, @buf@
             stp   x29, x30, [sp, -80]!  ->  stp   x29, x30, [sp, -@FRAME@]!

Our layout is not gcc's (any layout with disjoint, aligned slots computes the same results): every
variable in declaration order, x86-64 downward from %rbp, AArch64 upward from sp (above the saved
x29/x30 pair when the function stores one at the bottom of its frame); the frame is their size
rounded up to 16. The verifier judges the result like any other assembly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

SYMBOL = re.compile(r"@([A-Za-z_][\w.\[\]]*)@")
FRAME = "FRAME"
_LVALUE = re.compile(r"^((?:save\.)?[A-Za-z_]\w*)((?:\[[^\]]*\]|\.[A-Za-z_]\w*)*)$")
_PATH = re.compile(r"\[(\d+)\]|\.([A-Za-z_]\w*)")
_IDENT = re.compile(r"\b[A-Za-z_]\w*\b")
_SYMBOL_LABEL = re.compile(r"^([A-Za-z_][\w.$]*):\s*$")

# x86-64: `-12(%rbp)`, `-32(%rbp,%rax,4)`; the frame in `subq $48, %rsp`
_X86_SLOT = re.compile(r"(?<![\w$@.])(-?\d+)(?=\(%rbp[,)])")
_X86_FRAME = re.compile(r"^(\t(?:sub|add)q\t\$)(\d+)(, %rsp)$")
# AArch64: `[sp, 68]`, `[sp]`, `[x29, 16]`, `add x1, sp, 48`; the frame in pre/post-index and sp adjustments
_A64_SLOT = re.compile(r"\[(sp|x29)(?:, #?(-?\d+))?\](?!!)(?!, )")
_A64_ADDR = re.compile(r"^(\tadd\t[xw]\d+, (?:sp|x29), #?)(\d+)$")
_A64_PRE = re.compile(r"\[sp, #?-(\d+)\]!")
_A64_POST = re.compile(r"\[sp\], #?(\d+)$")
_A64_SP_ADJ = re.compile(r"^(\t(?:sub|add)\tsp, sp, #?)(\d+)$")
_A64_FRAME_RECORD = re.compile(r"^\t(?:stp|ldp)\tx29, x30, \[sp(?:, #?\d+)?\]$")


_CALLEE_SAVED = re.compile(r"%(rbx|r1[2-5])\b|\b([xd](?:19|2[0-8]|[89]|1[0-5]))\b")


class FrameError(ValueError):
    """The assembly's frame cannot be expressed with symbols (training data is dropped)."""


def _comment_split(line: str, arch: str) -> tuple[str, str]:
    mark = "#" if arch == "x86-64" else "//"
    code, _, comment = line.partition(mark)
    return code.rstrip(), comment.strip()


def _canonical_lvalue(entry: str, names: set[str]) -> str | None:
    """`buf[_4]` -> `buf` (a register index: the displacement is the array's base), `buf[2]`,
    `q.b` stay; temporaries (`tmp97`, `_5`, `c.0_8`) and dereferences are not slots."""
    m = _LVALUE.match(entry.strip())
    if not m or m.group(1) not in names:
        return None
    out = m.group(1)
    for part in re.findall(r"\[[^\]]*\]|\.[A-Za-z_]\w*", m.group(2)):
        if part.startswith("[") and not re.fullmatch(r"\[\d+\]", part):
            break
        out += part
    return out


def _stack_displacements(code: str, arch: str) -> list[int]:
    if arch == "x86-64":
        return [int(d) for d in _X86_SLOT.findall(code)]
    if _A64_FRAME_RECORD.match(code) or _A64_PRE.search(code) or _A64_POST.search(code) or _A64_SP_ADJ.match(code):
        return []
    out = [int(d or 0) for _, d in _A64_SLOT.findall(code)]
    m = _A64_ADDR.match(code)
    if m:
        out.append(int(m.group(2)))
    return out


def slot_maps(verbose_asm: str, arch: str, c_source: str) -> dict[str, dict[int, str]]:
    """Per function of gcc `-fverbose-asm` output: stack displacement -> the lvalue stored there.
    A function whose slots are ambiguous (two variables named at one displacement) is left out."""
    names = set(_IDENT.findall(c_source))
    evidence: dict[str, dict[int, dict[str, int]]] = {}
    fn = None
    for line in verbose_asm.splitlines():
        code, comment = _comment_split(line, arch)
        m = _SYMBOL_LABEL.match(code)
        if m and not m.group(1).startswith(".L"):
            fn = m.group(1)
            evidence.setdefault(fn, {})
            continue
        if fn is None or not code.startswith("\t") or code.lstrip().startswith("."):
            continue
        disps = _stack_displacements(code, arch)
        if len(disps) != 1:
            continue
        found = {lv for e in comment.split(",") if (lv := _canonical_lvalue(e, names))}
        if len(found) == 1:
            counts = evidence[fn].setdefault(disps[0], {})
            lv = found.pop()
            counts[lv] = counts.get(lv, 0) + 1
    maps: dict[str, dict[int, str]] = {}
    for fn, per in evidence.items():
        out = {}
        for disp, counts in per.items():
            roots = {re.match(r"\w+", lv).group(0) for lv in counts}
            if len(roots) > 1:
                break
            # the bare name when gcc used it there (`buf[_4]` -> `buf`, the base), else the commonest
            out[disp] = min(counts, key=lambda lv: (lv not in roots, -counts[lv], len(lv)))
        else:
            maps[fn] = out
    return maps


def symbolize(asm_lines: list[str], maps: dict[str, dict[int, str]], arch: str) -> list[str]:
    """gcc's (comment-free) assembly lines with every stack slot named. Raises FrameError when a slot
    has no name (a temporary gcc keeps on the stack, an unnamed part of an aggregate...)."""
    out, fn = [], None
    for line in asm_lines:
        m = _SYMBOL_LABEL.match(line)
        if m and not m.group(1).startswith(".L"):
            fn = m.group(1)
            out.append(line)
            continue
        if not line.startswith("\t") or line.lstrip().startswith("."):
            out.append(line)
            continue
        known = maps.get(fn)

        def name(disp: int) -> str:
            if known is not None and disp not in known:
                saved = _CALLEE_SAVED.search(line)  # a callee-saved register's save slot
                if saved:
                    return f"@save.{saved.group(1) or saved.group(2)}@"
            if known is None or disp not in known:
                raise FrameError(f"{fn}: no variable at stack displacement {disp}: {line.strip()}")
            return f"@{known[disp]}@"

        if arch == "x86-64":
            f = _X86_FRAME.match(line)
            if f:
                line = f"{f.group(1)}@{FRAME}@{f.group(3)}"
            else:
                line = _X86_SLOT.sub(lambda s: name(int(s.group(1))), line)
        else:
            f = _A64_SP_ADJ.match(line)
            if f:
                line = f"{f.group(1)}@{FRAME}@"
            elif _A64_PRE.search(line):
                line = _A64_PRE.sub(f"[sp, -@{FRAME}@]!", line)
            elif _A64_POST.search(line):
                line = _A64_POST.sub(f"[sp], @{FRAME}@", line)
            elif not _A64_FRAME_RECORD.match(line):
                a = _A64_ADDR.match(line)
                if a:
                    line = f"{a.group(1)}{name(int(a.group(2)))}"
                else:
                    line = _A64_SLOT.sub(lambda s: f"[{s.group(1)}, {name(int(s.group(2) or 0))}]", line)
        out.append(line)
    return out


# -- resolution: symbols -> a frame of our own --------------------------------------------------
@dataclass
class FrameLayout:
    offsets: dict[str, int]  # variable -> displacement (from %rbp on x86-64, from sp on AArch64)
    types: dict[str, object]  # variable -> its (largest) CType
    frame: int


def frame_layout(variables: dict[str, list], arch: str, record_at_bottom: bool, saved: list[str] = ()) -> FrameLayout:
    """`variables`: name -> CTypes (verifier.signature.frame_variables). One slot per name, sized for
    its largest declaration (two loops' `int i` share one: their lifetimes do not overlap). `saved`:
    callee-saved registers the function keeps in its frame (`save.rbx`): on x86-64 `pushq`ed right
    below %rbp in this order, on AArch64 stored in slots of their own."""
    from neuralcc.cbase.ctype import IntType

    offsets, types = {}, {}
    cursor = 16 if (arch == "aarch64" and record_at_bottom) else 0
    if arch == "x86-64":
        for i, reg in enumerate(saved):
            offsets[f"save.{reg}"], types[f"save.{reg}"] = -8 * (i + 1), IntType("long", 8)
        cursor = 8 * len(saved)
    else:
        variables = {**{f"save.{reg}": [IntType("long", 8)] for reg in saved}, **variables}
    for name, ctypes in variables.items():
        t = max(ctypes, key=lambda c: c.size)
        size, align = max(t.size, 1), max(max(c.align for c in ctypes), 1)
        types[name] = t
        if arch == "x86-64":
            cursor = -(-(cursor + size) // align * align)
            offsets[name] = -cursor
        else:
            cursor = -(-cursor // align * align)
            offsets[name] = cursor
            cursor += size
    return FrameLayout(offsets, types, -(-cursor // 16 * 16))


def address(lay: FrameLayout, lvalue: str) -> int | None:
    """Displacement of `buf[2]`, `q.b`, `i` in the layout; None if the lvalue does not fit the types."""
    m = _LVALUE.match(lvalue)
    if not m or m.group(1) not in lay.offsets:
        return None
    disp, t = lay.offsets[m.group(1)], lay.types[m.group(1)]
    for index, field_name in _PATH.findall(m.group(2)):
        if index:
            elem = getattr(t, "elem", None)
            if elem is None:
                return None
            disp, t = disp + int(index) * elem.size, elem
        else:
            f = next((f for f in getattr(t, "fields", ()) if f.name == field_name), None)
            if f is None:
                return None
            disp, t = disp + f.offset, f.type
    return disp


def resolve(text: str, variables: dict[str, dict[str, list]], arch: str) -> str:
    """Model text with symbols -> assembly. `variables`: function -> its frame variables. A symbol that
    names no variable of its function stays as written (the assembler then reports the line)."""
    parts: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.split("\n"):
        m = _SYMBOL_LABEL.match(line)
        if m and not m.group(1).startswith(".L"):
            parts.append((m.group(1), []))
        parts[-1][1].append(line)
    out: list[str] = []
    for name, lines in parts:
        if name in variables:
            record = arch == "aarch64" and any(f"stp\tx29, x30, [sp, -@{FRAME}@]!" in l for l in lines)
            if arch == "x86-64":
                saved = [m.group(1) for l in lines if (m := re.match(r"\tpushq\t%(r(?:bx|1[2-5]))$", l))]
            else:
                saved = list(dict.fromkeys(re.findall(r"@save\.(\w+)@", "\n".join(lines))))
            lines = _resolve_function(lines, frame_layout(variables[name], arch, record, saved))
        out.extend(lines)
    return "\n".join(out)


def _resolve_function(lines: list[str], lay: FrameLayout) -> list[str]:
    def sub(m: re.Match) -> str:
        if m.group(1) == FRAME:
            return str(lay.frame)
        disp = address(lay, m.group(1))
        return m.group(0) if disp is None else str(disp)

    return [SYMBOL.sub(sub, line) for line in lines]
