"""The harness: the gcc oracle scores 100%, mutants are named, runs resume, plug-ins work, pass@k is right."""
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from neuralcc.harness.evaluate import RunConfig, evaluate, read_results
from neuralcc.harness.metrics import pass_at_k
from neuralcc.harness.report import write_report
from neuralcc.verifier.reference import compile_to_asm

SRC = r"""
// ncc: len(a)=n range(n)=0..16
int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] & 1023; return s; }
"""
SRC2 = "int twice(int x) { return 2 * (x & 0xffff); }\n"


@pytest.fixture
def corpus(tmp_path):
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "sum.c").write_text(SRC)
    (d / "twice.c").write_text(SRC2)
    (d / "broken.c").write_text("int broken(int x) { return x +; }\n")
    return d


def _cfg(corpus, translator, **kw):
    base = dict(translator=translator, corpora=[f"file://{corpus}/"], arches=["x86-64", "aarch64"], opts=["O0"],
                n=1, ks=[1], examples=20, random_inputs=60, workers=1)
    base.update(kw)
    return RunConfig(**base)


def test_pass_at_k_estimator():
    assert pass_at_k(10, 0, 1) == 0.0
    assert pass_at_k(10, 10, 5) == 1.0
    assert pass_at_k(10, 3, 1) == pytest.approx(0.3)
    assert pass_at_k(5, 1, 2) == pytest.approx(1 - (4 * 3) / (5 * 4))
    assert pass_at_k(4, 2, 3) == 1.0  # any 3 of 4 include a correct one


def test_gcc_oracle_scores_everything_and_broken_benchmarks_are_marked(corpus, tmp_path):
    out = tmp_path / "run"
    evaluate(_cfg(corpus, "gcc"), out, progress=False)
    rows = read_results(out)
    good = [r for r in rows if "broken" not in r["benchmark"]]
    bad = [r for r in rows if "broken" in r["benchmark"]]
    assert good and all(r["passed"] for r in good)
    assert bad and all(r["category"] == "harness.error" for r in bad)
    assert "broken.c" in bad[0]["message"]
    html, md = write_report(out)
    assert "100.0%" in md.read_text() and html.read_text().startswith("<!doctype html>")


def test_run_resumes_without_redoing_work(corpus, tmp_path):
    out = tmp_path / "run"
    cfg = _cfg(corpus, "gcc", n=2, ks=[1, 2])
    evaluate(cfg, out, progress=False)
    lines = (out / "results.jsonl").read_text().splitlines()
    # simulate an interruption: the last unit's lines are lost, one line is cut in half
    kept = [l for l in lines if "twice" not in l]
    (out / "results.jsonl").write_text("\n".join(kept) + "\n" + lines[-1][:20])
    evaluate(cfg, out, progress=False)
    rows = read_results(out)
    keys = [(r["benchmark"], r["arch"], r["opt"], r["sample"]) for r in rows]
    assert len(keys) == len(set(keys)) == len(lines)
    with pytest.raises(ValueError):
        evaluate(_cfg(corpus, "gcc", n=3), out, progress=False)  # another configuration, same directory


def test_a_sample_repeating_an_earlier_ones_text_gets_its_verdict_without_a_second_check(corpus, tmp_path):
    out = tmp_path / "run"
    evaluate(_cfg(corpus, "gcc", n=3, ks=[1, 3], arches=["x86-64"]), out, progress=False)
    rows = [r for r in read_results(out) if "sum" in r["benchmark"]]
    assert [r["sample"] for r in rows] == [0, 1, 2] and len({r["asm"] for r in rows}) == 1  # gcc is deterministic
    assert not rows[0]["notes"] and rows[0]["verify_seconds"] > 0
    for r in rows[1:]:
        assert r["notes"] == ["the same text as an earlier sample: its verdict"]
        assert (r["passed"], r["category"], r["verdict"]) == (rows[0]["passed"], rows[0]["category"], rows[0]["verdict"])


def test_mutants_are_named_in_the_report(corpus, tmp_path):
    out = tmp_path / "run"
    evaluate(_cfg(corpus, "mutant", n=6, ks=[1]), out, progress=False)
    rows = [r for r in read_results(out) if r.get("injected") and r["category"] != "pass"]
    assert len(rows) >= 10
    assert sum(r["category"] == r["injected"] for r in rows) / len(rows) >= 0.9
    _, md = write_report(out)
    assert "Mutant recovery" in md.read_text()


