"""C -> C with at most one operation per statement, through temporaries of the exact C type.

The model writes gcc -O0's code one statement at a time (skeleton.py), and it writes the
statements it has seen; held-out code is mostly new *nested* expressions, which it has not
(docs/experiments.md). gcc -O0 compiles `x = a op b;` from a template, so this pass rewrites

    s1 = (s1 * 65535U) + ((unsigned)(m[i * cols + j]) - 3U);

into statements of one operation each, every intermediate value held in a temporary declared
with the type C gives that value (integer promotions and the usual arithmetic conversions):

    unsigned int t1 = s1 * 65535U;
    int t2 = i * cols;
    int t3 = t2 + j;
    unsigned int t4 = (unsigned int) m[t3] - 3U;
    s1 = t1 + t4;

Storing a value in an object of its own type changes nothing, so the function computes what the
original computes; the verifier checks the translation against gcc's code for the *original*
unit, so a wrong rewrite can cost a translation but never pass a wrong one.

What counts as one operation: an operand is a variable or constant, optionally read through one or
two accesses with operand indices (`a[i]`, `*p`, `s.f`, `p->f`, `a[i].f`) and optionally cast.
A statement may apply one operator (binary, unary, a call) to operands. `&&`, `||` and `?:` become
`if`/`else` (their right-hand sides must stay conditional: `d != 0 ? a / d : a`); a `?:` over operands
too: `x = c ? (long) a[i] : b;` has as many forms as its condition, arms and types
combine, and the memory had seen few of them (ternary functions passed 42% / 32% held out, against
69% / 64% for all), while its `if` and its assignments are common statements. Loop headers (`for`,
`while`, `do`) stay as written: they are evaluated more than once, and the generator's are one
comparison already. A label goes on a line of its own (`L: ;`) before the first statement of what it
labels; a `goto` stays as written.

With `atoms` (three-address code, the shipped model's lowering) an operand is a variable or a
constant only: `short t1 = b[i];` loads, `o[i] = t4;` stores, `long t2 = (long) t1;` converts, and
`x = t2 * t3;` computes, each a statement of its own. Every statement is then one of a few hundred forms
that 20,000 training functions nearly all contain (docs/experiments.md). A statement this pass
cannot type or rewrite (side effects inside an expression, struct values, unknown names) is kept
exactly as written: the pass never guesses.
"""
from __future__ import annotations

import copy
from bisect import bisect_left
from dataclasses import dataclass, field

from pycparser import c_ast, c_generator
from pycparser.c_parser import Coord

from neuralcc.cbase import ctype as C
from neuralcc.cbase.csource import find_functions
from neuralcc.cbase.ctype import (CHAR, DOUBLE, FLOAT, INT, LONG, UINT, ULONG, ArrayType, CType, FloatType, IntType,
                                  PointerType, StructType, UnsupportedType, VoidType, canonical)

from .csource import SourceError, walk

_ARITH = {"+", "-", "*", "/", "%", "&", "|", "^"}
_SHIFT = {"<<", ">>"}
_COMPARE = {"<", ">", "<=", ">=", "==", "!="}
_SIDE_EFFECT_UNARY = {"++", "--", "p++", "p--"}
_INVERSE = {"<": ">=", ">": "<=", "<=": ">", ">=": "<", "==": "!=", "!=": "=="}


class Unsupported(Exception):
    """This statement stays as written (the reason is for diagnostics only)."""


@dataclass
class Lowered:
    source: str  # the whole unit, rewritten
    statements: int = 0  # statements rewritten
    temporaries: int = 0
    kept: list[str] = field(default_factory=list)  # "line N: why" for statements left as written
    changed: bool = False
    ast: c_ast.FileAST | None = None  # the rewritten unit as pycparser would read it, coords its lines


# ------------------------------------------------------------------------------------------ types

def _arith(t: CType) -> bool:
    return isinstance(t, (IntType, FloatType))


def promote(t: CType) -> CType:
    """The integer promotions, in the plain type the lowering spells (int32_t -> int, long long -> long)."""
    t = C.promote(t)
    return canonical(t) if isinstance(t, IntType) else t


def usual(a: CType, b: CType) -> CType:
    t = C.usual(a, b)
    if t is None:
        raise Unsupported("arithmetic on a non-arithmetic type")
    return t


def spell(t: CType) -> str:
    """A declaration's type words for a temporary of type `t`."""
    if isinstance(t, IntType):
        if t.is_bool:
            return "_Bool"
        return t.name
    if isinstance(t, FloatType):
        return t.name
    if isinstance(t, PointerType):
        inner = t.target
        if isinstance(inner, VoidType):
            base = "void"
        elif isinstance(inner, StructType):
            if "<anon>" in inner.name:
                raise Unsupported("pointer to an anonymous struct")
            base = inner.name
        elif isinstance(inner, (IntType, FloatType, PointerType)):
            base = spell(inner)
        else:
            raise Unsupported(f"pointer to {inner.name}")
        return f"{'const ' if t.const else ''}{base} *"
    raise Unsupported(f"a temporary of type {t.name}")


def _int_constant(text: str) -> CType:
    body = text.rstrip("uUlL")
    suffix = text[len(body):].lower()
    value = int(body, 0) if not (body.startswith("0") and body[1:].isdigit()) else int(body, 8)
    unsigned = "u" in suffix
    long_ = "l" in suffix
    decimal = not body.lower().startswith("0x") and not (body.startswith("0") and len(body) > 1)
    if not long_:
        if not unsigned and value < 2 ** 31:
            return INT
        if (unsigned or not decimal) and value < 2 ** 32:
            return UINT
    if not unsigned and value < 2 ** 63:
        return LONG
    if unsigned or not decimal:
        return ULONG
    raise Unsupported("integer constant too large")


# --------------------------------------------------------------------------------------- the pass

class _Scope:
    def __init__(self, parent: "_Scope | None" = None):
        self.names: dict[str, CType] = {}
        self.parent = parent

    def get(self, name: str) -> CType | None:
        s = self
        while s is not None:
            if name in s.names:
                return s.names[name]
            s = s.parent
        return None


