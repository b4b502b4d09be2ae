"""How translator/ hangs together: a translation imports no training code, and no module imports another
that imports it back."""
import ast
import subprocess
import sys
from pathlib import Path

TRANSLATOR = Path(__file__).resolve().parents[1] / "translator"
TRAINING = {"data", "localdata", "lowerdata", "slotdata", "prepare", "train", "toydata", "coverage", "probe", "cli"}


def test_a_translation_imports_no_training_code():
    """Run one translation in a fresh interpreter and look at what it imported."""
    code = (
        "import sys\n"
        "from neuralcc.corpora import load_benchmarks\n"
        "from neuralcc.harness.translators import make_translator\n"
        "b = load_benchmarks('benchmark://kernels-v0/gcd')[0]\n"
        "(s,) = make_translator('model+memory', threads=1).translate(b, 'x86-64', 'O0', 1, 0)\n"
        "assert s.asm and not s.error, s.error\n"
        "print(' '.join(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('neuralcc.translator.')))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    loaded = set(proc.stdout.split())
    assert "decode" in loaded and not loaded & TRAINING, sorted(loaded & TRAINING)


def _imports(path: Path) -> set[str]:
    """translator modules a module imports, at any depth of its code, except under `if __name__ ==
    "__main__":` (a command-line entry, not a dependency of the module)."""
    tree = ast.parse(path.read_text())
    found: set[str] = set()

    def visit(node):
        if isinstance(node, ast.If) and "__name__" in ast.unparse(node.test):
            return
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("neuralcc.translator"):
            found.add((node.module.split(".") + [a.name for a in node.names])[2])
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found & {p.stem for p in TRANSLATOR.glob("*.py")}


def test_no_import_cycles():
    graph = {p.stem: _imports(p) - {p.stem} for p in TRANSLATOR.glob("*.py")}

    def reaches(start: str, goal: str, seen: set) -> bool:
        for n in graph.get(start, ()):
            if n == goal or (n not in seen and reaches(n, goal, seen | {n})):
                return True
        return False

    cycles = sorted(m for m in graph if reaches(m, m, {m}))
    assert not cycles, {m: sorted(graph[m]) for m in cycles}
