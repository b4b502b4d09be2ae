"""The `// ncc:` annotation syntax, parsed; and C signatures, enough to drive the sanitizer harness.

  // ncc: len(a)=n out(b) range(n)=0..64 string(s)
"""
from __future__ import annotations

import re

from .ctypes_model import ALL_INTS, CHAR, DOUBLE, FLOAT, CType, INT

_DIRECTIVE = re.compile(r"(len|out|range|string)\((\w+)\)(?:=(\S+))?")
_LEN_EXPR = re.compile(r"^(\w+)(\*\w+)*$")


class AnnotationError(ValueError):
    pass


def parse_annotations(lines: list[str]) -> dict:
    """{"len": {p: expr}, "out": [p], "range": {x: (lo, hi)}, "string": [p]} from `// ncc:` payloads."""
    ann: dict = {"len": {}, "out": [], "range": {}, "string": []}
    for line in lines:
        text = line.strip()
        if text.startswith("// ncc:"):
            text = text[len("// ncc:"):]
        for tok in text.split():
            m = _DIRECTIVE.fullmatch(tok)
            if not m:
                raise AnnotationError(f"bad annotation {tok!r}")
            kind, name, value = m.groups()
            if kind == "len":
                if not value or not _LEN_EXPR.match(value):
                    raise AnnotationError(f"bad length in {tok!r}: expected NAME, INT or A*B")
                ann["len"][name] = value
            elif kind == "range":
                lo, sep, hi = (value or "").partition("..")
                if not sep:
                    raise AnnotationError(f"bad range in {tok!r}: expected LO..HI")
                num = float if any(c in lo + hi for c in ".eE") and not (lo + hi).lstrip("-").isdigit() else int
                try:
                    ann["range"][name] = (num(lo), num(hi))
                except ValueError:
                    raise AnnotationError(f"bad range in {tok!r}") from None
            elif kind == "out":
                ann["out"].append(name)
            else:
                ann["string"].append(name)
    return ann


_TYPES: dict[str, CType] = {t.name: t for t in ALL_INTS + [FLOAT, DOUBLE]}
_TYPES.update({"char": CHAR, "int": INT, "unsigned int": _TYPES["unsigned"], "signed": INT,
               "short int": _TYPES["short"], "long int": _TYPES["long"], "unsigned long int": _TYPES["unsigned long"],
               "signed char": _TYPES["signed char"]})


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
            ctype = _TYPES.get(base)
            if ctype is None:
                raise AnnotationError(f"unsupported parameter type {base!r} in {entry}")
        params.append((name, ctype, pointer, const, tag))
    return ret, params
