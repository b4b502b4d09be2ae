"""Training throughput: tokens/s and held-out loss after a fixed number of steps, for each way of running
the same training step, side by side on the same batches from the same initial weights.

    python bench/bench_training.py [--steps 40] [--retrieval 2]

Variants: fp32 against bf16 autocast (this machine's cores have AVX-512 BF16), one thread against two,
and pieces grouped by length (neural.samples.collate: each group pads its own prompts and targets)
against one batch-wide block padded to the longest prompt. The pieces are the kernels' (labelled here,
both arches), each prompt followed by the memory's candidates of the other kernels (reading.py), as a
retrieval-reading model is trained. A variant that is faster but ends at a higher loss is not faster.
"""
from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time

import torch


def kernel_records() -> list[dict]:
    from neuralcc.corpora import load_benchmarks
    from neuralcc.corpora.label import label_single
    from neuralcc.translator.back import frame
    from neuralcc.translator.data import localdata, slotdata

    out = []
    for b in load_benchmarks("benchmark://kernels-v0"):
        rec = {"uri": b.uri, "entry": b.entry, "source": b.source, "asm": {}, "lines": {}, "slots": True}
        for arch in ("x86-64", "aarch64"):
            lab = label_single(b.source, arch, "O0")
            rec["asm"][arch], rec["lines"][arch] = {"O0": lab.asm}, {"O0": lab.lines}
            maps = frame.slot_maps(slotdata.verbose_asm(b.source, arch), arch, b.source)
            rec["asm"][arch]["O0"], rec["lines"][arch]["O0"] = slotdata.symbolic_label(rec, arch, maps)
        got, _ = localdata.convert_record(rec, params=True)
        if got and got["pieces"]:
            out.append(got)
    return out


def main(argv=None) -> int:
    from neuralcc.translator.data import records as R
    from neuralcc.translator.neural import samples as D
    from neuralcc.translator.memory.store import LeaveOneOut
    from neuralcc.translator.neural import model as M
    from neuralcc.translator.neural.train import build_tokenizer, loss_on
    from neuralcc.translator.prompts import PromptStyle

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=40, help="optimizer steps per variant")
    ap.add_argument("--retrieval", type=int, default=2, help="memory candidates after each prompt (0: none)")
    ap.add_argument("--batch-tokens", type=int, default=6000)
    args = ap.parse_args(argv)

    recs = kernel_records()
    random.Random(0).shuffle(recs)
    held, train = recs[:4], recs[4:]
    tok = build_tokenizer(train, 2048)
    style = PromptStyle(rename=True, types=True)
    archs = ("x86-64", "aarch64")
    builder = R.memory_from_records(train, archs, style)
    loo = LeaveOneOut([builder])
    memory = builder.freeze()
    k = args.retrieval
    cfg = M.ModelConfig()
    train_samples = [s for r in train for a in archs for s in [D.make_sample(
        tok, r, a, "O0", cfg.max_source_tokens, cfg.max_chunk_tokens, style,
        (lambda arch, pairs: loo.candidates(arch, pairs, k)) if k else None)] if s]
    held_samples = [s for r in held for a in archs for s in [D.make_sample(
        tok, r, a, "O0", cfg.max_source_tokens, cfg.max_chunk_tokens, style,
        D.memory_retrieval(memory, k) if k else None)] if s]

    def batches(group_tokens: int) -> list:
        out, buf, n = [], [], 0
        for s in train_samples * 8:
            buf.append(s)
            n += s.n_tokens
            if n >= args.batch_tokens:
                out.append(D.collate(buf, tok.pad_token_id, group_tokens))
                buf, n = [], 0
        return out

    grouped, block = batches(3072), batches(1 << 30)
    held_batch = D.collate(held_samples, tok.pad_token_id)
    init = M.build(cfg, tok)
    variants = [("fp32, 1 thread, grouped", False, 1, grouped), ("bf16, 1 thread, grouped", True, 1, grouped),
                ("bf16, 2 threads, grouped", True, 2, grouped), ("bf16, 1 thread, one block", True, 1, block)]
    rows = []
    for name, bf16, threads, bs in variants:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        model = copy.deepcopy(init).train()
        opt = torch.optim.AdamW(model.parameters(), lr=1e-3, betas=(0.9, 0.98))
        tokens, t0 = 0, time.perf_counter()
        for step in range(args.steps):
            b = bs[step % len(bs)]
            for g in opt.param_groups:
                g["lr"] = 1e-3 * min(1.0, (step + 1) / 10)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
                loss = loss_on(model, b)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            tokens += b.n_tokens
        seconds = time.perf_counter() - t0
        model.eval()
        with torch.no_grad():
            held_loss = float(loss_on(model, held_batch))
        rows.append({"variant": name, "tokens_per_s": round(tokens / seconds), "seconds": round(seconds, 1),
                     "held_out_loss": round(held_loss, 3)})
        print(json.dumps(rows[-1]), flush=True)
    base = rows[0]["tokens_per_s"]
    print(json.dumps({"steps": args.steps, "retrieval": k, "train_pieces": sum(len(s.srcs) for s in train_samples),
                      "speed_vs_fp32": {r["variant"]: round(r["tokens_per_s"] / base, 2) for r in rows}}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
