"""The model: a small T5 encoder-decoder. The whole config is this dataclass."""
from __future__ import annotations

from dataclasses import asdict, dataclass

import torch
from transformers import AutoModelForSeq2SeqLM, T5Config, T5ForConditionalGeneration


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
    max_source_tokens: int = 640  # encoder input (tags + C + chunk order)
    max_chunk_tokens: int = 256  # one decoded chunk
    max_order_tokens: int = 256  # decoded chunk order


def build(cfg: ModelConfig, tokenizer) -> T5ForConditionalGeneration:
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
    return T5ForConditionalGeneration(t5)


def load(path) -> torch.nn.Module:
    """Any local HF seq2seq checkpoint (T5, BART, ...)."""
    from transformers.utils import logging

    logging.set_verbosity_error()
    logging.disable_progress_bar()
    return AutoModelForSeq2SeqLM.from_pretrained(str(path))


def neuralcc_config(model) -> ModelConfig:
    return ModelConfig(**getattr(model.config, "neuralcc", {}) or {})


def n_params(model) -> int:
    return sum(p.numel() for p in model.parameters())
