"""A generator of small, well-defined, live C functions with verifier annotations (synthetic-v1).

Safety is by construction: every integer expression carries a conservative value interval, and an
operation whose result might leave its type is rewritten to wrap in the unsigned type (`(int)((unsigned)a
+ (unsigned)b)`); divisions and shifts are guarded; indices come from loops bounded by the annotated
lengths; float-to-int conversions are range-checked. Liveness is by construction too: every local is
initialised once, only ever updated from its old value, and folded into the return value; conditions
always compare a variable expression against a value inside its range.
"""
from __future__ import annotations

import random
from dataclasses import dataclass, field, replace

from neuralcc.cbase import ctype as C
from neuralcc.cbase.ctype import (
    CHAR, DOUBLE, FLOAT, INT, LLONG, LONG, SCHAR, SHORT, UCHAR, ULLONG, ULONG, USHORT, CType, base_type,
    canonical, narrower_than_int, promote,
)

# The types the generator writes, under the names it spells them with (`unsigned`, not `unsigned int`:
# the frozen streams spell it so).
UINT = replace(C.UINT, name="unsigned")
STDINT_INTS = [base_type([name], char_signed=True) for name in
               ("int8_t", "uint8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t", "size_t")]
SIZE_T = STDINT_INTS[-1]
PLAIN_INTS = [SCHAR, UCHAR, SHORT, USHORT, INT, UINT, LONG, ULONG, LLONG, ULLONG]
CHAR_LO, CHAR_HI = -128, 255  # plain char holds either signedness: signed on x86-64, unsigned on AArch64


def unsigned_of(t: CType) -> CType:
    """The unsigned type that wraps arithmetic of a signed computation type (int, long, long long)."""
    if not t.signed:
        return t
    if t.name in ("long long", "int64_t"):
        return ULLONG
    return UINT if t.bits == 32 else ULONG


def width_family(t: CType) -> str:
    """Feature label for the integer width of a type."""
    if t.is_float:
        return t.name
    if t.bits == 8:
        return "char"
    if t.bits == 16:
        return "short"
    if t.bits == 32:
        return "int"
    return "long long" if t.name in ("long long", "unsigned long long") else "long"

KINDS = ("scalar", "array", "map", "matrix", "string", "struct")


@dataclass
class GeneratorConfig:
    """Feature mix. Weights are relative; probabilities are per function or per statement."""
    kind_weights: dict[str, float] = field(default_factory=lambda: {
        "scalar": 2.0, "array": 3.0, "map": 2.0, "matrix": 1.0, "string": 1.2, "struct": 0.8})
    p_float: float = 0.22
    p_stdint: float = 0.3
    p_helper: float = 0.2
    p_global: float = 0.08
    p_table: float = 0.1
    p_libc: float = 0.15
    p_early_return: float = 0.15
    p_break: float = 0.15
    p_continue: float = 0.12
    p_switch: float = 0.12
    p_while: float = 0.12
    p_do: float = 0.08
    p_ternary: float = 0.2
    p_nested_loop: float = 0.15
    min_stmts: int = 1
    max_stmts: int = 4
    max_expr_depth: int = 2
    max_len: int = 64
    name_prefix: str = "k"


@dataclass
class Param:
    name: str
    ctype: CType
    pointer: bool = False
    const: bool = False
    struct: str | None = None  # struct tag for struct pointers


@dataclass
class GeneratedFunction:
    index: int
    name: str
    source: str
    features: list[str]
    params: list[Param]
    return_type: str
    annotations: dict  # {"len": {p: expr}, "out": [p], "range": {x: (lo, hi)}, "string": [p]}
    structs: dict  # tag -> [(field, CType)]


@dataclass
class E:
    """An expression: C text, its C type, an interval (ints) and whether it is a literal."""
    code: str
    ty: CType
    lo: int | float | None = None
    hi: int | float | None = None
    const: bool = False
    is_bool: bool = False
    refs: frozenset = frozenset()


@dataclass
class Var:
    name: str
    ty: CType
    lo: int | None
    hi: int | None
    kind: str  # param | local | acc | loop
    updated: bool = False
    depth: int = 0  # loop depth at declaration
    # accumulators: additive updates are rendered at the end, directly if the summed bound fits
    acc_wrap: bool = False
    acc_updates: list = field(default_factory=list)  # (line index, direct, wrapped)


@dataclass
class Elem:
    """An indexable read available in the current loop: `code` is e.g. `a[i]` or `p[i].x`."""
    code: str
    ty: CType
    lo: int | None
    hi: int | None
    refs: frozenset


def _fits(lo, hi, t: CType) -> bool:
    return lo is not None and hi is not None and t.min <= lo and hi <= t.max


def _int_lit(v: int, t: CType) -> str:
    suffix = ""
    if not t.signed:
        suffix = "U" if t.bits == 32 else "UL"
    elif t.bits == 64:
        suffix = "L" if abs(v) > 2**31 - 1 else ""
    if v < 0:
        return f"({v}{suffix})" if not suffix else f"({v}{suffix})"
    return f"{v}{suffix}"


def _float_lit(v: float, t: CType) -> str:
    s = repr(float(v))
    return s + ("f" if t == FLOAT else "")


