"""Named stack slots ("slots" mode): gcc's frame -> symbols -> a layout of our own that the verifier passes."""
import pytest

from neuralcc.corpora.label import label_single
from neuralcc.translator.back import asmtext, frame
from neuralcc.translator.data import slotdata
from neuralcc.translator.data.records import read_shards
from neuralcc.verifier import Checker
from neuralcc.verifier.signature import frame_variables

UNIT = """
struct P { int a; long b; };
static long weigh(long x) { return x * 3 + 1; }
// ncc: len(arr)=c range(c)=0..8 range(k)=0..1000
long f(unsigned long k, unsigned c, int *arr, struct P *p) {
    long v1 = k; int buf[4] = {0, 0, 0, 0}; struct P q;
    for (int i = 0; i < (int)c; i++) { buf[i & 3] = arr[i]; v1 += buf[2]; }
    q.b = v1; q.a = 3;
    for (int i = 0; i < 2; i++) v1 += p->b + q.a;
    return weigh(v1 + q.b) + buf[0];
}
"""


def _symbolic(source: str, arch: str) -> str:
    maps = frame.slot_maps(slotdata.verbose_asm(source, arch), arch, source)
    label = label_single(source, arch, "O0")
    lines, _ = asmtext.clean_lines(label.asm, label.lines)
    return "\n".join(frame.symbolize(lines, maps, arch)) + "\n"


def test_slots_are_named_by_their_c_lvalue(arch):
    text = _symbolic(UNIT, arch)
    assert "@buf@" in text or "@buf[0]@" in text  # the array's base, by whichever name gcc's comments used
    for lvalue in ("@v1@", "@buf[2]@", "@q.a@", "@q.b@", "@i@", "@k@", "@FRAME@"):
        assert lvalue in text, lvalue
    gcc = label_single(UNIT, arch, "O0").asm
    assert ("(%rbp)" if arch == "x86-64" else "[sp, ") in gcc
    # no numeric stack slot is left
    assert "(%rbp" not in text.replace("@(%rbp", "") if arch == "x86-64" else "[sp, 1" not in text


def test_our_layout_of_gcc_code_passes_the_verifier(arch):
    text = _symbolic(UNIT, arch)
    asm = frame.resolve(text, frame_variables(UNIT), arch)
    assert "@" not in asm
    checker = Checker(UNIT, arch, "O0", "f", examples=20, random_inputs=100)
    assert checker.check(asm).category == "pass"
    # and the layout matters: two live variables put in one slot are caught
    lay = frame.frame_layout(frame_variables(UNIT)["f"], arch, record_at_bottom=(arch == "aarch64"))
    squashed = asm.replace(f"{lay.offsets['v1']}", f"{lay.offsets['c']}") if arch == "x86-64" else \
        asm.replace(f"[sp, {lay.offsets['v1']}]", f"[sp, {lay.offsets['c']}]")
    assert squashed != asm and checker.check(squashed).category != "pass"


def test_a_slot_without_a_name_is_refused(arch):
    label = label_single(UNIT, arch, "O0")
    lines, _ = asmtext.clean_lines(label.asm, label.lines)
    with pytest.raises(frame.FrameError, match="no variable at stack displacement"):
        frame.symbolize(lines, {"f": {}, "weigh": {}}, arch)


def test_an_unknown_name_stays_for_the_assembler_to_report(arch):
    text = _symbolic(UNIT, arch).replace("@v1@", "@nope@", 1)
    asm = frame.resolve(text, frame_variables(UNIT), arch)
    assert "@nope@" in asm
    checker = Checker(UNIT, arch, "O0", "f", examples=5, random_inputs=20)
    assert checker.check(asm).category.startswith("asm.")


def test_slotdata_converts_a_shard(tmp_path):
    from neuralcc.translator.data import toydata

    recs = toydata.make_records_fast(12, seed=4)
    src = tmp_path / "in"
    src.mkdir()
    toydata.write_shard(recs, src / "train-00000.jsonl.gz")
    report = slotdata.convert(src, tmp_path / "out", ["x86-64", "aarch64"], workers=1, batch=5)
    assert report["counts"].get("x86-64 converted", 0) >= 10 and report["counts"].get("aarch64 converted", 0) >= 10
    out = list(read_shards(tmp_path / "out"))
    assert out and all(r["slots"] for r in out)
    r = out[0]
    asm = frame.resolve(r["asm"]["x86-64"]["O0"], frame_variables(r["source"]), "x86-64")
    checker = Checker(r["source"], "x86-64", "O0", r["entry"], examples=5, random_inputs=40)
    assert checker.unsupported or checker.check(asm).category == "pass"
