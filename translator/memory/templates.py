"""The translation memory's templates: gcc's piece with the prompt's numbers and jump targets as slots.

A template key (`template_key`) is a prompt rendered with its literals written `#` and the kind of each (which
instructions it fits, immediates.py), its jump targets by place; `template_of` turns gcc's piece for one
prompt into a template, `instantiate` fills it with another prompt's numbers. The memory's levels and
lookups that use them are store.py.
"""
from __future__ import annotations

import re
import struct
from dataclasses import dataclass

from ..prompts import Prompt
from .immediates import literal_class

# -- templates: gcc's piece with the prompt's numbers as slots ------------------------------------------
# `t3 = VA + 7;` and `t3 = VA + 12;` share a key with numbers abstracted, and gcc writes `$7` and `$12`
# where they differ. A template writes each number of the piece as the prompt's k-th number, or a simple
# function of it (gcc compares `x < 5` as `x <= 4`, subtracts 5 as `$-5`, shifts for `* 8`), or as the
# literal when nothing explains it; a jump target `<C12>` is written as the prompt's k-th target. Each
# training piece votes for its own template and the most common one answers for the key. AArch64 writes
# a constant that fits no instruction in 16-bit chunks (`mov w0, 31064; movk w0, 0x3, lsl 16`): the
# chunk transforms, and a template key that says which instructions each literal fits (immediates.py).
_PIECE_NUMBER = re.compile(r"(?<![\w.%@])-?\d+\.\d+e[-+]\d+|(?<=<C)(?P<target>\d+)(?=>)|(?<![\w.%@])0x[0-9a-f]+(?![\w.])"
                           r"|(?<![\w.%@])-?\d+(?![\w.])")
_ALIGN = re.compile(r"\.(p2|b)?align\b")  # alignment is the type's, never the prompt's
_SLOT = re.compile("\x01(\\d+):([\\w.]+)\x02")
_LITERAL = re.compile(  # a jump target, or a C literal with its sign: `{3, -423}` is two numbers, not three
    r"<C(\d+)>|(?<![\w.])(-?(?:\d+\.\d*(?:[eE][-+]?\d+)?|\d+[eE][-+]?\d+|\d+))")
_U64 = (1 << 64) - 1
_BASE = {  # integer literal -> the number gcc computes with
    "id": lambda n: n,
    "neg": lambda n: -n,
    "dec": lambda n: n - 1,
    "inc": lambda n: n + 1,
}
_HALFWORDS = {  # a number -> how an AArch64 mov/movk sequence writes one 16-bit chunk of it
    "lo16": lambda p: p & 0xFFFF,  # `mov w0, 31064`
    "lo16n": lambda p: (p & 0xFFFF) - 0x10000,  # `mov x0, -4464` (movn: the chunks above are all ones)
    "hi16": lambda p: hex(p >> 16 & 0xFFFF),  # `movk w0, 0x3, lsl 16`
    "hw2": lambda p: hex(p >> 32 & 0xFFFF),
    "hw3": lambda p: hex(p >> 48 & 0xFFFF),
}
TRANSFORMS = {  # integer literal -> a number gcc writes for it
    **_BASE,
    "u32": lambda n: -n & 0xFFFFFFFF,  # a negated constant as a 32-bit unsigned immediate
    "s32": lambda n: (n + (1 << 31) & 0xFFFFFFFF) - (1 << 31),  # an unsigned int constant as a signed one
    "log2": lambda n: n.bit_length() - 1 if n > 0 and n & (n - 1) == 0 else None,
    **{f"{b}.{c}": (lambda n, b=b, c=c: _HALFWORDS[c](_BASE[b](n) & _U64)) for b in _BASE for c in _HALFWORDS},
}
_F32 = lambda x: struct.unpack("<I", struct.pack("<f", x))[0]
_F64 = lambda x: struct.unpack("<Q", struct.pack("<d", x))[0]
FLOAT_TRANSFORMS = {  # floating literal -> the words of its pooled constant (`.long`), or its bits by chunk
    "f32": _F32,
    "f64lo": lambda x: _F64(x) & 0xFFFFFFFF,
    "f64hi": lambda x: _F64(x) >> 32,
    "fimm": lambda x: _gcc_float(x),  # AArch64 `fmov d0, 7.5e-1`
    **{f"f32.{c}": (lambda x, c=c: _HALFWORDS[c](_F32(x))) for c in ("lo16", "hi16")},  # `mov w0, ..; fmov s1, w0`
    **{f"f64.{c}": (lambda x, c=c: _HALFWORDS[c](_F64(x))) for c in _HALFWORDS},
}