class _Builder:
    """State for one function (entry or helper)."""

    def __init__(self, rng: random.Random, cfg: GeneratorConfig, unit: "UnitBuilder", ret: CType,
                 trip_bound: int = 1):
        self.rng = rng
        self.cfg = cfg
        self.unit = unit
        self.ret = ret
        self.vars: list[Var] = []
        self.lines: list[str] = []
        self.indent = 1
        self.loop_depth = 0
        self.trip = trip_bound  # max executions of the statement being generated
        self.elems: list[Elem] = []  # element reads available in the current loop
        self.outs: list[tuple[str, CType, str]] = []  # (name, elem type, index) writable now
        self.loop_vars: list[Var] = []
        self.in_loop_full: set[str] = set()  # vars read as full-range inside the current loop
        self.tmp_count = 0
        self.had_return = False
        self.all_accs: list[Var] = []
        self.features = unit.features

    # ---------------------------------------------------------------- names / lines
    def emit(self, text: str) -> None:
        self.lines.append("    " * self.indent + text)

    def fresh(self, base: str) -> str:
        self.tmp_count += 1
        return f"{base}{self.tmp_count}"

    # ---------------------------------------------------------------- leaves
    def readable_vars(self, want_float: bool | None = None) -> list[Var]:
        out = []
        for v in self.vars:
            if want_float is not None and v.ty.is_float != want_float:
                continue
            out.append(v)
        return out

    def var_expr(self, v: Var) -> E:
        if v.ty.is_float:
            return E(v.name, v.ty, refs=frozenset([v.name]))
        lo, hi = v.lo, v.hi
        if v.kind != "param" and v.kind != "loop" and (v.updated or v.name in self.in_loop_full):
            lo, hi = v.ty.min, v.ty.max
        if v.kind == "acc":
            lo, hi = v.ty.min, v.ty.max
        if v.ty == CHAR:
            lo, hi = CHAR_LO, CHAR_HI
        return E(v.name, v.ty, lo, hi, refs=frozenset([v.name]))

    def constant(self, cty: CType, avoid_identity: bool = True) -> E:
        r = self.rng
        if cty.is_float:
            v = r.choice([0.5, 1.5, 2.0, 3.0, 0.25, 10.0, 0.1, 1.25, 4.0, 100.0, 0.75, 7.0])
            return E(_float_lit(v, cty), cty, const=True)
        choices = [2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 16, 17, 31, 32, 100, 255, 1000, 65535, 0x5bd1e995 & 0x7fffffff,
                   6, 11, 15, 24, 63, 127, 1024]
        v = r.choice(choices)
        if cty.signed and r.random() < 0.2:
            v = -v
        v = max(min(v, cty.max), cty.min)
        if v in (0, 1, -1):
            v = 3
        return E(_int_lit(v, cty), cty, v, v, const=True)

    def leaf(self, cty: CType) -> E:
        """A non-constant value converted to computation type cty."""
        r = self.rng
        cands: list = []
        for v in self.vars:
            cands.append(("var", v))
        for el in self.elems:
            cands.append(("elem", el))
            cands.append(("elem", el))
        for g in self.unit.globals_:
            cands.append(("global", g))
        if self.unit.tables and r.random() < 0.5:
            cands.append(("table", r.choice(self.unit.tables)))
        if self.unit.scalar_helpers and r.random() < 0.3 and self.unit.helper_depth == 0:
            cands.append(("helper", r.choice(self.unit.scalar_helpers)))
        if not cands:
            return self.constant(cty)
        kind, obj = r.choice(cands)
        if kind == "var":
            e = self.var_expr(obj)
        elif kind == "elem":
            lo, hi = obj.lo, obj.hi
            e = E(obj.code, obj.ty, lo, hi, refs=obj.refs)
        elif kind == "global":
            name, gty = obj
            e = E(name, gty, None if gty.is_float else gty.min, None if gty.is_float else gty.max,
                  refs=frozenset([name]))
            self.features.add("globals")
        elif kind == "table":
            name, tty, size, lo, hi = obj
            idx = self.leaf(INT) if r.random() < 0.7 else self.leaf(UINT)
            if idx.const:
                idx = self.leaf(UINT)
            idx_code = f"{idx.code} & {size - 1}" if idx.ty.signed or True else idx.code
            e = E(f"{name}[{idx_code}]", tty, lo, hi, refs=idx.refs | {name})
            self.features.add("const_tables")
        else:
            e = self.call_helper(obj)
        return self.convert(e, cty)

    def call_helper(self, h) -> E:
        name, ret, ptypes = h
        self.unit.helper_depth += 1
        args = []
        refs = frozenset()
        for pt in ptypes:
            a = self.expr(promote(pt), 1, allow_const=False)
            args.append(a.code)
            refs |= a.refs
        self.unit.helper_depth -= 1
        self.unit.used_helpers.add(name)
        self.features.add("calls")
        return E(f"{name}({', '.join(args)})", ret,
                 None if ret.is_float else ret.min, None if ret.is_float else ret.max, refs=refs | {name})

    def convert(self, e: E, cty: CType) -> E:
        """Convert e to computation type cty without UB and without sign-compare warnings."""
        if e.ty.is_float and cty.is_float:
            return E(e.code, cty, const=e.const, refs=e.refs) if e.ty == cty or e.ty == FLOAT else \
                E(f"({cty.name})({e.code})", cty, const=e.const, refs=e.refs)
        if e.ty.is_float and not cty.is_float:
            lim = 1000000
            lo = -lim if cty.signed else 0
            lo_lit = _float_lit(float(lo), e.ty)
            hi_lit = _float_lit(float(lim), e.ty)
            code = f"(({e.code}) >= {lo_lit} && ({e.code}) <= {hi_lit} ? ({cty.name})({e.code}) : 0)"
            return E(code, cty, lo, lim, refs=e.refs)
        if cty.is_float:
            if e.const:
                return E(_float_lit(float(e.lo), cty), cty, const=True, refs=e.refs)
            return E(f"({cty.name})({e.code})", cty, refs=e.refs)
        p = promote(e.ty)
        lo, hi = e.lo, e.hi
        if lo is None:
            lo, hi = e.ty.min, e.ty.max
        # C converts operand pairs, not to our computation type: skip the cast only when the
        # promoted type already is the computation type.
        if canonical(p) == canonical(cty):
            return E(e.code, cty, lo, hi, e.const, e.is_bool, e.refs)
        code = f"({cty.name})({e.code})" if not e.const else _int_lit(max(min(lo, cty.max), cty.min), cty)
        if _fits(lo, hi, cty):
            return E(code, cty, lo, hi, e.const, refs=e.refs)
        return E(code, cty, cty.min, cty.max, refs=e.refs)

    # ---------------------------------------------------------------- expressions
    def expr(self, cty: CType, depth: int, allow_const: bool = True) -> E:
        r = self.rng
        if depth <= 0 or r.random() < 0.35:
            return self.leaf(cty)
        if cty.is_float:
            return self.float_op(cty, depth)
        return self.int_op(cty, depth)

    def operand_pair(self, cty: CType, depth: int) -> tuple[E, E]:
        a = self.expr(cty, depth - 1)
        if a.const:
            a = self.leaf(cty)
        if self.rng.random() < 0.4:
            b = self.constant(cty)
        else:
            b = self.expr(cty, depth - 1)
            if b.code == a.code:
                b = self.constant(cty)
        return a, b

    def arith(self, op: str, a: E, b: E, cty: CType) -> E:
        """a op b for op in + - *, wrapping when the interval might leave cty."""
        refs = a.refs | b.refs
        if a.lo is not None and b.lo is not None:
            if op == "+":
                lo, hi = a.lo + b.lo, a.hi + b.hi
            elif op == "-":
                lo, hi = a.lo - b.hi, a.hi - b.lo
            else:
                ps = [a.lo * b.lo, a.lo * b.hi, a.hi * b.lo, a.hi * b.hi]
                lo, hi = min(ps), max(ps)
            if _fits(lo, hi, cty):
                return E(f"({a.code} {op} {b.code})", cty, lo, hi, refs=refs)
        if not cty.signed:
            return E(f"({a.code} {op} {b.code})", cty, cty.min, cty.max, refs=refs)
        u = unsigned_of(cty)
        self.features.add("wrapping")
        return E(f"({cty.name})(({u.name})({a.code}) {op} ({u.name})({b.code}))", cty, cty.min, cty.max, refs=refs)

    def int_op(self, cty: CType, depth: int) -> E:
        r = self.rng
        op = r.choices(["+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>", "?:", "cmp", "~", "minmax"],
                       weights=[5, 4, 3, 1.2, 1.2, 2, 1.5, 2, 1.2, 1.5, 1.5, 0.8, 0.4, 0.8])[0]
        if op in "+-*" and len(op) == 1:
            a, b = self.operand_pair(cty, depth)
            return self.arith(op, a, b, cty)
        if op in ("/", "%"):
            return self.divide(op, cty, depth)
        if op in ("&", "|", "^"):
            a, b = self.operand_pair(cty, depth)
            if a.lo is not None and b.lo is not None and a.lo >= 0 and b.lo >= 0:
                if op == "&":
                    lo, hi = 0, min(a.hi, b.hi)
                else:
                    hi = (1 << max(int(a.hi).bit_length(), int(b.hi).bit_length())) - 1
                    lo = 0
            else:
                lo, hi = cty.min, cty.max
            return E(f"({a.code} {op} {b.code})", cty, lo, hi, refs=a.refs | b.refs)
        if op in ("<<", ">>"):
            return self.shift(op, cty, depth)
        if op == "?:":
            c = self.cond(depth - 1)
            a, b = self.operand_pair(cty, depth)
            self.features.add("ternary")
            lo = min(a.lo, b.lo) if a.lo is not None and b.lo is not None else cty.min
            hi = max(a.hi, b.hi) if a.hi is not None and b.hi is not None else cty.max
            return E(f"({c.code} ? {a.code} : {b.code})", cty, lo, hi, refs=a.refs | b.refs | c.refs)
        if op == "minmax":
            a = self.leaf(cty)
            b = self.expr(cty, depth - 1)
            if b.code == a.code or b.const and a.const:
                b = self.leaf(cty)
                if b.code == a.code:
                    return a
            rel = r.choice(["<", ">"])
            self.features.add("ternary")
            lo = min(a.lo, b.lo) if a.lo is not None and b.lo is not None else cty.min
            hi = max(a.hi, b.hi) if a.hi is not None and b.hi is not None else cty.max
            return E(f"({a.code} {rel} {b.code} ? {a.code} : {b.code})", cty, lo, hi, refs=a.refs | b.refs)
        if op == "cmp":
            c = self.cond(depth - 1)
            code = c.code if cty == INT else f"({cty.name})({c.code})"
            return E(f"({code})" if cty == INT else code, cty, 0, 1, is_bool=True, refs=c.refs)
        # ~
        a = self.expr(cty, depth - 1)
        if a.const or a.is_bool:
            return a
        if cty.signed and a.lo is not None:
            lo, hi = -a.hi - 1, -a.lo - 1
        else:
            lo, hi = cty.min, cty.max
        return E(f"(~{a.code})", cty, lo, hi, refs=a.refs)

    def divide(self, op: str, cty: CType, depth: int) -> E:
        r = self.rng
        a = self.expr(cty, depth - 1)
        if a.const:
            a = self.leaf(cty)
        if r.random() < 0.5:
            b = self.constant(cty)
        else:
            b = self.leaf(cty)
        m = max(abs(a.lo), abs(a.hi)) if a.lo is not None else max(abs(cty.min), cty.max)
        if op == "%" and b.lo is not None:
            m = min(m, max(abs(b.lo), abs(b.hi)))
        lo, hi = (-m, m) if cty.signed else (0, m)
        lo, hi = max(lo, cty.min), min(hi, cty.max)
        if a.lo is not None and a.lo >= 0:
            lo = 0
        refs = a.refs | b.refs
        zero_free = b.lo is not None and (b.lo > 0 or b.hi < 0)
        minus_one_ok = not cty.signed or (b.lo is not None and (b.lo > -1 or b.hi < -1)) or \
            (a.lo is not None and a.lo > cty.min)
        if zero_free and minus_one_ok:
            return E(f"({a.code} {op} {b.code})", cty, lo, hi, refs=refs)
        self.features.add("guarded_div")
        if not cty.signed:
            guard = f"{b.code} != 0"
        elif a.lo is not None and a.lo > cty.min:
            guard = f"{b.code} != 0"
        else:
            guard = r.choice([f"{b.code} > 0", f"{b.code} != 0 && {b.code} != -1"])
        fallback = a.code if r.random() < 0.6 else b.code
        flo = min(lo, a.lo if fallback == a.code else (b.lo if b.lo is not None else cty.min))
        fhi = max(hi, a.hi if fallback == a.code else (b.hi if b.hi is not None else cty.max))
        if a.lo is None or b.lo is None:
            flo, fhi = cty.min, cty.max
        return E(f"({guard} ? {a.code} {op} {b.code} : {fallback})", cty, flo, fhi, refs=refs)

    def shift(self, op: str, cty: CType, depth: int) -> E:
        r = self.rng
        a = self.expr(cty, depth - 1)
        if a.const:
            a = self.leaf(cty)
        w = cty.bits
        if r.random() < 0.55:
            k = r.randint(1, min(w - 1, 12) if r.random() < 0.7 else w - 1)
            amount, arefs, kmax = str(k), frozenset(), k
        else:
            s = self.leaf(INT)
            amount, arefs, kmax = f"({s.code} & {w - 1})", s.refs, w - 1
        refs = a.refs | arefs
        if op == ">>":
            if a.lo is not None:
                lo, hi = min(a.lo, 0) if a.lo < 0 else 0, max(a.hi, 0)
                if a.lo >= 0 and amount.isdigit():
                    hi = a.hi >> int(amount)
            else:
                lo, hi = cty.min, cty.max
            return E(f"({a.code} >> {amount})", cty, lo, hi, refs=refs)
        if not cty.signed:
            if a.lo is not None and a.lo >= 0 and (a.hi << kmax) <= cty.max:
                return E(f"({a.code} << {amount})", cty, a.lo, a.hi << kmax, refs=refs)
            return E(f"({a.code} << {amount})", cty, cty.min, cty.max, refs=refs)
        if a.lo is not None and a.lo >= 0 and (a.hi << kmax) <= cty.max:
            return E(f"({a.code} << {amount})", cty, 0, a.hi << kmax, refs=refs)
        u = unsigned_of(cty)
        self.features.add("wrapping")
        return E(f"({cty.name})(({u.name})({a.code}) << {amount})", cty, cty.min, cty.max, refs=refs)

    def float_op(self, cty: CType, depth: int) -> E:
        r = self.rng
        op = r.choices(["+", "-", "*", "/", "fabs", "sqrt", "?:", "minmax"], weights=[5, 4, 4, 1.5, 1, 1, 1, 1])[0]
        sfx = "f" if cty == FLOAT else ""
        if op in "+-*":
            a, b = self.operand_pair(cty, depth)
            return E(f"({a.code} {op} {b.code})", cty, refs=a.refs | b.refs)
        if op == "/":
            a = self.expr(cty, depth - 1)
            if r.random() < 0.5:
                b = self.constant(cty)
                return E(f"({a.code} / {b.code})", cty, refs=a.refs)
            b = self.leaf(cty)
            zero = _float_lit(0.0, cty)
            self.features.add("guarded_div")
            return E(f"({b.code} != {zero} ? {a.code} / {b.code} : {a.code})", cty, refs=a.refs | b.refs)
        if op in ("fabs", "sqrt"):
            a = self.expr(cty, depth - 1)
            self.unit.includes.add("math.h")
            self.features.add("libc")
            self.features.add("math")
            if op == "sqrt":
                return E(f"sqrt{sfx}(fabs{sfx}({a.code}))", cty, refs=a.refs)
            return E(f"fabs{sfx}({a.code})", cty, refs=a.refs)
        if op == "?:":
            c = self.cond(depth - 1)
            a, b = self.operand_pair(cty, depth)
            self.features.add("ternary")
            return E(f"({c.code} ? {a.code} : {b.code})", cty, refs=a.refs | b.refs | c.refs)
        a = self.leaf(cty)
        b = self.expr(cty, depth - 1)
        if b.code == a.code:
            return a
        self.features.add("ternary")
        rel = r.choice(["<", ">"])
        return E(f"({a.code} {rel} {b.code} ? {a.code} : {b.code})", cty, refs=a.refs | b.refs)

    def comparable_type(self) -> CType:
        r = self.rng
        pool = [v.ty for v in self.vars] + [e.ty for e in self.elems]
        t = r.choice(pool) if pool else INT
        return promote(t)

    def cond(self, depth: int = 1) -> E:
        """A condition that depends on variables and is not constant over their ranges."""
        r = self.rng
        if depth > 0 and r.random() < 0.12:
            a, b = self.cond(0), self.cond(0)
            if a.code != b.code:
                return E(f"({a.code} {r.choice(['&&', '||'])} {b.code})", INT, 0, 1, is_bool=True,
                         refs=a.refs | b.refs)
        cty = self.comparable_type()
        a = self.expr(cty, max(depth, 0))
        if a.const:
            a = self.leaf(cty)
        if a.const:  # nothing variable in scope
            return E("1", INT, 1, 1, const=True, is_bool=True)
        if r.random() < 0.55:
            if cty.is_float:
                b = self.constant(cty)
                op = r.choice(["<", ">", "<=", ">="])
            else:
                lo, hi = (a.lo, a.hi) if a.lo is not None else (cty.min, cty.max)
                lo, hi = max(lo, -10**6), min(hi, 10**6)
                if hi - lo >= 2:
                    v = r.randint(lo + 1, hi - 1)
                    if r.random() < 0.5 and lo < 0 < hi:
                        v = 0
                    b = E(_int_lit(v, cty), cty, v, v, const=True)
                    op = r.choice(["<", ">", "<=", ">=", "!=", "=="] if self._is_simple(a) else
                                  ["<", ">", "<=", ">="])
                else:
                    b = self.leaf(cty)
                    op = r.choice(["<", ">", "!="])
        else:
            b = self.expr(cty, max(depth - 1, 0))
            if b.code == a.code or b.const:
                b = self.leaf(cty)
            if b.code == a.code:
                return self.cond_simple_nonzero(a)
            op = r.choice(["<", ">", "<=", ">=", "!=", "=="])
        return E(f"{a.code} {op} {b.code}", INT, 0, 1, is_bool=True, refs=a.refs | b.refs)

    def cond_simple_nonzero(self, a: E) -> E:
        return E(f"{a.code} != {_int_lit(0, a.ty) if not a.ty.is_float else _float_lit(0.0, a.ty)}", INT, 0, 1,
                 is_bool=True, refs=a.refs)

    @staticmethod
    def _is_simple(a: E) -> bool:
        return all(ch not in a.code for ch in "&|^~<>%")

    # ---------------------------------------------------------------- statements
    def declare(self, ty: CType, init: E, kind: str = "local", name: str | None = None) -> Var:
        name = name or self.fresh(self.rng.choice(["t", "v", "s", "r", "x", "m", "acc", "c"]))
        conv = self.convert(init, promote(ty))
        lo, hi = (conv.lo, conv.hi) if not ty.is_float else (None, None)
        if lo is not None and not _fits(lo, hi, ty):
            lo, hi = ty.min, ty.max
        if narrower_than_int(ty) and lo is None:
            lo, hi = ty.min, ty.max
        if ty.is_float:
            code = init.code
        elif init.ty.is_float:
            code = conv.code
        elif narrower_than_int(ty) and not _fits(conv.lo, conv.hi, ty):
            code = f"({ty.name})({conv.code})"
        else:
            code = conv.code
        code = _strip_parens(code)
        self.emit(f"{ty.name} {name} = {code};")
        v = Var(name, ty, lo, hi, kind, depth=self.loop_depth)
        self.vars.append(v)
        self.unit.track_type(ty)
        return v

    def update(self, v: Var, forced: E | None = None) -> None:
        """v = f(v, e): the new value always depends on the old one and on e."""
        r = self.rng
        cty = promote(v.ty)
        e = forced if forced is not None else self.expr(cty, self.cfg.max_expr_depth)
        if forced is not None:
            e = self.convert(e, cty)
        if e.const and forced is None:
            e2 = self.leaf(cty)
            if not e2.const:
                e = e2
        if e.code == v.name or (not e.refs - {v.name} and forced is None):
            e = self.leaf(cty)  # v op v is folded or cancels: use something else
            if e.code == v.name:
                e = self.constant(cty)
        old = self.var_expr(v)
        if v.ty.is_float:
            op = r.choice(["+", "-", "*", "+", "max", "min"])
            if op in ("max", "min"):
                rel = ">" if op == "max" else "<"
                self.emit(f"if ({e.code if _is_atom(e.code) else '(' + e.code + ')'} {rel} {v.name}) {{")
                self.indent += 1
                self.emit(f"{v.name} = {_strip_parens(e.code)};")
                self.indent -= 1
                self.emit("}")
                self.features.add("if")
            else:
                self.emit(f"{v.name} {op}= {_wrap_rhs(e.code)};")
            return
        ops = ["+", "^", "-", "*", "|", "mix"] if v.kind != "acc" else ["+", "+", "+", "-", "^"]
        op = r.choice(ops)
        if op == "mix":
            # v = v * K + e  (a hash step)
            k = self.constant(cty)
            step = self.arith("*", old, k, cty)
            res = self.arith("+", step, e, cty)
            self._assign(v, res)
            return
        if op in ("+", "-") and v.kind == "acc":
            self.acc_add(v, op, e)
            return
        if v.kind == "acc":
            v.acc_wrap = True
        if op in ("+", "-", "*"):
            res = self.arith(op, self.var_expr(v), e, cty)
            self._assign(v, res)
            return
        self.emit(f"{v.name} {op}= {_wrap_rhs(e.code)};")
        v.updated = True

    def acc_add(self, v: Var, op: str, e: E) -> None:
        """acc += e, counted against acc's bound; rendered in resolve_accs()."""
        cty = promote(v.ty)
        t = self.trip
        if e.lo is None or v.lo is None:
            v.acc_wrap = True
        else:
            if op == "+":
                v.lo, v.hi = v.lo + t * min(e.lo, 0), v.hi + t * max(e.hi, 0)
            else:
                v.lo, v.hi = v.lo - t * max(e.hi, 0), v.hi - t * min(e.lo, 0)
        direct = f"{v.name} {op}= {_wrap_rhs(e.code)};"
        if not cty.signed and not narrower_than_int(v.ty):
            wrapped = direct
        else:
            u = unsigned_of(cty)
            wrapped = f"{v.name} = ({v.ty.name})(({u.name})({v.name}) {op} ({u.name})({_strip_parens(e.code)}));"
        self.emit(direct)
        v.acc_updates.append((len(self.lines) - 1, "    " * self.indent, direct, wrapped))
        v.updated = True
        if v not in self.all_accs:
            self.all_accs.append(v)

    def resolve_accs(self) -> None:
        for v in self.all_accs:
            cty = promote(v.ty)
            ok = not v.acc_wrap and _fits(v.lo, v.hi, cty) and _fits(v.lo, v.hi, v.ty)
            for idx, indent, direct, wrapped in v.acc_updates:
                self.lines[idx] = indent + (direct if ok else wrapped)
            if not ok:
                self.features.add("wrapping")

    def _assign(self, v: Var, res: E) -> None:
        code = _strip_parens(res.code)
        if narrower_than_int(v.ty) or (not v.ty.is_float and canonical(res.ty) != canonical(promote(v.ty))):
            if not _fits(res.lo, res.hi, v.ty):
                code = f"({v.ty.name})({code})"
        if code.startswith(f"{v.name} + ") or code.startswith(f"{v.name} ^ "):
            opch = code[len(v.name) + 1]
            rest = code[len(v.name) + 3:]
            self.emit(f"{v.name} {opch}= {_wrap_rhs(rest)};")
        else:
            self.emit(f"{v.name} = {code};")
        v.updated = True
        if v.kind == "acc":
            v.acc_wrap = True

    def updatable(self) -> list[Var]:
        return [v for v in self.vars if v.kind in ("local", "acc")]

    def stmt(self, budget: int) -> int:
        """One statement (maybe compound); returns how many simple statements it used."""
        r = self.rng
        cfg = self.cfg
        ups = self.updatable()
        roll = r.random()
        if not ups or roll < 0.15:
            ty = self.pick_local_type()
            cty = promote(ty)
            init = self.expr(cty, cfg.max_expr_depth)
            if init.const:
                init = self.leaf(cty)
            if not init.refs:
                return 1  # nothing variable to compute from: a constant local would be dead weight
            if self.loop_depth > 0:
                # a temp inside a loop body is consumed right away by an outer variable
                targets = [v for v in ups if v.depth < self.loop_depth]
                if not targets:
                    for v in ups:
                        self.update(v)
                        return 1
                    return 0
                t = self.declare(ty, init)
                self.update(r.choice(targets), forced=self.var_expr(t))
                self.vars.remove(t)
                return 2
            self.declare(ty, init)
            return 1
        if budget >= 2 and roll < 0.30:
            return self.if_stmt(budget)
        if budget >= 2 and roll < 0.30 + cfg.p_switch and self.loop_depth < 2:
            return self.switch_stmt(budget)
        if budget >= 2 and roll < 0.30 + cfg.p_switch + cfg.p_while and self.loop_depth == 0:
            return self.while_stmt(budget)
        if budget >= 2 and roll < 0.30 + cfg.p_switch + cfg.p_while + cfg.p_do and self.loop_depth == 0:
            return self.do_stmt(budget)
        if self.loop_depth == 0 and r.random() < cfg.p_early_return and self.ret is not None:
            return self.early_return()
        targets = [v for v in ups if self.loop_depth == 0 or v.depth < self.loop_depth] or ups
        self.update(r.choice(targets))
        return 1

    def pick_local_type(self) -> CType:
        r = self.rng
        if self.unit.float_mode and r.random() < 0.6:
            return self.unit.float_type
        if r.random() < 0.5:
            return r.choice([INT, UINT, LONG, ULONG, INT, UINT])
        return self.unit.pick_int_type()

    def block(self, budget: int) -> int:
        used = 0
        n = self.rng.randint(1, max(1, min(2, budget)))
        for _ in range(n):
            used += self._body_update()
        return used

    def _body_update(self) -> int:
        ups = [v for v in self.updatable() if v.depth <= self.loop_depth]
        if not ups:
            return 0
        self.update(self.rng.choice(ups))
        return 1

    def if_stmt(self, budget: int) -> int:
        c = self.cond(1)
        if c.const:
            return self._body_update()
        self.features.add("if")
        self.emit(f"if ({c.code}) {{")
        self.indent += 1
        used = self.block(budget - 1)
        self.indent -= 1
        if self.rng.random() < 0.45:
            self.emit("} else {")
            self.indent += 1
            used += self.block(budget - 1)
            self.indent -= 1
        self.emit("}")
        return used + 1

    def switch_stmt(self, budget: int) -> int:
        r = self.rng
        sel = self.leaf(INT if r.random() < 0.5 else UINT)
        if sel.const:
            return self._body_update()
        k = r.randint(3, 6)
        if sel.lo is not None and sel.lo >= 0 and sel.hi < k:
            code = sel.code
        elif r.random() < 0.5 and (k & (k - 1)) == 0:
            code = f"{_paren(sel.code)} & {k - 1}"
        else:
            code = f"(unsigned)({sel.code}) % {k}u" if sel.ty.signed else f"{_paren(sel.code)} % {k}u"
        self.features.add("switch")
        self.emit(f"switch ({code}) {{")
        cases = sorted(r.sample(range(k), r.randint(2, min(k, 4))))
        used = 1
        for cv in cases:
            self.emit(f"case {cv}:")
            self.indent += 1
            used += self._body_update()
            self.emit("break;")
            self.indent -= 1
        if r.random() < 0.6:
            self.emit("default:")
            self.indent += 1
            used += self._body_update()
            self.emit("break;")
            self.indent -= 1
        self.emit("}")
        return used

    def while_stmt(self, budget: int) -> int:
        """A bit loop: u = (unsigned)x; while (u != 0) { ...; u >>= k; }   (at most 32 trips)."""
        r = self.rng
        src = self.leaf(UINT)
        if src.const:
            return self._body_update()
        self.features.add("while")
        self.features.add("loops")
        u = self.declare(UINT, src, kind="loopsrc", name=self.fresh("u"))
        u.lo, u.hi = 0, UINT.max
        self.vars.remove(u)
        self.emit(f"while ({u.name} != 0) {{")
        self.indent += 1
        saved = self._enter_loop(32)
        bitvar = Var(u.name, UINT, 0, UINT.max, "loop")
        self.vars.append(bitvar)
        used = self.block(budget - 1)
        self.vars.remove(bitvar)
        step = r.choice([f"{u.name} >>= 1;", f"{u.name} >>= 2;", f"{u.name} &= {u.name} - 1;", f"{u.name} /= 3;"])
        self.emit(step)
        self._leave_loop(saved)
        self.indent -= 1
        self.emit("}")
        # the loop source itself may be read after the loop; it is consumed via the loop body
        return used + 1

    def do_stmt(self, budget: int) -> int:
        r = self.rng
        src = self.leaf(INT)
        if src.const:
            return self._body_update()
        self.features.add("do_while")
        self.features.add("loops")
        k = r.choice([3, 7, 15])
        name = self.fresh("k")
        self.emit(f"int {name} = ({_paren(src.code)} & {k}) + 1;")
        self.emit("do {")
        self.indent += 1
        saved = self._enter_loop(k + 1)
        kv = Var(name, INT, 1, k + 1, "loop")
        self.vars.append(kv)
        used = self.block(budget - 1)
        self.vars.remove(kv)
        self._leave_loop(saved)
        self.indent -= 1
        self.emit(f"}} while (--{name} > 0);")
        return used + 1

    def early_return(self) -> int:
        c = self.cond(1)
        if c.const:
            return self._body_update()
        e = self.expr(self.ret_cty(), 1)
        self.features.add("early_return")
        self.had_return = True
        self.emit(f"if ({c.code}) {{")
        self.indent += 1
        self.emit(f"return {self.ret_code(e)};")
        self.indent -= 1
        self.emit("}")
        return 1

    def ret_cty(self) -> CType:
        return promote(self.ret)

    def ret_code(self, e: E) -> str:
        e = self.convert(e, self.ret_cty())
        if narrower_than_int(self.ret) and not _fits(e.lo, e.hi, self.ret):
            return f"({self.ret.name})({_strip_parens(e.code)})"
        return _strip_parens(e.code)

    def _enter_loop(self, trips: int):
        saved = (self.trip, set(self.in_loop_full))
        self.trip *= trips
        self.loop_depth += 1
        for v in self.vars:
            if v.kind in ("local", "acc"):
                self.in_loop_full.add(v.name)
        return saved

    def _leave_loop(self, saved) -> None:
        self.trip, self.in_loop_full = saved
        self.loop_depth -= 1
        for v in self.vars:
            if v.kind == "local" and v.updated:
                v.lo, v.hi = v.ty.min, v.ty.max

    # ---------------------------------------------------------------- the end
    def final_return(self, extra: list[E] | None = None) -> None:
        cty = self.ret_cty()
        parts = [self.var_expr(v) for v in self.vars if v.kind in ("local", "acc")]
        parts += extra or []
        if not parts:
            parts = [self.leaf(cty)]
        acc = self.convert(parts[0], cty)
        for p in parts[1:]:
            p = self.convert(p, cty)
            op = self.rng.choice(["+", "^", "-", "+"]) if not cty.is_float else self.rng.choice(["+", "-", "*"])
            if op == "^":
                if cty.is_float:
                    op = "+"
                else:
                    acc = E(f"({acc.code} ^ {p.code})", cty, cty.min, cty.max, refs=acc.refs | p.refs)
                    if acc.lo is not None and p.lo is not None and acc.lo >= 0 and p.lo >= 0:
                        pass
                    continue
            if cty.is_float:
                acc = E(f"({acc.code} {op} {p.code})", cty, refs=acc.refs | p.refs)
            else:
                acc = self.arith(op, acc, p, cty)
        self.emit(f"return {self.ret_code(acc)};")


