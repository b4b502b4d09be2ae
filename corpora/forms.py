"""Compile-only functions that enumerate the three-address forms (forms-v0), for the translation memory.

After lowering (translator/front/lower.py, `--lower atoms`) a statement is one of a finite set of forms:
an operation on two variables or a variable and a constant, stored to a temporary of the type C gives
it or to a variable of another type; a compound assignment; a unary operation; a conversion; a load or
a store through a pointer; a comparison kept as a value or branched on; a loop header; a return. gcc
-O0 writes each one's piece from the form, the types and the instructions a constant fits
(memory/immediates.py), never from the values. This module lists the forms from the C operators and
the LP64 scalar types, not from any evaluation set, and writes them into functions of a few statements
each, which gcc labels and nobody runs: they go only into the translation memory (`--fill`) and the
training data.

    python -m neuralcc.corpora.forms --out data/forms-v0

writes train shards of `{"uri", "entry", "source", "split"}` records, like corpora/statements.py.
URIs: `benchmark://forms-v0/N`, N in the enumeration's fixed order.
"""
from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from itertools import product

from neuralcc.cbase.ctype import base_type, int_literal, promote, usual

from .statements import HEADERS

INTS = ("char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int", "long",
        "unsigned long")
FLOATS = ("float", "double")
ARITH = INTS + FLOATS
SCALARS = ARITH + ("_Bool",)
INT_OPS = ("+", "-", "*", "/", "%", "&", "|", "^", "<<", ">>")
FLOAT_OPS = ("+", "-", "*", "/")
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")
# one or more of each class of immediate on each target (immediates.py: AArch64 add/sub 12-bit, shifted
# 12-bit, mov 16-bit chunks, logical masks; x86-64 32-bit signed), and the boundaries of int
INT_CONSTANTS = ("0", "1", "2", "3", "7", "8", "10", "16", "31", "100", "255", "256", "1000", "4095", "4096",
                 "4097", "65535", "65536", "70000", "1000000", "2147483647", "-1", "-2", "-7", "-100", "-4096",
                 "-65536", "-2147483647", "4294967295U", "4294967296L", "0xff", "0xffff", "0x80000000")
FEW_CONSTANTS = ("0", "1", "2", "7", "100", "255", "4096", "70000", "-1")
SHIFTS = ("1", "2", "3", "4", "7", "8", "15", "16", "24", "31")
FLOAT_CONSTANTS = ("0.0", "1.0", "2.0", "0.5", "0.1", "2.5", "10.0", "100.0", "1e-06", "-1.0")
INDEX_TYPES = ("int", "unsigned int", "long", "unsigned long")
COUNTER_TYPES = ("int", "unsigned int", "long", "unsigned long", "char", "short")
STATEMENTS_PER_FUNCTION = 6  # few: one statement gcc folds away loses its function (pieces do not line up)
# what gcc -O0 still folds away: `x += 0`, `x *= 1`, `x &= -1`
IDENTITIES = {("+", "0"), ("-", "0"), ("*", "1"), ("/", "1"), ("|", "0"), ("^", "0"), ("&", "-1")}


def _ctype(name: str):
    return base_type(name.split(), char_signed=True)


def _spell(name_a: str, name_b: str) -> str:
    """The type the lowering declares `a OP b`'s temporary with."""
    return usual(_ctype(name_a), _ctype(name_b)).name


def _ops(t: str) -> tuple[str, ...]:
    return FLOAT_OPS if t in FLOATS else INT_OPS


def _constants(t: str, op: str) -> tuple[str, ...]:
    if t in FLOATS:
        return FLOAT_CONSTANTS + ("2", "10")
    if op in ("<<", ">>"):
        return SHIFTS
    return tuple(k for k in INT_CONSTANTS if not (op in ("/", "%") and k == "0"))


