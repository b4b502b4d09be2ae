"""Budgets for everything the verifier starts: the tools it runs (gcc, GNU as, ld) and the keystone child.

No input, however hostile, may take more than a bounded time and memory of one verifier call: a C file
of megabytes, `.zero 10000000000` (refused by policy.py before keystone sees it, and limited here too),
an assembler that loops. A tool that runs out of time or memory is an error naming the tool.
"""
from __future__ import annotations

import resource
import subprocess

from .errors import VerifierInputError

TOOL_SECONDS = 60  # gcc, GNU as, ld: one run
TOOL_MEMORY = 2 << 30  # address space of each such run
CHILD_MEMORY = 1 << 30  # what the keystone child may map beyond what it inherited
MAX_C_SOURCE_BYTES = 1 << 20  # a C unit before preprocessing
MAX_PREPROCESSED_BYTES = 8 << 20  # ... and after (system headers included)


def limit_memory(extra: int | None = None) -> None:
    """Cap this process's address space: at TOOL_MEMORY, or (`extra`) at what it maps now plus `extra`
    (a forked child of a large process already maps more than a tool needs)."""
    limit = TOOL_MEMORY
    if extra is not None:
        with open("/proc/self/statm") as f:
            pages = int(f.read().split()[0])
        limit = pages * resource.getpagesize() + extra
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run_tool(cmd: list[str], what: str, **kw) -> subprocess.CompletedProcess:
    """A tool run with TOOL_SECONDS and TOOL_MEMORY; running out is a VerifierInputError naming `what`."""
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=TOOL_SECONDS, preexec_fn=limit_memory,
                              **kw)
    except subprocess.TimeoutExpired:
        raise VerifierInputError(f"{what} did not finish within {TOOL_SECONDS} s") from None


def check_source_size(source: str, filename: str) -> None:
    if len(source) > MAX_C_SOURCE_BYTES:
        raise VerifierInputError(f"{filename}: {len(source)} bytes of C, more than the verifier reads "
                                 f"({MAX_C_SOURCE_BYTES >> 20} MiB)")
