"""Translator latency: median greedy time per function on one core, and generated tokens/s.

    python bench/bench_translator.py [--model DIR] [--data DIR] [-n 20] [--arch x86-64] [--train-seconds 20]

Functions come from the held-out ("valid") split of --data (default: data/synthetic-v1,
then data/synthetic-v1-x86), else from a small generated set. With --train-seconds, also training
throughput (tokens/s) of the same model in fp32 and with bf16 autocast, side by side on the same
batches of "local" pieces (data/synthetic-v1-local, else pieces cut from the kernels). Reported per C length so the
"20-line function under 2 s" target can be read off directly.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]


def load_functions(data: str | None, n: int, arch: str) -> list[dict]:
    from neuralcc.translator.data import samples as D, toydata

    candidates = [Path(data)] if data else [ROOT / "data" / "synthetic-v1", ROOT / "data" / "synthetic-v1-x86"]
    for c in candidates:
        if c.exists():
            recs = [r for r in itertools.islice(D.iter_records([c], "valid"), 4 * n) if arch in r.get("asm", {})]
            if recs:
                return recs[:n]
    return toydata.make_records_fast(n, seed=99)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--data", default=None)
    ap.add_argument("-n", type=int, default=20)
    ap.add_argument("--arch", default="x86-64")
    ap.add_argument("--opt", default="O0")
    ap.add_argument("--memory-first", action="store_true",
                    help="pieces the translation memory holds come from it, the model writes the rest "
                         "(`--translator model+memory`, what ncc uses); default: the model writes every piece")
    ap.add_argument("--train-seconds", type=float, default=0.0,
                    help="also measure training tokens/s, fp32 vs bf16, this long each (0 = skip)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    from neuralcc.translator.front.csource import SourceError, find_functions
    from neuralcc.translator.neural.decode import DEFAULT_MODEL, DecodeOptions, NeuralTranslator

    tr = NeuralTranslator(args.model or DEFAULT_MODEL)
    opt = DecodeOptions(memory_first=args.memory_first)
    recs = load_functions(args.data, args.n, args.arch)
    rows = []
    t = time.perf_counter()
    tr.translate(recs[0]["source"], args.arch, args.opt, entry=recs[0]["entry"], opt=opt)  # warm-up
    first = time.perf_counter() - t  # includes reading the arch's translation memory, if the model has one
    for r in recs:
        f = {x.name: x for x in find_functions(r["source"])}.get(r["entry"])
        lines = sum(1 for l in r["source"].split("\n")[f.first_line - 1 : f.last_line] if l.strip()) if f else 0
        t = time.perf_counter()
        try:
            (out,) = tr.translate(r["source"], args.arch, args.opt, entry=r["entry"], opt=opt)
        except SourceError:
            continue
        dt = time.perf_counter() - t
        rows.append({"lines": lines, "seconds": dt, "tokens": out.new_tokens})
    secs = [x["seconds"] for x in rows]
    near20 = [x["seconds"] for x in rows if 17 <= x["lines"] <= 23]
    report = {
        "functions": len(rows),
        "arch": args.arch,
        "threads": 1,
        "median_s": round(statistics.median(secs), 3),
        "p90_s": round(sorted(secs)[int(0.9 * (len(secs) - 1))], 3),
        "tokens_per_s": round(sum(x["tokens"] for x in rows) / sum(secs), 1),
        "median_s_17_23_lines": round(statistics.median(near20), 3) if near20 else None,
        "first_translation_s": round(first, 3),
        "translation_memory": tr.memory is not None,
        "memory_first": args.memory_first,
    }
    if args.train_seconds:
        report["training"] = train_speed(tr, args.train_seconds)
    print(json.dumps(report))
    return 0


def _piece_samples(tok, style) -> list:
    import gzip

    from neuralcc.translator.data import localdata, samples as D

    shards = sorted((ROOT / "data" / "synthetic-v1-local").glob("*.jsonl.gz"))
    recs = []
    if shards:
        with gzip.open(shards[0], "rt") as fh:
            recs = [json.loads(l) for l in itertools.islice(fh, 200)]
    else:  # a fresh clone: the kernels, labelled here
        from neuralcc.corpora import load_benchmarks
        from neuralcc.corpora.label import label_single
        from neuralcc.translator.back import frame
        from neuralcc.translator.data import slotdata

        for b in load_benchmarks("benchmark://kernels-v0"):
            rec = {"uri": b.uri, "entry": b.entry, "source": b.source, "asm": {}, "lines": {}, "slots": True}
            for arch in ("x86-64", "aarch64"):
                lab = label_single(b.source, arch, "O0")
                rec["asm"][arch], rec["lines"][arch] = {"O0": lab.asm}, {"O0": lab.lines}
                maps = frame.slot_maps(slotdata.verbose_asm(b.source, arch), arch, b.source)
                rec["asm"][arch]["O0"], rec["lines"][arch]["O0"] = slotdata.symbolic_label(rec, arch, maps)
            out, _ = localdata.convert_record(rec)
            if out and out["pieces"]:
                recs.append(out)
    return [s for r in recs for a in ("x86-64", "aarch64")
            for s in [D.make_sample(tok, r, a, "O0", 640, 512, style)] if s]


def train_speed(tr, seconds: float, batch_tokens: int = 8000) -> dict:
    """Training steps of a copy of the model on the same batches, fp32 then bf16 autocast."""
    import copy

    from neuralcc.translator.data import samples as D
    from neuralcc.translator.neural.train import loss_on

    torch.set_num_threads(2)
    samples = _piece_samples(tr.tok, tr.style)
    batches, buf, n = [], [], 0
    for s in samples * 4:
        buf.append(s)
        n += s.n_tokens
        if n >= batch_tokens:
            batches.append(D.collate(buf, tr.tok.pad_token_id))
            buf, n = [], 0
    out = {}
    for name, bf16 in (("fp32", False), ("bf16", True)):
        model = copy.deepcopy(tr.model).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
        done, toks, t0 = 0, 0, time.perf_counter()
        while time.perf_counter() - t0 < seconds:
            b = batches[done % len(batches)]
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_on(model, b)
            loss.backward()
            opt.step()
            opt.zero_grad()
            done += 1
            toks += b.n_tokens
        out[f"{name}_tokens_per_s"] = round(toks / (time.perf_counter() - t0))
    out["bf16_speedup"] = round(out["bf16_tokens_per_s"] / out["fp32_tokens_per_s"], 2)
    return out


if __name__ == "__main__":
    sys.exit(main())
