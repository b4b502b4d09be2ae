"""Assembly <-> skeleton pieces ("local" mode).

Training: gcc's -O0 assembly of a unit is cut where its `.loc` line changes and before every label
another piece jumps to; labels only jumped to from inside their own piece stay inside it, renamed
`.LI0, .LI1, ...` (a ternary's or a `&&`'s labels). A label other pieces jump to becomes the token
`<Ck>` of the piece it starts. Pooled constants (`.LC*`, gcc puts them after the code) go with each
piece that uses them, after a `<sep>`, renamed `.LC0, .LC1, ...` inside the piece. The result is
aligned with `skeleton.build`'s pieces: a unit whose cut does not line up (gcc laid a statement out
some other way) gives no training samples.

Decoding: each piece is written on its own; `reassemble` gives every piece its label, makes the
local labels and constants unique, and puts the constants in .rodata after the code. What the model
reads to write each piece is prompts.py.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..front.skeleton import Skeleton
from . import asmtext
from .asmtext import SEP

_CODE_LABEL = re.compile(r"^(\.L\d+):\s*$")
_CODE_REF = re.compile(r"\.L\d+\b")
_LC_LABEL = re.compile(r"^(\.LC\d+):\s*$")
_LC_REF = re.compile(r"\.LC\d+\b")
_HEADER = re.compile(r"^\s*\.(globl|global|text|type|p2align|align)\b")
_BOOKKEEPING = re.compile(r"^\s*\.(size|type|ident|file)\b")
_SECTION = re.compile(r"^\s*\.(section|text|data|bss)\b")


def is_insn(text: str) -> bool:
    return text.startswith("\t") and not text.lstrip().startswith(".")


@dataclass
class GccPiece:
    """A run of gcc's lines for one skeleton piece (its training target, before rendering)."""
    line: int
    text: list[str] = field(default_factory=list)
    label: str | None = None  # the gcc label this piece starts with, if any


@dataclass
class GccUnit:
    """gcc's assembly of a unit split into pieces."""
    data: list[str]  # global data (not pooled constants)
    functions: dict[str, list[GccPiece]]  # per function, its code pieces
    constants: dict[str, list[str]]  # .LCn -> its lines (alignment, label, values)


def _function_regions(lines: list[str], names: list[str]) -> dict[str, tuple[int, int]]:
    at = {}
    for i, t in enumerate(lines):
        m = re.match(r"^([A-Za-z_]\w*):\s*$", t)
        if m and m.group(1) in names:
            at[m.group(1)] = i
    if set(at) != set(names):
        raise ValueError(f"functions missing from the assembly: {sorted(set(names) - set(at))}")
    order = sorted(at, key=at.get)
    out = {}
    for k, name in enumerate(order):
        start = at[name]
        while start > 0 and _HEADER.match(lines[start - 1]) and not any(start - 1 <= e for _, e in out.values()):
            start -= 1
        limit = at[order[k + 1]] if k + 1 < len(order) else len(lines)
        end = max(i for i in range(at[name], limit) if is_insn(lines[i]) or i == at[name])
        out[name] = (start, end)
    return out


def split_unit(asm_lines: list[str], nums: list, names: list[str]) -> GccUnit:
    regions = _function_regions(asm_lines, names)
    inside = set()
    for s, e in regions.values():
        inside.update(range(s, e + 1))
    data, constants, cur = [], {}, None
    for i, t in enumerate(asm_lines):
        if i in inside or _BOOKKEEPING.match(t):
            continue
        m = _LC_LABEL.match(t)
        if m:
            cur = m.group(1)
            constants[cur] = []
            if data and re.match(r"^\s*\.(p2)?align\b", data[-1]):
                constants[cur].append(data.pop())
            constants[cur].append(t)
            continue
        if cur is not None and t.startswith("\t") and not _SECTION.match(t) and not re.match(r"^\s*\.(p2)?align\b", t):
            constants[cur].append(t)
            continue
        cur = None
        data.append(t)
    while data and _SECTION.match(data[-1]):  # a section switch that only introduced constants
        data.pop()
    funcs = {name: _split_function(asm_lines[s: e + 1], nums[s: e + 1]) for name, (s, e) in regions.items()}
    return GccUnit(data, funcs, constants)


