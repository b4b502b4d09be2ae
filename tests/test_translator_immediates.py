"""Which immediates an instruction holds (translator/memory/immediates.py), checked against keystone itself."""
import pytest

from neuralcc.translator.memory.immediates import (add_immediate, float_immediate, literal_class, logical_immediate,
                                            move_immediate)
from neuralcc.verifier.asmprep import AsmError, prepare
from neuralcc.verifier.assemble import assemble

VALUES = [0, 1, 3, 5, 15, 17, 255, 4095, 4096, 4097, 8192, 65535, 65536, 70000, 0xFFF000, 0x1000000, -1, -11, -100,
          -4096, -128370, 0x55555555, 0xAAAAAAAA, 0xFF00FF00, 0x0F0F0F0F, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF,
          1540483477, 871405, 252556, 0xFFFE0000]


def _assembles(instruction: str) -> bool:
    try:
        assemble(prepare(f"\t.text\n\t.globl\tf\nf:\n\t{instruction}\n\tret\n", "aarch64"))
        return True
    except AsmError:
        return False


@pytest.mark.parametrize("v", VALUES)
def test_the_aarch64_immediate_classes_are_the_ones_keystone_accepts(v):
    compare = f"cmp\tw0, {v}" if v >= 0 else f"cmn\tw0, {-v}"
    assert _assembles(compare) == add_immediate(v), compare
    assert _assembles(f"and\tw0, w0, {v}") == logical_immediate(v, 32)
    assert _assembles(f"mov\tw0, {v}") == move_immediate(v, 32)


@pytest.mark.parametrize("x", [1.0, 0.5, 0.75, 2.0, 31.0, 0.125, 0.1, 100.0, -1.5, 3.0, 17.0, 0.2, 1.0625, 32.0])
def test_fmov_holds_the_floats_keystone_accepts(x):
    assert _assembles(f"fmov\td0, {x:e}") == float_immediate(x)


def test_a_literal_class_names_what_decides_gccs_code():
    assert literal_class("aarch64", 5) == "am" and literal_class("aarch64", 7) == "aml"  # 7 = 0b111: and-able
    assert literal_class("aarch64", 70000) == ""  # mov + movk, then a register operand
    assert literal_class("aarch64", 0.75) == "f" and literal_class("aarch64", 0.1) == ""
    assert literal_class("x86-64", 70000) == "" and literal_class("x86-64", 1 << 40) == "w"  # movabsq
    assert literal_class("x86-64", 0.0) == literal_class("aarch64", 0.0) == "z"
