"""Read a C translation unit with pycparser: the function under test, its parameters, the globals."""
from __future__ import annotations

import copy
import re

from dataclasses import dataclass, field

import pycparser
from pycparser import c_ast

from neuralcc.cbase.annotations import AnnotationError, Annotations, find_annotations
from neuralcc.cbase.ctype import (TYPEDEFS, ArrayType, CType, FloatType, IntType, PointerType, UnsupportedType,
                                  VoidType, base_type, int_literal, make_struct, narrower_than_int)
from neuralcc.cbase.toolchain import PYCPARSER_DEFINES, cpp_flags

from .boundaries import Boundary, boundaries
from .errors import VerifierInputError
from .limits import MAX_PREPROCESSED_BYTES, check_source_size, run_tool

@dataclass
class Param:
    name: str
    type: CType


@dataclass
class FunctionSpec:
    name: str
    params: list[Param]
    ret: CType
    variadic: bool
    line: int
    annotations: Annotations = field(default_factory=Annotations)
    unsupported: str | None = None  # why this function cannot be tested, if it cannot
    boundaries: list[Boundary] = field(default_factory=list)  # comparisons worth hitting exactly

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)


@dataclass
class UnitSpec:
    """What the verifier knows about a C translation unit."""
    filename: str
    functions: dict[str, FunctionSpec]
    globals: dict[str, CType]

    def entry(self, name: str | None) -> FunctionSpec:
        if name is not None:
            if name not in self.functions:
                known = ", ".join(self.functions) or "none"
                raise VerifierInputError(f"{self.filename}: no function '{name}' (defined: {known})")
            return self.functions[name]
        candidates = [f for f in self.functions if f != "main"]
        if len(candidates) == 1:
            return self.functions[candidates[0]]
        if not candidates:
            raise VerifierInputError(f"{self.filename}: defines no function")
        raise VerifierInputError(
            f"{self.filename}: defines several functions ({', '.join(candidates)}); choose one with --function")


def preprocess(source: str, filename: str, cflags: list[str] | None = None) -> str:
    """gcc -E with the defines pycparser needs; `cflags` may carry -I -D -U -include -std."""
    check_source_size(source, filename)
    proc = run_tool(["gcc", "-E", "-std=gnu11", *PYCPARSER_DEFINES, *(cflags or []), "-x", "c", "-"],
                    f"{filename}: the preprocessor", input=source)
    if proc.returncode != 0:
        first = next((l for l in proc.stderr.splitlines() if "error" in l), proc.stderr.strip()[:200])
        raise VerifierInputError(f"{filename}: preprocessor failed: {first.replace('<stdin>', filename)}")
    if len(proc.stdout) > MAX_PREPROCESSED_BYTES:
        raise VerifierInputError(f"{filename}: {len(proc.stdout)} bytes once preprocessed, more than the verifier "
                                 f"reads ({MAX_PREPROCESSED_BYTES >> 20} MiB)")
    return proc.stdout


# an inline-assembly statement (`__asm__ volatile ("nop");`), which pycparser cannot read, is read as a call
# of this name: the function that holds it is refused by name, and the rest of its unit is read
INLINE_ASM = "__ncc_inline_asm"
_ASM_STATEMENT = re.compile(r"(?<=[;{}:])(\s*)\b(?:__asm__|__asm|asm)\b(?:\s*\b(?:volatile|__volatile__|goto|inline)\b)*\s*\(")


def without_inline_asm(text: str) -> str:
    """`text` (preprocessed C) with each inline-assembly statement a call of INLINE_ASM; an asm label on a
    declaration (`int f(void) __asm__("g");`, after `)` or a name) is not a statement and stays."""
    out, at = [], 0
    for m in _ASM_STATEMENT.finditer(text):
        if m.start() < at:
            continue
        depth, k, quote = 1, m.end(), None
        while k < len(text) and depth:
            c = text[k]
            if quote:
                quote = None if c == quote and text[k - 1] != "\\" else quote
            elif c in "\"'":
                quote = c
            else:
                depth += {"(": 1, ")": -1}.get(c, 0)
            k += 1
        out += [text[at:m.start()], m.group(1), f"{INLINE_ASM}()"]
        at = k
    return "".join(out) + text[at:]


