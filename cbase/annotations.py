"""The `// ncc:` annotation comments that state what the verifier cannot infer.

    // ncc: len(a)=n out(b) range(n)=0..64 string(s)
    int f(const int *a, int *b, int n, const char *s);

The comment stands before a function definition and applies to the next one. This is the one grammar:
the verifier reads it to plan inputs, the corpora to check their functions for undefined behaviour.

    len(p)=EXPR      p points to EXPR elements: a parameter, an integer, or a product `rows*cols`
    out(p)           p's buffer is an output: made by the function, compared after the call
    range(x)=LO..HI  scalar parameter x is drawn from [LO, HI] (integers or floats)
    string(p)        char pointer p is a NUL-terminated string (the default for `const char *`)
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

LINE = re.compile(r"(?://|/\*)\s*ncc:(.*?)(?:\*/)?\s*$")
_DIRECTIVE = re.compile(r"(\w+)\(\s*(\w+)\s*\)(?:\s*=\s*([^\s;]+))?")
_LENGTH = re.compile(r"\w+(\*\w+)*")  # NAME, INT or a product A*B
_KNOWN = {"len", "out", "range", "string"}


class AnnotationError(ValueError):
    """An annotation that does not follow the grammar; the message names where."""


@dataclass
class Annotations:
    lengths: dict[str, str] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)  # in the order written, each once
    ranges: dict[str, tuple[float, float]] = field(default_factory=dict)
    strings: list[str] = field(default_factory=list)

    def merge(self, other: "Annotations") -> None:
        self.lengths.update(other.lengths)
        self.outputs += [p for p in other.outputs if p not in self.outputs]
        self.ranges.update(other.ranges)
        self.strings += [p for p in other.strings if p not in self.strings]

    def to_dict(self) -> dict:
        """{"len": {p: expr}, "out": [p], "range": {x: (lo, hi)}, "string": [p]}: the corpora's meta."""
        return {"len": dict(self.lengths), "out": list(self.outputs), "range": dict(self.ranges),
                "string": list(self.strings)}


def parse_line(text: str, where: str) -> Annotations:
    notes = Annotations()
    body = text.strip().rstrip(";")
    consumed = 0
    for m in _DIRECTIVE.finditer(body):
        key, arg, value = m.group(1), m.group(2), m.group(3)
        consumed += len(m.group(0))
        if key not in _KNOWN:
            raise AnnotationError(f"{where}: unknown ncc annotation '{key}' (known: {', '.join(sorted(_KNOWN))})")
        if key == "len":
            if not value or not _LENGTH.fullmatch(value):
                raise AnnotationError(f"{where}: len({arg}) needs '=NAME', '=INT' or '=A*B', got '{value or ''}'")
            notes.lengths[arg] = value
        elif key in ("out", "string"):
            names = notes.outputs if key == "out" else notes.strings
            if arg not in names:
                names.append(arg)
        elif key == "range":
            parts = (value or "").split("..")
            try:
                lo, hi = (_number(p) for p in parts)
            except ValueError:
                raise AnnotationError(f"{where}: range({arg}) must be '=LO..HI', got '{value}'") from None
            if lo > hi:
                raise AnnotationError(f"{where}: range({arg}) is empty ({lo} > {hi})")
            notes.ranges[arg] = (lo, hi)
    leftover = re.sub(r"[\s;]", "", _DIRECTIVE.sub("", body))
    if leftover:
        raise AnnotationError(f"{where}: cannot read ncc annotation near '{leftover[:30]}'")
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
        m = LINE.search(line)
        if m:
            found.append((lineno, parse_line(m.group(1), f"{filename}:{lineno}")))
    return found


def read_lines(lines: list[str], where: str = "annotation") -> Annotations:
    """The annotations of some `// ncc:` lines (or of their payloads alone), merged."""
    notes = Annotations()
    for line in lines:
        m = LINE.search(line)
        notes.merge(parse_line(m.group(1) if m else line, where))
    return notes