class _Function:
    """Rewrites one function body into statements of one operation each (pycparser nodes)."""

    def __init__(self, reader, protos: dict, globals_: dict, enums: set, taken: set, prefix: str, atoms: bool = False):
        self.reader, self.protos, self.enums, self.taken = reader, protos, enums, taken
        self.atoms = atoms
        self.ret: CType | None = None  # the function's return type
        self.scope = _Scope()
        self.scope.names.update(globals_)
        self.prefix = prefix
        self.counter = 0
        self.result = Lowered("")
        self.spelled: dict[int, str] = {}  # id of a declaration this pass wrote -> its type words (`spell`)

    # ---- temporaries and emitted statements
    def fresh(self) -> str:
        while True:
            self.counter += 1
            name = f"{self.prefix}{self.counter}"
            if name not in self.taken:
                self.taken.add(name)
                return name

    def declaration(self, t: CType, name: str, init) -> c_ast.Decl:
        """`T name = init;` (or `T name;`), `T` spelled as `spell` does."""
        words = spell(t)
        d = c_ast.Decl(name, [], [], [], [], _type_node(words, name), init, None)
        self.spelled[id(d)] = words
        return d

    # ---- types of expressions
    def type_of(self, e) -> CType:
        if isinstance(e, c_ast.ID):
            t = self.scope.get(e.name)
            if t is None:
                if e.name in self.enums:
                    return INT
                raise Unsupported(f"unknown name {e.name}")
            return t
        if isinstance(e, c_ast.Constant):
            if e.type in ("int", "unsigned int", "long int", "unsigned long int", "long long int",
                          "unsigned long long int"):
                return _int_constant(e.value)
            if e.type == "char":
                return INT
            if e.type in ("float", "double"):
                return FLOAT if e.value.lower().endswith("f") else DOUBLE
            if e.type == "string":
                return PointerType("char *", CHAR)
            raise Unsupported(f"constant of type {e.type}")
        if isinstance(e, c_ast.Cast):
            t = self.reader.ctype(e.to_type.type)
            return self._checked(t)
        if isinstance(e, c_ast.UnaryOp):
            if e.op in _SIDE_EFFECT_UNARY:
                if not (self.atoms and isinstance(e.expr, c_ast.ID)):
                    raise Unsupported("++/-- inside an expression")
                return _decay(self.type_of(e.expr))
            if e.op == "sizeof":
                return ULONG
            if e.op == "!":
                return INT
            if e.op == "*":
                return self._deref(self.type_of(e.expr))
            if e.op == "&":
                inner = self.type_of(e.expr)
                return PointerType(f"{inner.name} *", inner)
            t = self.type_of(e.expr)
            if not _arith(t):
                raise Unsupported(f"unary {e.op} on {t.name}")
            return promote(t)
        if isinstance(e, c_ast.BinaryOp):
            if e.op in _COMPARE or e.op in ("&&", "||"):
                self.type_of(e.left), self.type_of(e.right)
                return INT
            a, b = self.type_of(e.left), self.type_of(e.right)
            if e.op in _SHIFT:
                if not isinstance(a, IntType) or not isinstance(b, IntType):
                    raise Unsupported("shift of a non-integer")
                return promote(a)
            if e.op in ("+", "-") and isinstance(_decay(a), PointerType):
                if e.op == "-" and isinstance(_decay(b), PointerType):
                    return LONG
                if isinstance(b, IntType):
                    return _decay(a)
                raise Unsupported("pointer arithmetic")
            if e.op == "+" and isinstance(_decay(b), PointerType) and isinstance(a, IntType):
                return _decay(b)
            if e.op in _ARITH:
                return usual(a, b)
            raise Unsupported(f"operator {e.op}")
        if isinstance(e, c_ast.ArrayRef):
            base, idx = self.type_of(e.name), self.type_of(e.subscript)
            if not isinstance(idx, IntType):
                raise Unsupported("index is not an integer")
            return self._deref(base)
        if isinstance(e, c_ast.StructRef):
            base = self.type_of(e.name)
            if e.type == "->":
                base = self._deref(base)
            if not isinstance(base, StructType):
                raise Unsupported("member of a non-struct")
            for f in base.fields:
                if f.name == e.field.name:
                    return self._checked(f.type)
            raise Unsupported(f"no field {e.field.name}")
        if isinstance(e, c_ast.FuncCall):
            if not isinstance(e.name, c_ast.ID) or e.name.name not in self.protos:
                raise Unsupported("call of an unknown function")
            for a in (e.args.exprs if e.args else []):
                self.type_of(a)
            return self._checked(_safe_ctype(self.reader, self.protos[e.name.name]))
        if isinstance(e, c_ast.TernaryOp):
            self.type_of(e.cond)
            a, b = self.type_of(e.iftrue), self.type_of(e.iffalse)
            if _arith(a) and _arith(b):
                return usual(a, b)
            if isinstance(_decay(a), PointerType) and _decay(a) == _decay(b):
                return _decay(a)
            raise Unsupported("conditional of mixed types")
        raise Unsupported(f"expression {type(e).__name__}")

    @staticmethod
    def _checked(t: CType) -> CType:
        if not isinstance(t, (IntType, FloatType, PointerType, ArrayType, StructType)):
            raise Unsupported(f"type {t.name}")
        return t

    @staticmethod
    def _deref(t: CType) -> CType:
        if isinstance(t, PointerType):
            return t.target
        if isinstance(t, ArrayType):
            return t.elem
        raise Unsupported("dereference of a non-pointer")

    # ---- the shape of an operand
    @staticmethod
    def is_atom(e) -> bool:
        return isinstance(e, (c_ast.ID, c_ast.Constant)) or (isinstance(e, c_ast.UnaryOp) and (
            e.op == "sizeof" or e.op == "-" and isinstance(e.expr, c_ast.Constant)))

    def is_path(self, e, depth: int = 2) -> bool:
        """A variable read through at most `depth` accesses whose indices are atoms."""
        if isinstance(e, c_ast.ID):
            return True
        if depth == 0:
            return False
        if isinstance(e, c_ast.ArrayRef):
            return self.is_atom(e.subscript) and self.is_path(e.name, depth - 1)
        if isinstance(e, c_ast.StructRef):
            return self.is_path(e.name, depth - 1)
        if isinstance(e, c_ast.UnaryOp) and e.op == "*":
            return isinstance(e.expr, c_ast.ID)
        return False

    def is_operand(self, e) -> bool:
        if self.atoms:
            return self.is_atom(e)
        if isinstance(e, c_ast.Cast):
            e = e.expr
        return self.is_atom(e) or self.is_path(e)

    # ---- lowering: each returns the new expression and appends statements to `out`
    def operand(self, e, out: list):
        if self.is_operand(e):
            return e
        if self.atoms:
            return self.atom(e, out)
        if isinstance(e, c_ast.Cast):
            return c_ast.Cast(e.to_type, self.read(e.expr, out))
        if isinstance(e, (c_ast.ArrayRef, c_ast.StructRef)) or isinstance(e, c_ast.UnaryOp) and e.op == "*":
            return self.read(e, out)
        return self.temp_of(e, out)

    def read(self, e, out: list):
        """An atom, or a read through accesses whose indices are atoms."""
        if self.is_atom(e) or self.is_path(e):
            return e
        if isinstance(e, (c_ast.ArrayRef, c_ast.StructRef)) or isinstance(e, c_ast.UnaryOp) and e.op == "*":
            try:
                return self.lvalue(e, out)
            except Unsupported:
                pass
        return self.atom(e, out)

    def atom(self, e, out: list):
        if self.is_atom(e):
            return e
        if isinstance(e, c_ast.UnaryOp) and e.op in _SIDE_EFFECT_UNARY:
            return self.bumped(e, out)
        return self.temp_of(e, out)

    def bumped(self, e: c_ast.UnaryOp, out: list):
        """`i++` or `++i` inside an expression (atoms, `i` a variable): the step is a statement of its own
        before the one that reads the value, `int t1 = i; i += 1;` then `t1` (real C writes
        `out[n++] = c`; C leaves the order within one statement open, and code that reads `i` again
        there is undefined)."""
        self.type_of(e)
        if not e.op.startswith("p"):  # prefix: the new value
            out.append(_step(e.expr.name, e.op))
            return e.expr
        old = self.declared(_decay(self.type_of(e.expr)), e.expr, out)
        out.append(_step(e.expr.name, e.op))
        return old

    def declared(self, t: CType, value, out: list) -> c_ast.ID:
        """A new temporary of type `t` holding `value`: `T tN = value;`."""
        spell(t)  # refused before a name is taken
        name = self.fresh()
        out.append(self.declaration(t, name, value))
        self.scope.names[name] = t
        self.result.temporaries += 1
        return c_ast.ID(name)

    def temp_of(self, e, out: list):
        t = _decay(self.type_of(e))
        if isinstance(t, StructType):
            raise Unsupported("a struct value")
        if not self.branches(e):  # named after its operands' temporaries, so names run in the order they are written
            return self.declared(t, self.one_operation(e, out), out)
        name = self.fresh()
        self.assign_into(name, t, e, out, declare=True)
        self.scope.names[name] = t
        self.result.temporaries += 1
        return c_ast.ID(name)

    def branches(self, e) -> bool:
        """`e` is computed with if/else: `&&`, `||` or `?:`."""
        if isinstance(e, c_ast.BinaryOp) and e.op in ("&&", "||"):
            return True
        return isinstance(e, c_ast.TernaryOp)

    def assign_into(self, name: str, t: CType, e, out: list, declare: bool) -> None:
        """`T name = e;` (or `name = e;`) as statements of one operation each."""
        if not self.branches(e):
            rhs = self.one_operation(e, out)
            out.append(self.declaration(t, name, rhs) if declare else c_ast.Assignment("=", c_ast.ID(name), rhs))
            return
        if declare:
            out.append(self.declaration(t, name, None))
        if isinstance(e, c_ast.BinaryOp):  # && or ||
            self.logical_into(name, e, out)
        else:
            then_out: list = []
            self.assign_into(name, t, e.iftrue, then_out, declare=False)
            else_out: list = []
            self.assign_into(name, t, e.iffalse, else_out, declare=False)
            self.if_else(e.cond, then_out, else_out, out)

    def logical_into(self, name: str, e, out: list) -> None:
        """name = (a && b) or (a || b), with b evaluated only when C evaluates it."""
        inner: list = []
        self.assign_into(name, INT, _truth(e.right), inner, declare=False)
        short = [c_ast.Assignment("=", c_ast.ID(name), c_ast.Constant("int", "0" if e.op == "&&" else "1"))]
        if e.op == "&&":
            self.if_else(e.left, inner, short, out)
        else:
            self.if_else(e.left, short, inner, out)

    def if_else(self, cond, then_out: list, else_out: list, out: list) -> None:
        c = self.condition(cond, out)
        out.append(c_ast.If(c, c_ast.Compound(then_out), c_ast.Compound(else_out) if else_out else None))

    def is_condition(self, c) -> bool:
        if isinstance(c, c_ast.BinaryOp) and c.op in _COMPARE:
            return self.is_operand(c.left) and self.is_operand(c.right)
        if isinstance(c, c_ast.UnaryOp) and c.op == "!":
            return self.is_operand(c.expr)
        return self.is_operand(c)

    def condition(self, c, out: list):
        """A branch condition: one comparison (or truth test) of operands."""
        if self.is_condition(c):
            return c
        if isinstance(c, c_ast.BinaryOp) and c.op in _COMPARE:
            self.type_of(c)
            return c_ast.BinaryOp(c.op, self.operand(c.left, out), self.operand(c.right, out))
        if isinstance(c, c_ast.UnaryOp) and c.op == "!":
            return c_ast.UnaryOp("!", self.operand(c.expr, out))
        return self.operand(c, out)

    def one_operation(self, e, out: list):
        """`e` as one operation over operands (sub-expressions go to temporaries first)."""
        self.type_of(e)  # refuse what cannot be typed before emitting anything for it
        if self.is_operand(e):
            return e
        if isinstance(e, c_ast.Cast):
            return c_ast.Cast(e.to_type, self.atom(e.expr, out) if self.atoms else self.read(e.expr, out))
        if isinstance(e, c_ast.BinaryOp):
            if e.op in ("&&", "||"):
                return self.temp_of(e, out)
            return c_ast.BinaryOp(e.op, self.operand(e.left, out), self.operand(e.right, out))
        if isinstance(e, c_ast.UnaryOp):
            if e.op in _SIDE_EFFECT_UNARY:
                return self.bumped(e, out)
            if e.op in ("*", "&"):
                return c_ast.UnaryOp(e.op, self.lvalue(e.expr, out) if e.op == "&" else self.atom(e.expr, out))
            return c_ast.UnaryOp(e.op, self.operand(e.expr, out))
        if isinstance(e, (c_ast.ArrayRef, c_ast.StructRef)):
            return self.lvalue(e, out)
        if isinstance(e, c_ast.FuncCall):
            return self.call(e, out)
        if isinstance(e, c_ast.TernaryOp):
            return self.temp_of(e, out)
        raise Unsupported(f"expression {type(e).__name__}")

    def returned(self, e, out: list):
        """A return's value; with atoms a constant goes through a variable of the function's return type
        (`int t1 = 0; return t1;`): kernels return variables, and both statements are common ones."""
        if self.atoms and isinstance(e, c_ast.Constant) and self.ret is not None:
            return self.declared(self.ret, e, out)
        return self.one_operation(e, out)

    def call(self, e: c_ast.FuncCall, out: list):
        if not isinstance(e.name, c_ast.ID) or e.name.name not in self.protos:
            raise Unsupported("call of an unknown function")
        args = [self.operand(a, out) for a in (e.args.exprs if e.args else [])]
        return c_ast.FuncCall(e.name, c_ast.ExprList(args) if e.args else None)

    def lvalue(self, e, out: list):
        """An object to store to (or take the address of): a path with atom indices."""
        if self.is_path(e):
            return e
        if isinstance(e, c_ast.ArrayRef):
            return c_ast.ArrayRef(self.atom(e.name, out) if not self.is_path(e.name, 1) else e.name,
                                  self.atom(e.subscript, out))
        if isinstance(e, c_ast.StructRef):
            if e.type == "->":
                return c_ast.StructRef(self.atom(e.name, out), "->", e.field)
            base = self.lvalue(e.name, out)
            if not self.is_path(base, 1):
                raise Unsupported("member of a complex object")
            return c_ast.StructRef(base, ".", e.field)
        if isinstance(e, c_ast.UnaryOp) and e.op == "*":
            return c_ast.UnaryOp("*", self.atom(e.expr, out))
        raise Unsupported(f"store to {type(e).__name__}")

    # ---- statements
    def statement(self, s, out: list) -> None:
        """Append the lowered statements of `s` (or `s` as written)."""
        if isinstance(s, c_ast.Compound):
            inner: list = []
            self.block(s.block_items, inner)
            out.append(c_ast.Compound(inner))
        elif isinstance(s, c_ast.If):
            self.if_stmt(s, out)
        elif isinstance(s, c_ast.For):
            self.for_stmt(s, out)
        elif isinstance(s, c_ast.While):
            cond, body = self.guarded(s.cond, s.stmt)
            loads = self.rotated(s, cond, body)
            if loads is None:
                out.append(c_ast.While(cond, c_ast.Compound(self.body(body))))
            else:
                pre, cond = loads
                self.result.statements += 1
                out.extend(pre)
                reload = [c_ast.Assignment("=", c_ast.ID(d.name), copy.deepcopy(d.init)) if isinstance(d, c_ast.Decl)
                          else copy.deepcopy(d) for d in pre]
                out.append(c_ast.While(cond, c_ast.Compound(self.body(body) + reload)))
        elif isinstance(s, c_ast.DoWhile):
            out.append(c_ast.DoWhile(s.cond, c_ast.Compound(self.body(s.stmt))))
        elif isinstance(s, c_ast.Switch) and self.atoms and self.switched(s, out):
            pass
        elif isinstance(s, c_ast.Switch):
            pre: list = []
            cond = self.try_lower(s, lambda: self.operand(s.cond, pre), pre)
            out.extend(pre)
            items = s.stmt.block_items if isinstance(s.stmt, c_ast.Compound) else [s.stmt]
            arms: list = []
            for item in items or []:
                if isinstance(item, (c_ast.Case, c_ast.Default)):
                    inner = []
                    self.block(item.stmts, inner, new_scope=False)
                    arms.append(c_ast.Case(item.expr, inner) if isinstance(item, c_ast.Case) else c_ast.Default(inner))
                else:
                    self.statement(item, arms)
            out.append(c_ast.Switch(cond if cond is not None else s.cond, c_ast.Compound(arms)))
        elif isinstance(s, c_ast.Return):
            if s.expr is None:
                out.append(s)
            else:
                self.simple(s, out, lambda pre: c_ast.Return(self.returned(s.expr, pre)))
        elif isinstance(s, c_ast.Decl):
            self.decl(s, out)
        elif isinstance(s, c_ast.DeclList):
            for d in s.decls:
                self.decl(d, out)
        elif isinstance(s, c_ast.Assignment):
            self.simple(s, out, lambda pre: self.assignment(s, pre))
        elif isinstance(s, c_ast.FuncCall):
            self.simple(s, out, lambda pre: self.call(s, pre))  # its value (maybe void) unused
        elif isinstance(s, c_ast.EmptyStatement):
            return
        elif isinstance(s, c_ast.Label):  # on a line of its own, before the first statement of what it labels
            inner: list = []
            self.statement(s.stmt, inner)
            out.append(c_ast.Label(s.name, c_ast.EmptyStatement(), s.coord))
            out.extend(inner)
        elif self.atoms and isinstance(s, c_ast.UnaryOp) and s.op in _SIDE_EFFECT_UNARY and isinstance(s.expr, c_ast.ID):
            out.append(_step(s.expr.name, s.op))  # `i++;`: the kernels write `i += 1;`
            self.result.statements += 1
        elif self.atoms and isinstance(s, c_ast.UnaryOp) and s.op in _SIDE_EFFECT_UNARY:  # `(*p)++;`, `a[i]--;`
            one = c_ast.Constant("int", "1")
            self.simple(s, out, lambda pre: self.updated(self.lvalue(s.expr, pre), "+" if "++" in s.op else "-", one, pre))
        else:
            out.append(s)

    def switched(self, s: c_ast.Switch, out: list) -> bool:
        """A `switch` (atoms) as the tests and jumps it means: `if (t == 10) goto L1;` per case, in order, then
        `goto` the default (or past the switch), each arm after its label, a `break` of the switch a `goto`
        past it. gcc -O0 compiles a switch to a jump table or a tree of comparisons chosen by the whole set of
        case values: one piece per set, which the memory holds for few sets; `if`s and `goto`s are statements
        it holds. C converts each case value to the promoted type of the controlling value; `==` converts
        both to the same type when the case value's type is no wider than int, the only switches taken
        here. False: the switch as it is."""
        pre: list = []
        cond = self.try_lower(s, lambda: self.operand(s.cond, pre), pre)
        items = s.stmt.block_items if isinstance(s.stmt, c_ast.Compound) else [s.stmt]
        cases = [item for item in items or [] if isinstance(item, c_ast.Case)]
        try:
            narrow = all(isinstance(t, IntType) and t.size <= 4 for t in (self.type_of(c.expr) for c in cases))
        except Unsupported:
            narrow = False
        if cond is None or not narrow:
            return False
        out.extend(pre)
        if pre:
            self.result.statements += 1
        past = self.fresh()
        labels = {id(item): self.fresh() for item in items or [] if isinstance(item, (c_ast.Case, c_ast.Default))}
        default = next((labels[id(i)] for i in items if isinstance(i, c_ast.Default)), past)
        for case in cases:
            jump = c_ast.Compound([c_ast.Goto(labels[id(case)], case.coord)])
            out.append(c_ast.If(c_ast.BinaryOp("==", copy.deepcopy(cond), _signed_literal(case.expr), case.coord),
                                jump, None, case.coord))
        out.append(c_ast.Goto(default, s.coord))
        for item in items or []:
            if id(item) in labels:
                out.append(c_ast.Label(labels[id(item)], c_ast.EmptyStatement(), item.coord))
                self.block([_broken(copy.deepcopy(x), past) for x in item.stmts or []], out, new_scope=False)
            else:
                self.statement(_broken(copy.deepcopy(item), past), out)
        out.append(c_ast.Label(past, c_ast.EmptyStatement(), s.coord))
        return True

    def try_lower(self, s, fn, pre: list):
        mark_scope = dict(self.scope.names)
        try:
            return fn()
        except Unsupported as why:
            del pre[:]
            self.scope.names = mark_scope
            line = getattr(getattr(s, "coord", None), "line", "?")
            self.result.kept.append(f"line {line}: {why}")
            return None

    def simple(self, s, out: list, fn) -> None:
        pre: list = []
        last = self.try_lower(s, lambda: fn(pre), pre)
        if last is None:
            out.append(s)
            return
        if pre:
            self.result.statements += 1
        out.extend(pre)
        out.append(last)

    def assignment(self, s: c_ast.Assignment, pre: list) -> c_ast.Assignment:
        if s.op == "=":
            lhs = self.lvalue(s.lvalue, pre)
            self.type_of(s.lvalue)
            stored = self.atoms and not isinstance(lhs, c_ast.ID)  # a store takes a value, computed before
            rhs = self.atom(s.rvalue, pre) if stored else self.one_operation(s.rvalue, pre)
        else:
            self.type_of(s.lvalue), self.type_of(s.rvalue)
            lhs = self.lvalue(s.lvalue, pre)
            rhs = self.operand(s.rvalue, pre)
            if self.atoms and not isinstance(lhs, (c_ast.ID, c_ast.ArrayRef)):  # `o[i] += t` is the kernels' own
                return self.updated(lhs, s.op[:-1], rhs, pre)
        return c_ast.Assignment(s.op, lhs, rhs)

    def updated(self, target, op: str, value, out: list) -> c_ast.Assignment:
        """`*p op= v`, `s->f op= v`, `a[i]++` (atoms): a load, the operation, a store (`int t1 = *p;
        int t2 = t1 + v; *p = t2;`), the statements the kernels write. `target`'s indices are atoms, so
        reading it twice is evaluating it once, as C does; the operation's result converts to the
        target's type, as a compound assignment's does."""
        t = _decay(self.type_of(target))
        if isinstance(t, StructType):
            raise Unsupported("a struct value")
        old = self.declared(t, target, out)
        return c_ast.Assignment("=", target, self.declared(t, c_ast.BinaryOp(op, old, value), out))

    def guarded(self, cond, body):
        """A loop test `a && b && ...` (atoms): the loop tests `a`, the body begins with `if (!b) break;`
        for each further operand, which C evaluates in that order on every iteration, after `a`, as
        before (a `continue` still goes to the test, or to a `for`'s step first). Other tests as they are."""
        first, parts = cond, []
        while isinstance(first, c_ast.BinaryOp) and first.op == "&&":
            parts.insert(0, first.right)
            first = first.left
        if not (self.atoms and parts and self.is_condition(first)):
            return cond, body
        try:
            guards = [c_ast.If(self.negated(p), c_ast.Break(p.coord), None, p.coord) for p in parts]
        except Unsupported:
            return cond, body
        items = (body.block_items or []) if isinstance(body, c_ast.Compound) else [body]
        return first, c_ast.Compound(guards + list(items), getattr(body, "coord", None))

    def rotated(self, s: c_ast.While, cond, body) -> tuple[list, object] | None:
        """A loop test that reads memory or steps a variable (atoms: `while (s[n] != 0)`, `while (n-- > 0)`):
        its loads and steps as statements before the loop, the test on their temporaries, and the same
        statements again at the end of the body (`char t1 = s[n]; while (t1 != 0) { ...; t1 = s[n]; }`),
        statements the kernels write. Not when the body
        has a `continue` of this loop, which would skip the reload. None: the test as it is."""
        if not self.atoms or self.is_condition(cond) or _continues(body):
            return None
        pre: list = []
        test = self.try_lower(s, lambda: self.condition(cond, pre), pre)
        if test is None or not all(isinstance(d, c_ast.Decl) and d.init is not None or isinstance(d, c_ast.Assignment)
                                   for d in pre):  # loads, and the steps of `n--` (`int t1 = n; n -= 1;`)
            return None
        return pre, test

    def negated(self, c):
        """The condition `!c`, as a comparison of the other sense where that is the same (not on floats:
        `!(x < y)` holds for a NaN, `x >= y` does not)."""
        if isinstance(c, c_ast.BinaryOp) and c.op in _COMPARE and not any(
                isinstance(_decay(self.type_of(x)), FloatType) for x in (c.left, c.right)):
            return c_ast.BinaryOp(_INVERSE[c.op], c.left, c.right, c.coord)
        if isinstance(c, c_ast.UnaryOp) and c.op == "!":
            return c.expr
        return c_ast.UnaryOp("!", c, c.coord)

    def decl(self, d: c_ast.Decl, out: list) -> None:
        t = self.reader.ctype(d.type)
        if d.init is None or "static" in d.storage or isinstance(d.init, c_ast.InitList) \
                or not isinstance(t, (IntType, FloatType, PointerType)):
            out.append(d)
            if d.name:
                self.scope.names[d.name] = t
            return

        def lowered(pre: list) -> c_ast.Node:
            if self.branches(d.init):  # `T x; if (c) { x = a; } else { x = b; }`: no temporary to copy
                self.assign_into(d.name, t, d.init, pre, declare=True)
                return pre.pop()  # its `if`
            bare = copy.copy(d)
            bare.init = self.one_operation(d.init, pre)
            return bare

        self.simple(d, out, lowered)
        if d.name:
            self.scope.names[d.name] = t

    def body(self, s) -> list:
        inner: list = []
        if isinstance(s, c_ast.Compound):
            self.block(s.block_items, inner)
        else:
            self.block([s], inner)
        return inner

    def block(self, items, out: list, new_scope: bool = True) -> None:
        if new_scope:
            self.scope = _Scope(self.scope)
        for item in items or []:
            self.statement(item, out)
        if new_scope:
            self.scope = self.scope.parent

    def if_stmt(self, s: c_ast.If, out: list) -> None:
        pre: list = []
        cond = self.try_lower(s, lambda: self.condition(s.cond, pre), pre)
        if pre:
            self.result.statements += 1
        out.extend(pre)
        out.append(c_ast.If(cond if cond is not None else s.cond, c_ast.Compound(self.body(s.iftrue)),
                            c_ast.Compound(self.body(s.iffalse)) if s.iffalse is not None else None))

    def for_stmt(self, s: c_ast.For, out: list) -> None:
        listed = [x for x in (s.init, s.next) if isinstance(x, (c_ast.DeclList, c_ast.ExprList))]
        if self.atoms and s.cond is not None and any(len(x.exprs if isinstance(x, c_ast.ExprList) else x.decls) > 1
                                                    for x in listed) and not _continues(s.stmt):
            # `for (i = 0, j = n - 1; i < j; i++, j--)`: gcc -O0 lays a `for` out as it does the `while`
            # that runs its init first and its steps at the end of the body (which no `continue` skips)
            # `{ i = 0; j = n - 1; while (i < j) { ...; i++; j--; } }`, all statements the memory holds
            items = (s.stmt.block_items or []) if isinstance(s.stmt, c_ast.Compound) else [s.stmt]
            loop = c_ast.While(s.cond, c_ast.Compound(list(items) + _listed(s.next), s.stmt.coord), s.coord)
            self.statement(c_ast.Compound(_listed(s.init) + [loop], s.coord), out)
            return
        self.scope = _Scope(self.scope)
        if isinstance(s.init, c_ast.DeclList):
            for d in s.init.decls:
                self.scope.names[d.name] = self.reader.ctype(d.type)
        cond, body = self.guarded(s.cond, s.stmt)
        out.append(c_ast.For(s.init, cond, s.next, c_ast.Compound(self.body(body))))
        self.scope = self.scope.parent


