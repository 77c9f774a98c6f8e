"""Re-execute chapter notebooks in place, top to bottom, in a fresh kernel.

    .venv/bin/python tools/execute_notebooks.py book/01_what_is_an_rnn.ipynb [...]

This is how stored outputs are made (``make notebooks`` runs it on every chapter):
one clean run with one thread, so that nbval in ``make test`` can reproduce them
exactly. It prints each notebook's wall time; a chapter must stay under 60 s.
"""

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[var] = "1"
os.environ["PYTHONHASHSEED"] = "0"
os.environ.setdefault("JUPYTER_PLATFORM_DIRS", "1")

KERNELSPEC = {"name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    nb.metadata["kernelspec"] = KERNELSPEC
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        record_timing=False,
    ).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    nbformat.write(nb, path)
    return elapsed


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    for arg in sys.argv[1:]:
        seconds = execute(Path(arg))
        print(f"{arg}: executed in {seconds:.1f} s")
