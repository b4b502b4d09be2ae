"""The translation memory (translator/memory/): lookups by nearest key, its file, and the memory-alone
baseline judged by the verifier."""
import json

import pytest
import torch

from neuralcc.translator import prompts
from neuralcc.translator.data import records as R
from neuralcc.translator.memory.store import LeaveOneOut, Memory, MemoryBuilder, clause_prompt
from neuralcc.translator.memory.structlayout import layout_prompt
from neuralcc.translator.neural import model as M
from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator
from neuralcc.translator.neural.train import build_tokenizer
from neuralcc.verifier.check import Checker

from prompt_text import prompt_of
from test_translator_local import KERNELS, TINY, _local_record, tiny_from_scratch  # noqa: F401 (a fixture)

P = "<x86-64><O0><chunks>stmt: VA = VA + 3;<sep>int VA;<sep>"
ADD3 = "\tmovl\t@VA@(%rbp), %eax\n\taddl\t$3, %eax\n\tmovl\t%eax, @VA@(%rbp)\n"


# The prompts here are written as the model reads them; `prompt_of` makes them `Prompt`s.
def add(mem, arch, pairs):
    mem.add(arch, [(prompt_of(p), t) for p, t in pairs])


def lookup(mem, arch, text):
    return mem.lookup(arch, prompt_of(text))


def candidates(mem, arch, text, k):
    return mem.candidates(arch, prompt_of(text), k)


def leave_one_out(loo, arch, pairs, k, layer=0):
    return loo.candidates(arch, [(prompt_of(p), t) for p, t in pairs], k, layer)


def layout(text):
    out = layout_prompt(prompt_of(text))
    return out and out.render()


def clause(text):
    out = clause_prompt(prompt_of(text))
    return out and out.render()



def test_lookup_finds_the_nearest_key_and_says_how_near():
    mem = MemoryBuilder()
    add(mem, "x86-64", [(P, ADD3)])
    assert lookup(mem, "x86-64", P).level == "exact" and lookup(mem, "x86-64", P).piece == ADD3
    hit = lookup(mem, "x86-64", P.replace("3", "7"))
    assert hit.level == "template" and hit.piece == ADD3.replace("$3", "$7")  # `+ 3`'s piece, its number filled
    assert lookup(mem, "x86-64", P.replace("int VA", "long VA")).level == "statement"
    # `+ 9` on a long: the statement with its numbers abstracted holds `+ 3`'s piece, which writes no 9
    assert lookup(mem, "x86-64", P.replace("3;<sep>int", "9;<sep>long")) is None
    assert lookup(mem, "x86-64", P.replace("+", "*")) is None
    assert lookup(mem, "aarch64", P) is None  # one memory per arch


def test_candidates_are_the_nearest_keys_with_different_pieces():
    mem = MemoryBuilder()
    add(mem, "x86-64", [(P, ADD3)])
    add(mem, "x86-64", [(P.replace("int VA", "long VA"), ADD3.replace("movl", "movq"))])
    frozen = mem.freeze()
    near = candidates(frozen, "x86-64", P.replace("3", "7"), 3)
    assert [h.level for h in near] == ["template"]  # "numbers" holds `+ 3`'s ADD3, which writes no 7
    assert near[0].piece == ADD3.replace("$3", "$7")
    assert lookup(frozen, "x86-64", P.replace("3", "7")) == near[0]
    assert candidates(frozen, "x86-64", P.replace("+", "*"), 3) == []


def test_leave_one_out_never_finds_a_functions_own_pieces():
    """A training function reads the memory of the others: a prompt only it has is a near hit or a miss,
    one another function shares is still exact, and a fill layer answers keys the primary lacks."""
    own = [(P, ADD3)]
    other = [(P.replace("3", "7"), ADD3.replace("$3", "$7"))]
    primary = MemoryBuilder()
    add(primary, "x86-64", own)
    add(primary, "x86-64", other)
    loo = LeaveOneOut([primary])
    ((hit, *_),) = leave_one_out(loo, "x86-64", own, 2)
    assert hit.level == "template" and hit.piece == ADD3  # from `+ 7`'s piece, not its own
    add(primary, "x86-64", [(P, ADD3)])  # a second function with the same statement
    ((hit, *_),) = leave_one_out(LeaveOneOut([primary]), "x86-64", own, 2)
    assert hit.level == "exact"
    alone = [(P.replace("+", "*"), "\timull\t$3, @VA@(%rbp), %eax\n")]
    only = MemoryBuilder()
    add(only, "x86-64", alone)
    assert leave_one_out(LeaveOneOut([only]), "x86-64", alone, 2) == [[]]
    fill = MemoryBuilder()
    add(fill, "x86-64", alone)
    assert leave_one_out(LeaveOneOut([only, fill]), "x86-64", alone, 1)[0][0].level == "exact"  # another layer's
    assert leave_one_out(LeaveOneOut([only, fill]), "x86-64", alone, 1, layer=1)[0][0].level == "exact"  # the primary's