def _safe_ctype(reader, node) -> CType:
    """The verifier's reading of a type node; a struct that holds a pointer to itself (glibc's FILE)
    recurses without end there, and is simply a type this pass does not use."""
    try:
        return reader.ctype(node)
    except RecursionError:
        return UnsupportedType("recursive", reason="a self-referential struct")


def _continues(s) -> bool:
    """`s` has a `continue` of the loop it is the body of (not one of a loop inside it)."""
    if isinstance(s, c_ast.Continue):
        return True
    if isinstance(s, (c_ast.For, c_ast.While, c_ast.DoWhile)) or s is None:
        return False
    return any(_continues(child) for _, child in s.children())


def _signed_literal(e):
    """`-2` as one literal, as the memory's prompts write it (`k == -2`, not `k == (-2)`)."""
    if isinstance(e, c_ast.UnaryOp) and e.op == "-" and isinstance(e.expr, c_ast.Constant) and e.expr.type == "int":
        return c_ast.Constant("int", "-" + e.expr.value, e.coord)
    return e


def _listed(x) -> list:
    """A `for` header's init or step as statements: `int i = 0, j = 1` two declarations, `i++, j--` two
    expressions, nothing for none."""
    if x is None:
        return []
    return list(x.decls if isinstance(x, c_ast.DeclList) else x.exprs if isinstance(x, c_ast.ExprList) else [x])