def _is_atom(code: str) -> bool:
    return code.replace("_", "").replace(".", "").isalnum() or (code.endswith("]") and "(" not in code)


def _paren(code: str) -> str:
    return code if _is_atom(code) or (code.startswith("(") and _balanced_outer(code)) else f"({code})"


def _balanced_outer(code: str) -> bool:
    if not (code.startswith("(") and code.endswith(")")):
        return False
    depth = 0
    for i, ch in enumerate(code):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and i != len(code) - 1:
                return False
    return True


def _strip_parens(code: str) -> str:
    while _balanced_outer(code) and not _is_cast_prefix(code):
        code = code[1:-1]
    return code


def _is_cast_prefix(code: str) -> bool:
    # "(int)(x)" is balanced at its first paren pair only; _balanced_outer already rejects it.
    return False


def _wrap_rhs(code: str) -> str:
    return _strip_parens(code)


class UnitBuilder:
    """A whole translation unit: includes, structs, globals, tables, helpers, and the entry function."""

    def __init__(self, rng: random.Random, cfg: GeneratorConfig, index: int):
        self.rng = rng
        self.cfg = cfg
        self.index = index
        self.name = f"{cfg.name_prefix}{index:06d}"
        self.includes: set[str] = set()
        self.features: set[str] = set()
        self.globals_: list[tuple[str, CType]] = []
        self.tables: list[tuple[str, CType, int, int, int]] = []
        self.scalar_helpers: list[tuple[str, CType, list[CType]]] = []
        self.used_helpers: set[str] = set()
        self.helper_depth = 0
        self.top: list[str] = []
        self.float_mode = rng.random() < cfg.p_float
        self.float_type = rng.choice([FLOAT, DOUBLE])
        self.stdint = rng.random() < cfg.p_stdint
        self.types_used: set[CType] = set()
        self.structs: dict = {}

    def pick_int_type(self) -> CType:
        pool = STDINT_INTS if self.stdint else PLAIN_INTS
        t = self.rng.choice(pool)
        return t

    def track_type(self, t: CType) -> None:
        self.types_used.add(t)
        if t in STDINT_INTS and t != SIZE_T:
            self.includes.add("stdint.h")
        if t == SIZE_T:
            self.includes.add("stddef.h")

    # ------------------------------------------------------------ unit-level pieces
    def make_table(self) -> None:
        r = self.rng
        t = r.choice([INT, UCHAR, UINT, SHORT] if not self.stdint else [INT, UCHAR, UINT, SHORT])
        size = r.choice([8, 16, 32])
        vals = [r.randint(max(t.min, -1000), min(t.max, 1000)) if t.signed else r.randint(0, min(t.max, 4000))
                for _ in range(size)]
        name = f"{self.name}_tab"
        body = ", ".join(str(v) for v in vals)
        self.top.append(f"static const {t.name} {name}[{size}] = {{{body}}};")
        self.tables.append((name, t, size, min(vals), max(vals)))

    def make_global(self) -> None:
        r = self.rng
        t = r.choice([INT, UINT, LONG, ULONG]) if not self.float_mode else r.choice([INT, self.float_type])
        name = f"{self.name}_g"
        init = r.choice([None, 0, r.randint(1, 100)])
        if t.is_float and init is not None:
            self.top.append(f"{t.name} {name} = {_float_lit(float(init), t)};")
        else:
            self.top.append(f"{t.name} {name}" + (f" = {init};" if init is not None else ";"))
        self.globals_.append((name, t))

    def make_helper(self) -> None:
        r = self.rng
        hname = f"{self.name}_h{len(self.scalar_helpers)}"
        ret = r.choice([INT, UINT, LONG]) if not self.float_mode else self.float_type
        nparams = r.randint(1, 2)
        ptypes = [r.choice([INT, UINT, LONG]) if not (self.float_mode and r.random() < 0.5) else self.float_type
                  for _ in range(nparams)]
        b = _Builder(r, self.cfg, self, ret)
        saved_globals, saved_tables = self.globals_, self.tables
        self.globals_, self.tables = [], []
        names = ["x", "y", "z"]
        for pn, pt in zip(names, ptypes):
            b.vars.append(Var(pn, pt, None if pt.is_float else pt.min, None if pt.is_float else pt.max, "param"))
        self.helper_depth += 1
        for _ in range(r.randint(1, 2)):
            b.stmt(1)
        b.final_return([b.var_expr(v) for v in b.vars if v.kind == "param"])
        b.resolve_accs()
        self.helper_depth -= 1
        self.globals_, self.tables = saved_globals, saved_tables
        params = ", ".join(f"{pt.name} {pn}" for pn, pt in zip(names, ptypes))
        text = [f"static {ret.name} {hname}({params})", "{", *b.lines, "}"]
        self.top.append("\n".join(text))
        self.scalar_helpers.append((hname, ret, ptypes))


