"""The `// ncc:` annotation comments that state what the verifier cannot infer.

    // ncc: len(a)=n out(b) range(n)=0..64 string(s)
    int f(const int *a, int *b, int n, const char *s);

The comment stands before a function definition and applies to the next one.

    len(p)=EXPR      p points to EXPR elements: a parameter, an integer, or a product `rows*cols`
    out(p)           p's buffer is an output: zero-initialised, compared after the call
    range(x)=LO..HI  scalar parameter x is drawn from [LO, HI] (integers or floats)
    string(p)        char pointer p is a NUL-terminated string (the default for `const char *`)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import VerifierInputError

_LINE = re.compile(r"(?://|/\*)\s*ncc:(.*?)(?:\*/)?\s*$")
_DIRECTIVE = re.compile(r"(\w+)\(\s*(\w+)\s*\)(?:\s*=\s*([^\s;]+))?")
_KNOWN = {"len", "out", "range", "string"}


@dataclass
class Annotations:
    lengths: dict[str, str] = field(default_factory=dict)
    outputs: set[str] = field(default_factory=set)
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    strings: set[str] = field(default_factory=set)

    def merge(self, other: "Annotations") -> None:
        self.lengths.update(other.lengths)
        self.outputs |= other.outputs
        self.ranges.update(other.ranges)
        self.strings |= other.strings


def parse_line(text: str, where: str) -> Annotations:
    notes = Annotations()
    body = text.strip().rstrip(";")
    consumed = 0
    for m in _DIRECTIVE.finditer(body):
        key, arg, value = m.group(1), m.group(2), m.group(3)
        consumed += len(m.group(0))
        if key not in _KNOWN:
            raise VerifierInputError(f"{where}: unknown ncc annotation '{key}' (known: {', '.join(sorted(_KNOWN))})")
        if key == "len":
            if not value:
                raise VerifierInputError(f"{where}: len({arg}) needs '=EXPR'")
            notes.lengths[arg] = value
        elif key == "out":
            notes.outputs.add(arg)
        elif key == "string":
            notes.strings.add(arg)
        elif key == "range":
            parts = (value or "").split("..")
            try:
                lo, hi = (_number(p) for p in parts)
            except ValueError:
                raise VerifierInputError(f"{where}: range({arg}) must be '=LO..HI', got '{value}'") from None
            if lo > hi:
                raise VerifierInputError(f"{where}: range({arg}) is empty ({lo} > {hi})")
            notes.ranges[arg] = (lo, hi)
    leftover = re.sub(r"[\s;]", "", _DIRECTIVE.sub("", body))
    if leftover:
        raise VerifierInputError(f"{where}: cannot read ncc annotation near '{leftover[:30]}'")
    return notes


def _number(text: str) -> int | float:
    try:
        return int(text, 0)
    except ValueError:
        return float(text)


def find_annotations(source: str, filename: str = "<source>") -> list[tuple[int, Annotations]]:
    """(line number, annotations) for every `ncc:` comment line in the source."""
    found = []
    for lineno, line in enumerate(source.splitlines(), 1):
        m = _LINE.search(line)
        if m:
            found.append((lineno, parse_line(m.group(1), f"{filename}:{lineno}")))
    return found
