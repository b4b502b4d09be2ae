"""C source -> the text the encoder reads: one `<Ln>` marker per source line (n = the line
number gcc's .loc uses), the translated function's name replaced by `<FN>`."""
from __future__ import annotations

import re

from neuralcc.cbase.csource import find_functions

from ..back.asmtext import FN, MAX_LINE, replace_name

# string and character literals first, so a `//` or `/*` inside one is not taken for a comment
_COMMENT = re.compile(r'"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|/\*.*?\*/|//[^\n]*', re.S)


class SourceError(ValueError):
    """A C input the translator cannot handle (message is user-facing)."""


def _blank_comments(src: str, literals: bool = False) -> str:
    """Comments replaced by as many newlines (line numbers kept); with `literals`, the insides of string
    and character literals blanked too (brace matching must not see a "{" in a string)."""
    def blank(m: re.Match) -> str:
        t = m.group(0)
        if t[0] in "\"'":
            return t[0] + " " * (len(t) - 2) + t[-1] if literals else t
        return "\n" * t.count("\n") + " "

    return _COMMENT.sub(blank, src)


def encoder_text(src: str, entry: str, max_lines: int = MAX_LINE) -> str:
    """The unit without #include lines and comments, each kept line prefixed by `<Ln>`.

    Lines outside [1, max_lines] cannot be marked; if the entry function lies beyond,
    the input is rejected (it would be silently mis-aligned otherwise)."""
    funcs = {f.name: f for f in find_functions(src, SourceError)}
    if entry not in funcs:
        raise SourceError(f"no definition of function '{entry}'")
    f = funcs[entry]
    if f.last_line > max_lines:
        raise SourceError(f"function '{entry}' ends on line {f.last_line}; the model marks lines up to {max_lines}")
    clean = _blank_comments(src)
    parts = []
    for n, line in enumerate(clean.split("\n"), start=1):
        s = " ".join(line.split())
        if not s or s.startswith("#include"):
            continue
        if n > max_lines:
            break
        parts.append(f"<L{n}>{s}\n")
    return replace_name("".join(parts), entry, FN)
