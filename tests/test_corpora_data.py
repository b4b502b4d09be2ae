"""Splits, shards, URIs, loaders and contamination control."""
import json
import os
import subprocess
from pathlib import Path

import pytest

from neuralcc.corpora import load_benchmarks
from neuralcc.corpora.dedup import EvalIndex, exact_key, jaccard_estimate, signature
from neuralcc.corpora.gcc import warning_command
from neuralcc.cbase.csource import find_functions
from neuralcc.corpora.loaders import CorpusError, CorpusMissing, default_shared_dir
from neuralcc.corpora.shards import ShardError, iter_pairs, write_records
from neuralcc.corpora.splits import split_of
from neuralcc.corpora.uris import URIError, parse_uri

SHARED = Path(os.environ.get("NEURALCC_SHARED_DIR", default_shared_dir()))
HUMANEVAL = SHARED / "humaneval-decompile.jsonl"
needs_humaneval = pytest.mark.skipif(not HUMANEVAL.is_file(),
                                     reason=f"{HUMANEVAL} absent (set NEURALCC_SHARED_DIR)")

SRC = "// ncc: len(a)=n\nint k000001(const int *a, int n)\n{\n    int s = 0;\n    for (int i = 0; i < n; i++) {\n" \
      "        s += a[i];\n    }\n    return s;\n}\n"


def test_split_is_stable_and_ignores_entry_name_and_layout():
    s = split_of(SRC, "k000001")
    assert s == split_of(SRC, "k000001")
    renamed = SRC.replace("k000001", "k424242").replace("    ", "\t")
    assert split_of(renamed, "k424242") == s
    # pinned: the assignment must never change between versions
    assert s == "train"
    counts = {}
    from neuralcc.corpora.generator import generate_function
    for i in range(500):
        f = generate_function(40, i)
        counts[split_of(f.source, f.name)] = counts.get(split_of(f.source, f.name), 0) + 1
    assert counts["train"] > 440 and counts.get("valid", 0) > 0 and counts.get("test", 0) > 0


def test_minhash_finds_renamed_near_duplicate():
    ev = load_benchmarks("benchmark://kernels-v0")
    idx = EvalIndex.build([(b.uri, b.source) for b in ev])
    dot = next(b for b in ev if b.entry == "dot_product").source
    renamed = dot.replace("dot_product", "mystery").replace("sum", "acc").replace("a[i]", "x[i]") \
        .replace("const float *a", "const float *x")
    m = idx.match(renamed)
    assert m is not None and m[1] == "benchmark://kernels-v0/dot_product"
    assert m[0] == "exact"  # identifiers are renamed by first use: a pure renaming is an exact duplicate
    edited = renamed.replace("acc = 0.0", "acc = 1.0")
    m = idx.match(edited)
    assert m is not None and m[0] == "near" and m[1].endswith("dot_product")
    other = load_benchmarks("benchmark://synthetic-v1/seed=3/000010")[0].source
    assert idx.match(other) is None
    assert jaccard_estimate(signature(dot), signature(dot)) == 1.0
    assert exact_key(dot) != exact_key(other)


def test_shards_round_trip_and_malformed_line(tmp_path):
    recs = [{"uri": f"u{i}", "entry": "f", "source": "int f(void){return 0;}", "features": [], "split": sp,
             "asm": {"x86-64": {"O0": "x"}}, "lines": {}} for i, sp in enumerate(["train", "valid", "train"])]
    info = write_records(recs, tmp_path, records_per_shard=1)
    assert info["counts"] == {"train": 2, "valid": 1, "test": 0}
    assert [r["uri"] for r in iter_pairs(tmp_path, "train")] == ["u0", "u2"]
    assert [r["uri"] for r in iter_pairs(tmp_path, split=None)] == ["u0", "u2", "u1"] or \
        len(list(iter_pairs(tmp_path, split=None))) == 3
    bad = tmp_path / "bad" / "train-00000.jsonl"
    bad.parent.mkdir()
    bad.write_text(json.dumps(recs[0]) + "\n{not json\n")
    with pytest.raises(ShardError, match=r"train-00000.jsonl:2: malformed JSON"):
        list(iter_pairs(bad.parent))