def test_file_translator_reads_external_assembly(corpus, tmp_path):
    table = tmp_path / "external.jsonl"
    lines = []
    for name, src in (("sum", SRC), ("twice", SRC2)):
        for arch in ("x86-64", "aarch64"):
            asm = compile_to_asm(src, arch, "O0")
            if name == "twice" and arch == "aarch64":
                asm = asm.replace("lsl", "lsr")  # a wrong translation
            lines.append(json.dumps({"benchmark": f"file://{corpus}/{name}.c#{name}", "arch": arch, "opt": "O0",
                                     "sample": 0, "asm": asm}))
    table.write_text("\n".join(lines) + "\n")
    out = tmp_path / "run"
    evaluate(_cfg(corpus, f"file:{table}"), out, progress=False)
    by = {(r["benchmark"].rsplit("#")[-1], r["arch"]): r for r in read_results(out)}
    assert by["sum", "x86-64"]["passed"] and by["sum", "aarch64"]["passed"] and by["twice", "x86-64"]["passed"]
    assert by["twice", "aarch64"]["category"] == "semantic.wrong_output"


class _FakeChat(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint on loopback that answers with gcc's assembly in a fenced block."""

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][0]["content"]
        arch = "aarch64" if "aarch64" in prompt else "x86-64"
        source = SRC2 if "twice" in prompt else SRC
        reply = {"choices": [{"message": {"role": "assistant",
                                          "content": "Here:\n```asm\n" + compile_to_asm(source, arch, "O0") + "```"}}],
                 "usage": {"prompt_tokens": 11, "completion_tokens": 22}}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_http_translator_against_a_local_server(corpus, tmp_path):
    server = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        prompt = tmp_path / "prompt.txt"
        prompt.write_text("Translate {entry} for {arch} at -{opt}:\n{source}")
        out = tmp_path / "run"
        cfg = _cfg(corpus, f"http://127.0.0.1:{server.server_port}", prompt=str(prompt))
        evaluate(cfg, out, progress=False)
        rows = [r for r in read_results(out) if "broken" not in r["benchmark"]]
        assert len(rows) == 4 and all(r["passed"] for r in rows)
        assert all(r["tokens_in"] == 11 and r["tokens_out"] == 22 for r in rows)
    finally:
        server.shutdown()


def test_report_compare_shows_fixed_and_regressed(corpus, tmp_path):
    good, bad = tmp_path / "good", tmp_path / "bad"
    evaluate(_cfg(corpus, "gcc", arches=["x86-64"]), good, progress=False)
    evaluate(_cfg(corpus, "mutant", arches=["x86-64"]), bad, progress=False)
    _, md = write_report(good, [bad])
    text = md.read_text()
    assert "Compared with" in text and "fixed: file://" in text


def test_eval_cli_bad_input(tmp_path):
    r = subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", "eval", "--translator", "nonsense",
                        "--corpus", "benchmark://kernels-v0", "--out", str(tmp_path / "r")],
                       capture_output=True, text=True)
    assert r.returncode == 2 and r.stderr.strip().startswith("neuralcc eval: error:")
    assert "Traceback" not in r.stderr


def test_baselines_beside_the_run(corpus, tmp_path):
    runs = {}
    for t in ("gcc", "return0", "arg0"):
        runs[t] = tmp_path / t
        evaluate(_cfg(corpus, t, arches=["x86-64"]), runs[t], progress=False)
    assert not any(r["passed"] for r in read_results(runs["return0"]))
    _, md = write_report(runs["gcc"], baselines=[runs["return0"], runs["arg0"]])
    text = md.read_text()
    assert "Beside trivial baselines" in text
    assert "| 66.7% | 0.0% |" in text  # sum and twice pass, broken.c counts as a failure


