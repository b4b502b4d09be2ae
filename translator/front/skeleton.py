"""The layout of a unit's code, read from its C: which pieces of code there are, in which order, and
where each one's jumps may go ("local" mode, see neural/samples.py).

gcc -O0 emits each statement's code where the statement is, and joins statements with jumps to
labels at statement starts. This module walks pycparser's AST and lists those *pieces* in that
order: a function's prologue, each statement (a loop header gives two or three: init, step, test),
its epilogue, plus one piece for the unit's global data. Each piece knows the C it implements and
the pieces it may jump to, by role (`then <C4> else <C7>`). The model writes every instruction of
every piece, jumps included; this module only decides the order and names the jump targets, the
way an assembler resolves labels.

A label starts a piece, and a `goto` jumps to it. A piece of C this walk does not know (a `#pragma`
among the statements, a `goto` without its label) raises SourceError: the unit is refused, nothing is
guessed.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field, replace

from pycparser import c_ast, c_generator

from neuralcc.verifier.signature import INLINE_ASM

from .csource import SourceError, walk


@dataclass
class Piece:
    index: int
    func: str  # the function it belongs to ("" for the unit's data)
    role: str  # data prologue param stmt if for-init for-step for-test while-entry while-test do-test
    #            switch return break continue goto epilogue
    line: int  # C line (gcc's .loc numbering)
    text: str = ""  # the C it implements
    targets: dict[str, int] = field(default_factory=dict)  # role -> piece index
    names: list[str] = field(default_factory=list)  # identifiers it uses (for declarations)


@dataclass
class FunctionInfo:
    name: str
    ret: str  # return type, C text
    calls: bool  # does it call anything (leaf or not decides the frame)
    callees: list[str]  # the names it calls
    first: int  # index of its prologue piece
    last: int  # index of its epilogue piece


@dataclass(frozen=True)
class StructDef:
    tag: str
    text: str  # the definition, as C
    members: tuple[tuple[str, str], ...] | None  # (name, type words) per member when every member is a
    #                                             plain named type (no array, pointer, bit-field); else None


def _members(struct: c_ast.Struct) -> tuple[tuple[str, str], ...] | None:
    out = []
    for d in struct.decls:
        t = d.type
        if d.bitsize is not None or not (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType)):
            return None
        out.append((d.name, " ".join(t.quals + t.type.names)))
    return tuple(out)


@dataclass
class Skeleton:
    pieces: list[Piece]
    functions: list[FunctionInfo]
    globals: dict[str, str]  # name -> declaration without initialiser
    structs: dict[str, StructDef]  # tag -> definition
    prototypes: dict[str, str]  # function name -> prototype, for calls
    # functions laid out as no pieces, each with why and the names it calls: a function refused fails only
    # the translations that reach it (`refusal`), never the rest of its unit
    refused: dict[str, tuple[SourceError, list[str]]] = field(default_factory=dict)

    def lines(self) -> list[int]:
        return [p.line for p in self.pieces]

    def helpers(self, entry: str) -> list[str]:
        """The unit's functions other than `entry`, in the order defined."""
        return [f.name for f in self.functions if f.name != entry]

    def only(self, names: set[str]) -> "Skeleton":
        """The unit's data and the pieces of the functions `names`, numbered anew (a unit too big for the
        model to name every piece may still have few in what one entry reaches)."""
        kept = [p for p in self.pieces if p.role == "data" or p.func in names]
        index = {p.index: k for k, p in enumerate(kept)}
        pieces = [replace(p, index=index[p.index], targets={r: index[t] for r, t in p.targets.items()},
                          names=list(p.names)) for p in kept]
        functions = [replace(f, first=index[f.first], last=index[f.last]) for f in self.functions if f.name in names]
        return Skeleton(pieces, functions, self.globals, self.structs, self.prototypes, self.refused)

    def reachable(self, entry: str) -> set[str]:
        """`entry` and the unit's functions it calls, directly or not: what a translation of it needs."""
        calls = {f.name: f.callees for f in self.functions} | {name: c for name, (_, c) in self.refused.items()}
        seen, todo = set(), [entry]
        while todo:
            name = todo.pop()
            if name in calls and name not in seen:
                seen.add(name)
                todo.extend(calls[name])
        return seen

    def refusal(self, entry: str) -> SourceError | None:
        """Why `entry` cannot be translated when it, or a function it reaches, was refused."""
        return next((self.refused[f][0] for f in sorted(self.reachable(entry), key=lambda f: f != entry)
                     if f in self.refused), None)


