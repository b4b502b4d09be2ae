"""Accuracy of a Translator on held-out records: exact match with gcc (labels renamed) and,
when `neuralcc.verifier.check` exists, the verifier's pass rate beside trivial baselines."""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from . import asmtext, data as D, frame
from .csource import SourceError, encoder_text
from .decode import DecodeOptions, Translation, Translator


def make_checker(source: str, entry: str, arch: str, opt: str, examples: int = 30, random_inputs: int = 200):
    """The verifier's Checker for one function (gcc references built once), or None when the
    verifier is not importable. Raises if the verifier cannot handle the function."""
    try:
        from neuralcc.verifier.check import Checker
    except ImportError:
        return None
    return Checker(source, arch, opt, function=entry, examples=examples, random_inputs=random_inputs)


def verdict_of(checker, asm: str) -> str:
    """The verifier's category for `asm` ("pass", "asm.syntax", ...)."""
    try:
        return checker.check(asm).category
    except Exception as err:  # unassemblable candidate text etc.: a failure, not a crash
        return f"crash.{type(err).__name__}"


def passes(checker, asm: str) -> bool:
    return verdict_of(checker, asm) == "pass"


BASELINES = {
    # return 0 / return the first argument (integer registers; x0 already holds it on aarch64)
    "return0": {"x86-64": "\txorl\t%eax, %eax\n\tret\n", "aarch64": "\tmov\tx0, 0\n\tret\n"},
    "return_arg0": {"x86-64": "\tmovq\t%rdi, %rax\n\tret\n", "aarch64": "\tret\n"},
}


def baseline_asm(kind: str, entry: str, arch: str) -> str:
    align = "\t.align\t2\n" if arch == "aarch64" else ""
    return f"\t.text\n{align}\t.globl\t{entry}\n{entry}:\n" + BASELINES[kind][arch]


def reference(rec: dict, arch: str, opt: str) -> str:
    """gcc's assembly as the model would write it, made assembler text (named slots laid out)."""
    chunks = D.target_chunks(rec, arch, opt)
    return _finish(rec, asmtext.reassemble([asmtext.chunk_text(c) for c in chunks], rec["entry"]), arch)


def _finish(rec: dict, text: str, arch: str, variables: dict | None = None) -> str:
    if not rec.get("slots"):
        return text
    if variables is None:
        variables = Translator.frame_variables(rec["source"], rec["entry"])
    return frame.resolve(text, variables, arch)


