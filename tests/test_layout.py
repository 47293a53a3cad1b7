"""The package's layout shows the course: its modules stand on floors and no import goes up a floor.

Low floors are the machine-learning core a reader can study on its own; each floor above may use
every floor below it (and its own), never one above: a model never reaches for a benchmark, a
pipeline never for the website's tooling. Every ``import`` and ``from ... import`` of the package
counts, at module level or inside a function (the lazy imports of torch-using code), relative ones
too, and ``importlib.import_module("nlpcourse....")`` with a literal name.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nlpcourse"

# The floors, low to high: (name, why it stands there, the top-level modules and subpackages on it).
FLOORS = [
    ("core", "settings, seeding, errors, metrics, checkpoints and losses: everything may use them",
     {"config", "utils", "errors", "metrics", "checkpoint", "losses", "tokens"}),
    ("text and data", "data sets, text processing and the scratch autograd: they know no model",
     {"text", "data", "autograd"}),
    ("models and training", "layers, models, the one training loop and its plots: they know no chapter",
     {"embeddings", "layers", "models", "batches", "optim", "train", "keras", "hf", "viz", "leaderboard"}),
    ("chapter pipelines", "one call trains and scores a chapter's models; the exercises check a chapter's answers",
     {"pipelines", "exercises"}),
    ("benchmarks", "the chapters' pipelines re-run at full scale, their figures written to results/",
     {"benchmarks", "bench"}),
    ("site and chapter entry", "the website's tooling, the instructors' commands and what a chapter's first cell "
     "calls: they may use everything",
     {"site", "notebook", "__init__", "assign", "grade"}),
]

# Up-imports that other work is removing, as (importing file, imported module). Each one that is fixed must
# leave this list (test_known_violations_still_occur fails until it does); no new one may join it.
KNOWN_VIOLATIONS: set[tuple[str, str]] = set()


def floor_of(module: str) -> int:
    """The floor of a dotted module name inside the package (``nlpcourse`` itself is its ``__init__``)."""
    parts = module.split(".")
    assert parts[0] == "nlpcourse", module
    top = parts[1] if len(parts) > 1 and parts[1] != "__init__" else "__init__"
    for number, (_, _, members) in enumerate(FLOORS):
        if top in members:
            return number
    raise LookupError(f"nlpcourse.{top} stands on no floor: add it to FLOORS in tests/test_layout.py")


def module_name(path: Path, package: Path) -> str:
    parts = list(path.relative_to(package.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package: Path) -> list[tuple[int, str]]:
    """``(line, module)`` for every import of the package in ``path``; ``from a import b`` names ``a.b`` when
    ``b`` is a module or subpackage of the package, else ``a``."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = module_name(path, package).split(".")
    if path.name != "__init__.py":
        here = here[:-1]   # relative imports start from the module's package
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(here[:len(here) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                sub = package.parent.joinpath(*base.split("."), alias.name)
                is_module = sub.is_dir() or sub.with_suffix(".py").is_file()
                found.append((node.lineno, f"{base}.{alias.name}" if is_module else base))
        elif (isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
              and node.args):
            arg = node.args[0]
            first = arg.values[0] if isinstance(arg, ast.JoinedStr) and arg.values else arg
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                found.append((node.lineno, first.value.rstrip(".")))
    return [(line, name) for line, name in found if name == package.name or name.startswith(package.name + ".")]


def up_imports(package: Path = PACKAGE) -> list[tuple[str, int, str, str]]:
    """``(file, line, imported module, why)`` for every import that goes up a floor."""
    problems = []
    for path in sorted(package.rglob("*.py")):
        importer = module_name(path, package)
        own = floor_of(importer)
        for line, imported in imported_modules(path, package):
            if floor_of(imported) > own:
                why = (f"{FLOORS[own][0]} (floor {own}) imports {FLOORS[floor_of(imported)][0]} "
                       f"(floor {floor_of(imported)})")
                problems.append((path.relative_to(package).as_posix(), line, imported, why))
    return problems


def test_every_module_stands_on_a_floor():
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    unplaced = sorted(t for t in tops if not any(t in members for _, _, members in FLOORS))
    assert not unplaced, f"add these to FLOORS in tests/test_layout.py: {unplaced}"


def test_no_import_goes_up_a_floor():
    new = [f"nlpcourse/{file}:{line}: imports {imported}: {why}" for file, line, imported, why in up_imports()
           if (file, imported) not in KNOWN_VIOLATIONS]
    assert not new, ("imports that go up a floor (move the code down, or pass what it needs in):\n"
                     + "\n".join(new))


def test_known_violations_still_occur():
    found = {(file, imported) for file, _, imported, _ in up_imports()}
    fixed = sorted(KNOWN_VIOLATIONS - found)
    assert not fixed, f"fixed: remove them from KNOWN_VIOLATIONS in tests/test_layout.py: {fixed}"


@pytest.mark.parametrize("code, caught", [
    ("from nlpcourse.train import fit\n", True),                       # module level
    ("def f():\n    from nlpcourse.benchmarks import imdb\n", True),   # inside a function
    ("def f():\n    import nlpcourse.site.colab\n", True),
    ("from nlpcourse import leaderboard\n", True),                     # from the package, a module
    ("from nlpcourse import setup\n", True),                           # from the package, its __init__
    ("from .. import viz\n", True),                                    # relative
    ("import importlib\nimportlib.import_module(f'nlpcourse.models.{name}')\n", True),
    ("from nlpcourse.data import imdb\nfrom nlpcourse.config import RunConfig\n", False),   # same floor, below
    ("from . import tokenize\nimport numpy\n", False),
])
def test_an_import_up_a_floor_is_caught(tmp_path, code, caught):
    package = tmp_path / "nlpcourse"
    for module in ("__init__.py", "config.py", "train.py", "viz.py", "leaderboard.py", "text/__init__.py",
                   "text/tokenize.py", "data/__init__.py", "data/imdb.py", "models/__init__.py", "site/colab.py",
                   "benchmarks/__init__.py", "benchmarks/imdb.py"):
        (package / module).parent.mkdir(parents=True, exist_ok=True)
        (package / module).write_text("")
    (package / "text" / "clean.py").write_text(code)
    found = [imported for file, _, imported, _ in up_imports(package) if file == "text/clean.py"]
    assert bool(found) is caught, found
