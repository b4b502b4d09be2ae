"""What a call produced, read back by type, and the first difference between two such observations."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from unicorn import UcError

from neuralcc.cbase.ctype import ArrayType, CType, FloatType, IntType, PointerType, StructType, VoidType

from .machine import Machine, RunResult
from .marshal import REDZONE, REDZONE_BYTE, FloatBits, Marshalled

MAX_DEPTH = 3


@dataclass
class Observation:
    ret: object
    buffers: dict[str, object]
    globals: dict[str, bytes]
    stdout: bytes
    redzone_hit: str | None = None  # a buffer whose underflow redzone was overwritten
    float_buffers: dict[str, int] = field(default_factory=dict)  # raw buffers of floats -> element width

    def items(self):
        yield "return value", self.ret
        for k, v in self.buffers.items():
            yield f"buffer {k}", v
        for k, v in self.globals.items():
            yield f"global {k}", v
        yield "stdout", self.stdout


@dataclass
class Difference:
    where: str
    reference: object
    candidate: object

    def __str__(self) -> str:
        return f"{self.where}: reference {_show(self.reference)}, candidate {_show(self.candidate)}"


def _show(v) -> str:
    text = repr(v.decode("latin-1")) if isinstance(v, bytes) else repr(v)
    return text if len(text) < 300 else text[:300] + "..."


def decode(t: CType, raw: bytes):
    if isinstance(t, IntType):
        if t.is_bool:
            return raw[0]
        return int.from_bytes(raw[:t.bytes], "little", signed=t.signed)
    if isinstance(t, FloatType):
        return FloatBits(int.from_bytes(raw[:t.bytes], "little"), t.bytes)
    if isinstance(t, StructType):
        return {f.name: decode(f.type, raw[f.offset:f.offset + f.type.size]) for f in t.fields}
    if isinstance(t, ArrayType):
        n, size = t.length or 0, t.elem.size
        return [decode(t.elem, raw[i * size:(i + 1) * size]) for i in range(n)]
    return raw


class Observer:
    """Reads a finished call's outputs from one machine."""

    def __init__(self, machine: Machine, ret: CType, globals_: dict[str, CType]):
        self.m, self.ret_type = machine, ret
        self.globals = {name: t for name, t in globals_.items() if name in machine.image.symbols}
        text = machine.image.parts
        self.static_ranges = [text["rodata"], text["data"], text["bss"]]

    def observe(self, run: RunResult, call: Marshalled) -> Observation:
        m = self.m
        buffers: dict[str, object] = {}
        float_buffers: dict[str, int] = {}
        redzone_hit = None
        for r in call.regions:
            raw = bytes(m.uc.mem_read(r.address - REDZONE, r.size + REDZONE))
            if redzone_hit is None and raw[:REDZONE] != bytes([REDZONE_BYTE]) * REDZONE:
                redzone_hit = r.path
            data = raw[REDZONE:]
            if isinstance(r.elem, PointerType):
                buffers[r.path] = [self.deref(r.elem, int.from_bytes(data[i:i + 8], "little"), run, call, 1)
                                   for i in range(0, len(data), 8)]
            else:
                buffers[r.path] = data
                if isinstance(r.elem, FloatType):
                    float_buffers[r.path] = r.elem.bytes
        globals_ = {}
        for name, t in self.globals.items():
            globals_[name] = bytes(m.uc.mem_read(m.image.symbols[name], max(t.size, 1)))
        return Observation(self.return_value(run, call), buffers, globals_, run.stdout, redzone_hit, float_buffers)

    def return_value(self, run: RunResult, call: Marshalled):
        t, res = self.ret_type, run.results
        if isinstance(t, VoidType):
            return None
        if isinstance(t, IntType):
            return decode(t, res.int0.to_bytes(8, "little"))
        if isinstance(t, FloatType):
            return decode(t, res.vec0)
        if isinstance(t, PointerType):
            return self.deref(t, res.int0, run, call, 0)
        return None

    def deref(self, t: PointerType, p: int, run: RunResult, call: Marshalled, depth: int):
        """A pointer, as what it points to: NULL, a place in an input, heap data, static data."""
        if p == 0:
            return "NULL"
        for r in call.regions:
            if r.address <= p <= r.address + r.size:
                return ("input", r.path, p - r.address)
        target = t.target
        is_char = isinstance(target, IntType) and target.bytes == 1 and target.is_char
        size = max(target.size, 1) if not isinstance(target, VoidType) else 1
        for start, length in run.heap.items():
            if start <= p < start + length:
                data = self._read(p, start + length - p)
                if is_char:
                    end = data.find(b"\0")
                    return ("heap", data if end < 0 else data[:end])
                items = [data[i:i + size] for i in range(0, len(data) - size + 1, size)]
                if isinstance(target, PointerType) and depth < MAX_DEPTH:
                    return ("heap", [self.deref(target, int.from_bytes(x, "little"), run, call, depth + 1)
                                     for x in items])
                return ("heap", [decode(target, x) for x in items])
        for lo, hi in self.static_ranges:
            if lo <= p < hi:
                data = self._read(p, min(hi - p, 4096))
                if is_char:
                    end = data.find(b"\0")
                    return ("static", data if end < 0 else data[:end])
                return ("static", decode(target, data[:size]))
        return ("wild", hex(p))

    def _read(self, address: int, size: int) -> bytes:
        try:
            return bytes(self.m.uc.mem_read(address, size))
        except UcError:
            return b""


