"""`neuralcc verify` and `neuralcc mutate`."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .errors import VerifierInputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify", help="check candidate assembly against gcc's, in unicorn, on generated inputs",
        description="Differential check of CANDIDATE (gcc-style assembly: AT&T for x86-64, GNU for AArch64) "
                    "against gcc's compilation of KERNEL (the C source is the specification). Prints the "
                    "verdict; exit status 0 if it passed, 1 if it failed, 2 on bad input.")
    p.add_argument("kernel", help="C source file")
    p.add_argument("candidate", help="assembly file to check")
    p.add_argument("--arch", choices=["x86-64", "aarch64"], default="x86-64")
    p.add_argument("--function", help="function to check (default: the only non-main function)")
    p.add_argument("--opt", default="O0", help="gcc optimisation level of the reference (default O0)")
    p.add_argument("--examples", type=int, default=200, help="hypothesis examples (default 200)")
    p.add_argument("--random", type=int, default=1000, dest="random_inputs",
                   help="fast random inputs checked before hypothesis runs (default 1000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--ulp", type=int, default=0, help="float tolerance in units in the last place (default: exact)")
    p.add_argument("--test", help="a C file with a main() of asserts that calls the function; run it linked "
                                  "with the candidate and report that verdict too")
    p.add_argument("--json", action="store_true", help="print the verdict as JSON")
    p.set_defaults(func=verify_command)

    m = sub.add_parser(
        "mutate", help="inject a known fault into assembly (for testing verifiers)",
        description="Apply one fault of a given category to gcc-style assembly and print the mutant. "
                    "With --list, print which categories apply to the file.")
    m.add_argument("assembly", help="assembly file (gcc -S output)")
    m.add_argument("--arch", choices=["x86-64", "aarch64"], default="x86-64")
    m.add_argument("--function", required=False, help="function to mutate (default: the first global one)")
    m.add_argument("--category", help="fault category to inject, e.g. register.callee_saved")
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--list", action="store_true", help="list applicable categories")
    m.set_defaults(func=mutate_command)


def _read_text(path: str, what: str) -> str:
    p = Path(path)
    if not p.exists():
        raise VerifierInputError(f"{path}: no such {what} file")
    if p.is_dir():
        raise VerifierInputError(f"{path}: is a directory, expected a {what} file")
    data = p.read_bytes()
    if b"\0" in data:
        raise VerifierInputError(f"{path}: not a text file (contains NUL bytes)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise VerifierInputError(f"{path}: not UTF-8 text (byte {err.start})") from None
    if not text.strip():
        raise VerifierInputError(f"{path}: empty {what} file")
    return text


def verify_command(args) -> int:
    from .check import Checker

    try:
        source = _read_text(args.kernel, "C")
        candidate = _read_text(args.candidate, "assembly")
        test = _read_text(args.test, "test") if args.test else None
        checker = Checker(source, args.arch, args.opt, args.function, examples=args.examples,
                          random_inputs=args.random_inputs, seed=args.seed, filename=args.kernel,
                          test_source=test, ulp=args.ulp)
    except VerifierInputError as err:
        print(f"neuralcc verify: error: {err}", file=sys.stderr)
        return 2
    verdict = checker.check(candidate)
    if args.json:
        print(verdict.to_json())
    else:
        print(render(verdict))
    return 0 if verdict.passed and (verdict.test is None or verdict.test.passed) else 1


def render(v) -> str:
    lines = [f"{v.function} [{v.arch} -{v.opt}]: {v.category}", f"  {v.message}"]
    if v.line:
        lines.append(f"  at line {v.line}: {v.text}")
    for key in ("symbol", "register", "address", "pc", "instruction"):
        value = getattr(v, key)
        if value:
            lines.append(f"  {key}: {value}")
    ce = v.counterexample
    if ce:
        lines.append(f"  counterexample (shrunk by {ce.shrunk_by}):")
        lines += [f"    {k} = {val}" for k, val in ce.input.items()]
        lines.append(f"  reference ({ce.reference_instructions} instructions): {json.dumps(ce.reference)}")
        lines.append(f"  candidate ({ce.candidate_instructions} instructions): {json.dumps(ce.candidate)}")
    if v.discarded:
        lines.append("  discarded inputs: " + ", ".join(f"{k} {n}" for k, n in sorted(v.discarded.items())))
    lines.append(f"  inputs checked: {v.inputs_checked}, {v.seconds:.2f} s")
    if v.test is not None:
        lines.append(f"  test program: {v.test.category}: {v.test.message}")
    return "\n".join(lines)


def mutate_command(args) -> int:
    from .mutate import MutationError, applicable, mutate

    try:
        text = _read_text(args.assembly, "assembly")
        if args.list:
            for cat in applicable(text, args.arch, args.function):
                print(cat)
            return 0
        if not args.category:
            raise VerifierInputError("give --category (see --list)")
        print(mutate(text, args.arch, args.category, function=args.function, seed=args.seed), end="")
    except (VerifierInputError, MutationError) as err:
        print(f"neuralcc mutate: error: {err}", file=sys.stderr)
        return 2
    return 0
