"""Translators are plug-ins behind one small interface: given a benchmark, write n assembly samples.

    gcc            the oracle: gcc's own assembly (must score 100%: a check of the harness itself)
    return0        a trivial baseline: returns 0 (0.0 for floats) and writes nothing
    arg0           a trivial baseline: returns its first argument
    mutant         gcc's assembly with one injected fault per sample (the report must name it)
    model[:DIR]    a local seq2seq checkpoint (default: the shipped model)
    memory[:DIR]   the translation memory saved beside that model, no model: a nearest-neighbour baseline
    model+memory[:DIR]  the model, with pieces whose prompt the memory holds taken from the memory
    file:PATH      assembly produced elsewhere: a JSONL of {benchmark, arch, opt, sample, asm}
                   or a directory laid out as ARCH/OPT/NAME/SAMPLE.s
    http:URL       an OpenAI-compatible chat/completions endpoint (vLLM, llama.cpp server, hosted APIs)
"""
from __future__ import annotations

import hashlib
import json
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from neuralcc.cbase.toolchain import char_signed


@dataclass
class Sample:
    asm: str
    seconds: float = 0.0
    tokens_in: int | None = None
    tokens_out: int | None = None
    error: str | None = None  # the translator could not produce this sample
    refused: str | None = None  # ... because it does not read this construct (SourceError.construct)
    injected: str | None = None  # mutant translator: the fault put in
    notes: list[str] = field(default_factory=list)  # e.g. truncation reports
    repair: object | None = None  # translator.repair.Repair of this sample: its guess and check, if it has one


class TranslatorError(Exception):
    """A translator cannot be set up (bad spec, missing model, unreadable file)."""


class Translator:
    name = "translator"

    def describe(self) -> dict:
        return {"name": self.name}

    def translate(self, bench, arch: str, opt: str, n: int, seed: int) -> list[Sample]:
        raise NotImplementedError


class Gcc(Translator):
    """gcc's own assembly: at the requested level, or always at `opt` (`gcc:O0`: other code, same meaning)."""
    name = "gcc"

    def __init__(self, opt: str | None = None):
        self.opt = opt

    def describe(self) -> dict:
        return {"name": self.name, "opt": self.opt}

    def translate(self, bench, arch, opt, n, seed):
        from neuralcc.verifier.reference import compile_to_asm

        start = time.perf_counter()
        asm = compile_to_asm(bench.source, arch, self.opt or opt, bench.uri, extra=bench.meta.get("cflags"))
        return [Sample(asm, time.perf_counter() - start) for _ in range(n)]


BASELINES = {
    ("return0", "x86-64"): ["xorl %eax, %eax", "pxor %xmm0, %xmm0", "ret"],
    ("return0", "aarch64"): ["mov x0, #0", "fmov d0, xzr", "ret"],
    ("arg0", "x86-64"): ["movq %rdi, %rax", "ret"],  # a float first argument is already in xmm0
    ("arg0", "aarch64"): ["ret"],  # x0 and d0 already hold the first arguments
}


class Baseline(Translator):
    """Trivial translators, printed beside every accuracy figure so an inflated one is visible."""

    def __init__(self, name: str):
        self.name = name

    def translate(self, bench, arch, opt, n, seed):
        body = "".join(f"\t{line}\n" for line in BASELINES[self.name, arch])
        return [Sample(f"\t.text\n\t.globl {bench.entry}\n{bench.entry}:\n{body}") for _ in range(n)]


class Mutant(Translator):
    """gcc plus one injected fault per sample, the category chosen deterministically per sample."""
    name = "mutant"

    def translate(self, bench, arch, opt, n, seed):
        from neuralcc.verifier.mutate import MutationError, applicable, mutate, shape_of
        from neuralcc.verifier.reference import compile_to_asm
        from neuralcc.verifier.signature import parse_unit

        asm = compile_to_asm(bench.source, arch, opt, bench.uri)
        unit = parse_unit(bench.source, bench.uri, char_signed=char_signed(arch))
        shape = shape_of(unit.entry(bench.entry))
        cats = applicable(asm, arch, bench.entry, shape)
        out = []
        for i in range(n):
            key = hashlib.sha256(f"{bench.uri}|{arch}|{opt}|{seed + i}".encode()).digest()
            cat = cats[int.from_bytes(key[:4], "little") % len(cats)] if cats else None
            if cat is None:
                out.append(Sample(asm, error="no fault applies to this function"))
                continue
            try:
                out.append(Sample(mutate(asm, arch, cat, bench.entry, seed=seed + i, shape=shape), injected=cat))
            except MutationError as err:
                out.append(Sample(asm, error=str(err), injected=cat))
        return out


