"""Verdicts: one typed, JSON-serialisable result per checked function, with a stable category name."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

CATEGORIES = {
    "pass": "the candidate agreed with gcc's reference on every input",
    "asm.syntax": "the assembler rejected a line",
    "asm.forbidden": "a section, directive or size the verifier does not accept (it could not vouch for it)",
    "symbol.undefined": "a label or symbol is used but not defined",
    "symbol.duplicate": "a label is defined twice",
    "symbol.missing_entry": "the function under test is not defined",
    "symbol.unknown_external": "a call to a function that is neither defined nor served by the harness",
    "register.callee_saved": "a callee-saved register was not preserved",
    "register.stack_pointer": "the stack pointer was not restored on return",
    "register.return_unset": "the return register was never written",
    "register.uninitialized_read": "the result depends on a register that held no argument",
    "memory.unmapped_read": "a load from unmapped memory",
    "memory.unmapped_write": "a store to unmapped memory",
    "memory.unmapped_fetch": "a jump or call to unmapped memory",
    "memory.readonly_write": "a store to read-only memory (code or constants)",
    "memory.out_of_bounds": "an access past the end (or before the start) of an input buffer",
    "memory.stack": "an access outside the stack",
    "memory.uninitialized_read": "the result depends on stack memory the function read before writing it",
    "control.timeout": "a budget ran out: instructions (relative to the reference's count), library calls or "
                       "printed text",
    "control.invalid_instruction": "an undefined instruction or CPU exception",
    "control.divide_error": "a division fault the reference did not have",
    "control.forbidden_instruction": "a system call, trap, privileged or I/O instruction, or one whose "
                                     "result depends on the host",
    "control.bad_return": "control returned somewhere other than the caller (or ran off the end of the code)",
    "semantic.wrong_output": "a return value, output buffer, global or printed text differs",
    "unsupported": "the harness cannot test this function (the reason says why)",
}

FAULT_FAMILIES = ("asm", "symbol", "register", "memory", "control", "semantic")


@dataclass
class Counterexample:
    input: dict
    reference: dict
    candidate: dict
    difference: str
    reference_instructions: int | None = None
    candidate_instructions: int | None = None
    shrunk_by: str = "hypothesis"


@dataclass
class Verdict:
    category: str
    message: str
    function: str = ""
    arch: str = ""
    opt: str = ""
    line: int | None = None  # candidate assembly line
    text: str = ""  # that line's text
    symbol: str | None = None
    register: str | None = None
    address: str | None = None
    pc: str | None = None
    instruction: str | None = None
    counterexample: Counterexample | None = None
    inputs_checked: int = 0
    discarded: dict[str, int] = field(default_factory=dict)
    test: "Verdict | None" = None  # the corpus's own test program, linked with the candidate
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.category == "pass"

    @property
    def family(self) -> str:
        return self.category.split(".")[0]

    def to_dict(self) -> dict:
        return asdict(self)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), default=_jsonable)

    @classmethod
    def from_dict(cls, d: dict) -> "Verdict":
        d = dict(d)
        if d.get("counterexample"):
            d["counterexample"] = Counterexample(**d["counterexample"])
        if d.get("test"):
            d["test"] = cls.from_dict(d["test"])
        return cls(**d)

    def summary(self) -> str:
        where = f" (line {self.line}: {self.text})" if self.line else ""
        return f"{self.category}: {self.message}{where}"


def _jsonable(v):
    if isinstance(v, bytes):
        return v.decode("latin-1")
    if isinstance(v, set):
        return sorted(v)
    return repr(v)