IF = "<x86-64><O0><chunks>if: if (VA < 5) {<sep>int VA;<sep>then <C4> else <C6> next <C4>"
IF_PIECE = "\tcmpl\t$4, @VA@(%rbp)\n\tjg\t<C6>\n"


MUL = "<x86-64><O0><chunks>return: return VA * VB;<sep>int VA; int VB;<sep> | returns int"
MUL_PIECE = "\tmovl\t@VA@(%rbp), %eax\n\timull\t@VB@(%rbp), %eax\n"
PROLOGUE = "<aarch64><O0><chunks>prologue: int <FN>() {<sep><sep> | returns int leaf"
PROLOGUE_PIECE = "\t.global\t<FN>\n\t.text\n\t.align\t2\n<FN>:\n\tsub\tsp, sp, #@FRAME@\n"
WHILE = "<x86-64><O0><chunks>while-test: while (VA[VB] != 0) {<sep>char * VA; int VB;<sep>body <C5> exit <C7> next <C7>"
WHILE_PIECE = "\tmovl\t@VB@(%rbp), %eax\n\tmovslq\t%eax, %rdx\n\tmovq\t@VA@(%rbp), %rax\n" \
              "\taddq\t%rdx, %rax\n\tmovzbl\t(%rax), %eax\n\ttestb\t%al, %al\n\tjne\t<C5>\n"


def test_a_prompt_the_memory_lacks_is_found_in_other_words_that_mean_the_same():
    mem = MemoryBuilder()
    cmp97 = WHILE_PIECE.replace("testb\t%al, %al", "cmpb\t$97, %al")
    add(mem, "x86-64", [(MUL, MUL_PIECE), (WHILE, WHILE_PIECE), (WHILE.replace("!= 0", "!= 97"), cmp97)])
    frozen = mem.freeze()
    # a variable read twice: the piece of two variables of its type, both slots naming it
    square = lookup(frozen, "x86-64", "<x86-64><O0><chunks>return: return VA * VA;<sep>int VA;<sep> | returns int")
    assert square.piece == MUL_PIECE.replace("@VB@", "@VA@")
    # a character literal is its int; a truth test is a comparison with zero; both together
    for spelled in ("while (VA[VB] != '\\0') {", "while (VA[VB]) {"):
        hit = lookup(frozen, "x86-64", WHILE.replace("while (VA[VB] != 0) {", spelled))
        assert hit is not None and hit.piece == WHILE_PIECE, spelled
    assert lookup(frozen, "x86-64", WHILE.replace("!= 0", "!= 'a'")) == lookup(frozen, "x86-64", WHILE.replace("!= 0", "!= 97"))
    # a static function's prologue: the exported one's, exporting nothing
    add(mem, "aarch64", [(PROLOGUE, PROLOGUE_PIECE)])
    static = lookup(mem.freeze(), "aarch64", PROLOGUE.replace("int <FN>", "static int <FN>"))
    assert static.piece == PROLOGUE_PIECE.replace("\t.global\t<FN>\n", "")
    # what means something else is not found: another operation, another type
    assert lookup(frozen, "x86-64", MUL.replace("*", "-")) is None
    assert lookup(frozen, "x86-64", WHILE.replace("VA[VB] != 0", "VA[VB] < 3").replace("char", "float")) is None


def test_equivalents_rename_the_copies_back_and_keep_declared_names():
    from neuralcc.translator.memory.equivalents import equivalents

    alts = {e.prompt.render(): e for e in equivalents(prompt_of("<x86-64><O0><chunks>stmt: int VA = VB * VB;<sep>int VB;<sep>"))}
    # every rewrite together first (the declaration as a store, the second read as a copy), then each alone
    assert list(alts) == ["<x86-64><O0><chunks>stmt: VA = VB * VC;<sep>int VA; int VB; int VC;<sep>",
                          "<x86-64><O0><chunks>stmt: VA = VB * VB;<sep>int VA; int VB;<sep>",
                          "<x86-64><O0><chunks>stmt: int VA = VB * VC;<sep>int VB; int VC;<sep>"]
    assert alts["<x86-64><O0><chunks>stmt: int VA = VB * VC;<sep>int VB; int VC;<sep>"].names == {"VA": "VA", "VB": "VB", "VC": "VB"}
    # a variable the statement declares itself is not copied, nor are names inside string literals
    alts = equivalents(prompt_of('<x86-64><O0><chunks>stmt: int VA = VB("VA VA");<sep>int VB(const char *);<sep>'))
    assert alts and all('("VA VA")' in e.prompt.statement and len(set(e.names.values())) == len(e.names) for e in alts)


