"""The C library both sides of a comparison call: served in Python at stub addresses.

When emulated code calls, say, `strlen`, it jumps into the image's stub page, which is mapped without
execute permission; the fetch fault hands control to `Libc.call`, which reads the arguments through the
ABI, does the work on emulated memory, sets the return register and resumes at the return address.
Reference and candidate get the same implementation, so only the code under test can differ.
"""
from __future__ import annotations

import math
import re
import struct
from dataclasses import dataclass, field
from typing import Callable, Protocol

from .memorymap import HEAP, HEAP_SIZE, LIBC_DATA


class LibcFault(Exception):
    """The emulated program misused the library (bad pointer, exit, failed assert...)."""

    def __init__(self, kind: str, message: str, address: int | None = None):
        super().__init__(message)
        self.kind, self.message, self.address = kind, message, address


class CallContext(Protocol):
    def arg_int(self, i: int) -> int: ...
    def arg_float(self, i: int, double: bool) -> float: ...
    def stack_arg(self, i: int) -> int: ...
    def read(self, address: int, size: int) -> bytes: ...
    def write(self, address: int, data: bytes) -> None: ...
    def int_arg_count(self) -> int: ...
    def float_arg_count(self) -> int: ...


# glibc's ctype bits on little-endian machines
_UPPER, _LOWER, _ALPHA, _DIGIT, _XDIGIT, _SPACE, _PRINT, _GRAPH = (0x100, 0x200, 0x400, 0x800, 0x1000,
                                                                   0x2000, 0x4000, 0x8000)
_BLANK, _CNTRL, _PUNCT, _ALNUM = 0x1, 0x2, 0x4, 0x8
CTYPE_B = LIBC_DATA + 0x100
CTYPE_UPPER = LIBC_DATA + 0x400
CTYPE_LOWER = LIBC_DATA + 0xA00


def _ctype_bits(c: int) -> int:
    if c < 0 or c > 127:
        return 0
    ch = chr(c)
    bits = 0
    if ch.isupper():
        bits |= _UPPER | _ALPHA | _ALNUM
    if ch.islower():
        bits |= _LOWER | _ALPHA | _ALNUM
    if ch.isdigit():
        bits |= _DIGIT | _XDIGIT | _ALNUM
    if ch in "abcdefABCDEF":
        bits |= _XDIGIT
    if ch in " \t\n\v\f\r":
        bits |= _SPACE
    if ch in " \t":
        bits |= _BLANK
    if 32 <= c < 127:
        bits |= _PRINT
        if c != 32:
            bits |= _GRAPH
            if not ch.isalnum():
                bits |= _PUNCT
    if c < 32 or c == 127:
        bits |= _CNTRL
    return bits


def libc_data_image() -> bytes:
    """Contents of the LIBC_DATA pages: pointer cells, then the three ctype tables indexed -128..255."""
    data = bytearray(0x1000)
    struct.pack_into("<QQQ", data, 0, CTYPE_B + 256, CTYPE_UPPER + 512, CTYPE_LOWER + 512)
    for i, c in enumerate(range(-128, 256)):
        struct.pack_into("<H", data, 0x100 + 2 * i, _ctype_bits(c))
        up = c - 32 if 97 <= c <= 122 else c
        low = c + 32 if 65 <= c <= 90 else c
        struct.pack_into("<i", data, 0x400 + 4 * i, up)
        struct.pack_into("<i", data, 0xA00 + 4 * i, low)
    return bytes(data)


@dataclass
class Heap:
    """A bump allocator; blocks are never reused within one call, so dangling pointers stay visible."""
    top: int = HEAP
    blocks: dict[int, int] = field(default_factory=dict)
    freed: set[int] = field(default_factory=set)

    def reset(self) -> None:
        self.top = HEAP
        self.blocks.clear()
        self.freed.clear()

    def alloc(self, size: int) -> int:
        size = max(size, 1)
        address = (self.top + 15) & ~15
        if address + size > HEAP + HEAP_SIZE or size > HEAP_SIZE:
            return 0
        self.blocks[address] = size
        self.top = address + size + 16  # a 16-byte gap between blocks
        return address

    def block_of(self, address: int) -> tuple[int, int] | None:
        for start, size in self.blocks.items():
            if start <= address < start + size:
                return start, size
        return None


_FMT = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d+))?(hh|h|ll|l|z|j|t|L)?([diouxXcsfFeEgGp%])")
_FILL = 0xBE  # malloc'd memory starts with this byte on both sides
MAX_FIELD = 4096  # printf width or precision
MAX_OUTPUT = 1 << 20  # bytes one call may print, or format into a string


