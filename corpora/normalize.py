"""Normalise gcc -S output: drop debug/unwind/note noise, canonical local labels, per-line source map.

The text is parsed into *items* (a function, a variable, a constant-pool entry) with the section
each one lives in. Emitting a subset of items (one unit of a batched compile) and emitting all items
of a single compile go through the same code, which is what makes batched labels equal single ones.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_SECTION_RE = re.compile(r"^\t\.(text|data|bss)\b|^\t\.section\t?\s*([^,\s]+)")
_LABEL_RE = re.compile(r"^([A-Za-z_.$][\w.$]*):\s*$")
_LOC_RE = re.compile(r"^\t\.loc\s+(\d+)\s+(\d+)")
_FILE_RE = re.compile(r"^\t\.file\s+(\d+)\s+")
_DECL_RE = re.compile(r"^\t\.(globl|global|local|weak|hidden)\s+([\w.$]+)\s*$")
_COMM_RE = re.compile(r"^\t\.(comm|lcomm)\s+([\w.$]+)\s*,")
_SET_RE = re.compile(r"^\t\.set\s+([\w.$]+)\s*,")
_ALIGN_RE = re.compile(r"^\t\.(p2align|align|balign)\b")
_DROP_RE = re.compile(
    r"^\t\.(file|ident|cfi_\w+|loc|type|size|arch|addrsig\w*|uleb128|sleb128)\b"
)
_LOCAL_LABEL_TOKEN = re.compile(r"\.L([A-Za-z_]*)(\d+)\b")
# Labels gcc emits only for debug info; they never carry code.
_DEBUG_LABEL = re.compile(r"^\.L(text|etext|FB|FE|BB|BE|BI|VL|VU|LST|ASF|debug_\w*|line_\w*)\d*$")
# Local labels that begin their own item (constants, anchors); other .L labels live inside functions.
_ITEM_LOCAL_LABEL = re.compile(r"^\.L(C|ANCHOR)\d+$")

DROPPED_SECTION_PREFIXES = (".debug", ".note", ".comment", ".eh_frame", ".gnu.lto")


@dataclass
class Item:
    name: str | None  # symbol or .LC label that the item defines
    section: str | None  # section directive text in effect at the first content line
    header: list[str] = field(default_factory=list)  # .globl/.local/alignment/.set lines
    body: list[tuple[str, int | None]] = field(default_factory=list)  # (line, source line)
    end_section: str | None = None

    def labels_defined(self) -> set[str]:
        out = set()
        for line in self.header:
            m = _SET_RE.match(line)
            if m:
                out.add(m.group(1))
        for line, _ in self.body:
            m = _LABEL_RE.match(line) or _COMM_RE.match(line) or _SET_RE.match(line)
            if m:
                out.add(m.group(m.lastindex))
        return out

    @property
    def is_alias(self) -> bool:
        return any(_SET_RE.match(line) for line, _ in self.body)

    def local_refs(self) -> set[str]:
        refs = set()
        for line, _ in self.body:
            if _LABEL_RE.match(line):
                continue
            m = _SET_RE.match(line)
            if m:
                line = line[m.end():]
            refs.update(m.group(0) for m in _LOCAL_LABEL_TOKEN.finditer(line))
        return refs

    def symbol_refs(self, pattern: re.Pattern) -> set[str]:
        refs = set()
        for line, _ in self.body:
            refs.update(pattern.findall(line))
        return refs


def _section_of(line: str) -> str | None:
    m = _SECTION_RE.match(line)
    if not m:
        return None
    return "." + m.group(1) if m.group(1) else m.group(2)


def _strip_comment(line: str, arch: str) -> str:
    if arch == "x86-64":
        if line.lstrip().startswith("#"):
            return ""
    else:
        if line.lstrip().startswith("//"):
            return ""
        idx = line.find("\t//")
        if idx >= 0:
            line = line[:idx]
    return line.rstrip()


def parse_items(asm: str, arch: str) -> list[Item]:
    """Split gcc output into items, dropping noise; `.loc` info becomes each body line's source line."""
    items: list[Item] = []
    pending: list[str] = []  # alignments, .set: go to the next item if one starts, else to the current
    decls: dict[str, list[str]] = {}  # .globl X lines, attached to the item that defines X
    section_line: str | None = None
    dropping = False
    main_file = "1"
    cur: Item | None = None
    cur_line: int | None = None
    all_sections: list[str] = []

    def start(name: str) -> Item:
        nonlocal cur, cur_line, pending
        it = Item(name=name, section=section_line, header=list(pending))
        pending = []
        items.append(it)
        cur, cur_line = it, None
        return it

    for raw in asm.splitlines():
        line = _strip_comment(raw, arch)
        if not line.strip():
            continue
        sec = _section_of(line)
        if sec is not None:
            dropping = sec.startswith(DROPPED_SECTION_PREFIXES)
            if not dropping:
                section_line = line
                all_sections.append(line)
                if cur is not None and cur.body:
                    # a switch inside a function (jump table) stays with it; otherwise it is state only
                    cur.body.append((line, None))
                    cur.end_section = section_line
            continue
        if dropping:
            continue
        m = _LOC_RE.match(line)
        if m:
            cur_line = int(m.group(2)) if m.group(1) == main_file else None
            continue
        m = _FILE_RE.match(line)
        if m:
            continue
        if _DROP_RE.match(line):
            continue
        m = _DECL_RE.match(line)
        if m:
            decls.setdefault(m.group(2), []).append(line)
            continue
        m = _SET_RE.match(line)
        if m and _ITEM_LOCAL_LABEL.match(m.group(1)):
            # `.set .LC3,.LC4+4`: gcc reuses part of one pooled constant as another; an item of its own
            it = start(m.group(1))
            it.body.append((line, None))
            it.end_section = section_line
            cur = None
            continue
        if _ALIGN_RE.match(line) or _SET_RE.match(line):
            pending.append(line)
            continue
        m = _COMM_RE.match(line)
        if m:
            it = start(m.group(2))
            it.body.append((line, None))
            it.end_section = section_line
            cur = None
            continue
        m = _LABEL_RE.match(line)
        if m:
            name = m.group(1)
            if _DEBUG_LABEL.match(name):
                continue
            if not name.startswith(".L") or _ITEM_LOCAL_LABEL.match(name):
                start(name)
            elif cur is None:
                continue  # .Ltext0 and friends outside any item
            cur.body.extend((p, None) for p in pending)
            pending = []
            cur.body.append((line, None))
            cur.end_section = section_line
            continue
        if cur is None:
            continue
        if pending:
            cur.body.extend((p, None) for p in pending)
            pending = []
        is_insn = not line.lstrip().startswith(".")
        cur.body.append((line, cur_line if is_insn else None))
        cur.end_section = section_line
    # gcc abbreviates `.section .rodata.cst4,"aM",@progbits,4` to `.section .rodata.cst4` when it
    # re-enters a section; use the full form everywhere so a unit reads the same in any batch.
    full: dict[str, str] = {}
    for line in all_sections:
        name = _section_of(line)
        if len(line) > len(full.get(name, "")):
            full[name] = line
    for it in items:
        if it.section is not None:
            it.section = full[_section_of(it.section)]
        it.body = [(full[_section_of(line)] if _section_of(line) else line, ln) for line, ln in it.body]
    for it in items:
        if it.name in decls:
            it.header = decls[it.name] + it.header
    # drop a trailing section switch recorded inside an item's body
    for it in items:
        while it.body and _section_of(it.body[-1][0]) is not None:
            it.body.pop()
        it.end_section = it.section
        for line, _ in it.body:
            if _section_of(line) is not None:
                it.end_section = line
    return items