class Model(Translator):
    name = "model"
    model_writes = True  # False: no piece is the model's, and torch is never imported

    def __init__(self, model_dir: str | None = None, temperature: float = 0.8, threads: int | None = None):
        from neuralcc.translator.neural.decode import DEFAULT_MODEL

        self.model_dir = Path(model_dir) if model_dir else DEFAULT_MODEL
        if not (self.model_dir / "config.json").exists():
            raise TranslatorError(f"{self.model_dir}: no model here (config.json missing)")
        self.temperature, self.threads = temperature, threads
        self._translator = None
        self._sha256 = None

    def describe(self) -> dict:
        if self._sha256 is None:
            self._sha256 = model_sha256(self.model_dir)
        return {"name": self.name, "model_dir": str(self.model_dir), "model_sha256": self._sha256,
                "temperature": self.temperature}

    def options(self, n: int, seed: int):
        from neuralcc.translator.neural.decode import DecodeOptions

        return DecodeOptions(n=n, temperature=0.0 if n == 1 else self.temperature, seed=seed)

    def translate(self, bench, arch, opt, n, seed):
        from neuralcc.translator.front.csource import SourceError
        from neuralcc.translator.neural.decode import NeuralTranslator
        from neuralcc.translator.repair import Repair

        if self._translator is None:
            if self.threads and self.model_writes:
                import torch

                torch.set_num_threads(self.threads)
            self._translator = NeuralTranslator(self.model_dir)
        options = self.options(n, seed)
        start = time.perf_counter()
        try:
            outs = self._translator.translate(bench.source, arch, opt, bench.entry, options,
                                              cflags=bench.meta.get("cflags"))
        except SourceError as err:
            return [Sample("", error=str(err), refused=err.construct) for _ in range(n)]
        seconds = (time.perf_counter() - start) / max(len(outs), 1)
        samples = [Sample(t.asm, seconds, tokens_out=t.new_tokens, notes=[f"truncated: {x}" for x in t.truncated],
                          repair=Repair(t.draft)) for t in outs]
        while len(samples) < n:  # greedy decoding yields one sample; the rest are copies
            samples.append(samples[0])
        return samples


# A model directory's files that do not change what it writes: its documentation and a training
# checkpoint's optimizer state (translator/neural/train.py), which is large and would make every hash slow.
NOT_THE_MODEL = ("*.md", "trainer.pt")


