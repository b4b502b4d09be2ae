"""`neuralcc prepare-data`: one command from a labelled corpus to the records `neuralcc train` reads."""
import json
import subprocess
import sys

from neuralcc.translator.data import localdata, lowerdata, slotdata, toydata
from neuralcc.translator.data.records import read_shards


def _corpus(path):
    path.mkdir()
    recs = [{**r, "split": "train"} for r in toydata.make_records_fast(12, seed=4)]
    toydata.write_shard(recs, path / "train-00000.jsonl.gz")
    return path


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "neuralcc.harness.cli", "prepare-data", *args],
                          capture_output=True, text=True)


def test_prepare_data_gives_the_records_of_the_three_stages(tmp_path):
    corpus = _corpus(tmp_path / "corpus")
    r = _cli("--data", str(corpus), "--out", str(tmp_path / "out"), "--workers", "1")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "train with `neuralcc train --lower atoms --data" in r.stderr
    got = sorted((x["uri"], json.dumps(x["pieces"], sort_keys=True)) for x in read_shards(tmp_path / "out" / "records"))
    # the stages by hand, as the model card's commands ran them
    lowerdata.convert(corpus, tmp_path / "l", ["x86-64", "aarch64"], 1, None, True)
    slotdata.convert(tmp_path / "l", tmp_path / "s", ["x86-64", "aarch64"], 1, 200)
    localdata.convert(tmp_path / "s", tmp_path / "r", 1, params=True)
    want = sorted((x["uri"], json.dumps(x["pieces"], sort_keys=True)) for x in read_shards(tmp_path / "r"))
    assert got == want and len(got) >= 6
    report = json.loads((tmp_path / "out" / "prepare.json").read_text())
    assert report["settings"]["lower"] == "atoms" and report["settings"]["params"] is True
    assert report["slots"]["x86-64 converted"] == 12
    again = _cli("--data", str(corpus), "--out", str(tmp_path / "out"), "--workers", "1")
    assert again.returncode == 0 and "lower:" not in again.stderr  # finished stages are not redone
    assert json.loads((tmp_path / "out" / "prepare.json").read_text()) == report  # and their counts are kept
    other = _cli("--data", str(corpus), "--out", str(tmp_path / "out"), "--lower", "ops")
    assert other.returncode == 2 and "other settings" in other.stderr  # never stages of other settings


def test_prepare_data_refuses_what_is_not_a_corpus(tmp_path):
    (tmp_path / "empty").mkdir()
    r = _cli("--data", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not a corpus directory" in r.stderr
