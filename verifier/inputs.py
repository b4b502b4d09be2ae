"""Input plans and generators derived from the function's C types (and its `ncc:` annotations).

A plan says, for every parameter, what kind of value it takes: a scalar in a range, a buffer of some
length (given by another parameter, a constant or the annotation), a string, a buffer of buffers.
From one plan come two generators: hypothesis strategies (edge cases, and shrinking of failures) and a
seeded `random.Random` sampler that is fast enough for thousands of inputs per second.
"""
from __future__ import annotations

import math
import random
import re
import struct
from dataclasses import dataclass, field

from hypothesis import strategies as st

from neuralcc.cbase.ctype import ArrayType, CType, FloatType, IntType, PointerType, StructType, int_literal

from .signature import FunctionSpec

SIZE_NAME = re.compile(r"^(n|m|k|len|length|size|count|num|cnt|sz|nmemb|.*_?(size|len|length|count|num|cnt|n))$",
                       re.I)
OUTPUT_NAME = re.compile(r"(out|res|result|dst|dest|buf|output|ret)", re.I)
MAX_LEN = 16  # default longest array or string
UNKNOWN_LEN = 16  # elements behind a pointer whose length nothing states
OUTPUT_CHARS = 256  # capacity of a `char *out` buffer
ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 ()[]{}.,;:-+*/=<>!?#_'\""


@dataclass
class Scalar:
    name: str
    type: IntType | FloatType
    lo: float | int
    hi: float | int
    default_range: bool  # no annotation: draw mostly small values, sometimes the full range


@dataclass
class Length:
    """How many elements a buffer has: fixed, free (generated), or tied to size parameters."""
    fixed: int | None = None
    params: tuple[str, ...] = ()  # product of these parameters
    max: int = MAX_LEN


@dataclass
class Buffer:
    name: str
    elem: CType
    length: Length
    string: bool = False  # NUL-terminated char data
    output: bool = False  # not generated: zero-initialised (and poisoned on a second run)
    inner: "Buffer | None" = None  # for pointer elements: what each element points to


@dataclass
class Plan:
    spec: FunctionSpec
    params: list[Scalar | Buffer]
    size_params: dict[str, list[str]] = field(default_factory=dict)  # size param -> buffers it measures
    constants: tuple[int, ...] = ()  # integer literals of the source: boundaries worth hitting exactly
    size_ranges: dict[str, tuple[int, int]] = field(default_factory=dict)  # size param -> lengths to draw

    def param_plan(self, name: str) -> Scalar | Buffer:
        return next(p for p in self.params if p.name == name)

    @property
    def outputs(self) -> bool:
        """Whether any buffer is an output (its contents are made by the function, not generated)."""
        return any(isinstance(p, Buffer) and p.output for p in self.params)


def _int_limits(t: IntType, notes_range) -> tuple[int, int, bool]:
    if notes_range:
        lo, hi = notes_range
        return max(int(lo), t.min), min(int(hi), t.max), False
    return t.min, t.max, True