def _rewritten(node, fn, into=lambda node: True):
    """`node` with each node under it that `fn` gives a new node for replaced by that node (in place), not
    below a node `into` refuses; `fn` returns None for a node it keeps."""
    if node is None:
        return node
    new = fn(node)
    if new is not None:
        return new
    if into(node):
        for name, child in node.children():
            new = _rewritten(child, fn, into)
            if new is not child:
                field, _, index = name.partition("[")
                if index:
                    getattr(node, field)[int(index[:-1])] = new
                else:
                    setattr(node, field, new)
    return node


def _broken(s, past: str):
    """`s` with each `break` of the switch it is in (not of a loop or switch inside it) a `goto past;`."""
    return _rewritten(s, lambda n: c_ast.Goto(past, n.coord) if isinstance(n, c_ast.Break) else None,
                      lambda n: not isinstance(n, (c_ast.For, c_ast.While, c_ast.DoWhile, c_ast.Switch)))


_SUFFIX = {INT: "", UINT: "U", LONG: "L", ULONG: "UL"}


def _decimal_literals(body) -> None:
    """Each octal, hexadecimal or hex-float literal of `body` written in decimal, of the same type (atoms:
    `017` is `15`, `0xFFFFFFFF` is `4294967295U`, `0x1.8p1` is `3.0`): the memory's prompts write decimal."""
    for n in walk(body):
        if not isinstance(n, c_ast.Constant):
            continue
        text = n.value
        if n.type in ("float", "double", "long double") and text[:2].lower() == "0x":
            suffix = text[-1] if text[-1] in "fFlL" else ""
            n.value = repr(float.fromhex(text.rstrip("fFlL"))) + suffix
        elif "int" in n.type and (text[:2].lower() == "0x" or len(text) > 1 and text[0] == "0"):
            try:
                t = _int_constant(text)
            except Unsupported:
                continue
            n.value = str(int(text.rstrip("uUlL"), 16 if text[:2].lower() == "0x" else 8)) + _SUFFIX[t]


