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


def test_an_unused_object_does_not_take_the_code_or_constants_after_it(arch):
    """Normalised labels have no `.size`: an unused global before a static helper once took the helper's
    `.text` with it (the code then sat in .bss), and at -O2 the float constant pool after it."""
    from neuralcc.corpora.label import label_single

    source = """
unsigned unused_g = 0;
static float half(unsigned x) { return (float)(x * 3U) * 0.5f; }
// ncc: range(k)=0..1000
float entry(unsigned k) { return half(k) - 1.25f; }
"""
    for opt in ("O0", "O2"):
        label = label_single(source, arch, opt).asm
        assert unreachable_functions(label, "entry", arch) <= {"half"}  # objects are not functions
        checker = Checker(source, arch, opt, "entry", examples=5, random_inputs=50)
        assert checker.check(label).category == "pass", opt


def test_a_static_function_the_other_opt_level_inlines_can_be_checked(arch):
    """The second reference (the other opt level) has no standalone copy of an inlined static function."""
    source = """
// ncc: range(x)=-1000..1000
static int sq(int x) { return x * x + 1; }
int use(int a) { return sq(a) + sq(a + 1); }
"""
    checker = Checker(source, arch, "O0", "sq", examples=5, random_inputs=50)
    assert checker.unsupported is None
    assert checker.check(checker.reference_asm).category == "pass"
    wrong = checker.reference_asm.replace("$1,", "$2,") if arch == "x86-64" else checker.reference_asm.replace(", 1\n", ", 2\n")
    assert wrong != checker.reference_asm and checker.check(wrong).category == "semantic.wrong_output"


# A program in two units: main's unit calls `scaled` of the other, and both define a static `helper`
# (and local labels) of their own.
LIBRARY = """
static int helper(int x) { return x * 3; }
int scaled(int x) { int s = 0; for (int i = 0; i < x; i++) s += helper(i); return s; }
"""
PROGRAM = """
#include <stdio.h>
int scaled(int x);
static int helper(int x) { return x + 1; }
int main(void) {
    int total = 0;
    for (int i = 0; i < 5; i++)
        total += helper(scaled(i));
    printf("total %d\\n", total);
    return total & 7;
}
"""


def test_a_main_calling_another_unit_is_checked_with_that_unit_linked(arch):
    assert "call to 'scaled'" in Checker(PROGRAM, arch, "O0", "main", examples=2, random_inputs=3).unsupported
    library = compile_to_asm(LIBRARY, arch, "O0")
    checker = Checker(PROGRAM, arch, "O0", "main", examples=2, random_inputs=3, link=[library])
    assert checker.unsupported is None
    assert checker.check(checker.reference_asm).category == "pass"  # each unit's own `helper` is called
    printed = checker.check(checker.reference_asm.replace("total %d", "total %x"))
    assert printed.category == "semantic.wrong_output", printed
    # a candidate's main that calls the other unit's static helper cannot link: it is not found
    call = "call\thelper" if arch == "x86-64" else "bl\thelper"
    assert call in checker.reference_asm
    rogue = checker.reference_asm.replace(call, call + ".lk0_")
    assert checker.check(rogue).category.startswith("symbol."), checker.check(rogue)