def _floats(raw: bytes, width: int) -> list[FloatBits]:
    return [FloatBits(int.from_bytes(raw[i:i + width], "little"), width) for i in range(0, len(raw), width)]


def _float_close(a: FloatBits, b: FloatBits, ulp: int, rel_tol: float | None) -> bool:
    if a.bits == b.bits:
        return True
    x, y = a.value, b.value
    if rel_tol is not None and math.isfinite(x) and math.isfinite(y):
        if abs(x - y) <= rel_tol * max(abs(x), abs(y), 1e-30):
            return True
    if ulp and a.width == b.width:
        return abs(_ordered(a) - _ordered(b)) <= ulp
    return math.isnan(x) and math.isnan(y) and rel_tol is not None


def _ordered(f: FloatBits) -> int:
    """Map float bits onto integers so that adjacent floats differ by one."""
    sign = 1 << (8 * f.width - 1)
    return f.bits if not f.bits & sign else sign - f.bits


def same(a, b, ulp: int = 0, rel_tol: float | None = None) -> bool:
    if a == b:
        return True
    if not ulp and rel_tol is None:
        return False
    if isinstance(a, FloatBits) and isinstance(b, FloatBits):
        return _float_close(a, b, ulp, rel_tol)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and len(a) == len(b):
        return all(same(x, y, ulp, rel_tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return all(same(a[k], b[k], ulp, rel_tol) for k in a)
    return False


def first_difference(ref: Observation, cand: Observation, ulp: int = 0,
                     rel_tol: float | None = None) -> Difference | None:
    """The first output that differs; floats by exact bits unless `ulp` or `rel_tol` allow slack."""
    if not same(ref.ret, cand.ret, ulp, rel_tol):
        return Difference("return value", ref.ret, cand.ret)
    for name, value in ref.buffers.items():
        other = cand.buffers.get(name)
        if value == other:
            continue
        width = ref.float_buffers.get(name)
        if width and isinstance(other, bytes) and same(_floats(value, width), _floats(other, width), ulp, rel_tol):
            continue
        if not isinstance(value, bytes) and same(value, other, ulp, rel_tol):
            continue
        if isinstance(value, bytes) and isinstance(other, bytes):
            i = next((i for i, (a, b) in enumerate(zip(value, other)) if a != b), min(len(value), len(other)))
            return Difference(f"buffer {name} at byte {i}", value, other)
        return Difference(f"buffer {name}", value, other)
    for name, value in ref.globals.items():
        if name in cand.globals and cand.globals[name] != value:
            return Difference(f"global {name}", value, cand.globals[name])
    if ref.stdout != cand.stdout:
        return Difference("stdout", ref.stdout, cand.stdout)
    return None