def test_uri_parsing():
    assert parse_uri("benchmark://synthetic-v1/seed=7/000123").item == "000123"
    u = parse_uri("benchmark://synthetic-v1/seed=7?count=1000")
    assert u.seed == 7 and u.params["count"] == "1000"
    assert parse_uri("benchmark://humaneval-decompile-v0/12").item == "12"
    assert parse_uri("file:///x/y.c#fn").fragment == "fn"
    for bad in ("benchmark://nope-v9/1", "benchmark://synthetic-v1/7", "http://x", "benchmark://humaneval-decompile-v0/x"):
        with pytest.raises(URIError):
            parse_uri(bad)


def test_synthetic_uris():
    one = load_benchmarks("benchmark://synthetic-v1/seed=7/000123")
    assert len(one) == 1 and one[0].uri == "benchmark://synthetic-v1/seed=7/000123" and one[0].entry == "k000123"
    many = load_benchmarks("benchmark://synthetic-v1/seed=7?count=5")
    assert [b.uri for b in many] == [f"benchmark://synthetic-v1/seed=7/{i:06d}" for i in range(5)]
    assert many[3].source == load_benchmarks("benchmark://synthetic-v1/seed=7/3")[0].source


def test_kernels_load_and_compile_cleanly(tmp_path):
    ks = load_benchmarks("benchmark://kernels-v0")
    assert len(ks) >= 15
    names = {k.entry for k in ks}
    for want in ("dot_product", "saxpy", "matmul", "stencil_1d", "prefix_sum", "histogram", "crc32",
                 "insertion_sort", "binary_search", "string_reverse", "fir_q15", "gcd", "popcount"):
        assert want in names
    for k in ks:
        assert k.meta["annotations"], k.uri
        src = tmp_path / f"{k.entry}.c"
        src.write_text(k.source)
        for arch in ("x86-64", "aarch64"):
            cmd = warning_command(arch, "O2")
            cmd.remove("-S")
            r = subprocess.run(cmd + ["-c", str(src), "-o", str(tmp_path / "k.o")], capture_output=True, text=True)
            assert r.returncode == 0, (k.uri, arch, r.stderr)
    one = load_benchmarks("benchmark://kernels-v0/dot_product")
    assert len(one) == 1 and one[0].entry == "dot_product"


def test_c_file_and_directory_loaders(tmp_path):
    (tmp_path / "a.c").write_text("static int helper(int x) { return x * 2; }\n"
                                  "/* comment { */\nint first(int x) { return helper(x) + 1; }\n"
                                  "// ncc: len(p)=n\nlong second(const long *p, int n) {\n"
                                  "  long s = 0; for (int i = 0; i < n; i++) { s += p[i]; } return s;\n}\n"
                                  "int main(void) { return first(1); }\n")
    (tmp_path / "b.c").write_text("struct s { int a; };\nint third(struct s *p) { return p->a; }\n")
    bms = load_benchmarks(f"file://{tmp_path}/")
    assert [b.entry for b in bms] == ["first", "second", "third"]
    one = load_benchmarks(f"file://{tmp_path}/a.c#second")
    assert one[0].entry == "second"
    assert one[0].meta["annotations"] == {"len": {"p": "n"}, "out": [], "range": {}, "string": []}
    assert one[0].uri.endswith("a.c#second")
    with pytest.raises(CorpusError, match="no function named"):
        load_benchmarks(f"file://{tmp_path}/a.c#nope")
    assert [f.name for f in find_functions((tmp_path / "a.c").read_text())] == ["helper", "first", "second", "main"]


