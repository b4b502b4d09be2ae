"""ABI marshalling: put an input into registers and memory, and read what the call produced.

Buffers go into their own slot, placed so that their last byte touches the unmapped guard page that
follows the slot (an overrun faults at once, like ASan's right redzone); a fixed pattern just before
each buffer shows writes below it. Outputs are read back by type: scalars compare as raw bytes
(floats by exact bits), pointers are followed and compared by what they point to, so two programs
that allocate at different addresses but build the same data agree.
"""
from __future__ import annotations

import struct
from dataclasses import dataclass

from neuralcc.cbase.ctype import ArrayType, CType, FloatType, IntType, PointerType, StructType

from .inputs import Buffer, Plan, Scalar, element_count
from .memorymap import SLOT_COUNT, SLOT_SIZE, slot_address

REDZONE = 32
REDZONE_BYTE = 0xA7


@dataclass(frozen=True)
class FloatBits:
    """A float compared by its exact bits, shown as its value."""
    bits: int
    width: int

    @property
    def value(self) -> float:
        fmt = "<f" if self.width == 4 else "<d"
        raw = struct.pack("<I" if self.width == 4 else "<Q", self.bits)
        return struct.unpack(fmt, raw)[0]

    def __repr__(self) -> str:
        return repr(self.value)


@dataclass
class Region:
    path: str
    address: int
    size: int
    elem: CType
    string: bool


@dataclass
class Marshalled:
    ints: list[int]
    floats: list[bytes]
    stack: list[int]
    writes: list[tuple[int, bytes]]
    regions: list[Region]


class TooLarge(Exception):
    """The input needs more slots or bigger slots than the layout has."""


def pack_element(t: CType, v) -> bytes:
    if isinstance(t, IntType):
        return (int(v) & ((1 << t.bits) - 1)).to_bytes(t.bytes, "little")
    if isinstance(t, FloatType):
        return struct.pack("<f" if t.bytes == 4 else "<d", v)
    if isinstance(t, StructType):
        out = bytearray(t.size)
        for f in t.fields:
            data = pack_element(f.type, v[f.name])
            out[f.offset:f.offset + len(data)] = data
        return bytes(out)
    if isinstance(t, ArrayType):
        return b"".join(pack_element(t.elem, x) for x in v)
    if isinstance(t, PointerType):
        return int(v).to_bytes(8, "little")
    raise TypeError(f"cannot pack {t}")


def _scalar_bits(t: CType, v) -> int:
    if isinstance(t, IntType):
        return int(v) & (2**64 - 1)  # sign- or zero-extended to 64 bits, as gcc's callers do
    raise TypeError(t)


class Marshaller:
    def __init__(self, plan: Plan, int_regs: int, float_regs: int):
        self.plan, self.int_regs, self.float_regs = plan, int_regs, float_regs

    def lay_out(self, value: dict, output_fill: int = 0) -> Marshalled:
        """Registers, stack and memory writes for one input; output buffers start as `output_fill`."""
        slots = iter(range(SLOT_COUNT))
        writes: list[tuple[int, bytes]] = []
        regions: list[Region] = []

        def place(path: str, data: bytes, elem: CType, string: bool) -> int:
            try:
                slot = next(slots)
            except StopIteration:
                raise TooLarge("more buffers than input slots") from None
            if len(data) + REDZONE > SLOT_SIZE:
                raise TooLarge(f"buffer {path} has {len(data)} bytes")
            end = slot_address(slot) + SLOT_SIZE
            address = end - len(data)
            writes.append((address - REDZONE, bytes([REDZONE_BYTE]) * REDZONE + data))
            regions.append(Region(path, address, len(data), elem, string))
            return address

        def buffer_bytes(b: Buffer, v, path: str) -> bytes:
            if b.string:
                return (v or b"") + b"\0"
            if b.inner is not None:
                pointers = []
                for i, inner_value in enumerate(v or []):
                    pointers.append(place(f"{path}[{i}]", buffer_bytes(b.inner, inner_value, f"{path}[{i}]"),
                                          b.inner.elem, b.inner.string))
                n = element_count(b.length, value)
                pointers += [0] * (n - len(pointers))
                return b"".join(p.to_bytes(8, "little") for p in pointers)
            if v is None:  # an output
                return bytes([output_fill]) * (element_count(b.length, value) * b.elem.size)
            return b"".join(pack_element(b.elem, x) for x in v)

        ints: list[int] = []
        floats: list[bytes] = []
        stack: list[int] = []
        for p in self.plan.params:
            v = value[p.name]
            if isinstance(p, Scalar) and isinstance(p.type, FloatType):
                raw = struct.pack("<f" if p.type.bytes == 4 else "<d", v)
                if len(floats) < self.float_regs:
                    floats.append(raw)
                else:
                    stack.append(int.from_bytes(raw.ljust(8, b"\0"), "little"))
                continue
            if isinstance(p, Scalar):
                bits = _scalar_bits(p.type, v)
            else:
                bits = place(p.name, buffer_bytes(p, v, p.name), p.elem, p.string)
            if len(ints) < self.int_regs:
                ints.append(bits)
            else:
                stack.append(bits)
        return Marshalled(ints, floats, stack, writes, regions)
