"""Training, top to bottom: `neuralcc train --data DIR --out DIR [--init DIR] [--minutes M] [--steps N] [--resume]`.

Checkpoint layout (OUT/checkpoint/): HF model (safetensors) + tokenizer + trainer.pt
(optimizer, step, seconds trained, data position, RNG states). Validation lines go to OUT/log.jsonl.
"""
from __future__ import annotations

import json
import math
import random
import shutil
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from tqdm import tqdm
from transformers.modeling_outputs import BaseModelOutput

from ..data import records as R
from . import samples as D
from ..front.csource import SourceError
from ..memory.store import PATTERN as MEMORY_FILES, LeaveOneOut, load_if_any as load_memory
from ..prompts import PromptStyle
from . import asmgrammar, model as M, tokenizer as T
from .decode import DecodeOptions, NeuralTranslator


@dataclass
class TrainConfig:
    data: list
    out: str
    init: str | None = None
    resume: bool = False
    minutes: float = 0.0  # 0 = no time limit
    steps: int = 0  # 0 = no step limit
    archs: tuple = ("x86-64", "aarch64")
    opts: tuple = ("O0",)
    batch_tokens: int = 6000
    lr: float = 1e-3
    warmup_steps: int = 200
    weight_decay: float = 0.01
    ckpt_minutes: float = 5.0
    eval_minutes: float = 15.0
    eval_functions: int = 24  # per arch, translated greedily and compared with gcc's pieces
    eval_samples: int = 200  # for validation loss
    vocab_size: int = 2048
    tokenizer: str = "lexer"  # from scratch: tokenizer.KINDS ("byte-bpe": the measured alternative, tokenizer.py)
    seed: int = 0
    threads: int = 1
    max_records: int = 0  # 0 = all
    max_target_tokens: int = 0  # raise the model's cap on one decoded target (0 = keep the model's)
    rename: bool = True  # canonical variable names per piece (prompts.variable_names)
    types: bool = True  # one spelling per integer type in prompts (prompts.canonical_types)
    lower: bool | str = False  # the data's C is lowered to one operation per statement (front/lower.py,
    #                            data/lowerdata.py), "atoms": to three-address code (lowerdata --atoms); the
    #                            model's translations lower their input the same way
    position_heads: bool = True  # --init from a T5 without them: fix heads on their neighbours (model.py)
    bf16: bool = True  # autocast matmuls to bfloat16; weights stay fp32 (bench/bench_training.py measures it against fp32)
    retrieval: int = 0  # the memory's candidates read after each prompt (reading.py); 0: the prompt alone
    fill: list = field(default_factory=list)  # record dirs trained on whose pieces only fill the memory's
    #                                           missing keys (memory --fill): compile-only statements


def build_tokenizer(records: list[dict], vocab_size: int, kind: str = "lexer") -> "PreTrainedTokenizerFast":
    from ..back import asmtext

    rng = random.Random(0)
    pick = rng.sample(records, min(4000, len(records)))
    pick += [r for r in records if "aarch64" in r.get("asm", {})][:1000]  # both arches, whatever the mix

    def texts():
        for r in pick:
            for arch in r.get("pieces") or {}:  # prompts and targets
                for prompt, target in R.pieces_of(r, arch):
                    yield prompt.render()
                    yield target
            for arch, per in r.get("asm", {}).items():
                for opt, asm in per.items():
                    lines, _ = asmtext.clean_lines(asm)
                    yield "\n".join(asmtext.replace_name(t, r["entry"]) for t in lines) + "\n"

    return T.train_tokenizer(texts(), vocab_size, kind)


def ensure_special_tokens(tok, model) -> None:
    """--init from a foreign checkpoint: add our tags/markers and grow the embeddings."""
    missing = [t for t in T.SPECIAL if t not in tok.get_vocab()]
    if missing:
        tok.add_special_tokens({"additional_special_tokens": missing})
    if tok.pad_token is None:
        tok.add_special_tokens({"pad_token": T.PAD})
    if tok.eos_token is None:
        tok.add_special_tokens({"eos_token": T.EOS})
    if len(tok) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tok))
    if getattr(model.config, "decoder_start_token_id", None) is None:
        model.config.decoder_start_token_id = tok.pad_token_id