class Libc:
    def __init__(self) -> None:
        self.heap = Heap()
        self.stdout = bytearray()
        self.rand_state = 1
        self.calls: dict[str, Callable[[CallContext], tuple[str, int | float] | None]] = {
            name[3:]: getattr(self, name) for name in dir(self) if name.startswith("fn_")
        }

    @property
    def served(self) -> set[str]:
        return set(self.calls)

    def reset(self) -> None:
        self.heap.reset()
        self.stdout.clear()
        self.rand_state = 1

    def call(self, name: str, ctx: CallContext) -> tuple[str, int | float] | None:
        """Run one library function; returns ('int', v) / ('float'|'double', v) for the return register."""
        return self.calls[name](ctx)

    # -- helpers ---------------------------------------------------------------------------------
    @staticmethod
    def cstring(ctx: CallContext, address: int, limit: int | None = None) -> bytes:
        """The NUL-terminated string at `address`; with `limit`, at most that many bytes (strn*)."""
        bounded = limit is not None
        limit = limit if bounded else 1 << 20
        if address == 0:
            raise LibcFault("memory.unmapped_read", "NULL string passed to the C library", 0)
        out = bytearray()
        while len(out) < limit:
            chunk_len = min(64 - (address + len(out)) % 64, limit - len(out))
            chunk = ctx.read(address + len(out), chunk_len)
            end = chunk.find(b"\0")
            if end >= 0:
                out += chunk[:end]
                return bytes(out)
            out += chunk
        if bounded:
            return bytes(out)
        raise LibcFault("control.timeout", "unterminated string")

    def _alloc(self, ctx: CallContext, size: int, fill: int | None = _FILL) -> int:
        address = self.heap.alloc(size)
        if address and fill is not None:
            ctx.write(address, bytes([fill]) * max(size, 1))
        return address

    # -- memory ----------------------------------------------------------------------------------
    def fn_malloc(self, ctx):
        return "int", self._alloc(ctx, ctx.arg_int(0))

    def fn_calloc(self, ctx):
        n, size = ctx.arg_int(0), ctx.arg_int(1)
        return "int", self._alloc(ctx, n * size, fill=0)

    def fn_realloc(self, ctx):
        old, size = ctx.arg_int(0), ctx.arg_int(1)
        new = self._alloc(ctx, size)
        if old and new:
            block = self.heap.blocks.get(old)
            if block is None:
                raise LibcFault("memory.unmapped_read", f"realloc of a pointer malloc did not return ({old:#x})", old)
            ctx.write(new, ctx.read(old, min(block, size)))
            self.heap.freed.add(old)
        return "int", new

    def fn_free(self, ctx):
        p = ctx.arg_int(0)
        if p and p not in self.heap.blocks:
            raise LibcFault("memory.unmapped_write", f"free of a pointer malloc did not return ({p:#x})", p)
        self.heap.freed.add(p)
        return None

    def fn_memcpy(self, ctx):
        d, s, n = ctx.arg_int(0), ctx.arg_int(1), ctx.arg_int(2)
        if n:
            ctx.write(d, ctx.read(s, n))
        return "int", d

    fn_memmove = fn_memcpy

    def fn_memset(self, ctx):
        d, c, n = ctx.arg_int(0), ctx.arg_int(1) & 0xFF, ctx.arg_int(2)
        if n:
            ctx.write(d, bytes([c]) * n)
        return "int", d

    def fn_memcmp(self, ctx):
        a, b, n = ctx.arg_int(0), ctx.arg_int(1), ctx.arg_int(2)
        x, y = ctx.read(a, n) if n else b"", ctx.read(b, n) if n else b""
        return "int", (x > y) - (x < y)

    # -- strings ---------------------------------------------------------------------------------
    def fn_strlen(self, ctx):
        return "int", len(self.cstring(ctx, ctx.arg_int(0)))

    def fn_strcmp(self, ctx):
        a, b = self.cstring(ctx, ctx.arg_int(0)), self.cstring(ctx, ctx.arg_int(1))
        return "int", _cmp(a, b)

    def fn_strncmp(self, ctx):
        n = ctx.arg_int(2)
        a, b = self.cstring(ctx, ctx.arg_int(0), n), self.cstring(ctx, ctx.arg_int(1), n)
        return "int", _cmp(a[:n], b[:n])

    def fn_strcpy(self, ctx):
        d = ctx.arg_int(0)
        ctx.write(d, self.cstring(ctx, ctx.arg_int(1)) + b"\0")
        return "int", d

    def fn_stpcpy(self, ctx):
        d = ctx.arg_int(0)
        s = self.cstring(ctx, ctx.arg_int(1))
        ctx.write(d, s + b"\0")
        return "int", d + len(s)

    def fn_strncpy(self, ctx):
        d, n = ctx.arg_int(0), ctx.arg_int(2)
        s = self.cstring(ctx, ctx.arg_int(1), n)[:n]
        if n:
            ctx.write(d, s + b"\0" * (n - len(s)))
        return "int", d

    def fn_strcat(self, ctx):
        d = ctx.arg_int(0)
        ctx.write(d + len(self.cstring(ctx, d)), self.cstring(ctx, ctx.arg_int(1)) + b"\0")
        return "int", d

    def fn_strncat(self, ctx):
        d, n = ctx.arg_int(0), ctx.arg_int(2)
        ctx.write(d + len(self.cstring(ctx, d)), self.cstring(ctx, ctx.arg_int(1), n)[:n] + b"\0")
        return "int", d

    def fn_strchr(self, ctx):
        p, c = ctx.arg_int(0), ctx.arg_int(1) & 0xFF
        s = self.cstring(ctx, p)
        i = len(s) if c == 0 else s.find(bytes([c]))
        return "int", p + i if i >= 0 else 0

    def fn_strrchr(self, ctx):
        p, c = ctx.arg_int(0), ctx.arg_int(1) & 0xFF
        s = self.cstring(ctx, p)
        i = len(s) if c == 0 else s.rfind(bytes([c]))
        return "int", p + i if i >= 0 else 0

    def fn_strstr(self, ctx):
        p = ctx.arg_int(0)
        i = self.cstring(ctx, p).find(self.cstring(ctx, ctx.arg_int(1)))
        return "int", p + i if i >= 0 else 0

    def fn_strdup(self, ctx):
        s = self.cstring(ctx, ctx.arg_int(0))
        d = self._alloc(ctx, len(s) + 1)
        ctx.write(d, s + b"\0")
        return "int", d

    # -- numbers ---------------------------------------------------------------------------------
    def fn_abs(self, ctx):
        v = _signed(ctx.arg_int(0), 32)
        return "int", abs(v) & 0xFFFFFFFF

    def fn_labs(self, ctx):
        return "int", abs(_signed(ctx.arg_int(0), 64))

    fn_llabs = fn_labs

    def fn_atoi(self, ctx):
        value, _ = _parse_int(self.cstring(ctx, ctx.arg_int(0)), 10)
        return "int", value & 0xFFFFFFFF

    def fn_atol(self, ctx):
        value, _ = _parse_int(self.cstring(ctx, ctx.arg_int(0)), 10)
        return "int", value

    def fn_strtol(self, ctx):
        p, endp, base = ctx.arg_int(0), ctx.arg_int(1), _signed(ctx.arg_int(2), 32)
        value, used = _parse_int(self.cstring(ctx, p), base)
        if endp:
            ctx.write(endp, struct.pack("<Q", p + used))
        return "int", max(min(value, 2**63 - 1), -2**63)

    def fn_atof(self, ctx):
        value, _ = _parse_float(self.cstring(ctx, ctx.arg_int(0)))
        return "double", value

    def fn_strtod(self, ctx):
        p, endp = ctx.arg_int(0), ctx.arg_int(1)
        value, used = _parse_float(self.cstring(ctx, p))
        if endp:
            ctx.write(endp, struct.pack("<Q", p + used))
        return "double", value

    # -- pseudo-random numbers and time: deterministic, the same for both sides --------------------
    def fn_srand(self, ctx):
        self.rand_state = ctx.arg_int(0) & 0xFFFFFFFF
        return None

    def fn_rand(self, ctx):
        self.rand_state = (self.rand_state * 1103515245 + 12345) & 0xFFFFFFFF
        return "int", (self.rand_state >> 1) & 0x7FFFFFFF

    def fn_time(self, ctx):
        t = 0
        if ctx.arg_int(0):
            ctx.write(ctx.arg_int(0), t.to_bytes(8, "little"))
        return "int", t

    # -- ctype -----------------------------------------------------------------------------------
    def fn___ctype_b_loc(self, ctx):
        return "int", LIBC_DATA

    def fn___ctype_toupper_loc(self, ctx):
        return "int", LIBC_DATA + 8

    def fn___ctype_tolower_loc(self, ctx):
        return "int", LIBC_DATA + 16

    def fn_toupper(self, ctx):
        c = _signed(ctx.arg_int(0), 32)
        return "int", (c - 32 if 97 <= c <= 122 else c) & 0xFFFFFFFF

    def fn_tolower(self, ctx):
        c = _signed(ctx.arg_int(0), 32)
        return "int", (c + 32 if 65 <= c <= 90 else c) & 0xFFFFFFFF

    # -- output ----------------------------------------------------------------------------------
    def _print(self, text: bytes) -> None:
        if len(self.stdout) + len(text) > MAX_OUTPUT:
            raise LibcFault("control.timeout", f"more than {MAX_OUTPUT} bytes of printed text")
        self.stdout += text

    def fn_printf(self, ctx):
        text = self._format(ctx, ctx.arg_int(0), first_int=1)
        self._print(text)
        return "int", len(text)

    def fn_sprintf(self, ctx):
        text = self._format(ctx, ctx.arg_int(1), first_int=2)
        ctx.write(ctx.arg_int(0), text + b"\0")
        return "int", len(text)

    def fn_snprintf(self, ctx):
        d, n = ctx.arg_int(0), ctx.arg_int(1)
        text = self._format(ctx, ctx.arg_int(2), first_int=3)
        if n:
            ctx.write(d, text[: n - 1] + b"\0")
        return "int", len(text)

    def fn_puts(self, ctx):
        self._print(self.cstring(ctx, ctx.arg_int(0)) + b"\n")
        return "int", 1

    def fn_putchar(self, ctx):
        c = ctx.arg_int(0) & 0xFF
        self._print(bytes([c]))
        return "int", c

    def fn_exit(self, ctx):
        raise LibcFault("exit", f"exit({_signed(ctx.arg_int(0), 32)})")

    def fn_abort(self, ctx):
        raise LibcFault("exit", "abort()")

    def fn___assert_fail(self, ctx):
        expr = self.cstring(ctx, ctx.arg_int(0)).decode("latin-1")
        line = ctx.arg_int(2) & 0xFFFFFFFF
        raise LibcFault("assert", f"assertion failed at line {line}: {expr}")

    def _format(self, ctx: CallContext, fmt_address: int, first_int: int) -> bytes:
        """printf's formatting. A width or precision beyond MAX_FIELD, or text beyond MAX_OUTPUT in all, is
        a budget run out (control.timeout): `printf("%1500000000d")` would take gigabytes."""
        fmt = self.cstring(ctx, fmt_address).decode("latin-1")
        args = _VarArgs(ctx, first_int)
        out = []
        pos = formatted = 0  # `formatted`: characters written so far
        for m in _FMT.finditer(fmt):
            out.append(fmt[pos:m.start()])
            pos = m.end()
            flags, width, prec, length, conv = m.groups()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(_signed(args.next_int(), 32))
            if prec == "*":
                prec = str(_signed(args.next_int(), 32))
            for field in (width, prec):
                if field and abs(int(field)) > MAX_FIELD:
                    raise LibcFault("control.timeout", f"a printf field of {abs(int(field))} characters (the harness "
                                    f"formats at most {MAX_FIELD})")
            spec = "%" + flags + (width or "") + (f".{prec}" if prec is not None else "")
            if conv in "fFeEgG":
                out.append((spec + conv) % args.next_float())
            elif conv == "s":
                s = self.cstring(ctx, args.next_int()).decode("latin-1")
                out.append((spec + "s") % s)
            elif conv == "c":
                out.append((spec + "c") % chr(args.next_int() & 0xFF))
            elif conv == "p":
                out.append((spec + "s") % hex(args.next_int()))
            else:
                bits = 64 if length in ("l", "ll", "z", "j", "t") else 16 if length == "h" else 8 if length == "hh" else 32
                raw = args.next_int()
                value = _signed(raw, bits) if conv in "di" else raw & ((1 << bits) - 1)
                out.append((spec + ("d" if conv == "u" else conv)) % value)
            formatted += len(out[-2]) + len(out[-1])  # the text before the conversion, and the conversion
            if formatted > MAX_OUTPUT:
                raise LibcFault("control.timeout", f"more than {MAX_OUTPUT} bytes of formatted text")
        out.append(fmt[pos:])
        return "".join(out).encode("latin-1", "replace")