POINT = "struct <FN>_s { int x; int y; };"
LOAD = "\tmovq\t@VB@(%rbp), %rax\n\tmovl\t4(%rax), %eax\n\tmovl\t%eax, @VA@(%rbp)\n"
COPY = "\tmovq\t@VB@(%rbp), %rax\n\tmovq\t%rax, @VA@(%rbp)\n"


def test_fields_through_a_pointer_const_and_declarations_are_found_in_the_words_the_memory_holds():
    from neuralcc.translator.memory.equivalents import equivalents

    mem = MemoryBuilder()
    add(mem, "x86-64", [("<x86-64><O0><chunks>stmt: int VA = VB[1];<sep>int * VB;<sep>", LOAD),
                        ("<x86-64><O0><chunks>stmt: VA = VB;<sep>int * VA; int * VB;<sep>", COPY),
                        ("<x86-64><O0><chunks>param: 0: int *VA<sep>int * VA;<sep>", "\tmovq\t%rdi, @VA@(%rbp)\n")])
    frozen = mem.freeze()
    # a field read through a pointer is an element of its type at its offset
    field = f"<x86-64><O0><chunks>stmt: int VA = VB->y;<sep>{POINT} struct <FN>_s * VB;<sep>"
    assert lookup(frozen, "x86-64", field).piece == LOAD
    # ... not when the pointer is also used otherwise, as a struct of fields of other types
    mixed = f"<x86-64><O0><chunks>stmt: VA = VB->y + VB->z;<sep>struct <FN>_s {{ int x; int y; long z; }}; struct <FN>_s * VB; long VA;<sep>"
    assert all("VB[" not in e.prompt.statement for e in equivalents(prompt_of(mixed)))
    # a parameter stores a pointer whatever it points to
    param = f"<x86-64><O0><chunks>param: 0: struct point *VA<sep>{POINT} struct <FN>_s * VA;<sep>"
    assert lookup(frozen, "x86-64", param.replace("struct point", "struct <FN>_s")).piece == "\tmovq\t%rdi, @VA@(%rbp)\n"
    # const, and a declaration with a value as a store
    assert lookup(frozen, "x86-64", "<x86-64><O0><chunks>stmt: const int * VA = VB;<sep>int * VB;<sep>").piece == COPY
    # a static local is stored once, not every time the statement runs
    assert lookup(frozen, "x86-64", "<x86-64><O0><chunks>stmt: static int * VA = VB;<sep>int * VB;<sep>") is None


def test_a_table_keeps_its_order_and_its_signs():
    table = "<x86-64><O0><chunks>data: static const int <FN>_tab[4] = {5, -7, 5, 7};<sep>static const int <FN>_tab[4];<sep>"
    head = "\t.section\t.rodata\n\t.align 16\n<FN>_tab:\n"
    mem = MemoryBuilder()
    add(mem, "x86-64", [(table, head + "\t.long\t5\n\t.long\t-7\n\t.long\t5\n\t.long\t7\n")])
    other = table.replace("{5, -7, 5, 7}", "{1, -2, 3, 4}")  # the same key: 5 is the 2nd number, not the 1st
    assert lookup(mem, "x86-64", other).piece == head + "\t.long\t1\n\t.long\t-2\n\t.long\t3\n\t.long\t4\n"
    signs = lookup(mem, "x86-64", table.replace("-7", "7"))  # a sign is the number's: the same key
    assert signs.piece == head + "\t.long\t5\n\t.long\t7\n\t.long\t5\n\t.long\t7\n"


def test_a_template_writes_the_prompts_numbers_and_jump_targets_the_way_gcc_does():
    mem = MemoryBuilder()
    add(mem, "x86-64", [(IF, IF_PIECE)])  # gcc tests `x < 5` as `x <= 4`
    hit = lookup(mem.freeze(), "x86-64", IF.replace("5", "100").replace("C4", "C11").replace("C6", "C13"))
    assert hit.level == "template" and hit.piece == "\tcmpl\t$99, @VA@(%rbp)\n\tjg\t<C13>\n"
    sub = "<x86-64><O0><chunks>stmt: VA = VA - 5;<sep>int VA;<sep>"
    add(mem, "x86-64", [(sub, "\taddl\t$-5, @VA@(%rbp)\n")])
    assert lookup(mem, "x86-64", sub.replace("5", "9")).piece == "\taddl\t$-9, @VA@(%rbp)\n"
    half = "<aarch64><O0><chunks>stmt: VA = VA * 0.5f;<sep>float VA;<sep>"
    add(mem, "aarch64", [(half, "\tfmov\ts0, 5.0e-1\n\t.align\t2\n.LC0:\n\t.word\t1056964608\n")])
    got = lookup(mem, "aarch64", half.replace("0.5f", "0.75f")).piece
    assert got == "\tfmov\ts0, 7.5e-1\n\t.align\t2\n.LC0:\n\t.word\t1061158912\n"  # 0.75f's bits; .align kept