def loss_on(model, batch: D.Batch) -> torch.Tensor:
    """Cross-entropy per target token over all of the batch's groups, each group encoding its own
    inputs (samples.collate)."""
    encoder = model.get_encoder()
    total, n = 0.0, 0.0
    start = model.config.decoder_start_token_id
    pad = model.config.pad_token_id
    for labels, ids, m in batch.groups:
        h = encoder(input_ids=ids, attention_mask=m).last_hidden_state
        dec_in = torch.cat([torch.full_like(labels[:, :1], start), labels[:, :-1]], dim=1)
        dec_in = dec_in.masked_fill(dec_in == -100, pad)
        logits = model(encoder_outputs=BaseModelOutput(last_hidden_state=h), attention_mask=m,
                       decoder_input_ids=dec_in).logits
        ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
        wt = (labels != -100).float()
        total = total + (ce * wt).sum()
        n += float(wt.sum())
    return total / max(n, 1.0)


def prompt_format(config) -> tuple:
    """What decides a model's prompts: two models that agree here read the same prompts."""
    return tuple(getattr(config, f"neuralcc_{k}", False) or False for k in ("rename", "types", "lower", "params"))


def sample_stream(tok, records, cfg: TrainConfig, mcfg: M.ModelConfig, style: PromptStyle, epoch: int, skip: int,
                  stats: dict, retrieval_of=lambda i: None):
    """Samples in a seeded per-epoch order; `skip` samples already consumed (resume); `retrieval_of(i)`:
    make_sample's retrieval for record i."""
    pos = 0
    while True:
        order = list(range(len(records)))
        random.Random(cfg.seed * 1000 + epoch).shuffle(order)
        for i in order:
            for arch in cfg.archs:
                for opt in cfg.opts:
                    pos += 1
                    if pos <= skip:
                        continue
                    s = D.make_sample(tok, records[i], arch, opt, mcfg.max_source_tokens, mcfg.max_chunk_tokens,
                                      style, retrieval_of(i))
                    if s is None:
                        stats["skipped"] += 1
                        continue
                    yield epoch, pos, s
        epoch += 1
        pos, skip = 0, 0


def save_checkpoint(out: Path, model, tok, opt, state: dict) -> None:
    tmp = out / "checkpoint.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp)
    tok.save_pretrained(tmp)
    for path in out.glob(MEMORY_FILES):  # the translation memory, written once at the start
        shutil.copy(path, tmp / path.name)
    torch.save({"optimizer": opt.state_dict(), "state": state,
                "rng": {"torch": torch.get_rng_state(), "python": random.getstate()}}, tmp / "trainer.pt")
    final = out / "checkpoint"
    old = out / "checkpoint.old"
    shutil.rmtree(old, ignore_errors=True)
    if final.exists():
        final.rename(old)
    tmp.rename(final)
    shutil.rmtree(old, ignore_errors=True)


def lr_at(cfg: TrainConfig, step: int, seconds: float) -> float:
    if step < cfg.warmup_steps:
        return cfg.lr * (step + 1) / cfg.warmup_steps
    fracs = []
    if cfg.steps:
        fracs.append(step / cfg.steps)
    if cfg.minutes:
        fracs.append(seconds / (cfg.minutes * 60))
    frac = min(1.0, max(fracs)) if fracs else 0.0
    return cfg.lr * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def heldout_loss(model, tok, records, archs, opt: str, limit: int = 0, memory=None) -> tuple[float, int]:
    """Teacher-forced cross-entropy per target token over `records` (up to `limit` samples), and the
    number of target tokens. The model's own prompt style and length caps; a retrieval-reading model
    reads `memory`'s candidates."""
    mcfg, style = M.neuralcc_config(model.config), PromptStyle.of(model.config)
    k = getattr(model.config, "neuralcc_retrieval", 0) or 0
    retrieval = D.memory_retrieval(memory, k) if k and memory is not None else None
    samples = []
    for r in records:
        for arch in archs:
            s = D.make_sample(tok, r, arch, opt, mcfg.max_source_tokens, mcfg.max_chunk_tokens, style, retrieval)
            if s:
                samples.append(s)
        if limit and len(samples) >= limit:
            break
    tot, n = 0.0, 0
    with torch.no_grad():
        for i in range(0, len(samples), 8):
            b = D.collate(samples[i : i + 8], tok.pad_token_id)
            k = b.n_target_tokens
            tot += float(loss_on(model, b)) * k
            n += k
    return tot / max(n, 1), n


