"""Contamination control: exact and MinHash near-duplicate matching on normalised C tokens.

Tokens: a small C lexer; comments dropped; identifiers that are not keywords, type names or libc calls
become ID0, ID1, ... in order of first use, so a renamed copy is an exact duplicate and a lightly edited
copy is a near duplicate (Jaccard of token 4-gram shingles, estimated with 128 MinHash permutations).
"""
from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass, field

import numpy as np

_TOKEN = re.compile(
    r"//[^\n]*|/\*.*?\*/|#[^\n]*|\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'|"
    r"0[xX][0-9a-fA-F]+[uUlL]*|\d+\.?\d*(?:[eE][-+]?\d+)?[fFuUlL]*|\.\d+(?:[eE][-+]?\d+)?[fF]?|"
    r"[A-Za-z_]\w*|->|\+\+|--|<<=|>>=|<=|>=|==|!=|&&|\|\||[-+*/%&|^]=|<<|>>|\S", re.S)

KEEP_WORDS = set("""
auto break case char const continue default do double else enum extern float for goto if inline int long
register restrict return short signed sizeof static struct switch typedef union unsigned void volatile while
size_t int8_t int16_t int32_t int64_t uint8_t uint16_t uint32_t uint64_t bool true false NULL
memcpy memset memmove strlen strcmp strncmp strcpy strncpy strcat strchr malloc calloc realloc free abs labs
fabs fabsf sqrt sqrtf floor ceil pow exp log sin cos fmin fmax isdigit isalpha isspace isupper islower
toupper tolower printf sprintf assert
""".split())

NUM_PERM = 128
SHINGLE = 4
NEAR_DUP_THRESHOLD = 0.7

_rng = np.random.default_rng(20240601)
_A = (_rng.integers(1, 2**63 - 1, NUM_PERM, dtype=np.uint64) | np.uint64(1))
_B = _rng.integers(0, 2**63 - 1, NUM_PERM, dtype=np.uint64)


def tokens(source: str) -> list[str]:
    """Normalised tokens: no comments or preprocessor lines, identifiers renamed by first use."""
    out: list[str] = []
    names: dict[str, str] = {}
    for tok in _TOKEN.findall(source):
        if tok.startswith(("//", "/*", "#")):
            continue
        if tok[0].isalpha() or tok[0] == "_":
            if tok not in KEEP_WORDS:
                tok = names.setdefault(tok, f"ID{len(names)}")
        out.append(tok)
    return out


def exact_key(source: str) -> str:
    return hashlib.sha256(" ".join(tokens(source)).encode()).hexdigest()


def signature(source: str) -> np.ndarray:
    toks = tokens(source)
    if len(toks) < SHINGLE:
        toks = toks + ["<pad>"] * (SHINGLE - len(toks))
    sh = {zlib.crc32("\x1f".join(toks[i:i + SHINGLE]).encode()) for i in range(len(toks) - SHINGLE + 1)}
    h = np.fromiter(sh, dtype=np.uint64, count=len(sh))
    # (a*h + b) mod 2^64, high 32 bits, minimum over shingles: one value per permutation
    with np.errstate(over="ignore"):
        vals = (np.outer(h, _A) + _B) >> np.uint64(32)
    return vals.min(axis=0).astype(np.uint32)


def jaccard_estimate(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.mean(a == b))


@dataclass
class EvalIndex:
    """Signatures of every evaluation function, to test training candidates against."""
    uris: list[str] = field(default_factory=list)
    exact: dict[str, str] = field(default_factory=dict)  # exact key -> uri
    sigs: np.ndarray | None = None

    @classmethod
    def build(cls, items: list[tuple[str, str]]) -> "EvalIndex":
        """items: (uri, source)."""
        idx = cls()
        sigs = []
        for uri, src in items:
            idx.uris.append(uri)
            idx.exact.setdefault(exact_key(src), uri)
            sigs.append(signature(src))
        idx.sigs = np.stack(sigs) if sigs else np.zeros((0, NUM_PERM), dtype=np.uint32)
        return idx

    def match(self, source: str, threshold: float = NEAR_DUP_THRESHOLD) -> tuple[str, str, float] | None:
        """('exact'|'near', eval uri, similarity) if source duplicates an evaluation function."""
        key = exact_key(source)
        if key in self.exact:
            return "exact", self.exact[key], 1.0
        if self.sigs is None or len(self.sigs) == 0:
            return None
        sims = (self.sigs == signature(source)[None, :]).mean(axis=1)
        best = int(np.argmax(sims))
        if sims[best] >= threshold:
            return "near", self.uris[best], float(sims[best])
        return None
