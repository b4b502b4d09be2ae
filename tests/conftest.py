import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared/ folder with real corpora: $NEURALCC_SHARED, else ../shared beside the repository.
    Tests that need it skip, saying why, when it is absent."""
    default = Path(__file__).resolve().parents[1].parent / "shared"
    return Path(os.environ.get("NEURALCC_SHARED", default))


@pytest.fixture(scope="session")
def humaneval_path(shared_dir) -> Path:
    path = shared_dir / "corpora" / "humaneval-decompile.jsonl"
    if not path.exists():
        pytest.skip(f"humaneval-decompile not found at {path} (set NEURALCC_SHARED=DIR)")
    return path


@pytest.fixture(scope="session", params=["x86-64", "aarch64"])
def arch(request) -> str:
    return request.param
