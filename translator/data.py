"""Corpus records -> token-id samples.

A sample is one (function, arch, opt). In "chunks" mode it holds two encoder inputs:
  order:  <arch> <opt> <order>  C-with-<Ln>-markers        -> <L1> <L3> <L4> <L3> ... </s>
  chunks: <arch> <opt> <chunks> C-with-markers <sep> <C0><L1><C1><L3>...  -> per chunk k: <Ck> asm-of-chunk </s>
In "stmts" mode (chunks, with a direct path to the statement): each chunk's decoder is also given
its C line, so writing a chunk reads the statement it implements instead of finding it through
the order (chunk k -> <Ln> in the order -> line n in the C text, two attention hops):
  per chunk k:  given <Ck> <Ln>[<Ln> for the 2nd, 3rd chunk of line n] C-line-text <sep>, predict asm </s>
In "slots" mode: "stmts" on records whose O0 assembly names its stack slots (frame.py, slotdata.py).
In "typed" mode: "slots", and each chunk's prefix also declares the variables its line uses, in C
(`int c1; long k;`): the width of every load and store depends on them, and the declaration is far
away in the encoder's text.
In "local" mode: no function text in the encoder. skeleton.py lays the unit out in pieces (a statement,
a loop's test, a prologue...) and each piece is its own sample, read from a short prompt: its role, its
C, the declarations of what it names, and the pieces it may jump to (`for-test: for (...) {<sep>int i;
int n;<sep>body <C4> exit <C10>`) -> the piece's assembly </s>. See pieces.py, localdata.py.
In "whole" mode (the baseline): <arch> <opt> <whole> C -> the whole function's asm </s>.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from . import asmtext, tokenizer as T
from .csource import encoder_text


@dataclass
class Sample:
    uri: str
    arch: str
    opt: str
    srcs: list[list[int]]  # encoder inputs
    tgts: list[list[int]]  # decoder targets (with </s>)
    tgt_src: list[int]  # which encoder input each target reads
    tgt_prefix: list[int] = field(default_factory=list)  # leading tokens given, not predicted
    tgt_weight: list[float] = field(default_factory=list)  # loss weight per target (default 1)

    @property
    def n_tokens(self) -> int:
        return sum(map(len, self.srcs)) + sum(map(len, self.tgts))


def read_shards(path: str | Path) -> Iterator[dict]:
    path = Path(path)
    files = sorted(path.rglob("*.jsonl")) + sorted(path.rglob("*.jsonl.gz")) if path.is_dir() else [path]
    for f in files:
        opener = gzip.open if f.suffix == ".gz" else open
        with opener(f, "rt") as fh:
            for line in fh:
                if line.strip():
                    yield json.loads(line)


def is_heldout(uri: str, percent: float = 2.0) -> bool:
    h = int(hashlib.sha1(uri.encode()).hexdigest()[:8], 16)
    return (h % 10000) < percent * 100


def iter_records(paths, split: str) -> Iterator[dict]:
    """Records of `split` ("train" or "valid") from one or more shard directories. The corpora's
    own "split" field wins; records without one are held out 2% by a hash of their uri."""
    for path in [paths] if isinstance(paths, (str, Path)) else paths:
        for rec in read_shards(path):
            if "split" in rec:
                if rec["split"] == split:
                    yield rec
            elif is_heldout(rec.get("uri", rec["source"])) == (split != "train"):
                yield rec


# The chunk order is one short target beside ~13 chunk targets per function: unweighted it got ~3% of
# the loss and the first model's order decodes ran on past the function's end.
ORDER_WEIGHT = 6.0


def tags(arch: str, opt: str) -> str:
    return f"<{arch}><{opt}>"


def order_text(lines: list[int]) -> str:
    return "".join(f"<L{min(n, asmtext.MAX_LINE)}>" for n in lines)


def indexed_order(lines: list[int]) -> str:
    return "".join(f"<C{k}><L{min(n, asmtext.MAX_LINE)}>" for k, n in enumerate(lines))


PROMPTED = ("stmts", "slots", "typed")  # modes whose chunks are given their C line
SLOTTED = ("slots", "typed")  # modes whose targets name stack slots
_LINE_MARK = re.compile(r"<L(\d+)>([^\n]*)\n")
_WORD = re.compile(r"[A-Za-z_]\w*")
MAX_OCCURRENCE = 3  # a `for` header makes 3 chunks (init, step, test); later ones are marked like the 3rd


def c_lines(c_text: str) -> dict[int, str]:
    """Encoder text -> {line number: the line's text}."""
    return {int(m.group(1)): m.group(2) for m in _LINE_MARK.finditer(c_text)}


def chunk_prompts(c_text: str, lines: list[int], decls: dict[int, dict[str, str]] | None = None) -> list[str]:
    """The decoder prefix of each chunk in the prompted modes (see the module doc). `decls` ("typed"):
    for each C line, the variables in scope by name -> C type."""
    text, seen, out = c_lines(c_text), {}, []
    for k, n in enumerate(lines):
        seen[n] = seen.get(n, 0) + 1
        mark = f"<L{min(n, asmtext.MAX_LINE)}>" * min(seen[n], MAX_OCCURRENCE)
        line = text.get(n, "")
        if line == "{":  # the prologue is put on the brace's line: give the signature above it too
            above = [m for m in text if m < n]
            line = text[max(above)] + " {" if above else line
        typed = ""
        if decls is not None:
            scope = decls.get(n, {})
            used = dict.fromkeys(w for w in _WORD.findall(line) if w in scope)
            typed = " ".join(f"{scope[w]} {w};" for w in used) + "<sep>"
        out.append(f"<C{k}>{mark}{line}<sep>{typed}")
    return out


def line_declarations(source: str, per_function: dict | None = None) -> dict[int, dict[str, str]]:
    """Source line -> the variables of the function around it, name -> C type ("typed" mode).
    `per_function`: `verifier.signature.frame_variables(source)` when the caller has it already."""
    from neuralcc.verifier.signature import frame_variables

    from .csource import find_functions

    if per_function is None:
        per_function = frame_variables(source)
    out: dict[int, dict[str, str]] = {}
    for f in find_functions(source):
        scope = {name: max(types, key=lambda t: t.size).name for name, types in per_function.get(f.name, {}).items()}
        for n in range(f.first_line, f.last_line + 1):
            out[n] = scope
    return out


def target_chunks(rec: dict, arch: str, opt: str) -> list[asmtext.Chunk]:
    lines = (rec.get("lines") or {}).get(arch, {}).get(opt)
    asm_lines, nums = asmtext.clean_lines(rec["asm"][arch][opt], lines)
    asm_lines = [asmtext.replace_name(t, rec["entry"]) for t in asm_lines]
    return asmtext.split_chunks(asm_lines, nums)


def make_sample(tok, rec: dict, arch: str, opt: str, mode: str, max_src: int, max_tgt: int,
                style=None, memory=None) -> Sample | None:
    """None if the example does not fit the model (skipped in training, counted). `style`: "local"
    mode's pieces.PromptStyle (default: prompts as written); `memory`: its translation memory
    (memory.MemoryBuilder, looked up without this record's own pieces, or memory.Memory)."""
    if mode == "local":
        return _local_sample(tok, rec, arch, opt, max_src, max_tgt, style, memory)
    if not rec.get("asm", {}).get(arch, {}).get(opt) or (mode in SLOTTED) != bool(rec.get("slots")):
        return None  # no label, or the other assembly form (numeric vs named stack slots)
    try:
        c_text = encoder_text(rec["source"], rec["entry"])
        chunks = target_chunks(rec, arch, opt)
    except ValueError:
        return None
    head = tags(arch, opt)
    if mode == "whole":
        src = T.encode(tok, head + "<whole>" + c_text)
        tgt = T.encode(tok, "".join(asmtext.chunk_text(c) for c in chunks)) + [tok.eos_token_id]
        if len(src) > max_src or len(tgt) > max_tgt:
            return None
        return Sample(rec.get("uri", ""), arch, opt, [src], [tgt], [0], [0])
    lines = [c.line for c in chunks]
    order_src = T.encode(tok, head + "<order>" + c_text)
    order_tgt = T.encode(tok, order_text(lines)) + [tok.eos_token_id]
    chunk_src = T.encode(tok, head + "<chunks>" + c_text + "<sep>" + indexed_order(lines))
    if mode in PROMPTED:
        from neuralcc.verifier.errors import VerifierInputError

        try:
            decls = line_declarations(rec["source"]) if mode == "typed" else None
        except VerifierInputError:  # pycparser could not read it
            return None
        given = [T.encode(tok, p) for p in chunk_prompts(c_text, lines, decls)]
    else:
        given = [T.encode(tok, f"<C{k}>") for k in range(len(chunks))]
    tgts = [g + T.encode(tok, asmtext.chunk_text(c)) + [tok.eos_token_id] for g, c in zip(given, chunks)]
    decoded = [len(t) - len(g) for t, g in zip(tgts, given)] + [len(order_tgt)]  # given prefixes excluded
    if max(len(order_src), len(chunk_src)) > max_src or max(decoded) > max_tgt:
        return None
    return Sample(rec.get("uri", ""), arch, opt, [order_src, chunk_src], [order_tgt] + tgts,
                  [0] + [1] * len(tgts), [0] + [len(g) for g in given], [ORDER_WEIGHT] + [1.0] * len(tgts))


def canonical_pieces(rec: dict, arch: str, style) -> list[tuple[str, str]]:
    """A "local" record's (prompt, piece) pairs for `arch` as the model reads and writes them."""
    from .pieces import rename_slots

    out = []
    for prompt, target in (rec.get("pieces") or {}).get(arch) or []:
        prompt, names = style.apply(prompt)
        out.append((prompt, rename_slots(target, names)))
    return out


def _local_sample(tok, rec: dict, arch: str, opt: str, max_src: int, max_tgt: int, style=None,
                  memory=None) -> Sample | None:
    """"local" mode: the function's pieces (localdata.py records), each its own encoder input,
    rewritten in `style` (pieces.PromptStyle), with its nearest piece in `memory` (memory.py)."""
    from .memory import MemoryBuilder, encoder_ids
    from .pieces import PromptStyle

    style = style or PromptStyle(rename=False, types=False)
    pairs = canonical_pieces(rec, arch, style) if opt == "O0" else []
    own = MemoryBuilder.own(pairs) if isinstance(memory, MemoryBuilder) else None
    srcs, tgts = [], []
    for prompt, target in pairs:
        hit = memory.lookup(arch, prompt, own) if memory is not None else None
        s, t = encoder_ids(tok, prompt, hit, max_src), T.encode(tok, target) + [tok.eos_token_id]
        if len(s) <= max_src and len(t) <= max_tgt:
            srcs.append(s)
            tgts.append(t)
    if not srcs:
        return None
    n = len(srcs)
    return Sample(rec.get("uri", ""), arch, opt, srcs, tgts, list(range(n)), [0] * n, [1.0] * n)


@dataclass
class Batch:
    input_ids: "torch.Tensor"
    attention_mask: "torch.Tensor"
    groups: list  # [(labels, -100 = ignore; encoder row per decoder row; unmasked targets; row weights)]
    n_tokens: int

    @property
    def n_target_tokens(self) -> int:
        return sum(int((g[0] != -100).sum()) for g in self.groups)


def collate(samples: list[Sample], pad_id: int, rows_per_group: int = 48) -> Batch:
    """Targets are sorted by length and padded per group: chunk lengths vary 5-200 tokens
    and one padded block wasted ~75% of the decoder's work."""
    import torch

    if samples and all(s.tgt_src == list(range(len(s.srcs))) for s in samples):
        return collate_pairs(samples, pad_id)

    srcs, tgts, idx, given, weight = [], [], [], [], []
    for s in samples:
        base = len(srcs)
        srcs.extend(s.srcs)
        tgts.extend(s.tgts)
        idx.extend(base + i for i in s.tgt_src)
        given.extend(s.tgt_prefix or [0] * len(s.tgts))
        weight.extend(s.tgt_weight or [1.0] * len(s.tgts))
    ids, mask = pad_rows(srcs, pad_id)
    order = sorted(range(len(tgts)), key=lambda i: len(tgts[i]))
    budget = rows_per_group * 64  # padded slots per group, roughly
    groups, cur = [], []
    for i in order:
        if cur and (len(cur) + 1) * len(tgts[i]) > budget:
            groups.append(cur)
            cur = []
        cur.append(i)
    if cur:
        groups.append(cur)
    out = []
    for g in groups:
        lt = max(len(tgts[i]) for i in g)
        full = torch.full((len(g), lt), -100, dtype=torch.long)
        for r, i in enumerate(g):
            full[r, : len(tgts[i])] = torch.tensor(tgts[i])
        labels = full.clone()
        for r, i in enumerate(g):
            labels[r, : given[i]] = -100  # the chunk index <Ck> is given when decoding, not predicted
        # decoder inputs come from `full`: deriving them from `labels` would hide <Ck> from the decoder
        out.append((labels, torch.tensor([idx[i] for i in g]), full, torch.tensor([weight[i] for i in g])))
    return Batch(ids, mask, out, sum(map(len, srcs)) + sum(map(len, tgts)))


def pad_rows(rows: list[list[int]], fill: int):
    """Right-padded id rows and their attention mask (1 where a row has a token)."""
    import torch

    out = torch.full((len(rows), max(map(len, rows))), fill, dtype=torch.long)
    mask = torch.zeros_like(out)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return out, mask


def collate_pairs(samples: list[Sample], pad_id: int, group_tokens: int = 3072) -> Batch:
    """"local" mode: every target has its own encoder input (its piece's prompt). Pairs are sorted by
    length and each group pads its own sources and targets: one batch-wide encoder block, padded to
    the longest prompt (300 tokens against a mean of 49), did 4x the encoder's work."""
    import torch

    pairs = [(src, tgt, g, w) for s in samples
             for src, tgt, g, w in zip(s.srcs, s.tgts, s.tgt_prefix or [0] * len(s.tgts),
                                       s.tgt_weight or [1.0] * len(s.tgts))]
    pairs.sort(key=lambda p: (len(p[1]), len(p[0])))
    groups, cur, ls, lt = [], [], 0, 0
    for p in pairs:
        ls2, lt2 = max(ls, len(p[0])), max(lt, len(p[1]))
        if cur and (len(cur) + 1) * (ls2 + lt2) > group_tokens:
            groups.append(cur)
            cur, ls2, lt2 = [], len(p[0]), len(p[1])
        cur.append(p)
        ls, lt = ls2, lt2
    if cur:
        groups.append(cur)
    out = []
    for g in groups:
        ids, mask = pad_rows([p[0] for p in g], pad_id)
        full, _ = pad_rows([p[1] for p in g], -100)
        labels = full.clone()
        for r, p in enumerate(g):
            labels[r, : p[2]] = -100
        out.append((labels, (ids, mask), full, torch.tensor([p[3] for p in g])))
    n = sum(len(p[0]) + len(p[1]) for p in pairs)
    return Batch(None, None, out, n)
