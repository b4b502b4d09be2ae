"""keystone 0.9.2 never initialises its number radix (MCAsmInfo::Radix): an engine whose memory held 16
read every decimal number as hexadecimal. The keystone child is forked, so it inherits the parent's heap,
and gcc's own assembly failed ('Literal value out of range', 'Unknown error', an LLVM fatal error)
after whatever the parent had done before. These tests leave freed heap memory full of 16s, as the
evaluation's translator happened to, and check that the assembler still reads decimal."""
import ctypes

from neuralcc.verifier.asmprep import prepare, resolve_symbols
from neuralcc.verifier.assemble import CODE_BASE, _keystone, assemble
from neuralcc.verifier.libc import Libc
from neuralcc.verifier.reference import compile_to_asm

_libc = ctypes.CDLL(None)
_libc.malloc.restype = ctypes.c_void_p
_libc.malloc.argtypes = [ctypes.c_size_t]
_libc.free.argtypes = [ctypes.c_void_p]


def leave_sixteens_in_freed_memory(max_size: int = 4096, per_size: int = 32) -> None:
    """Allocate chunks of every small size, fill them with the 32-bit value 16 and free them: the
    allocations a forked child makes next reuse them."""
    chunks = []
    for size in range(16, max_size + 1, 16):
        pattern = (ctypes.c_uint32 * (size // 4))(*([16] * (size // 4)))
        for _ in range(per_size):
            p = _libc.malloc(size)
            ctypes.memmove(p, pattern, size)
            chunks.append(p)
    for p in chunks:
        _libc.free(p)


DECIMAL = {  # statements with decimal numbers, and their bytes when read as decimal
    "x86-64": (".att_syntax\n.byte 10\n.long 2147483647\nmovl $15, %eax\n",
               b"\x0a" + (2147483647).to_bytes(4, "little") + b"\xb8\x0f\x00\x00\x00"),
    "aarch64": (".byte 10\n.p2align 2\n.long 2147483647\nmov w0, 15\nand w1, w1, 15\n",
                b"\x0a\x00\x00\x00" + (2147483647).to_bytes(4, "little")
                + (0x52800000 | 15 << 5).to_bytes(4, "little") + (0x12000c21).to_bytes(4, "little")),
}


def test_keystone_reads_decimal_whatever_the_parent_heap_held(arch):
    text, expected = DECIMAL[arch]
    assert _keystone(arch, text, CODE_BASE) == (expected, None)
    leave_sixteens_in_freed_memory()
    for _ in range(3):
        assert _keystone(arch, text, CODE_BASE) == (expected, None)


SOURCE = r"""
static const int table[5] = {3, 1, 4, 1, 5};
long buf[12];
int pick(int i) { return table[(unsigned)i % 5u]; }
long fill(int n) { long s = 0; for (int i = 0; i < n && i < 12; i++) { buf[i] = i * 1000003L; s += buf[i]; }
                   return s + 2147483647; }
double scale(double x) { return x * 1.5 + 100.0; }
"""


def _image(arch: str):
    prep = prepare(compile_to_asm(SOURCE, arch, "O0"), arch)
    resolve_symbols(prep, "fill", Libc().served)
    return assemble(prep)


def test_gcc_assembly_assembles_alike_after_the_parent_heap_changed(arch):
    before = _image(arch)
    leave_sixteens_in_freed_memory()
    after = _image(arch)
    assert after.code == before.code
    assert after.symbols == before.symbols
