"""Train/valid/test assignment by a hash of the normalised source: stable across runs and machines."""
from __future__ import annotations

import hashlib
import re

SPLITS = ("train", "valid", "test")
# per-mille boundaries: 96% train, 2% valid, 2% test
_BOUNDS = (960, 980, 1000)

_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_WS = re.compile(r"\s+")


def normalize_source(source: str, entry: str | None = None) -> str:
    """Comments and layout removed; the entry's name (and its unit-private prefixes) made generic."""
    text = _COMMENT.sub(" ", source)
    if entry:
        text = re.sub(rf"\b{re.escape(entry)}(?=\b|_)", "ENTRY", text)
    return _WS.sub(" ", text).strip()


def source_hash(source: str, entry: str | None = None) -> str:
    return hashlib.sha256(normalize_source(source, entry).encode()).hexdigest()


def split_of(source: str, entry: str | None = None) -> str:
    bucket = int(source_hash(source, entry)[:8], 16) % 1000
    for name, bound in zip(SPLITS, _BOUNDS):
        if bucket < bound:
            return name
    return SPLITS[-1]
