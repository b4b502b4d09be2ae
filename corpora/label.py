"""gcc labels for many units at once: batched compiles, split per unit, cached by content hash.

A batch is one translation unit made of up to `batch_size` units pasted one after the other (their
symbols are unique by construction: every symbol of a unit starts with its entry name). gcc's output
is split back into items and each unit gets the items it owns. A unit whose items refer to something
it does not own (a floating-point constant gcc merged with another unit's, an AArch64 section anchor
shared by two units' globals, see gcc.LABEL_FLAGS) is compiled on its own instead, so every label equals a single compile.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass, field
from multiprocessing import Pool
from pathlib import Path
from typing import Iterable, Iterator

from .gcc import gcc_command_with_lines
from .normalize import Item, canonicalize_labels, emit, normalize_with_lines, parse_items

LABEL_VERSION = "label-v2"  # v2: AArch64 labels without section anchors
_OWNER_SPLIT = re.compile(r"[_.]")
_LC_TOKEN = re.compile(r"\.LC\d+\b")


@dataclass
class Unit:
    """One self-contained C source whose symbols all start with `entry` (required for batching)."""
    entry: str
    source: str

    @property
    def key(self) -> str:
        return hashlib.sha256(self.source.encode()).hexdigest()[:32]


@dataclass
class Label:
    asm: str | None
    lines: list[int | None] | None
    error: str | None = None
    batched: bool = True


@dataclass
class LabelStats:
    batched: int = 0
    single: int = 0
    cached: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def compile_to_asm(source: str, arch: str, opt: str, workdir: str | None = None, extra: list[str] = ()) -> str:
    """gcc -S (with -g1 for line info) of one source text, `extra` flags added (flags that only annotate,
    like -fverbose-asm); raises CalledProcessError on failure."""
    with tempfile.TemporaryDirectory(dir=workdir) as td:
        src = os.path.join(td, "u.c")
        out = os.path.join(td, "u.s")
        Path(src).write_text(source)
        subprocess.run(gcc_command_with_lines(arch, opt) + list(extra) + [src, "-o", out], check=True,
                       capture_output=True, text=True, cwd=td)
        return Path(out).read_text()


def label_single(source: str, arch: str, opt: str) -> Label:
    try:
        asm = compile_to_asm(source, arch, opt)
    except subprocess.CalledProcessError as e:
        return Label(None, None, error=_first_error(e.stderr), batched=False)
    text, lines = normalize_with_lines(asm, arch)
    return Label(text, lines, batched=False)


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if "error" in line:
            return line.strip()
    return stderr.strip().splitlines()[0] if stderr.strip() else "gcc failed"


def _owner(symbol: str, names: set[str]) -> str | None:
    head = _OWNER_SPLIT.split(symbol, 1)[0]
    return head if head in names else None


def split_batch(asm: str, arch: str, units: list[Unit], offsets: list[int]) -> dict[str, Label | None]:
    """Per-unit labels from one batched compile; None for a unit that must be compiled alone."""
    items = parse_items(asm, arch)
    names = {u.entry for u in units}
    owned: dict[str, list[tuple[int, Item]]] = {u.entry: [] for u in units}
    constants: list[tuple[int, Item]] = []
    for pos, it in enumerate(items):
        if it.name is None:
            continue
        if it.name.startswith(".L"):
            constants.append((pos, it))
            continue
        owner = _owner(it.name, names)
        if owner is not None:
            owned[owner].append((pos, it))
    dirty: set[str] = set()
    uses_anchors = ".LANCHOR" in asm
    users: dict[str, set[str]] = {}
    for entry, its in owned.items():
        for _, it in its:
            for ref in it.symbol_refs(_LC_TOKEN):
                users.setdefault(ref, set()).add(entry)
    for pos, it in constants:
        # a constant gcc shared between units goes to each of them (see normalize.canonical_order)
        for entry in users.get(it.name, ()):
            owned[entry].append((pos, it))
    out: dict[str, Label | None] = {}
    for u, off in zip(units, offsets):
        its = [it for _, it in sorted(owned[u.entry], key=lambda p: p[0])]
        if u.entry in dirty or not its:
            out[u.entry] = None
            continue
        defined: set[str] = set()
        refs: set[str] = set()
        for it in its:
            defined |= it.labels_defined()
            refs |= it.local_refs()
        anchored = uses_anchors and any(_is_data(it) for it in its)
        # a constant gcc expressed as part of another (`.set .LC3,.LC4+4`) depends on the whole batch
        anchored = anchored or any(it.is_alias for it in its)
        if anchored or not refs <= defined or u.entry not in defined:
            out[u.entry] = None
            continue
        lines, src = emit(its)
        lines, src = canonicalize_labels(lines, src)
        src = [None if ln is None or ln <= off else ln - off for ln in src]
        out[u.entry] = Label("\n".join(lines) + "\n", src)
    return out


def _is_data(it: Item) -> bool:
    """A variable (not a function, not a pooled constant)."""
    if (it.name or "").startswith(".L"):
        return False
    return all(line.startswith(".") or line.startswith("\t.") or line.endswith(":") for line, _ in it.body)


def build_batch_source(units: list[Unit]) -> tuple[str, list[int]]:
    """Concatenate units; offsets[i] is the number of lines before unit i (its line k is offset+k)."""
    parts, offsets, line = [], [], 0
    for u in units:
        src = u.source if u.source.endswith("\n") else u.source + "\n"
        offsets.append(line)
        parts.append(src)
        line += src.count("\n")
    return "".join(parts), offsets


def _label_job(job: tuple[str, str, list[tuple[str, str]]]) -> tuple[str, str, dict[str, dict]]:
    arch, opt, raw_units = job
    units = [Unit(e, s) for e, s in raw_units]
    results: dict[str, Label] = {}
    text, offsets = build_batch_source(units)
    try:
        asm = compile_to_asm(text, arch, opt)
        split = split_batch(asm, arch, units, offsets)
    except subprocess.CalledProcessError:
        split = {u.entry: None for u in units}
    for u in units:
        lab = split.get(u.entry)
        if lab is None:
            lab = label_single(u.source, arch, opt)
        results[u.key] = lab
    return arch, opt, {k: {"asm": v.asm, "lines": v.lines, "error": v.error, "batched": v.batched}
                       for k, v in results.items()}


class LabelCache:
    """sqlite cache: (unit key, arch, opt) -> label; written only by the parent process."""

    def __init__(self, path: str | os.PathLike | None):
        self.db = None
        if path is not None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(path))
            self.db.execute("CREATE TABLE IF NOT EXISTS labels (key TEXT, arch TEXT, opt TEXT, version TEXT,"
                            " asm TEXT, lines TEXT, PRIMARY KEY (key, arch, opt, version))")

    def get_checks(self, keys, version: str) -> dict[str, dict]:
        """Cached sanitizer/liveness verdicts by unit key (see build.py)."""
        if self.db is None:
            return {}
        self.db.execute("CREATE TABLE IF NOT EXISTS checks (key TEXT, version TEXT, verdict TEXT,"
                        " PRIMARY KEY (key, version))")
        out = {}
        for key in keys:
            row = self.db.execute("SELECT verdict FROM checks WHERE key=? AND version=?", (key, version)).fetchone()
            if row is not None:
                out[key] = json.loads(row[0])
        return out

    def put_checks(self, verdicts: dict[str, dict], version: str) -> None:
        if self.db is None:
            return
        self.db.execute("CREATE TABLE IF NOT EXISTS checks (key TEXT, version TEXT, verdict TEXT,"
                        " PRIMARY KEY (key, version))")
        self.db.executemany("INSERT OR REPLACE INTO checks VALUES (?, ?, ?)",
                            [(k, version, json.dumps(v)) for k, v in verdicts.items()])
        self.db.commit()

    def get(self, key: str, arch: str, opt: str) -> Label | None:
        if self.db is None:
            return None
        row = self.db.execute("SELECT asm, lines FROM labels WHERE key=? AND arch=? AND opt=? AND version=?",
                              (key, arch, opt, LABEL_VERSION)).fetchone()
        if row is None:
            return None
        return Label(row[0], json.loads(row[1]))

    def put_many(self, rows: Iterable[tuple[str, str, str, Label]]) -> None:
        if self.db is None:
            return
        self.db.executemany("INSERT OR REPLACE INTO labels VALUES (?, ?, ?, ?, ?, ?)",
                            [(k, a, o, LABEL_VERSION, lab.asm, json.dumps(lab.lines)) for k, a, o, lab in rows
                             if lab.asm is not None])
        self.db.commit()


def label_units(units: list[Unit], arches: Iterable[str], opts: Iterable[str], *, cache_path=None,
                workers: int = 2, batch_size: int = 250, progress: bool = True,
                stats: LabelStats | None = None) -> dict[str, dict[str, dict[str, Label]]]:
    """labels[unit.key][arch][opt] for every unit; compiles only what the cache lacks."""
    from tqdm import tqdm

    stats = stats if stats is not None else LabelStats()
    cache = LabelCache(cache_path)
    arches, opts = list(arches), list(opts)
    out: dict[str, dict[str, dict[str, Label]]] = {u.key: {a: {} for a in arches} for u in units}
    jobs = []
    for arch in arches:
        for opt in opts:
            todo = []
            for u in units:
                hit = cache.get(u.key, arch, opt)
                if hit is not None:
                    out[u.key][arch][opt] = hit
                    stats.cached += 1
                else:
                    todo.append(u)
            seen = set()
            uniq = [u for u in todo if not (u.key in seen or seen.add(u.key))]
            for i in range(0, len(uniq), batch_size):
                jobs.append((arch, opt, [(u.entry, u.source) for u in uniq[i:i + batch_size]]))
    total = sum(len(j[2]) for j in jobs)
    bar = tqdm(total=total, desc="gcc labels", unit="pair", disable=not progress, smoothing=0.05)
    by_key = {u.key: u for u in units}

    def consume(results: Iterator) -> None:
        for arch, opt, res in results:
            rows = []
            for key, d in res.items():
                lab = Label(d["asm"], d["lines"], d["error"], d["batched"])
                out[key][arch][opt] = lab
                if lab.error:
                    stats.failed += 1
                    stats.errors.append(f"{by_key[key].entry} {arch} {opt}: {lab.error}")
                elif lab.batched:
                    stats.batched += 1
                else:
                    stats.single += 1
                rows.append((key, arch, opt, lab))
            cache.put_many(rows)
            bar.update(len(res))

    if workers > 1 and len(jobs) > 1:
        with Pool(workers) as pool:
            consume(pool.imap_unordered(_label_job, jobs))
    else:
        consume(map(_label_job, jobs))
    bar.close()
    return out