def test_exebench_jsonl_loader(tmp_path):
    p = tmp_path / "exe.jsonl"
    rows = [{"fname": "add3", "func_head": "int add3(int x)", "func_def": "int add3(int x) { return x + K; }",
             "synth_deps": "#define K 3", "synth_io_pairs": [{"input": {"x": 1}, "output": {"returnv": 4}}]},
            {"func_def": "typedef int T;\nT twice(T x) { return 2 * x; }", "real_deps": ""}]
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    bms = load_benchmarks(str(p))
    assert [b.entry for b in bms] == ["add3", "twice"]
    assert "#define K 3" in bms[0].source and bms[0].meta["io_pairs"]
    p.write_text(json.dumps(rows[0]) + "\n{broken\n")
    with pytest.raises(CorpusError, match=r"exe.jsonl:2: malformed JSON"):
        load_benchmarks(str(p))


def test_humaneval_missing_is_a_clear_error(tmp_path):
    with pytest.raises(CorpusMissing, match="humaneval-decompile corpus not found"):
        load_benchmarks("benchmark://humaneval-decompile-v0", shared_dir=tmp_path)


@needs_humaneval
def test_humaneval_loader():
    all_ = load_benchmarks("benchmark://humaneval-decompile-v0", shared_dir=SHARED)
    assert len(all_) == 164 and all(b.entry == "func0" and b.test_source for b in all_)
    one = load_benchmarks("benchmark://humaneval-decompile-v0/12", shared_dir=SHARED)
    assert one[0].uri == "benchmark://humaneval-decompile-v0/12" and one[0].meta["task_id"] == 12


@needs_humaneval
def test_no_humaneval_function_in_synthetic_sample():
    he = load_benchmarks("benchmark://humaneval-decompile-v0", shared_dir=SHARED)
    idx = EvalIndex.build([(b.uri, b.source) for b in he])
    assert idx.match(he[5].source.replace("func0", "k000001"))[0] == "exact"
    syn = load_benchmarks("benchmark://synthetic-v1/seed=1?count=200")
    assert not [b.uri for b in syn if idx.match(b.source)]


def test_gcc_command_flags_are_the_documented_ones():
    from neuralcc.corpora import gcc_command
    assert gcc_command("x86-64", "O2") == ["gcc", "-S", "-O2", "-fno-asynchronous-unwind-tables",
                                           "-fno-stack-protector", "-fno-ipa-icf",
                                           "-fno-inline-functions-called-once", "-fcf-protection=none"]
    assert gcc_command("aarch64", "Os") == ["aarch64-linux-gnu-gcc", "-S", "-Os", "-fno-asynchronous-unwind-tables",
                                            "-fno-stack-protector", "-fno-ipa-icf",
                                            "-fno-inline-functions-called-once", "-mno-outline-atomics"]
    with pytest.raises(ValueError):
        gcc_command("riscv", "O2")


def test_live_filter_keeps_original_indices():
    raw = load_benchmarks("benchmark://synthetic-v1/seed=7?count=40")
    live = load_benchmarks("benchmark://synthetic-v1/seed=7?count=40&filter=live")
    assert 0 < len(live) < len(raw)
    by_uri = {b.uri: b.source for b in raw}
    assert all(by_uri[b.uri] == b.source for b in live)
    with pytest.raises(CorpusError):
        load_benchmarks("benchmark://synthetic-v1/seed=7?count=40&filter=nope")


BUILT = Path(__file__).resolve().parent.parent / "data" / "synthetic-v1"


@pytest.mark.slow
@needs_humaneval
@pytest.mark.skipif(not (BUILT / "build-report.json").is_file(), reason=f"{BUILT} not built")
def test_built_training_data_has_no_humaneval_function_or_near_duplicate():
    he = load_benchmarks("benchmark://humaneval-decompile-v0", shared_dir=SHARED)
    idx = EvalIndex.build([(b.uri, b.source) for b in he])
    hits = []
    for split in ("train", "valid"):
        for rec in iter_pairs(BUILT, split):
            if idx.match(rec["source"]) is not None:
                hits.append(rec["uri"])
    assert hits == []
