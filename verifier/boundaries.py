"""The comparisons a C function makes between a parameter and an expression of other parameters.

`balance + amount <= limit` differs from `balance + amount < limit` only where the two sides are equal:
random inputs almost never hit that, so a `jle` -> `jl` mutant passes. For each comparison whose one
side is an integer parameter and whose other side is built from other parameters and integer
constants, the input sampler draws inputs that put the parameter exactly on, and one off, the other
side's value.

    boundaries(func_def_body, {"balance", "amount", "limit"})
    -> [Boundary(param='limit', other=Op('+', Param('balance'), Param('amount')))]
"""
from __future__ import annotations

import operator
from dataclasses import dataclass

from pycparser import c_ast

from neuralcc.cbase.ctype import int_literal

COMPARISONS = {"<", "<=", ">", ">=", "==", "!="}
_ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul, "<<": operator.lshift,
               ">>": operator.rshift, "&": operator.and_, "|": operator.or_, "^": operator.xor}


@dataclass(frozen=True)
class Param:
    name: str


@dataclass(frozen=True)
class Const:
    value: int


@dataclass(frozen=True)
class Op:
    op: str
    left: "Expr"
    right: "Expr"


@dataclass(frozen=True)
class Neg:
    operand: "Expr"


Expr = Param | Const | Op | Neg


@dataclass(frozen=True)
class Boundary:
    param: str  # the parameter to place on the boundary
    other: Expr  # the other side of the comparison

    def value(self, inputs: dict) -> int | None:
        """The other side's value for these inputs (None when it cannot be computed)."""
        return evaluate(self.other, inputs)


def evaluate(e: Expr, inputs: dict) -> int | None:
    if isinstance(e, Const):
        return e.value
    if isinstance(e, Param):
        v = inputs.get(e.name)
        return v if isinstance(v, int) else None
    if isinstance(e, Neg):
        v = evaluate(e.operand, inputs)
        return None if v is None else -v
    a, b = evaluate(e.left, inputs), evaluate(e.right, inputs)
    if a is None or b is None:
        return None
    if e.op in ("<<", ">>") and not 0 <= b < 64:
        return None
    return _ARITHMETIC[e.op](a, b)


def _expr(node, params: set[str]) -> Expr | None:
    if isinstance(node, c_ast.ID) and node.name in params:
        return Param(node.name)
    if isinstance(node, c_ast.Constant) and node.type in ("int", "long int", "unsigned int", "long long int",
                                                          "unsigned long int", "char"):
        try:
            text = node.value
            return Const(ord(text[1]) if text.startswith("'") and len(text) == 3 else int_literal(text))
        except ValueError:
            return None
    if isinstance(node, c_ast.Cast):
        return _expr(node.expr, params)
    if isinstance(node, c_ast.UnaryOp) and node.op == "-":
        inner = _expr(node.expr, params)
        return None if inner is None else Neg(inner)
    if isinstance(node, c_ast.BinaryOp) and node.op in _ARITHMETIC:
        left, right = _expr(node.left, params), _expr(node.right, params)
        return None if left is None or right is None else Op(node.op, left, right)
    return None


class _Finder(c_ast.NodeVisitor):
    def __init__(self, params: set[str]):
        self.params, self.found = params, []

    def visit_BinaryOp(self, node):
        if node.op in COMPARISONS:
            for side, other in ((node.left, node.right), (node.right, node.left)):
                if isinstance(side, c_ast.Cast):
                    side = side.expr
                if isinstance(side, c_ast.ID) and side.name in self.params:
                    e = _expr(other, self.params - {side.name})
                    # a constant alone is already among mine_constants' values
                    if e is not None and not isinstance(e, Const) and Boundary(side.name, e) not in self.found:
                        self.found.append(Boundary(side.name, e))
        self.generic_visit(node)


def boundaries(body, params: set[str]) -> list[Boundary]:
    """The comparisons in a function body (a pycparser node) between an integer parameter and an
    expression of the other parameters and constants."""
    finder = _Finder(params)
    finder.visit(body)
    return finder.found