def _enumerators_as_values(body, values: dict[str, int]) -> None:
    """Each enumerator `body` reads, as its value (atoms): C makes an enumerator an int constant, so
    `c == GREEN` is `c == 5`, a comparison the memory holds. Not a name the function declares itself."""
    own = {n.name for n in walk(body) if isinstance(n, c_ast.Decl) and n.name}
    values = {k: v for k, v in values.items() if k not in own}

    def value(n):
        if isinstance(n, c_ast.ID) and n.name in values:
            v = values[n.name]
            return c_ast.Constant("int", str(v), n.coord)  # `-1` as one literal: `c == -1`, not `c == (-1)`
        if isinstance(n, c_ast.StructRef):  # its field is not a name to replace
            n.name = _rewritten(n.name, value)
            return n
        return None

    _rewritten(body, value)


def _decay(t: CType) -> CType:
    if isinstance(t, ArrayType):
        return PointerType(f"{t.elem.name} *", t.elem)
    return t


def _truth(e):
    """`e` as 0/1: comparisons already are."""
    if isinstance(e, c_ast.BinaryOp) and e.op in _COMPARE | {"&&", "||"}:
        return e
    if isinstance(e, c_ast.UnaryOp) and e.op == "!":
        return e
    return c_ast.BinaryOp("!=", e, c_ast.Constant("int", "0"))