def _gcc_float(x: float) -> str:
    """`x` the way gcc writes an fmov immediate: the shortest exact mantissa, `e-1` not `e-01`."""
    for digits in range(1, 18):
        text = f"{x:.{digits}e}"
        if float(text) == x:
            break
    return re.sub(r"e([-+])0*(\d)", r"e\1\2", text)


@dataclass(frozen=True)
class Target:
    """A jump target `<Cn>` of the prompt: only a jump target of the piece is written from it."""
    n: int


def _literal(m: re.Match) -> int | float | Target:
    if m.group(1):
        return Target(int(m.group(1)))
    text = m.group(2)
    return float(text) if "." in text or "e" in text.lower() else int(text)


def prompt_numbers(prompt: Prompt) -> list[int | float | Target]:
    """The literals of the prompt's C and its jump targets, in the order its text reads (floating
    literals as floats)."""
    out: list[int | float | Target] = []

    def text(s: str) -> str:
        out.extend(_literal(m) for m in _LITERAL.finditer(s))
        return s

    def target(n: int) -> str:
        out.append(Target(n))
        return ""

    prompt.render(text, target)
    return out


def template_key(prompt: Prompt) -> str:
    """The prompt with each of its `prompt_numbers` written `#` and the instructions it fits in
    (immediates.py: `x + 7` and `x + 70000` are different code on AArch64), each jump target `<C#k>`
    with k its first place among the targets (an "exit" that is also "next" is a fall-through, no jump):
    prompts with one key have their numbers in the same places and of the same kind."""
    targets: list[int] = []

    def place(n: int) -> str:
        if n not in targets:
            targets.append(n)
        return f"<C#{targets.index(n)}>"

    def abstract(m: re.Match) -> str:
        n = _literal(m)
        return place(n.n) if isinstance(n, Target) else "#" + literal_class(prompt.arch, n)

    return prompt.render(lambda s: _LITERAL.sub(abstract, s), place)


def _apply(name: str, n: int | float | Target):
    if isinstance(n, Target):  # jump targets are filled by place, never by a transform
        return None
    table = FLOAT_TRANSFORMS if isinstance(n, float) else TRANSFORMS
    try:
        return table[name](n) if name in table else None
    except (OverflowError, struct.error):  # a double beyond float's range has no f32 bits
        return None


def template_of(prompt: Prompt, piece: str, numbers: bool = True) -> str:
    """`piece` with each number written as the first explanation found: the transforms in their order,
    each tried on the prompt's numbers from the one after the number used last (gcc writes a table, a
    call's arguments, in the C's order), then from the start. A jump target is written as the prompt's
    j-th target. `numbers=False`: the jump targets only (the numbers of another statement's piece
    explain nothing)."""
    nums = prompt_numbers(prompt)
    targets = [n.n for n in nums if isinstance(n, Target)]
    after = [0]

    def slot(m):
        text = m.group(0)
        if m.group("target"):
            return f"\x01{targets.index(int(text))}:target\x02" if int(text) in targets else text
        if not numbers:
            return text
        v = text if "e" in text or text.startswith("0x") else int(text)  # floats and hex chunks compare as text
        for name in (*TRANSFORMS, *FLOAT_TRANSFORMS):
            for k in [*range(after[0], len(nums)), *range(after[0])]:
                if _apply(name, nums[k]) == v:
                    after[0] = k + 1
                    return f"\x01{k}:{name}\x02"
        return text

    return "".join(line if _ALIGN.search(line) else _PIECE_NUMBER.sub(slot, line) for line in piece.splitlines(True))


def instantiate(template: str, prompt: Prompt) -> str | None:
    """The template's piece for `prompt`; None if a slot names a number or a jump target the prompt lacks."""
    nums = prompt_numbers(prompt)
    targets = [n.n for n in nums if isinstance(n, Target)]
    missing = []

    def fill(m):
        k, name = int(m.group(1)), m.group(2)
        if name == "target":
            v = targets[k] if k < len(targets) else None
        else:
            v = _apply(name, nums[k]) if k < len(nums) else None
        if v is None:
            missing.append(m.group(0))
            return ""
        return str(v)

    out = _SLOT.sub(fill, template)
    return None if missing else out
