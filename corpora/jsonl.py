"""Reading a user's files (JSONL, plain or gzip, and text) with errors that name the file and line."""
from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Iterator

# A record's schema: field -> the types its value may have; a field whose types include NoneType may be absent.
Fields = dict[str, type | tuple[type, ...]]

_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false", dict: "an object",
               list: "an array", type(None): "null"}


class NotText(ValueError):
    """Bytes that are not UTF-8: where (1-based line and column) and which byte."""

    def __init__(self, line: int, column: int, byte: int):
        self.line, self.column, self.byte = line, column, byte
        super().__init__(f"not UTF-8 text (byte 0x{byte:02x} at column {column})")


def decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        raise NotText(data.count(b"\n", 0, e.start) + 1, e.start - line_start + 1, data[e.start]) from None


def read_text(path: Path, error: type[Exception]) -> str:
    """A text file's contents with universal newlines, as Path.read_text gives them; `error` naming the file
    (and line) when it cannot be read or is not UTF-8."""
    try:
        return decode(Path(path).read_bytes()).replace("\r\n", "\n").replace("\r", "\n")
    except OSError as e:
        raise error(f"{path}: {e.strerror or e}") from None
    except NotText as e:
        raise error(f"{path}:{e.line}: {e}") from None


def _name(t: type) -> str:
    return _TYPE_NAMES.get(t, t.__name__)


def parse_record(raw: bytes, fields: Fields) -> dict:
    """One JSONL line as an object holding `fields`; ValueError saying what is wrong (the caller names the place)."""
    try:
        rec = json.loads(decode(raw))
    except json.JSONDecodeError as e:
        raise ValueError(f"malformed JSON ({e.msg})") from None
    required = [k for k, types in fields.items() if type(None) not in _tuple(types)]
    if not isinstance(rec, dict) or any(k not in rec for k in required):
        missing = [k for k in required if not isinstance(rec, dict) or k not in rec]
        got = "" if isinstance(rec, dict) else f", got {_name(type(rec))}"
        raise ValueError(f"expected an object with field{'s' if len(missing) > 1 else ''} "
                         f"{' and '.join(missing)}{got}")
    for k, types in fields.items():
        v = rec.get(k)
        # bool is an int to isinstance, but `"sample": true` is not a sample number
        if not isinstance(v, _tuple(types)) or (isinstance(v, bool) and bool not in _tuple(types)):
            want = " or ".join(_name(t) for t in _tuple(types) if t is not type(None))
            raise ValueError(f"field {k} is {_name(type(v))}, expected {want}")
    return rec


def _tuple(types) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def iter_jsonl(path: Path, fields: Fields, error: type[Exception]) -> Iterator[tuple[int, dict]]:
    """(line number, record) for every non-blank line; `error` naming the file and line when a line is not
    UTF-8, not JSON, or not an object holding `fields` with values of their types."""
    opener = gzip.open if path.suffix == ".gz" else open
    lineno = 0
    try:
        with opener(path, "rb") as f:
            for lineno, raw in enumerate(f, 1):
                if not raw.strip():
                    continue
                try:
                    rec = parse_record(raw, fields)
                except ValueError as e:
                    raise error(f"{path}:{lineno}: {e}") from None
                yield lineno, rec
    except (OSError, EOFError, zlib.error) as e:  # unreadable, or a .gz that is not gzip or is cut short
        where = f":{lineno + 1}" if lineno else ""
        raise error(f"{path}{where}: {getattr(e, 'strerror', None) or e}") from None