def _type_node(words: str, name: str):
    """The declarator pycparser reads from `words name` (`const char * *`: qualifiers, base, stars)."""
    head = words.split("*")[0].split()
    base = [w for w in head if w != "const"]
    if base[0] in ("struct", "union"):
        spec = (c_ast.Struct if base[0] == "struct" else c_ast.Union)(base[1], None)
    else:
        spec = c_ast.IdentifierType(base)
    node = c_ast.TypeDecl(name, ["const"] if "const" in head else [], None, spec)
    for _ in range(words.count("*")):
        node = c_ast.PtrDecl([], node)
    return node


class _Printer:
    """Lowered statements as the lines of C the model reads (four spaces a level, a brace on the line of
    its statement), each statement's coord set to its line: the skeleton walks these nodes, and the
    lowered text is never parsed again."""

    def __init__(self, first_line: int, spelled: dict[int, str]):
        self.first, self.spelled = first_line, spelled
        self.gen = c_generator.CGenerator()
        self.lines: list[str] = []

    def emit(self, depth: int, text: str, node=None) -> None:
        if node is not None:
            node.coord = Coord("<stdin>", self.first + len(self.lines))
        first, *more = text.split("\n")  # a multi-line statement as written keeps its own indentation
        self.lines += ["    " * depth + first, *more]

    def block(self, items, depth: int) -> None:
        for s in items or []:
            self.stmt(s, depth)

    def stmt(self, s, depth: int) -> None:
        e = self.gen.visit
        if isinstance(s, c_ast.Compound):
            self.emit(depth, "{", s)
            self.block(s.block_items, depth + 1)
            self.emit(depth, "}")
        elif isinstance(s, c_ast.If):
            self.emit(depth, f"if ({e(s.cond)}) {{", s)
            self.block(s.iftrue.block_items, depth + 1)
            if s.iffalse is not None:
                self.emit(depth, "} else {")
                self.block(s.iffalse.block_items, depth + 1)
            self.emit(depth, "}")
        elif isinstance(s, c_ast.For):
            parts = ["" if x is None else e(x) for x in (s.init, s.cond, s.next)]
            self.emit(depth, f"for ({'; '.join(parts)}) {{", s)
            self.block(s.stmt.block_items, depth + 1)
            self.emit(depth, "}")
        elif isinstance(s, c_ast.While):
            self.emit(depth, f"while ({e(s.cond)}) {{", s)
            self.block(s.stmt.block_items, depth + 1)
            self.emit(depth, "}")
        elif isinstance(s, c_ast.DoWhile):
            self.emit(depth, "do {", s)
            self.block(s.stmt.block_items, depth + 1)
            self.emit(depth, f"}} while ({e(s.cond)});", s.cond)
        elif isinstance(s, c_ast.Switch):
            self.emit(depth, f"switch ({e(s.cond)}) {{", s)
            for item in s.stmt.block_items:
                if isinstance(item, (c_ast.Case, c_ast.Default)):
                    self.emit(depth, f"case {e(item.expr)}:" if isinstance(item, c_ast.Case) else "default:", item)
                    self.block(item.stmts, depth + 1)
                else:
                    self.stmt(item, depth + 1)
            self.emit(depth, "}")
        elif isinstance(s, c_ast.Label):
            self.emit(max(depth - 1, 0), f"{s.name}: ;", s)
        elif id(s) in self.spelled:
            init = f" = {e(s.init)}" if s.init is not None else ""
            self.emit(depth, f"{self.spelled[id(s)]} {s.name}{init};", s)
        else:
            self.emit(depth, _stmt_text(self.gen, s), s)