def test_default_run_says_whether_humaneval_is_included(tmp_path, shared_dir):
    r = subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", "eval", "--default-run", "--translator", "gcc",
                        "--limit", "1", "--arch", "x86-64", "--out", str(tmp_path / "run"), "--quiet",
                        "--shared", str(shared_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    present = (shared_dir / "corpora" / "humaneval-decompile.jsonl").exists()
    assert ("included" if present else "skipped") in r.stderr
    assert "Beside trivial baselines" in r.stdout and "report: " in r.stdout
    assert (tmp_path / "run" / "main" / "report.html").exists()


def test_without_a_translator_eval_and_ncc_use_the_one_that_measures_best_and_help_says_so():
    from neuralcc.harness.cli import build_parser
    from neuralcc.harness.ncc.settings import Settings
    from neuralcc.harness.translators import BEST_TRANSLATOR

    args = build_parser().parse_args(["eval", "--corpus", "benchmark://kernels-v0"])
    assert args.translator == BEST_TRANSLATOR == Settings().translator == "memory"
    r = subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", "eval", "--help"], capture_output=True, text=True)
    assert r.returncode == 0 and "(default: memory," in " ".join(r.stdout.split())
    assert "(default: x86-64,aarch64)" in r.stdout and "(default: 300)" in r.stdout


def test_default_run_puts_a_models_memory_alone_and_with_it_beside_it(tmp_path):
    from neuralcc.harness.eval_cli import comparisons
    from neuralcc.harness.translators import has_memory
    from neuralcc.translator.memory.store import MemoryBuilder
    from neuralcc.translator.prompts import Decl, Prompt

    assert comparisons("gcc", has_memory) == [("return0", "return0"), ("arg0", "arg0")]
    assert comparisons(f"model:{tmp_path}", has_memory) == [("return0", "return0"), ("arg0", "arg0")]  # no memory
    mem = MemoryBuilder()
    mem.add("x86-64", [(Prompt("x86-64", "O0", "stmt", "VA = 1;", (Decl("int VA;", "VA"),)), "\tmovl\t$1, @VA@(%rbp)\n")])
    mem.freeze().save(tmp_path)
    assert comparisons(f"model:{tmp_path}", has_memory)[2:] == [("memory", f"memory:{tmp_path}"),
                                                               ("model+memory", f"model+memory:{tmp_path}")]
    # the memory alone, the default, has the model alone and the model with it beside it
    assert comparisons(f"memory:{tmp_path}", has_memory)[2:] == [("model", f"model:{tmp_path}"),
                                                                ("model+memory", f"model+memory:{tmp_path}")]


def test_model_translator_plugin(tmp_path):
    """The shipped model behind the harness: every sample gets a real verdict, timings and token counts."""
    from neuralcc.translator.neural.decode import DEFAULT_MODEL

    if not (DEFAULT_MODEL / "model.safetensors").exists():
        pytest.skip(f"no trained model in {DEFAULT_MODEL}")
    out = tmp_path / "run"
    cfg = RunConfig(translator="model", corpora=["benchmark://kernels-v0/gcd"], arches=["x86-64", "aarch64"],
                    opts=["O0"], n=1, ks=[1], examples=10, random_inputs=30, workers=1)
    evaluate(cfg, out, progress=False)
    rows = read_results(out)
    assert len(rows) == 2
    for r in rows:
        assert r["category"] not in ("harness.error",), r.get("message")
        assert r["asm"] and r["tokens_out"] and r["translate_seconds"] > 0
    config = json.loads((out / "config.json").read_text())
    assert len(config["translator"]["model_sha256"]) == 64


def test_refusals_are_counted_by_construct_in_the_report(tmp_path):
    """A function the front end does not read is one row per target naming the construct, and the
    report counts those rows by construct; the function beside it in the corpus is judged as usual."""
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "vla.c").write_text("int vla(int n) {\n  int tmp[n];\n  tmp[0] = n;\n  return tmp[0];\n}\n")
    (d / "unroll.c").write_text("int unroll(int n) {\n  int s = 0;\n#pragma GCC unroll 4\n"
                                "  for (int i = 0; i < n; i++)\n    s += i;\n  return s;\n}\n")
    (d / "twice.c").write_text(SRC2)
    out = tmp_path / "run"
    evaluate(_cfg(d, "memory"), out, progress=False)
    rows = {(r["benchmark"].split("#")[1], r["arch"]): r for r in read_results(out)}
    assert rows["vla", "aarch64"]["refused"] == "variable-length array"
    assert "line 2: variable-length array 'tmp'" in rows["vla", "aarch64"]["message"]
    assert rows["unroll", "x86-64"]["refused"] == "Pragma statement"
    assert "refused" not in rows["twice", "x86-64"] and rows["twice", "x86-64"]["category"] != "translator.error"
    html, md = write_report(out)
    text = md.read_text()
    assert "## Refused, by construct" in text and "Refused, by construct" in html.read_text()
    assert "- variable-length array: 2" in text and "- Pragma statement: 2" in text
    assert json.loads((out / "summary.json").read_text())["refused"] == {"variable-length array": 2, "Pragma statement": 2}