class _VarArgs:
    """Variadic arguments: the next integer / double, from registers first, then from the stack."""

    def __init__(self, ctx: CallContext, first_int: int):
        self.ctx, self.ints, self.floats, self.stack = ctx, first_int, 0, 0

    def next_int(self) -> int:
        if self.ints < self.ctx.int_arg_count():
            self.ints += 1
            return self.ctx.arg_int(self.ints - 1)
        self.stack += 1
        return self.ctx.stack_arg(self.stack - 1)

    def next_float(self) -> float:
        if self.floats < self.ctx.float_arg_count():
            self.floats += 1
            return self.ctx.arg_float(self.floats - 1, True)
        self.stack += 1
        return struct.unpack("<d", struct.pack("<Q", self.ctx.stack_arg(self.stack - 1)))[0]


def _signed(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def _cmp(a: bytes, b: bytes) -> int:
    for x, y in zip(a + b"\0", b + b"\0"):
        if x != y:
            return x - y
    return 0


def _parse_int(s: bytes, base: int) -> tuple[int, int]:
    m = re.match(rb"\s*([+-]?)(0[xX])?([0-9a-zA-Z]*)", s)
    sign, prefix, digits = m.group(1), m.group(2), m.group(3)
    if base == 0:
        base = 16 if prefix else 8 if digits.startswith(b"0") and len(digits) > 1 else 10
    elif prefix and base != 16:
        digits, prefix = b"0", None
    value, used = 0, 0
    for ch in digits:
        d = int(chr(ch), 36) if chr(ch).isalnum() else 99
        if d >= base:
            break
        value = value * base + d
        used += 1
    if used == 0:
        return 0, 0
    end = m.start(3) + used
    return (-value if sign == b"-" else value), end


def _parse_float(s: bytes) -> tuple[float, int]:
    m = re.match(rb"\s*[+-]?(?:inf(?:inity)?|nan|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)", s, re.I)
    if not m:
        return 0.0, 0
    return float(m.group(0)), m.end()


def _math(name: str, fn: Callable[..., float], arity: int, single: bool):
    def serve(self, ctx):
        args = [ctx.arg_float(i, not single) for i in range(arity)]
        try:
            value = fn(*args)
        except (ValueError, OverflowError, ZeroDivisionError):
            value = _ieee(fn, args)
        if single:
            value = struct.unpack("<f", struct.pack("<f", value))[0] if math.isfinite(value) and abs(value) < 3.4e38 \
                else value
        return ("float" if single else "double"), value
    serve.__name__ = f"fn_{name}"
    return serve


def _ieee(fn, args) -> float:
    """What glibc returns where Python's math raises (domain and range errors)."""
    try:
        import numpy as np
        with np.errstate(all="ignore"):
            table = {math.sqrt: np.sqrt, math.log: np.log, math.log10: np.log10, math.log2: np.log2,
                     math.exp: np.exp, math.pow: np.power, math.acos: np.arccos, math.asin: np.arcsin,
                     math.fmod: np.fmod}
            if fn in table:
                return float(table[fn](*[np.float64(a) for a in args]))
    except ImportError:
        pass
    return math.nan


def _round_half_away(x: float) -> float:
    if not math.isfinite(x):
        return x
    return math.copysign(math.floor(abs(x) + 0.5), x)


_MATH1 = {"sqrt": math.sqrt, "fabs": math.fabs, "floor": math.floor, "ceil": math.ceil, "trunc": math.trunc,
          "round": _round_half_away, "exp": math.exp, "log": math.log, "log10": math.log10, "log2": math.log2,
          "sin": math.sin, "cos": math.cos, "tan": math.tan, "asin": math.asin, "acos": math.acos,
          "atan": math.atan, "sinh": math.sinh, "cosh": math.cosh, "tanh": math.tanh, "cbrt": math.cbrt}
_MATH2 = {"pow": math.pow, "fmod": math.fmod, "atan2": math.atan2, "fmin": min, "fmax": max,
          "hypot": math.hypot}

for _name, _fn in _MATH1.items():
    setattr(Libc, f"fn_{_name}", _math(_name, lambda x, f=_fn: float(f(x)), 1, False))
    setattr(Libc, f"fn_{_name}f", _math(_name + "f", lambda x, f=_fn: float(f(x)), 1, True))
for _name, _fn in _MATH2.items():
    setattr(Libc, f"fn_{_name}", _math(_name, lambda x, y, f=_fn: float(f(x, y)), 2, False))
    setattr(Libc, f"fn_{_name}f", _math(_name + "f", lambda x, y, f=_fn: float(f(x, y)), 2, True))