def test_a_template_is_kept_to_literals_that_fit_the_same_instructions():
    """AArch64 compares with 7 in the instruction but builds 70000 with mov/movk first (immediates.py):
    one template never answers for the other, and the mov/movk template writes any large number's chunks."""
    cmp = "<aarch64><O0><chunks>if: if (VA <= {}) {{<sep>int VA;<sep>then <C4> else <C6> next <C4>"
    small = "\tldr\tw0, [sp, @VA@]\n\tcmp\tw0, {}\n\tbgt\t<C6>\n"
    large = "\tldr\tw1, [sp, @VA@]\n\tmov\tw0, {}\n\tmovk\tw0, {}, lsl 16\n\tcmp\tw1, w0\n\tbgt\t<C6>\n"
    mem = MemoryBuilder()
    add(mem, "aarch64", [(cmp.format(7), small.format(7))])
    assert lookup(mem, "aarch64", cmp.format(70000)) is None or lookup(mem, "aarch64", cmp.format(70000)).level != "template"
    add(mem, "aarch64", [(cmp.format(569145), large.format(44857, "0x8"))])  # gcc's own code for 569145
    hit = lookup(mem.freeze(), "aarch64", cmp.format(251071))
    assert hit.level == "template" and hit.piece == large.format(54463, "0x3")  # 251071 = 0x3d4bf
    negative = lookup(mem, "aarch64", cmp.format(-128370)).piece  # the same kind: its chunks of 0xfffe0a8e
    assert negative == large.format(2702, "0xfffe")
    assert lookup(mem, "aarch64", cmp.format(3)).piece == small.format(3)  # 3 and 7 fit the same instructions


def test_a_jump_that_falls_through_is_not_a_template_for_one_that_jumps():
    test = "<x86-64><O0><chunks>for-test: for (int VA = 0; VA < VB; VA++) {{<sep>int VA; int VB;<sep>body <C{}> exit <C{}> next <C{}>"
    compare = "\tmovl\t@VA@(%rbp), %eax\n\tcmpl\t@VB@(%rbp), %eax\n\tjl\t<C{}>\n"
    mem = MemoryBuilder()
    add(mem, "x86-64", [(test.format(3, 9, 9), compare.format(3))])  # the loop's exit is the next piece
    assert lookup(mem, "x86-64", test.format(4, 12, 12)).piece == compare.format(4)
    assert lookup(mem, "x86-64", test.format(4, 12, 11)).level != "template"  # here it needs a `jmp <C12>`
    add(mem, "x86-64", [(test.format(5, 20, 19), compare.format(5) + "\tjmp\t<C20>\n")])
    assert lookup(mem, "x86-64", test.format(4, 12, 11)).piece == compare.format(4) + "\tjmp\t<C12>\n"


def test_a_piece_of_another_statement_jumps_to_the_prompts_own_targets():
    """Below the template level the numbers are another statement's, but its jump targets are still the
    prompt's: the k-th target of the piece found becomes the k-th of the prompt (not `<C6>` of the
    function the piece came from), and pieces differing only in their targets vote together."""
    mem = MemoryBuilder()
    add(mem, "x86-64", [(IF, IF_PIECE)])
    other = IF.replace("int VA", "long VA").replace("C4", "C11").replace("C6", "C13")
    hit = lookup(mem, "x86-64", other)
    assert hit.level == "statement" and hit.piece == "\tcmpl\t$4, @VA@(%rbp)\n\tjg\t<C13>\n"
    for a, b in ((7, 9), (20, 21)):  # two more functions, another piece: it outvotes IF_PIECE
        add(mem, "x86-64", [(IF.replace("C4", f"C{a}").replace("C6", f"C{b}"), f"\tcmpl\t$4, @VA@(%rbp)\n\tjle\t<C{a}>\n")])
    assert lookup(mem.freeze(), "x86-64", other).piece == "\tcmpl\t$4, @VA@(%rbp)\n\tjle\t<C11>\n"


def test_the_most_voted_template_answers_and_one_that_cannot_be_filled_is_passed_over():
    shift = "<x86-64><O0><chunks>stmt: VA = VA * {};<sep>int VA;<sep>"
    mem = MemoryBuilder()
    add(mem, "x86-64", [(shift.format(8), "\tsall\t$3, @VA@(%rbp)\n")])  # (a literal 3 would do as well here)
    for k in (16, 4):  # gcc shifts for a power of two: those two vote for log2
        add(mem, "x86-64", [(shift.format(k), f"\tsall\t${k.bit_length() - 1}, @VA@(%rbp)\n")])
    assert lookup(mem, "x86-64", shift.format(32)).piece == "\tsall\t$5, @VA@(%rbp)\n"
    hit = lookup(mem, "x86-64", shift.format(3))  # no log2: the template is no answer
    assert hit.level == "numbers" and hit.piece.startswith("\tsall")


