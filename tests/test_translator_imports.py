"""How translator/ hangs together: a translation imports no training code, and no module imports another
that imports it back. Modules are named by their path under translator/: "neural.decode", "neural.samples",
"prompts", "memory" (a package's __init__.py)."""
import ast
import subprocess
import sys
from pathlib import Path

TRANSLATOR = Path(__file__).resolve().parents[1] / "translator"
PACKAGE = "neuralcc.translator"
TRAINING_PACKAGES = {"data"}  # every module of these is training's
TRAINING = {"neural.train", "neural.probe", "neural.samples", "cli"}


def _is_training(name: str) -> bool:
    return name in TRAINING or name.split(".")[0] in TRAINING_PACKAGES


def test_a_translation_imports_no_training_code():
    """Run one translation in a fresh interpreter and look at what it imported."""
    code = (
        "import sys\n"
        "from neuralcc.corpora import load_benchmarks\n"
        "from neuralcc.harness.translators import make_translator\n"
        "b = load_benchmarks('benchmark://kernels-v0/gcd')[0]\n"
        "(s,) = make_translator('model+memory', threads=1).translate(b, 'x86-64', 'O0', 1, 0)\n"
        "assert s.asm and not s.error, s.error\n"
        f"print(' '.join(m[len('{PACKAGE}.'):] for m in sys.modules if m.startswith('{PACKAGE}.')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(proc.stdout.split())
    training = sorted(m for m in loaded if _is_training(m))
    assert {"neural.decode", "prompts", "memory.store", "back.pieces", "front.skeleton"} <= loaded, sorted(loaded)
    assert not training, training


def test_the_memory_alone_translates_without_torch_or_transformers():
    """ncc's and eval's default translator writes no piece with the model: importing torch and transformers
    (seconds, in every `ncc` process) would buy nothing."""
    code = (
        "import sys\n"
        "from neuralcc.corpora import load_benchmarks\n"
        "from neuralcc.harness.translators import make_translator\n"
        "b = load_benchmarks('benchmark://kernels-v0/gcd')[0]\n"
        "(s,) = make_translator('memory', threads=1).translate(b, 'x86-64', 'O0', 1, 0)\n"
        "assert s.asm and not s.error, s.error\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('torch', 'transformers')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "[]", proc.stdout[:500]


def _modules() -> dict[str, Path]:
    """Every module of translator/, by name."""
    out = {}
    for path in sorted(TRANSLATOR.rglob("*.py")):
        parts = list(path.relative_to(TRANSLATOR).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str) -> set[str]:
    """translator modules the module `name` imports, at any depth of its code, except under `if __name__ ==
    "__main__":` (a command-line entry, not a dependency of the module). `from ..back import pieces` is the
    module back.pieces; `from ..memory.store import Hit` the module memory.store."""
    path = MODULES[name]
    tree = ast.parse(path.read_text())
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: set[str] = set()

    def add(parts: list[str], names: list[str]) -> None:
        base = ".".join(parts)
        subs = [f"{base}.{n}" if base else n for n in names]
        found.update(s for s in subs if s in MODULES)
        if base in MODULES and not all(s in MODULES for s in subs):  # names defined in the module itself
            found.add(base)

    def visit(node):
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.level:
            assert node.level - 1 <= len(package), f"{name}: import beyond translator/"
            parts = package[: len(package) - (node.level - 1)] + (node.module.split(".") if node.module else [])
            add(parts, [a.name for a in node.names])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[:2] == PACKAGE.split("."):
            add(node.module.split(".")[2:], [a.name for a in node.names])
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[:2] == PACKAGE.split("."):
                    add(a.name.split(".")[2:-1], a.name.split(".")[-1:])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found - {"", name}


def test_imports_are_read_as_modules():
    """The graph below is only as good as this reading of relative imports."""
    assert _imports("neural.decode") >= {"prompts", "back.asmtext", "back.frame", "back.pieces", "front.csource",
                                          "front.skeleton", "front.lower", "memory.store", "neural.model",
                                          "neural.reading", "neural.tokenizer", "neural.asmgrammar"}
    assert _imports("neural.train") >= {"neural.samples", "data.records", "prompts", "memory.store", "neural.decode"}
    assert _imports("memory.store") == {"prompts", "memory.equivalents", "memory.structlayout", "memory.templates"}
    assert "data.records" not in _imports("memory.__main__")  # under `if __name__ == "__main__":`


def test_no_import_cycles():
    graph = {m: _imports(m) for m in MODULES}

    def reaches(start: str, goal: str, seen: set) -> bool:
        for n in graph.get(start, ()):
            if n == goal or (n not in seen and reaches(n, goal, seen | {n})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cycles, {m: sorted(graph[m]) for m in cycles}


def test_no_import_cycles_between_packages():
    """front, prompts, memory, back, data, neural, repair: read as one node each, the graph has no cycle either
    (a package that imports another which imports it back is one package in two folders)."""
    def package(m: str) -> str:
        return m.split(".")[0]

    graph: dict[str, set[str]] = {}
    for m in MODULES:
        if m.split(".")[-1] != "__main__":  # a command-line entry is not a dependency of its package
            graph.setdefault(package(m), set()).update(package(n) for n in _imports(m))
    cycles = [(a, b) for a in graph for b in graph[a] if a != b and a in _reach(graph, b)]
    assert not cycles, cycles


def _reach(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for n in graph.get(todo.pop(), ()):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen
