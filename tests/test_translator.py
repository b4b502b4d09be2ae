"""Translator: tokenizer, the C reader, the model's position heads, decoding's masks, retired models refused.
(The piecewise translation itself, trained and decoded: test_translator_local.py.)"""
from __future__ import annotations


import pytest
import torch

from neuralcc.translator.back import asmtext
from neuralcc.translator.data import records as R, toydata
from neuralcc.translator.neural import samples as D
from neuralcc.translator.neural import model as M, tokenizer as T
from neuralcc.translator.neural.decode import NeuralTranslator
from neuralcc.translator.neural.train import build_tokenizer

TINY = M.ModelConfig(d_model=128, d_ff=256, num_heads=4, d_kv=32, encoder_layers=2, decoder_layers=2)
torch.set_num_threads(1)

SOURCES = [
    "int add3(int a, int b) {\n    int t = a + b;\n    return t * 3;\n}\n",
    "int clamp(int x) {\n    if (x > 9)\n        x = 9;\n    return x;\n}\n",
    "int sum(int n) {\n    int s = 0;\n    for (int i = 0; i < n; i++)\n        s = s + i;\n    return s;\n}\n",
]


def _record(i: int, src: str) -> dict:
    entry = src.split("(")[0].split()[-1]
    rec = {"uri": f"test:{i}", "entry": entry, "source": src, "features": [], "asm": {}, "lines": {}}
    for arch in ("x86-64", "aarch64"):
        asm, lines = toydata.label(src, arch, "O0")
        rec["asm"][arch] = {"O0": asm}
        rec["lines"][arch] = {"O0": lines}
    return rec


@pytest.fixture(scope="module")
def records() -> list[dict]:
    return [_record(i, s) for i, s in enumerate(SOURCES)]


@pytest.fixture(scope="module")
def tok(records):
    return build_tokenizer(records * 10, 1000)


# -- tokenizer ---------------------------------------------------------------------------
def test_tokenizer_roundtrip_is_lossless(tok, records):
    for r in records:
        for arch in ("x86-64", "aarch64"):
            text = r["asm"][arch]["O0"]
            assert T.decode(tok, T.encode(tok, text)) == text


def test_tokenizer_splits_digits_and_keeps_tags(tok):
    pieces = tok.convert_ids_to_tokens(T.encode(tok, "<x86-64><O0>\tmovl\t$1234, -20(%rbp)\n"))
    assert pieces[:2] == ["<x86-64>", "<O0>"]
    assert ["1", "2", "3", "4"] == [p for p in pieces if p.isdigit() and p in "1234"][:4]
    assert "2" in pieces and "0" in pieces and "20" not in pieces


def test_tokenizer_reports_unrepresentable(tok):
    assert T.unrepresentable(tok, 'int f(void) { return "\u00e9"[0]; }') == "\u00e9"
    assert T.unrepresentable(tok, "int f(int a) { return a; }") is None


def test_byte_level_bpe_the_measured_alternative_is_lossless_and_merges_digits(records):
    bpe = build_tokenizer(records * 10, 1200, "byte-bpe")
    assert T.kind_of(bpe) == "byte-bpe"
    for r in records:
        for arch in ("x86-64", "aarch64"):
            text = r["asm"][arch]["O0"]
            assert T.decode(bpe, T.encode(bpe, text)) == text
    pieces = bpe.convert_ids_to_tokens(T.encode(bpe, "<x86-64><O0>\tmovl\t%edi, -20(%rbp)\n"))
    assert pieces[:2] == ["<x86-64>", "<O0>"]
    assert "20" in pieces  # what the lexer tokenizer never does (above)
    with pytest.raises(ValueError, match="unknown tokenizer kind"):
        T.train_tokenizer(["x"], 1200, "words")


def test_tokenizer_save_load(tok, tmp_path):
    tok.save_pretrained(tmp_path)
    again = T.load(tmp_path)
    text = "<aarch64><O0>\tstr\tw0, [sp, 12]\n"
    assert T.encode(again, text) == T.encode(tok, text)


def test_comment_marks_and_braces_inside_literals_are_neither_comments_nor_blocks():
    from neuralcc.cbase.csource import find_functions

    src = ('const char *url(void) {\n    return "http://x/*{";\n}\n'
           "int brace(int c) {\n    if (c == '{') // an open brace\n        return 1;\n    return 0;\n}\n")
    assert [(f.name, f.line, f.last_line) for f in find_functions(src)] == [("url", 1, 3), ("brace", 4, 8)]


def test_default_config_is_small():
    tok_len = len(T.SPECIAL) + 2048
    n = M.ModelConfig()
    est = (n.d_model * tok_len + 3 * 4 * n.d_model**2 + 3 * 2 * n.d_model * n.d_ff) * 4
    assert est < 50e6


