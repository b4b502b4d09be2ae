"""One C translation unit through ncc: translate each function, verify it, keep what passed.

The unit's base is gcc's assembly of it, compiled exactly as the verifier compiles its reference.
For every function the translator's candidate replaces gcc's definition in that base, and the result
is what the verifier checks and then cross-checks against GNU as, byte for byte (keystone ran it, GNU as
will build it). The unit's final assembly is the base with every verified function replaced.
"""
from __future__ import annotations

import hashlib
import hmac
import importlib
import json
import os
import re
import secrets
import stat
import tempfile
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path

from neuralcc.cbase.toolchain import cpp_flags
from neuralcc.corpora.loaders import Benchmark
from neuralcc.verifier import Checker, UnitBuild, Verdict, VerifierInputError
from neuralcc.verifier.asmprep import AsmError
from neuralcc.verifier.gnu_as import GnuAsError, encoding_mismatches
from neuralcc.verifier.signature import preprocess
from neuralcc.verifier.splice import defined_symbols, replace_function, runnable_part, unreachable_functions

from .settings import Settings

CACHE_VERSION = "ncc-cache-v3"
MODEL_OPT = {"O3": "O2"}  # the model's tags: O0 O1 O2 Os
SECRET_NAME, SECRET_BYTES = "secret.key", 32
# The packages whose code computes a FunctionResult: a change to any of them is a different result.
CODE_PACKAGES = ("neuralcc.cbase", "neuralcc.verifier", "neuralcc.translator", "neuralcc.harness", "neuralcc.corpora")
CACHE_STATE = ("cached", "cache_discarded")  # how a result was found, not part of the result
# categories of functions that are gcc's in every mode: the verifier cannot test them (a `main` calling
# other units, variadic ...), or ncc does not translate them (a header's static inline helpers)
ALWAYS_GCC = ("unsupported", "ncc.header_function")


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
    cache_discarded: str = ""  # why a cache entry for this function was found and not used
    elsewhere: str = ""  # unsupported because it calls this function of another unit: testable at the link
    at_link: bool = False  # judged at the link step, with the other units' code beside it

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
    source: str = ""  # what the link step needs to judge its functions that call other units
    cflags: list[str] = field(default_factory=list)
    base: str | None = None  # gcc's assembly of the unit
    cwd: str = field(default_factory=os.getcwd)  # where it was compiled (the report tells builds apart by it)
    inputs: dict = field(default_factory=dict)  # the hashes of every text its results are computed from

    def record(self) -> dict:
        """What the link step reads back for an object this unit became (Cache.put_unit)."""
        return {**{k: v for k, v in asdict(self).items() if k != "functions"},
                "functions": [{k: v for k, v in asdict(f).items() if k not in CACHE_STATE} for f in self.functions]}

    @classmethod
    def from_record(cls, data: dict) -> "UnitResult":
        # KeyError for a record without its inputs: the link step's cache key is made of them
        return cls(**{**data, "inputs": data["inputs"], "functions": [FunctionResult(**f) for f in data["functions"]]})

    def pending(self) -> list[int]:
        """The functions the verifier could test with other units' code beside them."""
        return [k for k, f in enumerate(self.functions) if f.elsewhere]

    def assemble(self, mode: str) -> None:
        """The unit's final assembly: gcc's with every function the mode uses replaced (None: all gcc's)."""
        final, used = self.base, 0
        for k, fr in enumerate(self.functions):
            if fr.used(mode):
                # the same splice as the one verified (same tag): the verified text is what is linked
                final = replace_function(final, fr.asm, fr.function, self.arch, tag(k))
                used += 1
        self.asm = final if used else None


def gcc_functions(asm: str, arch: str) -> set[str]:
    """The functions gcc emitted code for (`.type NAME, @function`; `%function` on AArch64)."""
    kind = "@function" if arch == "x86-64" else "%function"
    return {m.group(1) for m in re.finditer(rf"^\s*\.type\s+([\w.$]+),\s*{kind}\s*$", asm, re.M)}