class _Names(c_ast.NodeVisitor):
    def __init__(self):
        self.names: list[str] = []
        self.calls = False
        self.callees: list[str] = []

    def visit_ID(self, node):
        if node.name not in self.names:
            self.names.append(node.name)

    def visit_FuncCall(self, node):
        self.calls = True
        if isinstance(node.name, c_ast.ID) and node.name.name not in self.callees:
            self.callees.append(node.name.name)
        self.generic_visit(node)

    def visit_StructRef(self, node):  # a.b: the field name is not a variable
        self.visit(node.name)


def _names(node) -> list[str]:
    v = _Names()
    if node is not None:
        v.visit(node)
    return v.names


def _calls(node) -> tuple[bool, list[str]]:
    v = _Names()
    v.visit(node)
    return v.calls, v.callees


class _Walker:
    def __init__(self, src_lines: list[str], func: str, enumerators=frozenset):
        self.src = src_lines
        self.func = func
        self.enumerators = enumerators  # () -> the unit's enumerators: an array sized by them has a fixed size
        self.pieces: list[Piece] = []
        self.loops: list[tuple[list, list | None, dict | None]] = []  # per loop/switch: break fixups, continue
        #   fixups (None: a switch), and the `if (c) break;` / `if (c) continue;` moved out of line (see if_)
        self.epilogue_refs: list[Piece] = []
        self.labels: dict[str, int] = {}  # label -> the piece it starts
        self.gotos: list[tuple[Piece, str]] = []  # each goto's piece and its label, resolved by finish()
        self.ahead: dict[str, list] = {}  # label -> the forward `if (c) goto label;` moved out of line (see if_)
        self.cut = False  # a label was just placed: the next statement starts a piece of its own

    def text(self, line: int) -> str:
        return self.src[line - 1].strip() if 0 < line <= len(self.src) else ""

    def add(self, role: str, node, line: int | None = None, names_of=None) -> Piece:
        line = line if line is not None else node.coord.line
        last = self.pieces[-1] if self.pieces else None
        cut, self.cut = self.cut, False
        if role == "stmt" and not cut and last is not None and last.role == "stmt" and last.line == line:
            # `int a = 0, b = 1;` or two statements on a line: gcc's line info makes them one piece
            last.names += [n for n in _names(names_of if names_of is not None else node) if n not in last.names]
            return last
        p = Piece(0, self.func, role, line, self.text(line), names=_names(names_of if names_of is not None else node))
        self.pieces.append(p)
        return p

    @property
    def here(self) -> int:
        return len(self.pieces)  # the next piece's position: where falling through lands

    def block(self, items, top: bool = False) -> None:
        items = [i for i in (items or []) if not isinstance(i, c_ast.EmptyStatement)]
        for k, item in enumerate(items):
            self.stmt(item, last=top and k == len(items) - 1)

    def stmt(self, node, last: bool = False) -> None:
        if isinstance(node, c_ast.Compound):
            self.block(node.block_items, top=False)
        elif isinstance(node, c_ast.EmptyStatement):
            pass
        elif isinstance(node, c_ast.Decl):
            self.fixed_size(node)
            if node.init is not None and "static" not in node.storage:
                self.add("stmt", node)
        elif isinstance(node, c_ast.DeclList):
            for d in node.decls:
                self.stmt(d)
        elif isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID) and node.name.name == INLINE_ASM:
            raise SourceError(f"line {node.coord.line}: inline assembly (`asm`) is not translated", "inline assembly")
        elif isinstance(node, (c_ast.Assignment, c_ast.UnaryOp, c_ast.FuncCall, c_ast.BinaryOp, c_ast.Cast,
                               c_ast.TernaryOp, c_ast.ID, c_ast.Constant, c_ast.ExprList, c_ast.ArrayRef,
                               c_ast.StructRef)):
            self.add("stmt", node)
        elif isinstance(node, c_ast.If):
            self.if_(node)
        elif isinstance(node, c_ast.For):
            self.for_(node)
        elif isinstance(node, c_ast.While):
            self.while_(node)
        elif isinstance(node, c_ast.DoWhile):
            self.do_(node)
        elif isinstance(node, c_ast.Switch):
            self.switch(node)
        elif isinstance(node, c_ast.Return):
            p = self.add("return", node, names_of=node.expr)
            if not last:
                self.epilogue_refs.append(p)
        elif isinstance(node, c_ast.Break):
            if not self.loops:
                raise SourceError(f"line {node.coord.line}: break outside a loop or switch", "not C")
            self.loops[-1][0].append(self.add("break", node))
        elif isinstance(node, c_ast.Continue):
            loop = next((l for l in reversed(self.loops) if l[1] is not None), None)
            if loop is None:
                raise SourceError(f"line {node.coord.line}: continue outside a loop", "not C")
            loop[1].append(self.add("continue", node))
        elif isinstance(node, c_ast.Goto):
            self.gotos.append((self.goto(node), node.name))
        elif isinstance(node, c_ast.Label):
            self.label(node, last)
        else:
            raise SourceError(f"line {getattr(node.coord, 'line', '?')}: {type(node).__name__} statements "
                              "are not supported by the translator's layout",
                              f"{type(node).__name__} statement")

    def if_(self, node) -> None:
        cond = self.add("if", node, names_of=node.cond)
        lone = _lone_jump(node.iftrue) if node.iffalse is None else None
        if isinstance(lone, c_ast.Goto):
            if lone.name not in self.labels:
                # forward, gcc -O0 lays it out like `if (c) break;`: its block (just `nop`) right before
                # the label; a backward one stays in place
                cond.targets["else"] = self.here
                self.ahead.setdefault(lone.name, []).append((lone, cond))
                return
        elif lone is not None and self.loops and self.loops[-1][1] is not None:
            # gcc -O0 lays `if (c) break;` and `if (c) continue;` out of line: the `if` jumps to a block
            # (just `nop`) put where the jump lands, at the loop's exit or its continue point
            cond.targets["else"] = self.here
            self.loops[-1][2]["break" if isinstance(lone, c_ast.Break) else "continue"].append((lone, cond))
            return
        cond.targets["then"] = self.here
        self.stmt(node.iftrue)
        if node.iffalse is not None:
            then_end = self.pieces[-1] if self.here > cond.targets["then"] else cond
            else_at = self.here
            self.stmt(node.iffalse)
            cond.targets["else"] = else_at
            if then_end is not cond:
                then_end.targets["join"] = self.here
        else:
            cond.targets["else"] = self.here

    def fixed_size(self, decl: c_ast.Decl) -> None:
        """A variable-length array sizes the frame at run time, which the frame layout (back/frame.py)
        cannot: refused, naming it."""
        t = decl.type
        while isinstance(t, (c_ast.ArrayDecl, c_ast.PtrDecl)):
            read = [] if not isinstance(t, c_ast.ArrayDecl) or t.dim is None else \
                [n for n in walk(t.dim, _not_sizeof) if isinstance(n, (c_ast.ID, c_ast.FuncCall))]
            if any(isinstance(n, c_ast.FuncCall) or n.name not in self.enumerators() for n in read):
                raise SourceError(f"line {decl.coord.line}: variable-length array '{decl.name}' "
                                  "(its size is known only at run time) is not supported", "variable-length array")
            t = t.type

    def goto(self, node: c_ast.Goto) -> Piece:
        """A goto's piece reads `goto;`: where it goes is its jump target, whatever the label is called."""
        p = self.add("goto", node)
        p.text = "goto;"
        return p

    def label(self, node: c_ast.Label, last: bool) -> None:
        if node.name in self.labels:
            raise SourceError(f"line {node.coord.line}: label '{node.name}' defined twice", "not C")
        before = self.pieces[-1]
        self._place(self.ahead.pop(node.name, []), "goto", "to", 0)
        if before.role in ("goto", "break", "continue", "return") and "over" in before.targets:
            del before.targets["over"]  # it jumps away already: nothing falls into the moved blocks
        self.labels[node.name] = self.here
        self.cut = True
        self.stmt(node.stmt, last=last)

    def finish(self) -> None:
        """Every goto's piece jumps to its label's; the first goto whose label is missing is refused."""
        missing = [(p.line, name) for p, name in self.gotos if name not in self.labels]
        missing += [(moved[0][0].coord.line, name) for name, moved in self.ahead.items()]
        if missing:
            line, name = min(missing)
            raise SourceError(f"line {line}: goto {name}: no label '{name}' in {self.func}", "not C")
        for p, name in self.gotos:
            p.targets["to"] = self.labels[name]

    def _loop(self, body):
        breaks, conts, moved = [], [], {"break": [], "continue": []}
        self.loops.append((breaks, conts, moved))
        start = self.here
        self.stmt(body)
        self.loops.pop()
        self._place(moved["continue"], "continue", "next", start)  # where the loop continues: next comes
        return start, breaks, conts, moved

    def _place(self, moved: list, role: str, target: str, start: int) -> None:
        """The out-of-line blocks of `if (c) break;` / `if (c) continue;` here: each `if` jumps to its
        block, the blocks fall through to what follows them, and the piece before them jumps over them."""
        if not moved:
            return
        before = self.pieces[-1] if self.here > start else None
        blocks = []
        for node, cond in moved:
            cond.targets["then"] = self.here
            blocks.append(self.goto(node) if role == "goto" else self.add(role, node))
        for p in blocks:
            p.targets[target] = self.here
        if before is not None:
            before.targets["over"] = self.here

    def _close(self, test: Piece, breaks: list, conts: list, cont_at: int, moved: dict) -> None:
        """A loop's test falls out to, and its breaks jump to, whatever follows (after the loop's moved
        `if (c) break;` blocks); continues go to `cont_at`."""
        self._place(moved["break"], "break", "exit", self.here)
        test.targets["exit"] = self.here
        for p in breaks:
            p.targets["exit"] = self.here
        for p in conts:
            p.targets["next"] = cont_at

    def for_(self, node) -> None:
        line = node.coord.line
        init = self.add("for-init", node, line, names_of=node.init)
        start, breaks, conts, moved = self._loop(node.stmt)
        step = None
        if node.next is not None:
            step = self.add("for-step", node, line, names_of=node.next)
        test = self.add("for-test", node, line, names_of=node.cond)
        init.targets["test"] = self.here - 1
        test.targets["body"] = start
        self._close(test, breaks, conts, self.here - 2 if step is not None else self.here - 1, moved)

    def while_(self, node) -> None:
        line = node.coord.line
        entry = self.add("while-entry", node, line, names_of=node.cond)
        start, breaks, conts, moved = self._loop(node.stmt)
        self.add("while-test", node, line, names_of=node.cond)
        entry.targets["test"] = self.here - 1
        self.pieces[-1].targets["body"] = start
        self._close(self.pieces[-1], breaks, conts, self.here - 1, moved)

    def do_(self, node) -> None:
        start, breaks, conts, moved = self._loop(node.stmt)
        line = node.cond.coord.line if node.cond is not None and node.cond.coord else node.coord.line
        self.add("do-test", node, line, names_of=node.cond)
        self.pieces[-1].targets["body"] = start
        self._close(self.pieces[-1], breaks, conts, self.here - 1, moved)

    def switch(self, node) -> None:
        sw = self.add("switch", node, names_of=node.cond)
        breaks: list = []
        self.loops.append((breaks, None, None))
        cases: list[tuple[str, int]] = []
        items = node.stmt.block_items if isinstance(node.stmt, c_ast.Compound) else [node.stmt]
        for item in items or []:
            if isinstance(item, (c_ast.Case, c_ast.Default)):
                label = "default" if isinstance(item, c_ast.Default) else "case " + c_generator.CGenerator().visit(item.expr)
                cases.append((label, self.here))
                self.block(item.stmts)
            else:
                self.stmt(item)
        self.loops.pop()
        for label, at in cases:
            sw.targets[label] = at
        if not any(label == "default" for label, _ in cases):
            sw.targets["default"] = self.here
        sw.targets["exit"] = self.here
        for p in breaks:
            p.targets["exit"] = self.here


