"""C scalar types as the generator reasons about them (LP64 on both targets)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CType:
    name: str
    bits: int
    signed: bool
    is_float: bool = False

    @property
    def lo(self) -> int:
        return -(1 << (self.bits - 1)) if self.signed else 0

    @property
    def hi(self) -> int:
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    @property
    def narrow(self) -> bool:
        return not self.is_float and self.bits < 32

    def same_kind(self, other: "CType") -> bool:
        return (self.bits, self.signed, self.is_float) == (other.bits, other.signed, other.is_float)


CHAR = CType("char", 8, True)  # plain char: signed on x86-64, unsigned on aarch64 (see CHAR_LO/HI)
SCHAR = CType("signed char", 8, True)
UCHAR = CType("unsigned char", 8, False)
SHORT = CType("short", 16, True)
USHORT = CType("unsigned short", 16, False)
INT = CType("int", 32, True)
UINT = CType("unsigned", 32, False)
LONG = CType("long", 64, True)
ULONG = CType("unsigned long", 64, False)
LLONG = CType("long long", 64, True)
ULLONG = CType("unsigned long long", 64, False)
SIZE_T = CType("size_t", 64, False)
INT8 = CType("int8_t", 8, True)
UINT8 = CType("uint8_t", 8, False)
INT16 = CType("int16_t", 16, True)
UINT16 = CType("uint16_t", 16, False)
INT32 = CType("int32_t", 32, True)
UINT32 = CType("uint32_t", 32, False)
INT64 = CType("int64_t", 64, True)
UINT64 = CType("uint64_t", 64, False)
FLOAT = CType("float", 32, True, True)
DOUBLE = CType("double", 64, True, True)

# plain char holds either signedness depending on the target
CHAR_LO, CHAR_HI = -128, 255

PLAIN_INTS = [SCHAR, UCHAR, SHORT, USHORT, INT, UINT, LONG, ULONG, LLONG, ULLONG]
STDINT_INTS = [INT8, UINT8, INT16, UINT16, INT32, UINT32, INT64, UINT64, SIZE_T]
ALL_INTS = PLAIN_INTS + STDINT_INTS
FLOATS = [FLOAT, DOUBLE]

_UNSIGNED_OF = {
    (32, True): UINT, (64, True): ULONG,
}


def promoted(t: CType) -> CType:
    """Type after the integer promotions."""
    if t.is_float:
        return t
    return INT if t.bits < 32 else t


def unsigned_of(t: CType) -> CType:
    """Unsigned type used to wrap arithmetic of a signed computation type (int/long)."""
    if not t.signed:
        return t
    if t.name in ("long long", "int64_t"):
        return ULLONG
    return _UNSIGNED_OF[(t.bits, True)]


def width_family(t: CType) -> str:
    """Feature label for the integer width of a type."""
    if t.is_float:
        return t.name
    if t.name in ("char", "signed char", "unsigned char", "int8_t", "uint8_t"):
        return "char"
    if t.bits == 16:
        return "short"
    if t.bits == 32:
        return "int"
    if t.name in ("long long", "unsigned long long"):
        return "long long"
    return "long"
