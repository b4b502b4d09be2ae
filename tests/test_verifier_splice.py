"""Putting one function's assembly into a unit's (ncc and c_test programs) and the GNU as cross-check."""
from neuralcc.verifier import Checker
from neuralcc.verifier.gnu_as import encoding_mismatches
from neuralcc.verifier.reference import compile_to_asm
from neuralcc.verifier.splice import (defined_symbols, function_only, replace_function, runnable_part,
                                       unreachable_functions)

UNIT = """
static const int weights[4] = {3, 5, 7, 11};
int counter;
static int weigh(int i) { return weights[i & 3]; }
int score(const int *v, int n) { int s = 0; for (int i = 0; i < n; i++) s += v[i] * weigh(i); counter++; return s; }
int twice(int x) { return 2 * x + weigh(x); }
"""


def test_function_only_keeps_the_function_and_its_local_labels(arch):
    asm = compile_to_asm(UNIT, arch, "O0")
    own = function_only(asm, "score", arch)
    assert defined_symbols(own, arch) == {"score"}
    assert "weights:" not in own and "counter" not in own.split("score:")[0]
    assert ".L" in own  # the loop's labels came along


def test_replacing_a_function_with_other_code_of_the_same_meaning_passes(arch):
    source = UNIT.replace("int score", "// ncc: len(v)=n range(n)=0..16\nint score")
    checker = Checker(source, arch, "O2", "score", examples=10, random_inputs=100)
    o0 = compile_to_asm(source, arch, "O0")
    spliced = replace_function(checker.reference_asm, o0, "score", arch, "nn0_")
    # gcc -O2 inlined the static helper everywhere; the -O0 candidate calls it, so its copy comes along
    assert defined_symbols(spliced, arch) == defined_symbols(checker.reference_asm, arch) | {"weigh.nn0_"}
    assert spliced.count("score:") == 1 and ".Lnn0_" in spliced
    assert checker.check(spliced).category == "pass"
    image = checker.build(spliced).image  # of the part `score` reaches: `twice` is left out
    assert "twice" not in image.symbols
    assert encoding_mismatches(runnable_part(spliced, "score", arch), image, "score") == []


def test_replacing_a_function_with_wrong_code_fails(arch):
    source = UNIT.replace("int twice", "// ncc: range(x)=-1000..1000\nint twice")
    checker = Checker(source, arch, "O2", "twice", examples=10, random_inputs=100)
    wrong = compile_to_asm(source.replace("2 * x", "3 * x"), arch, "O0")
    assert checker.check(replace_function(checker.reference_asm, wrong, "twice", arch, "nn0_")).category == \
        "semantic.wrong_output"


def test_the_cross_check_names_a_line_keystone_encoded_differently(arch):
    """Bytes changed under one instruction (as a keystone mis-encoding would) are found and named."""
    from dataclasses import replace

    source = UNIT.replace("int twice", "// ncc: range(x)=-1000..1000\nint twice")
    checker = Checker(source, arch, "O0", "twice", examples=0, random_inputs=10)
    image = checker.build(checker.reference_asm).image
    addr, line = image.line_addresses[len(image.line_addresses) // 2]
    at = addr - image.base
    code = bytearray(image.code)
    code[at] ^= 0x01 if arch == "x86-64" else 0x00
    code[at + 1 if arch == "x86-64" else at + 2] ^= 0x08  # a different register or opcode bit
    text = runnable_part(checker.reference_asm, "twice", arch)
    assert encoding_mismatches(text, image, "twice") == []
    bad = encoding_mismatches(text, replace(image, code=bytes(code)), "twice")
    assert [m.line for m in bad] == [line]
    assert image.source_lines[line - 1].strip() in str(bad[0])


def test_functions_the_entry_cannot_reach_are_left_out(arch):
    """A unit whose main calls another unit's code: its helpers can still be tested."""
    source = """
// ncc: range(x)=-100..100
int helper(int x) { return x * 3 + 1; }
extern int elsewhere(int);
int main(void) { return elsewhere(helper(2)); }
"""
    checker = Checker(source, arch, "O1", "helper", examples=5, random_inputs=50)
    assert checker.unsupported is None and checker.check(checker.reference_asm).category == "pass"
    main = Checker(source, arch, "O1", "main", examples=5, random_inputs=50)
    assert "elsewhere" in main.unsupported
    text = runnable_part(checker.reference_asm, "helper", arch)
    assert "main:" not in text and text.count("\n") == checker.reference_asm.count("\n")  # lines kept


def test_labels_without_size_directives_keep_every_function(arch):
    """The corpora's normalised labels carry no `.size`: a helper must not swallow the entry after it."""
    from neuralcc.corpora.label import label_single

    source = UNIT.replace("int score", "// ncc: len(v)=n range(n)=0..16\nint score")
    label = label_single(source, arch, "O0").asm
    assert ".size" not in label
    assert unreachable_functions(label, "score", arch) == {"twice"}
    checker = Checker(source, arch, "O0", "score", examples=5, random_inputs=50)
    assert checker.check(label).category == "pass"
