"""Reading JSONL (plain or gzip) with errors that name the file and line."""
from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Iterator


def iter_jsonl(path: Path, required: tuple[str, ...], error: type[Exception]) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every non-blank line; `error` when a line is not an object with `required`."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                raise error(f"{path}:{lineno}: malformed JSON ({e.msg})") from None
            if not isinstance(rec, dict) or any(k not in rec for k in required):
                raise error(f"{path}:{lineno}: expected field{'s' if len(required) > 1 else ''} "
                            f"{' and '.join(required)}")
            yield lineno, rec
