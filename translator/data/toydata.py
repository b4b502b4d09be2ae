"""A tiny labelled corpus made here (random int functions + gcc), in the corpora record format.

For tests and smoke runs only; real training data comes from `neuralcc.corpora`."""
from __future__ import annotations

import gzip
import json
import random
import re
import subprocess
import tempfile
from pathlib import Path

from ..back.asmtext import lines_from_loc

GCC = {
    "x86-64": ["gcc", "-fcf-protection=none"],
    "aarch64": ["aarch64-linux-gnu-gcc"],
}
COMMON = ["-S", "-g", "-fno-asynchronous-unwind-tables", "-fno-stack-protector", "-o", "-"]


TYPES = ["int", "int", "int", "unsigned", "long", "unsigned long", "short", "char"]
BINOPS = ["+", "-", "*", "&", "|", "^", "+", "-", "<<", ">>"]
CMPS = ["<", ">", "<=", ">=", "==", "!="]


def random_function(rng: random.Random, name: str) -> str:
    """A random int-ish function: scalars, an array (pointer + n), if/else, loops."""
    ret = rng.choice(TYPES[:5])
    scal = [(rng.choice(TYPES), p) for p in ["a", "b", "c", "d"][: rng.randint(1, 3)]]
    arr = rng.random() < 0.4
    params = [f"{t} {p}" for t, p in scal]
    if arr:
        params = [f"{rng.choice(TYPES[:5])} *arr", "int n"] + params
    vars_ = [p for _, p in scal] + (["n"] if arr else [])
    body: list[str] = []
    depth = [1]

    def atom() -> str:
        r = rng.random()
        if r < 0.2:
            return str(rng.choice([0, 1, 2, 3, 4, 5, 7, 8, 10, 16, 31, 100, 255, 1000, rng.randint(0, 99999)]))
        if arr and r < 0.3:
            return f"arr[{rng.choice(vars_ + ['0', '1'])} % n]" if "i" not in vars_ else "arr[i]"
        return rng.choice(vars_)

    def expr(d: int = 0) -> str:
        r = rng.random()
        if d > 1 or r < 0.3:
            return atom()
        if r < 0.85:
            op = rng.choice(BINOPS)
            right = str(rng.randint(1, 7)) if op in ("<<", ">>") else expr(d + 1)
            return f"{expr(d + 1)} {op} {right}"
        if r < 0.93:
            return f"({expr(d + 1)}) {rng.choice(['/', '%'])} {rng.choice([2, 3, 4, 7, 10, 16])}"
        return f"{atom()} {rng.choice(CMPS)} {atom()} ? {atom()} : {atom()}"

    def cond() -> str:
        return f"{atom()} {rng.choice(CMPS)} {atom()}"

    def emit(line: str) -> None:
        body.append("    " * depth[0] + line)

    def stmt(level: int) -> None:
        r = rng.random()
        if level == 0 and (r < 0.3 or len(vars_) < 2):
            v = f"v{len(body)}"
            emit(f"{rng.choice(TYPES[:5])} {v} = {expr()};")
            vars_.append(v)
        elif r < 0.5 or len(vars_) < 2:
            emit(f"{rng.choice(vars_)} {rng.choice(['=', '+=', '-=', '^=', '|=', '*='])} {expr()};")
        elif r < 0.65 and level < 2:
            emit(f"if ({cond()}) {{")
            depth[0] += 1
            for _ in range(rng.randint(1, 2)):
                stmt(level + 1)
            depth[0] -= 1
            if rng.random() < 0.4:
                emit("} else {")
                depth[0] += 1
                stmt(level + 1)
                depth[0] -= 1
            emit("}")
        elif r < 0.8 and level < 2 and "i" not in vars_:
            bound = "n" if arr else str(rng.randint(2, 10))
            emit(f"for (int i = 0; i < {bound}; i++) {{")
            depth[0] += 1
            vars_.append("i")
            for _ in range(rng.randint(1, 2)):
                stmt(level + 1)
            vars_.remove("i")
            depth[0] -= 1
            emit("}")
        elif r < 0.88 and level < 2:
            v = rng.choice(vars_)
            emit(f"while ({v} > {rng.randint(0, 50)}) {{")
            depth[0] += 1
            emit(f"{v} = {v} {rng.choice(['/', '>>', '-'])} {rng.randint(2, 4)};")
            depth[0] -= 1
            emit("}")
        elif arr and r < 0.95:
            emit(f"arr[{rng.choice(vars_)} % n] = {expr()};")
        else:
            emit(f"{rng.choice(vars_)}++;")

    for _ in range(rng.randint(1, 6)):
        stmt(0)
    emit(f"return {expr()};")
    return f"{ret} {name}({', '.join(params)}) {{\n" + "\n".join(body) + "\n}\n"