def mine_constants(source: str, limit: int = 48) -> tuple[int, ...]:
    """Integer and character literals of the C source, and their neighbours (c-1, c, c+1, and negated):
    a comparison `x <= 37` differs from `x < 37` only at 37, which random numbers almost never hit."""
    text = re.sub(r"/\*.*?\*/|//[^\n]*", " ", source, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', " ", text)
    found: list[int] = []
    for m in re.finditer(r"'(\\?.)'|(?<![\w.])(0[xX][0-9a-fA-F]+|\d+)(?![\w.])", text):
        if m.group(1):
            ch = m.group(1)
            value = {"\\n": 10, "\\t": 9, "\\0": 0, "\\\\": 92, "\\'": 39}.get(ch, ord(ch[-1]))
        else:
            try:
                value = int_literal(m.group(2))
            except ValueError:  # `09`: not C; gcc says so
                continue
        if value not in found:
            found.append(value)
    out: list[int] = []
    for c in found[:limit]:
        for v in (c - 1, c, c + 1, -c):
            if v not in out:
                out.append(v)
    return tuple(out)


def make_plan(spec: FunctionSpec, constants: tuple[int, ...] = ()) -> Plan:
    notes = spec.annotations
    size_params: dict[str, list[str]] = {}
    plans: list[Scalar | Buffer] = []

    def claim(start: int, exclude: tuple[str, ...] = ()) -> str | None:
        """The first size-like integer parameter after position `start` (else before it)."""
        after = [p for p in spec.params[start + 1:] if isinstance(p.type, IntType) and p.name not in exclude]
        before = [p for p in reversed(spec.params[:start]) if isinstance(p.type, IntType) and p.name not in exclude]
        for p in after + before:
            if SIZE_NAME.match(p.name) and not p.type.is_bool:
                return p.name
        return None

    for index, p in enumerate(spec.params):
        t = p.type
        if isinstance(t, (IntType, FloatType)):
            continue  # scalars are planned after buffers claimed their size parameters
        assert isinstance(t, PointerType)
        plans.append(_buffer_plan(p.name, t, index, spec, claim, size_params))
    for p in spec.params:
        t = p.type
        if isinstance(t, IntType):
            lo, hi, default = _int_limits(t, notes.ranges.get(p.name))
            if t.is_bool:
                lo, hi, default = 0, 1, False
            plans.append(Scalar(p.name, t, lo, hi, default and p.name not in size_params))
        elif isinstance(t, FloatType):
            lo, hi = notes.ranges.get(p.name, (-100.0, 100.0))
            plans.append(Scalar(p.name, t, float(lo), float(hi), p.name not in notes.ranges))
    order = {p.name: i for i, p in enumerate(spec.params)}
    plans.sort(key=lambda q: order[q.name])
    return Plan(spec, plans, size_params, constants, _size_ranges(plans, size_params, notes))


MAX_ANNOTATED_LEN = 1024


def _size_ranges(plans, size_params, notes) -> dict[str, tuple[int, int]]:
    """Lengths are drawn from the size parameter's annotated range, else small (smaller for products)."""
    in_product = {n for p in plans if isinstance(p, Buffer) for b in (p, p.inner) if b is not None
                  for n in b.length.params if len(b.length.params) > 1}
    ranges = {}
    for name in size_params:
        if name in notes.ranges:
            lo, hi = notes.ranges[name]
            ranges[name] = (max(int(lo), 0), max(min(int(hi), MAX_ANNOTATED_LEN), max(int(lo), 0)))
        else:
            ranges[name] = (0, 6 if name in in_product else MAX_LEN)
    return ranges


def _length_from(expr: str, spec: FunctionSpec) -> Length:
    if expr.isdigit():
        return Length(fixed=int(expr))
    names = tuple(x.strip() for x in expr.split("*"))
    for n in names:
        if not n.isdigit() and spec.param(n) is None:
            from .errors import VerifierInputError
            raise VerifierInputError(f"{spec.name}: len(...)={expr}: no parameter '{n}'")
    return Length(params=names)


def _buffer_plan(name, t: PointerType, index, spec, claim, size_params) -> Buffer:
    notes = spec.annotations
    elem = t.target
    is_char = isinstance(elem, IntType) and elem.is_char and elem.bytes == 1 and not elem.is_bool
    output = name in notes.outputs
    if name in notes.lengths:
        length = _length_from(notes.lengths[name], spec)
    elif is_char:
        length = Length()
    else:
        size = claim(index)
        if size and not SIZE_NAME.match(name):
            length = Length(params=(size,))
        else:
            length = Length(fixed=UNKNOWN_LEN if not isinstance(elem, StructType) else 1)
            if not t.const:
                output = True
    for n in length.params:
        if not n.isdigit():
            size_params.setdefault(n, []).append(name)
    string = is_char and (name in notes.strings or name not in notes.lengths)
    if is_char and name not in notes.strings and not t.const and name not in notes.lengths \
            and OUTPUT_NAME.search(name):
        string, output, length = False, True, Length(fixed=OUTPUT_CHARS)
    inner = None
    if isinstance(elem, PointerType):
        inner_elem = elem.target
        inner_char = isinstance(inner_elem, IntType) and inner_elem.is_char and inner_elem.bytes == 1
        if inner_char:
            inner = Buffer(f"{name}[]", inner_elem, Length(), string=True)
        else:
            second = claim(index, exclude=length.params)
            inner_len = Length(params=(second,)) if second and length.params else Length(fixed=UNKNOWN_LEN)
            if second and length.params:
                size_params.setdefault(second, []).append(f"{name}[]")
            inner = Buffer(f"{name}[]", inner_elem, inner_len, output=not elem.const and not t.const)
        if not length.params and length.fixed == UNKNOWN_LEN:
            length = Length(fixed=1)  # `T **out`: one slot the function fills
            inner = None if not t.const else inner
            output = True
    return Buffer(name, elem, length, string=string, output=output, inner=inner)


# -- values ----------------------------------------------------------------------------------------
# An input is a dict: scalar name -> int/float; buffer name -> list of element values (or bytes for a
# string); a buffer of pointers holds a list of inner values.

def edge_ints(t: IntType, constants: tuple[int, ...] = ()) -> list[int]:
    vals = [0, 1, -1, 2, t.min, t.max, t.min + 1, t.max - 1, 7, 100, -100, 255, 256, *constants]
    return sorted({v for v in vals if t.min <= v <= t.max})


def _float_round(t: FloatType, x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0] if t.bytes == 4 else x


BOUNDARY_ROUNDS = 4  # the sampler's first inputs: each comparison boundary (and +-1) this many times
BOUNDARY_SHARE = 0.1  # afterwards, this share of inputs is put on a boundary


class RandomSampler:
    """Fast seeded inputs: mostly small values and short buffers, with edge values mixed in."""

    def __init__(self, plan: Plan, seed: int):
        self.plan, self.rng = plan, random.Random(seed)
        self.drawn = 0
        # parameters whose value the sampler may set (not lengths: they are drawn with their buffers)
        self.boundaries = [b for b in plan.spec.boundaries if b.param not in plan.size_params
                           and isinstance(plan.param_plan(b.param), Scalar)]

    def scalar(self, s: Scalar):
        r = self.rng
        if isinstance(s.type, FloatType):
            x = r.choice([0.0, 1.0, -1.0, 0.5]) if r.random() < 0.1 else r.uniform(s.lo, s.hi)
            return _float_round(s.type, x)
        if not s.default_range:
            u = r.random()
            if u < 0.1:
                return r.choice([s.lo, s.hi])
            inside = [c for c in self.plan.constants if s.lo <= c <= s.hi]
            if u < 0.25 and inside:
                return r.choice(inside)
            return r.randint(s.lo, s.hi)
        u = r.random()
        if u < 0.6:
            return r.randint(max(s.lo, -16), min(s.hi, 64))
        if u < 0.85:
            return r.choice(edge_ints(s.type, self.plan.constants))
        return r.randint(s.lo, s.hi)

    def element(self, t: CType):
        r = self.rng
        if isinstance(t, IntType):
            if t.is_bool:
                return r.randint(0, 1)
            if t.is_char:
                return ord(r.choice(ALPHABET)) if r.random() < 0.8 else r.randint(t.min, t.max)
            u = r.random()
            if u < 0.7:
                return r.randint(max(t.min, -50), min(t.max, 100))
            if u < 0.88:
                return r.choice(edge_ints(t, self.plan.constants))
            return r.randint(t.min, t.max)
        if isinstance(t, FloatType):
            return _float_round(t, r.uniform(-100, 100))
        if isinstance(t, StructType):
            return {f.name: self.element(f.type) for f in t.fields}
        if isinstance(t, ArrayType):
            return [self.element(t.elem) for _ in range(t.length or 0)]
        return 0

    def string(self, max_len: int = MAX_LEN) -> bytes:
        r = self.rng
        extra = string_bytes(self.plan.constants)
        n = r.randint(0, max_len)
        return bytes(r.choice(extra) if extra and r.random() < 0.15 else ord(r.choice(ALPHABET)) for _ in range(n))

    def buffer(self, b: Buffer, n: int, value: dict):
        if b.string:
            return self.string()
        if b.inner is not None:
            return [self.inner(b.inner, value) for _ in range(n)]
        if b.output:
            return None  # zero-filled
        return [self.element(b.elem) for _ in range(n)]

    def inner(self, b: Buffer, value: dict):
        if b.string:
            return self.string(8)
        n = element_count(b.length, value) if b.length.params else (
            b.length.fixed if b.length.fixed is not None else self.rng.randint(0, b.length.max))
        return None if b.output else [self.element(b.elem) for _ in range(n)]

    def draw(self) -> dict:
        value = _assemble_input(self.plan, self.scalar, lambda n: self.rng.randint(*self.plan.size_ranges[n]),
                                self.buffer)
        self.drawn += 1
        warm_up = BOUNDARY_ROUNDS * 3 * len(self.boundaries)
        if self.boundaries and (self.drawn <= warm_up or self.rng.random() < BOUNDARY_SHARE):
            # on the boundary of a comparison, or one off it on either side: in turn, then at random
            k = self.drawn - 1 if self.drawn <= warm_up else self.rng.randrange(3 * len(self.boundaries))
            boundary, delta = self.boundaries[k % len(self.boundaries)], (k // len(self.boundaries)) % 3 - 1
            other = boundary.value(value)
            target = self.plan.param_plan(boundary.param)
            if other is not None and target.lo <= other + delta <= target.hi:
                value[boundary.param] = other + delta
        return value


def _assemble_input(plan: Plan, scalar, draw_size, buffer) -> dict:
    value: dict = {}
    lengths: dict[str, int] = {}
    for p in plan.params:
        if isinstance(p, Buffer):
            for n in p.length.params:
                if n not in lengths and not n.isdigit():
                    lengths[n] = draw_size(n)
            if p.inner is not None and p.inner.length.params:
                for n in p.inner.length.params:
                    if n not in lengths:
                        lengths[n] = draw_size(n)
    for p in plan.params:
        if isinstance(p, Scalar):
            value[p.name] = lengths[p.name] if p.name in lengths else scalar(p)
    for p in plan.params:
        if isinstance(p, Buffer):
            value[p.name] = buffer(p, element_count(p.length, value), value)
    return value


def element_count(length: Length, value: dict) -> int:
    if length.fixed is not None:
        return length.fixed
    n = 1
    for name in length.params:
        n *= int(name) if name.isdigit() else max(int(value[name]), 0)
    return n


# -- hypothesis strategies -------------------------------------------------------------------------
def scalar_strategy(s: Scalar, constants: tuple[int, ...] = ()) -> st.SearchStrategy:
    if isinstance(s.type, FloatType):
        width = 32 if s.type.bytes == 4 else 64
        return st.floats(s.lo, s.hi, width=width, allow_nan=False, allow_infinity=False)
    if not s.default_range:
        inside = [c for c in constants if s.lo <= c <= s.hi]
        whole = st.integers(s.lo, s.hi)
        return st.one_of(whole, st.sampled_from(inside)) if inside else whole
    return st.one_of(st.integers(max(s.lo, -16), min(s.hi, 64)), st.sampled_from(edge_ints(s.type, constants)),
                     st.integers(s.lo, s.hi))


def element_strategy(t: CType, constants: tuple[int, ...] = ()) -> st.SearchStrategy:
    if isinstance(t, IntType):
        if t.is_bool:
            return st.integers(0, 1)
        if t.is_char:
            return st.one_of(st.sampled_from([ord(c) for c in ALPHABET]), st.integers(t.min, t.max))
        return st.one_of(st.integers(max(t.min, -50), min(t.max, 100)), st.sampled_from(edge_ints(t, constants)),
                         st.integers(t.min, t.max))
    if isinstance(t, FloatType):
        return st.floats(-100, 100, width=32 if t.bytes == 4 else 64, allow_nan=False)
    if isinstance(t, StructType):
        return st.fixed_dictionaries({f.name: element_strategy(f.type, constants) for f in t.fields})
    if isinstance(t, ArrayType):
        return st.lists(element_strategy(t.elem, constants), min_size=t.length or 0, max_size=t.length or 0)
    return st.just(0)


def string_bytes(constants: tuple[int, ...]) -> list[int]:
    """Bytes worth putting in strings besides the alphabet: the source's character constants and neighbours."""
    return sorted({c for c in constants if 1 <= c <= 255})


def _string_strategy(max_len: int, constants: tuple[int, ...] = ()) -> st.SearchStrategy:
    chars = st.sampled_from([ord(c) for c in ALPHABET])
    extra = string_bytes(constants)
    if extra:
        chars = st.one_of(chars, st.sampled_from(extra))
    return st.lists(chars, max_size=max_len).map(bytes)


def input_strategy(plan: Plan) -> st.SearchStrategy:
    @st.composite
    def build(draw):
        def buffer(b: Buffer, n: int, value: dict):
            if b.string:
                return draw(_string_strategy(MAX_LEN, plan.constants))
            if b.inner is not None:
                return [draw(inner_strategy(b.inner, value)) for _ in range(n)]
            if b.output:
                return None
            return draw(st.lists(element_strategy(b.elem, plan.constants), min_size=n, max_size=n))

        return _assemble_input(plan, lambda s: draw(scalar_strategy(s, plan.constants)),
                               lambda n: draw(st.integers(*plan.size_ranges[n])), buffer)

    return build()


def inner_strategy(b: Buffer, value: dict) -> st.SearchStrategy:
    if b.string:
        return _string_strategy(8)
    if b.output:
        return st.none()
    n = element_count(b.length, value) if b.length.params else b.length.fixed
    if n is not None:
        return st.lists(element_strategy(b.elem), min_size=n, max_size=n)
    return st.lists(element_strategy(b.elem), max_size=b.length.max)


def describe_value(v) -> str:
    if isinstance(v, bytes):
        return repr(v.decode("latin-1"))
    if isinstance(v, float):
        return repr(v) if math.isfinite(v) else str(v)
    return repr(v)