def pieces_exact(tr: NeuralTranslator, records: list[dict], arch: str, opt: str) -> dict:
    """Greedy translations of `records` (data/localdata.py records) against gcc's pieces, without the verifier
    (pass rates are the harness's, `neuralcc eval`): the pieces written exactly as gcc writes them, in
    all, by role, and by how near the translation memory's piece for the prompt was (memory.store.LEVELS;
    "none": nothing near), so a piece the model could have seen is told from one nobody wrote before."""
    out = {"n": len(records), "errors": 0, "truncated": 0}
    n = exact = by_memory_exact = 0
    by_role: dict = {}
    by_memory: dict = {}  # level -> [pieces, the model's exact, the memory's exact]
    for rec in records:
        try:
            (t,) = tr.translate(rec["source"], arch, opt, entry=rec["entry"], opt=DecodeOptions())
        except SourceError:
            out["errors"] += 1
            continue
        out["truncated"] += bool(t.truncated)
        gold = dict(R.pieces_of(rec, arch))
        for (prompt, text), level, answer in zip(t.pieces, t.memory_levels, t.memory_answers):
            if prompt in gold:
                ok, memory_ok = text == gold[prompt], answer == gold[prompt]
                n, exact, by_memory_exact = n + 1, exact + ok, by_memory_exact + memory_ok
                row = by_role.setdefault(prompt.role, [0, 0])
                row[0], row[1] = row[0] + 1, row[1] + ok
                row = by_memory.setdefault(level or "none", [0, 0, 0])
                row[0], row[1], row[2] = row[0] + 1, row[1] + ok, row[2] + memory_ok
    if n:
        out["n_pieces"] = n
        out["pieces_exact"] = round(exact / n, 3)
        out["memory_pieces_exact"] = round(by_memory_exact / n, 3)  # the memory alone, on the same pieces
        out["pieces_exact_by_role"] = {r: f"{e}/{k}" for r, (k, e) in sorted(by_role.items())}
        # per level the memory holds the piece at ("none": nowhere): the model's exact pieces beside the memory's
        out["pieces_exact_by_memory"] = {lv: {"pieces": k, "model": e, "memory": m}
                                         for lv, (k, e, m) in sorted(by_memory.items())}
    return out


def validate(model, tok, val_records, cfg: TrainConfig, memory=None) -> dict:
    """Held-out loss, and the exactness of the greedy pieces of `cfg.eval_functions` held-out functions
    per arch (`memory`: the one saved beside the model, for the split by memory level)."""
    model.eval()
    res = {"val_loss": heldout_loss(model, tok, val_records, cfg.archs, cfg.opts[0], cfg.eval_samples, memory)[0]}
    tr = NeuralTranslator(model=model, tok=tok, memory=memory)
    for arch in cfg.archs:
        recs = [r for r in val_records if (r.get("pieces") or {}).get(arch)][: cfg.eval_functions]
        res[f"{arch}/{cfg.opts[0]}"] = pieces_exact(tr, recs, arch, cfg.opts[0])
    model.train()
    return res


