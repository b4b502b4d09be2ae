"""The C types neuralcc understands (verifier, translator), with their LP64 layout (same on x86-64 and AArch64)."""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CType:
    name: str

    @property
    def size(self) -> int:
        raise NotImplementedError

    @property
    def align(self) -> int:
        return self.size

    @property
    def is_float(self) -> bool:
        return False


@dataclass(frozen=True)
class VoidType(CType):
    @property
    def size(self) -> int:
        return 1


@dataclass(frozen=True)
class IntType(CType):
    bytes: int = 4
    signed: bool = True
    is_bool: bool = False
    is_char: bool = False

    @property
    def size(self) -> int:
        return self.bytes

    @property
    def bits(self) -> int:
        return 8 * self.bytes

    @property
    def min(self) -> int:
        return 0 if (not self.signed or self.is_bool) else -(1 << (self.bits - 1))

    @property
    def max(self) -> int:
        if self.is_bool:
            return 1
        return (1 << (self.bits - 1)) - 1 if self.signed else (1 << self.bits) - 1

    def wrap(self, value: int) -> int:
        """Reduce an integer read from a register or memory to this type's range."""
        value &= (1 << self.bits) - 1
        if self.signed and value >> (self.bits - 1):
            value -= 1 << self.bits
        return value


@dataclass(frozen=True)
class FloatType(CType):
    bytes: int = 8

    @property
    def size(self) -> int:
        return self.bytes

    @property
    def is_float(self) -> bool:
        return True


@dataclass(frozen=True)
class PointerType(CType):
    target: CType = field(default_factory=lambda: VoidType("void"))
    const: bool = False  # the pointee is const

    @property
    def size(self) -> int:
        return 8


@dataclass(frozen=True)
class ArrayType(CType):
    elem: CType = field(default_factory=lambda: VoidType("void"))
    length: int | None = None  # None: `T a[]`

    @property
    def size(self) -> int:
        return self.elem.size * (self.length or 0)

    @property
    def align(self) -> int:
        return self.elem.align


@dataclass(frozen=True)
class StructField:
    name: str
    type: CType
    offset: int


@dataclass(frozen=True)
class StructType(CType):
    fields: tuple[StructField, ...] = ()
    total: int = 0
    alignment: int = 1

    @property
    def size(self) -> int:
        return self.total

    @property
    def align(self) -> int:
        return self.alignment


@dataclass(frozen=True)
class UnsupportedType(CType):
    """A type the harness cannot marshal (function pointers, unions, long double...)."""
    reason: str = ""

    @property
    def size(self) -> int:
        return 8


def make_struct(name: str, members: list[tuple[str, CType]]) -> StructType:
    offset, align = 0, 1
    fields = []
    for fname, ftype in members:
        a = ftype.align
        offset = (offset + a - 1) // a * a
        fields.append(StructField(fname, ftype, offset))
        offset += ftype.size
        align = max(align, a)
    total = (offset + align - 1) // align * align
    return StructType(name, tuple(fields), total, align)


# The scalar types under their C names, as `base_type` gives them (plain char: x86-64's, signed).
CHAR = IntType("char", 1, True, is_char=True)
SCHAR = IntType("signed char", 1, True, is_char=True)
UCHAR = IntType("unsigned char", 1, False, is_char=True)
SHORT = IntType("short", 2, True)
USHORT = IntType("unsigned short", 2, False)
INT = IntType("int", 4, True)
UINT = IntType("unsigned int", 4, False)
LONG = IntType("long", 8, True)
ULONG = IntType("unsigned long", 8, False)
LLONG = IntType("long long", 8, True)
ULLONG = IntType("unsigned long long", 8, False)
FLOAT = FloatType("float", 4)
DOUBLE = FloatType("double", 8)
_PLAIN_INTS = {(1, True): SCHAR, (1, False): UCHAR, (2, True): SHORT, (2, False): USHORT, (4, True): INT,
               (4, False): UINT, (8, True): LONG, (8, False): ULONG}  # (bytes, signed) -> its plain type


