"""The one call at the top of every chapter: seeds, one thread, print options, plot style.

Every notebook starts with ``rng = rnnbook.notebook.setup()``. Running a chapter twice,
or on another machine of the same kind, then prints the same numbers: nbval relies on it.
"""

from __future__ import annotations

import random

import matplotlib as mpl
import numpy as np
import torch
from threadpoolctl import threadpool_limits

#: The book's matplotlib style: small, light figures that render the same everywhere.
BOOK_STYLE: dict[str, object] = {
    "figure.figsize": (6.4, 3.6),
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "font.size": 10,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "svg.hashsalt": "rnnbook",
}


def setup(seed: int = 0) -> np.random.Generator:
    """Make a notebook deterministic and return a seeded ``numpy`` generator.

    * seeds Python's ``random``, numpy's legacy global generator and torch;
    * limits torch, OpenMP and BLAS to one thread: thread counts change the last bits
      of reductions, and with them printed numbers;
    * makes torch use deterministic algorithms;
    * sets print options (4 decimals, no scientific notation for small values);
    * applies :data:`BOOK_STYLE` to matplotlib.

    Parameters
    ----------
    seed : int
        The seed for everything; chapters use the default 0.

    Returns
    -------
    numpy.random.Generator
        Seeded with ``seed``: pass it to anything in ``rnnbook`` that samples.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - for third-party code only; rnnbook takes Generators
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    threadpool_limits(limits=1)
    torch.use_deterministic_algorithms(True)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    mpl.rcParams.update(BOOK_STYLE)
    return np.random.default_rng(seed)
