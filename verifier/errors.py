"""Errors about the verifier's input (not verdicts about a candidate)."""


class VerifierInputError(Exception):
    """The C source, the candidate file or an option is unusable. The message names what and where."""
