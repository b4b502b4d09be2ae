"""Accuracy of a Translator on held-out records: exact match with gcc (labels renamed) and,
when `neuralcc.verifier.check` exists, the verifier's pass rate beside trivial baselines."""
from __future__ import annotations

import time
from dataclasses import dataclass, field

from . import asmtext, data as D
from .csource import SourceError
from .decode import DecodeOptions, Translator


def make_checker(source: str, entry: str, arch: str, opt: str, examples: int = 30, random_inputs: int = 200):
    """The verifier's Checker for one function (gcc references built once), or None when the
    verifier is not importable. Raises if the verifier cannot handle the function."""
    try:
        from neuralcc.verifier.check import Checker
    except ImportError:
        return None
    return Checker(source, arch, opt, function=entry, examples=examples, random_inputs=random_inputs)


def passes(checker, asm: str) -> bool:
    try:
        return bool(checker.check(asm).passed)
    except Exception:  # unassemblable candidate text etc.: a failure, not a crash
        return False


BASELINES = {
    # return 0 / return the first argument (integer registers; x0 already holds it on aarch64)
    "return0": {"x86-64": "\txorl\t%eax, %eax\n\tret\n", "aarch64": "\tmov\tx0, 0\n\tret\n"},
    "return_arg0": {"x86-64": "\tmovq\t%rdi, %rax\n\tret\n", "aarch64": "\tret\n"},
}


def baseline_asm(kind: str, entry: str, arch: str) -> str:
    align = "\t.align\t2\n" if arch == "aarch64" else ""
    return f"\t.text\n{align}\t.globl\t{entry}\n{entry}:\n" + BASELINES[kind][arch]


def reference(rec: dict, arch: str, opt: str) -> str:
    chunks = D.target_chunks(rec, arch, opt)
    return asmtext.reassemble([asmtext.chunk_text(c) for c in chunks], rec["entry"])


@dataclass
class EvalResult:
    n: int = 0
    exact: int = 0
    passed: int = 0
    verified: bool = False
    errors: int = 0
    unverifiable: int = 0
    baseline_passed: dict = field(default_factory=dict)
    truncated: int = 0
    seconds: list[float] = field(default_factory=list)
    new_tokens: int = 0

    def summary(self) -> dict:
        out = {"n": self.n, "exact": round(self.exact / max(self.n, 1), 3), "truncated": self.truncated,
               "errors": self.errors}
        if self.verified:
            m = max(self.n - self.unverifiable, 1)
            out["pass@1"] = round(self.passed / m, 3)
            out["unverifiable"] = self.unverifiable
            for k, v in self.baseline_passed.items():
                out[f"baseline_{k}"] = round(v / m, 3)
        if self.seconds:
            s = sorted(self.seconds)
            out["median_s"] = round(s[len(s) // 2], 3)
            out["tok_s"] = round(self.new_tokens / max(sum(s), 1e-9), 1)
        return out


def evaluate(tr: Translator, records: list[dict], arch: str, opt: str, dopt: DecodeOptions,
             verify: bool = True, baselines: bool = True) -> EvalResult:
    res = EvalResult()
    for rec in records:
        if not rec.get("asm", {}).get(arch, {}).get(opt):
            continue
        res.n += 1
        checker = None
        if verify:
            try:
                checker = make_checker(rec["source"], rec["entry"], arch, opt)
                res.verified = res.verified or checker is not None
            except Exception:
                res.unverifiable += 1
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
        try:
            ref = reference(rec, arch, opt)
        except ValueError:
            ref = None
        res.exact += ref is not None and out.asm == ref
        if checker is not None:
            res.passed += passes(checker, out.asm)
            if baselines:
                for kind in BASELINES:
                    ok = passes(checker, baseline_asm(kind, rec["entry"], arch))
                    res.baseline_passed[kind] = res.baseline_passed.get(kind, 0) + ok
    return res