def _inside(t: str, k: str) -> bool:
    """Whether `k` lies strictly inside `t`'s range: a comparison with a value at or past either end is
    decided at compile time (`unsigned char a; a < 0`), and gcc -O0 then leaves the comparison out."""
    if t in FLOATS:
        return True
    ct = _ctype(t)
    return ct.min < int_literal(k.lstrip("-")) * (-1 if k.startswith("-") else 1) < ct.max


@dataclass(frozen=True)
class Form:
    """One statement (or a small block) and the variables it names, `(type, name)`: declared before it."""
    family: str
    variables: tuple[tuple[str, str], ...]
    lines: tuple[str, ...]


def _form(family: str, variables, *lines: str) -> Form:
    return Form(family, tuple(variables), lines)


def forms():
    """Every form, in a fixed order."""
    for a, b in product(ARITH, ARITH):  # a temporary of the type C gives the operation
        for op in _ops(a) if _ops(a) == _ops(b) else FLOAT_OPS:
            t = promote(_ctype(a)).name if op in ("<<", ">>") else _spell(a, b)
            yield _form("temporary", [(a, "a"), (b, "b")], f"{t} t = a {op} b;")
    for a in ARITH:
        for op in _ops(a):
            for k in _constants(a, op):
                t = promote(_ctype(a)).name if op in ("<<", ">>") else _spell(a, "int" if "." not in k else "double")
                yield _form("temporary-constant", [(a, "a")], f"{t} t = a {op} {k};")
            for k in FEW_CONSTANTS if a in INTS else ("1.0", "2.0", "0.5"):
                if op in ("<<", ">>") and a in INTS:
                    yield _form("constant-temporary", [(a, "a")], f"int t = {k} {op} a;")
                elif op not in ("<<", ">>"):
                    yield _form("constant-temporary", [(a, "a")], f"{_spell(a, 'int')} t = {k} {op} a;")
    for x, a in product(ARITH, ARITH):  # stored to a variable of another type, and compound assignments
        for op in _ops(a) if _ops(a) == _ops(x) or a in FLOATS else FLOAT_OPS:
            if x != a:
                yield _form("assign", [(x, "x"), (a, "a"), (a, "b")], f"x = a {op} b;")
            if op in _ops(x):
                yield _form("compound", [(x, "x"), (a, "a")], f"x {op}= a;")
    for x in ARITH:
        for op in _ops(x):
            for k in _constants(x, op)[::2]:
                if (op, k) not in IDENTITIES:
                    yield _form("compound-constant", [(x, "x")], f"x {op}= {k};")
    for x, a in product(SCALARS, SCALARS):  # conversions
        yield _form("convert", [(x, "x"), (a, "a")], f"x = a;")
        yield _form("convert", [(a, "a")], f"{x} t = ({x}) a;")
        if x in ARITH and a in ARITH:
            yield _form("negate", [(x, "x"), (a, "a")], f"x = -a;")
    for x in SCALARS:
        for k in (("0", "1") if x == "_Bool" else FLOAT_CONSTANTS if x in FLOATS else INT_CONSTANTS):
            yield _form("constant", [(x, "x")], f"x = {k};")
            yield _form("constant", [], f"{x} t = {k};")
        if x in ARITH:
            yield _form("unary", [(x, "a")], f"{promote(_ctype(x)).name} t = -a;")
            yield _form("unary", [(x, "a")], "int t = !a;")
        if x in INTS:
            yield _form("unary", [(x, "a")], f"{promote(_ctype(x)).name} t = ~a;")
    elements = ARITH + ("char *", "int *", "double *")
    for e in elements:  # loads and stores through pointers
        for const in ("", "const "):
            for i in INDEX_TYPES:
                yield _form("load", [(f"{const}{e} *", "p"), (i, "i")], f"{e} t = p[i];")
            for k in ("0", "1", "2", "7", "100"):
                yield _form("load", [(f"{const}{e} *", "p")], f"{e} t = p[{k}];")
            yield _form("load", [(f"{const}{e} *", "p")], f"{e} t = *p;")
        for a in (ARITH if e in ARITH else (e,)):
            for i in INDEX_TYPES:
                yield _form("store", [(f"{e} *", "p"), (i, "i"), (a, "a")], "p[i] = a;")
            yield _form("store", [(f"{e} *", "p"), (a, "a")], "p[1] = a;")
            yield _form("store", [(f"{e} *", "p"), (a, "a")], "*p = a;")
        for k in (FLOAT_CONSTANTS[:4] if e in FLOATS else FEW_CONSTANTS if e in INTS else ("0",)):
            yield _form("store", [(f"{e} *", "p"), ("int", "i")], f"p[i] = {k};")
            yield _form("store", [(f"{e} *", "p")], f"*p = {k};")
    for a, b in product(ARITH, ARITH):  # comparisons, as values and as branches
        for op in COMPARISONS:
            yield _form("compare", [(a, "a"), (b, "b")], f"int t = a {op} b;")
            yield _form("branch", [(a, "a"), (b, "b"), ("int", "x")], f"if (a {op} b) {{", "    x = 1;", "}")
    for a in ARITH:
        for op in COMPARISONS:
            for k in (FLOAT_CONSTANTS[:6] if a in FLOATS else [k for k in INT_CONSTANTS if _inside(a, k)]):
                yield _form("compare-constant", [(a, "a")], f"int t = a {op} {k};")
                yield _form("branch-constant", [(a, "a"), ("int", "x")], f"if (a {op} {k}) {{", "    x = 1;", "}")
    for a in SCALARS + ("char *", "int *"):
        yield _form("branch", [(a, "a"), ("int", "x")], "if (a) {", "    x = 1;", "}")
        yield _form("branch", [(a, "a"), ("int", "x")], "if (a) {", "    x = 1;", "} else {", "    x = 2;", "}")
    yield from _characters()
    yield from _pointers()
    yield from _calls()
    for i, n in product(COUNTER_TYPES, COUNTER_TYPES + ("10", "100")):  # loop headers
        bound = [(n, "n")] if not n.isdigit() else []
        limit = "n" if bound else n
        for test, step in (("<", "i++"), ("<=", "i++"), ("!=", "i++"), ("<", "i += 2"), (">", "i--"),
                           (">=", "i--")):
            if test == ">=" and _ctype(i).min == 0:
                continue  # `i >= 0` of an unsigned counter holds always: gcc leaves the test out
            up = test in ("<", "<=", "!=")
            yield _form("for", [(i, "i"), *bound, ("int", "x")],
                        f"for (i = {'0' if up else limit}; i {test} {limit if up else '0'}; {step}) {{", "    x += 1;", "}")
        if i == "int":
            yield _form("for", [*bound, ("int", "x")], f"for (int j = 0; j < {limit}; j++) {{", "    x += j;", "}")
            yield _form("while", [(i, "i"), *bound], f"while (i < {limit}) {{", "    i += 1;", "}")
            yield _form("do", [(i, "i"), *bound], "do {", "    i += 1;", f"}} while (i < {limit});")
    yield from _jumps()
    for x in ARITH:  # into a variable of the operand's own type, not a temporary: `x = a + 1;`, `x = x / 2;`
        for op in _ops(x):
            for k in _constants(x, op)[::2]:
                if (op, k) not in IDENTITIES:
                    yield _form("assign-constant", [(x, "x"), (x, "a")], f"x = a {op} {k};")
                    yield _form("assign-constant", [(x, "x")], f"x = x {op} {k};")


