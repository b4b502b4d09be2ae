"""Assembly preparation and keystone assembly, cross-checked against GNU as."""
import re
import subprocess

import pytest
from capstone import CS_ARCH_ARM64, CS_ARCH_X86, CS_MODE_64, CS_MODE_ARM, Cs

from neuralcc.verifier.asmprep import AsmError, prepare, resolve_symbols
from neuralcc.verifier.assemble import assemble
from neuralcc.verifier.libc import Libc
from neuralcc.verifier.reference import compile_to_asm

SOURCE = r"""
#include <string.h>
int counter;
static const int table[5] = {3, 1, 4, 1, 5};
int pick(int i) { return table[(unsigned)i % 5u] + counter; }
int classify(int x) { switch (x) { case 0: return 10; case 1: return 20; case 2: return 5; case 3: return 7;
                      case 4: return 11; case 5: return 99; default: return -1; } }
long mix(long a, long b, int c) { long r = 0; for (int i = 0; i < c; i++) r += (a ^ b) >> (i & 7); return r; }
unsigned long size(const char *s) { return strlen(s) + 1; }
double scale(double x, float y) { return x * y + 0.5; }
"""
GNU = {"x86-64": ("as", "ld", "objcopy"),
       "aarch64": ("aarch64-linux-gnu-as", "aarch64-linux-gnu-ld", "aarch64-linux-gnu-objcopy")}


def test_sections_and_directives_are_sorted(arch):
    asm = compile_to_asm(SOURCE, arch, "O2")
    prep = prepare(asm, arch)
    texts = [l.text for l in prep.text]
    assert not any(t.startswith((".file", ".ident", ".type", ".size", ".cfi")) for t in texts)
    assert any(l.text == "table:" for l in prep.rodata)
    assert any(l.text == "counter:" for l in prep.bss)  # .comm or .bss, both end up here
    assert {"pick", "classify", "mix", "size", "scale"} <= set(prep.labels)


def test_symbol_checks_name_the_symbol(arch):
    asm = compile_to_asm(SOURCE, arch, "O0")
    prep = prepare(asm, arch)
    with pytest.raises(AsmError) as err:
        resolve_symbols(prep, "nonexistent", Libc().served)
    assert err.value.category == "symbol.missing_entry"
    with pytest.raises(AsmError) as err:
        resolve_symbols(prepare(asm, arch), "pick", set())  # strlen is not served
    assert err.value.category == "symbol.unknown_external" and err.value.symbol == "strlen"
    broken = asm.replace("table(%rip)", "tabel(%rip)").replace(":lo12:table", ":lo12:tabel")
    assert broken != asm
    with pytest.raises(AsmError) as err:
        resolve_symbols(prepare(broken, arch), "pick", Libc().served)
    assert err.value.category == "symbol.undefined"
    with pytest.raises(AsmError) as err:
        prepare(asm.replace("pick:", "pick:\npick:", 1), arch)
    assert err.value.category == "symbol.duplicate" and err.value.symbol == "pick"


def test_syntax_error_names_the_line(arch):
    asm = compile_to_asm("int f(int a) { return a * 3; }", arch, "O0")
    lines = asm.splitlines()
    target = next(i for i, l in enumerate(lines) if l.startswith("\t") and not l.strip().startswith("."))
    lines[target] = "\tfrobnicate %eax, %ebx" if arch == "x86-64" else "\tfrobnicate x0, x1"
    prep = prepare("\n".join(lines), arch)
    resolve_symbols(prep, "f", set())
    with pytest.raises(AsmError) as err:
        assemble(prep)
    assert err.value.category == "asm.syntax"
    assert err.value.line == target + 1 and "frobnicate" in err.value.text


def test_not_text_is_rejected():
    with pytest.raises(AsmError) as err:
        prepare("f:\n\0\0ret\n", "x86-64")
    assert err.value.category == "asm.syntax"


def _same_meaning(a, b) -> bool:
    """The one alias keystone and GNU as encode differently: `uxtw xN, wN` (UBFX vs ORR), both zero-extend."""
    if len(a) == len(b) == 1:
        m1 = re.fullmatch(r"x(\d+), x(\d+), #0, #0x20", a[0][1]) if a[0][0] == "ubfx" else None
        m2 = re.fullmatch(r"w(\d+), w(\d+)", b[0][1]) if b[0][0] == "mov" else None
        return bool(m1 and m2 and m1.groups() == m2.groups())
    return False


@pytest.mark.parametrize("opt", ["O0", "O2"])
def test_keystone_matches_gnu_as(arch, opt, tmp_path):
    """The cross-check: keystone's bytes for every instruction equal GNU as + ld at the same addresses."""
    asm = compile_to_asm(SOURCE, arch, opt)
    prep = prepare(asm, arch)
    resolve_symbols(prep, "pick", Libc().served)
    image = assemble(prep)
    gas, ld, objcopy = GNU[arch]
    # keystone ignores the max-skip of `.p2align n,,m`; give GNU as the same alignment so layouts agree
    (tmp_path / "k.s").write_text(re.sub(r"(\.p2align\s+\d+),,\d+", r"\1", asm))
    subprocess.run([gas, str(tmp_path / "k.s"), "-o", str(tmp_path / "k.o")], check=True)
    # Place GNU's sections where keystone's image put ours, and the externals at their stubs.
    rodata, data, bss = image.parts["rodata"][0], image.parts["data"][0], image.parts["bss"][0]
    defsyms = [f"--defsym={name}={addr:#x}" for addr, name in image.stubs.items() if not name.startswith("<")]
    script = tmp_path / "k.ld"
    script.write_text(f"""SECTIONS {{
  . = {image.base:#x}; .text : {{ *(.text*) }}
  . = {rodata:#x}; .rodata : {{ *(.rodata .rodata.*) }}
  . = {data:#x}; .data : {{ *(.data*) }}
  . = {bss:#x}; .bss : {{ *(.bss*) *(COMMON) }}
  /DISCARD/ : {{ *(.note*) *(.comment) *(.eh_frame) }}
}}""")
    subprocess.run([ld, "-T", str(script), *defsyms, "-e", "pick", str(tmp_path / "k.o"), "-o",
                    str(tmp_path / "k.elf")], check=True, capture_output=True)
    subprocess.run([objcopy, "-O", "binary", "-j", ".text", str(tmp_path / "k.elf"), str(tmp_path / "k.bin")],
                   check=True)
    gnu = (tmp_path / "k.bin").read_bytes()
    ours = image.code[: len(gnu)]
    cs = Cs(CS_ARCH_X86, CS_MODE_64) if arch == "x86-64" else Cs(CS_ARCH_ARM64, CS_MODE_ARM)
    mismatches = []
    for (addr, line), nxt in zip(image.line_addresses, image.line_addresses[1:] + [(image.base + len(gnu), 0)]):
        a, b = ours[addr - image.base: nxt[0] - image.base], gnu[addr - image.base: nxt[0] - image.base]
        if a != b:
            # alignment padding may use different NOP encodings; every other instruction must agree
            da = [(i.mnemonic, i.op_str) for i in cs.disasm(a, addr) if not i.mnemonic.startswith("nop")]
            db = [(i.mnemonic, i.op_str) for i in cs.disasm(b, addr) if not i.mnemonic.startswith("nop")]
            if da != db and not _same_meaning(da, db):
                mismatches.append((line, image.source_lines[line - 1].strip(), da, db))
    assert mismatches == []
