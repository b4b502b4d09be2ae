"""Assembly normalisation: noise dropped, labels canonical, still assembles with GNU as."""
import subprocess

import pytest

from neuralcc.corpora.gcc import ASSEMBLERS
from neuralcc.corpora.generator import generate_function
from neuralcc.corpora.label import label_single
from neuralcc.corpora.loaders import load_benchmarks
from neuralcc.corpora.normalize import normalize_with_lines

RAW_X86 = """\t.file\t"t.c"
\t.text
.Ltext0:
\t.p2align 4
\t.globl\tf
\t.type\tf, @function
f:
.LFB0:
\t.file 1 "t.c"
\t.loc 1 3 1
\t.cfi_startproc
\ttestl\t%edi, %edi
\tjle\t.L7
\t.loc 1 4 5
\tmovsd\t.LC4(%rip), %xmm0
\tjmp\t.L9
.L7:
\t.loc 1 5 5
\tmovsd\t.LC2(%rip), %xmm0
.L9:
\tret
\t.cfi_endproc
.LFE0:
\t.size\tf, .-f
\t.section\t.rodata.cst8,"aM",@progbits,8
\t.align 8
.LC2:
\t.long\t0
\t.long\t1073741824
\t.align 8
.LC4:
\t.long\t0
\t.long\t1072693248
\t.text
.Letext0:
\t.section\t.debug_info,"",@progbits
.Ldebug_info0:
\t.long\t0x42
\t.ident\t"GCC: (Debian 12.2.0-14) 12.2.0"
\t.section\t.note.GNU-stack,"",@progbits
"""


def test_noise_dropped_and_labels_renumbered():
    text, lines = normalize_with_lines(RAW_X86, "x86-64")
    for bad in (".file", ".loc", ".cfi", ".ident", ".note", ".debug", ".LFB", ".LFE", ".Ltext", ".type", ".size"):
        assert bad not in text, bad
    body = text.splitlines()
    assert "\tjle\t.L1" in body and "\tjmp\t.L2" in body and ".L1:" in body and ".L2:" in body
    # constants are numbered in order of first use: .LC4 is used first
    assert "\tmovsd\t.LC0(%rip), %xmm0" in body and "\tmovsd\t.LC1(%rip), %xmm0" in body
    lc0 = body.index(".LC0:")
    assert body[lc0 + 2] == "\t.long\t1072693248"  # the old .LC4 payload
    assert len(lines) == len(body)
    assert lines[body.index("\ttestl\t%edi, %edi")] == 3
    assert lines[body.index("\tmovsd\t.LC0(%rip), %xmm0")] == 4
    assert lines[body.index("f:")] is None


def _assembles(arch, text, tmp_path):
    src = tmp_path / "x.s"
    src.write_text(text)
    r = subprocess.run([ASSEMBLERS[arch], str(src), "-o", str(tmp_path / "x.o")], capture_output=True, text=True)
    return r.returncode == 0, r.stderr


@pytest.mark.parametrize("arch", ["x86-64", "aarch64"])
@pytest.mark.parametrize("opt", ["O0", "O2"])
def test_normalised_labels_assemble(arch, opt, tmp_path):
    sources = [generate_function(21, i).source for i in range(12)]
    sources += [b.source for b in load_benchmarks("benchmark://kernels-v0")[:6]]
    for src in sources:
        lab = label_single(src, arch, opt)
        assert lab.error is None
        ok, err = _assembles(arch, lab.asm, tmp_path)
        assert ok, err + "\n" + lab.asm


def test_o0_line_map_points_into_the_source():
    f = generate_function(22, 3)
    lab = label_single(f.source, "x86-64", "O0")
    n_src = f.source.count("\n") + 1
    real = [ln for ln in lab.lines if ln is not None]
    assert len(lab.lines) == len(lab.asm.splitlines())
    assert real and all(1 <= ln <= n_src for ln in real)