def _lone_jump(node):
    """The break, continue or goto that is all of `node` (`break;`, `{ goto out; }`), else None."""
    while isinstance(node, c_ast.Compound) and node.block_items and len(node.block_items) == 1:
        node = node.block_items[0]
    return node if isinstance(node, (c_ast.Break, c_ast.Continue, c_ast.Goto)) else None


def _not_sizeof(node) -> bool:
    """What `sizeof` reads is not evaluated: its size is known at compile time."""
    return not (isinstance(node, c_ast.UnaryOp) and node.op == "sizeof")


def _decl_text(decl: c_ast.Decl) -> str:
    d = copy.copy(decl)
    d.init = None
    return c_generator.CGenerator().visit(d) + ";"


def _param_pieces(name: str, decl: c_ast.Decl, line: int, gen) -> list[Piece]:
    """One "param" piece per named parameter: `2: unsigned short c` is the third integer-class
    parameter (pointers, integers) or the third floating one, the register the ABI passes it in."""
    out, seen = [], {"int": 0, "float": 0}
    for p in (decl.type.args.params if decl.type.args else []):
        if not getattr(p, "name", None):
            continue
        t = p.type
        kind = "float" if (isinstance(t, c_ast.TypeDecl) and isinstance(t.type, c_ast.IdentifierType)
                           and set(t.type.names) & {"float", "double"}) else "int"
        out.append(Piece(0, name, "param", line, f"{seen[kind]}: {gen.visit(p)}", names=[p.name]))
        seen[kind] += 1
    return out


