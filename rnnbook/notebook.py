"""The one call at the top of every chapter: seeds, one thread, print options, plot style.

Every notebook starts with ``rng = rnnbook.notebook.setup()``. Running a chapter twice,
or on another machine of the same kind, then prints the same numbers: nbval relies on it.
Numbers for the prose go through :func:`glue`, which rounds them, so that the last bits of
a float (which differ between CPUs) never reach a stored output.
"""

from __future__ import annotations

import os
import random

import matplotlib as mpl
import numpy as np
import torch
from threadpoolctl import threadpool_limits

#: Environment that makes torch take the same CPU code path on every x86 machine: ATen's
#: portable (non-SIMD) kernels and MKL's "conditional numerical reproducibility" mode. Without
#: it, an AVX2 and an AVX-512 machine (or an Intel and an AMD one) differ in the last bits of
#: float32 results, and a few hundred training steps amplify that into printed digits.
#: Both are read when torch first computes, so :func:`setup` must run before any torch op.
CPU_REPRODUCIBILITY_ENV: dict[str, str] = {
    "ATEN_CPU_CAPABILITY": "default",
    "MKL_CBWR": "COMPATIBLE",
}

#: Significant digits kept by :func:`glue` for floats.
GLUE_SIGNIFICANT_DIGITS = 6

#: The book's matplotlib style: figures drawn for the text column (about 690 CSS pixels:
#: 6.8 in at 100 dpi) and stored at 2x for sharp screens (:func:`setup` selects the
#: "retina" PNG format), so that 10-point tick labels are about 14 CSS pixels high.
BOOK_STYLE: dict[str, object] = {
    "figure.figsize": (6.8, 3.6),
    "figure.dpi": 100,
    "savefig.dpi": 100,
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

    * pins torch's CPU code path (:data:`CPU_REPRODUCIBILITY_ENV`), unless the
      environment already chose one;
    * seeds Python's ``random``, numpy's legacy global generator and torch;
    * limits torch, OpenMP and BLAS to one thread: thread counts change the last bits
      of reductions, and with them printed numbers;
    * makes torch use deterministic algorithms;
    * sets print options (4 decimals, no scientific notation for small values);
    * applies :data:`BOOK_STYLE` to matplotlib, and stores inline figures at 2x.

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
    for name, value in CPU_REPRODUCIBILITY_ENV.items():
        os.environ.setdefault(name, value)
    random.seed(seed)
    np.random.seed(seed)  # noqa: NPY002 - for third-party code only; rnnbook takes Generators
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    threadpool_limits(limits=1)
    torch.use_deterministic_algorithms(True)
    np.set_printoptions(precision=4, suppress=True, linewidth=100)
    torch.set_printoptions(precision=4, sci_mode=False, linewidth=100)
    mpl.rcParams.update(BOOK_STYLE)
    _retina_figures()
    return np.random.default_rng(seed)


def _retina_figures() -> None:
    """Store inline figures as PNG at twice their display size (a no-op outside IPython)."""
    try:
        from IPython import get_ipython
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # pragma: no cover - the book's requirements include both
        return
    if get_ipython() is not None:
        set_matplotlib_formats("retina")


def glue(name: str, value: object, display: bool = False, digits: int | None = None) -> None:
    """Store ``value`` under ``name`` for the prose (MyST-NB's ``glue``), floats rounded.

    A float is rounded to ``digits`` significant digits first (default
    :data:`GLUE_SIGNIFICANT_DIGITS`): the full ``repr``, which nbval compares, would otherwise
    carry last bits that differ between CPUs. A trained quantity deserves fewer digits than a
    closed-form one: pass the precision the prose shows. Integers, strings and booleans pass
    unchanged.

    Parameters
    ----------
    name : str
        The key used by ``{glue:text}`name``` in the chapter's markdown.
    value : float, int, str or bool
    display : bool
        Whether to also show the value in the cell's output; chapters keep the default.
    digits : int, optional
        Significant digits kept for a float.
    """
    from myst_nb import glue as myst_glue

    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    if digits is None:
        digits = GLUE_SIGNIFICANT_DIGITS
    elif isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 17:
        raise ValueError(f"digits: expected an integer from 1 to 17, got {digits!r}")
    if isinstance(value, bool | np.bool_):
        value = bool(value)
    elif isinstance(value, int | np.integer):
        value = int(value)
    elif isinstance(value, float | np.floating):
        value = float(f"{float(value):.{digits}g}")
    elif not isinstance(value, str):
        raise TypeError(f"value: expected a float, int, str or bool, got {type(value).__name__}")
    myst_glue(name, value, display=display)
