"""Stable, versioned benchmark URIs (in the manner of CompilerGym's datasets).

  benchmark://humaneval-decompile-v0            all 164 tasks
  benchmark://humaneval-decompile-v0/12         task 12
  benchmark://synthetic-v1/seed=7/000123        function 123 of the seed-7 stream
  benchmark://synthetic-v1/seed=7?count=1000    functions 0..999 of the seed-7 stream
  benchmark://synthetic-v1/seed=7?count=1000&filter=live   ... only those the build would keep
  benchmark://kernels-v0                        the hand-written kernels (corpora/kernels/*.c)
  benchmark://kernels-v0/dot_product            one of them
  file:///path/x.c#fn                           function fn of a C file (all functions without #fn)
  file:///path/dir/                             every function of every .c file in a directory
  /path/to/exebench.jsonl[#N]                   ExeBench-style JSONL (line N, 1-based)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlparse

DATASETS = ("humaneval-decompile-v0", "synthetic-v1", "kernels-v0")


class URIError(ValueError):
    pass


@dataclass
class ParsedURI:
    scheme: str  # benchmark | file | path
    dataset: str | None = None
    item: str | None = None  # task id, kernel name, function index
    seed: int | None = None
    params: dict = field(default_factory=dict)
    path: str | None = None
    fragment: str | None = None


_SYN_ITEM = re.compile(r"^seed=(\d+)(?:/(\d+))?$")


def parse_uri(uri: str) -> ParsedURI:
    if uri.startswith("benchmark://"):
        u = urlparse(uri)
        dataset = u.netloc
        if dataset not in DATASETS:
            raise URIError(f"unknown dataset {dataset!r} in {uri!r}; known: {', '.join(DATASETS)}")
        rest = u.path.strip("/")
        params = {k: v[-1] for k, v in parse_qs(u.query).items()}
        if dataset == "synthetic-v1":
            m = _SYN_ITEM.match(rest)
            if not m:
                raise URIError(f"bad synthetic URI {uri!r}: expected benchmark://synthetic-v1/seed=N[/INDEX]")
            for key in ("count", "start"):
                if key in params and not params[key].isdigit():
                    raise URIError(f"bad {key} in {uri!r}: expected a non-negative integer")
            if params.get("filter", "live") != "live":
                raise URIError(f"bad filter in {uri!r}: only filter=live is known")
            return ParsedURI("benchmark", dataset, m.group(2), int(m.group(1)), params)
        if dataset == "humaneval-decompile-v0" and rest and not rest.isdigit():
            raise URIError(f"bad task id {rest!r} in {uri!r}: expected an integer")
        return ParsedURI("benchmark", dataset, rest or None, None, params)
    if uri.startswith("file://"):
        u = urlparse(uri)
        return ParsedURI("file", path=unquote(u.path), fragment=u.fragment or None)
    if "://" in uri:
        raise URIError(f"unsupported URI scheme in {uri!r}; use benchmark:// or file://")
    path, _, frag = uri.partition("#")
    return ParsedURI("path", path=path, fragment=frag or None)


def synthetic_uri(seed: int, index: int) -> str:
    return f"benchmark://synthetic-v1/seed={seed}/{index:06d}"


def humaneval_uri(task_id) -> str:
    return f"benchmark://humaneval-decompile-v0/{task_id}"


def kernel_uri(name: str) -> str:
    return f"benchmark://kernels-v0/{name}"