class _Lines:
    """Where a line of the unit as written lands in the lowered unit. `edits`: the function bodies
    replaced, in source order, each (its brace's line and column, its closing brace's line, that
    brace's new line)."""

    def __init__(self, edits: list[tuple[int, int, int, int]]):
        self.edits = edits
        self.ends = [end for _, _, end, _ in edits]

    def __call__(self, line: int, column: int | None) -> int:
        k = bisect_left(self.ends, line)  # the first body that ends on this line or after it
        if k < len(self.edits):
            brace, col, end, new_end = self.edits[k]
            if line == end and (line > brace or (column or 0) > col):  # after the closing brace, on its line
                return new_end
        return line + (self.edits[k - 1][3] - self.edits[k - 1][2] if k else 0)


def _move(node, where: _Lines, seen: set[int]) -> None:
    """Every main-file coord under `node` renumbered for the lowered unit."""
    if id(node) in seen:
        return
    seen.add(id(node))
    if node.coord is not None and node.coord.file in ("<stdin>", "-"):
        node.coord = Coord(node.coord.file, where(node.coord.line, node.coord.column), node.coord.column)
    for _, child in node.children():
        _move(child, where, seen)


def _step(name: str, op: str) -> c_ast.Assignment:
    """`i++`, `++i`, `i--` or `--i` as the statement the kernels write: `i += 1;` or `i -= 1;`."""
    return c_ast.Assignment("+=" if "++" in op else "-=", c_ast.ID(name), c_ast.Constant("int", "1"))


