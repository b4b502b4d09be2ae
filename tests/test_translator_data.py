"""A unit's global data written from its C declarations (translator/back/data.py), judged by the verifier
beside gcc's code for the function on both arches, and what a translation does with the unit's data."""
import pytest

from neuralcc.cbase.toolchain import char_signed
from neuralcc.translator.back.asmtext import unit_names
from neuralcc.translator.back.data import data_piece
from neuralcc.verifier.check import Checker
from neuralcc.verifier.reference import compile_to_asm
from neuralcc.verifier.signature import global_declarations, parse_c

DECLS = """static const char msg[] = "hi\\n\\x41\\101";
const double tbl[4] = {1.5, -2.0, 3 * 0.25};
struct P { char c; long v; short s; } pt = {3, -7};
int zero[5];
unsigned short h = 0xffff;
static float f = -1.5f;
long long big = -(1LL << 40) + 017;
_Bool yes = 2;
int *nothing = 0;
"""
EXTERNS = """#pragma GCC visibility push(hidden)
extern const char msg[7];
extern const double tbl[4];
extern struct P { char c; long v; short s; } pt;
extern int zero[5];
extern unsigned short h;
extern float f;
extern long long big;
extern _Bool yes;
extern int *nothing;
#pragma GCC visibility pop
"""  # hidden: AArch64 gcc reads data that may live in another module through the GOT, its own data directly
BODY = """// ncc: range(i)=0..100
long sum(int i) {
    zero[i % 5] += i;
    return msg[i % 7] + (long)(tbl[i % 4] * 4) + pt.c + pt.v + pt.s + zero[(i + 1) % 5] + h + (long)(f * 2) + big
           + yes + (nothing == 0);
}
"""


def test_data_written_from_the_declarations_runs_gccs_code_as_gccs_own_data_does(arch):
    unit = DECLS + BODY
    decls = global_declarations(parse_c(unit), char_signed(arch))
    assert [d.name for d in decls] == ["msg", "tbl", "pt", "zero", "h", "f", "big", "yes", "nothing"]
    data = data_piece(decls, arch)
    code = compile_to_asm(EXTERNS + BODY, arch, "O0", "<code>")  # gcc's function, reading data it does not define
    verdict = Checker(unit, arch, "O0", "sum").check(data + code)
    assert verdict.passed, verdict.summary()


@pytest.mark.parametrize("decl", ['const char *s = "no";', "int x = 1; int *p = &x;", "int v = rand_value;"])
def test_what_cannot_be_written_from_the_declaration_is_left_to_the_translator(decl):
    unit = "int rand_value;\n" * ("rand_value" in decl) + decl + "\nint f(void) { return 0; }\n"
    decls = [d for d in global_declarations(parse_c(unit)) if d.name != "rand_value"]
    assert data_piece(decls, "x86-64") is None


@pytest.mark.parametrize("source, entry", [
    ("struct s { int f; int f_x; };\nint f(struct s *p) { return p->f + p->f_x; }\n", "f"),
    ("int f_g;\nint g;\nint f(int n) { g = n; f_g = g + 1; return f_g; }\n", "f"),
    ("int f_tab[4];\nint tab[4];\nint fx;\nint f(int i) { int f_i = f_tab[i] + tab[i] + fx; return f_i; }\n", "f"),
    ("static int f_h0(int x) { return x; }\nstatic int h(int x) { return x + 1; }\nint f(int n) { return h(n) + f_h0(n); }\n", "f"),
])
def test_names_that_share_a_prefix_or_suffix_with_the_placeholders_stay_apart(source, entry):
    """The function's name is `<FN>` only as a whole identifier or a file-scope name it begins: a field
    called like the function stays a field (after `->` and in its struct), a global whose synthetic name
    another global already has takes the next one, and no global is ever a frame variable."""
    from neuralcc.translator import prompts
    from neuralcc.translator.back.asmtext import restore
    from neuralcc.translator.front import skeleton

    sk = skeleton.build(source)
    scope = skeleton.scopes(source)[entry]
    got = [prompts.prompt(sk, p, "x86-64", "O0", scope, entry) for p in sk.pieces if p.func == entry]
    variables = {d.variable for p in got for d in p.decls if d.variable}
    assert variables <= set(scope), variables  # globals are never renamed as the frame's variables
    text = " ".join(p.render() for p in got)
    assert "-><FN>" not in text and "int <FN>;" not in text  # the field `f` of the first
    renamed = unit_names(entry, sk.globals, sk.helpers(entry))
    names = set(sk.globals) | set(sk.helpers(entry))
    assert len(set(renamed.values()) | {g for g in names if g not in renamed}) == len(names)  # all apart
    asm = "".join(f"\tmovl\t{r}(%rip), %eax\n" for r in renamed.values()) + "\tcall\t<FN>\n"
    assert restore(asm, entry, renamed) == "".join(f"\tmovl\t{g}(%rip), %eax\n" for g in renamed) + f"\tcall\t{entry}\n"


def test_a_units_helpers_read_like_the_synthetic_corpora_s():
    """The synthetic corpora name a unit's helpers `<entry>_h0`, `<entry>_h1`, ...: a helper of real C is
    read the same way (its prologue is one the memory holds) and named back in the assembly."""
    from neuralcc.translator import prompts
    from neuralcc.translator.back.asmtext import restore
    from neuralcc.translator.front import skeleton
    from neuralcc.translator.memory.store import load_if_any
    from neuralcc.translator.neural.decode import DEFAULT_MODEL

    source = "static int helper(int x) { return x * x; }\nint sum(int n) { return helper(n) + 1; }\n"
    sk = skeleton.build(source, params=True)  # a prologue, then a piece per parameter (as the shipped model)
    renames = unit_names("sum", sk.globals, sk.helpers("sum"))
    assert renames == {"helper": "<FN>_h0"}
    scopes = skeleton.scopes(source)
    got = {(p.func, p.role): prompts.prompt(sk, p, "x86-64", "O0", scopes[p.func], "sum") for p in sk.pieces if p.func}
    assert got["helper", "prologue"].statement == "static int <FN>_h0() {"
    assert "<FN>_h0(n)" in got["sum", "return"].statement
    assert restore("\tcall\t<FN>_h0\n<FN>:\n", "sum", renames) == "\tcall\thelper\nsum:\n"
    memory = load_if_any(DEFAULT_MODEL)
    style = prompts.PromptStyle()
    assert memory.lookup("x86-64", style.apply(got["helper", "prologue"])[0]).level == "exact"

def test_a_units_globals_read_like_the_synthetic_corpora_s_and_are_named_back():
    from neuralcc.translator.neural.decode import DecodeOptions, NeuralTranslator

    assert unit_names("f", {"n": "int n;", "tbl": "int tbl[4];", "m": "long m;", "f_g": "int f_g;"}) == {
        "n": "<FN>_g2", "tbl": "<FN>_tab", "m": "<FN>_g3"}  # `<FN>_g` is f_g's: n takes the next name
    source = "int counter;\nint next(int k) {\n    counter = counter + k;\n    return counter;\n}\n"
    (out,) = NeuralTranslator().translate(source, "x86-64", "O0", entry="next", opt=DecodeOptions(memory_only=True))
    statement = next(p.render() for p, _ in out.pieces if p.role == "stmt")
    assert "<FN>_g = <FN>_g + k;<sep>int <FN>_g; int k;" in statement  # not a local: no stack slot for it
    assert "counter(%rip)" in out.asm and "<FN>" not in out.asm
    assert Checker(source, "x86-64", "O0", "next").check(out.asm).passed
