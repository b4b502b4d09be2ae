"""`neuralcc corpus ...`: help texts, one-line errors with exit 2, and a tiny end-to-end build."""
import gzip
import json

import pytest

from neuralcc.corpora.cli import main


@pytest.mark.parametrize("sub", ["build", "stats", "list", "ubcheck"])
def test_help(sub, capsys):
    with pytest.raises(SystemExit) as e:
        main(["corpus", sub, "--help"])
    assert e.value.code == 0
    assert "usage" in capsys.readouterr().out


def _one_line_error(capsys, rc):
    err = capsys.readouterr().err
    assert rc == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("neuralcc corpus: error: "), err
    assert "Traceback" not in err
    return lines[0]


def test_stats_missing_path(capsys, tmp_path):
    line = _one_line_error(capsys, main(["corpus", "stats", str(tmp_path / "nope")]))
    assert "nope" in line


def test_stats_malformed_jsonl(capsys, tmp_path):
    p = tmp_path / "train-00000.jsonl.gz"
    with gzip.open(p, "wt") as f:
        f.write(json.dumps({"source": "int f(void){return 0;}", "asm": {}}) + "\n")
        f.write("{oops\n")
    line = _one_line_error(capsys, main(["corpus", "stats", str(tmp_path)]))
    assert "train-00000.jsonl.gz:2:" in line


def test_list_bad_uri(capsys):
    line = _one_line_error(capsys, main(["corpus", "list", "benchmark://nope-v0/3"]))
    assert "unknown dataset" in line


def test_list_missing_file(capsys, tmp_path):
    _one_line_error(capsys, main(["corpus", "list", f"file://{tmp_path}/missing.c"]))


def test_list_humaneval_absent(capsys, tmp_path):
    line = _one_line_error(capsys, main(["corpus", "list", "benchmark://humaneval-decompile-v0",
                                         "--shared-dir", str(tmp_path)]))
    assert "not found" in line


def test_list_kernels(capsys):
    assert main(["corpus", "list", "benchmark://kernels-v0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len(out) >= 15 and out[0].startswith("benchmark://kernels-v0/")


def test_build_bad_count(capsys, tmp_path):
    _one_line_error(capsys, main(["corpus", "build", "--out", str(tmp_path), "--count", "0"]))


@pytest.mark.slow
def test_tiny_build_end_to_end(capsys, tmp_path):
    out = tmp_path / "shards"
    rc = main(["corpus", "build", "--out", str(out), "--count", "30", "--seed", "11", "--workers", "1",
               "--no-progress", "--no-cache", "--eval", "benchmark://kernels-v0"])
    assert rc == 0
    recs = []
    for split in ("train", "valid", "test"):
        for p in sorted(out.glob(f"{split}-*.jsonl.gz")):
            with gzip.open(p, "rt") as f:
                recs += [json.loads(line) for line in f]
    assert 12 <= len(recs) <= 30
    r = recs[0]
    assert r["uri"].startswith("benchmark://synthetic-v1/seed=11/")
    for arch in ("x86-64", "aarch64"):
        for opt in ("O0", "O2"):
            assert r["asm"][arch][opt].count("\n") == len(r["lines"][arch][opt])
    report = json.loads((out / "build-report.json").read_text())
    assert report["compile_failures"] == 0 and report["ub_checked"] > 0
    assert main(["corpus", "stats", str(out)]) == 0
    assert "feature coverage" in capsys.readouterr().out


@pytest.mark.slow
def test_rebuild_reuses_label_and_check_cache(capsys, tmp_path):
    args = ["corpus", "build", "--count", "20", "--seed", "12", "--workers", "1", "--no-progress",
            "--cache", str(tmp_path / "c.sqlite"), "--eval", "benchmark://kernels-v0", "--arch", "x86-64"]
    assert main(args + ["--out", str(tmp_path / "a")]) == 0
    assert main(args + ["--out", str(tmp_path / "b")]) == 0
    ra = json.loads((tmp_path / "a" / "build-report.json").read_text())
    rb = json.loads((tmp_path / "b" / "build-report.json").read_text())
    assert rb["labels_cached"] == ra["labels_batched"] + ra["labels_single"] and rb["written"] == ra["written"]
    for split in ("train", "valid", "test"):
        for pa in sorted((tmp_path / "a").glob(f"{split}-*.jsonl.gz")):
            assert gzip.open(pa).read() == gzip.open(tmp_path / "b" / pa.name).read()
