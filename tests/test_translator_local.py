"""Piecewise translation: the skeleton read from the C, gcc's assembly cut into its pieces and put back
together (it must pass the verifier), and a tiny model trained on pieces writing verified code."""
from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import torch

from neuralcc.corpora.label import label_single
from neuralcc.translator import prompts
from neuralcc.translator.back import frame, pieces
from neuralcc.translator.data import localdata, records as R, slotdata
from neuralcc.translator.neural import samples as D
from neuralcc.translator.front import skeleton
from neuralcc.translator.front.csource import SourceError
from neuralcc.translator.memory.store import LEVELS
from neuralcc.translator.neural import asmgrammar, model as M, tokenizer as T
from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
from neuralcc.translator.neural.train import build_tokenizer, loss_on, pieces_exact
from neuralcc.verifier.check import Checker
from neuralcc.verifier.signature import frame_variables
from prompt_text import prompt_of

KERNELS = Path(__file__).parent.parent / "corpora" / "kernels"

CONTROL = """\
int f(int *a, int n, int k)
{
    int s = 0;
    for (int i = 0; i < n; i++) {
        if (a[i] < 0)
            continue;
        s += a[i];
    }
    while (s > 100)
        s -= 7;
    do {
        s++;
    } while (s < k);
    switch (k & 3) {
    case 0:
        s = 1;
        break;
    case 2:
        s ^= 5;
        break;
    default:
        s--;
    }
    if (s == 3)
        return 9;
    else
        s = s * 2;
    return s;
}
"""


def test_skeleton_orders_pieces_like_gcc_O0_and_names_jump_targets():
    sk = skeleton.build(CONTROL)
    roles = [(p.line, p.role) for p in sk.pieces]
    assert roles == [
        (0, "data"), (2, "prologue"), (3, "stmt"), (4, "for-init"), (5, "if"), (7, "stmt"), (6, "continue"),
        (4, "for-step"), (4, "for-test"), (9, "while-entry"), (10, "stmt"), (9, "while-test"), (12, "stmt"),
        (13, "do-test"), (14, "switch"), (16, "stmt"), (17, "break"), (19, "stmt"), (20, "break"), (22, "stmt"),
        (24, "if"), (25, "return"), (27, "stmt"), (28, "return"), (29, "epilogue")]
    at = {(p.line, p.role): p for p in sk.pieces}
    idx = {k: p.index for k, p in at.items()}
    assert at[4, "for-init"].targets == {"test": idx[4, "for-test"]}
    assert at[4, "for-test"].targets == {"body": idx[5, "if"], "exit": idx[9, "while-entry"]}
    # `if (c) continue;` the way gcc lays it out: the `if` jumps to a block put just before the step,
    # and the body's last piece jumps over it
    assert at[5, "if"].targets == {"then": idx[6, "continue"], "else": idx[7, "stmt"]}
    assert at[7, "stmt"].targets == {"over": idx[4, "for-step"]}
    assert at[6, "continue"].targets == {"next": idx[4, "for-step"]}
    assert at[13, "do-test"].targets == {"body": idx[12, "stmt"], "exit": idx[14, "switch"]}
    assert at[14, "switch"].targets == {"case 0": idx[16, "stmt"], "case 2": idx[19, "stmt"],
                                        "default": idx[22, "stmt"], "exit": idx[24, "if"]}
    assert at[17, "break"].targets == {"exit": idx[24, "if"]}
    # the then-branch ends with a return: it jumps to the epilogue (the join after the else is offered
    # too, as to every then-branch's last piece; gcc writes no jump after a jump); the last return does not jump
    assert at[25, "return"].targets == {"epilogue": idx[29, "epilogue"], "join": idx[28, "return"]}
    assert at[28, "return"].targets == {}
    assert sk.functions[0].calls is False


GOTO = """\
int f(int n) {
    int s = 0;
    if (n > 100) goto out;
    s = s * 2;
out:
    s = 0;
again:
    s += 1;
    if (s < n) goto again;
    return s;
}
"""


def test_goto_and_labels_laid_out_like_gcc_O0():
    """A label starts a piece and a goto jumps to it; a forward `if (c) goto L;` is laid out like
    `if (c) break;` (its block, `nop`, right before L; the piece before it jumps over it), a backward
    one stays in place."""
    sk = skeleton.build(GOTO)
    at = {(p.line, p.role): p for p in sk.pieces}
    idx = {k: p.index for k, p in at.items()}
    assert [(p.line, p.role) for p in sk.pieces] == [
        (0, "data"), (1, "prologue"), (2, "stmt"), (3, "if"), (4, "stmt"), (3, "goto"), (6, "stmt"), (8, "stmt"),
        (9, "if"), (9, "goto"), (10, "return"), (11, "epilogue")]
    assert at[3, "if"].targets == {"else": idx[4, "stmt"], "then": idx[3, "goto"]}
    assert at[4, "stmt"].targets == {"over": idx[6, "stmt"]}
    assert at[3, "goto"].targets == {"to": idx[6, "stmt"]} and at[3, "goto"].text == "goto;"
    assert at[9, "if"].targets == {"then": idx[9, "goto"], "else": idx[10, "return"]}
    assert at[9, "goto"].targets == {"to": idx[8, "stmt"]}


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
@pytest.mark.parametrize("name", ["first_negative", "collatz_steps", "clamp_sum", "zero_until"])
def test_gcc_pieces_of_gotos_put_back_together_pass_the_verifier(name, arch):
    from neuralcc.cbase.csource import find_functions
    from neuralcc.translator.front.lower import lower_unit

    unit = (Path(__file__).parent / "c" / "goto.c").read_text()
    (span,) = [f for f in find_functions(unit, SourceError) if f.name == name]
    source = unit[span.start:span.end] + "\n"
    rec, why = _local_record(lower_unit(source, atoms=True).source, name, (arch,))
    assert rec is not None and arch in rec["pieces"], why
    assert any(p.role == "goto" for p, _ in R.pieces_of(rec, arch))
    verdict = Checker(source, arch, "O0", name, examples=30, random_inputs=200).check(_gold_asm(rec, arch))
    assert verdict.category == "pass", str(verdict)


def test_prompt_declares_what_the_piece_names_and_where_it_may_jump():
    sk = skeleton.build(CONTROL)
    scope = skeleton.scopes(CONTROL)["f"]
    test = next(p for p in sk.pieces if p.role == "for-test")
    text = prompts.prompt(sk, test, "x86-64", "O0", scope, "f").render()
    assert text.startswith("<x86-64><O0><chunks>for-test: for (int i = 0; i < n; i++) {<sep>")
    assert "int i;" in text and "int n;" in text and "int * a" not in text
    assert text.endswith(f"body <C{test.targets['body']}> exit <C{test.targets['exit']}> next <C{test.index + 1}>")



def test_a_prompt_is_data_its_text_and_its_record_round_trip():
    """A prompt's fields render to the text the tokenizer reads, survive a record (to_json / from_json),
    and a record of an older neuralcc, whose prompts were text, is refused with what to do."""
    src = (KERNELS / "histogram.c").read_text() + "\nstruct pt { int x; long y; };\nlong sy(struct pt *p, int n) { return p[n].y; }\n"
    sk = skeleton.build(src)
    scopes = skeleton.scopes(src)
    for p in sk.pieces:
        got = prompts.prompt(sk, p, "aarch64", "O0", scopes.get(p.func, {}), "sy")
        assert prompts.Prompt.from_json(json.loads(json.dumps(got.to_json()))) == got
        back = prompt_of(got.render())  # the tests' reader inverts render
        assert back.render() == got.render() and back.decls == got.decls and back.jumps == got.jumps
    (ret,) = [p for p in sk.pieces if p.func == "sy" and p.role == "return"]
    got = prompts.prompt(sk, ret, "aarch64", "O0", scopes["sy"], "sy")
    (struct,) = [d.struct for d in got.decls if d.struct]
    assert struct.members == (("x", "int"), ("y", "long")) and got.notes == ("returns long",)
    with pytest.raises(ValueError, match="prepare-data"):
        R.pieces_of({"pieces": {"x86-64": [[got.render(), "\tret\n"]]}}, "x86-64")

PRAGMA = "int f(int x) {\n    int s = 0;\n#pragma GCC unroll 4\n    for (int i = 0; i < x; i++) {\n        s += i;\n    }\n    return s;\n}\n"


def test_skeleton_refuses_what_it_cannot_lay_out():
    with pytest.raises(SourceError, match="line 3: Pragma statements are not supported"):
        skeleton.build(PRAGMA)
    with pytest.raises(SourceError, match="line 2: variable-length array 'tmp' .* not supported"):
        skeleton.build("int f(int n) {\n    int tmp[n + 1];\n    tmp[0] = n;\n    return tmp[0];\n}\n")
    skeleton.build("enum { N = 4 };\nint f(int n) {\n    int a[N * 2];\n    char b[sizeof(n)];\n    return a[0] + b[0];\n}\n")
    with pytest.raises(SourceError, match="line 2: goto out: no label 'out' in f"):
        skeleton.build("int f(int x) {\n    if (x) goto out;\n    return x;\n}\n")
    with pytest.raises(SourceError, match="C parse error|preprocessor"):
        skeleton.build("int f(int x) { return x + ; }\n")


def test_a_refused_function_fails_only_the_translations_that_reach_it():
    unit = PRAGMA + "int g(int x) {\n    return x + 1;\n}\n" + "int h(int x) {\n    return f(x) + 1;\n}\n"
    skel = skeleton.build(unit)
    assert [f.name for f in skel.functions] == ["g", "h"] and skel.refusal("g") is None
    assert "function 'f', line 3: Pragma" in str(skel.refusal("f")) and skel.refusal("h") is skel.refusal("f")
    memory = NeuralTranslator()
    (out,) = memory.translate(unit, "x86-64", "O0", entry="g", opt=DecodeOptions(memory_only=True))
    assert Checker(unit, "x86-64", "O0", "g").check(out.asm).category == "pass"
    with pytest.raises(SourceError, match="function 'f', line 3: Pragma") as refused:
        memory.translate(unit, "x86-64", "O0", entry="h", opt=DecodeOptions(memory_only=True))
    assert refused.value.construct == "Pragma statement"


def _local_record(source: str, entry: str, archs=("x86-64", "aarch64"), params: bool = False) -> dict:
    rec = {"uri": f"test:{entry}", "entry": entry, "source": source, "asm": {}, "lines": {}, "slots": True}
    for arch in archs:
        lab = label_single(source, arch, "O0")
        asm, lines = lab.asm, lab.lines
        maps = frame.slot_maps(slotdata.verbose_asm(source, arch), arch, source)
        rec["asm"][arch], rec["lines"][arch] = {"O0": asm}, {"O0": lines}
        rec["asm"][arch]["O0"], rec["lines"][arch]["O0"] = slotdata.symbolic_label(rec, arch, maps)
    out, why = localdata.convert_record(rec, archs, params)
    return out, why


def _gold_asm(rec: dict, arch: str) -> str:
    """gcc's pieces put back together the way decoding does (skeleton order, frame laid out)."""
    sk = skeleton.build(rec["source"], params=bool(rec.get("params")))
    decoded = [p for p in sk.pieces if not (p.role == "data" and not sk.globals)]
    texts = [None] * len(sk.pieces)
    assert len(decoded) == len(rec["pieces"][arch])
    for p, (_, target) in zip(decoded, rec["pieces"][arch]):
        texts[p.index] = target
    return frame.resolve(pieces.reassemble(sk, texts, rec["entry"]), frame_variables(rec["source"]), arch)


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
@pytest.mark.parametrize("name", ["histogram", "gcd", "crc32", "binary_search", "saxpy", "matmul", "point_centroid", "count_words"])
def test_gcc_pieces_put_back_together_pass_the_verifier(name, arch):
    source = (KERNELS / f"{name}.c").read_text()
    rec, why = _local_record(source, name, (arch,))
    assert rec is not None and arch in rec["pieces"], why
    verdict = Checker(source, arch, "O0", name, examples=30, random_inputs=200).check(_gold_asm(rec, arch))
    assert verdict.category == "pass", str(verdict)


NARROW = """\
int mix(long k, short c, signed char t, double d, unsigned short u, unsigned char v, int w, float f)
{
    return (int) (k + c * t - u + v * w + (long) d + (long) f);
}
"""


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_a_piece_per_parameter_in_order_and_gccs_pieces_still_pass(arch):
    sk = skeleton.build(NARROW, params=True)
    roles = [(p.role, p.text) for p in sk.pieces[sk.functions[0].first:][:9]]
    assert roles == [("prologue", "int mix() {"), ("param", "0: long k"), ("param", "1: short c"),
                     ("param", "2: signed char t"), ("param", "0: double d"), ("param", "3: unsigned short u"),
                     ("param", "4: unsigned char v"), ("param", "5: int w"), ("param", "1: float f")]
    rec, why = _local_record(NARROW, "mix", (arch,), params=True)
    assert rec is not None and arch in rec["pieces"], why
    by_prompt = {p.statement: t for p, t in R.pieces_of(rec, arch) if p.role == "param"}
    if arch == "x86-64":  # gcc interleaves the narrow ones through %eax/%edx; each is its own part here
        assert by_prompt["1: short c"] == "\tmovl\t%esi, %eax\n\tmovw\t%ax, @c@(%rbp)\n"
        assert by_prompt["2: signed char t"] == "\tmovl\t%edx, %eax\n\tmovb\t%al, @t@(%rbp)\n"
        assert by_prompt["1: float f"] == "\tmovss\t%xmm1, @f@(%rbp)\n"
    else:
        assert by_prompt["4: unsigned char v"] == "\tstrb\tw4, [sp, @v@]\n"
    header = rec["pieces"][arch][0][1]  # the frame's setup alone
    assert "<FN>:" in header and not any(f"@{n}@" in header for n in "kctduvwf"), header
    verdict = Checker(NARROW, arch, "O0", "mix", examples=30, random_inputs=200).check(_gold_asm(rec, arch))
    assert verdict.category == "pass", str(verdict)


@pytest.mark.parametrize("name", ["histogram", "crc32", "point_centroid", "count_words"])
def test_gcc_pieces_with_a_piece_per_parameter_pass_the_verifier(name):
    source = (KERNELS / f"{name}.c").read_text()
    rec, why = _local_record(source, name, params=True)
    assert rec is not None and rec.get("params"), why
    for arch in ("x86-64", "aarch64"):
        assert arch in rec["pieces"], why
        verdict = Checker(source, arch, "O0", name, examples=30, random_inputs=200).check(_gold_asm(rec, arch))
        assert verdict.category == "pass", (arch, str(verdict))


def test_internal_labels_stay_inside_their_piece_and_constants_travel_with_it():
    src = "double g(double x, int k)\n{\n    double y = k > 3 ? x * 1.5 : x - 2.25;\n    return y;\n}\n"
    rec, _ = _local_record(src, "g", ("x86-64",))
    (stmt,) = [t for p, t in R.pieces_of(rec, "x86-64") if p.role == "stmt"]
    assert ".LI0" in stmt and "<C" not in stmt  # the ternary's labels are the piece's own
    code, _, consts = stmt.partition(prompts.SEP)
    assert ".LC0" in code and ".LC0:" in consts  # the constants it loads come with it
    verdict = Checker(src, "x86-64", "O0", "g").check(_gold_asm(rec, "x86-64"))
    assert verdict.category == "pass", str(verdict)


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_if_break_and_if_continue_are_laid_out_of_line_as_gcc_does(arch):
    src = ("int h(int *a, int n)\n{\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n        s += a[i];\n"
           "        if (s > 50) {\n            break;\n        }\n        if (s < 0)\n            continue;\n"
           "        s++;\n    }\n    return s;\n}\n")
    sk = skeleton.build(src)
    assert [(p.line, p.role) for p in sk.pieces[3:]] == [
        (4, "for-init"), (5, "stmt"), (6, "if"), (9, "if"), (11, "stmt"), (10, "continue"), (4, "for-step"),
        (4, "for-test"), (7, "break"), (13, "return"), (14, "epilogue")]
    brk = next(p for p in sk.pieces if p.role == "break")
    test = next(p for p in sk.pieces if p.role == "for-test")
    assert brk.targets == {"exit": brk.index + 1} and test.targets["exit"] == brk.index + 1  # the test jumps over it
    rec, why = _local_record(src, "h", (arch,))
    assert why[f"{arch}: aligned"] == 1 and not why[f"{arch}: piece jumps elsewhere"], why
    verdict = Checker(src, arch, "O0", "h", examples=30, random_inputs=200).check(_gold_asm(rec, arch))
    assert verdict.category == "pass", str(verdict)


