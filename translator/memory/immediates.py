"""Which instructions a constant fits in: what gcc's choice of code for a C literal depends on.

gcc -O0 writes `x + 7` as `add w0, w0, 7` on AArch64 but `x + 70000` as `mov w1, 4464; movk w1, 0x1,
lsl 16; add w0, w0, w1`: an AArch64 instruction holds only some immediates (a 12-bit unsigned one for
add/sub/cmp, a 16-bit chunk for mov, a rotated run of ones for and/orr/eor, 8 bits of a float for
fmov). x86-64 holds any 32-bit signed immediate and needs `movabsq` beyond. The translation memory
(templates.py) keys templates by these classes, so `x + 70000` is never written with `x + 7`'s template.
"""
from __future__ import annotations

_MASK = {32: 0xFFFFFFFF, 64: 0xFFFFFFFFFFFFFFFF}


def _width(v: int) -> int:
    """The register width a C literal is most likely used at: 32 bits if its value fits one."""
    return 32 if -(1 << 31) <= v < (1 << 32) else 64


def add_immediate(v: int) -> bool:
    """AArch64 add/sub/cmp/cmn: 12 bits, maybe shifted left by 12 (gcc turns a negative one around)."""
    a = abs(v)
    return a < 4096 or (a & 0xFFF == 0 and a >> 12 < 4096)


def _rotated_run(x: int, size: int) -> bool:
    """`x` (`size` bits) is a run of ones, rotated: neither all zeros nor all ones."""
    mask = (1 << size) - 1
    if x in (0, mask):
        return False
    for r in range(size):
        rot = ((x >> r) | (x << (size - r))) & mask
        if rot & (rot + 1) == 0:  # of the form 0..01..1
            return True
    return False


def logical_immediate(v: int, width: int | None = None) -> bool:
    """AArch64 and/orr/eor/tst: a rotated run of ones in an element of 2..64 bits, repeated."""
    width = width or _width(v)
    p = v & _MASK[width]
    size = 2
    while size <= width:
        element = p & ((1 << size) - 1)
        repeated = 0
        for shift in range(0, width, size):
            repeated |= element << shift
        if repeated == p and _rotated_run(element, size):
            return True
        size *= 2
    return False


def move_immediate(v: int, width: int | None = None) -> bool:
    """AArch64 `mov` in one instruction: movz or movn of one 16-bit chunk, or a logical immediate."""
    width = width or _width(v)
    p = v & _MASK[width]
    chunks = [(p >> shift) & 0xFFFF for shift in range(0, width, 16)]
    return sum(c != 0 for c in chunks) <= 1 or sum(c != 0xFFFF for c in chunks) <= 1 or logical_immediate(v, width)


_FMOV = {s * (16 + n) / 16 * 2.0 ** r for s in (1, -1) for n in range(16) for r in range(-3, 5)}


def float_immediate(x: float) -> bool:
    """AArch64 `fmov d0, x`: +-(16..31)/16 * 2^(-3..4)."""
    return x in _FMOV


def literal_class(arch: str, value: int | float) -> str:
    """A short code of the instructions `value` fits in, on `arch`; "" for the common case on x86-64."""
    if isinstance(value, float):
        if value == 0.0:
            return "z"  # gcc zeroes a register instead of loading a constant
        return "f" if arch == "aarch64" and float_immediate(value) else ""
    if arch == "aarch64":
        return "".join(code for code, fits in (("a", add_immediate(value)), ("m", move_immediate(value)),
                                                ("l", logical_immediate(value))) if fits)
    return "" if -(1 << 31) <= value < (1 << 31) else "w"  # beyond: movabsq
