"""The model: a small T5 encoder-decoder. The whole config is this dataclass.

torch and transformers are imported where a model is built, loaded or run: they take seconds to import,
and reading a model's configuration (what the translation memory alone needs) does not use them."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from types import SimpleNamespace


@dataclass
class ModelConfig:
    d_model: int = 256
    d_ff: int = 1024
    num_heads: int = 4
    d_kv: int = 64
    encoder_layers: int = 3
    decoder_layers: int = 3
    dropout: float = 0.0  # tiny data-rich regime: every example is seen about once
    relative_attention_num_buckets: int = 32
    relative_attention_max_distance: int = 256
    max_source_tokens: int = 640  # encoder input (one piece's prompt)
    max_chunk_tokens: int = 256  # one decoded piece
    # (head, relative position) pairs whose attention is fixed on that neighbour (set_position_heads)
    encoder_position_heads: tuple = ((0, -1), (1, 1))
    decoder_position_heads: tuple = ((0, -1), (1, -2))


def build(cfg: ModelConfig, tokenizer) -> "T5ForConditionalGeneration":
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    t5 = T5Config(
        vocab_size=len(tokenizer),
        d_model=cfg.d_model,
        d_ff=cfg.d_ff,
        d_kv=cfg.d_kv,
        num_heads=cfg.num_heads,
        num_layers=cfg.encoder_layers,
        num_decoder_layers=cfg.decoder_layers,
        dropout_rate=cfg.dropout,
        relative_attention_num_buckets=cfg.relative_attention_num_buckets,
        relative_attention_max_distance=cfg.relative_attention_max_distance,
        feed_forward_proj="relu",
        tie_word_embeddings=True,
        pad_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        decoder_start_token_id=tokenizer.pad_token_id,
    )
    t5.neuralcc = asdict(cfg)
    torch.manual_seed(0)
    model = T5ForConditionalGeneration(t5)
    set_position_heads(model, {"encoder": cfg.encoder_position_heads, "decoder": cfg.decoder_position_heads})
    return model


# Position heads. A T5's only sense of order is a learnt bias on its attention logits by relative
# distance. Our encoder never learnt to use it (docs/experiments.md, "position heads"): its content logits grew about 100 apart
# (attention to a neighbour of 1e-44), next to which a bias near its initial +-0.1 does nothing and
# gets no gradient, so the encoder read its input as a bag of tokens -- its outputs changed by about
# 1% with the prompt's tokens in any order (`python -m neuralcc.translator.neural.probe`): `a - b` and
# `b - a`, `12` and `21`, `long VA; int VB` and `int VA; long VB` looked alike. A bias of +50 on one
# neighbour makes a head copy that neighbour, in every layer (T5 shares the bias across layers): one
# head looking left and one right give the encoder order the way a convolution would; the other heads
# attend by content as before. Added to an already trained model, whose content logits can outweigh
# +50, the heads look there only part of the time (13% on average in layer 0 after 10 minutes), and
# its outputs change by 260% when the prompt's tokens are shuffled.
# The decoder gets two heads on the previous two tokens: it lost count of what it had written
# (`add w0, 1` for gcc's `add w0, w0, 1`, about half the probability on each: 30 of 31 AArch64 loop
# steps wrong).
# Measured (10-minute continuations of the same model on the same data, held-out
# cross-entropy x86-64 / AArch64): none 0.332 / 0.269, encoder heads 0.331 / 0.266, encoder and
# decoder heads 0.321 / 0.251.
POSITION_BIAS = 50.0


def set_position_heads(model, heads: dict) -> bool:
    """Fix `heads` ({"encoder": [(head, relative position), ...], "decoder": [...]}) of a T5 on their
    neighbour, recorded in the config (`neuralcc_position_heads`). Returns False for a model without a
    relative position bias (BART and others have positions of their own)."""
    import torch

    done = {}
    for stack, pairs in heads.items():
        if not pairs:
            continue
        att = getattr(getattr(model, stack, None), "block", [None])[0]
        att = getattr(att.layer[0], "SelfAttention", None) if att is not None else None
        if att is None or not getattr(att, "has_relative_attention_bias", False):
            return False
        with torch.no_grad():
            bias = att.relative_attention_bias.weight
            for head, rel in pairs:
                bucket = int(att._relative_position_bucket(
                    torch.tensor([rel]), bidirectional=not att.is_decoder,
                    num_buckets=att.relative_attention_num_buckets, max_distance=att.relative_attention_max_distance))
                bias[:, head] = 0.0
                bias[bucket, head] = POSITION_BIAS
        done[stack] = [list(p) for p in pairs]
    if done:
        model.config.neuralcc_position_heads = done
    return bool(done)


def load(path) -> "torch.nn.Module":
    """Any local HF seq2seq checkpoint (T5, BART, ...)."""
    from transformers import AutoModelForSeq2SeqLM
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    return AutoModelForSeq2SeqLM.from_pretrained(str(path))


_FIELDS = {f.name for f in fields(ModelConfig)}


def read_config(path) -> SimpleNamespace:
    """A checkpoint's config.json, its keys as attributes (what `model.config` holds), without loading it."""
    return SimpleNamespace(**json.loads((Path(path) / "config.json").read_text()))


def neuralcc_config(config) -> ModelConfig:
    """A model's ModelConfig from its config (`model.config`, `read_config`; keys of retired fields in older
    configs, such as max_order_tokens, left out)."""
    return ModelConfig(**{k: v for k, v in (getattr(config, "neuralcc", {}) or {}).items() if k in _FIELDS})


# config.json keys of experiments measured and retired (git history and docs/ keep their figures): a model
# trained with one reads prompts this code no longer writes
RETIRED = {
    "neuralcc_typed_names": "--typed-names (canonical names that say their type)",
    "neuralcc_memory": "--memory (the translation memory's piece read beside each prompt)",
}


def check_supported(config) -> None:
    """ValueError for a model this code cannot run: one trained in a mode other than "local" (the chunk,
    statement, slot, typed and whole-function modes are retired) or with a retired prompt format. A
    config without `neuralcc_mode` (a foreign checkpoint) is read as "local"."""
    mode = getattr(config, "neuralcc_mode", None) or "local"
    if mode != "local":
        raise ValueError(f"the model was trained in mode {mode!r}, which is retired: only the piecewise \"local\" "
                         f"mode is supported")
    for key, what in RETIRED.items():
        if getattr(config, key, False):
            raise ValueError(f"the model was trained with {what}, which is retired ({key} in config.json)")


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())


def pad_rows(rows: list[list[int]], fill: int):
    """Right-padded id rows and their attention mask (1 where a row has a token)."""
    import torch

    out = torch.full((len(rows), max(map(len, rows))), fill, dtype=torch.long)
    mask = torch.zeros_like(out)
    for i, r in enumerate(rows):
        out[i, : len(r)] = torch.tensor(r)
        mask[i, : len(r)] = 1
    return out, mask