def model_sha256(model_dir: Path) -> str:
    """The identity of a model directory: its weights, configuration, tokenizer and translation memory."""
    digest = hashlib.sha256()
    for path in sorted(model_dir.iterdir()):
        if path.is_file() and not any(path.match(p) for p in NOT_THE_MODEL):
            digest.update(path.name.encode() + b"\0")
            with path.open("rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    digest.update(chunk)
    return digest.hexdigest()


def has_memory(model_dir: str | Path | None) -> bool:
    """Whether a translation memory is saved beside a model (translator/memory/)."""
    from neuralcc.translator.neural.decode import DEFAULT_MODEL
    from neuralcc.translator.memory.store import PATTERN

    return any(Path(model_dir or DEFAULT_MODEL).glob(PATTERN))


def _require_memory(model_dir: Path) -> None:
    if not has_memory(model_dir):
        raise TranslatorError(f"{model_dir}: no translation memory here (memory-<arch>.json.gz)")


class MemoryBaseline(Model):
    """A nearest-neighbour baseline (translator/memory/): every piece is the nearest piece of gcc's
    in the translation memory saved beside a model (its training data's), no model. Beside the
    model's figure it shows what looking the pieces up would do."""
    name = "memory"
    model_writes = False

    def __init__(self, model_dir: str | None = None, threads: int | None = None):
        super().__init__(model_dir, 0.0, threads)
        _require_memory(self.model_dir)

    def options(self, n: int, seed: int):
        from neuralcc.translator.neural.decode import DecodeOptions

        return DecodeOptions(memory_only=True)


class ModelWithMemory(Model):
    """The model, with the pieces whose prompt the memory saved beside it holds taken from the memory
    (translator/memory/): what `NCC_TRANSLATOR=model+memory ncc` builds with. Every figure of it belongs beside
    the model's and the memory's own."""
    name = "model+memory"

    def __init__(self, model_dir: str | None = None, temperature: float = 0.8, threads: int | None = None):
        super().__init__(model_dir, temperature, threads)
        _require_memory(self.model_dir)

    def options(self, n: int, seed: int):
        from dataclasses import replace

        return replace(super().options(n, seed), memory_first=True)


class File(Translator):
    name = "file"
    FIELDS = {"benchmark": str, "arch": str, "opt": str, "sample": (int, type(None)), "asm": str}

    def __init__(self, path: str):
        from neuralcc.corpora.jsonl import iter_jsonl

        self.path = Path(path)
        if not self.path.exists():
            raise TranslatorError(f"{path}: no such file or directory")
        self.table: dict[tuple[str, str, str, int], str] = {}
        if self.path.is_file():
            for _, row in iter_jsonl(self.path, self.FIELDS, TranslatorError):
                self.table[row["benchmark"], row["arch"], row["opt"], row.get("sample") or 0] = row["asm"]

    def describe(self) -> dict:
        content = hashlib.sha256(self.path.read_bytes()).hexdigest() if self.path.is_file() else None
        return {"name": self.name, "path": str(self.path), "sha256": content}

    def translate(self, bench, arch, opt, n, seed):
        from neuralcc.corpora.jsonl import read_text

        out = []
        for i in range(n):
            if self.path.is_file():
                asm = self.table.get((bench.uri, arch, opt, i))
            else:
                f = self.path / arch / opt / safe_name(bench.uri) / f"{i}.s"
                asm = read_text(f, TranslatorError) if f.exists() else None
            out.append(Sample(asm) if asm is not None else Sample("", error="no assembly for this sample"))
        return out


class Http(Translator):
    """An OpenAI-compatible chat/completions endpoint; the prompt template is a file with
    {source} {entry} {arch} {opt} placeholders. The first fenced code block of the reply is the answer."""
    name = "http"

    def __init__(self, url: str, prompt_file: str | None, model: str = "default", temperature: float = 0.8,
                 timeout: float = 120.0, api_key: str | None = None):
        self.url = url.rstrip("/")
        if not self.url.endswith("/chat/completions"):
            self.url += "/v1/chat/completions" if not self.url.endswith("/v1") else "/chat/completions"
        if prompt_file is None:
            self.template = DEFAULT_PROMPT
        else:
            from neuralcc.corpora.jsonl import read_text

            p = Path(prompt_file)
            if not p.exists():
                raise TranslatorError(f"{prompt_file}: no such prompt template")
            self.template = read_text(p, TranslatorError)
        self.model, self.temperature, self.timeout, self.api_key = model, temperature, timeout, api_key

    def describe(self) -> dict:
        return {"name": self.name, "url": self.url, "model": self.model, "temperature": self.temperature,
                "prompt_sha256": hashlib.sha256(self.template.encode()).hexdigest()}

    def translate(self, bench, arch, opt, n, seed):
        prompt = self.template.format(source=bench.source, entry=bench.entry, arch=arch, opt=opt)
        out = []
        for i in range(n):
            body = {"model": self.model, "messages": [{"role": "user", "content": prompt}],
                    "temperature": 0.0 if n == 1 else self.temperature, "seed": seed + i}
            start = time.perf_counter()
            try:
                reply = self._post(body)
                text = reply["choices"][0]["message"]["content"]
                usage = reply.get("usage", {})
                out.append(Sample(extract_code(text), time.perf_counter() - start, usage.get("prompt_tokens"),
                                  usage.get("completion_tokens")))
            except (urllib.error.URLError, OSError, KeyError, IndexError, ValueError) as err:
                out.append(Sample("", time.perf_counter() - start, error=f"http: {err}"))
        return out

    def _post(self, body: dict) -> dict:
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        req = urllib.request.Request(self.url, json.dumps(body).encode(), headers)
        with urllib.request.urlopen(req, timeout=self.timeout) as resp:
            return json.loads(resp.read())


DEFAULT_PROMPT = """Translate this C function `{entry}` to {arch} assembly as gcc -{opt} would write it \
(GNU assembler syntax{att}). Answer with one fenced code block containing only the assembly.

```c
{source}
```
""".replace("{att}", ", AT&T for x86-64")


def extract_code(text: str) -> str:
    m = re.search(r"```[\w+-]*\n(.*?)```", text, re.S)
    return (m.group(1) if m else text).strip() + "\n"


def safe_name(uri: str) -> str:
    return re.sub(r"[^\w.=-]+", "_", uri.split("://", 1)[-1]).strip("_")


# What `neuralcc eval`, `make eval` and `ncc` use unless told otherwise: the translator that measures best
# with the shipped model directory. On humaneval-decompile (greedy, -O0, x86-64): the memory alone
# 45.7%, the model writing the pieces the memory has none for 42.7% (its pieces lose two functions the
# memory's empty pieces did not and win none), the model alone below both (README, "Results").
BEST_TRANSLATOR = "memory"
MODEL_KINDS = ("model", "memory", "model+memory")  # the translators made from one model directory


def make_translator(spec: str, prompt: str | None = None, model_name: str = "default",
                    temperature: float = 0.8, threads: int | None = None) -> Translator:
    kind, _, arg = spec.partition(":")
    if kind == "gcc":
        return Gcc(arg or None)
    if kind == "mutant":
        return Mutant()
    if kind in ("return0", "arg0"):
        return Baseline(kind)
    if kind == "model":
        return Model(arg or None, temperature, threads)
    if kind == "memory":
        return MemoryBaseline(arg or None, threads)
    if kind == "model+memory":
        return ModelWithMemory(arg or None, temperature, threads)
    if kind == "file":
        return File(arg)
    if kind in ("http", "https"):
        url = arg if arg.startswith(("http://", "https://")) else spec  # `http:http://host` or `http://host`
        return Http(url, prompt, model_name, temperature)
    if Path(spec).is_dir():
        return Model(spec, temperature, threads)
    raise TranslatorError(f"unknown translator '{spec}' (gcc[:OPT], mutant, return0, arg0, model[:DIR], memory[:DIR], "
                          f"model+memory[:DIR], file:PATH, http:URL)")
