"""Compile-only functions for the translation memory (statements-v0): C statements of every common shape
over every common type, which gcc labels and nobody runs.

Why: at -O0 gcc compiles each statement on its own, so the piece it writes for a statement depends on
the statement, the types of what it names and where control goes next, never on the values. The
synthetic kernels (generator.py) are built to run (no undefined behaviour, live outputs), which keeps
them to ints, floats and arrays of them. Real code also returns pointers, keeps `_Bool` and `char`
locals, compares characters with character literals, calls `strlen`, `malloc` and `free`, and indexes
`T **`. None of that needs a function that means anything to be labelled, so these functions are random
statements over typed variables, type-correct and nothing more. They are never executed, never
evaluated on, and go only into training data and the translation memory.

    python -m neuralcc.corpora.statements --out data/statements-v0 --seed 1 --count 20000

writes train shards of `{"uri", "entry", "source", "split"}` records (no labels: `lowerdata` lowers and
labels them, like any corpus). URIs: `benchmark://statements-v0/seed=S/N`.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from dataclasses import dataclass, field

HEADERS = "#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\n#include <math.h>\n#include <ctype.h>\n" \
          "#include <stdbool.h>\n"

# scalar types by kind (`bool` is stdbool.h's `_Bool`), and how often each is picked
INTS = ("char", "unsigned char", "bool", "short", "unsigned short", "int", "unsigned int", "long", "unsigned long",
        "long long", "size_t")
FLOATS = ("float", "double")
SCALAR_WEIGHTS = {"int": 8, "char": 3, "bool": 2, "float": 2, "long": 1.5, "unsigned int": 1, "double": 1,
                  "size_t": 1, "unsigned char": 0.5, "short": 0.5, "unsigned short": 0.3, "unsigned long": 0.7,
                  "long long": 0.5}
POINTEE_WEIGHTS = {"int": 6, "char": 6, "float": 2, "double": 1, "long": 1, "bool": 0.5, "unsigned char": 0.3,
                   "short": 0.3, "unsigned int": 0.3}
CHAR_LITERALS = "abcdezAZ019 ()[]{}<>.,;:!?-_+*/=|'\"\\\n\t\0"
STRINGS = ("", " ", "a", "ab", "abc", "yes", "no", "Yes", "No", "YES", "NO", "aeiou", "AEIOU", "aeiouAEIOU",
           "0123456789", "hello", "world", "%d", " %d", "%s", ",", "-", "db", "one", "zero", "Invalid")
CTYPE_TESTS = ("isalpha", "isdigit", "isspace", "isupper", "islower", "isalnum", "ispunct", "isxdigit")
_NAME = re.compile(r"\b[vpi]\d+\b")  # the generator's variable names
_ESCAPE = {"'": "\\'", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\0": "\\0"}


@dataclass(frozen=True)
class Ty:
    """A C type as far as code shape goes: a scalar, or `depth` pointers to one (`void` only at depth 1)."""
    base: str
    depth: int = 0
    const: bool = False

    @property
    def c(self) -> str:
        return ("const " if self.const else "") + self.base + (" " + "*" * self.depth if self.depth else "")

    @property
    def is_int(self) -> bool:
        return self.depth == 0 and self.base in INTS

    @property
    def is_float(self) -> bool:
        return self.depth == 0 and self.base in FLOATS

    @property
    def is_ptr(self) -> bool:
        return self.depth > 0

    @property
    def is_string(self) -> bool:
        return self.base == "char" and self.depth == 1

    def deref(self) -> "Ty":
        return Ty(self.base, self.depth - 1, self.const)

    def ptr(self) -> "Ty":
        return Ty(self.base, self.depth + 1, self.const)

    def unqualified(self) -> "Ty":
        return Ty(self.base, self.depth)


INT, LONG, SIZE, DOUBLE, FLOAT = Ty("int"), Ty("long"), Ty("size_t"), Ty("double"), Ty("float")
CHARP, CCHARP, VOIDP = Ty("char", 1), Ty("char", 1, True), Ty("void", 1)


@dataclass
class Var:
    name: str
    ty: Ty
    array: bool = False  # a local array: read and indexed like a pointer, never assigned


@dataclass
class Scope:
    vars: list[Var] = field(default_factory=list)
    loop: int = 0  # loops around the statement being written


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), list(weights.values()))[0]


def char_literal(c: str) -> str:
    return "'" + _ESCAPE.get(c, c) + "'"


class FunctionWriter:
    """One function: parameters, initialised locals, random statements, returns."""

    def __init__(self, rng: random.Random, name: str):
        self.rng, self.name = rng, name
        self.scope = Scope()
        self.counter = 0

    # -- types and variables ---------------------------------------------------------------------
    def scalar_type(self) -> Ty:
        return Ty(_pick(self.rng, SCALAR_WEIGHTS))

    def pointer_type(self) -> Ty:
        r = self.rng.random()
        base = _pick(self.rng, POINTEE_WEIGHTS)
        if r < 0.04:
            return VOIDP
        if r < 0.22:
            return Ty(self.rng.choice(("char", "int", "char", "float")), 2)
        if r < 0.24:
            return Ty("char", 3)
        return Ty(base, 1, const=base == "char" and self.rng.random() < 0.3)

    def any_type(self) -> Ty:
        return self.pointer_type() if self.rng.random() < 0.35 else self.scalar_type()

    def fresh(self, prefix: str = "v") -> str:
        self.counter += 1
        return f"{prefix}{self.counter}"

    def vars_where(self, pred) -> list[Var]:
        return [v for v in self.scope.vars if pred(v.ty)]

    # -- expressions ---------------------------------------------------------------------------------
    def const_of(self, ty: Ty) -> str:
        rng = self.rng
        if ty.is_float:
            x = rng.choice((0.0, 0.5, 1.0, 2.0, 0.001, 1e-6, 3.5, 100.0, -1.0, 10.0))
            s = repr(x)
            return s + "f" if ty.base == "float" and rng.random() < 0.5 else s
        if ty.is_ptr:
            if ty.is_string and not rng.random() < 0.2:
                return '"' + rng.choice(STRINGS).replace("\\", "\\\\").replace('"', '\\"') + '"'
            return rng.choice(("NULL", "0"))
        if ty.base == "bool":
            return rng.choice(("0", "1", "true", "false"))
        if ty.base in ("char", "unsigned char") and rng.random() < 0.7:
            return char_literal(rng.choice(CHAR_LITERALS))
        # within the type's range: gcc folds a comparison it can decide (`short <= 597515`) even at -O0,
        # and a statement it leaves out gives a function whose pieces do not line up
        bits = {"char": 7, "unsigned char": 8, "short": 15, "unsigned short": 16}.get(ty.base, 31)
        r = rng.random()
        if r < 0.5:
            return str(rng.choice([n for n in (1, 2, 3, 4, 5, 7, 8, 10, 16, 26, 32, 48, 97, 100, 255, 1000)
                                   if n < 2 ** bits] + [0] * 2))
        if r < 0.6 and not ty.base.startswith("unsigned") and ty.base != "size_t":
            return str(-rng.choice((1, 2, 3, 10, 100)))
        if r < 0.7:
            return char_literal(rng.choice("a0Az "))
        return str(rng.randint(1, 2 ** rng.choice([b for b in (4, 8, 12, 16, 20, 31) if b <= bits]) - 1))

    def operand(self, ty: Ty) -> str:
        """A variable of type `ty` (or one C converts to it), else a constant."""
        same = self.vars_where(lambda t: t.unqualified() == ty.unqualified())
        if ty.is_ptr:
            if same and self.rng.random() < 0.85:
                return self.rng.choice(same).name
            return self.const_of(ty)
        numeric = self.vars_where(lambda t: t.is_int or (t.is_float and ty.is_float))
        pool = same * 3 + numeric
        if pool and self.rng.random() < 0.75:
            return self.rng.choice(pool).name
        return self.const_of(ty)

    def index(self) -> str:
        return self.operand(self.rng.choice((INT, INT, INT, LONG, SIZE))) if self.rng.random() < 0.8 \
            else str(self.rng.randint(0, 9))

    def element(self, want=None) -> tuple[str, Ty] | None:
        """An lvalue through a pointer: `p[i]`, `*p`, `p[3]`, `pp[i][j]`, `(*pp)[i]`, `*pp[i]`."""
        ptrs = self.vars_where(lambda t: t.is_ptr and t.base != "void" and (want is None or want(t)))
        if not ptrs:
            return None
        p = self.rng.choice(ptrs)
        r = self.rng.random()
        if p.ty.depth >= 2 and r < 0.3:
            return f"{p.name}[{self.index()}][{self.index()}]", p.ty.deref().deref()
        if p.ty.depth >= 2 and r < 0.45:
            return f"(*{p.name})[{self.index()}]", p.ty.deref().deref()
        if r < 0.75:
            return f"{p.name}[{self.index()}]", p.ty.deref()
        return f"*{p.name}", p.ty.deref()

    def call(self, ty: Ty) -> str | None:
        """A library call whose value has type `ty` (near enough: C converts)."""
        rng = self.rng
        strs = [v.name for v in self.vars_where(lambda t: t.is_string)]
        # a string function of literals alone is folded by gcc (`strlen("abc")` is 3): its first argument
        # is always a variable (v), only the others may be literals (s)
        v = lambda: rng.choice(strs)
        s = lambda: rng.choice(strs) if strs and rng.random() < 0.85 else self.const_of(CHARP)
        ch = lambda: self.operand(Ty("char")) if rng.random() < 0.6 else self.operand(INT)
        if ty.is_int:
            options = [lambda: f"abs({self.operand(INT)})", lambda: f"toupper({ch()})", lambda: f"tolower({ch()})",
                       lambda: f"{rng.choice(CTYPE_TESTS)}({ch()})",
                       lambda: f"labs({self.operand(LONG)})"]
            if strs:
                options += [lambda: f"strlen({v()})", lambda: f"strcmp({v()}, {s()})", lambda: f"atoi({v()})",
                            lambda: f"strncmp({v()}, {s()}, {self.operand(INT)})", lambda: f"strlen({v()})"]
            return rng.choice(options)()
        if ty.is_float:
            f = rng.choice(("sqrt", "fabs", "floor", "ceil", "round", "pow", "sqrtf", "fabsf", "roundf", "floorf",
                            "log", "exp"))
            x = self.operand(DOUBLE if not f.endswith("f") else FLOAT)
            return f"{f}({x}, {self.operand(DOUBLE)})" if f == "pow" else f"{f}({x})"
        if ty.is_ptr:
            size = self.size_expr(ty)
            options = [lambda: f"malloc({size})", lambda: f"calloc({self.operand(INT)}, sizeof({ty.deref().c}))"
                       if ty.base != "void" else f"calloc({self.operand(INT)}, 1)"]
            own = self.vars_where(lambda t: t.unqualified() == ty.unqualified())
            if own:
                options.append(lambda: f"realloc({rng.choice(own).name}, {size})")
            if ty.is_string and strs:
                options += [lambda: f"strchr({v()}, {ch()})", lambda: f"strstr({v()}, {s()})",
                            lambda: f"strdup({v()})", lambda: f"strcpy({v()}, {s()})", lambda: f"strcat({v()}, {s()})"]
            return rng.choice(options)()
        return None

    def size_expr(self, ty: Ty) -> str:
        n = self.operand(INT)
        elem = ty.deref().c if ty.base != "void" else "char"
        r = self.rng.random()
        if r < 0.4:
            return f"{n} * sizeof({elem})"
        if r < 0.55:
            return f"sizeof({elem}) * {n}"
        if r < 0.7:
            return f"({n} + 1) * sizeof({elem})"
        if r < 0.85:
            return f"{n} + 1"
        return f"{self.rng.choice((1, 2, 10, 16, 64, 100, 256))} * sizeof({elem})"

    def expr(self, ty: Ty, depth: int = 0) -> str:
        """An expression whose type C converts to `ty`."""
        rng = self.rng
        r = rng.random()
        if ty.is_ptr:
            if r < 0.45:
                return self.operand(ty)
            if r < 0.65:
                got = self.call(ty)
                if got:
                    return got if rng.random() < 0.6 or ty.base == "void" else f"({ty.unqualified().c}) {got}"
            if r < 0.75:
                same = self.vars_where(lambda t: t.unqualified() == ty.unqualified())
                if same:
                    return f"{rng.choice(same).name} {rng.choice('+-')} {self.index()}"
            if r < 0.85:
                el = self.element(lambda t: t.deref().unqualified() == ty.unqualified())
                if el:
                    return el[0]
                el = self.element(lambda t: t.deref().unqualified() == ty.deref().unqualified())
                if el:
                    return "&" + el[0]
            if r < 0.92:
                others = self.vars_where(lambda t: t.is_ptr and t.unqualified() != ty.unqualified())
                if others:
                    return f"({ty.unqualified().c}) {rng.choice(others).name}"
            return self.operand(ty)
        if depth >= 2 or r < 0.3:
            return self.operand(ty)
        if r < 0.45:
            el = self.element(lambda t: t.depth == 1 and t.base != "void" or t.depth == 2)
            if el and not el[1].is_ptr:
                return el[0]
        if r < 0.52:
            got = self.call(ty)
            if got:
                return got
        if r < 0.58:
            target = self.scalar_type()
            return f"({ty.c if rng.random() < 0.5 else target.c}) {self.operand(target)}"
        if r < 0.64:
            return rng.choice(("-", "!", "~" if ty.is_int else "-")) + self.operand(ty)
        if r < 0.72:
            return self.condition(depth + 1)
        if r < 0.76 and ty.is_int:
            strs = self.vars_where(lambda t: t.is_ptr and t.depth == 1)
            if strs:
                a = rng.choice(strs)
                same = [v for v in strs if v.ty.unqualified() == a.ty.unqualified() and v.name != a.name]
                if same:
                    return f"{a.name} - {rng.choice(same).name}"
        ops = ["+", "-", "*", "/"] + (["%", "&", "|", "^", "<<", ">>"] if ty.is_int else [])
        op = rng.choice(ops + ["+", "-", "*"])
        a = self.expr(ty, depth + 1)
        b = self.expr(ty, depth + 1) if rng.random() < 0.6 else self.const_of(ty)
        if b == a:  # gcc folds `x - x` and `x ^ x`
            b = self.const_of(ty)
        if op in ("<<", ">>"):
            b = str(rng.randint(1, 8))
        return f"{a} {op} {b}" if depth == 0 or rng.random() < 0.5 else f"({a} {op} {b})"

    def condition(self, depth: int = 0) -> str:
        """A condition on some variable: gcc decides one on constants alone (`if (3 < 0)`) at -O0 too."""
        for _ in range(8):
            text = self._condition(depth)
            if _NAME.search(text):
                return text
        return f"{self.rng.choice(self.assignable()).name} != 0"

    def _condition(self, depth: int) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            return rng.choice(("!", "")) + self.operand(rng.choice((INT, Ty("bool"), CHARP, Ty("char"))))
        if r < 0.25:
            el = self.element(lambda t: t.is_string)
            if el:
                return f"{el[0]} {rng.choice(('==', '!=', '>=', '<=', '<', '>'))} {self.const_of(Ty('char'))}"
        if r < 0.3:
            strs = self.vars_where(lambda t: t.is_string)
            if strs:
                return f"strcmp({rng.choice(strs).name}, {self.expr(CCHARP, 2)}) {rng.choice(('==', '!='))} 0"
        if r < 0.38 and depth < 2:
            return f"{self.condition(depth + 1)} {rng.choice(('&&', '||'))} {self.condition(depth + 1)}"
        if r < 0.45:
            return self.call(INT) if rng.random() < 0.5 else f"{self.call(INT)} {rng.choice(('==', '!=', '>', '<'))} 0"
        ty = self.scalar_type()
        a = self.expr(ty, 1)
        b = self.const_of(ty) if rng.random() < 0.5 else self.expr(ty, 1)
        if b == a:
            b = self.const_of(ty)
        ops = ("==", "!=") if ty.base == "bool" else ("<", ">", "<=", ">=", "==", "!=")
        if not ty.is_float and b.lstrip("-") in ("0", "'\\0'") and (ty.base.startswith("unsigned") or ty.base == "size_t"):
            ops = ("==", "!=", ">")  # `unsigned >= 0` is always true, and gcc knows it
        return f"{a} {rng.choice(ops)} {b}"

    # -- statements ---------------------------------------------------------------------------------
    def assignable(self) -> list[Var]:
        return [v for v in self.scope.vars if not v.array]  # never empty: parameters are not arrays

    def assignment(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.35:
            el = self.element()
            if el:
                lv, ty = el
                if ty.const:
                    return self.assignment()
            else:
                v = rng.choice(self.assignable())
                lv, ty = v.name, v.ty
        else:
            v = rng.choice(self.assignable())
            lv, ty = v.name, v.ty
        ty = ty if ty.is_ptr else ty.unqualified()
        r = rng.random()
        if r < 0.15 and not ty.is_ptr:
            return f"{lv}{rng.choice(('++', '--'))};" if rng.random() < 0.6 else f"{rng.choice(('++', '--'))}{lv};"
        if r < 0.35 and not ty.is_ptr:
            ops = ["+=", "-=", "*=", "/="] + (["%=", "&=", "|=", "^=", "<<=", ">>="] if ty.is_int else [])
            op = rng.choice(ops + ["+=", "+=", "-="])
            rhs = str(rng.randint(1, 5)) if op in ("<<=", ">>=") else self.expr(ty, 1)
            return f"{lv} {op} {rhs};"
        if r < 0.4 and ty.is_ptr and ty.base != "void":
            return f"{lv}{rng.choice(('++', '--'))};" if rng.random() < 0.7 else f"{lv} += {self.index()};"
        rhs = self.expr(ty)
        if rhs == lv or rhs.endswith(") " + lv):  # `x = x;` and `x = (T) x;` give no code at all
            rhs = self.const_of(ty)
        return f"{lv} = {rhs};"

    def call_statement(self) -> str:
        rng = self.rng
        strs = [v.name for v in self.vars_where(lambda t: t.is_string and not t.const)]
        ptrs = [v.name for v in self.vars_where(lambda t: t.is_ptr)]
        src = lambda: self.expr(CCHARP, 2)
        options = []
        if ptrs:
            options += [lambda: f"free({rng.choice(ptrs)});"] * 3
            options.append(lambda: f"memset({rng.choice(ptrs)}, {rng.choice(('0', self.operand(INT)))}, {self.operand(INT)});")
            if len(ptrs) > 1:  # gcc drops a copy of a block onto itself
                options.append(lambda: "memcpy({}, {}, {} * sizeof(int));".format(*rng.sample(ptrs, 2), self.operand(INT)))
        if strs:
            options += [lambda: f"strcpy({rng.choice(strs)}, {src()});", lambda: f"strcat({rng.choice(strs)}, {src()});",
                        lambda: f"strncpy({rng.choice(strs)}, {src()}, {self.operand(INT)});",
                        lambda: f"sprintf({rng.choice(strs)}, \"%d\", {self.operand(INT)});"]
        options.append(lambda: f"printf(\"%d\\n\", {self.operand(INT)});")
        return rng.choice(options)()

    def declaration(self) -> str:
        ty = self.any_type()
        name = self.fresh()
        rng = self.rng
        if not ty.is_ptr and rng.random() < 0.08:  # a local array
            n = rng.choice((2, 3, 5, 10, 26, 100, 256))
            init = rng.choice(("", " = {0}", " = {" + ", ".join(self.const_of(ty) for _ in range(min(n, 3))) + "}"))
            if ty.base == "char" and rng.random() < 0.4:
                init = ' = "' + rng.choice(STRINGS).replace("\\", "\\\\").replace('"', '\\"')[: n - 1] + '"'
            self.scope.vars.append(Var(name, ty.ptr(), array=True))
            return f"{ty.c} {name}[{n}]{init};"
        text = f"{ty.c} {name} = {self.expr(ty)};" if rng.random() < 0.85 else f"{ty.c} {name};"
        self.scope.vars.append(Var(name, ty))
        return text

    def block(self, indent: int, budget: int, depth: int) -> list[str]:
        rng = self.rng
        pad = "    " * indent
        out = []
        mark = len(self.scope.vars)
        for _ in range(budget):
            r = rng.random()
            if r < 0.15:
                out.append(pad + self.declaration())
            elif r < 0.5:
                out.append(pad + self.assignment())
            elif r < 0.58:
                out.append(pad + self.call_statement())
            elif r < 0.62 and self.scope.loop:
                out.append(pad + f"if ({self.condition()}) " + rng.choice(("break;", "continue;")))
            elif r < 0.66 and self.ret.base != "void":  # an early `return;` gives a layout the skeleton lacks
                out.append(pad + f"if ({self.condition()})")
                out.append(pad + "    " + self.return_statement())
            elif depth < 2 and r < 0.78:
                out.append(pad + f"if ({self.condition()}) {{")
                out += self.block(indent + 1, rng.randint(1, 3), depth + 1)
                if rng.random() < 0.35:
                    out.append(pad + "} else {")
                    out += self.block(indent + 1, rng.randint(1, 3), depth + 1)
                out.append(pad + "}")
            elif depth < 2 and r < 0.9:
                out += self.for_loop(pad, indent, depth)
            elif depth < 2 and r < 0.96:
                self.scope.loop += 1
                if rng.random() < 0.75:
                    out.append(pad + f"while ({self.condition()}) {{")
                    out += self.block(indent + 1, rng.randint(1, 3), depth + 1)
                    out.append(pad + "}")
                else:
                    out.append(pad + "do {")
                    out += self.block(indent + 1, rng.randint(1, 3), depth + 1)
                    out.append(pad + f"}} while ({self.condition()});")
                self.scope.loop -= 1
            else:
                out.append(pad + self.assignment())
        del self.scope.vars[mark:]  # a block's declarations end with it
        return out

    def for_loop(self, pad: str, indent: int, depth: int) -> list[str]:
        rng = self.rng
        ints = self.vars_where(lambda t: t.is_int and t.base not in ("bool",))
        declare = rng.random() < 0.6 or not ints
        i = self.fresh("i") if declare else rng.choice(ints).name
        ity = Ty(rng.choice(("int", "int", "int", "long", "size_t"))) if declare else None
        start = rng.choice(("0", "0", "1", "2", self.operand(INT)))
        if start == i:
            start = "0"
        bound = rng.random()
        strs = self.vars_where(lambda t: t.is_string)
        if bound < 0.15 and strs:
            test = f"{rng.choice(strs).name}[{i}] != '\\0'" if rng.random() < 0.6 else f"{rng.choice(strs).name}[{i}]"
        elif bound < 0.25 and strs:
            test = f"{i} < strlen({rng.choice(strs).name})"
        elif bound < 0.35:
            test = f"{i} * {i} <= {rng.choice([v.name for v in ints if v.name != i] or ['100'])}"
        else:
            limit = self.operand(INT) if rng.random() < 0.7 else str(rng.choice((10, 26, 100)))
            if limit == i:
                limit = str(rng.choice((10, 26, 100)))
            if rng.random() < 0.2:
                limit = f"{limit} {rng.choice('-/')} {rng.choice((1, 2))}"
            test = f"{i} {rng.choice(('<', '<', '<=', '!='))} {limit}"
        step = rng.choice((f"{i}++", f"{i}++", f"++{i}", f"{i} += 2", f"{i}--"))
        if step == f"{i}--":
            signed = ity.base in ("int", "long") if declare else not any(
                v.name == i and (v.ty.base.startswith("unsigned") or v.ty.base == "size_t") for v in ints)
            test = f"{i} {rng.choice(('>=', '>')) if signed else '>'} 0"
        init = f"{ity.c} {i} = {start}" if declare else f"{i} = {start}"
        out = [pad + f"for ({init}; {test}; {step}) {{"]
        self.scope.loop += 1
        if declare:
            self.scope.vars.append(Var(i, ity))
        out += self.block(indent + 1, rng.randint(1, 4), depth + 1)
        if declare:
            self.scope.vars.pop()  # the counter: the body's own declarations ended with it
        self.scope.loop -= 1
        out.append(pad + "}")
        return out

    def return_statement(self) -> str:
        if self.ret.base == "void" and self.ret.depth == 0:
            return "return;"
        return f"return {self.expr(self.ret)};"

    def write(self) -> str:
        rng = self.rng
        r = rng.random()
        self.ret = Ty("void") if r < 0.12 else (self.pointer_type() if r < 0.4 else self.scalar_type())
        params = []
        for _ in range(rng.randint(1, 4)):
            ty = self.any_type()
            name = self.fresh("p")
            if ty.is_ptr and ty.base != "void" and rng.random() < 0.15:
                params.append(f"{ty.deref().c} {name}[]")
            else:
                params.append(f"{ty.c} {name}")
            self.scope.vars.append(Var(name, ty))
        head = f"{self.ret.c} {self.name}({', '.join(params)})"
        body = [("    " + self.declaration()) for _ in range(rng.randint(1, 5))]
        body += self.block(1, rng.randint(3, 9), 0)
        body.append("    " + self.return_statement())
        return head + " {\n" + "\n".join(body) + "\n}\n"


def generate(seed: int, index: int) -> dict:
    """Record `index` of seed `seed`: deterministic, independent of the others."""
    rng = random.Random(f"statements-v0/{seed}/{index}")
    name = f"s{index}"
    source = HEADERS + "\n" + FunctionWriter(rng, name).write()
    return {"uri": f"benchmark://statements-v0/seed={seed}/{index}", "entry": name, "source": source,
            "split": "train", "features": ["statements"]}


def compiles(source: str) -> bool:
    """Whether x86-64 gcc accepts the function, in the C dialect the labels are compiled in (gcc.py)."""
    import subprocess

    from .gcc import COMPILERS

    r = subprocess.run([COMPILERS["x86-64"], "-x", "c", "-fsyntax-only", "-w", "-"], input=source, text=True,
                       capture_output=True)
    return r.returncode == 0


def main(argv=None) -> int:
    from tqdm import tqdm

    from .shards import ShardWriter

    ap = argparse.ArgumentParser(prog="python -m neuralcc.corpora.statements", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory for the shards")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--start", type=int, default=0, help="first index")
    ap.add_argument("--count", type=int, default=20000)
    args = ap.parse_args(argv)
    dropped = 0
    with ShardWriter(args.out) as w:
        for i in tqdm(range(args.start, args.start + args.count), desc="statements", file=sys.stderr, mininterval=5):
            rec = generate(args.seed, i)
            if not compiles(rec["source"]):
                dropped += 1
                continue
            w.write(rec)
    print(f"statements: {args.count - dropped} functions written to {args.out}, {dropped} that gcc rejected dropped",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