JUMP_TYPES = ("int", "unsigned int", "long", "char", "double", "int *")


def _jumps():
    """goto and labels, as gcc -O0 lays them out: a forward `if (c) goto L;` out of line right before
    L (front/skeleton.py), a backward one in place, a goto that ends a block, a label after a loop."""
    for a in JUMP_TYPES:
        for op in COMPARISONS if not a.endswith("*") else ("==", "!="):
            test = f"if (a {op} b) {{"
            yield _form("goto", [(a, "a"), (a, "b"), ("int", "x")], test, "    goto L;", "}", "x = 1;", "L: ;")
            yield _form("goto", [(a, "a"), (a, "b"), ("int", "x")], "L: ;", "x += 1;", test, "    goto L;", "}")
    yield _form("goto", [("int", "a"), ("int", "x")], "if (a) {", "    x = 1;", "    goto L;", "}", "x = 2;", "L: ;")
    yield _form("goto", [("int", "a"), ("int", "x")], "L: ;", "x += 1;", "if (a) {", "    x = 2;", "    goto L;", "}")
    yield _form("goto", [("int", "i"), ("int", "n"), ("int", "x")], "for (i = 0; i < n; i++) {",
                "    if (i == x) {", "        goto L;", "    }", "}", "x = 1;", "L: ;")


