"""neuralcc.verifier: differential checking of assembly against gcc, in unicorn.

    from neuralcc.verifier import Checker
    checker = Checker(c_source, arch="x86-64", opt="O0", function="f")   # gcc's references, built once
    verdict = checker.check(candidate_asm)                                # a Verdict dataclass
    verdict.passed, verdict.category, verdict.to_json()

It knows nothing of models: translators, corpora and the harness all go through this one entry point.
"""
from .check import Checker, UnitBuild
from .errors import VerifierInputError
from .verdict import CATEGORIES, Counterexample, Verdict

__all__ = ["CATEGORIES", "Checker", "Counterexample", "UnitBuild", "Verdict", "VerifierInputError"]
