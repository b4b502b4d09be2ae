"""A tiny labelled corpus made here (random int functions + gcc), in the corpora record format.

For tests and smoke runs only; real training data comes from `neuralcc.corpora`."""
from __future__ import annotations

import gzip
import json
import random
import subprocess
import tempfile
from pathlib import Path

from .asmtext import lines_from_loc

GCC = {
    "x86-64": ["gcc", "-fcf-protection=none"],
    "aarch64": ["aarch64-linux-gnu-gcc"],
}
COMMON = ["-S", "-g", "-fno-asynchronous-unwind-tables", "-fno-stack-protector", "-o", "-"]


def random_function(rng: random.Random, name: str) -> str:
    params = ["a", "b", "c"][: rng.randint(1, 3)]
    vars_ = list(params)
    body = []
    ops = ["+", "-", "*", "&", "|", "^"]

    def expr() -> str:
        x, y = rng.choice(vars_), rng.choice(vars_ + [str(rng.randint(1, 20))])
        return f"{x} {rng.choice(ops)} {y}"

    for i in range(rng.randint(1, 5)):
        kind = rng.random()
        if kind < 0.4 or len(vars_) < 2:
            v = f"t{i}"
            body.append(f"    int {v} = {expr()};")
            vars_.append(v)
        elif kind < 0.6:
            body.append(f"    if ({rng.choice(vars_)} > {rng.randint(0, 9)})")
            body.append(f"        {rng.choice(vars_)} = {expr()};")
        elif kind < 0.8:
            v = rng.choice(vars_)
            body.append(f"    for (int i = 0; i < {rng.randint(2, 6)}; i++)")
            body.append(f"        {v} = {v} {rng.choice(ops)} i;")
        else:
            v = rng.choice(vars_)
            body.append(f"    {v} = {expr()};")
    body.append(f"    return {expr()};")
    sig = ", ".join(f"int {p}" for p in params)
    return f"int {name}({sig}) {{\n" + "\n".join(body) + "\n}\n"


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