# printable ASCII and the escapes C writes: a character literal is its own key (templates abstract digits)
CHARACTERS = tuple(chr(c) for c in range(32, 127)) + ("\n", "\t", "\r", "\0", "\v", "\f")
_ESCAPES = {"'": "\\'", "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\0": "\\0", "\v": "\\v",
            "\f": "\\f"}


def _char(c: str) -> str:
    return "'" + _ESCAPES.get(c, c) + "'"


def _characters():
    """Character literals compared with, added to, stored as characters."""
    for c in map(_char, CHARACTERS):
        for a in ("char", "unsigned char", "int"):
            for op in COMPARISONS:
                yield _form("character", [(a, "a")], f"int t = a {op} {c};")
                yield _form("character", [(a, "a"), ("int", "x")], f"if (a {op} {c}) {{", "    x = 1;", "}")
            for op in ("+", "-"):
                yield _form("character", [(a, "a")], f"int t = a {op} {c};")
        yield _form("character", [("char", "x")], f"x = {c};")
        yield _form("character", [("int", "x")], f"x = {c};")
        yield _form("character", [("char *", "p"), ("int", "i")], f"p[i] = {c};")
        yield _form("character", [("char *", "p")], f"*p = {c};")


POINTEES = ("char", "unsigned char", "short", "int", "unsigned int", "long", "float", "double", "char *")


def _pointers():
    """Addresses, pointer arithmetic, pointer comparisons."""
    for e in POINTEES:
        p = f"{e} *"
        yield _form("pointer", [(p, "p"), (e, "a")], "p = &a;")
        yield _form("pointer", [(p, "p"), (p, "q"), ("int", "i")], "p = &q[i];")
        for i in INDEX_TYPES:
            yield _form("pointer", [(p, "p"), (p, "q"), (i, "i")], "p = q + i;")
            yield _form("pointer", [(p, "p"), (i, "i")], "p += i;")
        for k in ("1", "2", "-1", "100"):
            yield _form("pointer", [(p, "p"), (p, "q")], f"p = q + {k};")
            yield _form("pointer", [(p, "p")], f"p += {k};")
        yield _form("pointer", [(p, "p")], "p++;")
        yield _form("pointer", [(p, "p")], "p--;")
        yield _form("pointer", [(p, "p")], "p = 0;")
        yield _form("pointer", [(p, "p"), (p, "q")], "p = q;")
        yield _form("pointer", [(p, "p"), (p, "q")], "long t = p - q;")
        for op in COMPARISONS:
            yield _form("pointer", [(p, "p"), (p, "q"), ("int", "x")], f"if (p {op} q) {{", "    x = 1;", "}")
        yield _form("pointer", [(p, "p"), ("int", "x")], "if (p == 0) {", "    x = 1;", "}")
        yield _form("pointer", [(p, "p"), ("int", "x")], "if (!p) {", "    x = 1;", "}")