def parse_c(source: str, filename: str = "<source>", cflags: list[str] | None = None) -> c_ast.FileAST:
    """The unit preprocessed (gcc -E, `cflags`' -I -D -U -include reach it) and parsed by pycparser; the
    main file's nodes have coord.file "<stdin>". VerifierInputError naming the file and line."""
    text = without_inline_asm(preprocess(source, filename, cpp_flags(cflags or [])))
    try:
        return pycparser.CParser().parse(text, filename="<stdin>")
    except pycparser.c_parser.ParseError as err:
        raise VerifierInputError(f"{filename}: C parse error: {str(err).replace('<stdin>', filename)}") from None


def parse_unit(source: str, filename: str = "<source>", char_signed: bool = True,
               cflags: list[str] | None = None) -> UnitSpec:
    if not source.strip():
        raise VerifierInputError(f"{filename}: empty C file")
    ast = parse_c(source, filename, cflags)
    try:
        notes = find_annotations(source, filename)
    except AnnotationError as err:
        raise VerifierInputError(str(err)) from None
    return _Reader(ast, filename, char_signed, notes).read()


class _Reader:
    def __init__(self, ast, filename: str, char_signed: bool, notes: list[tuple[int, Annotations]]):
        self.ast, self.filename, self.char_signed, self.notes = ast, filename, char_signed, notes
        self.typedefs: dict[str, c_ast.Node] = {}
        self.structs: dict[str, c_ast.Struct] = {}
        self.laying_out: set[str] = set()  # structs whose members are being read (a list node points to its own)
        self.enums = _Enums()
        self.enums.visit(ast)

    def in_main_file(self, node) -> bool:
        return node.coord is not None and node.coord.file in ("<stdin>", "-")

    def read(self) -> UnitSpec:
        functions: dict[str, FunctionSpec] = {}
        globals_: dict[str, CType] = {}
        prev_line = 0
        for node in self.ast.ext:
            if isinstance(node, c_ast.Typedef):
                self.typedefs[node.name] = node.type
            elif isinstance(node, c_ast.Decl):
                self._note_structs(node.type)
                if (self.in_main_file(node) and node.name and not isinstance(node.type, c_ast.FuncDecl)
                        and "extern" not in node.storage and "typedef" not in node.storage):
                    globals_[node.name] = self.ctype(node.type)
            elif isinstance(node, c_ast.FuncDef) and self.in_main_file(node):
                spec = self.function(node)
                for line, notes in self.notes:
                    if prev_line < line <= spec.line:
                        spec.annotations.merge(notes)
                prev_line = node.body.coord.line if node.body.coord else spec.line
                prev_line = max(prev_line, _last_line(node))
                functions[spec.name] = spec
        return UnitSpec(self.filename, functions, globals_)

    def _note_structs(self, node) -> None:
        while isinstance(node, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl)):
            node = node.type
        if isinstance(node, c_ast.Struct) and node.name and node.decls is not None:
            self.structs[node.name] = node

    def function(self, node: c_ast.FuncDef) -> FunctionSpec:
        decl: c_ast.FuncDecl = node.decl.type
        params: list[Param] = []
        variadic = False
        old_style = {d.name: d for d in node.param_decls or []}  # a K&R definition's parameter declarations
        widened = None
        for i, p in enumerate(decl.args.params if decl.args else []):
            if isinstance(p, c_ast.EllipsisParam):
                variadic = True
                continue
            if isinstance(p, c_ast.ID):  # K&R: `int f(a, b) int a; char *b; { ... }`, undeclared is int
                p = old_style.get(p.name) or c_ast.Decl(p.name, [], [], [], [], c_ast.TypeDecl(
                    p.name, [], None, c_ast.IdentifierType(["int"])), None, None)
                t = self.ctype(p.type)
                if isinstance(t, FloatType) and t.size < 8 or narrower_than_int(t):
                    widened = widened or p.name
            t = self.ctype(p.type)
            if isinstance(t, VoidType) and p.name is None:
                continue  # f(void)
            if isinstance(t, ArrayType):  # parameters decay: int a[] is int *a
                t = PointerType(f"{t.elem.name} *", t.elem, const=False)
            params.append(Param(p.name or f"arg{i}", t))
        spec = FunctionSpec(node.decl.name, params, self.ctype(decl.type), variadic, node.decl.coord.line)
        spec.boundaries = boundaries(node.body, {p.name for p in params if isinstance(p.type, IntType)})
        spec.unsupported = self.why_unsupported(spec)
        if widened and not spec.unsupported:  # the caller passes it promoted (a double, an int): another ABI
            spec.unsupported = f"K&R definition: parameter '{widened}' is passed widened by the default promotions"
        return spec

    def why_unsupported(self, spec: FunctionSpec) -> str | None:
        if spec.variadic:
            return "variadic function"
        for p in spec.params:
            reason = _unsupported_reason(p.type)
            if reason:
                return f"parameter '{p.name}': {reason}"
        return _unsupported_reason(spec.ret, top=True)

    def ctype(self, node) -> CType:
        if isinstance(node, c_ast.TypeDecl):
            inner = node.type
            if isinstance(inner, c_ast.IdentifierType):
                names = inner.names
                if len(names) == 1 and names[0] in self.typedefs and names[0] not in TYPEDEFS:
                    return self.ctype(self.typedefs[names[0]])
                return base_type(names, self.char_signed)
            if isinstance(inner, c_ast.Struct):
                return self.struct(inner)
            if isinstance(inner, c_ast.Enum):
                return enum_type(inner, self.enums.defined)
            if isinstance(inner, c_ast.Union):
                return UnsupportedType("union", reason="unions are not supported")
            return UnsupportedType(type(inner).__name__, reason="unsupported declaration")
        if isinstance(node, c_ast.PtrDecl):
            target_node = node.type
            target = self.ctype(target_node)
            if isinstance(target_node, c_ast.FuncDecl):
                return UnsupportedType("function pointer", reason="function pointers are not supported")
            const = isinstance(target_node, c_ast.TypeDecl) and "const" in (target_node.quals or [])
            return PointerType(f"{target.name} *", target, const)
        if isinstance(node, c_ast.ArrayDecl):
            elem = self.ctype(node.type)
            length = None
            if node.dim is not None:
                try:
                    length = int(_const_value(node.dim, self.enums.values))
                except (TypeError, ValueError):
                    return UnsupportedType("array", reason="array dimension is not a constant")
            return ArrayType(f"{elem.name}[{length or ''}]", elem, length)
        if isinstance(node, c_ast.FuncDecl):
            return UnsupportedType("function", reason="function type")
        return UnsupportedType(type(node).__name__, reason="unsupported declaration")

    def struct(self, node: c_ast.Struct) -> CType:
        if node.decls is None:
            node = self.structs.get(node.name, node)
        if node.decls is None:
            return UnsupportedType(f"struct {node.name}", reason=f"incomplete struct {node.name}")
        if node.name in self.laying_out:  # only a pointer can lead back here (C forbids the struct itself)
            return UnsupportedType(f"struct {node.name}", reason=f"struct {node.name} points to itself")
        if node.name:
            self.laying_out.add(node.name)
        try:
            members = [(d.name, self.ctype(d.type)) for d in node.decls]
        finally:
            self.laying_out.discard(node.name)
        return make_struct(f"struct {node.name or '<anon>'}", members)




