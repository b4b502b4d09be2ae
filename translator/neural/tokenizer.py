"""Tokenizer: lexer-level pieces (every digit alone, identifiers/registers/mnemonics kept
whole by a small BPE, whitespace characters as tokens) so constants and stack offsets are
written digit by digit and copy across; lossless on printable ASCII.

The other kind, for the measured comparison (`KINDS`, `neuralcc train --tokenizer byte-bpe`):
a GPT-2 style byte-level BPE, which merges digits into numbers; the two are measured side by
side, same data and training time, in docs/experiments.md. Whole-line BPE cannot write
offsets unseen on that line (notes/model-facts.md).
"""
from __future__ import annotations

import string
from pathlib import Path
from typing import Iterable

from typing import TYPE_CHECKING

from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

if TYPE_CHECKING:  # transformers takes seconds to import: only a model's translations need it
    from transformers import PreTrainedTokenizerFast

from ..back.asmtext import FN, MAX_PIECES
from ..memory.store import LEVELS

PAD, EOS, UNK = "<pad>", "</s>", "<unk>"
ARCHS = ("x86-64", "aarch64")
OPTS = ("O0", "O1", "O2", "Os")
# `<chunks>` opens every prompt and `<sep>` parts it (prompts.prompt). The tokenizer of the shipped model
# also has `<order>`, `<whole>` and the line markers `<L0>` ... `<L255>` of the retired chunk modes.
TASKS = ("<chunks>", "<sep>")
TAGS = [f"<{a}>" for a in ARCHS] + [f"<{o}>" for o in OPTS]
PIECE_TOKENS = [f"<C{i}>" for i in range(MAX_PIECES)]
# a retrieval-reading model's prompt is followed by the memory's pieces, each after the token of its level,
# or by NO_MEMORY (reading.py)
MEMORY_TOKENS = {level: f"<mem:{level}>" for level in LEVELS}
NO_MEMORY = "<mem:none>"
SPECIAL = [PAD, EOS, UNK] + TAGS + list(TASKS) + [FN] + PIECE_TOKENS + list(MEMORY_TOKENS.values()) + [NO_MEMORY]

# One piece per: identifier-ish word (registers %rax, directives .globl, labels .LC0),
# single digit, ", " (asm operand separator), newline+tab (asm line start), C multi-char operators, any other char.
PIECES = (
    r"[%.$]?[A-Za-z_][A-Za-z0-9_.$]*|[0-9]|, |<<=|>>=|->|\+\+|--|<<|>>|<=|>=|==|!=|&&|\|\||[-+*/%&|^]="
    r"|\n\t|[\s\S]"
)
ALPHABET = list(string.printable)


def _raw_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE(unk_token=UNK))
    tok.pre_tokenizer = pre_tokenizers.Split(Regex(PIECES), behavior="isolated")
    tok.decoder = decoders.Fuse()
    return tok


KINDS = ("lexer", "byte-bpe")


def _byte_level_tokenizer() -> Tokenizer:
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    return tok


def train_tokenizer(texts: Iterable[str], vocab_size: int = 2048, kind: str = "lexer") -> PreTrainedTokenizerFast:
    """kind "lexer": ours (module docstring); "byte-bpe": byte-level BPE over the same texts and specials."""
    if kind == "lexer":
        tok, alphabet = _raw_tokenizer(), ALPHABET
    elif kind == "byte-bpe":
        tok, alphabet = _byte_level_tokenizer(), pre_tokenizers.ByteLevel.alphabet()
    else:
        raise ValueError(f"unknown tokenizer kind {kind!r} (one of {', '.join(KINDS)})")
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, min_frequency=20, special_tokens=SPECIAL, initial_alphabet=alphabet,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    return wrap(tok)


def kind_of(tok: PreTrainedTokenizerFast) -> str:
    """Which of KINDS a loaded tokenizer is (the decoding grammars read lexer pieces)."""
    return "byte-bpe" if isinstance(tok.backend_tokenizer.pre_tokenizer, pre_tokenizers.ByteLevel) else "lexer"


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    fast = PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token=PAD, eos_token=EOS, unk_token=UNK,
        extra_special_tokens=[t for t in SPECIAL if t not in (PAD, EOS, UNK)],
    )
    fast.model_max_length = 1 << 30
    return fast


def load(path: str | Path) -> PreTrainedTokenizerFast:
    from transformers import PreTrainedTokenizerFast

    return PreTrainedTokenizerFast.from_pretrained(str(path))


def encode(tok: PreTrainedTokenizerFast, text: str) -> list[int]:
    return tok(text, add_special_tokens=False)["input_ids"]


def decode(tok: PreTrainedTokenizerFast, ids: list[int]) -> str:
    return tok.decode(ids, skip_special_tokens=False, clean_up_tokenization_spaces=False)


def unrepresentable(tok: PreTrainedTokenizerFast, text: str) -> str | None:
    """The first character the tokenizer maps to <unk>, or None."""
    enc = tok(text, add_special_tokens=False, return_offsets_mapping=True)
    for i, (a, b) in zip(enc["input_ids"], enc["offset_mapping"]):
        if i == tok.unk_token_id:
            return text[a:b]
    return None


def compare(texts_c: list[str], texts_asm: list[str], tok: PreTrainedTokenizerFast) -> dict:
    """Mean tokens per example for ours vs a byte-level BPE trained on the same texts."""
    bl = _byte_level_tokenizer()
    bl.train_from_iterator(
        texts_c + texts_asm,
        trainers.BpeTrainer(vocab_size=4096, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False),
    )
    out = {}
    for name, enc, dec in (
        ("lexer+digits", lambda t: encode(tok, t), lambda ids: decode(tok, ids)),
        ("byte-bpe-4k", lambda t: bl.encode(t).ids, lambda ids: bl.decode(ids)),
    ):
        out[name] = {
            "c": sum(len(enc(t)) for t in texts_c) / len(texts_c),
            "asm": sum(len(enc(t)) for t in texts_asm) / len(texts_asm),
            "lossless": all(dec(enc(t)) == t for t in texts_asm),
        }
    return out