def _split_function(lines: list[str], nums: list) -> list[GccPiece]:
    # 1. runs of one C line; labels and directives go with the instruction after them
    cuts: list[GccPiece] = []
    pending: list[str] = []
    for t, n in zip(lines, nums):
        if not is_insn(t) or n is None:
            pending.append(t)
            continue
        if not cuts or cuts[-1].line != n:
            cuts.append(GccPiece(n))
        cuts[-1].text.extend(pending)
        pending = []
        cuts[-1].text.append(t)
    if pending:
        if not cuts:
            cuts.append(GccPiece(0))
        cuts[-1].text.extend(pending)
    # 2. cut before every label used from another piece, until nothing changes
    while True:
        where = {}
        for k, c in enumerate(cuts):
            for j, t in enumerate(c.text):
                m = _CODE_LABEL.match(t)
                if m:
                    where[m.group(1)] = (k, j)
        split = None
        for k, c in enumerate(cuts):
            for t in c.text:
                if _CODE_LABEL.match(t):
                    continue
                for ref in _CODE_REF.findall(t):
                    if ref in where and where[ref][0] != k:
                        dk, dj = where[ref]
                        if any(is_insn(x) for x in cuts[dk].text[:dj]):
                            split = (dk, dj)
                            break
                if split:
                    break
            if split:
                break
        if split is None:
            break
        dk, dj = split
        c = cuts[dk]
        cuts[dk: dk + 1] = [GccPiece(c.line, c.text[:dj]), GccPiece(c.line, c.text[dj:])]
    return cuts


def _external_labels(cuts: list[GccPiece]) -> dict[str, int]:
    """Labels jumped to from another piece -> the piece they start (all at a piece start by now)."""
    where = {}
    for k, c in enumerate(cuts):
        for t in c.text:
            m = _CODE_LABEL.match(t)
            if m:
                where[m.group(1)] = k
    ext = {}
    for k, c in enumerate(cuts):
        for t in c.text:
            if not _CODE_LABEL.match(t):
                for ref in _CODE_REF.findall(t):
                    if ref in where and where[ref] != k:
                        ext[ref] = where[ref]
    return ext


def piece_targets(rec: dict, arch: str, opt: str, skel: Skeleton) -> list[str | None] | None:
    """The target text of each skeleton piece, from the record's gcc assembly; None if the cut does
    not line up with the skeleton. A piece whose jumps leave its allowed targets gets None."""
    lines = (rec.get("lines") or {}).get(arch, {}).get(opt)
    asm_lines, nums = asmtext.clean_lines(rec["asm"][arch][opt], lines)
    names = [f.name for f in skel.functions]
    try:
        unit = split_unit(asm_lines, nums, names)
    except ValueError:
        return None
    out: list[str | None] = [None] * len(skel.pieces)
    renames = asmtext.unit_names(rec["entry"], skel.globals, skel.helpers(rec["entry"]))  # as prompts.prompt does
    if skel.globals:
        out[0] = "\n".join(asmtext.replace_name(asmtext.rename_unit(t, renames), rec["entry"])
                            for t in unit.data) + "\n"
    elif unit.data:
        return None
    for f in skel.functions:
        cuts = unit.functions[f.name]
        code = [p for p in skel.pieces[f.first: f.last + 1] if p.role != "param"]  # params: cut from the prologue
        if [c.line for c in cuts] != [p.line for p in code]:
            return None
        ext = _external_labels(cuts)
        index = [p.index for p in code]
        for k, c in enumerate(cuts):
            piece = code[k]
            text = render(c, k, ext, index, unit.constants, rec["entry"], renames)
            allowed = {f"<C{j}>" for j in piece.targets.values()}
            used = set(re.findall(r"<C\d+>", text))
            out[piece.index] = text if used <= allowed else None
        params = [p for p in skel.pieces[f.first: f.last + 1] if p.role == "param"]
        if params and out[f.first] is not None:  # a prologue left out leaves its parameters out too
            parts = split_prologue(out[f.first], [p.names[0] for p in params], arch)
            if parts is None:
                return None
            for p, part in zip([skel.pieces[f.first]] + params, parts):
                out[p.index] = part
    return out


_SLOT_NAME = re.compile(r"@([A-Za-z_]\w*)[^@\s]*@")
_X86_COPY = re.compile(r"^\tmovl\t%(\w+), %(\w+)$")
_X86_NARROW_STORE = re.compile(r"^\tmov([bw])\t%(\w+), (\S+)$")
_X86_32 = {"al": "eax", "ax": "eax", "dl": "edx", "dx": "edx", "cl": "ecx", "cx": "ecx", "sil": "esi", "si": "esi",
           "dil": "edi", "di": "edi", "r8b": "r8d", "r8w": "r8d", "r9b": "r9d", "r9w": "r9d"}