def label_many(sources: list[str], names: list[str], arch: str, opt: str) -> list[tuple[str, list]]:
    """Compile many functions in one unit (fast), split per function, line numbers made
    relative to each function's own source."""
    unit, starts, line = [], [], 1
    for src in sources:
        starts.append(line)
        unit.append(src)
        line += src.count("\n")
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write("".join(unit))
    try:
        asm = subprocess.run(
            GCC[arch] + [f"-{opt}", "-fno-inline", "-fno-ipa-icf"] + COMMON + [f.name], check=True,
            capture_output=True, text=True,
        ).stdout
    finally:
        Path(f.name).unlink()
    text, nums = lines_from_loc(asm)
    rows = list(zip(text.split("\n"), nums))
    out = []
    for name, start in zip(names, starts):
        i = next(k for k, (t, _) in enumerate(rows) if re.match(rf"\t\.globa?l\t{name}$", t))
        while i > 0 and rows[i - 1][0].strip() in (".text", ".align\t2", ".arch armv8-a") or (
                i > 0 and rows[i - 1][0].startswith("\t.p2align")):
            i -= 1
        j = next(k for k, (t, _) in enumerate(rows) if k > i and t.startswith(f"\t.size\t{name},"))
        seg = rows[i : j + 1]
        head = ["\t.text"] if arch == "x86-64" else ["\t.arch armv8-a", "\t.text"]
        body = [t for t, _ in seg if t.strip() not in (".text", ".arch armv8-a")]
        nl = [None] * len(head) + [None if n is None else n - start + 1 for t, n in seg
                                    if t.strip() not in (".text", ".arch armv8-a")]
        out.append(("\n".join(head + body) + "\n", nl + [None]))
    return out


def make_records_fast(n: int, seed: int = 0, opts=("O0",), per_unit: int = 200) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for base in range(0, n, per_unit):
        k = min(per_unit, n - base)
        names = [f"f{seed}_{base + i}" for i in range(k)]
        shown = [rng.choice(["fn", "kernel", "calc", "sum", "mix", "step", "f", "g", "h", "compute"]) for _ in names]
        srcs = [random_function(rng, nm) for nm in names]
        recs = [{"uri": f"toy:{seed}:{base + i}", "entry": shown[i], "source": srcs[i].replace(names[i], shown[i]),
                 "features": [], "asm": {a: {} for a in GCC}, "lines": {a: {} for a in GCC}} for i in range(k)]
        for arch in GCC:
            for opt in opts:
                for rec, nm, (asm, nl) in zip(recs, names, label_many(srcs, names, arch, opt)):
                    rec["asm"][arch][opt] = asm.replace(nm, rec["entry"])
                    rec["lines"][arch][opt] = nl
        out.extend(recs)
    return out


def label(source: str, arch: str, opt: str) -> tuple[str, list]:
    with tempfile.NamedTemporaryFile("w", suffix=".c", delete=False) as f:
        f.write(source)
    try:
        asm = subprocess.run(
            GCC[arch] + [f"-{opt}"] + COMMON + [f.name], check=True, capture_output=True, text=True
        ).stdout
    finally:
        Path(f.name).unlink()
    return lines_from_loc(asm)


def make_records(n: int, seed: int = 0, opts=("O0",)) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        name = f"fn{rng.randint(0, 999)}"
        src = random_function(rng, name)
        rec = {"uri": f"toy:{seed}:{i}", "entry": name, "source": src, "features": [], "asm": {}, "lines": {}}
        for arch in GCC:
            rec["asm"][arch], rec["lines"][arch] = {}, {}
            for opt in opts:
                rec["asm"][arch][opt], rec["lines"][arch][opt] = label(src, arch, opt)
        out.append(rec)
    return out


def write_shard(records: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "wt") as f:
        for r in records:
            f.write(json.dumps(r) + "\n")
    return path


if __name__ == "__main__":
    import sys

    out = Path(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 300
    write_shard(make_records(n, seed=int(sys.argv[3]) if len(sys.argv) > 3 else 0), out / "toy-000.jsonl")