def _neuralcc(*args):
    return subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", *map(str, args)], capture_output=True, text=True)


def _one_line_error(r, *expected):
    """Bad input: exit 2 and one line on stderr that says each of `expected`."""
    assert r.returncode == 2, (r.returncode, r.stderr)
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.stderr, r.stderr
    for text in expected:
        assert text in r.stderr, (text, r.stderr)


def test_report_on_a_row_that_is_not_a_result_names_the_file_and_line(corpus, tmp_path):
    out = tmp_path / "run"
    evaluate(_cfg(corpus, "return0", arches=["x86-64"]), out, progress=False)
    rows = [json.loads(l) for l in (out / "results.jsonl").read_text().splitlines()]
    del rows[1]["benchmark"]
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _one_line_error(_neuralcc("report", out), "neuralcc report: error:", f"{out / 'results.jsonl'}:2:", "benchmark")
    rows[1]["benchmark"], rows[2]["sample"] = rows[0]["benchmark"], "0"
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    _one_line_error(_neuralcc("report", out), "results.jsonl:3:", "field sample is a string, expected an integer")


def test_eval_on_a_garbage_corpus_names_the_file_and_line_and_writes_nothing(tmp_path):
    cases = {
        "words.jsonl": (b"this is not json\n", "words.jsonl:1: malformed JSON"),
        "array.jsonl": (b'{"func_def": "int f(int x) { return x; }"}\n[1, 2]\n', "array.jsonl:2: expected an object"),
        "missing.jsonl": (b'\n{"fname": "f"}\n', "missing.jsonl:2: expected an object with field func_def"),
        "typed.jsonl": (b'{"func_def": 5}\n', "typed.jsonl:1: field func_def is an integer, expected a string"),
        "binary.jsonl": (bytes(range(255, -1, -1)), "binary.jsonl:1: not UTF-8 text (byte 0xff at column 1)"),
        "binary.jsonl.gz": (b"\x1f\x8b garbage", "binary.jsonl.gz"),
        "nothing.c": (b"this is not C\n", "nothing.c: no benchmark"),
    }
    for name, (data, expected) in cases.items():
        (tmp_path / name).write_bytes(data)
        out = tmp_path / f"run-{name}"
        r = _neuralcc("eval", "--translator", "return0", "--corpus", tmp_path / name, "--arch", "x86-64",
                      "--out", out, "--quiet")
        _one_line_error(r, "neuralcc eval: error:", expected)
        assert not out.exists()


def test_eval_out_naming_a_file_is_one_line(tmp_path):
    target = tmp_path / "notes.txt"
    target.write_text("mine\n")
    for out, expected in ((target, f"{target}: not a directory"), (target / "run", f"{target / 'run'}: cannot create")):
        r = _neuralcc("eval", "--translator", "return0", "--corpus", "benchmark://kernels-v0/gcd", "--arch", "x86-64",
                      "--out", out, "--quiet")
        _one_line_error(r, "neuralcc eval: error:", expected)
    assert target.read_text() == "mine\n"