# the C library the verifier serves (verifier/libc.py): (result types, argument lists of variable types or literals)
CALLS = {
    "strlen": (("size_t", "int", "long", "unsigned int"), [("const char *",), ("char *",), ('"hello"',)]),
    "strcmp": (("int",), [("const char *", "const char *"), ("char *", "char *"), ("char *", '"a"')]),
    "strncmp": (("int",), [("const char *", "const char *", "size_t"), ("char *", "char *", "int"),
                           ("char *", "char *", "3")]),
    "strcpy": (("char *", None), [("char *", "const char *"), ("char *", '"hello"')]),
    "stpcpy": (("char *", None), [("char *", "const char *")]),
    "strncpy": (("char *", None), [("char *", "const char *", "size_t"), ("char *", "char *", "int")]),
    "strcat": (("char *", None), [("char *", "const char *"), ("char *", '"a"')]),
    "strncat": (("char *", None), [("char *", "const char *", "size_t")]),
    "strchr": (("char *",), [("const char *", "int"), ("char *", "char"), ("char *", "'a'")]),
    "strrchr": (("char *",), [("const char *", "int"), ("char *", "char"), ("char *", "'/'")]),
    "strstr": (("char *",), [("const char *", "const char *"), ("char *", '"a"')]),
    "strdup": (("char *",), [("const char *",), ("char *",)]),
    "memcpy": (("void *", None), [("void *", "const void *", "size_t"), ("char *", "char *", "int"),
                                  ("int *", "int *", "size_t"), ("char *", "char *", "16")]),
    "memset": (("void *", None), [("void *", "int", "size_t"), ("char *", "0", "int"), ("int *", "0", "size_t"),
                                  ("char *", "'a'", "16")]),
    "memcmp": (("int",), [("const void *", "const void *", "size_t"), ("char *", "char *", "int")]),
    "malloc": (("void *", "char *", "int *", "double *", "long *"), [("size_t",), ("int",), ("long",), ("100",)]),
    "calloc": (("void *", "char *", "int *"), [("size_t", "size_t"), ("int", "int"), ("int", "4")]),
    "realloc": (("void *", "char *", "int *"), [("void *", "size_t"), ("char *", "int"), ("int *", "long")]),
    "free": ((None,), [("void *",), ("char *",), ("int *",)]),
    "abs": (("int",), [("int",), ("char",), ("long",)]),
    "labs": (("long",), [("long",), ("int",)]),
    "atoi": (("int",), [("const char *",), ("char *",)]),
    "atol": (("long",), [("const char *",)]),
    "atof": (("double",), [("const char *",)]),
    "strtol": (("long", "int"), [("const char *", "0", "10"), ("char *", "char **", "int"), ("char *", "0", "16")]),
    "strtod": (("double",), [("const char *", "0"), ("char *", "char **")]),
    "toupper": (("int", "char"), [("int",), ("char",), ("unsigned char",)]),
    "tolower": (("int", "char"), [("int",), ("char",), ("unsigned char",)]),
    "rand": (("int", "unsigned int"), [()]),
    "srand": ((None,), [("unsigned int",), ("int",), ("42",)]),
    "putchar": ((None, "int"), [("int",), ("char",), ("'a'",)]),
    "puts": ((None, "int"), [("const char *",), ('"hello"',)]),
    "printf": ((None, "int"), [('"hello\\n"',), ('"%d\\n"', "int"), ('"%ld\\n"', "long"), ('"%f\\n"', "double"),
                               ('"%s\\n"', "const char *"), ('"%c"', "char"), ('"%d %d\\n"', "int", "int"),
                               ('"%u\\n"', "unsigned int"), ('"%zu\\n"', "size_t"), ('"%f\\n"', "float")]),
    "sprintf": ((None, "int"), [("char *", '"%d"', "int"), ("char *", '"%s"', "const char *"), ("char *", '"%f"', "double")]),
    "snprintf": ((None, "int"), [("char *", "size_t", '"%d"', "int"), ("char *", "16", '"%s"', "const char *")]),
}