def _without_params(decl: c_ast.Decl, gen) -> str:
    d = copy.deepcopy(decl)
    d.type.args = None
    return gen.visit(d)


def build(source: str, functions: list | None = None, params: bool = False, cflags: list[str] | None = None,
          ast=None) -> Skeleton:
    """The pieces of every function defined in `source` (in source order, as gcc -O0 emits them), after
    one data piece. `functions`: cbase.csource.find_functions(source), for the closing brace lines.
    `params`: a prologue is the frame's setup alone, followed by one "param" piece per parameter that
    stores it (pieces.split_prologue): a signature seen nowhere in training is then made of pieces
    that were. `cflags`: the compiler flags whose -I/-D/-U/-include the preprocessor needs; `ast`:
    verifier.signature.parse_c(source, cflags=cflags), or front.lower.lower_unit's, when the caller has it."""
    from neuralcc.verifier.errors import VerifierInputError
    from neuralcc.verifier.signature import enums_as_ints, parse_c

    from neuralcc.cbase.csource import find_functions

    try:
        ast = ast if ast is not None else parse_c(source, "<source>", cflags)
    except VerifierInputError as err:
        raise SourceError(str(err), "C the parser cannot read") from None
    spans = {f.name: f for f in (functions if functions is not None else find_functions(source, SourceError))}
    src_lines = source.split("\n")
    gen = c_generator.CGenerator()
    pieces: list[Piece] = [Piece(0, "", "data", 0)]
    infos: list[FunctionInfo] = []
    globals_: dict[str, str] = {}
    structs: dict[str, StructDef] = {}
    protos: dict[str, str] = {}
    data_lines: list[str] = []

    def note_struct(t) -> None:
        while isinstance(t, (c_ast.TypeDecl, c_ast.PtrDecl, c_ast.ArrayDecl)):
            t = t.type
        if isinstance(t, c_ast.Struct) and t.decls is not None and t.name:
            structs[t.name] = StructDef(t.name, gen.visit(t) + ";", _members(t))

    enumerators = functools.cache(lambda: {n.name for n in walk(ast) if isinstance(n, c_ast.Enumerator)})
    refused: dict[str, tuple[SourceError, list[str]]] = {}

    def function(node: c_ast.FuncDef) -> None:
        """The function's pieces after the unit's so far (SourceError: none, for a construct it refuses)."""
        name = node.decl.name
        if node.param_decls or any(isinstance(p, c_ast.ID) for p in getattr(node.decl.type.args, "params", [])):
            raise SourceError(f"line {node.coord.line}: function '{name}': a K&R-style definition (parameters "
                              "declared after the list) is not translated", "K&R definition")
        span = spans.get(name)
        if span is None:
            raise SourceError(f"function '{name}': cannot find its closing brace")
        w = _Walker(src_lines, name, enumerators)
        body_line = node.body.coord.line if node.body.coord else node.coord.line
        decl = enums_as_ints(node.decl, ast)  # what the code does with an enum is what it does with its int
        if params:
            w.pieces.append(Piece(0, name, "prologue", body_line, _without_params(decl, gen) + " {"))
            w.pieces.extend(_param_pieces(name, decl, body_line, gen))
        else:
            w.pieces.append(Piece(0, name, "prologue", body_line, gen.visit(decl) + " {",
                                  names=[p.name for p in (node.decl.type.args.params if node.decl.type.args else [])
                                         if getattr(p, "name", None)]))
        w.block(node.body.block_items, top=True)
        w.finish()
        epi = Piece(0, name, "epilogue", span.last_line, "}")
        w.pieces.append(epi)
        base = len(pieces)
        for p in w.epilogue_refs:
            p.targets["epilogue"] = len(w.pieces) - 1
        for k, p in enumerate(w.pieces):
            p.index = base + k
            p.targets = {r: base + t for r, t in p.targets.items()}
        pieces.extend(w.pieces)
        ret = gen.visit(decl.type.type)
        infos.append(FunctionInfo(name, ret, *_calls(node.body), base, len(pieces) - 1))

    for node in ast.ext:
        main_file = node.coord is not None and node.coord.file in ("<stdin>", "-")
        if isinstance(node, c_ast.Decl):
            note_struct(node.type)
            if not main_file:
                if isinstance(node.type, c_ast.FuncDecl) and node.name:
                    protos.setdefault(node.name, _decl_text(node))
                continue
            if isinstance(node.type, c_ast.FuncDecl):
                protos[node.name] = _decl_text(node)
            elif node.name and "typedef" not in node.storage and "extern" not in node.storage:
                globals_[node.name] = _decl_text(node)
                data_lines.append(src_lines[node.coord.line - 1].strip())
        elif isinstance(node, c_ast.FuncDef) and main_file:
            protos[node.decl.name] = _decl_text(node.decl)
            try:
                function(node)
            except SourceError as err:
                name = node.decl.name
                named = err if f"'{name}'" in str(err) else SourceError(f"function '{name}', {err}", err.construct)
                refused[name] = (named, _calls(node.body)[1])
    pieces[0].text = " ".join(data_lines)
    pieces[0].names = list(globals_)
    if not infos:
        raise next(iter(refused.values()))[0] if refused else SourceError("defines no function")
    return Skeleton(pieces, infos, globals_, structs, protos, refused)


def scopes(source: str, variables: dict | None = None) -> dict[str, dict[str, str]]:
    """Per function: its variables, name -> C type (the widest, for a name declared twice).
    `variables`: verifier.signature.frame_variables(source), when the caller has it."""
    from neuralcc.verifier.signature import frame_variables

    if variables is None:
        variables = frame_variables(source)
    return {f: {n: max(ts, key=lambda t: t.size).name for n, ts in v.items()} for f, v in variables.items()}