def narrower_than_int(t: CType) -> bool:
    """Whether the integer promotions (C11 6.3.1.1) turn `t` into int: _Bool, char, short (an enum is read
    as the int or unsigned int gcc gives it, verifier.signature.enum_type)."""
    return isinstance(t, IntType) and (t.bytes < 4 or t.is_bool)


def promote(t: CType) -> CType:
    """`t` after the integer promotions; every other type is unchanged (int32_t stays int32_t)."""
    return INT if narrower_than_int(t) else t


def canonical(t: CType) -> CType:
    """The plain C type of `t`'s representation: int32_t -> int, long long -> long, unsigned -> unsigned int.
    Two types have the same representation when their canonical types are equal."""
    if isinstance(t, IntType) and not t.is_bool:
        return _PLAIN_INTS[(t.bytes, t.signed)]
    if isinstance(t, FloatType):
        return FLOAT if t.bytes == 4 else DOUBLE
    return t


def usual(a: CType, b: CType) -> CType | None:
    """The type the usual arithmetic conversions (C11 6.3.1.8) give `a OP b` on LP64, in its plain spelling
    (`canonical`); None when either is not arithmetic."""
    if not all(isinstance(t, (IntType, FloatType)) for t in (a, b)):
        return None
    if a.is_float or b.is_float:
        return DOUBLE if any(t.is_float and t.bytes == 8 for t in (a, b)) else FLOAT
    a, b = canonical(promote(a)), canonical(promote(b))
    if a.signed == b.signed:
        return a if a.bytes >= b.bytes else b
    u, s = (a, b) if not a.signed else (b, a)
    return u if u.bytes >= s.bytes else s


def int_literal(text: str) -> int:
    """The value of a C integer constant as written: decimal, octal (`017` is 15), hexadecimal, with
    or without its suffix (`10UL`). ValueError for anything else (`09`, `1.5`)."""
    digits = text.rstrip("uUlL")
    if digits[:2] in ("0x", "0X"):
        return int(digits[2:], 16)
    if len(digits) > 1 and digits[0] == "0":
        return int(digits[1:], 8)
    return int(digits, 10)


_INT_BYTES = {"char": 1, "short": 2, "int": 4, "long": 8, "long long": 8}

TYPEDEFS = {  # the <stdint.h>/<stddef.h> integer typedefs: (bytes, signed) on both LP64 targets
    "int8_t": (1, True), "uint8_t": (1, False), "int16_t": (2, True), "uint16_t": (2, False),
    "int32_t": (4, True), "uint32_t": (4, False), "int64_t": (8, True), "uint64_t": (8, False),
    "size_t": (8, False), "ssize_t": (8, True), "ptrdiff_t": (8, True), "intptr_t": (8, True),
    "uintptr_t": (8, False), "intmax_t": (8, True), "uintmax_t": (8, False),
}


def base_type(names: list[str], char_signed: bool) -> CType:
    """Type from pycparser's IdentifierType names, e.g. ['unsigned', 'long', 'int']."""
    words = list(names)
    signed = None
    if "unsigned" in words:
        signed = False
        words.remove("unsigned")
    if "signed" in words:
        signed = True
        words.remove("signed")
    if "int" in words and len(words) > 1:
        words.remove("int")
    key = " ".join(words) or "int"
    if key in ("_Bool", "bool"):
        return IntType(key, 1, False, is_bool=True)
    if key in ("float", "double"):
        return FloatType(key, 4 if key == "float" else 8)
    if key == "long double":
        return UnsupportedType(key, reason="long double is not supported")
    if key == "void":
        return VoidType("void")
    if key in TYPEDEFS:
        b, s = TYPEDEFS[key]
        return IntType(key, b, s, is_char=(b == 1))
    if key in _INT_BYTES:
        b = _INT_BYTES[key]
        explicit = signed is not None
        if signed is None:
            signed = char_signed if key == "char" else True
        # `signed char` keeps its word: a plain char's signedness is the target's, so the name must say
        name = ("unsigned " if not signed else "signed " if explicit and key == "char" else "") + key
        return IntType(name, b, signed, is_char=(key == "char"))
    return UnsupportedType(key, reason=f"unknown type '{key}'")
