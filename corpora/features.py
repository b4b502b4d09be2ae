"""Feature tags for C sources we did not generate (regex heuristics, good enough for coverage stats)."""
from __future__ import annotations

import re

from .dedup import tokens

_RULES = {
    "loops": r"\b(for|while)\b",
    "while": r"\bwhile\b",
    "do_while": r"\bdo\s*\{",
    "switch": r"\bswitch\b",
    "ternary": r"\?[^:]*:",
    "break": r"\bbreak\b",
    "continue": r"\bcontinue\b",
    "pointers": r"\*\s*\w+\s*[,)]|\[\s*\w*\s*\]|->",
    "floats": r"\b(float|double)\b",
    "float": r"\bfloat\b",
    "double": r"\bdouble\b",
    "structs": r"\bstruct\b",
    "strings": r"\bchar\s*\*|\"",
    "unsigned": r"\bunsigned\b|\buint\d+_t\b|\bsize_t\b",
    "stdint": r"\b[u]?int\d+_t\b",
    "char": r"\bchar\b|\b[u]?int8_t\b",
    "short": r"\bshort\b|\b[u]?int16_t\b",
    "int": r"\bint\b|\b[u]?int32_t\b",
    "long": r"\blong\b",
    "long long": r"\blong\s+long\b",
    "libc": r"\b(memcpy|memset|strlen|strcmp|malloc|calloc|free|sqrt|fabs|printf|abs|pow)\s*\(",
    "math": r"\b(sqrt|fabs|pow|exp|log|sin|cos|floor|ceil)f?\s*\(",
    "malloc": r"\b(malloc|calloc|realloc)\s*\(",
}


def detect_features(source: str, entry: str | None = None) -> list[str]:
    text = re.sub(r"//[^\n]*|/\*.*?\*/", " ", source, flags=re.S)
    text = re.sub(r"^\s*#[^\n]*", " ", text, flags=re.M)
    feats = {name for name, rx in _RULES.items() if re.search(rx, text)}
    nfuncs = len(re.findall(r"^[A-Za-z_][\w\s\*]*\b\w+\s*\([^;{]*\)\s*\{", text, flags=re.M))
    if nfuncs > 1:
        feats.add("calls")
    # a nested loop: a for/while inside another's body (rough: two loop keywords with open braces between)
    depth_loops = re.findall(r"\b(for|while)\b", text)
    if len(depth_loops) >= 2:
        feats.add("nested_loops")
    if re.search(r"^(?!\s)(?!typedef\b|struct\s+\w+\s*\{)(?:static\s+)?(?:const\s+)?[\w ]+?\b\w+(\[[^\]]*\])?\s*(=|;)",
                 text, flags=re.M):
        feats.add("globals")
    return sorted(feats)


def token_count(source: str) -> int:
    return len(tokens(source))
