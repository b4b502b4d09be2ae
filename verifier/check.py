"""The differential check: a candidate's assembly against gcc's, on the same inputs, in unicorn.

    checker = Checker(c_source, arch="x86-64", opt="O0")   # builds gcc's references once
    verdict = checker.check(candidate_asm)                  # as many candidates as you like

A Checker compiles the C source twice with gcc (the requested level, and a second level that exposes
undefined behaviour: inputs on which the two disagree or the reference faults are discarded, never
blamed on the candidate). It draws `random_inputs` inputs from a seeded sampler and runs the
references on them once; every candidate then costs one emulated call per input. Then hypothesis
explores `examples` more inputs from the same types, and shrinks any failure it finds.

A function that calls into other units (a program's `main`) is checked with their assembly linked
beside both the reference and the candidate: `Checker(..., link=[gcc's assembly of each other unit])`.
"""
from __future__ import annotations

import struct
import time
from dataclasses import dataclass, field

from hypothesis.errors import Flaky
from hypothesis import HealthCheck, Phase, given, settings, seed as hyp_seed, Verbosity

from neuralcc.cbase.ctype import FloatType, VoidType
from neuralcc.cbase.toolchain import char_signed

from .abi import ABIS
from .asmprep import AsmError, prepare, resolve_symbols
from .assemble import assemble, disassembler
from .errors import VerifierInputError
from .inputs import (Buffer, Plan, RandomSampler, Scalar, describe_value, input_strategy, make_plan,
                     mine_constants)
from .memorymap import STACK_TOP, slot_guard, stack_guard
from .libc import Libc
from .machine import Fault, Machine, RunResult
from .marshal import Marshalled, Marshaller, TooLarge
from .observe import Observation, Observer, first_difference
from .splice import defined_symbols, linked_part, runnable_part
from .reference import compile_to_asm, other_opt
from .signature import UnitSpec, parse_unit
from .verdict import Counterexample, Verdict

REFERENCE_BUDGET = 5_000_000
MIN_BUDGET = 1_000_000
MAX_BUDGET = 50_000_000
BUDGET_FACTOR = 100
POISON_SETS = 2
UNINIT_PROBES = 16  # inputs on which a passing candidate is re-run with the second poison sets
SHRINK_SECONDS = 10.0
HYPOTHESIS_SECONDS = 30.0  # hypothesis stops generating (and shrinks what it has) after this long
OUTPUT_POISON = 0xA5  # the second run of every input starts its output buffers with this byte, not zero


def poison_gpr(set_: int, index: int) -> int:
    """A distinct, unmapped, canonical (48-bit) value per register and poison set. The two sets differ
    in sign and size in their low 32 bits too, so code that reads a stray register sees the change."""
    if set_ == 1:
        return (0x5A5A << 32) | (0x01 << 24) | (index << 12)
    return (0x5A5A << 32) | (0xFFFFFF00 + index)


def poison_vector(set_: int, index: int) -> bytes:
    if set_ == 1:
        return struct.pack("<QQ", 0x7FF4DEAD00000000 | index, 0x7FF4BEEF00000000 | index)
    return struct.pack("<dd", -1.0e6 - index, 2.5e-3 * (index + 1))


@dataclass
class Program:
    """An assembled image on its own machine, ready to call its entry function."""
    image: object
    machine: Machine
    observer: Observer
    entry: int


@dataclass
class Item:
    value: dict
    call: Marshalled
    ref: Observation
    poisoned: Marshalled | None = None  # the same input with its output buffers poisoned
    poisoned_ref: Observation | None = None


@dataclass
class Failure:
    category: str
    message: str
    details: dict = field(default_factory=dict)
    observation: Observation | None = None
    difference: str = ""


class _Found(Exception):
    pass