STRUCT = ("<x86-64><O0><chunks>stmt: VA += VB[VC].{f};<sep>struct <FN>_s\n{{\n  {fields}\n}}; unsigned long VA; "
          "struct <FN>_s * VB; int VC;<sep>")
STRUCT_PIECE = ("\tmovl\t@VC@(%rbp), %eax\n\tcltq\n\tsalq\t$4, %rax\n\tmovq\t%rax, %rdx\n\tmovq\t@VB@(%rbp), %rax\n"
                "\taddq\t%rdx, %rax\n\tmovq\t{off}(%rax), %rax\n\taddq\t%rax, @VA@(%rbp)\n")  # gcc's, for fields at 0 and 8


def test_layout_keeps_what_gccs_code_reads_of_a_struct():
    prompt = STRUCT.format(f="c", fields="unsigned long c;\n  short d;\n  unsigned char hi;")
    assert layout(prompt) == ("<x86-64><O0><chunks>stmt: VA += VB[VC].f0;<sep>struct <FN>_s {f0 unsigned long at0; "
                                     "size16}; unsigned long VA; struct <FN>_s * VB; int VC;<sep>")
    second = STRUCT.format(f="w", fields="int key;\n  short a;\n  long w;")  # another name, offset and size
    assert "f0 long at8; size16" in layout(second)
    arrow = "<x86-64><O0><chunks>stmt: VA = VB->w;<sep>struct <FN>_s\n{\n  char c;\n  double w;\n}; double VA; struct <FN>_s * VB;<sep>"
    assert "{f0 double at8}" in layout(arrow)  # no index: the size is not read
    assert layout(P) is None  # no struct
    assert layout(STRUCT.format(f="c", fields="int c[4];")) is None  # an array member: not modelled
    # the tag is not read either: real C's `struct point` is written as the kernels' one struct
    tagged = STRUCT.format(f="c", fields="unsigned long c;\n  short d;\n  unsigned char hi;").replace("<FN>_s", "point")
    assert "struct point" in tagged and layout(tagged) == layout(prompt)


def test_a_statement_on_another_struct_of_the_same_layout_finds_its_piece():
    mem = MemoryBuilder()
    add(mem, "x86-64", [(STRUCT.format(f="c", fields="unsigned long c;\n  short d;\n  unsigned char hi;"),
                        STRUCT_PIECE.format(off=""))])
    same = STRUCT.format(f="key", fields="unsigned long key;\n  double x;")  # offset 0, size 16, other names
    hit = lookup(mem.freeze(), "x86-64", same)
    assert hit.level == "layout" and hit.piece == STRUCT_PIECE.format(off="")
    moved = STRUCT.format(f="key", fields="double x;\n  unsigned long key;")  # offset 8: other code
    assert lookup(mem, "x86-64", moved) is None  # (and no statement level: it names another field)
    add(mem, "x86-64", [(STRUCT.format(f="w", fields="int key;\n  long w;"), STRUCT_PIECE.format(off="8"))])
    assert lookup(mem, "x86-64", moved.replace("unsigned long key", "long key")).level == "layout"


def test_a_loop_headers_piece_is_found_by_its_own_clause():
    """The kernels declare their counters in the loop (`for (int VA = 0; ...)`); real code often has
    `for (VA = VB + 1; VA < n; VA++)`. Each header piece reads one clause, so a piece is found by it."""
    head = "<x86-64><O0><chunks>for-{}: for (int VA = 0; VA < VB; VA++) {{<sep>{}<sep>{}"  # as the skeleton writes them:
    mem = MemoryBuilder()  # the init's own declaration is not yet in scope, the step's is
    add(mem, "x86-64", [(head.format("init", "", "test <C4> next <C2>"), "\tmovl\t$0, @VA@(%rbp)\n\tjmp\t<C4>\n"),
                       (head.format("step", "int VA;", ""), "\taddl\t$1, @VA@(%rbp)\n")])
    assert clause(head.format("init", "", "")) == "<x86-64><O0><chunks>for-init: VA = 0<sep>int VA;<sep>"
    real = "<x86-64><O0><chunks>for-{}: for (VA = VB + 1; VA < size; VA++) {{<sep>int VA;{}<sep>{}"
    step = lookup(mem, "x86-64", real.format("step", "", ""))
    assert step.level == "clause" and step.piece == "\taddl\t$1, @VA@(%rbp)\n"
    init = lookup(mem, "x86-64", real.format("init", " int VB;", "test <C9> next <C7>"))
    assert init is None  # `VA = VB + 1` is not `VA = 0`: another clause
    zero = lookup(mem, "x86-64", real.replace("VB + 1", "7").format("init", "", "test <C9> next <C7>"))
    assert zero.level == "clause" and zero.piece == "\tmovl\t$7, @VA@(%rbp)\n\tjmp\t<C9>\n"
    assert clause(P) is None