def test_files_that_are_not_utf8_are_named(corpus, tmp_path):
    bad_c = tmp_path / "latin1.c"
    bad_c.write_bytes(b"int f(int x) {\n  return x; /* caf\xe9 */\n}\n")
    r = _neuralcc("eval", "--translator", "return0", "--corpus", bad_c, "--arch", "x86-64", "--out", tmp_path / "a")
    _one_line_error(r, f"{bad_c}:2: not UTF-8 text (byte 0xe9 at column 19)")
    table = tmp_path / "asm.jsonl"
    table.write_bytes(b'{"benchmark": "x", "arch": "x86-64", "opt": "O0", "asm": "\xff"}\n')
    r = _neuralcc("eval", "--translator", f"file:{table}", "--corpus", corpus, "--arch", "x86-64", "--out", tmp_path / "b")
    _one_line_error(r, f"{table}:1: not UTF-8 text")
    prompt = tmp_path / "prompt.txt"
    prompt.write_bytes(b"Translate {source}\n\xc3(\n")
    r = _neuralcc("eval", "--translator", "http://127.0.0.1:9", "--prompt", prompt, "--corpus", corpus,
                  "--out", tmp_path / "c")
    _one_line_error(r, f"{prompt}:2: not UTF-8 text")
    out = tmp_path / "run"
    evaluate(_cfg(corpus, "return0", arches=["x86-64"]), out, progress=False)
    rows = (out / "results.jsonl").read_bytes()
    (out / "results.jsonl").write_bytes(rows + b"\x80\n")
    _one_line_error(_neuralcc("report", out), f"{out / 'results.jsonl'}:4: not UTF-8 text")
    (out / "results.jsonl").write_bytes(rows)
    (out / "config.json").write_bytes(b"\x80")
    _one_line_error(_neuralcc("report", out), f"{out / 'config.json'}:1: not UTF-8 text")


def test_resume_refuses_another_model(tmp_path):
    """A run resumed after retraining would mix two models' samples: the model's hash must match."""
    import shutil

    from neuralcc.translator.neural.decode import DEFAULT_MODEL

    model = tmp_path / "model"
    model.mkdir()
    for path in DEFAULT_MODEL.iterdir():
        if path.is_file():
            (model / path.name).symlink_to(path)
    broken = tmp_path / "broken.c"
    broken.write_text("int broken(int x) { return x +; }\n")  # the verifier refuses it before the model loads
    args = ["eval", "--translator", f"model:{model}", "--corpus", broken, "--arch", "x86-64", "--out", tmp_path / "run",
            "--quiet", "--no-report"]
    assert _neuralcc(*args).returncode == 0
    (model / "MODEL_CARD.md").unlink()
    (model / "MODEL_CARD.md").write_text("edited documentation\n")
    r = _neuralcc(*args)
    assert r.returncode == 0, r.stderr  # the model card is not the model
    weights = model / "model.safetensors"
    weights.unlink()
    shutil.copy(DEFAULT_MODEL / "model.safetensors", weights)
    with weights.open("ab") as f:
        f.write(b"\0")  # retrained
    before = {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()}
    _one_line_error(_neuralcc(*args), "model_sha256", "resuming would mix the two", "start fresh")
    assert {p.name: p.read_bytes() for p in (tmp_path / "run").iterdir()} == before


def test_resume_repairs_a_cut_middle_line_and_says_so(corpus, tmp_path):
    out = tmp_path / "run"
    cfg = _cfg(corpus, "gcc", arches=["x86-64"])
    evaluate(cfg, out, progress=False)
    lines = (out / "results.jsonl").read_text().splitlines()
    assert len(lines) == 3
    (out / "results.jsonl").write_text("\n".join([lines[0], lines[1][:40], lines[2]]) + "\n")
    with pytest.raises(ValueError, match=r"results.jsonl:2: malformed JSON"):
        read_results(out)
    r = _neuralcc("eval", "--translator", "gcc", "--corpus", f"file://{corpus}/", "--arch", "x86-64",
                  "--examples", 20, "--random", 60, "--workers", 1, "--out", out, "--quiet", "--no-report")
    assert r.returncode == 0, r.stderr
    repaired = [l for l in r.stderr.splitlines() if "repaired" in l]
    assert len(repaired) == 1 and "dropped line 2 (malformed JSON" in repaired[0] and "kept 2 complete rows" in repaired[0]
    now = (out / "results.jsonl").read_text().splitlines()
    assert now[:2] == [lines[0], lines[2]]  # every complete row kept as it was
    rows = read_results(out)
    assert sorted(r["benchmark"] for r in rows) == sorted(json.loads(l)["benchmark"] for l in lines)
    redone = json.loads(now[2])
    assert redone["benchmark"] == json.loads(lines[1])["benchmark"] and redone["category"] == json.loads(lines[1])["category"]