@dataclass
class UnitBuild:
    """gcc's work on one unit, done once for every function checked in it: its assembly at each level and
    with each extra flag asked for, and its reading (`parse_unit`). `ncc` checks every function of a
    unit with one (`Checker(unit_build=...)`); a Checker given none makes its own."""
    source: str
    arch: str
    filename: str = "<source>"
    cflags: tuple[str, ...] = ()  # the user's -I -D -U -std -f... (gcc and the preprocessor see them)
    _asm: dict = field(default_factory=dict, repr=False)
    _spec: UnitSpec | None = field(default=None, repr=False)

    def asm(self, opt: str, extra: tuple[str, ...] = ()) -> str:
        """gcc's assembly of the unit at `opt` (VerifierInputError if gcc refuses it)."""
        if (opt, extra) not in self._asm:
            self._asm[opt, extra] = compile_to_asm(self.source, self.arch, opt, self.filename,
                                                   extra=[*self.cflags, *extra])
        return self._asm[opt, extra]

    def spec(self) -> UnitSpec:
        if self._spec is None:
            self._spec = parse_unit(self.source, self.filename, char_signed=char_signed(self.arch),
                                    cflags=list(self.cflags))
        return self._spec


class Checker:
    def __init__(self, source: str, arch: str, opt: str = "O0", function: str | None = None,
                 examples: int = 200, random_inputs: int = 1000, seed: int = 0, filename: str = "<source>",
                 test_source: str | None = None, ulp: int = 0, cflags: list[str] | None = None,
                 link: list[str] = (), unit_build: UnitBuild | None = None):
        if arch not in ABIS:
            raise VerifierInputError(f"unknown arch '{arch}' (use x86-64 or aarch64)")
        self.arch, self.opt, self.filename = arch, opt, filename
        self.examples, self.random_inputs, self.seed, self.ulp = examples, random_inputs, seed, ulp
        self.source, self.test_source = source, test_source
        self.cflags = list(cflags or [])  # the user's -I -D -U -std -f... (gcc and the preprocessor see them)
        self.unit_build = unit_build or UnitBuild(source, arch, filename, tuple(self.cflags))
        if (self.unit_build.source, self.unit_build.arch, self.unit_build.filename, list(self.unit_build.cflags)) != \
                (source, arch, filename, self.cflags):
            raise ValueError("the unit build given is of another unit, arch or flags")
        self.abi = ABIS[arch]
        self._blocks = [self._poison_block(s) for s in range(POISON_SETS)]
        # what the callee-saved registers must hold after every call (poison set 1)
        self._saved = {reg: poison_gpr(1, i) for i, reg in enumerate(self.abi.gprs) if reg in self.abi.callee_saved}
        self._saved_fp = {reg: int.from_bytes(poison_vector(1, int(reg[1:]))[:8], "little")
                          for reg in self.abi.callee_saved_fp}
        self.unit: UnitSpec = self.unit_build.spec()
        self.spec = self.unit.entry(function)
        self.function = self.spec.name
        self.libc_names = Libc().served
        self.unsupported: str | None = self.spec.unsupported
        self.calls_elsewhere: str | None = None  # a function it calls that neither this unit nor the libc defines
        self.discarded: dict[str, int] = {}
        self.items: list[Item] = []
        self.budget = MIN_BUDGET
        self.reference: Program | None = None
        self.reference_asm = self.unit_build.asm(opt)
        # the other units' code, run beside both sides exactly as given (their symbols kept apart)
        taken = defined_symbols(self.reference_asm, arch)
        parts = [linked_part(a, arch, f"lk{i}_", taken) for i, a in enumerate(link)]
        self.linked = "".join(text for text, _ in parts)
        self.private = set().union(*(names for _, names in parts))  # the other units' own: not the candidate's
        if self.unsupported:
            return
        self.plan: Plan = make_plan(self.spec, mine_constants(source))
        if not self.plan.params:  # every input is the same one (a program's `main`): one run says it all
            random_inputs = self.random_inputs = min(random_inputs, 1)
            self.examples = 0
        self.marshaller = Marshaller(self.plan, len(self.abi.int_args), self.abi.float_args)
        try:
            self.reference = self.build(self.reference_asm)
            self.reference2 = self._second_reference()
        except AsmError as err:
            self.unsupported = f"gcc's own assembly cannot be run: {err.category}: {err.message}"
            if err.category == "symbol.unknown_external":
                self.calls_elsewhere = err.symbol  # linking that unit (`link`) would make it testable
            return
        sampler = RandomSampler(self.plan, seed)
        for _ in range(random_inputs):
            item = self.reference_item(sampler.draw())
            if item is not None:
                self.items.append(item)
        self._calibrate()

    def _second_reference(self) -> Program:
        """The function compiled at the other opt level. No FMA contraction in it, so only undefined
        behaviour makes the two references differ. A static function the other level inlines into
        every caller is not emitted there: gcc is then asked to keep it."""
        flags = ("-ffp-contract=off",)
        other = other_opt(self.opt)
        try:
            return self.build(self.unit_build.asm(other, flags))
        except AsmError as err:
            if err.category != "symbol.missing_entry":
                raise
        return self.build(self.unit_build.asm(other, flags + ("-fkeep-static-functions",)))

    # -- building and running programs -----------------------------------------------------------
    def runnable(self, asm: str, entry: str | None = None) -> str:
        """What is run of `asm`: the part the entry reaches, the other units' code (`link`) after it."""
        return runnable_part(asm + "\n" + self.linked if self.linked else asm, entry or self.function, self.arch)

    def build(self, asm: str, entry: str | None = None) -> Program:
        entry = entry or self.function
        prep = prepare(self.runnable(asm, entry), self.arch)
        lines = asm.count("\n") + 1
        for name, number in prep.references.items():  # its first use: in the unit's text, if the unit uses it
            if name in self.private and number <= lines:
                raise AsmError("symbol.undefined", f"symbol '{name}' is another unit's own: it cannot be "
                               "used from here", number, prep.source_lines[number - 1].strip(), name)
        resolve_symbols(prep, entry, self.libc_names)
        image = assemble(prep)
        machine = Machine(image)
        return Program(image, machine, Observer(machine, self.spec.ret, self.unit.globals), image.symbols[entry])

    def _poison_block(self, set_: int) -> bytes:
        gprs = {name: poison_gpr(set_ + 1, i) for i, name in enumerate(self.abi.gprs)}
        vectors = [poison_vector(set_ + 1, i) for i in range(self.abi.vector_count)]
        return self.abi.pack_args(gprs, vectors, STACK_TOP, 0)

    def run(self, program: Program, call: Marshalled, poison: int = 0, budget: int | None = None,
            count: bool = False, stack: int = 0) -> RunResult:
        """One call. `poison`: the set of values in the registers that hold no argument; `stack`: the
        set of the pattern in the stack below the caller's frame."""
        abi = self.abi
        block = bytearray(self._blocks[poison])
        for i, v in enumerate(call.ints):
            struct.pack_into("<Q", block, abi.args_gpr_offset + 8 * abi.gprs.index(abi.int_args[i]), v)
        for i, raw in enumerate(call.floats):
            block[abi.args_vec_offset + 16 * i: abi.args_vec_offset + 16 * i + 16] = raw.ljust(16, b"\0")
        struct.pack_into("<Q", block, abi.args_fn_offset, program.entry)
        writes = call.writes
        if call.stack:
            writes = writes + [(STACK_TOP, b"".join(struct.pack("<Q", v & (2**64 - 1)) for v in call.stack))]
        return program.machine.run(bytes(block), writes, budget or self.budget, count, stack)

    # -- references ------------------------------------------------------------------------------
    def _discard(self, why: str) -> None:
        self.discarded[why] = self.discarded.get(why, 0) + 1

    def reference_item(self, value: dict) -> Item | None:
        try:
            call = self.marshaller.lay_out(value)
        except TooLarge:
            self._discard("input-too-large")
            return None
        first = self.run(self.reference, call, budget=REFERENCE_BUDGET)
        if first.fault is not None:
            self._discard("reference-timeout" if first.fault.kind == "timeout" else "reference-fault")
            return None
        if self._abi_broken(first):  # e.g. a stack buffer overflow in the C source smashed a saved register
            self._discard("reference-fault")
            return None
        obs = self.reference.observer.observe(first, call)
        if not self._agrees_at_other_level(call, obs):
            self._discard("reference-disagree")
            return None
        item = Item(value, call, obs)
        if self.plan.outputs:
            # Output buffers start as zeros, and again as OUTPUT_POISON: a string never terminated, or a
            # byte written past what the reference writes, shows only when the buffer was not zero.
            poisoned = self.marshaller.lay_out(value, output_fill=OUTPUT_POISON)
            run = self.run(self.reference, poisoned, budget=REFERENCE_BUDGET)
            if run.fault is None and not self._abi_broken(run):
                ref = self.reference.observer.observe(run, poisoned)
                if self._agrees_at_other_level(poisoned, ref):
                    item.poisoned, item.poisoned_ref = poisoned, ref
        return item

    def _agrees_at_other_level(self, call: Marshalled, obs: Observation) -> bool:
        """gcc's code at the other level, with the other stack pattern, agrees: no undefined behaviour
        showed, and the C reads no stack memory it did not write (f[n] past what it filled)."""
        second = self.run(self.reference2, call, budget=REFERENCE_BUDGET, stack=1)
        if second.fault is not None or self._abi_broken(second):
            return False
        return first_difference(obs, self.reference2.observer.observe(second, call), rel_tol=1e-4) is None

    def input_budget(self, item: Item) -> int:
        count = self.run(self.reference, item.call, budget=REFERENCE_BUDGET, count=True).instructions or 0
        return min(MAX_BUDGET, max(MIN_BUDGET, BUDGET_FACTOR * count))

    def _abi_broken(self, run: RunResult) -> bool:
        res = run.results
        return res.sp != STACK_TOP or res.saved != self._saved

    def _calibrate(self) -> None:
        """The candidate's instruction budget: a multiple of the most the reference needed."""
        counts = [self.run(self.reference, item.call, budget=REFERENCE_BUDGET, count=True).instructions or 0
                  for item in self.items[:8]]
        self.budget = max(MIN_BUDGET, BUDGET_FACTOR * max(counts, default=0))

    # -- judging a candidate on one input --------------------------------------------------------
    def run_candidate(self, cand: Program, item: Item, call: Marshalled | None = None, poison: int = 0,
                      stack: int = 0) -> RunResult:
        call = call or item.call
        run = self.run(cand, call, poison, stack=stack)
        if run.fault is not None and run.fault.kind == "timeout":
            budget = self.input_budget(item)
            if budget > self.budget:  # a long-running input: give the candidate its own multiple
                run = self.run(cand, call, poison, budget=budget, stack=stack)
        return run

    def judge(self, cand: Program, item: Item) -> Failure | None:
        """The candidate on one input: zeroed output buffers, then (when the function has outputs)
        poisoned ones."""
        failure = self._judge_call(cand, item, item.call, item.ref)
        if failure is None and item.poisoned is not None:
            failure = self._judge_call(cand, item, item.poisoned, item.poisoned_ref)
            if failure is not None:
                failure.message += f" (output buffers filled with {OUTPUT_POISON:#x} before the call)"
        return failure

    def _judge_call(self, cand: Program, item: Item, call: Marshalled, ref: Observation) -> Failure | None:
        run = self.run_candidate(cand, item, call)
        if run.fault is not None:
            failure = self.classify_fault(cand, run.fault)
            if failure.category.startswith(("memory.", "control.timeout")) and self._fault_moves(cand, item, call,
                                                                                                  run.fault):
                return Failure("register.uninitialized_read", f"{failure.message}, but not with other values in the "
                               "registers that held no argument: the code used one of them", failure.details)
            return failure
        res = run.results
        if res.sp != STACK_TOP:
            return Failure("register.stack_pointer", f"stack pointer is {res.sp:#x} after return, expected "
                           f"{STACK_TOP:#x} ({res.sp - STACK_TOP:+d} bytes)", {"register": "sp"})
        if res.saved != self._saved or res.saved_fp != self._saved_fp:
            for reg, value in {**res.saved, **res.saved_fp}.items():
                expected = self._saved.get(reg, self._saved_fp.get(reg))
                if value != expected:
                    return Failure("register.callee_saved", f"callee-saved register {reg} changed "
                                   f"({expected:#x} -> {value:#x})", {"register": reg})
        obs = cand.observer.observe(run, call)
        if obs.redzone_hit:
            return Failure("memory.out_of_bounds", f"a store before the start of buffer {obs.redzone_hit}",
                           {}, obs)
        diff = first_difference(ref, obs, ulp=self.ulp)
        if diff is None:
            return None
        if diff.where == "return value" and self._return_unset(cand, call, res):
            reg = self._return_register()
            return Failure("register.return_unset", f"the return register {reg} still holds its value "
                           "from before the call", {"register": reg}, obs, str(diff))
        uninit = self._uninitialized(cand, item, call, obs)
        if uninit is not None:
            return Failure(*uninit, {}, obs, str(diff))
        return Failure("semantic.wrong_output", str(diff), {}, obs, str(diff))

    def _fault_moves(self, cand: Program, item: Item, call: Marshalled, fault: Fault) -> bool:
        """Does the fault change (another kind, address or place, or none) when the registers that held
        no argument hold the other poison set?"""
        other = self.run_candidate(cand, item, call, poison=1).fault
        return other is None or (other.kind, other.address, other.pc) != (fault.kind, fault.address, fault.pc)

    def _return_register(self) -> str:
        if isinstance(self.spec.ret, FloatType):
            return "xmm0" if self.arch == "x86-64" else "v0"
        return "rax" if self.arch == "x86-64" else "x0"

    def _return_unset(self, cand: Program, call: Marshalled, res) -> bool:
        """The return register was never written. When it was entered holding poison, its value says so.
        When it was entered holding an argument (AArch64's x0, a float argument's xmm0/v0), a wrong value
        equal to that argument may have been computed: then only code that never writes the register
        (and calls nothing that could) is return_unset."""
        if isinstance(self.spec.ret, VoidType):
            return False
        is_float = isinstance(self.spec.ret, FloatType)
        if is_float:
            entered_with_argument, entry = bool(call.floats), call.floats[0] if call.floats else poison_vector(1, 0)
            width = self.spec.ret.bytes
            still = res.vec0[:width] == entry[:width]
        else:
            entered_with_argument = self.arch == "aarch64" and bool(call.ints)
            poison = poison_gpr(1, self.abi.gprs.index(self._return_register()))
            entry = call.ints[0] if entered_with_argument else poison
            still = res.int0 == entry
        if not still or not entered_with_argument:
            return still
        return not writes_register(cand.image, _RETURN_ALIASES[self.arch, is_float])

    def _uninitialized(self, cand: Program, item: Item, call: Marshalled,
                       obs: Observation) -> tuple[str, str] | None:
        """(category, message) when the result changes with what registers that held no argument, or
        stack bytes nobody wrote, contained before the call."""
        for poison, stack, category, what in (
                (1, 0, "register.uninitialized_read", "registers that held no argument"),
                (0, 1, "memory.uninitialized_read", "stack memory the function read before writing it")):
            run = self.run_candidate(cand, item, call, poison, stack)
            if run.fault is not None:
                return category, f"the result depends on {what}: with other values there, the call " \
                                 f"faults ({run.fault.kind})"
            diff = first_difference(obs, cand.observer.observe(run, call))
            if diff is not None:
                return category, f"the result depends on {what}: with other values there, {diff}"
        return None

    def classify_fault(self, cand: Program, fault: Fault) -> Failure:
        image = cand.image
        details = self._where(cand, fault.pc)
        if fault.address is not None:
            details["address"] = f"{fault.address:#x}"
        kind = fault.kind
        if kind == "fetch":
            if image.stubs.get(fault.address) == "<end of code>":
                return Failure("control.bad_return", "execution ran off the end of the code", details)
            if fault.after_return:
                expected = STACK_TOP  # after the outermost return pops its address (x86)
                # AArch64 returns through x30: where sp stands says nothing about where it went
                if self.arch == "x86-64" and fault.sp != expected:
                    return Failure("register.stack_pointer", f"returned to {fault.address:#x} with the stack "
                                   f"pointer {fault.sp - expected:+d} bytes off", details)
                return Failure("control.bad_return", f"returned to {fault.address:#x} instead of the caller",
                               details)
            return Failure("memory.unmapped_fetch", f"jump to unmapped address {fault.address:#x}", details)
        if kind in ("read", "write"):
            addr = fault.address or 0
            reg = self._poison_register(addr)
            if stack_guard(addr):
                return Failure("memory.stack", f"{kind} at {addr:#x}, outside the stack", details)
            if slot_guard(addr):
                return Failure("memory.out_of_bounds", f"{kind} at {addr:#x}, outside an input buffer (guard page)",
                               details)
            if fault.access == "protected" and kind == "write":
                return Failure("memory.readonly_write", f"store to read-only address {addr:#x}", details)
            if reg is not None:
                details["register"] = reg
                return Failure("register.uninitialized_read", f"{kind} through {reg}, which held no argument "
                               f"(address {addr:#x})", details)
            return Failure(f"memory.unmapped_{kind}", f"{kind} of unmapped address {addr:#x}", details)
        if kind == "timeout":
            return Failure("control.timeout", f"no return within {self.budget} instructions "
                           f"({BUDGET_FACTOR}x the reference's most)", details)
        if kind == "forbidden":
            return Failure("control.forbidden_instruction", f"{fault.message}: the emulator cannot run it as "
                           "the host would", details)
        if kind == "divide_error":
            return Failure("control.divide_error", "division fault", details)
        if kind == "libc":
            if fault.access == "control.timeout":
                return Failure("control.timeout", fault.message, details)
            return Failure("semantic.wrong_output", fault.message, details)
        return Failure("control.invalid_instruction", fault.message or "invalid instruction", details)

    def _poison_register(self, address: int) -> str | None:
        for i, name in enumerate(self.abi.gprs):
            for s in range(1, POISON_SETS + 1):
                p = poison_gpr(s, i)
                if abs(address - p) < 0x1000 or abs(address - (p & 0xFFFFFFFF)) < 0x1000:
                    return name
        return None

    def _where(self, cand: Program, pc: int) -> dict:
        image = cand.image
        details: dict = {"pc": f"{pc:#x}"}
        line = image.line_at(pc)
        if line is not None:
            details["line"] = line
            details["text"] = image.source_lines[line - 1].strip()
        try:
            code = bytes(cand.machine.uc.mem_read(pc, 16))
            insn = next(disassembler(self.arch).disasm(code, pc), None)
            if insn is not None:
                details["instruction"] = f"{insn.mnemonic} {insn.op_str}".strip()
        except Exception:  # unmapped pc: nothing to disassemble
            pass
        return details

    # -- the whole check -------------------------------------------------------------------------
    def verdict(self, category: str, message: str, **kw) -> Verdict:
        return Verdict(category, message, self.function, self.arch, self.opt,
                       discarded=dict(self.discarded), **kw)

    def check(self, candidate_asm: str) -> Verdict:
        start = time.perf_counter()
        verdict = self._check(candidate_asm)
        if self.test_source and verdict.family not in ("asm", "symbol"):
            from .ctest import run_test
            verdict.test = run_test(self, candidate_asm)
        verdict.seconds = round(time.perf_counter() - start, 4)
        return verdict

    def _check(self, candidate_asm: str) -> Verdict:
        if self.unsupported:
            return self.verdict("unsupported", self.unsupported)
        if "\0" in candidate_asm:
            return self.verdict("asm.syntax", "the candidate is not text (it contains NUL bytes)")
        try:
            cand = self.build(candidate_asm)
        except AsmError as err:
            return self.verdict(err.category, err.message, line=err.line, text=err.text, symbol=err.symbol)
        if not self.items and self.random_inputs:
            why = ", ".join(f"{k} {v}" for k, v in self.discarded.items()) or "no inputs"
            return self.verdict("unsupported", f"the reference is undefined on every generated input ({why})")
        checked = 0
        for item in self.items:
            checked += 1
            failure = self.judge(cand, item)
            if failure is not None:
                value = self.shrink(cand, item, failure)
                return self.failed(cand, value, checked, shrunk_by="greedy")
        for item in self.items[:UNINIT_PROBES]:
            first = self.run_candidate(cand, item)
            if first.fault is not None:
                continue  # judged above on this input; nothing to compare the second poison set with
            uninit = self._uninitialized(cand, item, item.call, cand.observer.observe(first, item.call))
            if uninit is not None:
                return self.failed(cand, (item, Failure(*uninit)), checked, shrunk_by="none")
        found = self._hypothesis(cand)
        checked += found[1]
        if found[0] is not None:
            return self.failed(cand, found[0], checked, shrunk_by="hypothesis")
        if checked == 0 or (not self.items and found[1] == 0):
            return self.verdict("unsupported", "no input on which the reference is defined", inputs_checked=0)
        return self.verdict("pass", f"agreed with gcc -{self.opt} on {checked} inputs", inputs_checked=checked)

    def _hypothesis(self, cand: Program) -> tuple[tuple[Item, Failure] | None, int]:
        if self.examples <= 0:
            return None, 0
        state: dict = {"last": None, "locked": None, "count": 0}
        deadline = time.perf_counter() + HYPOTHESIS_SECONDS

        @hyp_seed(self.seed)
        @settings(max_examples=self.examples, database=None, deadline=None, verbosity=Verbosity.quiet,
                  suppress_health_check=list(HealthCheck), phases=[Phase.generate, Phase.shrink],
                  report_multiple_bugs=False)
        @given(input_strategy(self.plan))
        def prop(value):
            if state["last"] is None and time.perf_counter() > deadline:
                return  # out of time before any failure: let hypothesis finish without more runs
            item = self.reference_item(value)
            if item is None:
                return
            state["count"] += 1
            failure = self.judge(cand, item)
            if failure is not None and state["locked"] in (None, failure.category):
                state["locked"] = failure.category
                state["last"] = (item, failure)
                raise _Found()

        try:
            prop()
        except _Found:
            pass
        except Flaky:
            # the final replay of the shrunk input did not fail the same way (a candidate whose result
            # depends on stale memory or registers, or a failure of another category): the last failure
            # seen is still a real one, judged on a concrete input
            pass
        return state["last"], state["count"]

    def shrink(self, cand: Program, item: Item, failure: Failure, attempts: int = 300,
               seconds: float = SHRINK_SECONDS) -> tuple[Item, Failure]:
        """Greedy shrinking of a failure found by the fast sampler (hypothesis shrinks its own).
        Bounded in attempts and time: a candidate that times out costs its whole budget per attempt."""
        best = (item, failure)
        tried = 0
        improved = True
        stop = time.perf_counter() + seconds
        while improved and tried < attempts:
            improved = False
            for value in _simpler(self.plan, best[0].value):
                tried += 1
                if tried > attempts or time.perf_counter() > stop:
                    tried = attempts
                    break
                new = self.reference_item(value)
                if new is None:
                    continue
                f = self.judge(cand, new)
                if f is not None and f.category == failure.category:
                    best = (new, f)
                    improved = True
                    break
        return best

    def failed(self, cand: Program, found: tuple[Item, Failure], checked: int, shrunk_by: str) -> Verdict:
        item, failure = found
        ref_count = self.run(self.reference, item.call, budget=REFERENCE_BUDGET, count=True).instructions
        cand_run = self.run(cand, item.call, count=failure.category != "control.timeout")
        cand_count = cand_run.instructions if failure.category != "control.timeout" else self.budget
        example = Counterexample(
            input={k: describe_value(v) for k, v in item.value.items()},
            reference=_summary(item.ref),
            candidate=_summary(failure.observation) if failure.observation else {"fault": failure.message},
            difference=failure.difference or failure.message,
            reference_instructions=ref_count, candidate_instructions=cand_count, shrunk_by=shrunk_by)
        d = failure.details
        return self.verdict(failure.category, failure.message, line=d.get("line"), text=d.get("text", ""),
                            register=d.get("register"), address=d.get("address"), pc=d.get("pc"),
                            instruction=d.get("instruction"), counterexample=example, inputs_checked=checked)