def _range_for(rng: random.Random, t: CType) -> tuple:
    if t.is_float:
        return rng.choice([(-100.0, 100.0), (-1.0, 1.0), (0.0, 1000.0), (-1e4, 1e4)])
    opts = [(-50, 50), (-1000, 1000), (0, 255), (0, 100), (-100000, 100000), (t.min, t.max)]
    lo, hi = rng.choice(opts)
    lo, hi = max(lo, t.min), min(hi, t.max)
    if lo >= hi:
        lo, hi = t.min, t.max
    return lo, hi


def _fmt_range(lo, hi) -> str:
    if isinstance(lo, float):
        return f"{lo!r}..{hi!r}"
    return f"{lo}..{hi}"


def generate_function(seed: int, index: int, cfg: GeneratorConfig | None = None) -> GeneratedFunction:
    """Function `index` of the synthetic stream for `seed`; independent of every other index."""
    cfg = cfg or GeneratorConfig()
    rng = random.Random(f"synthetic-v1/{seed}/{index}")
    for _attempt in range(20):
        try:
            return _generate(rng, cfg, index)
        except _Retry:
            continue
    raise RuntimeError(f"generator failed for seed={seed} index={index}")


class _Retry(Exception):
    pass


def _generate(rng: random.Random, cfg: GeneratorConfig, index: int) -> GeneratedFunction:
    u = UnitBuilder(rng, cfg, index)
    kind = rng.choices(list(cfg.kind_weights), weights=list(cfg.kind_weights.values()))[0]
    if rng.random() < cfg.p_table:
        u.make_table()
    if rng.random() < cfg.p_global:
        u.make_global()
    if rng.random() < cfg.p_helper:
        u.make_helper()
    feats = u.features
    params: list[Param] = []
    ann: dict = {"len": {}, "out": [], "range": {}, "string": []}
    elem_t = u.float_type if u.float_mode and rng.random() < 0.7 else u.pick_int_type()
    ret: CType | None = rng.choice([INT, LONG, UINT, ULONG, INT]) if not u.float_mode else u.float_type
    if not u.float_mode and rng.random() < 0.25:
        ret = u.pick_int_type()
    b = _Builder(rng, cfg, u, ret)
    len_t = rng.choice([INT, INT, INT, UINT, SIZE_T, LONG])
    maxn = rng.choice([8, 16, 32, cfg.max_len])
    minn = rng.choice([0, 1]) if kind != "matrix" else 1
    arrays: list[tuple[str, CType]] = []
    outs: list[tuple[str, CType]] = []
    structs_fields = None

    def add_scalar(name: str, t: CType) -> None:
        lo, hi = _range_for(rng, t)
        params.append(Param(name, t))
        ann["range"][name] = (lo, hi)
        b.vars.append(Var(name, t, None if t.is_float else lo, None if t.is_float else hi, "param"))
        u.track_type(t)

    n_name = rng.choice(["n", "len", "count", "size", "m"])
    if kind in ("array", "map", "struct"):
        arr_names = rng.sample(["a", "b", "x", "y", "src", "v", "w", "p", "q", "data"], 3)
        if kind == "struct":
            tag = f"{u.name}_s"
            nf = rng.randint(2, 4)
            fields = []
            for fi, fname in enumerate(rng.sample(["a", "b", "c", "d", "lo", "hi", "key", "val", "w"], nf)):
                ft = u.float_type if (u.float_mode and rng.random() < 0.5) else u.pick_int_type()
                fields.append((fname, ft))
                u.track_type(ft)
            u.top.insert(0, f"struct {tag} {{\n" + "".join(f"    {ft.name} {fn};\n" for fn, ft in fields) + "};")
            u.structs[tag] = fields
            structs_fields = (tag, fields)
            pname = arr_names[0]
            params.append(Param(pname, INT, pointer=True, const=True, struct=tag))
            ann["len"][pname] = n_name
            feats.add("structs")
        else:
            na = 1 if rng.random() < 0.65 else 2
            for i in range(na):
                t = elem_t if i == 0 else (elem_t if rng.random() < 0.5 else u.pick_int_type())
                params.append(Param(arr_names[i], t, pointer=True, const=True))
                ann["len"][arr_names[i]] = n_name
                arrays.append((arr_names[i], t))
                u.track_type(t)
        if kind == "map":
            ot = elem_t if rng.random() < 0.6 else (u.pick_int_type() if not u.float_mode else u.float_type)
            oname = rng.choice(["out", "dst", "res", "r"])
            params.append(Param(oname, ot, pointer=True))
            ann["len"][oname] = n_name
            ann["out"].append(oname)
            outs.append((oname, ot))
            u.track_type(ot)
        params.append(Param(n_name, len_t))
        ann["range"][n_name] = (minn, maxn)
        u.track_type(len_t)
        feats.add("pointers")
    elif kind == "matrix":
        params.append(Param("m", elem_t, pointer=True, const=True))
        arrays.append(("m", elem_t))
        ann["len"]["m"] = "rows*cols"
        rmax = rng.choice([4, 8])
        params.append(Param("rows", INT))
        params.append(Param("cols", INT))
        ann["range"]["rows"] = (1, rmax)
        ann["range"]["cols"] = (1, rmax)
        feats.update(["pointers", "arrays_2d"])
        u.track_type(elem_t)
        if rng.random() < 0.5:
            ot = elem_t if u.float_mode else rng.choice([INT, LONG, elem_t])
            params.insert(1, Param("out", ot, pointer=True))
            ann["len"]["out"] = "rows"
            ann["out"].append("out")
            outs.append(("out", ot))
            u.track_type(ot)
    elif kind == "string":
        params.append(Param("s", CHAR, pointer=True, const=True))
        ann["string"].append("s")
        feats.update(["pointers", "strings"])
        if rng.random() < 0.4:
            params.append(Param("out", CHAR, pointer=True))
            params.append(Param("cap", INT))
            ann["len"]["out"] = "cap"
            ann["out"].append("out")
            ann["range"]["cap"] = (1, 64)
            outs.append(("out", CHAR))
            ret = INT
            b.ret = INT
    n_extra = rng.choice([0, 1, 1, 2]) if kind != "scalar" else rng.randint(1, 4)
    for j in range(n_extra):
        t = u.float_type if (u.float_mode and rng.random() < 0.6) else (
            rng.choice([INT, UINT, LONG, INT]) if rng.random() < 0.5 else u.pick_int_type())
        add_scalar(["k", "c", "t", "lim", "z"][j], t)

    # length / dims visible as scalars too
    for p in params:
        if not p.pointer and p.name not in [v.name for v in b.vars]:
            lo, hi = ann["range"][p.name]
            b.vars.append(Var(p.name, p.ctype, lo, hi, "param"))

    n_stmts = rng.randint(cfg.min_stmts, cfg.max_stmts)
    used = 0
    # pre-loop statements
    pre = rng.randint(0, max(0, n_stmts // 2))
    while used < pre:
        used += max(1, b.stmt(pre - used))

    if kind in ("array", "map", "struct"):
        _array_loop(b, rng, cfg, n_name, len_t, maxn, arrays, outs, structs_fields, params, n_stmts - used)
    elif kind == "matrix":
        _matrix_loop(b, rng, cfg, arrays, outs, n_stmts - used)
    elif kind == "string":
        _string_loop(b, rng, cfg, outs, n_stmts - used)
    elif kind == "scalar":
        if rng.random() < 0.4:
            _counted_loop(b, rng, cfg, n_stmts - used)
        else:
            while used < n_stmts:
                used += max(1, b.stmt(n_stmts - used))
    # post statements
    for _ in range(rng.choice([0, 0, 1])):
        b.stmt(1)
    if u.globals_ and rng.random() < 0.85:
        gname, gt = u.globals_[0]
        cty = promote(gt)
        e = b.leaf(cty)
        if gt.is_float:
            b.emit(f"{gname} += {_strip_parens(e.code)};")
        else:
            ge = E(gname, gt, gt.min, gt.max)
            res = b.arith(rng.choice(["+", "-"]), ge, e, cty)
            b.emit(f"{gname} = {_strip_parens(res.code)};")
        feats.add("globals")
    # helpers not called yet: call them now so they are used (and live)
    for h in u.scalar_helpers:
        if h[0] not in u.used_helpers:
            t = b.pick_local_type()
            e = b.call_helper(h)
            b.declare(t, e)
    for tab in u.tables:
        if not _mentions("\n".join(b.lines), tab[0]):
            t = b.pick_local_type()
            b.unit.tables = [tab]
            e = b.leaf(promote(t))
            tries = 0
            while tab[0] not in e.code and tries < 20:
                e = b.leaf(promote(t))
                tries += 1
            if tab[0] not in e.code:
                raise _Retry()
            b.declare(t, e)
    # every parameter must be read
    body_text = "\n".join(b.lines)
    extra: list[E] = []
    for p in params:
        if not _mentions(body_text, p.name):
            if p.pointer:
                raise _Retry()
            v = next(v for v in b.vars if v.name == p.name)
            extra.append(b.var_expr(v))
    void = (kind == "map" or (kind == "matrix" and outs)) and not any(
        v.kind in ("local", "acc") for v in b.vars) and not extra and not b.had_return and rng.random() < 0.7
    b.resolve_accs()
    if void:
        ret_name = "void"
    else:
        b.final_return(extra)
        ret_name = b.ret.name
        u.track_type(b.ret)
    # features
    for p in params:
        if not p.pointer or p.struct is None:
            feats.add(width_family(p.ctype))
            if p.ctype.is_float:
                feats.add("floats")
            if p.ctype in STDINT_INTS:
                feats.add("stdint")
            if not p.ctype.is_float and not p.ctype.signed:
                feats.add("unsigned")
    for t in u.types_used:
        feats.add(width_family(t))
        if t.is_float:
            feats.add("floats")
        if t in STDINT_INTS:
            feats.add("stdint")
    if any(t.is_float for t in u.types_used):
        feats.add("floats")

    def pdecl(p: Param) -> str:
        if p.struct:
            return f"const struct {p.struct} *{p.name}"
        if p.pointer:
            return f"{'const ' if p.const else ''}{p.ctype.name} *{p.name}"
        return f"{p.ctype.name} {p.name}"

    ann_parts = []
    for p in params:
        if p.name in ann["len"]:
            ann_parts.append(f"len({p.name})={ann['len'][p.name]}")
        if p.name in ann["out"]:
            ann_parts.append(f"out({p.name})")
        if p.name in ann["string"]:
            ann_parts.append(f"string({p.name})")
        if p.name in ann["range"]:
            ann_parts.append(f"range({p.name})={_fmt_range(*ann['range'][p.name])}")
    includes = sorted(u.includes)
    head = "".join(f"#include <{h}>\n" for h in includes)
    parts = [head] if head else []
    for t in u.top:
        parts.append(t + "\n")
    sig = f"{ret_name} {u.name}({', '.join(pdecl(p) for p in params)})"
    fn = [f"// ncc: {' '.join(ann_parts)}" if ann_parts else "", sig, "{", *b.lines, "}"]
    parts.append("\n".join(line for line in fn if line) + "\n")
    source = "\n".join(parts)
    if len(b.lines) > 60:
        raise _Retry()
    feats.discard("wrapping")
    feats.discard("guarded_div")
    if any(p.pointer for p in params):
        feats.add("pointers")
    return GeneratedFunction(index=index, name=u.name, source=source, features=sorted(feats),
                             params=params, return_type=ret_name, annotations=ann, structs=u.structs)


def _mentions(text: str, name: str) -> bool:
    import re
    return re.search(rf"(?<![\w.>]){re.escape(name)}\b", text) is not None


def _loop_var(b: _Builder, name: str, hi: int) -> Var:
    v = Var(name, INT, 0, max(hi - 1, 0), "loop")
    return v


def _array_loop(b: _Builder, rng, cfg, n_name, len_t, maxn, arrays, outs, structs_fields, params, budget):
    feats = b.features
    feats.add("loops")
    idx_t = len_t if len_t in (SIZE_T, UINT, LONG) else INT
    i = "i"
    reverse = rng.random() < 0.15 and idx_t.signed
    # accumulator declared before the loop (sum/count/hash)
    if rng.random() < 0.85 or not outs:
        if b.unit.float_mode and rng.random() < 0.7:
            at = b.unit.float_type
            b.emit(f"{at.name} acc = {_float_lit(0.0, at)};")
            b.vars.append(Var("acc", at, None, None, "acc"))
        else:
            at = rng.choice([LONG, LLONG, INT, UINT, ULONG, INT])
            init = rng.choice([0, 0, 0, 1, 7])
            b.emit(f"{at.name} acc = {init};")
            b.vars.append(Var("acc", at, init, init, "acc"))
        b.unit.track_type(at)
    if reverse:
        b.emit(f"for ({idx_t.name} {i} = {n_name} - 1; {i} >= 0; {i}--) {{")
    else:
        b.emit(f"for ({idx_t.name} {i} = 0; {i} < {n_name}; {i}++) {{")
    b.indent += 1
    saved = b._enter_loop(maxn)
    lv = Var(i, idx_t, 0, max(maxn - 1, 0), "loop")
    b.vars.append(lv)
    if structs_fields:
        tag, fields = structs_fields
        pname = params[0].name
        for fname, ft in fields:
            lo, hi = (None, None) if ft.is_float else (ft.min, ft.max)
            b.elems.append(Elem(f"{pname}[{i}].{fname}", ft, lo, hi, frozenset([pname])))
    for an, at in arrays:
        lo, hi = (None, None) if at.is_float else (at.min, at.max)
        b.elems.append(Elem(f"{an}[{i}]", at, lo, hi, frozenset([an])))
        if rng.random() < 0.3:
            b.elems.append(Elem(f"{an}[{n_name} - 1 - {i}]", at, lo, hi, frozenset([an])))
    if b.elems and rng.random() < cfg.p_continue:
        c = b.cond(0)
        if not c.const:
            b.emit(f"if ({c.code}) {{")
            b.emit("    continue;")
            b.emit("}")
            feats.update(["continue", "if"])
    used = 0
    # make sure every input array is read, and every output written
    accs = [v for v in b.vars if v.kind == "acc"]
    for el in list(b.elems):
        if not any(el.code.split("[")[0] == other for other in []):
            pass
    read_names = set()
    for el in b.elems:
        base = el.code.split("[")[0]
        if base in read_names:
            continue
        read_names.add(base)
        if accs:
            b.update(accs[0], forced=E(el.code, el.ty, el.lo, el.hi, refs=el.refs))
            used += 1
    for on, ot in outs:
        cty = promote(ot)
        e = b.expr(cty, cfg.max_expr_depth)
        if e.const:
            e = b.leaf(cty)
        code = _strip_parens(e.code)
        if narrower_than_int(ot) and not _fits(e.lo, e.hi, ot):
            code = f"({ot.name})({code})"
        b.emit(f"{on}[{i}] = {code};")
        used += 1
    if rng.random() < cfg.p_nested_loop and budget - used >= 1 and not reverse:
        feats.add("nested_loops")
        b.emit(f"for ({idx_t.name} j = {i} + 1; j < {n_name}; j++) {{")
        b.indent += 1
        saved2 = b._enter_loop(maxn)
        saved_elems = list(b.elems)
        for an, at in arrays[:1]:
            lo, hi = (None, None) if at.is_float else (at.min, at.max)
            b.elems.append(Elem(f"{an}[j]", at, lo, hi, frozenset([an])))
        b.vars.append(Var("j", idx_t, 1, max(maxn - 1, 1), "loop"))
        b._body_update()
        used += 1
        b.vars.pop()
        b.elems = saved_elems
        b._leave_loop(saved2)
        b.indent -= 1
        b.emit("}")
    while used < budget:
        used += max(1, b.stmt(budget - used))
    if rng.random() < cfg.p_break and b.elems:
        c = b.cond(0)
        if not c.const:
            b.emit(f"if ({c.code}) {{")
            b.emit("    break;")
            b.emit("}")
            feats.update(["break", "if"])
    b.vars.remove(lv)
    b.elems = []
    b._leave_loop(saved)
    b.indent -= 1
    b.emit("}")


def _matrix_loop(b: _Builder, rng, cfg, arrays, outs, budget):
    feats = b.features
    feats.update(["loops", "nested_loops"])
    mt = arrays[0][1]
    if b.unit.float_mode and mt.is_float:
        at = mt
        b.emit(f"{at.name} acc = {_float_lit(0.0, at)};")
        b.vars.append(Var("acc", at, None, None, "acc"))
    else:
        at = rng.choice([LONG, LLONG, INT, ULONG])
        b.emit(f"{at.name} acc = 0;")
        b.vars.append(Var("acc", at, 0, 0, "acc"))
    b.unit.track_type(at)
    b.emit("for (int i = 0; i < rows; i++) {")
    b.indent += 1
    saved = b._enter_loop(8)
    b.vars.append(Var("i", INT, 0, 7, "loop"))
    row = None
    if outs:
        on, ot = outs[0]
        rt = ot if ot.is_float else (LONG if ot.bits == 64 else INT)
        if ot.is_float:
            b.emit(f"{rt.name} row = {_float_lit(0.0, rt)};")
        else:
            b.emit(f"{rt.name} row = 0;")
        row = Var("row", rt, 0, 0, "acc", depth=1)
        b.vars.append(row)
    b.emit("for (int j = 0; j < cols; j++) {")
    b.indent += 1
    saved2 = b._enter_loop(8)
    b.vars.append(Var("j", INT, 0, 7, "loop"))
    lo, hi = (None, None) if mt.is_float else (mt.min, mt.max)
    b.elems.append(Elem("m[i * cols + j]", mt, lo, hi, frozenset(["m"])))
    if rng.random() < 0.3:
        b.elems.append(Elem("m[(rows - 1 - i) * cols + j]", mt, lo, hi, frozenset(["m"])))
    target = row if row is not None else b.vars[[v.name for v in b.vars].index("acc")]
    b.update(target, forced=E("m[i * cols + j]", mt, lo, hi, refs=frozenset(["m"])))
    used = 1
    while used < budget:
        used += 1
        b._body_update()
    b.elems = []
    b.vars.pop()
    b._leave_loop(saved2)
    b.indent -= 1
    b.emit("}")
    if row is not None:
        on, ot = outs[0]
        code = "row"
        if canonical(ot) != canonical(row.ty) and not ot.is_float:
            code = f"({ot.name})row"
        b.emit(f"{on}[i] = {code};")
        b.vars.remove(row)
        accv = next(v for v in b.vars if v.name == "acc")
        b.update(accv, forced=E("row", row.ty, row.ty.min if not row.ty.is_float else None,
                                row.ty.max if not row.ty.is_float else None, refs=frozenset(["row"])))
    b.vars.pop()
    b._leave_loop(saved)
    b.indent -= 1
    b.emit("}")


def _string_loop(b: _Builder, rng, cfg, outs, budget):
    feats = b.features
    feats.add("loops")
    u = b.unit
    if outs:
        # copy-transform into a bounded output buffer, return the length written
        b.emit("int i = 0;")
        b.emit("for (; s[i] != '\\0' && i < cap - 1; i++) {")
        b.indent += 1
        b.emit("char ch = s[i];")
        form = rng.choice(["upper", "lower", "rot", "digit", "swap"])
        if form == "upper":
            b.emit("out[i] = (ch >= 'a' && ch <= 'z') ? (char)(ch - 32) : ch;")
        elif form == "lower":
            b.emit("out[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;")
        elif form == "rot":
            k = rng.randint(1, 25)
            b.emit(f"out[i] = (ch >= 'a' && ch <= 'z') ? (char)('a' + (ch - 'a' + {k}) % 26) : ch;")
        elif form == "digit":
            b.emit("out[i] = (ch >= '0' && ch <= '9') ? (char)('9' - (ch - '0')) : ch;")
        else:
            b.emit("out[i] = (char)(ch ^ 32);")
        b.indent -= 1
        b.emit("}")
        b.emit("out[i] = '\\0';")
        b.vars.append(Var("i", INT, 0, 63, "local"))
        b.vars[-1].updated = True
        b.vars[-1].lo, b.vars[-1].hi = 0, 63
        feats.add("chars")
        return
    use_strlen = rng.random() < cfg.p_libc * 2
    at = rng.choice([UINT, LONG, INT, ULONG])
    init = rng.choice([0, 5381, 0, 7])
    b.emit(f"{at.name} acc = {init};")
    b.vars.append(Var("acc", at, init, init, "acc"))
    b.unit.track_type(at)
    if use_strlen:
        u.includes.add("string.h")
        feats.update(["libc"])
        b.emit("size_t len = strlen(s);")
        b.emit("for (size_t i = 0; i < len; i++) {")
        b.vars.append(Var("len", SIZE_T, 0, 1 << 20, "param"))
        u.track_type(SIZE_T)
    else:
        b.emit("for (int i = 0; s[i] != '\\0'; i++) {")
    b.indent += 1
    saved = b._enter_loop(1 << 20)
    b.emit("char ch = s[i];")
    lv = Var("i", SIZE_T if use_strlen else INT, 0, (1 << 20), "loop")
    chv = Var("ch", CHAR, CHAR_LO, CHAR_HI, "loop")
    b.vars += [lv, chv]
    feats.add("chars")
    form = rng.choice(["class", "class", "hash", "any"])
    accv = next(v for v in b.vars if v.name == "acc")
    if form == "class":
        lo_c, hi_c = rng.choice([("'a'", "'z'"), ("'0'", "'9'"), ("'A'", "'Z'"), ("' '", "'/'")])
        b.emit(f"if (ch >= {lo_c} && ch <= {hi_c}) {{")
        b.indent += 1
        b.update(accv, forced=E("ch", CHAR, CHAR_LO, CHAR_HI, refs=frozenset(["ch"])))
        b.indent -= 1
        if rng.random() < 0.5:
            b.emit("} else {")
            b.indent += 1
            b._body_update()
            b.indent -= 1
        b.emit("}")
    elif form == "hash":
        acc_u = accv.ty
        if acc_u.signed:
            uu = unsigned_of(acc_u)
            b.emit(f"acc = ({acc_u.name})(({uu.name})acc * {rng.choice([31, 33, 131])}u + (unsigned char)ch);")
        else:
            b.emit(f"acc = acc * {rng.choice([31, 33, 131])}u + (unsigned char)ch;")
        accv.acc_wrap = True
        b.all_accs.append(accv)
    else:
        b.update(accv, forced=E("ch", CHAR, CHAR_LO, CHAR_HI, refs=frozenset(["ch"])))
    used = 1
    while used < budget:
        used += 1
        b._body_update()
    b.vars.remove(lv)
    b.vars.remove(chv)
    b._leave_loop(saved)
    b.indent -= 1
    b.emit("}")
    if use_strlen:
        b.vars = [v for v in b.vars if v.name != "len"]
        if rng.random() < 0.5:
            b.acc_add(accv, "+", E(f"({at.name})len", at, 0, 1 << 20))


def _counted_loop(b: _Builder, rng, cfg, budget):
    """for (int i = 0; i < k; i++) over a small ranged scalar."""
    ints = [v for v in b.vars if v.kind == "param" and not v.ty.is_float and v.lo is not None]
    if not ints:
        while budget > 0:
            budget -= max(1, b.stmt(budget))
        return
    p = rng.choice(ints)
    k = rng.randint(2, 16)
    b.features.add("loops")
    if not b.updatable():
        t = b.pick_local_type()
        init = b.leaf(promote(t))
        b.declare(t, init)
    if p.lo >= 0 and p.hi <= 64:
        bound = p.name
        trips = p.hi
    else:
        bound = f"({_paren(p.name)} & {k - 1 if (k & (k - 1)) == 0 else 15})" if p.ty.signed or True else p.name
        trips = 16
        if p.ty.bits == 64:
            bound = f"(int)({p.name} & 15)"
        bound = bound if p.ty.bits != 64 else bound
    ity = INT if (p.lo >= 0 and p.hi <= 64 and p.ty.signed and p.ty.bits == 32) else None
    if ity is None:
        b.emit(f"for (int i = 0; i < (int){_paren(bound)}; i++) {{" if bound == p.name else
               f"for (int i = 0; i < (int){bound}; i++) {{")
    else:
        b.emit(f"for (int i = 0; i < {bound}; i++) {{")
    b.indent += 1
    saved = b._enter_loop(max(trips, 1))
    lv = Var("i", INT, 0, max(trips - 1, 0), "loop")
    b.vars.append(lv)
    used = 0
    while used < max(budget, 1):
        used += max(1, b.stmt(max(budget - used, 1)))
    b.vars.remove(lv)
    b._leave_loop(saved)
    b.indent -= 1
    b.emit("}")
