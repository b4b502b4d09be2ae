"""The unicorn machines against the real CPU: gcc's code run in the emulator equals the same code run natively."""
import ctypes
import random
import struct
import subprocess

import pytest

from neuralcc.verifier.check import Checker
from neuralcc.verifier.inputs import RandomSampler

SOURCE = r"""
#include <string.h>
#include <stdint.h>
#include <math.h>
int8_t widths(int8_t a, uint16_t b, int c, unsigned long long d, short e) { return (int8_t)(a + b + c + d + e); }
double floats(float x, double y, int k) { return x * y + k / 3.0; }
long many(long a, long b, long c, long d, long e, long f, long g, long h) { return a - b + c - d + e - f + g * 2 - h; }
int sum(const int *a, int n) { int s = 0; for (int i = 0; i < n; i++) s += a[i] & 0xffff; return s; }
unsigned hash(const char *s) { unsigned h = 5381; while (*s) h = h * 33u + (unsigned char)*s++; return h + strlen(s); }
double norm(const double *v, int n) { double s = 0; for (int i = 0; i < n; i++) s += v[i] * v[i]; return sqrt(s); }
void scale(int *out, const int *in, int n, int k) { for (int i = 0; i < n; i++) out[i] = in[i] * (k & 7); }
"""


@pytest.fixture(scope="module")
def native(tmp_path_factory):
    d = tmp_path_factory.mktemp("native")
    (d / "k.c").write_text(SOURCE)
    subprocess.run(["gcc", "-O0", "-shared", "-fPIC", "-o", str(d / "k.so"), str(d / "k.c"), "-lm"], check=True)
    return ctypes.CDLL(str(d / "k.so"))


CASES = {
    "widths": (ctypes.c_int8, [ctypes.c_int8, ctypes.c_uint16, ctypes.c_int, ctypes.c_ulonglong, ctypes.c_short]),
    "floats": (ctypes.c_double, [ctypes.c_float, ctypes.c_double, ctypes.c_int]),
    "many": (ctypes.c_long, [ctypes.c_long] * 8),
    "sum": (ctypes.c_int, None),
    "hash": (ctypes.c_uint, None),
    "norm": (ctypes.c_double, None),
}


@pytest.mark.parametrize("name", list(CASES))
def test_emulated_reference_equals_native(native, name):
    checker = Checker(SOURCE, "x86-64", "O0", name, examples=0, random_inputs=0, seed=3)
    restype, argtypes = CASES[name]
    fn = getattr(native, name)
    fn.restype = restype
    sampler = RandomSampler(checker.plan, seed=11)
    compared = 0
    for _ in range(300):
        value = sampler.draw()
        item = checker.reference_item(value)
        if item is None:
            continue
        args = []
        for p in checker.plan.params:
            v = value[p.name]
            if isinstance(v, bytes):
                args.append(ctypes.c_char_p(v))
            elif isinstance(v, list):
                ctype = ctypes.c_double if name == "norm" else ctypes.c_int
                args.append((ctype * max(len(v), 1))(*v))
            else:
                args.append(v)
        if argtypes:
            fn.argtypes = argtypes
        expected = fn(*args)
        got = item.ref.ret
        if isinstance(expected, float):
            assert struct.pack("<d", expected) == struct.pack("<d", got.value), value
        else:
            assert expected == got, value
        compared += 1
    assert compared >= 250


def test_stack_arguments_and_both_arches_agree():
    """A function with more arguments than registers computes the same on both emulated arches."""
    src = "long f(long a, long b, long c, long d, long e, long f2, long g, long h, long i, double x) " \
          "{ return a + 2*b + 3*c + 4*d + 5*e + 6*f2 + 7*g + 8*h + 9*i + (long)x; }"
    x86 = Checker(src, "x86-64", "O0", examples=0, random_inputs=0)
    arm = Checker(src, "aarch64", "O0", examples=0, random_inputs=0)
    rng = random.Random(5)
    for _ in range(50):
        value = {p.name: rng.randint(-1000, 1000) for p in x86.plan.params}
        value["x"] = rng.uniform(-100, 100)
        a, b = x86.reference_item(value), arm.reference_item(value)
        expected = sum((k + 1) * value[n] for k, n in enumerate(["a", "b", "c", "d", "e", "f2", "g", "h", "i"]))
        assert a.ref.ret == b.ref.ret == expected + int(value["x"])
