"""A unit's global data, written from its C declarations: what gcc -O0 puts in .data, .bss and .rodata.

Why not the model or the memory: data is not code to translate but bytes fixed by the declarations and the
LP64 layout, the same on both arches, and the memory holds gcc's data piece only for a unit's exact set of
declarations, which real C never repeats; a wrong data piece fails every function that reads it. What this
cannot write (a pointer to a string or another object, unions, a value that is not a constant) is None and
the caller falls back to the model or the memory.
"""
from __future__ import annotations

import struct

from pycparser import c_ast

from neuralcc.cbase.ctype import ArrayType, CType, FloatType, IntType, PointerType, StructType, int_literal
from neuralcc.verifier.signature import GlobalDecl, string_bytes


class NotConstant(ValueError):
    """An initialiser this module cannot turn into bytes."""


def _number(node) -> int | float:
    if isinstance(node, c_ast.Constant):
        if node.type == "char":
            return int.from_bytes(string_bytes(node.value)[:1] or b"\0", "little", signed=True)
        if node.type in ("float", "double", "long double"):
            return float(node.value.rstrip("fFlL"))
        if node.type == "string":
            raise NotConstant("a string where a number was expected")
        return int_literal(node.value)
    if isinstance(node, c_ast.UnaryOp) and node.op in ("-", "+", "~"):
        v = _number(node.expr)
        return -v if node.op == "-" else v if node.op == "+" else ~int(v)
    if isinstance(node, c_ast.Cast):
        return _number(node.expr)
    if isinstance(node, c_ast.BinaryOp) and node.op in ("+", "-", "*", "/", "<<", ">>", "|", "&", "^"):
        a, b = _number(node.left), _number(node.right)
        if node.op == "/":
            if b == 0:
                raise NotConstant("division by zero")
            return a / b if isinstance(a, float) or isinstance(b, float) else int(a / b)
        return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "<<": lambda: int(a) << int(b),
                ">>": lambda: int(a) >> int(b), "|": lambda: int(a) | int(b), "&": lambda: int(a) & int(b),
                "^": lambda: int(a) ^ int(b)}[node.op]()
    raise NotConstant(f"{type(node).__name__} is not a constant")


def value_bytes(t: CType, init) -> bytes:
    """The bytes an object of type `t` holds when initialised with `init` (None: zero)."""
    if init is None:
        return bytes(t.size)
    if isinstance(t, IntType):
        v = int(_number(init))
        return (bool(v) if t.is_bool else v & ((1 << t.bits) - 1)).to_bytes(t.size, "little")
    if isinstance(t, FloatType):
        return struct.pack("<f" if t.size == 4 else "<d", float(_number(init)))
    if isinstance(t, PointerType):
        if _number(init) != 0:
            raise NotConstant("a pointer other than NULL")
        return bytes(8)
    if isinstance(t, ArrayType):
        if isinstance(init, c_ast.Constant) and init.type == "string" and isinstance(t.elem, IntType) and t.elem.size == 1:
            return (string_bytes(init.value) + bytes(t.size))[: t.size]
        items = init.exprs if isinstance(init, c_ast.InitList) else None
        if items is None or len(items) > (t.length or 0) or any(isinstance(x, c_ast.NamedInitializer) for x in items):
            raise NotConstant("an array initialiser this module does not read")
        return b"".join(value_bytes(t.elem, x) for x in items) + bytes(t.elem.size * ((t.length or 0) - len(items)))
    if isinstance(t, StructType):
        items = init.exprs if isinstance(init, c_ast.InitList) else None
        if items is None or len(items) > len(t.fields) or any(isinstance(x, c_ast.NamedInitializer) for x in items):
            raise NotConstant("a struct initialiser this module does not read")
        out = bytearray(t.size)
        for f, x in zip(t.fields, items):
            out[f.offset: f.offset + f.type.size] = value_bytes(f.type, x)
        return bytes(out)
    raise NotConstant(f"a {t.name}")


def _alignment(t: CType, arch: str) -> int:
    # gcc gives x86-64 arrays of 16 bytes or more 16-byte alignment (the psABI's rule), AArch64 arrays of 8 or
    # more 8; any alignment at least the type's computes the same results
    if isinstance(t, ArrayType) and t.size >= (16 if arch == "x86-64" else 8):
        return max(t.align, 16 if arch == "x86-64" else 8)
    return max(t.align, 1)


def data_piece(decls: list[GlobalDecl], arch: str) -> str | None:
    """The assembly that defines `decls`, or None when one of them cannot be written from its declaration."""
    x86 = arch == "x86-64"
    lines: list[str] = []
    for d in decls:
        try:
            data = value_bytes(d.type, d.init)
        except NotConstant:
            return None
        if d.type.size == 0 or isinstance(d.type, (ArrayType, StructType)) and not data:
            return None
        section = "\t.section\t.rodata" if d.const else "\t.bss" if not any(data) else "\t.data"
        align = _alignment(d.type, arch)
        if not d.static:
            lines.append(f"\t.globl\t{d.name}" if x86 else f"\t.global\t{d.name}")
        lines += [section, f"\t.align\t{align if x86 else align.bit_length() - 1}",
                  f"\t.type\t{d.name}, {'@' if x86 else '%'}object", f"\t.size\t{d.name}, {len(data)}", f"{d.name}:"]
        if not any(data):
            lines.append(f"\t.zero\t{len(data)}")
        else:
            lines += [f"\t.byte\t{', '.join(str(b) for b in data[i: i + 16])}" for i in range(0, len(data), 16)]
    return "\n".join(lines) + "\n"