@dataclass
class EvalResult:
    n: int = 0
    exact: int = 0
    passed: int = 0
    verified: bool = False
    errors: int = 0
    unverifiable: int = 0
    passed_at_k: int = 0
    k: int = 0
    baseline_passed: dict = field(default_factory=dict)
    truncated: int = 0
    seconds: list[float] = field(default_factory=list)
    new_tokens: int = 0
    categories: dict = field(default_factory=dict)  # verdict category of each greedy output
    # Teacher-forced diagnostics (chunk modes, records with gold asm): finer signals than pass@1 that
    # separate the two tasks. The order predicted exactly; with gcc's order given, each chunk written
    # exactly, and the whole function passing the verifier.
    order_exact: int = 0
    chunks: int = 0
    chunks_exact: int = 0
    pieces: int = 0  # "local" mode: pieces with a gold counterpart, and how many were written exactly
    pieces_exact: int = 0
    pieces_by_role: dict = field(default_factory=dict)  # role -> [pieces, exact]
    pieces_by_memory: dict = field(default_factory=dict)  # how near the memory's piece was -> [pieces, exact]
    memory_pieces: int = 0  # with a translation memory: pieces it holds exactly, and how many of those
    copied_pieces: int = 0  # came out as the memory's piece
    oracle_n: int = 0
    oracle_passed: int = 0

    def summary(self) -> dict:
        out = {"n": self.n, "exact": round(self.exact / max(self.n, 1), 3), "truncated": self.truncated,
               "errors": self.errors}
        if self.verified:
            m = max(self.n - self.unverifiable, 1)
            out["pass@1"] = round(self.passed / m, 3)
            out["unverifiable"] = self.unverifiable
            if self.k:
                out[f"verified@{self.k}"] = round(self.passed_at_k / m, 3)
            for k, v in self.baseline_passed.items():
                out[f"baseline_{k}"] = round(v / m, 3)
            # outputs that assemble, link and run (whatever they then compute): a finer signal than pass@1
            ran = sum(v for c, v in self.categories.items() if not c.startswith(("asm.", "symbol.", "crash.")))
            out["runs"] = round(ran / m, 3)
            out["categories"] = dict(sorted(self.categories.items(), key=lambda kv: -kv[1]))
        if self.pieces:
            out["pieces_exact"] = round(self.pieces_exact / self.pieces, 3)
            out["pieces_exact_by_role"] = {r: f"{e}/{n}" for r, (n, e) in sorted(self.pieces_by_role.items())}
        if self.memory_pieces:
            out["memory_exact_hits"] = self.memory_pieces
            out["copied_from_memory"] = self.copied_pieces
            out["pieces_exact_by_memory"] = {lv: f"{e}/{n}" for lv, (n, e) in sorted(self.pieces_by_memory.items())}
        if self.chunks:
            out["order_exact"] = round(self.order_exact / max(self.n, 1), 3)
            out["chunk_exact_given_order"] = round(self.chunks_exact / self.chunks, 3)
            if self.oracle_n:
                out["pass@1_given_order"] = round(self.oracle_passed / self.oracle_n, 3)
        if self.seconds:
            s = sorted(self.seconds)
            out["median_s"] = round(s[len(s) // 2], 3)
            out["tok_s"] = round(self.new_tokens / max(sum(s), 1e-9), 1)
        return out


_OWN_LABEL = re.compile(r"^<C\d+>:\n")
_ROLE = re.compile(r"<chunks>([\w-]+):")  # a "local" prompt's piece role


def _given_order(tr: Translator, rec: dict, arch: str, opt: str, dopt: DecodeOptions, res: EvalResult,
                 predicted: list[int]) -> str | None:
    """Count the predicted order if it is gcc's; write the chunks of gcc's own order and count exact
    ones. Returns those chunks assembled into the function's text."""
    try:
        gold = D.target_chunks(rec, arch, opt)
        c_text = encoder_text(rec["source"], rec["entry"])
    except ValueError:
        return None
    lines = [c.line for c in gold]
    res.order_exact += predicted == lines
    variables = Translator.frame_variables(rec["source"], rec["entry"]) if rec.get("slots") else None
    decls = D.line_declarations(rec["source"], variables) if tr.mode == "typed" else None
    try:
        chunks = tr.write_chunks(c_text, rec["entry"], arch, opt, lines, dopt, Translation(asm=""), decls)
    except SourceError:  # gcc's order makes the input too long for the model
        return None
    for want, got in zip(gold, chunks):
        res.chunks += 1
        res.chunks_exact += _OWN_LABEL.sub("", asmtext.chunk_text(want)) == _OWN_LABEL.sub("", got)
    return _finish(rec, asmtext.reassemble(chunks, rec["entry"]), arch, variables)


def evaluate(tr: Translator, records: list[dict], arch: str, opt: str, dopt: DecodeOptions,
             verify: bool = True, baselines: bool = True, k: int = 0, temperature: float = 0.8,
             teacher: bool = True) -> EvalResult:
    """pass@1 of `dopt` decoding (greedy by default); with k > 0 also verified@k: any of k seeded
    samples (temperature) passes. Records without gold asm (benchmarks) skip exact match. `teacher`:
    also the teacher-forced diagnostics (EvalResult), at the cost of a second chunk decode."""
    res = EvalResult(k=k)
    for rec in records:
        has_ref = bool(rec.get("asm", {}).get(arch, {}).get(opt))
        if "asm" in rec and not has_ref:
            continue
        res.n += 1
        checker = None
        if verify:
            try:
                checker = make_checker(rec["source"], rec["entry"], arch, opt)
                res.verified = res.verified or checker is not None
                if checker is not None and checker.unsupported:
                    raise ValueError(checker.unsupported)
            except Exception:
                res.unverifiable += 1
                checker = None
                res.verified = True
        t = time.perf_counter()
        try:
            (out,) = tr.translate(rec["source"], arch, opt, entry=rec["entry"], opt=dopt)[:1]
        except SourceError:
            res.errors += 1
            continue
        res.seconds.append(time.perf_counter() - t)
        res.new_tokens += out.new_tokens
        res.truncated += bool(out.truncated)
        res.memory_pieces += out.memory_pieces
        res.copied_pieces += out.copied_pieces
        gold = dict((rec.get("pieces") or {}).get(arch) or [])
        levels = out.memory_levels or [None] * len(out.pieces)
        for (prompt, text), level in zip(out.pieces, levels):  # "local" mode: each piece against gcc's
            if prompt in gold:
                ok = text == gold[prompt]
                res.pieces += 1
                res.pieces_exact += ok
                m = _ROLE.search(prompt)
                for table, key in ((res.pieces_by_role, m.group(1) if m else "other"),
                                   (res.pieces_by_memory, level or "none")):
                    row = table.setdefault(key, [0, 0])
                    row[0], row[1] = row[0] + 1, row[1] + ok
        if has_ref:
            try:
                res.exact += out.asm == reference(rec, arch, opt)
            except ValueError:
                pass
            if teacher and tr.mode != "whole":
                given = _given_order(tr, rec, arch, opt, dopt, res, out.order)
                if given is not None and checker is not None:
                    res.oracle_n += 1
                    res.oracle_passed += passes(checker, given)
        if checker is None:
            continue
        category = verdict_of(checker, out.asm)
        res.categories[category] = res.categories.get(category, 0) + 1
        ok = category == "pass"
        res.passed += ok
        if k:
            if not ok:
                samples = tr.translate(rec["source"], arch, opt, entry=rec["entry"],
                                       opt=DecodeOptions(n=k, temperature=temperature, seed=0))
                ok = any(passes(checker, s.asm) for s in samples)
            res.passed_at_k += ok
        if baselines:
            for kind in BASELINES:
                okb = passes(checker, baseline_asm(kind, rec["entry"], arch))
                res.baseline_passed[kind] = res.baseline_passed.get(kind, 0) + okb
    return res


def main(argv=None) -> int:
    """python -m neuralcc.translator.evaluate --model DIR (--data DIR [--split test] | --bench URI) --arch A"""
    import argparse
    import itertools
    import json

    import torch

    ap = argparse.ArgumentParser(prog="neuralcc.translator.evaluate")
    ap.add_argument("--model", required=True)
    ap.add_argument("--data", help="labelled shards (corpora format)")
    ap.add_argument("--split", default="test")
    ap.add_argument("--bench", help="benchmark URI or path, e.g. benchmark://humaneval-decompile-v0")
    ap.add_argument("--arch", default="x86-64")
    ap.add_argument("--opt", default="O0")
    ap.add_argument("-n", type=int, default=50, help="functions")
    ap.add_argument("-k", type=int, default=0, help="also verified@k with k samples")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--no-grammar", action="store_true", help="decode without gcc's instruction grammar and the slot grammar")
    ap.add_argument("--memory-only", action="store_true",
                    help="the baseline of a model with a translation memory: the memory's pieces, no model")
    ap.add_argument("--loss", action="store_true",
                    help="only the teacher-forced cross-entropy on the first -n records of --data (no decoding)")
    args = ap.parse_args(argv)
    torch.set_num_threads(args.threads)
    tr = Translator(args.model)
    if args.loss:
        from .train import heldout_loss

        if not args.data:
            ap.error("--loss needs --data (records with gcc's pieces)")
        recs = list(itertools.islice(D.iter_records([args.data], args.split), args.n))
        loss, tokens = heldout_loss(tr.model, tr.tok, recs, [args.arch], args.opt, tr.mode,
                                    memory=tr.memory if tr.reads_memory else None)
        print(json.dumps({"set": f"{args.data}:{args.split}", "arch": args.arch, "opt": args.opt, "functions": len(recs),
                          "target_tokens": tokens, "cross_entropy": round(loss, 4)}))
        return 0
    if args.data:
        recs = list(itertools.islice(D.iter_records([args.data], args.split), args.n))
        name = f"{args.data}:{args.split}"
    else:
        from neuralcc.corpora import load_benchmarks

        recs = [{"source": b.source, "entry": b.entry} for b in load_benchmarks(args.bench, limit=args.n)]
        name = args.bench
    res = evaluate(tr, recs, args.arch, args.opt,
                   DecodeOptions(grammar=not args.no_grammar, memory_only=args.memory_only, memory_stats=True),
                   k=args.k)
    out = {"set": name, "arch": args.arch, "opt": args.opt, **res.summary()}
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