def cache_key(parts: dict) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode(errors="surrogateescape")).hexdigest()


def file_sha256(path: str) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def code_digest() -> str:
    """A hash of the neuralcc code that translates and judges (a version number does not change when
    the verifier does)."""
    digest = hashlib.sha256()
    for name in CODE_PACKAGES:
        root = Path(importlib.import_module(name).__file__).parent
        for path in sorted(root.rglob("*.py")):
            digest.update(f"{name}/{path.relative_to(root)}\0".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass
class Lookup:
    result: FunctionResult | None = None
    discarded: str = ""  # an entry was there and is not used: why


@dataclass
class Cache:
    """Content-addressed: the key hashes everything the result depends on; one JSON file per key, the
    entry and an HMAC-SHA256 of key and entry under a secret only this user can read. An entry edited,
    or copied from another key, does not match its digest and is discarded."""
    root: Path
    secret: bytes | None = None  # None: the cache is not used
    unusable: str = ""  # why not

    @classmethod
    def open(cls, root: str) -> "Cache":
        path = Path(root)
        try:
            return cls(path, _secret(path / SECRET_NAME))
        except (OSError, ValueError) as err:
            return cls(path, None, str(err))

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def _digest(self, key: str, entry: dict) -> str:
        canonical = json.dumps(entry, sort_keys=True, separators=(",", ":"))
        return hmac.new(self.secret, f"{key}\n{canonical}".encode(), "sha256").hexdigest()

    def get(self, key: str) -> Lookup:
        entry, discarded = self._read(key)
        try:
            return Lookup(FunctionResult(**entry, cached=True) if entry is not None else None, discarded)
        except TypeError:
            return Lookup(discarded="unreadable")

    def put(self, key: str, result: FunctionResult) -> None:
        self._write(key, {k: v for k, v in asdict(result).items() if k not in CACHE_STATE})

    def get_unit(self, obj: str) -> UnitResult | None:
        """The unit an object file was made from by ncc, found by the object's bytes (None: not ncc's,
        or changed since)."""
        try:
            entry, _ = self._read(f"unit-{file_sha256(obj)}")
            return UnitResult.from_record(entry) if entry is not None else None
        except (OSError, TypeError, KeyError):
            return None

    def put_unit(self, obj: str, unit: UnitResult) -> None:
        self._write(f"unit-{file_sha256(obj)}", unit.record())

    def _read(self, key: str) -> tuple[dict | None, str]:
        """The entry under `key` and, if one was there and is not returned, why."""
        if self.secret is None:
            return None, ""
        try:
            data = json.loads(self._path(key).read_text())
            entry, digest = data["entry"], data["digest"]
            if not hmac.compare_digest(self._digest(key, entry), str(digest)):
                return None, "digest mismatch"
            return entry, ""
        except FileNotFoundError:
            return None, ""
        except (OSError, ValueError, TypeError, KeyError):
            return None, "unreadable"

    def _write(self, key: str, entry: dict) -> None:
        if self.secret is None:
            return
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(json.dumps({"entry": entry, "digest": self._digest(key, entry)}))
            os.replace(tmp, path)  # atomic: parallel builds never see half a file
        except OSError:
            pass  # a read-only cache only costs time


def _secret(path: Path) -> bytes:
    """The cache's HMAC key: created once, atomically, mode 0600; refused unless it is a regular file of
    this user that no one else can read (whoever can read it can sign entries)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists() and not path.is_symlink():
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{SECRET_NAME}.")  # mode 0600
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(secrets.token_bytes(SECRET_BYTES))
            try:
                os.link(tmp, path)  # never replaces: of two builds creating it at once, both use the first's
            except FileExistsError:
                pass
        finally:
            os.unlink(tmp)
    with open(os.open(path, os.O_RDONLY | os.O_NOFOLLOW), "rb") as fh:
        st = os.fstat(fh.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o077:
            raise ValueError(f"{path} is not a file of this user with mode 0600")
        key = fh.read(SECRET_BYTES + 1)
    if len(key) != SECRET_BYTES:
        raise ValueError(f"{path} does not hold a {SECRET_BYTES}-byte key")
    return key


def tag(k: int) -> str:
    """The label prefix of the k-th function's candidate in its unit."""
    return f"nn{k}_"


class UnitTranslator:
    def __init__(self, settings: Settings, translator):
        self.settings, self.translator = settings, translator
        self.cache = Cache.open(settings.cache_dir)
        self._identity = None

    def identity(self) -> dict:
        """The translator, the code that judges its output, and the settings a result depends on."""
        if self._identity is None:
            s = self.settings
            self._identity = {"v": CACHE_VERSION, "code": code_digest(), "translator": self.translator.describe(),
                              "samples": s.samples, "temperature": s.temperature, "inputs": s.inputs,
                              "examples": s.examples, "seed": s.seed, "repair": s.repair,
                              # neural mode translates what the verifier cannot test; the others do not
                              "neural": s.mode == "neural"}
        return self._identity

    def run(self, path: str, arch: str, opt: str, shaping: list[str]) -> UnitResult:
        source = Path(path).read_text(errors="replace")
        cflags = [f"-I{os.path.dirname(os.path.abspath(path))}", *shaping]
        result = UnitResult(path, arch, opt, source=source, cflags=cflags)
        build = UnitBuild(source, arch, path, tuple(cflags))  # gcc's work on the unit, shared by its functions
        try:
            base = build.asm(opt)
            defined = build.spec().functions
            emitted = defined_symbols(base, arch)
            names = [f for f in defined if f in emitted]  # not those gcc inlined everywhere and dropped
            result.inputs = {  # every text a result is computed from; the source itself for its `// ncc:` comments
                "path": os.path.abspath(path), "source": sha256(source), "cflags": cflags, "arch": arch, "opt": opt,
                # gcc's command for `base` stopped after the preprocessor (-E wins over -S): what gcc compiled
                "compiled": sha256(build.asm(opt, ("-E",))),
                "read": sha256(preprocess(source, path, cpp_flags(cflags))),  # what the verifier and translator read
                "base": sha256(base)}  # gcc's code around the candidate, and so gcc's version
        except VerifierInputError as err:
            result.note = f"left to gcc: {err}"
            return result
        result.base = base
        for k, name in enumerate(names):
            key = cache_key({**result.inputs, "function": name, "identity": self.identity()})
            found = self.cache.get(key)
            fr = found.result
            if fr is None:
                fr = self.function(source, path, name, arch, opt, cflags, tag(k), build=build)
                fr.cache_discarded = found.discarded
                if not fr.category.startswith("ncc.internal"):
                    self.cache.put(key, fr)
            result.functions.append(fr)
        for name in sorted(gcc_functions(base, arch) - set(defined)):  # static inline helpers of its headers
            result.functions.append(FunctionResult(name, ALWAYS_GCC[1], "defined in an included header: ncc "
                                                   "translates the functions of the .c file itself"))
        result.assemble(self.settings.mode)
        return result

    def link(self, unit: UnitResult, others: list[str]) -> list[str]:
        """At the link step, where the whole program is known: judge again each function of `unit` that
        calls other units, with their gcc code (`others`) beside it, and assemble the unit again. The
        functions now the translator's, by name."""
        identity = {**unit.inputs, "link": sorted(sha256(o) for o in others), "identity": self.identity()}
        now = []
        for k in unit.pending():
            name = unit.functions[k].function
            key = cache_key({**identity, "function": name})
            found = self.cache.get(key)
            fr = found.result
            if fr is None:
                fr = self.function(unit.source, unit.path, name, unit.arch, unit.opt, unit.cflags, tag(k), others,
                                   unit.base)
                fr.cache_discarded = found.discarded
                if not fr.category.startswith("ncc.internal"):
                    self.cache.put(key, fr)
            fr.at_link = True
            unit.functions[k] = fr
            now += [name] if fr.used(self.settings.mode) else []
        unit.assemble(self.settings.mode)
        return now

    def function(self, source: str, path: str, name: str, arch: str, opt: str, cflags: list[str],
                 tag: str, link: list[str] = (), base: str | None = None, build: UnitBuild | None = None) -> FunctionResult:
        """`link`: the other units' gcc code, run beside it; `base`: the unit's gcc code that code was
        linked against, which the reference must then be; `build`: gcc's work on the unit, when the caller has it."""
        start = time.perf_counter()
        try:
            fr = self._function(source, path, name, arch, opt, cflags, tag, link, base, build)
        except VerifierInputError as err:
            fr = FunctionResult(name, "unsupported", str(err))
        except Exception as err:  # one function's failure must not stop the build: gcc's code is used
            where = traceback.extract_tb(err.__traceback__)[-1]
            fr = FunctionResult(name, "ncc.internal_error", f"{type(err).__name__}: {err} "
                                f"({os.path.basename(where.filename)}:{where.lineno})")
        fr.seconds = round(time.perf_counter() - start, 3)
        return fr

    def _function(self, source, path, name, arch, opt, cflags, tag, link=(), base=None, build=None) -> FunctionResult:
        s = self.settings
        checker = Checker(source, arch, opt, name, examples=s.examples, random_inputs=s.inputs, seed=s.seed,
                          filename=path, cflags=cflags, link=list(link), unit_build=build)
        if base is not None and checker.reference_asm != base:
            return FunctionResult(name, "ncc.changed", "gcc compiles the unit differently from when its object "
                                  "was made (a header changed?): its object is gcc's")
        if checker.unsupported and s.mode != "neural":
            return FunctionResult(name, "unsupported", checker.unsupported, elsewhere=checker.calls_elsewhere or "")
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
        repair = samples[0].repair if samples and s.repair else None
        if repair is not None and best is not None:
            # the checker judged the function inside gcc's unit: its verdict's line is not the translation's
            verdict, calls = Verdict(best.category, best.message), 0
            while calls < s.repair and (asm := repair.next(verdict)) is not None:
                fr = self.verify(checker, asm, name, arch, tag)
                calls += 1
                fr.samples = len(samples) + calls
                if fr.verified:
                    return fr
                verdict = Verdict(fr.category, fr.message)
        return best or FunctionResult(name, "ncc.no_translation", "the translator returned no sample")

    def verify(self, checker: Checker, asm: str, name: str, arch: str, tag: str) -> FunctionResult:
        """Check the candidate in place: gcc's unit (the checker's reference) with only `name` replaced."""
        candidate = replace_function(checker.reference_asm, asm, name, arch, tag)
        # the verifier runs only what `name` reaches; a helper the candidate brings and never calls
        # would be linked without being run (its symbols are renamed `helper.<tag>`)
        unrun = sorted(f for f in unreachable_functions(candidate, name, arch) if f.endswith("." + tag))
        if unrun:
            return FunctionResult(name, "asm.forbidden", f"defines {', '.join(unrun)}, which {name} never "
                                  "reaches: it would be linked without being run")
        verdict = checker.check(candidate)
        fr = FunctionResult(name, verdict.category, verdict.message, asm)
        if verdict.category == "pass":
            try:
                image = checker.build(candidate).image  # what the verifier ran: the part `name` reaches
                bad = encoding_mismatches(checker.runnable(candidate), image, name)
            except (AsmError, GnuAsError) as err:
                return FunctionResult(name, "asm.encoding", f"GNU as cannot build what keystone ran: {err}", asm)
            if bad:
                return FunctionResult(name, "asm.encoding", f"keystone and GNU as disagree on {len(bad)} "
                                      f"line(s), first: {bad[0]}", asm)
            fr.verified = True
        elif verdict.family in ("asm", "symbol"):
            fr.asm = None  # it does not even assemble: nothing to use, even in neural mode
        return fr