def canonical_order(items: list[Item]) -> list[Item]:
    """Code and variables in gcc's order, then constant-pool items (.LC) in order of first reference.

    gcc numbers and places pooled constants per translation unit; putting them after everything else,
    in the order the code first uses them, makes one unit's text the same whether it was compiled
    alone or in a batch (where gcc shares a constant between units).
    """
    main = [it for it in items if not (it.name or "").startswith(".LC")]
    consts = [it for it in items if (it.name or "").startswith(".LC")]
    if not consts:
        return main
    first: dict[str, int] = {}
    pos = 0
    for it in main:
        for line, _ in it.body:
            pos += 1
            for m in _LOCAL_LABEL_TOKEN.finditer(line):
                first.setdefault(m.group(0), pos)
    order = sorted(range(len(consts)), key=lambda i: (first.get(consts[i].name, 1 << 60), i))
    return main + [consts[i] for i in order]


def emit(items: list[Item]) -> tuple[list[str], list[int | None]]:
    """Lines and their source lines for a sequence of items, with section switches only where needed."""
    out: list[str] = []
    src: list[int | None] = []
    current = None
    for it in canonical_order(items):
        decl = [h for h in it.header if _DECL_RE.match(h)]
        rest = [h for h in it.header if not _DECL_RE.match(h)]
        for h in decl:
            out.append(h)
            src.append(None)
        if it.section is not None and it.section != current:
            out.append(it.section)
            src.append(None)
        for h in rest:
            out.append(h)
            src.append(None)
        for line, ln in it.body:
            out.append(line)
            src.append(ln)
        current = it.end_section or it.section
    return out, src


def canonicalize_labels(lines: list[str], src: list[int | None]) -> tuple[list[str], list[int | None]]:
    """Drop unreferenced local labels and renumber the rest: .L1, .L2, ... and .LC0, .LC1, ... by first use."""
    referenced: set[str] = set()
    for line in lines:
        if _LABEL_RE.match(line):
            continue
        referenced.update(m.group(0) for m in _LOCAL_LABEL_TOKEN.finditer(line))
    kept_lines, kept_src = [], []
    for line, ln in zip(lines, src):
        m = _LABEL_RE.match(line)
        if m and m.group(1).startswith(".L") and m.group(1) not in referenced:
            continue
        kept_lines.append(line)
        kept_src.append(ln)
    mapping: dict[str, str] = {}
    counters: dict[str, int] = {}

    def rename(m: re.Match) -> str:
        old = m.group(0)
        new = mapping.get(old)
        if new is None:
            family = m.group(1)
            n = counters.get(family, 1 if family == "" else 0)
            counters[family] = n + 1
            new = mapping[old] = f".L{family}{n}"
        return new

    renamed = [_LOCAL_LABEL_TOKEN.sub(rename, line) for line in kept_lines]
    return renamed, kept_src


def normalize_asm(asm: str, arch: str) -> str:
    """The normalised text of a whole gcc -S output."""
    return normalize_with_lines(asm, arch)[0]


def normalize_with_lines(asm: str, arch: str) -> tuple[str, list[int | None]]:
    lines, src = emit(parse_items(asm, arch))
    lines, src = canonicalize_labels(lines, src)
    return "\n".join(lines) + "\n", src
