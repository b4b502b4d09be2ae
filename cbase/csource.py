"""Function definitions in C text, found without a preprocessor: where each starts and ends, for the
corpora's loaders and the translator's reading of a unit."""
from __future__ import annotations

import re
from dataclasses import dataclass


def _blank_comments_and_strings(text: str) -> str:
    """Same length as text, with comments, string/char literals and preprocessor lines blanked."""
    def blank(m: re.Match) -> str:
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r"//[^\n]*|/\*.*?\*/|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|^[ \t]*#[^\n]*",
                  blank, text, flags=re.S | re.M)


@dataclass
class CFunction:
    name: str
    start: int  # offset of the definition (including a preceding `// ncc:` annotation block)
    end: int  # offset after its closing brace
    body: int  # offset of its body's opening brace
    static: bool
    line: int  # 1-based line of `start`
    last_line: int  # line of the closing brace


def find_functions(text: str, error: type[Exception] = ValueError) -> list[CFunction]:
    """Top-level function definitions of a C file, by brace matching outside comments, literals and
    preprocessor lines (no preprocessor evaluation). `error`: raised for unbalanced braces."""
    clean = _blank_comments_and_strings(text)
    out: list[CFunction] = []
    depth = 0
    i = 0
    stmt_start = 0
    n = len(clean)
    while i < n:
        ch = clean[i]
        if ch == "{":
            if depth == 0:
                head = clean[stmt_start:i]
                m = re.search(r"\b([A-Za-z_]\w*)\s*\(([^()]|\([^()]*\))*\)\s*$", head)
                is_func = m is not None and not re.search(r"=\s*$|\b(struct|union|enum)\s+\w*\s*$", head)
                close = _match_brace(clean, i, error)
                if is_func and m.group(1) not in ("if", "for", "while", "switch", "return", "sizeof"):
                    start = stmt_start + len(head) - len(head.lstrip())
                    static = re.search(r"\bstatic\b", head[: m.start()]) is not None
                    start = _include_annotations(text, start)
                    out.append(CFunction(m.group(1), start, close + 1, i, static, text.count("\n", 0, start) + 1,
                                          text.count("\n", 0, close) + 1))
                i = close + 1
                stmt_start = i
                continue
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == ";" and depth == 0:
            stmt_start = i + 1
        i += 1
    return out


def _match_brace(clean: str, i: int, error: type[Exception]) -> int:
    depth = 0
    for j in range(i, len(clean)):
        if clean[j] == "{":
            depth += 1
        elif clean[j] == "}":
            depth -= 1
            if depth == 0:
                return j
    line = clean.count("\n", 0, i) + 1
    raise error(f"unbalanced braces from line {line}")


def _include_annotations(text: str, start: int) -> int:
    """Move start back over the `// ncc:` comment lines that annotate this function."""
    lines_before = text[:start].split("\n")
    # lines_before[-1] is the partial line where the definition starts
    k = len(lines_before) - 1
    while k > 0 and lines_before[k - 1].strip().startswith("// ncc:"):
        k -= 1
    return len("\n".join(lines_before[:k])) + (1 if k > 0 else 0) if k < len(lines_before) - 1 else start