def split_prologue(text: str, params: list[str], arch: str) -> list[str] | None:
    """gcc's prologue -> the frame's setup, then the code storing each of `params` to its slot, in
    `params` order; None if some line is neither (then the function gives no training pieces).

    x86-64 gcc copies `char`/`short` parameters between registers and interleaves them
    (`movl %ecx, %eax; movl %edi, %edx; movb %dl, @a@; movw %ax, @d@`); each such parameter's part
    becomes `movl <its argument register>, %eax; movb %al, @a@(%rbp)`: the same stores, in
    parameter order, one form per parameter type."""
    if SEP in text:
        return None
    header: list[str] = []
    parts: dict[str, list[str]] = {p: [] for p in params}
    copied: dict[str, str] = {}  # x86-64: register -> the argument register whose value it holds
    for t in text.rstrip("\n").split("\n"):
        names = {m.group(1) for m in _SLOT_NAME.finditer(t)} - {"FRAME"}
        if not names:
            m = _X86_COPY.match(t) if arch == "x86-64" else None
            if m:
                copied[m.group(2)] = copied.get(m.group(1), m.group(1))
            elif any(parts.values()) or copied:
                return None  # frame code after the stores began
            else:
                header.append(t)
            continue
        name = names.pop()
        if names or name not in parts:
            return None
        m = _X86_NARROW_STORE.match(t) if arch == "x86-64" else None
        if m and m.group(2) in _X86_32:
            held = _X86_32[m.group(2)]
            store = f"\tmov{m.group(1)}\t%{'al' if m.group(1) == 'b' else 'ax'}, {m.group(3)}"
            parts[name] += [f"\tmovl\t%{copied.get(held, held)}, %eax", store]
        else:
            parts[name].append(t)
    return ["\n".join(header) + "\n"] + ["".join(x + "\n" for x in parts[p]) for p in params]


def render(c: GccPiece, k: int, ext: dict[str, int], index: list[int], constants: dict[str, list[str]], entry: str,
           renames: dict[str, str] | None = None) -> str:
    """GccPiece `k` of a function as piece text; `index`: each cut's piece index (jump targets are pieces)."""
    local: dict[str, str] = {}
    consts: dict[str, str] = {}
    body = []
    for t in c.text:
        m = _CODE_LABEL.match(t)
        if m and ext.get(m.group(1)) == k:
            continue  # the piece's own label: reassemble writes it
        def code(mm, k=k):
            ref = mm.group(0)
            if ref in ext:  # a label that starts a piece (this one, for a loop onto itself)
                return f"<C{index[ext[ref]]}>"
            return local.setdefault(ref, f".LI{len(local)}")
        t = _LC_REF.sub(lambda mm: consts.setdefault(mm.group(0), f".LC{len(consts)}"), t)
        t = re.sub(r"\.L\d+\b", code, t)
        body.append(asmtext.replace_name(asmtext.rename_unit(t, renames or {}), entry))
    text = "\n".join(body) + "\n"
    if consts:
        extra = []
        for gcc_name, name in consts.items():
            for t in constants.get(gcc_name, []):
                extra.append(_LC_REF.sub(lambda mm: consts.get(mm.group(0), mm.group(0)), t))
        text += SEP + "\n".join(extra) + "\n"
    return text


def reassemble(skel: Skeleton, texts: list[str | None], entry: str, functions: set[str] | None = None) -> str:
    """Model pieces -> one assembly unit (of `functions` only, when given: pieces of others are left out)."""
    code, rodata = [], []
    if texts[0]:
        code.append(texts[0].rstrip("\n"))
    starts = {f.first for f in skel.functions}
    for k in range(1, len(skel.pieces)):
        if functions is not None and skel.pieces[k].func not in functions:
            continue
        body, _, consts = (texts[k] or "").partition(SEP)
        if k in starts and not re.search(r"^\s*\.text\b", body, re.M):
            code.append("\t.text")  # a function's code starts in .text whatever came before it
        if k not in starts and skel.pieces[k].role != "param":  # nothing jumps into a prologue
            code.append(f".L{k}:")
        def uniq(m):
            return f"{m.group(1)}{k}_{m.group(2)}"
        body = re.sub(r"(\.LI|\.LC)(\d+)\b", uniq, body)
        code.append(body.rstrip("\n"))
        if consts.strip():
            rodata.append(re.sub(r"(\.LC)(\d+)\b", uniq, consts).rstrip("\n"))
    out = "\n".join(x for x in code if x) + "\n"
    if rodata:
        out += "\t.section\t.rodata\n" + "\n".join(rodata) + "\n"
    return asmtext.restore(out, entry, asmtext.unit_names(entry, skel.globals, skel.helpers(entry)))


_PIECE_LABEL = re.compile(r"^\.L(?:C(\d+)_\d+|(\d+)):\s*$")  # a piece's label, or one of its constants'
_FUNCTION_LABEL = re.compile(r"^([A-Za-z_][\w.$]*):\s*$")


def line_pieces(skel: Skeleton, asm: str) -> list[int]:
    """Per line of `reassemble`'s output (after frame.resolve, which keeps lines), the skeleton piece it
    came from: a piece's code follows its label `.Lk` (a function's first piece follows the function's
    own label, its parameters' pieces are in it), its constants follow `.LCk_n`, global data comes first."""
    first = {f.name: f.first for f in skel.functions}
    owner, out = 0, []
    for line in asm.split("\n"):
        m = _PIECE_LABEL.match(line)
        if m:
            owner = int(m.group(1) or m.group(2))
        elif (f := _FUNCTION_LABEL.match(line)) and f.group(1) in first:
            owner = first[f.group(1)]
        out.append(owner)
    return out