def test_position_heads_look_at_their_neighbours_in_every_layer(tok):
    from neuralcc.translator.neural.probe import neighbour_attention, order_change

    model = M.build(TINY, tok)
    assert model.config.neuralcc_position_heads == {"encoder": [[0, -1], [1, 1]], "decoder": [[0, -1], [1, -2]]}
    ids = T.encode(tok, "<x86-64><O0><chunks>stmt: VA = VB - 12;<sep>long VA; int VB;<sep>")
    att = neighbour_attention(model, ids)  # layer, head, (left, right)
    assert att[:, 0, 0].min() > 0.99 and att[:, 1, 1].min() > 0.99
    assert att[:, 2:].max() < 0.5  # the others attend by content, spread at initialisation
    assert order_change(model, ids) > 0.5
    bare = M.build(M.ModelConfig(**{**TINY.__dict__, "encoder_position_heads": (), "decoder_position_heads": ()}), tok)
    assert not getattr(bare.config, "neuralcc_position_heads", None)


@pytest.mark.slow
def test_position_heads_let_a_tiny_model_learn_what_only_order_tells(tok):
    """`x - y` and `y - x` hold the same tokens. A tiny model learns which operand comes first with its
    position heads; without them (attention by content alone) it stays near a coin toss."""
    import random

    rng = random.Random(0)
    names = [f"V{c}" for c in "ABCDEFGH"]
    pairs = []
    for _ in range(256):
        a, b = rng.sample(names, 2)
        pairs.append((f"<x86-64><O0><chunks>stmt: {a} - {b}", f"\tmovl\t@{a}@(%rbp), %eax\n"))
    train, held = pairs[:192], pairs[192:]

    def accuracy(cfg: M.ModelConfig) -> float:
        model = M.build(cfg, tok)
        opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
        for step in range(150):
            batch = rng.sample(train, 32)
            x, mask = M.pad_rows([T.encode(tok, p) for p, _ in batch], tok.pad_token_id)
            y, _ = M.pad_rows([T.encode(tok, t) + [tok.eos_token_id] for _, t in batch], -100)
            loss = model(input_ids=x, attention_mask=mask, labels=y).loss
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        hits = 0
        for p, t in held:
            ids = torch.tensor([T.encode(tok, p)])
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), max_new_tokens=20,
                                     do_sample=False, num_beams=1, eos_token_id=tok.eos_token_id,
                                     pad_token_id=tok.pad_token_id)[0, 1:].tolist()
            hits += T.decode(tok, out[: out.index(tok.eos_token_id)] if tok.eos_token_id in out else out) == t
        return hits / len(held)

    with_heads = accuracy(TINY)
    without = accuracy(M.ModelConfig(**{**TINY.__dict__, "encoder_position_heads": (), "decoder_position_heads": ()}))
    assert with_heads >= 0.9 and without < 0.75, (with_heads, without)


def test_decoding_grammar_suppresses_markers_but_never_the_function_name():
    """Constrained decoding: a piece jumps only to the pieces it may; every other special token the
    shipped tokenizer has is banned (with the line markers and tasks of the retired chunk modes, which
    new tokenizers no longer have); the `<FN>` placeholder (the function's own name) stays writable."""
    from neuralcc.translator.neural.decode import DEFAULT_MODEL

    tr = NeuralTranslator(DEFAULT_MODEL)
    ids = set(tr._suppressed({"<C0>", "<C1>"}))
    name = lambda t: tr.tok.convert_tokens_to_ids(t)
    assert name(asmtext.FN) not in ids and name("</s>") not in ids
    assert name("<C0>") not in ids and name("<C1>") not in ids
    assert {name("<C2>"), name("<L0>"), name("<L255>"), name("<order>"), name("<whole>"), name("<x86-64>")} <= ids
    assert ids == set(tr.tok.get_added_vocab().values()) - {name(t) for t in ("<C0>", "<C1>", "<FN>", "</s>", "<pad>", "<unk>")}
    assert "<L0>" not in T.SPECIAL and "<order>" not in T.SPECIAL


def test_a_model_of_a_retired_experiment_is_refused_and_one_without_a_mode_is_local(tok):
    model = M.build(TINY, tok)
    assert NeuralTranslator(model=model, tok=tok).style.rename is False  # no neuralcc_mode: read as "local"
    for key, value, msg in [("neuralcc_mode", "chunks", "mode 'chunks', which is retired"),
                            ("neuralcc_typed_names", True, "--typed-names"), ("neuralcc_memory", True, "--memory")]:
        model = M.build(TINY, tok)
        setattr(model.config, key, value)
        with pytest.raises(ValueError, match=msg):
            NeuralTranslator(model=model, tok=tok)
    old = M.build(TINY, tok)
    old.config.neuralcc = {**old.config.neuralcc, "max_order_tokens": 256}  # a retired field, in older configs
    assert M.neuralcc_config(old.config) == TINY


def test_repetition_stops_a_row_and_only_that_row():
    from neuralcc.translator.neural.generation import RepetitionStop

    stop = RepetitionStop(longest=4, times=3)
    ids = torch.tensor([[9, 1, 2, 3, 1, 2, 3, 1, 2, 3],   # "1 2 3" three times: stop
                        [9, 1, 2, 3, 1, 2, 3, 1, 2, 4],   # almost: go on
                        [5, 6, 7, 8, 9, 7, 7, 7, 7, 7]])  # one token repeated: stop
    assert stop(ids, None).tolist() == [True, False, True]
