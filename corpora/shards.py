"""Labelled pairs as gzip JSONL shards: `<dir>/<split>-<nnnnn>.jsonl.gz`, one record per source.

JSONL rather than HF datasets: no extra dependency, streamable line by line from any language, and a
record is readable with zcat. Record:
  {"uri", "entry", "source", "features", "split",
   "asm":   {"x86-64": {"O0": text, "O2": text}, "aarch64": {...}},
   "lines": {"x86-64": {"O0": [int|null per asm line], ...}, ...},
   "meta":  {...}}
"""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterable, Iterator

from .jsonl import iter_jsonl
from .splits import SPLITS


class ShardWriter:
    def __init__(self, out_dir: str | Path, records_per_shard: int = 10000):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.per = records_per_shard
        self.files: dict[str, gzip.GzipFile] = {}
        self.counts: dict[str, int] = {s: 0 for s in SPLITS}
        self.paths: dict[str, list[str]] = {s: [] for s in SPLITS}

    def write(self, record: dict) -> None:
        split = record["split"]
        n = self.counts[split]
        if n % self.per == 0:
            if split in self.files:
                self.files[split].close()
            path = self.out_dir / f"{split}-{n // self.per:05d}.jsonl.gz"
            self.files[split] = gzip.open(path, "wt", encoding="utf-8", compresslevel=6)
            self.paths[split].append(str(path))
        self.files[split].write(json.dumps(record, separators=(",", ":")) + "\n")
        self.counts[split] = n + 1

    def close(self) -> None:
        for f in self.files.values():
            f.close()
        self.files = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class ShardError(ValueError):
    """A malformed shard line: message is `file:line: what is wrong`."""


def shard_paths(path_or_dir: str | Path, split: str | None = "train") -> list[Path]:
    p = Path(path_or_dir)
    if p.is_file():
        return [p]
    if not p.is_dir():
        raise FileNotFoundError(f"{p}: no such file or directory")
    pattern = f"{split}-*.jsonl*" if split else "*.jsonl*"
    return sorted(p.glob(pattern))


def iter_pairs(path_or_dir: str | Path, split: str | None = "train") -> Iterator[dict]:
    """Records of one split (all splits with split=None) from a shard directory or a single shard."""
    for path in shard_paths(path_or_dir, split):
        for _, rec in iter_jsonl(path, {"source": str, "asm": dict}, ShardError):
            yield rec


def write_records(records: Iterable[dict], out_dir: str | Path, records_per_shard: int = 10000) -> dict:
    with ShardWriter(out_dir, records_per_shard) as w:
        for r in records:
            w.write(r)
    return {"counts": w.counts, "paths": w.paths}