def test_a_layout_gcc_does_differently_gives_no_training_piece_but_still_lays_out():
    """After a loop with `if (c) break;`, gcc jumps from the loop's test straight to the test of a
    `while` that follows (over the break's block and the while's entry jump): that piece is left out."""
    src = ("int h(int *a, int n)\n{\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n        if (a[i] < 0)\n"
           "            break;\n        s += a[i];\n    }\n    while (s > 3)\n        s--;\n    return s;\n}\n")
    rec, why = _local_record(src, "h", ("x86-64",))
    assert why["x86-64: piece jumps elsewhere"] == 1
    roles = [p.role for p, _ in R.pieces_of(rec, "x86-64")]
    assert "for-test" not in roles and "while-test" in roles


# -- a tiny model, trained here on pieces --------------------------------------------------------------
TINY = M.ModelConfig(d_model=128, d_ff=256, num_heads=4, d_kv=32, encoder_layers=2, decoder_layers=2)
TRAIN_SRC = "int clamp9(int x)\n{\n    if (x > 9)\n        x = 9;\n    return x;\n}\n"
TRAIN = {
    "clamp9": TRAIN_SRC,
    "tri": "int tri(int n)\n{\n    int s = 0;\n    for (int i = 0; i < n; i++)\n        s = s + i;\n    return s;\n}\n",
}


@pytest.fixture(scope="module")
def tiny_local():
    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in TRAIN.items()]
    tok = build_tokenizer(recs * 20, 800)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = M.build(TINY, tok)
    model.config.neuralcc_mode = "local"
    model.config.neuralcc_rename = model.config.neuralcc_types = True
    model.config.neuralcc_operands = asmgrammar.table_from_records(recs)
    style = prompts.PromptStyle.of(model.config)
    batch = D.collate([D.make_sample(tok, r, "x86-64", "O0", 640, 256, style) for r in recs], tok.pad_token_id)
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    steps = 300
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda i: 1 - i / steps)
    for _ in range(steps):
        loss = loss_on(model, batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
    model.eval()
    return NeuralTranslator(model=model, tok=tok), recs, loss.item()


def _passes(tr: NeuralTranslator, rec: dict, arch: str = "x86-64") -> bool:
    """The verifier's verdict on the greedy translation, with the harness's inputs (harness/evaluate.py)."""
    from neuralcc.harness.evaluate import RunConfig

    inputs = {f.name: f.default for f in dataclasses.fields(RunConfig) if f.name in ("examples", "random_inputs")}
    try:
        (out,) = tr.translate(rec["source"], arch, "O0", entry=rec["entry"])
    except SourceError:
        return False
    return Checker(rec["source"], arch, "O0", rec["entry"], **inputs).check(out.asm).category == "pass"


@pytest.mark.slow
def test_tiny_local_model_writes_code_the_verifier_passes(tiny_local):
    tr, recs, loss = tiny_local
    assert loss < 0.05
    res = pieces_exact(tr, recs, "x86-64", "O0")  # what training's validation reports
    assert res["n"] == 2 and res["errors"] == 0 and res["pieces_exact"] >= 0.9
    assert set(res["pieces_exact_by_role"]) >= {"prologue", "if", "stmt", "return", "epilogue"}
    assert set(res["pieces_exact_by_memory"]) == {"none"}  # the fixture's translator has no memory
    assert all(_passes(tr, r) for r in recs)


@pytest.mark.slow
def test_local_greedy_is_deterministic_and_sampling_follows_its_seed(tiny_local):
    tr, recs, _ = tiny_local
    src = recs[1]["source"]
    greedy = [tr.translate(src, "x86-64", "O0")[0].asm for _ in range(2)]
    assert greedy[0] == greedy[1]
    hot = DecodeOptions(n=3, temperature=1.5, seed=4)
    a = [t.asm for t in tr.translate(src, "x86-64", "O0", opt=hot)]
    b = [t.asm for t in tr.translate(src, "x86-64", "O0", opt=hot)]
    assert a == b and len(a) == 3
    (beam,) = tr.translate(src, "x86-64", "O0", opt=DecodeOptions(beam=3))
    assert "\ntri:\n" in beam.asm and len(beam.pieces) == len(tr.translate(src, "x86-64", "O0")[0].pieces)


@pytest.mark.slow
def test_a_lowering_model_writes_the_lowered_unit_one_operation_per_piece(tiny_local):
    tr, recs, _ = tiny_local
    src = "int poly(int x, int y)\n{\n    int s = (x * y + 3) - x;\n    return s;\n}\n"
    assert tr.translate(src, "x86-64", "O0")[0].lowered == 0  # the tiny model was not trained lowered
    tr.lower = True  # what config.json's neuralcc_lower sets
    out = tr.translate(src, "x86-64", "O0")[0]
    assert out.lowered == 1
    lines = [prompt.statement.strip() for prompt, _ in out.pieces if prompt.role == "stmt"]
    # one piece per operation, the temporaries renamed like any variable (VA, VB, ...)
    assert len(lines) == 3 and all(sum(op in l for op in " * + - ".split()) <= 1 for l in lines), lines
    tr.lower = "atoms"  # config.json's neuralcc_lower = "atoms": three-address code, loads on their own
    src = "int at(const short *a, int i, int y)\n{\n    int s = a[i] * y + 3;\n    return s;\n}\n"
    out = tr.translate(src, "x86-64", "O0")[0]
    lines = [prompt.statement.strip() for prompt, _ in out.pieces if prompt.role == "stmt"]
    assert lines == ["short t1 = a[i];", "int t2 = t1 * y;", "int s = t2 + 3;"], lines
    tr.lower = False


# -- fine-tuning with --init, and pieces that recombine -----------------------------------------------
POOL_A = ["s = s + y;", "s = s * 3;", "s = s - x;", "s ^= 5;"]
POOL_B = ["s = s + 7;", "s = s << 2;", "s = s | y;", "s = s - 1;"]


def _combos(pool: list[str], tag: str) -> list[tuple[str, str]]:
    out = []
    for i, a in enumerate(pool):
        for j, b in enumerate(pool):
            if i != j:
                name = f"{tag}{i}{j}"
                out.append((name, f"int {name}(int x, int y)\n{{\n    int s = x;\n    {a}\n    {b}\n    return s;\n}}\n"))
    return out


def _write_split(path: Path, recs: list[dict], split: str) -> None:
    import json

    path.mkdir(parents=True, exist_ok=True)
    with open(path / f"{split}.jsonl", "a") as fh:
        for r in recs:
            fh.write(json.dumps({**r, "split": split}) + "\n")


def _pass_rate(model_dir: Path, recs: list[dict]) -> float:
    tr = NeuralTranslator(model_dir)
    return sum(_passes(tr, r) for r in recs) / max(len(recs), 1)


@pytest.fixture
def tiny_from_scratch(monkeypatch):
    """`neuralcc train` without --init builds the TINY model."""
    real = M.ModelConfig
    monkeypatch.setattr(M, "ModelConfig", lambda **kw: real(**kw) if kw else TINY)


@pytest.mark.slow
def test_init_finetuning_raises_the_pass_rate_on_a_new_corpus(tmp_path, tiny_from_scratch):
    """A tiny model trained on functions built from statement pool A writes held-out recombinations of
    them (each piece was seen, never the function); it cannot write pool B's statements. `neuralcc train
    --init` on part of a pool-B corpus raises the verifier's pass rate on the held-out rest."""
    from neuralcc.translator.__main__ import main as cli_main

    a = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")]
    b = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_B, "fb")]
    a_train, a_held = a[:9], a[9:]
    b_train, b_held = b[:9], b[9:]
    _write_split(tmp_path / "a", a_train, "train")
    _write_split(tmp_path / "a", a_held[:1], "valid")
    _write_split(tmp_path / "b", b_train, "train")
    _write_split(tmp_path / "b", b_held[:1], "valid")
    common = ["--arch", "x86-64", "--batch-tokens", "2500", "--eval-minutes", "0",
              "--warmup-steps", "10", "--lr", "3e-3", "--no-bf16"]
    assert cli_main(["train", "--data", str(tmp_path / "a"), "--out", str(tmp_path / "ma"), "--steps", "400",
                     *common]) == 0
    model_a = tmp_path / "ma" / "checkpoint"
    assert _pass_rate(model_a, a_held) >= 2 / 3  # recombined pieces it has seen
    before = _pass_rate(model_a, b_held)
    assert cli_main(["train", "--data", str(tmp_path / "b"), "--out", str(tmp_path / "mb"), "--steps", "200",
                     "--init", str(model_a), *common]) == 0
    after = _pass_rate(tmp_path / "mb" / "checkpoint", b_held)
    assert before <= 1 / 3 and after >= before + 1 / 3, (before, after)