_RETURN_ALIASES = {
    ("x86-64", False): {"rax", "eax", "ax", "al", "ah"}, ("x86-64", True): {"xmm0", "ymm0", "zmm0"},
    ("aarch64", False): {"x0", "w0"}, ("aarch64", True): {"v0", "q0", "d0", "s0", "h0", "b0"},
}


def writes_register(image, names: set[str]) -> bool:
    """Whether any instruction of the image's code writes one of `names` or calls out (a callee's result
    arrives in the return register)."""
    start, end = image.parts["text"]
    for insn in disassembler(image.arch, detail=True).disasm(image.code[start - image.base:end - image.base], start):
        if insn.mnemonic in ("call", "bl", "blr") or names & {insn.reg_name(r) for r in insn.regs_access()[1]}:
            return True
    return False


def _summary(obs: Observation) -> dict:
    return {name: describe_value(v) for name, v in obs.items() if not (name == "stdout" and not v)}


def _simpler(plan: Plan, value: dict):
    """Candidate inputs one step simpler than `value`: shorter buffers, smaller numbers."""
    for size, buffers in plan.size_params.items():
        n = value.get(size)
        if isinstance(n, int) and n > 0:
            lowest = plan.size_ranges.get(size, (0, 0))[0]
            for new_n in (lowest, n // 2, n - 1):
                if lowest <= new_n < n:
                    v = dict(value)
                    v[size] = new_n
                    ok = True
                    for b in buffers:
                        if b in v and isinstance(v[b], list):
                            v[b] = v[b][:new_n] if len(plan.param_plan(b).length.params) == 1 else None
                            ok = ok and v[b] is not None
                    if ok:
                        yield v
    for p in plan.params:
        cur = value[p.name]
        if isinstance(p, Scalar) and p.name not in plan.size_params:
            for new in _smaller_numbers(cur, p):
                v = dict(value)
                v[p.name] = new
                yield v
        elif isinstance(p, Buffer) and isinstance(cur, bytes) and cur:
            for new in (b"", cur[: len(cur) // 2], cur[:-1], cur[1:]):
                v = dict(value)
                v[p.name] = new
                yield v
        elif isinstance(p, Buffer) and isinstance(cur, list) and p.inner is None:
            for i, x in enumerate(cur):
                if isinstance(x, (int, float)) and x != 0:
                    v = dict(value)
                    v[p.name] = cur[:i] + [type(x)(0)] + cur[i + 1:]
                    yield v


def _smaller_numbers(cur, p: Scalar):
    if isinstance(cur, float):
        candidates = [0.0, float(int(cur)), cur / 2]
    else:
        candidates = [0, cur // 2 if cur > 0 else -((-cur) // 2), cur - 1 if cur > 0 else cur + 1]
    for c in candidates:
        if c != cur and abs(c) < abs(cur) and p.lo <= c <= p.hi:
            yield c
