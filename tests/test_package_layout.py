"""The layout shows the book: each chapter imports only the modules listed for it, no module
grows past 400 lines, and chapters call the library instead of defining their own code."""

import ast
import importlib
import json
import re
from pathlib import Path

import pytest

import rnnbook

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for p in (ROOT / "book").glob("*.ipynb"))
MAX_LINES = 400
MAX_FUNCTIONS = 2


def _code(path):
    nb = json.loads(path.read_text())
    return "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")


def _imported_modules(code):
    """The rnnbook modules a notebook's imports come from: ``from rnnbook.x import y`` counts
    ``rnnbook.x.y`` when ``y`` is a module, else the module that defines ``y`` (so a name
    re-exported by a package counts as its real home)."""
    found = set()
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "rnnbook"}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "rnnbook":
            package = importlib.import_module(node.module)
            for alias in node.names:
                if _is_module(f"{node.module}.{alias.name}"):
                    found.add(f"{node.module}.{alias.name}")
                else:
                    obj = getattr(package, alias.name)
                    found.add(getattr(obj, "__module__", None) or node.module)
    return found


def _is_module(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:
        return False


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_imports_only_the_modules_listed_for_it(path):
    listed = rnnbook.CHAPTER_MODULES.get(path.stem)
    assert listed is not None, f"{path.stem} is missing from rnnbook.CHAPTER_MODULES"
    extra = _imported_modules(_code(path)) - set(listed) - {"rnnbook"}
    assert not extra, f"{path.stem} imports {sorted(extra)}, not listed in CHAPTER_MODULES"


def test_every_listed_module_exists_and_is_in_the_package_docstring():
    for chapter, modules in rnnbook.CHAPTER_MODULES.items():
        assert (ROOT / "book" / f"{chapter}.ipynb").exists(), chapter
        for module in modules:
            importlib.import_module(module)
            assert f":mod:`{module}`" in rnnbook.__doc__


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_defines_at_most_two_functions(path):
    defs = re.findall(r"^\s*def (\w+)\(", _code(path), re.M)
    assert len(defs) <= MAX_FUNCTIONS, f"{path.name} defines {defs}: move them into rnnbook"


def test_no_module_is_over_400_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in (ROOT / "rnnbook").rglob("*.py")
        if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert not long, f"modules over {MAX_LINES} lines: {long}"