def test_a_piece_that_jumps_past_the_else_or_over_out_of_line_blocks_is_its_statements_piece_then_the_jump():
    """`for (...) { if (c) break; s += x; }`: gcc lays the break's block after the body, and the body's
    last piece jumps over it; a then-branch's last piece jumps past the else. Any statement can be that
    piece: the memory answers with the statement's own piece, and the jump."""
    mem = MemoryBuilder()
    add(mem, "x86-64", [(P, ADD3)])
    add(mem, "aarch64", [(P.replace("x86-64", "aarch64"), "\tldr\tw0, [sp, @VA@]\n\tadd\tw0, w0, 3\n\tstr\tw0, [sp, @VA@]\n")])
    hit = lookup(mem, "x86-64", P + "over <C9> next <C8>")
    assert hit.level == "exact" and hit.piece == ADD3 + "\tjmp\t<C9>\n"
    assert lookup(mem, "x86-64", P.replace("3", "7") + "over <C9> next <C8>").piece \
        == ADD3.replace("$3", "$7") + "\tjmp\t<C9>\n"  # a template's piece, then the jump
    assert lookup(mem, "aarch64", P.replace("x86-64", "aarch64") + "over <C9> next <C8>").piece \
        == "\tldr\tw0, [sp, @VA@]\n\tadd\tw0, w0, 3\n\tstr\tw0, [sp, @VA@]\n\tb\t<C9>\n"
    assert lookup(mem, "x86-64", P + "join <C11> next <C8>").piece == ADD3 + "\tjmp\t<C11>\n"
    brk = "<x86-64><O0><chunks>break: break;<sep><sep>exit <C{}>"
    add(mem, "x86-64", [(brk.format(12), "\tjmp\t<C12>\n")])
    assert lookup(mem, "x86-64", brk.format(12) + " over <C14> next <C13>").piece == "\tjmp\t<C12>\n"  # it jumps away already
    assert lookup(mem, "x86-64", P.replace("+", "*") + "over <C9> next <C8>") is None


def test_the_most_common_piece_wins_and_ties_are_deterministic():
    mem = MemoryBuilder()
    add(mem, "x86-64", [(P, "b\n")])
    add(mem, "x86-64", [(P, "a\n")])
    assert lookup(mem, "x86-64", P).piece == "a\n"  # a tie: the smaller text, whatever the order added
    add(mem, "x86-64", [(P, "b\n")])
    assert lookup(mem, "x86-64", P).piece == "b\n" == lookup(mem.freeze(), "x86-64", P).piece


