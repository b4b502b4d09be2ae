"""Benchmarks from every corpus, addressed by URI (see uris.py)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from neuralcc.cbase.csource import CFunction, find_functions

from .features import detect_features
from .jsonl import iter_jsonl, read_text
from .uris import URIError, humaneval_uri, kernel_uri, parse_uri, synthetic_uri

KERNELS_DIR = Path(__file__).resolve().parent / "kernels"
HUMANEVAL_FILE = "humaneval-decompile.jsonl"
HUMANEVAL_FIELDS = {"task_id": (int, str), "c_func": str, "c_test": (str, type(None))}
EXEBENCH_FIELDS = {"func_def": str, "fname": (str, type(None)), "synth_deps": (str, type(None)),
                   "real_deps": (str, type(None))}


@dataclass
class Benchmark:
    uri: str
    source: str  # a complete translation unit: includes, globals, helpers and the entry function
    entry: str
    test_source: str | None = None
    features: list[str] = field(default_factory=list)
    meta: dict = field(default_factory=dict)


class CorpusError(ValueError):
    """Bad input; the message is one line: `file:line: what is wrong` where a place is known."""


class CorpusMissing(CorpusError):
    """A corpus that lives outside the repository is absent."""


def default_shared_dir() -> Path:
    """<repo>/../shared/corpora, where the read-only real-world corpora live."""
    return Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


# ------------------------------------------------------------------ C function discovery
# ------------------------------------------------------------------ loaders
def load_humaneval(path: Path, item: str | None = None, limit: int | None = None) -> list[Benchmark]:
    if not path.is_file():
        raise CorpusMissing(f"{path}: humaneval-decompile corpus not found (pass shared_dir= or --shared-dir)")
    out = []
    for lineno, rec in iter_jsonl(path, HUMANEVAL_FIELDS, CorpusError):
        if item is not None and str(rec["task_id"]) != item:
            continue
        src = rec["c_func"]
        out.append(Benchmark(uri=humaneval_uri(rec["task_id"]), source=src, entry="func0",
                             test_source=rec.get("c_test"), features=detect_features(src),
                             meta={"task_id": rec["task_id"], "corpus": "humaneval-decompile-v0"}))
        if limit is not None and len(out) >= limit:
            break
    if item is not None and not out:
        raise CorpusError(f"{path}: no task {item}")
    return out


def load_c_file(path: Path, fn: str | None = None) -> list[Benchmark]:
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    text = read_text(path, CorpusError)
    funcs = find_functions(text, CorpusError)
    if fn is not None:
        funcs = [f for f in funcs if f.name == fn]
        if not funcs:
            raise CorpusError(f"{path}: no function named {fn!r}")
    else:
        # every function that is not a static helper of another (and never `main`)
        funcs = [f for f in funcs if not f.static and f.name != "main"] or [f for f in funcs if f.name != "main"]
    out = []
    for f in funcs:
        out.append(Benchmark(uri=f"file://{path.resolve()}#{f.name}", source=text, entry=f.name,
                             features=detect_features(text), meta={"path": str(path), "line": f.line,
                                                                    "annotations": annotations_of(text, f, path)}))
    return out


def annotation_lines(text: str, f: CFunction) -> list[str]:
    head = text[f.start:f.end].split("\n")
    return [ln.strip()[len("// ncc:"):].strip() for ln in head if ln.strip().startswith("// ncc:")]


def annotations_of(text: str, f: CFunction, path) -> dict:
    """The function's `// ncc:` annotations, parsed (same shape as the generator's)."""
    from .annotations import AnnotationError, parse_annotations

    try:
        return parse_annotations(annotation_lines(text, f))
    except AnnotationError as e:
        raise CorpusError(f"{path}:{f.line}: {e}") from None


def load_c_dir(path: Path, limit: int | None = None) -> list[Benchmark]:
    if not path.is_dir():
        raise CorpusError(f"{path}: no such directory")
    out: list[Benchmark] = []
    for p in sorted(path.glob("*.c")):
        out.extend(load_c_file(p))
        if limit is not None and len(out) >= limit:
            return out[:limit]
    return out


def load_kernels(item: str | None = None) -> list[Benchmark]:
    out = []
    for p in sorted(KERNELS_DIR.glob("*.c")):
        if item is not None and p.stem != item:
            continue
        text = p.read_text()
        funcs = [f for f in find_functions(text, CorpusError) if not f.static]
        if not funcs:
            raise CorpusError(f"{p}: no exported function")
        f = funcs[-1]
        out.append(Benchmark(uri=kernel_uri(p.stem), source=text, entry=f.name, features=detect_features(text),
                             meta={"path": str(p), "annotations": annotations_of(text, f, p), "corpus": "kernels-v0"}))
    if item is not None and not out:
        raise CorpusError(f"kernels-v0: no kernel named {item!r}")
    return out


def load_synthetic(seed: int, item: str | None, count: int | None, limit: int | None = None,
                   start: int = 0, live_only: bool = False) -> list[Benchmark]:
    """Functions of the seed's stream; live_only keeps those the build would keep (warning-free, no UB,
    outcome depends on every input), with their original indices (so URIs stay the same)."""
    from .generator import generate_function

    indices = [int(item)] if item is not None else range(start, start + (count if count is not None else 1000))
    gens = [generate_function(seed, i) for i in indices]
    if live_only:
        from .compile_check import filter_warnings
        from .ubcheck import check_functions

        gens, _ = filter_warnings(gens, progress=False)
        rep = check_functions(gens, progress=False)
        bad = set(rep.dropped) | set(rep.constant_output) | set(rep.return0_passes) | set(rep.dead_params)
        gens = [g for g in gens if g.name not in bad]
    out = []
    for g in gens:
        i = g.index
        out.append(Benchmark(uri=synthetic_uri(seed, i), source=g.source, entry=g.name,
                             features=g.features, meta={"seed": seed, "index": i, "corpus": "synthetic-v1",
                                                        "annotations": g.annotations}))
        if limit is not None and len(out) >= limit:
            break
    return out


def load_exebench(path: Path, line_no: int | None = None, limit: int | None = None) -> list[Benchmark]:
    """ExeBench-style JSONL: fname, func_def, func_head, synth_deps/real_deps, *_io_pairs."""
    if not path.is_file():
        raise CorpusError(f"{path}: no such file")
    out = []
    for lineno, rec in iter_jsonl(path, EXEBENCH_FIELDS, CorpusError):
        if line_no is not None and lineno != line_no:
            continue
        func_def = rec["func_def"]
        name = rec.get("fname")
        if not name:
            fs = find_functions(func_def, CorpusError)
            if not fs:
                raise CorpusError(f"{path}:{lineno}: no function definition in func_def")
            name = fs[-1].name
        deps = rec.get("synth_deps") or rec.get("real_deps") or ""
        includes = "#include <stddef.h>\n#include <stdint.h>\n#include <string.h>\n#include <stdlib.h>\n"
        src = includes + (deps + "\n" if deps else "") + func_def + "\n"
        meta = {"path": str(path), "line": lineno, "func_head": rec.get("func_head"),
                "io_pairs": rec.get("synth_io_pairs") or rec.get("real_io_pairs"),
                "corpus": "exebench"}
        out.append(Benchmark(uri=f"file://{path.resolve()}#{lineno}", source=src, entry=name,
                             features=detect_features(src), meta=meta))
        if limit is not None and len(out) >= limit:
            break
    if line_no is not None and not out:
        raise CorpusError(f"{path}: no line {line_no}")
    return out


def load_benchmarks(uri_or_path: str, shared_dir: str | Path | None = None,
                    limit: int | None = None) -> list[Benchmark]:
    """Benchmarks named by a URI or a path (see uris.py for the forms)."""
    try:
        u = parse_uri(uri_or_path)
    except URIError as e:
        raise CorpusError(str(e)) from None
    if u.scheme == "benchmark":
        if u.dataset == "humaneval-decompile-v0":
            base = Path(shared_dir) if shared_dir is not None else default_shared_dir()
            path = base / HUMANEVAL_FILE if base.is_dir() or not base.suffix else base
            return load_humaneval(path, u.item, limit)
        if u.dataset == "kernels-v0":
            return load_kernels(u.item)[:limit]
        count = int(u.params["count"]) if "count" in u.params else None
        start = int(u.params.get("start", 0))
        live = u.params.get("filter") == "live"
        return load_synthetic(u.seed, u.item, count, limit, start, live_only=live)
    path = Path(u.path)
    if u.scheme == "file" and (uri_or_path.endswith("/") or path.is_dir()):
        return load_c_dir(path, limit)
    if path.suffix in (".jsonl", ".json") or path.name.endswith(".jsonl.gz"):
        frag = int(u.fragment) if u.fragment and u.fragment.isdigit() else None
        return load_exebench(path, frag, limit)
    if path.is_dir():
        return load_c_dir(path, limit)
    return load_c_file(path, u.fragment)[:limit]
