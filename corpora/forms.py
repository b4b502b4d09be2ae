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

from neuralcc.cbase.ctype import base_type, promote, usual

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
STATEMENTS_PER_FUNCTION = 12


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
            for k in (FLOAT_CONSTANTS[:6] if a in FLOATS else INT_CONSTANTS):
                yield _form("compare-constant", [(a, "a")], f"int t = a {op} {k};")
                yield _form("branch-constant", [(a, "a"), ("int", "x")], f"if (a {op} {k}) {{", "    x = 1;", "}")
    for a in SCALARS + ("char *", "int *"):
        yield _form("branch", [(a, "a"), ("int", "x")], "if (a) {", "    x = 1;", "}")
        yield _form("branch", [(a, "a"), ("int", "x")], "if (a) {", "    x = 1;", "} else {", "    x = 2;", "}")
    for i, n in product(COUNTER_TYPES, COUNTER_TYPES + ("10", "100", "0")):  # loop headers
        bound = [(n, "n")] if not n.isdigit() else []
        limit = "n" if bound else n
        for test, step in (("<", "i++"), ("<=", "i++"), ("!=", "i++"), ("<", "i += 2"), (">", "i--"),
                           (">=", "i--")):
            up = test in ("<", "<=", "!=")
            yield _form("for", [(i, "i"), *bound, ("int", "x")],
                        f"for (i = {'0' if up else limit}; i {test} {limit if up else '0'}; {step}) {{", "    x += 1;", "}")
        if i == "int":
            yield _form("for", [*bound, ("int", "x")], f"for (int j = 0; j < {limit}; j++) {{", "    x += j;", "}")
            yield _form("while", [(i, "i"), *bound], f"while (i < {limit}) {{", "    i += 1;", "}")
            yield _form("do", [(i, "i"), *bound], "do {", "    i += 1;", f"}} while (i < {limit});")


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
        rename = {v: f"{v}{k}" for v in [v for _, v in variables] + ["t", "j"]}
        for t, v in variables:
            declared.append(f"    {t}{'' if t.endswith('*') else ' '}{rename[v]};")
        for line in text:
            for v, to in sorted(rename.items(), key=lambda kv: -len(kv[0])):
                line = _rename(line, v, to)
            lines.append("    " + line)
    return f"{ret} {name}(void) {{\n" + "\n".join(declared + lines) + "\n}\n"


def _rename(line: str, name: str, to: str) -> str:
    return re.sub(rf"(?<![\w.']){name}(?![\w'])", to, line)


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