def test_memory_file_round_trips_and_fine_tuning_keeps_the_older_keys(tmp_path):
    a, b = MemoryBuilder(), MemoryBuilder()
    add(a, "x86-64", [(P, ADD3)])
    add(b, "x86-64", [(P, "new\n")])
    add(b, "aarch64", [(P, "arm\n")])
    a.freeze().save(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["memory-x86-64.json.gz"]
    loaded = Memory.load(tmp_path)
    for prompt in (P, P.replace("3", "7"), P.replace("int VA", "long VA"), P.replace("3;<sep>int", "9;<sep>long"),
                   P.replace("+", "*")):
        assert lookup(loaded, "x86-64", prompt) == lookup(a.freeze(), "x86-64", prompt)
    assert lookup(loaded, "x86-64", P.replace("3", "7")).level == "template"
    other = "<x86-64><O0><chunks>return: return VA;<sep>int VA;<sep>"
    add(a, "x86-64", [(other, "ret\n")])
    merged = b.freeze().merged_over(a.freeze())
    assert lookup(merged, "x86-64", P).piece == "new\n"  # the new corpus's piece where both have the key
    assert lookup(merged, "x86-64", other).piece == "ret\n" and lookup(merged, "aarch64", P).piece == "arm\n"


@pytest.fixture(scope="module")
def memory_translator():
    """An untrained model (the baseline never runs it) with a memory of gcd's and histogram's pieces."""
    names = ("gcd", "histogram")
    recs = [_local_record((KERNELS / f"{n}.c").read_text(), n, ("x86-64",))[0] for n in names]
    tok = build_tokenizer(recs * 5, 800)
    torch.manual_seed(0)
    model = M.build(TINY, tok)
    model.config.neuralcc_mode = "local"
    model.config.neuralcc_rename = model.config.neuralcc_types = True
    style = prompts.PromptStyle.of(model.config)
    mem = MemoryBuilder()
    for r in recs:
        mem.add("x86-64", R.canonical_pieces(r, "x86-64", style))
    return NeuralTranslator(model=model, tok=tok, memory=mem.freeze())


def test_memory_alone_writes_gccs_pieces_of_a_function_it_holds_and_the_verifier_passes_them(memory_translator):
    source = (KERNELS / "gcd.c").read_text()
    (out,) = memory_translator.translate(source, "x86-64", "O0", entry="gcd", opt=DecodeOptions(memory_only=True))
    assert out.memory_pieces == len(out.pieces) == out.copied_pieces
    verdict = Checker(source, "x86-64", "O0", "gcd", examples=20, random_inputs=50).check(out.asm)
    assert verdict.category == "pass", str(verdict)


def test_memory_alone_fails_a_function_it_does_not_hold(memory_translator):
    source = (KERNELS / "crc32.c").read_text()
    (out,) = memory_translator.translate(source, "x86-64", "O0", entry="crc32", opt=DecodeOptions(memory_only=True))
    assert out.memory_pieces < len(out.pieces)
    verdict = Checker(source, "x86-64", "O0", "crc32", examples=20, random_inputs=50).check(out.asm)
    assert verdict.category != "pass"


def test_harness_memory_baseline_needs_a_model_trained_with_one(tmp_path):
    from neuralcc.harness.translators import TranslatorError, make_translator

    (tmp_path / "config.json").write_text(json.dumps({"neuralcc_mode": "local"}))
    with pytest.raises(TranslatorError, match="no translation memory"):
        make_translator(f"memory:{tmp_path}")


def test_harness_runs_the_memory_baseline_of_a_saved_model(memory_translator, tmp_path):
    from neuralcc.harness.evaluate import RunConfig, evaluate, read_results

    model_dir = tmp_path / "model"
    memory_translator.model.save_pretrained(model_dir)
    memory_translator.tok.save_pretrained(model_dir)
    memory_translator.memory.save(model_dir)
    cfg = RunConfig(translator=f"memory:{model_dir}", corpora=["benchmark://kernels-v0/gcd", "benchmark://kernels-v0/crc32"],
                    arches=["x86-64"], opts=["O0"], n=1, ks=[1], examples=10, random_inputs=30, workers=1)
    evaluate(cfg, tmp_path / "run", progress=False)
    passed = {r["benchmark"].rsplit("/", 1)[-1]: r["passed"] for r in read_results(tmp_path / "run")}
    assert passed == {"gcd": True, "crc32": False}  # it holds gcd's pieces, not crc32's


def test_training_saves_the_memory_beside_the_model(tmp_path, tiny_from_scratch):
    from neuralcc.translator.__main__ import main as cli_main

    from test_translator_local import POOL_A, _combos, _write_split

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:4]]
    _write_split(tmp_path / "a", recs, "train")
    common = ["--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "0", "--no-bf16",
              "--data", str(tmp_path / "a"), "--steps", "1"]
    assert cli_main(["train", "--out", str(tmp_path / "plain"), *common]) == 0
    plain = NeuralTranslator(tmp_path / "plain" / "checkpoint")
    assert plain.memory is not None
    (out,) = plain.translate(recs[0]["source"], "x86-64", "O0", entry=recs[0]["entry"], opt=DecodeOptions(memory_only=True))
    assert out.memory_pieces == len(out.pieces) == out.copied_pieces  # a training function: all its pieces are there


def test_a_resumed_fine_tuning_keeps_the_init_models_memory(tmp_path):
    from neuralcc.translator.__main__ import main as cli_main

    from test_translator_local import POOL_A, _combos, _write_split

    recs = [_local_record(src, name, ("x86-64",))[0] for name, src in _combos(POOL_A, "fa")[:4]]
    _write_split(tmp_path / "a", recs[:2], "train")
    _write_split(tmp_path / "b", recs[2:], "train")
    common = ["--arch", "x86-64", "--batch-tokens", "300", "--eval-minutes", "0", "--no-bf16"]
    assert cli_main(["train", "--out", str(tmp_path / "base"), "--data", str(tmp_path / "a"), "--steps", "1", *common]) == 0
    tuned = ["train", "--out", str(tmp_path / "ft"), "--data", str(tmp_path / "b"), *common,
             "--init", str(tmp_path / "base" / "checkpoint")]
    assert cli_main([*tuned, "--steps", "1"]) == 0
    assert cli_main([*tuned, "--steps", "2", "--resume"]) == 0
    tr = NeuralTranslator(tmp_path / "ft" / "checkpoint")
    for rec in recs:  # the base model's functions and the new ones
        for prompt, piece in R.canonical_pieces(rec, "x86-64", tr.style):
            assert tr.memory.lookup("x86-64", prompt).piece == piece