def run(cfg: TrainConfig) -> int:
    torch.set_num_threads(cfg.threads)
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    ck = out / "checkpoint"
    records = [r for r in R.iter_records(cfg.data, "train")]
    val_records = [r for r in R.iter_records(cfg.data, "valid")]
    if cfg.max_records:
        records = records[: cfg.max_records]
    n_primary = len(records)  # records[n_primary:] only fill the memory's missing keys
    if cfg.fill:
        records += R.iter_records(cfg.fill, "train")
    if not records:
        print(f"neuralcc train: error: {cfg.data}: no training records", file=sys.stderr)
        return 2
    state = {"step": 0, "seconds": 0.0, "epoch": 0, "pos": 0, "tokens": 0, "config": asdict(cfg)}
    trainer = None
    if cfg.resume and ck.exists():
        tok, model = T.load(ck), M.load(ck)
        trainer = torch.load(ck / "trainer.pt", weights_only=False)
        state.update({k: v for k, v in trainer["state"].items() if k != "config"})
        print(f"resuming from {ck} at step {state['step']}", file=sys.stderr)
    elif cfg.init:
        tok, model = T.load(cfg.init), M.load(cfg.init)
        ensure_special_tokens(tok, model)
        if cfg.position_heads and not getattr(model.config, "neuralcc_position_heads", None):
            heads = {"encoder": M.ModelConfig.encoder_position_heads, "decoder": M.ModelConfig.decoder_position_heads}
            if M.set_position_heads(model, heads):
                print(f"--init {cfg.init}: attention heads fixed on their neighbours, (head, relative position): "
                      f"encoder {heads['encoder']}, decoder {heads['decoder']} (translator/neural/model.py: "
                      f"set_position_heads)", file=sys.stderr)
    else:
        tok = build_tokenizer(records, cfg.vocab_size, cfg.tokenizer)
        model = M.build(M.ModelConfig(), tok)
    try:
        M.check_supported(model.config)
    except ValueError as err:
        print(f"neuralcc train: error: {ck if trainer else cfg.init}: {err}", file=sys.stderr)
        return 2
    prompts_before = prompt_format(model.config)
    model.config.neuralcc_mode = "local"
    model.config.neuralcc_rename = cfg.rename
    model.config.neuralcc_types = cfg.types
    model.config.neuralcc_lower = cfg.lower  # True, or "atoms"
    model.config.neuralcc_params = any(r.get("params") for r in records)  # localdata --params
    model.config.neuralcc_retrieval = cfg.retrieval
    model.config.neuralcc_operands = asmgrammar.merged(  # decoding's grammar; --init's table kept
        getattr(model.config, "neuralcc_operands", None) or {}, asmgrammar.table_from_records(records))
    if cfg.max_target_tokens:
        model.config.neuralcc = {**(getattr(model.config, "neuralcc", None) or {}), "max_chunk_tokens": cfg.max_target_tokens}
    mcfg = M.neuralcc_config(model.config)
    # the translation memory of the training pieces (memory/store.py), saved with every model: the memory
    # baseline, what --memory-first decoding takes pieces from, and validation's split by memory level
    style = PromptStyle.of(model.config)
    layers = [R.memory_from_records(records[:n_primary], cfg.archs, style)]
    if n_primary < len(records):
        layers.append(R.memory_from_records(records[n_primary:], cfg.archs, style))
    frozen = layers[0].freeze()
    for fill in layers[1:]:
        frozen = frozen.merged_over(fill.freeze())
    # a retrieval-reading model trains on the memory of every training function but its own
    leave_one_out = LeaveOneOut(layers) if cfg.retrieval else None
    del layers
    same = prompts_before == prompt_format(model.config)  # --init's keys are prompts this model will read
    if trainer:  # resumed: the memory this run saved when it started already holds --init's
        older = load_memory(out)
    else:
        older = load_memory(cfg.init) if cfg.init and same else None
    if older is not None:
        frozen = frozen.merged_over(older)  # fine-tuning keeps what --init knew
    frozen.save(out)  # copied into every checkpoint
    print(f"translation memory: {sum(len(lv['exact']) for lv in frozen.table.values())} prompts of gcc's pieces "
          f"({', '.join(frozen.table)}), {out / MEMORY_FILES}", file=sys.stderr)
    del frozen
    data_key = [str(Path(d)) for d in cfg.data]
    seen = getattr(model.config, "neuralcc_stream", None) if cfg.init and not trainer else None
    if seen and seen.get("data") == data_key and seen.get("seed") == cfg.seed:
        # the same data in the same seeded order: start where --init's training stopped, or every
        # continued run trains on the functions it has already seen, first, again
        state["epoch"], state["pos"] = seen["epoch"], seen["pos"]
        print(f"--init {cfg.init} was trained on {' '.join(data_key)} with seed {cfg.seed}: continuing its data "
              f"order at epoch {seen['epoch']}, sample {seen['pos']} (another --seed starts a new order)",
              file=sys.stderr)
    print(f"{len(records)} train / {len(val_records)} held-out records; model {M.n_params(model)/1e6:.1f}M params; "
          f"vocab {len(tok)}", file=sys.stderr)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay, betas=(0.9, 0.98))
    if trainer:
        opt.load_state_dict(trainer["optimizer"])
        torch.set_rng_state(trainer["rng"]["torch"])
        random.setstate(trainer["rng"]["python"])
    else:
        torch.manual_seed(cfg.seed)
    model.train()
    stats = {"skipped": 0}
    if leave_one_out is not None:
        def retrieval_of(i: int):
            layer = int(i >= n_primary)
            return lambda arch, pairs: leave_one_out.candidates(arch, pairs, cfg.retrieval, layer)
    else:
        retrieval_of = lambda i: None
    stream = sample_stream(tok, records, cfg, mcfg, style, state["epoch"], state["pos"], stats, retrieval_of)
    t_last_ck = t_last_eval = time.time()
    seconds0, t0 = state["seconds"], time.time()
    log = open(out / "log.jsonl", "a")
    bar = tqdm(total=cfg.steps or None, initial=state["step"], dynamic_ncols=True, mininterval=5)
    ema, tok_window = None, []
    buf, ntok = [], 0
    for epoch, pos, s in stream:
        buf.append(s)
        ntok += s.n_tokens
        if ntok < cfg.batch_tokens:
            continue
        batch = D.collate(buf, tok.pad_token_id)
        buf, ntok = [], 0
        ts = time.time()
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, state["step"], state["seconds"])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss = loss_on(model, batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["epoch"], state["pos"] = epoch, pos
        state["tokens"] += batch.n_tokens
        state["seconds"] = seconds0 + time.time() - t0
        lv = loss.item()
        ema = lv if ema is None else 0.98 * ema + 0.02 * lv
        tok_window = (tok_window + [(batch.n_tokens, time.time() - ts)])[-20:]
        tps = sum(a for a, _ in tok_window) / max(sum(b for _, b in tok_window), 1e-9)
        bar.update(1)
        bar.set_postfix(loss=f"{ema:.3f}", tok_s=f"{tps:.0f}", ep=epoch, lr=f"{opt.param_groups[0]['lr']:.1e}")
        done = (cfg.steps and state["step"] >= cfg.steps) or (cfg.minutes and state["seconds"] >= cfg.minutes * 60)
        if time.time() - t_last_ck >= cfg.ckpt_minutes * 60 or done:
            model.config.neuralcc_stream = {"data": data_key, "seed": cfg.seed, "epoch": epoch, "pos": pos}
            save_checkpoint(out, model, tok, opt, state)
            t_last_ck = time.time()
        if cfg.eval_minutes and val_records and (time.time() - t_last_eval >= cfg.eval_minutes * 60 or done):
            res = validate(model, tok, val_records, cfg, load_memory(out))
            res.update(step=state["step"], seconds=round(state["seconds"]), train_loss=ema,
                       tokens=state["tokens"], skipped=stats["skipped"])
            log.write(json.dumps(res) + "\n")
            log.flush()
            tqdm.write(json.dumps(res), file=sys.stderr)
            t_last_eval = time.time()
            t0, seconds0 = time.time(), state["seconds"]  # validation time is not training time
        if done:
            break
    bar.close()
    log.close()
    return 0
