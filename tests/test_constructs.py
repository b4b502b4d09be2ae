"""C constructs as people write them, one C file each in tests/c/: every function of the file translated by
the shipped translation memory (no model) and passed by the verifier, on both arches."""
from __future__ import annotations

from pathlib import Path

import pytest

from neuralcc.cbase.csource import find_functions
from neuralcc.translator.front.csource import SourceError
from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
from neuralcc.verifier.check import Checker

C = Path(__file__).parent / "c"
CASES = [(f.name, fn.name) for f in sorted(C.glob("*.c")) for fn in find_functions(f.read_text(), SourceError)]


@pytest.fixture(scope="module")
def memory():
    return NeuralTranslator()


@pytest.mark.parametrize("file, entry", CASES)
def test_each_construct_reaches_a_verified_translation(memory, file, entry, arch):
    source = (C / file).read_text()
    (out,) = memory.translate(source, arch, "O0", entry=entry, opt=DecodeOptions(memory_only=True))
    verdict = Checker(source, arch, "O0", entry).check(out.asm)
    assert verdict.category == "pass", str(verdict)
