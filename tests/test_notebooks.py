"""Audit every chapter notebook: nbval alone would pass a notebook that was never run.

nbval never compares a cell whose stored ``execution_count`` is null, so a notebook
saved with its outputs stripped passes it silently. These tests reject that, and the
other ways stored outputs can stop being the honest result of one clean run.
"""

import json
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "book").rglob("*.ipynb"))
NOTEBOOKS = [p for p in NOTEBOOKS if ".ipynb_checkpoints" not in p.parts]
MACHINE_PATH = re.compile(
    r"(/tmp/|/root/|/home/|/work/|/Users/|ipykernel_\d+|site-packages|\.venv)"
)
ALLOWED_MARKERS = {"NBVAL_IGNORE_OUTPUT"}
ANY_MARKER = re.compile(r"^\s*#\s*(NBVAL_\w+|PYTEST_VALIDATE_\w+)", re.MULTILINE)


def _code_cells(path):
    nb = json.loads(path.read_text())
    return [c for c in nb["cells"] if c["cell_type"] == "code" and "".join(c["source"]).strip()]


def _output_text(output):
    parts = [output.get("text", "")]
    parts += [v for k, v in output.get("data", {}).items() if not k.startswith("image/")]
    return json.dumps(parts)


def _toc_files(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("file", "root"):
                yield value
            else:
                yield from _toc_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _toc_files(item)


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found under book/"


def test_every_notebook_is_in_the_toc():
    # only_build_toc_files would silently drop a chapter that is not listed.
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    listed = set(_toc_files(toc))
    for path in NOTEBOOKS:
        rel = path.relative_to(ROOT).with_suffix("").as_posix()
        assert rel in listed, f"{rel} is not in _toc.yml"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_executed_once_top_to_bottom(path):
    counts = [c["execution_count"] for c in _code_cells(path)]
    assert counts, f"{path.name} has no code cells"
    assert counts == list(range(1, len(counts) + 1)), (
        f"{path.name}: execution counts are {counts}, expected 1..{len(counts)}: "
        "re-run it from a fresh kernel with `make notebooks`"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_outputs_are_clean(path):
    for i, cell in enumerate(_code_cells(path)):
        for output in cell["outputs"]:
            assert output["output_type"] != "error", f"{path.name} cell {i} stores an error"
            is_stderr = output["output_type"] == "stream" and output["name"] == "stderr"
            assert not is_stderr, f"{path.name} cell {i} stores stderr (a warning?)"
            match = MACHINE_PATH.search(_output_text(output))
            assert match is None, f"{path.name} cell {i} output shows a machine path: {match[0]!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_nbval_markers_are_rare_and_justified(path):
    # NBVAL_IGNORE_OUTPUT is for output that truly varies (timings); it must say why.
    for i, cell in enumerate(_code_cells(path)):
        source = "".join(cell["source"])
        tags = set(cell.get("metadata", {}).get("tags", []))
        assert not {t for t in tags if t.startswith("nbval")}, f"{path.name} cell {i}: use comments"
        for marker in ANY_MARKER.findall(source):
            assert marker in ALLOWED_MARKERS, f"{path.name} cell {i}: {marker} is not allowed"
            assert re.search(r"#\s*reason:", source), (
                f"{path.name} cell {i}: NBVAL_IGNORE_OUTPUT needs a '# reason: ...' line"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_starts_with_setup(path):
    first = "".join(_code_cells(path)[0]["source"])
    assert "setup(" in first, f"{path.name}: the first code cell must call rnnbook.notebook.setup()"
