"""One C translation unit through ncc: translate each function, verify it, keep what passed.

The unit's base is gcc's assembly of it, compiled exactly as the verifier compiles its reference.
For every function the translator's candidate replaces gcc's definition in that base, and the result
is what the verifier checks and then cross-checks against GNU as, byte for byte (keystone ran it, GNU as
will build it). The unit's final assembly is the base with every verified function replaced.
"""
from __future__ import annotations

import hashlib
import json
import os
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from neuralcc.corpora.loaders import Benchmark
from neuralcc.verifier import Checker, VerifierInputError
from neuralcc.verifier.asmprep import AsmError
from neuralcc.verifier.gnu_as import GnuAsError, encoding_mismatches
from neuralcc.verifier.reference import compile_to_asm
from neuralcc.verifier.signature import parse_unit
from neuralcc.verifier.splice import defined_symbols, replace_function, runnable_part

from .settings import Settings

CACHE_VERSION = "ncc-cache-v2"
MODEL_OPT = {"O3": "O2"}  # the model's tags: O0 O1 O2 Os


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("neuralcc")
    except PackageNotFoundError:
        return "unknown"


NEURALCC_VERSION = _version()


@dataclass
class FunctionResult:
    function: str
    category: str  # the verifier's category for the best candidate, or ncc.* for ncc's own reasons
    message: str
    asm: str | None = None  # the candidate's assembly as the translator wrote it, when it assembled
    verified: bool = False
    samples: int = 0
    seconds: float = 0.0
    cached: bool = False

    def used(self, mode: str) -> bool:
        return self.asm is not None and (self.verified or mode == "neural")


@dataclass
class UnitResult:
    path: str
    arch: str
    opt: str
    functions: list[FunctionResult] = field(default_factory=list)
    asm: str | None = None  # final assembly, when any function is the translator's
    note: str = ""  # why the whole unit was left to gcc


def cache_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


class Cache:
    """Content-addressed: the key hashes everything the result depends on; one JSON file per key."""

    def __init__(self, root: str):
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> FunctionResult | None:
        try:
            data = json.loads(self._path(key).read_text())
        except (OSError, ValueError):
            return None
        try:
            return FunctionResult(**{**data, "cached": True})
        except TypeError:
            return None

    def put(self, key: str, result: FunctionResult) -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({**asdict(result), "cached": False}))
            os.replace(tmp, path)  # atomic: parallel builds never see half a file
        except OSError:
            pass  # a read-only cache only costs time


def tag(k: int) -> str:
    """The label prefix of the k-th function's candidate in its unit."""
    return f"nn{k}_"


class UnitTranslator:
    def __init__(self, settings: Settings, translator):
        self.settings, self.translator = settings, translator
        self._identity = None

    def identity(self) -> dict:
        if self._identity is None:
            self._identity = self.translator.describe()
        return self._identity

    def run(self, path: str, arch: str, opt: str, shaping: list[str]) -> UnitResult:
        source = Path(path).read_text(errors="replace")
        cflags = [f"-I{os.path.dirname(os.path.abspath(path))}", *shaping]
        result = UnitResult(path, arch, opt)
        try:
            base = compile_to_asm(source, arch, opt, path, extra=cflags)
            defined = parse_unit(source, path, char_signed=arch == "x86-64", cflags=cflags).functions
            emitted = defined_symbols(base, arch)
            names = [f for f in defined if f in emitted]  # not those gcc inlined everywhere and dropped
        except VerifierInputError as err:
            result.note = f"left to gcc: {err}"
            return result
        cache = Cache(self.settings.cache_dir)
        for k, name in enumerate(names):
            key = cache_key({"v": CACHE_VERSION, "neuralcc": NEURALCC_VERSION, "source": source,
                             "function": name, "arch": arch, "opt": opt, "cflags": shaping, "translator": self.identity(),
                             **{s: getattr(self.settings, s) for s in ("samples", "temperature", "inputs",
                                                                         "examples", "seed")}})
            fr = cache.get(key)
            if fr is None:
                fr = self.function(source, path, name, arch, opt, cflags, tag(k))
                if not fr.category.startswith("ncc.internal"):
                    cache.put(key, fr)
            result.functions.append(fr)
        final, used = base, 0
        for k, fr in enumerate(result.functions):
            if fr.used(self.settings.mode):
                # the same splice as the one verified (same tag): the verified text is what is linked
                final = replace_function(final, fr.asm, fr.function, arch, tag(k))
                used += 1
        result.asm = final if used else None
        return result

    def function(self, source: str, path: str, name: str, arch: str, opt: str, cflags: list[str],
                 tag: str) -> FunctionResult:
        start = time.perf_counter()
        try:
            fr = self._function(source, path, name, arch, opt, cflags, tag)
        except VerifierInputError as err:
            fr = FunctionResult(name, "unsupported", str(err))
        except Exception as err:  # one function's failure must not stop the build: gcc's code is used
            where = traceback.extract_tb(err.__traceback__)[-1]
            fr = FunctionResult(name, "ncc.internal_error", f"{type(err).__name__}: {err} "
                                f"({os.path.basename(where.filename)}:{where.lineno})")
        fr.seconds = round(time.perf_counter() - start, 3)
        return fr

    def _function(self, source, path, name, arch, opt, cflags, tag) -> FunctionResult:
        s = self.settings
        checker = Checker(source, arch, opt, name, examples=s.examples, random_inputs=s.inputs, seed=s.seed,
                          filename=path, cflags=cflags)
        if checker.unsupported and s.mode != "neural":
            return FunctionResult(name, "unsupported", checker.unsupported)
        bench = Benchmark(uri=f"file://{os.path.abspath(path)}#{name}", source=source, entry=name,
                          meta={"cflags": cflags})
        samples = self.translator.translate(bench, arch, MODEL_OPT.get(opt, opt), s.samples, s.seed)
        best: FunctionResult | None = None
        for n, sample in enumerate(samples, 1):
            if sample.error or not sample.asm.strip():
                fr = FunctionResult(name, "ncc.no_translation", sample.error or "the translator wrote nothing",
                                    samples=n)
            else:
                fr = self.verify(checker, sample.asm, name, arch, tag)
                fr.samples = n
            if fr.verified:
                return fr
            if best is None or (best.asm is None and fr.asm is not None):
                best = fr  # the first that assembles, for neural mode and the report
        return best or FunctionResult(name, "ncc.no_translation", "the translator returned no sample")

    def verify(self, checker: Checker, asm: str, name: str, arch: str, tag: str) -> FunctionResult:
        """Check the candidate in place: gcc's unit (the checker's reference) with only `name` replaced."""
        candidate = replace_function(checker.reference_asm, asm, name, arch, tag)
        verdict = checker.check(candidate)
        fr = FunctionResult(name, verdict.category, verdict.message, asm)
        if verdict.category == "pass":
            try:
                image = checker.build(candidate).image  # what the verifier ran: the part `name` reaches
                bad = encoding_mismatches(runnable_part(candidate, name, arch), image, name)
            except (AsmError, GnuAsError) as err:
                return FunctionResult(name, "asm.encoding", f"GNU as cannot build what keystone ran: {err}", asm)
            if bad:
                return FunctionResult(name, "asm.encoding", f"keystone and GNU as disagree on {len(bad)} "
                                      f"line(s), first: {bad[0]}", asm)
            fr.verified = True
        elif verdict.family in ("asm", "symbol"):
            fr.asm = None  # it does not even assemble: nothing to use, even in neural mode
        return fr