def _literal(arg: str) -> bool:
    return arg[0] in "\"'-" or arg[0].isdigit()


def _calls():
    """A call of each function the verifier serves, with arguments of the types it takes and its value
    kept in each type real code keeps it in (or dropped)."""
    for name, (results, variants) in CALLS.items():
        for args in variants:
            written = [t if _literal(t) else f"a{k}" for k, t in enumerate(args)]
            variables = [(t, w) for t, w in zip(args, written) if not _literal(t)]
            call = f"{name}({', '.join(written)})"
            for r in results:
                yield _form("call", variables, f"{call};" if r is None else
                            f"{r}{'' if r.endswith('*') else ' '}t = {call};")


def returns():
    """Per return type, the returns of a variable of each type and of constants (a piece's prompt notes
    the function's return type, so each type's returns are a function of their own)."""
    for r in SCALARS + ("char *", "int *", "void"):
        if r == "void":
            yield r, [((), "return;")]
            continue
        sources = SCALARS if r in SCALARS else (r,)
        out = [(((a, "a"),), "return a;") for a in sources]
        constants = ("0",) if r.endswith("*") else ("0", "1") if r == "_Bool" else \
            FLOAT_CONSTANTS[:5] if r in FLOATS else FEW_CONSTANTS
        out += [((), f"return {k};") for k in constants]
        yield r, out


def _function(name: str, ret: str, body: list[tuple[tuple, tuple[str, ...]]]) -> str:
    """`ret name(void)` whose locals are the forms' variables, never initialised (nothing runs)."""
    lines, declared = [], []
    for k, (variables, text) in enumerate(body):
        rename = {v: f"{v}_{k}" for v in [v for _, v in variables] + ["t", "j", "L"]}
        for t, v in variables:
            declared.append(f"    {t}{'' if t.endswith('*') else ' '}{rename[v]};")
        names = re.compile(rf"(?<![\w.'])({'|'.join(rename)})(?![\w'])")  # whole names, not inside literals
        lines += ["    " + names.sub(lambda m: rename[m[1]], line) for line in text]
    return HEADERS + f"\n{ret} {name}(void) {{\n" + "\n".join(declared + lines) + "\n}\n"


def generate() -> list[dict]:
    """Every function of forms-v0, in order."""
    recs = []

    def add(ret: str, body: list) -> None:
        n = len(recs)
        recs.append({"uri": f"benchmark://forms-v0/{n}", "entry": f"f{n}", "source": _function(f"f{n}", ret, body),
                     "split": "train", "features": ["forms"]})

    batch: list = []
    for f in forms():
        if len(batch) == STATEMENTS_PER_FUNCTION:
            add("int", batch + [((), ("return 0;",))])
            batch = []
        batch.append((f.variables, f.lines))
    if batch:
        add("int", batch + [((), ("return 0;",))])
    for ret, rs in returns():
        for k in range(0, len(rs), STATEMENTS_PER_FUNCTION):
            *early, (variables, last) = rs[k: k + STATEMENTS_PER_FUNCTION]
            body = [(v + (("int", "c"),), ("if (c) {", "    " + text, "}")) for v, text in early]
            add(ret, body + [(variables, (last,))])
    return recs


def main(argv=None) -> int:
    from .shards import ShardWriter
    from .statements import compiles

    ap = argparse.ArgumentParser(prog="python -m neuralcc.corpora.forms", description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, help="output directory for the shards")
    args = ap.parse_args(argv)
    dropped = []
    recs = generate()
    with ShardWriter(args.out) as w:
        for rec in recs:
            if compiles(rec["source"]):
                w.write(rec)
            else:
                dropped.append(rec["uri"])
    print(f"forms: {len(recs) - len(dropped)} functions written to {args.out}; gcc rejected {len(dropped)}"
          + (f" (first: {dropped[0]})" if dropped else ""), file=sys.stderr)
    return 1 if dropped else 0


if __name__ == "__main__":
    raise SystemExit(main())
