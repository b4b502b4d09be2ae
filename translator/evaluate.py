"""Accuracy of a Translator on held-out records: exact match with gcc (labels renamed) and,
when `neuralcc.verifier.check` exists, the verifier's pass rate beside trivial baselines."""
from __future__ import annotations

import inspect
import time
from dataclasses import dataclass, field

from . import asmtext, data as D
from .csource import SourceError
from .decode import DecodeOptions, Translator


def verifier_check():
    """HOOK: the verifier's entry point, or None while it is not written yet."""
    try:
        from neuralcc.verifier import check  # type: ignore
    except ImportError:
        return None
    return check


def verify(check, source: str, entry: str, asm: str, arch: str, opt: str) -> bool:
    """Adapter to the verifier's call shape; anything that raises counts as a failure."""
    try:
        params = inspect.signature(check).parameters
        kw = {k: v for k, v in dict(source=source, asm=asm, arch=arch, opt=opt, entry=entry, function=entry).items()
              if k in params}
        res = check(**kw)
    except Exception:
        return False
    for attr in ("passed", "ok", "equivalent", "verified"):
        if hasattr(res, attr):
            return bool(getattr(res, attr))
    return bool(res)


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
    truncated: int = 0
    seconds: list[float] = field(default_factory=list)
    new_tokens: int = 0

    def summary(self) -> dict:
        out = {"n": self.n, "exact": round(self.exact / max(self.n, 1), 3), "truncated": self.truncated,
               "errors": self.errors}
        if self.verified:
            out["pass@1"] = round(self.passed / max(self.n, 1), 3)
        if self.seconds:
            s = sorted(self.seconds)
            out["median_s"] = round(s[len(s) // 2], 3)
            out["tok_s"] = round(self.new_tokens / max(sum(s), 1e-9), 1)
        return out


def evaluate(tr: Translator, records: list[dict], arch: str, opt: str, dopt: DecodeOptions) -> EvalResult:
    check = verifier_check()
    res = EvalResult(verified=check is not None)
    for rec in records:
        if not rec.get("asm", {}).get(arch, {}).get(opt):
            continue
        res.n += 1
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
        if check is not None:
            res.passed += verify(check, rec["source"], rec["entry"], out.asm, arch, opt)
    return res