def test_init_on_the_same_data_continues_its_data_order(tmp_path, tiny_from_scratch, capsys):
    """`--init` from a model trained on the same --data and --seed starts where that training stopped:
    three runs that each restarted the order had trained one model on the same first functions."""
    from neuralcc.translator.__main__ import main as cli_main

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:4]]
    _write_split(tmp_path / "a", recs, "train")
    common = ["--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "0", "--no-bf16",
              "--data", str(tmp_path / "a")]
    assert cli_main(["train", "--out", str(tmp_path / "m1"), "--steps", "2", *common]) == 0
    seen = json.loads((tmp_path / "m1" / "checkpoint" / "config.json").read_text())["neuralcc_stream"]
    assert seen["seed"] == 0 and seen["epoch"] == 0 and 1 <= seen["pos"] < 4
    capsys.readouterr()
    assert cli_main(["train", "--out", str(tmp_path / "m2"), "--steps", "1", "--init",
                     str(tmp_path / "m1" / "checkpoint"), *common]) == 0
    assert f"continuing its data order at epoch 0, sample {seen['pos']}" in capsys.readouterr().err
    after = json.loads((tmp_path / "m2" / "checkpoint" / "config.json").read_text())["neuralcc_stream"]
    assert (after["epoch"], after["pos"]) > (0, seen["pos"])
    assert cli_main(["train", "--out", str(tmp_path / "m3"), "--steps", "1", "--seed", "3", "--init",
                     str(tmp_path / "m1" / "checkpoint"), *common]) == 0
    assert "continuing" not in capsys.readouterr().err  # another seed: a new order from its start