def test_memory_first_takes_held_pieces_from_the_memory_and_has_the_model_write_the_rest(memory_translator):
    first = DecodeOptions(memory_first=True)
    gcd = (KERNELS / "gcd.c").read_text()
    (out,) = memory_translator.translate(gcd, "x86-64", "O0", entry="gcd", opt=first)
    assert out.from_memory == len(out.pieces) and out.new_tokens == 0  # the model wrote nothing
    assert Checker(gcd, "x86-64", "O0", "gcd", examples=20, random_inputs=50).check(out.asm).category == "pass"
    dot = (KERNELS / "dot_product.c").read_text()
    (out,) = memory_translator.translate(dot, "x86-64", "O0", entry="dot_product", opt=first)
    held = sum(level is not None for level in out.memory_levels)  # at any level: the greedy answer
    sure = sum(level in ("exact", "template") for level in out.memory_levels)
    assert sure < out.from_memory == held < len(out.pieces) and out.new_tokens > 0
    sampled = memory_translator.translate(dot, "x86-64", "O0", entry="dot_product",
                                          opt=DecodeOptions(memory_first=True, n=3, temperature=0.8))
    held_rows = [r for r, level in enumerate(out.memory_levels) if level is not None]
    assert all(sampled[0].pieces[r] == out.pieces[r] for r in held_rows)  # the first takes the greedy answer's
    assert [s.from_memory for s in sampled] == [held, sure, sure]  # the others resample the unsure pieces too
    (alone,) = memory_translator.translate(dot, "x86-64", "O0", entry="dot_product", opt=DecodeOptions())
    assert alone.from_memory == 0


def _model_and_gcd_data(tmp_path, old: MemoryBuilder):
    """A local-mode model directory holding `old` as its memory, and a directory with gcd's local record."""
    import gzip

    model_dir, data_dir = tmp_path / "model", tmp_path / "local"
    model_dir.mkdir()
    data_dir.mkdir()
    (model_dir / "config.json").write_text(json.dumps({"neuralcc_mode": "local", "neuralcc_rename": True,
                                                        "neuralcc_types": True}))
    old.freeze().save(model_dir)
    rec, _ = _local_record((KERNELS / "gcd.c").read_text(), "gcd", ("x86-64",))
    with gzip.open(data_dir / "local-00000.jsonl.gz", "wt") as f:
        f.write(json.dumps({**rec, "split": "train"}) + "\n")
    return model_dir, data_dir, rec


def test_more_local_data_extends_a_models_memory_without_training(tmp_path):
    from neuralcc.translator.data.records import memory_main

    old = MemoryBuilder()
    add(old, "x86-64", [(P, ADD3)])
    model_dir, data_dir, rec = _model_and_gcd_data(tmp_path, old)
    assert memory_main(["--model", str(model_dir), "--data", str(data_dir), "--arch", "x86-64"]) == 0
    mem = Memory.load(model_dir)
    style = prompts.PromptStyle(True, True)
    for prompt, piece in R.canonical_pieces(rec, "x86-64", style):
        assert mem.lookup("x86-64", prompt).piece == piece  # gcd's pieces are in it now
    assert lookup(mem, "x86-64", P).piece == ADD3  # and what it held before is kept
    assert memory_main(["--model", str(model_dir), "--data", str(data_dir), "--arch", "x86-64", "--fresh"]) == 0
    mem = Memory.load(model_dir)
    assert lookup(mem, "x86-64", P) is None  # --fresh: gcd's pieces alone
    assert all(mem.lookup("x86-64", p).piece == t for p, t in R.canonical_pieces(rec, "x86-64", style))
    assert memory_main(["--model", str(tmp_path / "none"), "--data", str(data_dir)]) == 2


def test_fill_adds_only_the_keys_a_memory_lacks(tmp_path):
    from neuralcc.translator.data.records import memory_main

    rec, _ = _local_record((KERNELS / "gcd.c").read_text(), "gcd", ("x86-64",))
    pairs = R.canonical_pieces(rec, "x86-64", prompts.PromptStyle(True, True))
    held, held_piece = pairs[0]
    old = MemoryBuilder()
    old.add("x86-64", [(held, "kept\n")])
    model_dir, data_dir, _ = _model_and_gcd_data(tmp_path, old)
    assert memory_main(["--model", str(model_dir), "--data", str(data_dir), "--arch", "x86-64", "--fill"]) == 0
    mem = Memory.load(model_dir)
    assert held_piece != "kept\n" and mem.lookup("x86-64", held).piece == "kept\n"  # its answer stays
    assert all(mem.lookup("x86-64", p).piece == t for p, t in pairs[1:] if p != held)  # the rest is added
    assert memory_main(["--model", str(model_dir), "--data", str(data_dir), "--fill", "--fresh"]) == 2