def _stmt_text(gen, s) -> str:
    text = gen.visit(s)
    lines = [l.rstrip() for l in text.strip("\n").split("\n")]
    if isinstance(s, c_ast.Decl) or len(lines) == 1 and not lines[-1].endswith(("}", ";")):
        lines[-1] += ";"  # `int a[2] = {0}` ends in a brace and still needs one
    return "\n".join(lines)


# ------------------------------------------------------------------------------------------ a unit

def lower_unit(source: str, functions: list[str] | None = None, prefix: str = "t", atoms: bool = False,
               cflags: list[str] | None = None) -> Lowered:
    """The unit with every function (or those named) rewritten; other text stays as written.
    `atoms`: three-address code. An operator's operands, a cast's, a call's arguments, a condition's
    and a stored value are variables or constants; a load (`t = a[i].f`) and a store (`a[i] = t`) are
    statements of their own. `cflags`: the compiler flags whose -I/-D/-U/-include the preprocessor needs."""
    from neuralcc.verifier.errors import VerifierInputError
    from neuralcc.verifier.signature import _Reader, parse_c

    try:
        ast = parse_c(source, "<source>", cflags)
    except VerifierInputError as err:
        raise SourceError(str(err), "C the parser cannot read") from None
    reader = _Reader(ast, "<source>", True, [])
    protos: dict[str, CType] = {}
    globals_: dict[str, CType] = {}
    enums: set[str] = set()
    taken = {n.name for n in walk(ast) if isinstance(n, (c_ast.ID, c_ast.Decl)) and n.name}  # temporaries avoid them
    defs = []
    for node in ast.ext:
        if isinstance(node, c_ast.Typedef):
            reader.typedefs[node.name] = node.type
            continue
        if isinstance(node, c_ast.FuncDef):
            node, body = node.decl, node
        else:
            body = None
        if isinstance(node, c_ast.Decl):
            reader._note_structs(node.type)
            for n in walk(node.type):
                if isinstance(n, c_ast.Enumerator):
                    enums.add(n.name)
            if isinstance(node.type, c_ast.FuncDecl):
                protos[node.name] = node.type.type  # typed when called: headers hold types it cannot read
            elif node.name and "typedef" not in node.storage and node.coord is not None \
                    and node.coord.file in ("<stdin>", "-"):
                globals_[node.name] = _safe_ctype(reader, node.type)
        if body is not None and body.coord is not None and body.coord.file in ("<stdin>", "-"):
            defs.append(body)
    spans = {f.name: f for f in find_functions(source, SourceError)}
    result = Lowered(source)
    lowered = []  # (the body's opening brace, the offset after its closing one, the function, its statements)
    for fd in defs:
        name = fd.decl.name
        if functions is not None and name not in functions or name not in spans:
            continue
        fn = _Function(reader, protos, globals_, enums, taken, prefix, atoms)
        if atoms:
            _enumerators_as_values(fd, {k: v for k, v in reader.enums.values.items()
                                        if k not in globals_ and k not in protos})
            _decimal_literals(fd.body)
        ret = _safe_ctype(reader, fd.decl.type.type)
        fn.ret = ret if isinstance(ret, (IntType, FloatType, PointerType)) else None
        for p in (fd.decl.type.args.params if fd.decl.type.args else []):
            if isinstance(p, c_ast.Decl) and p.name:
                fn.scope.names[p.name] = _decay(reader.ctype(p.type))
        body: list = []
        fn.block(fd.body.block_items, body)
        result.statements += fn.result.statements
        result.temporaries += fn.result.temporaries
        result.kept += [f"{name}: {k}" for k in fn.result.kept]
        lowered.append((spans[name].body, spans[name].end, fd, body, fn.spelled))
    # the new text, and the AST renumbered to it: what reads the lowered unit reads these, unparsed
    edits, texts, shift = [], [], 0
    for brace, end, fd, body, spelled in sorted(lowered, key=lambda e: e[0]):
        line, end_line = source.count("\n", 0, brace) + 1, source.count("\n", 0, end - 1) + 1
        printer = _Printer(line + shift + 1, spelled)
        printer.block(body, 1)
        new_end = line + shift + len(printer.lines) + 1
        edits.append((line, brace - source.rfind("\n", 0, brace), end_line, new_end))
        texts.append((brace, end, printer.lines))
        shift = new_end - end_line
    where, seen = _Lines(edits), set()
    bodies = {id(fd): body for _, _, fd, body, _ in lowered}
    for node in ast.ext:
        if id(node) in bodies:
            _move(node.decl, where, seen)
            node.body = c_ast.Compound(bodies[id(node)], node.body.coord)
            node.body.coord = Coord("<stdin>", where(node.body.coord.line, node.body.coord.column))
        else:
            _move(node, where, seen)
    text = source
    for brace, end, lines in reversed(texts):  # any layout: `int f(int n) { return n; }` too
        text = text[: brace + 1] + "\n" + "\n".join([*lines, "}"]) + text[end:]
    result.source, result.ast = text, ast
    result.changed = result.source != source
    return result