def test_validation_reports_the_loss_and_the_pieces_written_as_gcc_writes_them(tmp_path, tiny_from_scratch):
    """Training's validation (train.validate): held-out loss and, without the verifier, the greedy pieces
    exact by role and by memory level; pass rates are the harness's (`neuralcc eval`)."""
    from neuralcc.translator.__main__ import main as cli_main

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:3]]
    _write_split(tmp_path / "a", recs[:2], "train")
    _write_split(tmp_path / "a", recs[2:], "valid")
    assert cli_main(["train", "--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "60", "--no-bf16",
                     "--steps", "1", "--data", str(tmp_path / "a"), "--out", str(tmp_path / "m")]) == 0
    (line,) = (tmp_path / "m" / "log.jsonl").read_text().splitlines()
    res = json.loads(line)
    assert res["val_loss"] > 0 and res["step"] == 1
    assert res["x86-64/O0"]["n"] == 1 and 0 <= res["x86-64/O0"]["pieces_exact"] <= 1
    assert "prologue" in res["x86-64/O0"]["pieces_exact_by_role"]
    assert "exact" in res["x86-64/O0"]["pieces_exact_by_memory"]  # its prologue and first statement are held
    by_memory = res["x86-64/O0"]["pieces_exact_by_memory"]
    assert set(by_memory) <= {"none", *LEVELS}
    # the memory's own answers beside the model's, on the same pieces: an exact hit is gcc's piece
    assert by_memory["exact"]["memory"] == by_memory["exact"]["pieces"] >= by_memory["exact"]["model"]
    memory_exact = sum(v["memory"] for v in by_memory.values())
    assert res["x86-64/O0"]["memory_pieces_exact"] == round(memory_exact / res["x86-64/O0"]["n_pieces"], 3)


def test_a_model_trained_with_lower_atoms_lowers_its_input_to_three_address_code(tmp_path, tiny_from_scratch):
    from neuralcc.translator.__main__ import main as cli_main
    from neuralcc.translator.front.lower import lower_unit

    src = "int at(const short *a, int i, int y)\n{\n    int s = a[i] * y + 3;\n    return s;\n}\n"
    rec, why = _local_record(lower_unit(src, atoms=True).source, "at", ("x86-64",))
    assert rec is not None, why
    _write_split(tmp_path / "d", [rec], "train")
    assert cli_main(["train", "--lower", "atoms", "--arch", "x86-64", "--batch-tokens", "300",
                     "--eval-minutes", "0", "--no-bf16", "--steps", "1", "--data", str(tmp_path / "d"),
                     "--out", str(tmp_path / "m")]) == 0
    config = json.loads((tmp_path / "m" / "checkpoint" / "config.json").read_text())
    assert config["neuralcc_lower"] == "atoms"
    out = NeuralTranslator(tmp_path / "m" / "checkpoint").translate(src, "x86-64", "O0")[0]
    assert out.lowered and [p.statement for p, _ in out.pieces if p.role == "stmt"][0] == "short t1 = a[i];"


def test_a_byte_level_bpe_model_trains_from_scratch_and_decodes_without_the_lexer_grammars(tmp_path, tiny_from_scratch,
                                                                                           capsys):
    """`--tokenizer byte-bpe`, the measured alternative (docs/experiments.md): its checkpoint keeps the
    byte-level tokenizer, and decoding, whose slot and operand grammars read lexer pieces, runs without them."""
    from neuralcc.translator.__main__ import main as cli_main

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:4]]
    _write_split(tmp_path / "a", recs, "train")
    common = ["train", "--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "0",
              "--no-bf16", "--data", str(tmp_path / "a"), "--tokenizer", "byte-bpe"]
    assert cli_main([*common, "--out", str(tmp_path / "m"), "--steps", "1"]) == 0
    ck = tmp_path / "m" / "checkpoint"
    assert T.kind_of(T.load(ck)) == "byte-bpe"
    (out,) = NeuralTranslator(ck).translate(recs[0]["source"], "x86-64", "O0")
    assert out.pieces and out.asm.startswith("\t.text")
    capsys.readouterr()
    assert cli_main([*common, "--out", str(tmp_path / "m2"), "--steps", "1", "--init", str(ck)]) == 2
    assert "--tokenizer chooses the tokenizer of a model trained from scratch" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("text,flags,msg", [
    (None, [], "no such file"),
    ("int x;\n", [], "no function definition"),
    (TRAIN["tri"], ["--function", "nope"], "no function 'nope'"),
    ('int f(void) {\n    return "\u00e9"[0];\n}\n', [], "cannot represent"),
    ("int big(int a) {\n" + "    a = a + 1;\n    a = a * 2;\n" * 150 + "    return a;\n}\n", [],
     "pieces of code, more than the model can name (256)"),
    ("int big(int a) {\n    a = " + " + ".join(f"a * {i}" for i in range(200)) + ";\n    return a;\n}\n", [],
     "line 2: the statement is too long"),
    (PRAGMA, [], "line 3: Pragma statements"),
])
def test_local_translate_bad_input_says_what_and_where(capsys, tmp_path, tiny_local, text, flags, msg):
    from neuralcc.translator.__main__ import main as cli_main

    tr, _, _ = tiny_local
    tr.model.save_pretrained(tmp_path / "m")
    tr.tok.save_pretrained(tmp_path / "m")
    capsys.readouterr()  # saving prints a progress bar
    f = tmp_path / "k.c"
    if text is not None:
        f.write_text(text)
    rc = cli_main(["translate", str(f), "--model", str(tmp_path / "m"), *flags])
    cap = capsys.readouterr()
    assert rc == 2 and cap.out == ""
    lines = cap.err.strip().split("\n")
    assert len(lines) == 1 and lines[0].startswith("neuralcc translate: error: ") and msg in lines[0], cap.err
    assert "Traceback" not in cap.err


@pytest.mark.slow
def test_translate_cli_prints_the_assembly_and_reads_past_line_255(capsys, tmp_path, tiny_local):
    """No line limit: the line markers `<Ln>` the retired chunk modes read stopped at 255."""
    from neuralcc.translator.__main__ import main as cli_main

    tr, recs, _ = tiny_local
    tr.model.save_pretrained(tmp_path / "m")
    tr.tok.save_pretrained(tmp_path / "m")
    f = tmp_path / "k.c"
    f.write_text("/* a long header */\n" * 300 + TRAIN["tri"])
    capsys.readouterr()
    outs = []
    for _ in range(2):
        assert cli_main(["translate", str(f), "--model", str(tmp_path / "m"), "--arch", "x86-64"]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] == tr.translate(TRAIN["tri"], "x86-64", "O0")[0].asm


