"""The `// ncc:` annotations of a function as the corpora keep them (a dict in its meta), and C
signatures, enough to drive the sanitizer harness.

  // ncc: len(a)=n out(b) range(n)=0..64 string(s)
"""
from __future__ import annotations

import re

from neuralcc.cbase.annotations import AnnotationError, read_lines

from neuralcc.cbase.ctype import FloatType, IntType, base_type


def parse_annotations(lines: list[str]) -> dict:
    """{"len": {p: expr}, "out": [p], "range": {x: (lo, hi)}, "string": [p]} from `// ncc:` lines, read by
    the one grammar (cbase/annotations.py)."""
    return read_lines(lines).to_dict()


def parse_signature(source: str, entry: str):
    """(return type text, [(name, CType | None, pointer, const, struct tag)]) of `entry`'s definition."""
    m = re.search(rf"(^|\n)\s*((?:[\w\s\*]+?))\b{re.escape(entry)}\s*\(([^)]*)\)\s*\{{", source)
    if not m:
        raise AnnotationError(f"no definition of {entry}")
    ret = m.group(2).replace("static", "").strip()
    params = []
    for raw in m.group(3).split(","):
        raw = raw.strip()
        if not raw or raw == "void":
            continue
        pm = re.match(r"^(.*?)(\w+)\s*$", raw)
        if not pm:
            raise AnnotationError(f"cannot parse parameter {raw!r}")
        tytext, name = pm.group(1), pm.group(2)
        pointer = "*" in tytext or raw.endswith("]")
        const = re.search(r"\bconst\b", tytext) is not None
        base = re.sub(r"\bconst\b|\*", " ", tytext)
        base = " ".join(base.split())
        tag = None
        if base.startswith("struct "):
            tag = base.split()[1]
            ctype = None
        else:
            ctype = base_type(base.split(), char_signed=True)
            if not (isinstance(ctype, FloatType) or isinstance(ctype, IntType) and not ctype.is_bool):
                raise AnnotationError(f"unsupported parameter type {base!r} in {entry}")
        params.append((name, ctype, pointer, const, tag))
    return ret, params