def _unsupported_reason(t: CType, top: bool = False, depth: int = 0) -> str | None:
    if isinstance(t, UnsupportedType):
        return t.reason
    if isinstance(t, PointerType):
        if depth > 3:
            return "pointer nesting deeper than 3"
        if isinstance(t.target, VoidType):
            return None if top else "void * parameter (element type unknown)"
        return _unsupported_reason(t.target, depth=depth + 1)
    if isinstance(t, ArrayType):
        return _unsupported_reason(t.elem, depth=depth + 1)
    if hasattr(t, "fields"):
        if depth == 0:
            return "struct passed or returned by value"
        for f in t.fields:
            if isinstance(f.type, PointerType):
                return f"struct field '{f.name}' is a pointer"
            reason = _unsupported_reason(f.type, depth=depth + 1)
            if reason:
                return reason
    return None


def _const_value(node, names: dict[str, int] | None = None) -> int:
    """An integer constant expression's value (`names`: enumerators known); ValueError if it is not one."""
    if isinstance(node, c_ast.Constant) and node.type != "char":
        return int_literal(node.value)
    if isinstance(node, c_ast.ID) and names and node.name in names:
        return names[node.name]
    if isinstance(node, c_ast.UnaryOp) and node.op in ("-", "+", "~"):
        v = _const_value(node.expr, names)
        return {"-": -v, "+": v, "~": ~v}[node.op]
    if isinstance(node, c_ast.BinaryOp) and node.op in ("+", "-", "*", "/", "<<", ">>", "|", "&", "^"):
        a, b = _const_value(node.left, names), _const_value(node.right, names)
        if node.op == "/" and b == 0:
            raise ValueError("division by zero")
        return {"+": a + b, "-": a - b, "*": a * b, "/": (abs(a) // abs(b)) * (1 if (a < 0) == (b < 0) else -1), "<<": a << b, ">>": a >> b,
                "|": a | b, "&": a & b, "^": a ^ b}[node.op]
    raise ValueError("not constant")


class _Enums(c_ast.NodeVisitor):
    def __init__(self):
        self.values: dict[str, int] = {}
        self.defined: dict[str, dict[str, int]] = {}  # tag -> its enumerators

    def visit_Enum(self, node):
        if node.values is None:
            return
        mine, value = {}, 0
        try:
            for e in node.values.enumerators:
                value = _const_value(e.value, self.values) if e.value is not None else value
                mine[e.name] = self.values[e.name] = value
                value += 1
        except ValueError:
            return  # its later enumerators are not known here
        if node.name:
            self.defined[node.name] = mine


def enum_values(ast) -> dict[str, int]:
    """Every enumerator of the unit whose value this reads, and that value (C: the one written, else one
    more than the one before)."""
    v = _Enums()
    v.visit(ast)
    return v.values


def enums_as_ints(node, ast):
    """A copy of the declaration `node` with every enum type in it written as the integer type gcc gives
    it (`enum color c` as `unsigned int c`), for text that says what the code does with the value."""
    v = _Enums()
    v.visit(ast)

    def spelled(n):
        if isinstance(n, c_ast.TypeDecl) and isinstance(n.type, c_ast.Enum):
            n = copy.copy(n)
            n.type = c_ast.IdentifierType(enum_type(n.type, v.defined).name.split())
            return n
        n = copy.copy(n)
        for name, child in n.children():
            field, _, index = name.partition("[")
            if index:
                items = list(getattr(n, field))
                items[int(index[:-1])] = spelled(child)
                setattr(n, field, items)
            else:
                setattr(n, field, spelled(child))
        return n

    return spelled(node)


def enum_type(node: c_ast.Enum, defined: dict[str, dict[str, int]]) -> IntType:
    """The integer type gcc gives an enum: unsigned int when no enumerator is negative, else int (a
    value the enum holds is any value of that type, not only its enumerators')."""
    values = defined.get(node.name) if node.name else None
    if node.values is not None:
        one = _Enums()
        one.visit(node)
        values = one.values
    if values and min(values.values()) >= 0 and max(values.values()) <= 0xFFFFFFFF:
        return IntType("unsigned int", 4, False)
    return IntType("int", 4, True)


def _last_line(node) -> int:
    last = 0
    for _, child in node.children():
        if child.coord is not None:
            last = max(last, child.coord.line)
        last = max(last, _last_line(child))
    return last


@dataclass
class GlobalDecl:
    """A variable defined at file scope: what its storage holds before the program runs."""
    name: str
    type: CType
    init: c_ast.Node | None  # its initialiser as pycparser read it (None: zero)
    static: bool  # internal linkage
    const: bool  # read-only (`const int t[] = ...`)


def global_declarations(ast: c_ast.FileAST, char_signed: bool = True) -> list[GlobalDecl]:
    """The unit's own variable definitions (not extern, not typedefs, not functions), in source order.
    An array declared without its length (`int t[] = {1, 2}`) gets the length of its initialiser."""
    reader = _Reader(ast, "<source>", char_signed, [])
    out = []
    for node in ast.ext:
        if isinstance(node, c_ast.Typedef):
            reader.typedefs[node.name] = node.type
        elif isinstance(node, c_ast.Decl):
            reader._note_structs(node.type)
            if (reader.in_main_file(node) and node.name and not isinstance(node.type, c_ast.FuncDecl)
                    and not {"extern", "typedef"} & set(node.storage)):
                t = reader.ctype(node.type)
                if isinstance(t, ArrayType) and t.length is None and node.init is not None:
                    n = len(node.init.exprs) if isinstance(node.init, c_ast.InitList) else None
                    if isinstance(node.init, c_ast.Constant) and node.init.type == "string":
                        n = len(string_bytes(node.init.value)) + 1
                    if n is not None:
                        t = ArrayType(f"{t.elem.name}[{n}]", t.elem, n)
                inner = node.type
                while isinstance(inner, c_ast.ArrayDecl):
                    inner = inner.type
                const = isinstance(inner, c_ast.TypeDecl) and "const" in (inner.quals or [])
                out.append(GlobalDecl(node.name, t, node.init, "static" in node.storage, const))
    return out


_ESCAPES = {"n": 10, "t": 9, "r": 13, "0": 0, "\\": 92, "'": 39, '"': 34, "a": 7, "b": 8, "f": 12, "v": 11, "?": 63}


def string_bytes(literal: str) -> bytes:
    """The bytes of a C string or character literal as written (quotes included, no terminating NUL)."""
    body, out, i = literal[1:-1], bytearray(), 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        nxt = body[i + 1]
        if nxt in "01234567":
            j = i + 1
            while j < len(body) and j < i + 4 and body[j] in "01234567":
                j += 1
            out.append(int(body[i + 1: j], 8) & 0xFF)
            i = j
        elif nxt == "x":
            j = i + 2
            while j < len(body) and body[j] in "0123456789abcdefABCDEF":
                j += 1
            out.append(int(body[i + 2: j], 16) & 0xFF)
            i = j
        else:
            out.append(_ESCAPES[nxt])
            i += 2
    return bytes(out)


def frame_variables(source: str, filename: str = "<source>", char_signed: bool = True,
                    cflags: list[str] | None = None, ast: c_ast.FileAST | None = None) -> dict[str, dict[str, list[CType]]]:
    """Per function defined in the unit: its parameters and automatic variables (every declaration in
    its body, nested blocks included; `static` locals live elsewhere), by name in declaration order. A
    name declared twice (two loops' `int i`) lists each type. What each stack frame must hold.
    `ast`: parse_c(source), when the caller has it."""
    ast = ast if ast is not None else parse_c(source, filename, cflags)
    reader = _Reader(ast, filename, char_signed, [])
    functions: dict[str, dict[str, list[CType]]] = {}
    for node in ast.ext:
        if isinstance(node, c_ast.Typedef):
            reader.typedefs[node.name] = node.type
        elif isinstance(node, c_ast.Decl):
            reader._note_structs(node.type)
        elif isinstance(node, c_ast.FuncDef) and reader.in_main_file(node):
            out: dict[str, list[CType]] = {}
            for p in reader.function(node).params:
                out.setdefault(p.name, []).append(p.type)
            _Locals(reader, out).visit(node.body)
            functions[node.decl.name] = out
    return functions


class _Locals(c_ast.NodeVisitor):
    def __init__(self, reader: _Reader, out: dict[str, list[CType]]):
        self.reader, self.out = reader, out

    def visit_Decl(self, decl):
        self.reader._note_structs(decl.type)
        if decl.name and not isinstance(decl.type, c_ast.FuncDecl) and not (
                {"static", "extern", "typedef"} & set(decl.storage)):
            self.out.setdefault(decl.name, []).append(self.reader.ctype(decl.type))
        self.generic_visit(decl)