def test_variables_get_canonical_names_per_piece_and_get_their_own_back():
    prompt = prompt_of("<x86-64><O0><chunks>stmt: acc += (long)(a[i]) + p->n;<sep>struct P { int n; int k; };"
                       " long acc; int32_t * a; size_t i; struct P * p;<sep>")
    names = prompts.variable_names(prompt)
    assert names == {"acc": "VA", "a": "VB", "i": "VC", "p": "VD"}
    assert prompts.rename_prompt(prompt, names).render() == (
        "<x86-64><O0><chunks>stmt: VA += (long)(VB[VC]) + VD->n;<sep>struct P { int n; int k; };"
        " long VA; int32_t * VB; size_t VC; struct P * VD;<sep>")
    target = "\tmovq\t@i@(%rbp), %rax\n\tmovq\t%rax, @acc@(%rbp)\n\tleaq\t@buf[2]@(%rbp), %rax\n"
    renamed = prompts.rename_slots(target, names)
    assert "@VC@" in renamed and "@VA@" in renamed and "@buf[2]@" in renamed
    assert prompts.rename_slots(renamed, {v: k for k, v in names.items()}) == target
    loop = prompt_of("<x86-64><O0><chunks>for-init: for (unsigned i = 0; i < n; i++) {<sep><sep>test <C8> next <C5>")
    assert prompts.variable_names(loop) == {"i": "VA"}  # declared here; `n` is not this piece's
    casts = prompt_of("<x86-64><O0><chunks>stmt: acc -= (long long)(q[i]) + (unsigned long)(k);<sep>long long acc; short * q;<sep>")
    assert prompts.variable_names(casts) == {"acc": "VA", "q": "VB"}  # a cast's type is no declaration
    own = prompt_of("<x86-64><O0><chunks>stmt: acc -= p[i].a;<sep>struct <FN>_s\n{\n  double a;\n  short b;\n}; double acc; struct <FN>_s * p; int i;<sep>")
    assert prompts.variable_names(own) == {"acc": "VA", "p": "VB", "i": "VC"}  # the unit's own struct: fields are no variables
    assert "{\n  double a;\n  short b;\n}; double VA; struct <FN>_s * VB; int VC;" in prompts.rename_prompt(own, prompts.variable_names(own)).render()


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
def test_operand_grammar_never_bans_a_token_of_gccs_pieces(arch):
    """The grammar learnt from gcc's pieces allows every token of them, and bans what gcc never writes:
    a line ended after one operand of a two-operand instruction, a third operand, an unknown mnemonic."""
    recs = [_local_record((KERNELS / f"{n}.c").read_text(), n, (arch,))[0] for n in ("histogram", "crc32", "saxpy",
                                                                                        "binary_search")]
    table = asmgrammar.table_from_records(recs)[arch]
    tok = NeuralTranslator().tok
    grammar = asmgrammar.OperandGrammar(tok, table)
    for rec in recs:
        for _, target in rec["pieces"][arch]:
            ids = [0] + tok(target, add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
            for k in range(1, len(ids)):
                row = grammar(torch.tensor([ids[:k]]), torch.zeros(1, len(tok)))[0]
                assert row[ids[k]] > float("-inf"), (target, tok.decode(ids[1:k]))
    two = "\tmovl\t%eax" if arch == "x86-64" else "\tmov\tw0"
    ids = [0] + tok(two, add_special_tokens=False)["input_ids"]
    row = grammar(torch.tensor([ids]), torch.zeros(1, len(tok)))[0]
    nl, comma = tok.convert_tokens_to_ids("\n\t"), tok.convert_tokens_to_ids(", ")
    assert row[nl] == float("-inf") and row[comma] > float("-inf")
    ids += tok(", %edx" if arch == "x86-64" else ", w1", add_special_tokens=False)["input_ids"]
    row = grammar(torch.tensor([ids]), torch.zeros(1, len(tok)))[0]
    assert row[comma] == float("-inf") and row[nl] > float("-inf")
    ids = [0] + tok("\tmo", add_special_tokens=False)["input_ids"]
    row = grammar(torch.tensor([ids]), torch.zeros(1, len(tok)))[0]
    assert row[tok.convert_tokens_to_ids("\t")] == float("-inf")  # "mo" is no mnemonic


def test_one_spelling_per_type_only_where_gcc_writes_the_same_code():
    """Prompts say `int` for int32_t, `long` for long long, ...: gcc's pieces for the two spellings are
    the same. `signed char` keeps its word: on AArch64 a plain char is unsigned and loads differently."""
    spelled = {"fa": "int32_t", "fb": "long long", "fc": "size_t", "fd": "unsigned"}
    plain = {"fa": "int", "fb": "long", "fc": "unsigned long", "fd": "unsigned int"}

    def unit(name, t):
        return f"#include <stddef.h>\n#include <stdint.h>\n{t} {name}({t} *a, {t} b)\n{{\n    {t} s = ({t})(a[1] + b);\n    return s / b;\n}}\n"

    style = prompts.PromptStyle()
    for name in spelled:
        for arch in ("x86-64", "aarch64"):
            one = R.pieces_of(_local_record(unit(name, spelled[name]), name, (arch,))[0], arch)
            two = R.pieces_of(_local_record(unit(name, plain[name]), name, (arch,))[0], arch)
            assert [style.apply(p)[0] for p, _ in one] == [style.apply(p)[0] for p, _ in two]
            assert [t for _, t in one] == [t for _, t in two], (name, arch)
    chars = "int g(signed char *a, char *b)\n{\n    return a[0] + b[0];\n}\n"
    rec = _local_record(chars, "g", ("aarch64",))[0]
    (prompt, target), = [pt for pt in R.pieces_of(rec, "aarch64") if pt[0].role == "return"]
    assert "signed char * a; char * b;" in prompt.render() and "ldrsb" in target and "ldrb" in target
    assert "signed char * VA; char * VB;" in style.apply(prompt)[0].render()
    assert prompts.canonical_types(prompt_of('<x86-64><O0><chunks>stmt: f("size_t", (size_t)x);<sep><sep>')).render() == \
        '<x86-64><O0><chunks>stmt: f("size_t", (unsigned long)x);<sep><sep>'  # literals stay as written


def test_a_translation_covers_the_entry_and_the_unit_functions_it_calls():
    src = ("static int h(int x)\n{\n    return x + 1;\n}\n\nint g(int x)\n{\n    return x * 2;\n}\n\n"
           "int f(int x)\n{\n    return h(x) + 3;\n}\n")
    sk = skeleton.build(src)
    assert sk.reachable("f") == {"f", "h"} and sk.reachable("g") == {"g"}
    assert [f.calls for f in sk.functions] == [False, False, True]


def test_pieces_are_batched_in_groups_padded_on_their_own():
    from neuralcc.translator.neural.samples import Sample, collate

    short = Sample("a", "x86-64", "O0", [[5] * 4, [6] * 300], [[7] * 3, [8] * 200])
    many = Sample("b", "x86-64", "O0", [[5] * 4] * 30, [[7] * 3] * 30)
    batch = collate([short, many], pad_id=0)
    widths = sorted((ids.shape[1], labels.shape[1]) for labels, ids, _ in batch.groups)
    assert widths[0] == (4, 3) and widths[-1] == (300, 200)  # the long pair does not pad the short ones
    assert sum(labels.shape[0] for labels, *_ in batch.groups) == 32
    assert batch.n_target_tokens == 31 * 3 + 200


# -- a retrieval-reading model (reading.py) --------------------------------------------------------------
def test_a_retrieval_model_trains_leave_one_out_and_reads_the_memorys_pieces_after_each_prompt(
        tmp_path, tiny_from_scratch, monkeypatch):
    """`train --retrieval 2`: each training prompt is followed by the memory's nearest pieces of the other
    training functions (a statement only one function has is never its own exact hit), and a translation
    reads the saved memory's candidates the same way; without a memory the model is refused."""
    from neuralcc.translator.__main__ import main as cli_main

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:4]]
    _write_split(tmp_path / "a", recs, "train")
    read: list[str] = []
    real_sample = D.make_sample

    def spy(tok, *args, **kw):
        s = real_sample(tok, *args, **kw)
        read.extend(T.decode(tok, ids) for ids in (s.srcs if s else []))
        return s

    monkeypatch.setattr(D, "make_sample", spy)
    assert cli_main(["train", "--retrieval", "2", "--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "0",
                     "--no-bf16", "--steps", "2", "--data", str(tmp_path / "a"), "--out", str(tmp_path / "m")]) == 0
    ck = tmp_path / "m" / "checkpoint"
    assert json.loads((ck / "config.json").read_text())["neuralcc_retrieval"] == 2
    assert read and all(("<mem:" in text) for text in read)
    # s ^= 5 (POOL_A[3]) is in fa03 alone
    xor = [t for t in read if "stmt: VA ^= 5;" in t]
    assert xor and all("<mem:exact>" not in t for t in xor), xor
    assert any("<mem:exact>" in t for t in read)  # the prologue every function shares

    tr = NeuralTranslator(ck)
    rows: list[list[int]] = []
    real_rows = tr._generate_rows
    monkeypatch.setattr(tr, "_generate_rows", lambda srcs, *a, **kw: rows.extend(srcs) or real_rows(srcs, *a, **kw))
    tr.translate(recs[2]["source"], "x86-64", "O0", entry=recs[2]["entry"])  # fa03
    texts = [T.decode(tr.tok, r) for r in rows]
    assert texts and all("<mem:" in t for t in texts)
    assert any("stmt: VA ^= 5;" in t and "<mem:exact>\txorl\t$5" in t for t in texts)  # the saved memory has it
    for f in ck.glob("memory-*.json.gz"):
        f.unlink()
    with pytest.raises(ValueError, match="translation memory"):
        NeuralTranslator(ck)


def test_a_translation_parses_each_text_it_reads_once(monkeypatch):
    """gcc -E and pycparser run once per translated unit: the lowering builds the lowered unit's AST, and
    the skeleton, the frame layout and the global data read it."""
    import pycparser

    from neuralcc.verifier import signature

    parses, preprocessed = [], []
    real_parse, real_pre = pycparser.CParser.parse, signature.preprocess
    monkeypatch.setattr(pycparser.CParser, "parse", lambda self, *a, **kw: parses.append(1) or real_parse(self, *a, **kw))
    monkeypatch.setattr(signature, "preprocess", lambda *a, **kw: preprocessed.append(1) or real_pre(*a, **kw))
    tr = NeuralTranslator()
    assert tr.lower == "atoms"
    (out,) = tr.translate((KERNELS / "dot_product.c").read_text(), "x86-64", "O0", opt=DecodeOptions(memory_only=True))
    assert out.lowered and out.asm
    assert len(parses) == 1 and len(preprocessed) == 1, (parses, preprocessed)
