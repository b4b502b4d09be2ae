import shutil
from pathlib import Path

import pytest


def pytest_addoption(parser):
    parser.addoption("--shared", default=str(Path(__file__).resolve().parents[1].parent / "shared"),
                     help="path of the shared/ folder with corpora (tests that need it skip when absent)")


@pytest.fixture(scope="session")
def shared_dir(request) -> Path:
    return Path(request.config.getoption("--shared"))


@pytest.fixture(scope="session")
def humaneval_path(shared_dir) -> Path:
    path = shared_dir / "corpora" / "humaneval-decompile.jsonl"
    if not path.exists():
        pytest.skip(f"humaneval-decompile not found at {path} (pass --shared DIR)")
    return path


@pytest.fixture(scope="session", params=["x86-64", "aarch64"])
def arch(request) -> str:
    return request.param


def have_cross_gcc() -> bool:
    return shutil.which("aarch64-linux-gnu-gcc") is not None
