"""Draw the spread of a metric over seeds: one column of dots per group, a bar at the median."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnbook.training.seeds import SeedResults


def plot_seed_spread(
    results: Mapping[str, SeedResults],
    ax: Axes | None = None,
    *,
    threshold: float | None = None,
    reference: float | None = None,
    log: bool = True,
    color: str | Mapping[str, str] = "C0",
) -> Figure:
    """One column per entry of ``results``: a dot per run and a bar at the median.

    Parameters
    ----------
    results : mapping label -> SeedResults
        The columns, left to right.
    ax : matplotlib Axes, optional
        Draw here; a new 6.8 x 3.6 in figure otherwise.
    threshold : float, optional
        Drawn as a dotted line (for example the bar for "solved").
    reference : float, optional
        Drawn as a dashed line (for example a baseline).
    log : bool
        Log-scale y axis.
    color : str or mapping label -> str
        Dot colour, one for all or one per label.

    Returns
    -------
    matplotlib Figure
    """
    if not isinstance(results, Mapping) or not results:
        raise ValueError("results: expected a non-empty mapping label -> SeedResults")
    for label, res in results.items():
        if not isinstance(res, SeedResults):
            raise TypeError(f"results[{label!r}]: expected SeedResults, got {type(res).__name__}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.8, 3.6))
    else:
        fig = ax.figure
    for i, (label, res) in enumerate(results.items()):
        c = color.get(label, "C0") if isinstance(color, Mapping) else color
        offsets = np.linspace(-0.18, 0.18, res.n) if res.n > 1 else np.zeros(1)
        ax.plot(i + offsets, res.values, "o", color=c, ms=5, alpha=0.8)
        ax.plot([i - 0.3, i + 0.3], [res.median, res.median], "-", color="k", lw=1.5)
    if threshold is not None:
        ax.axhline(threshold, color="k", ls=":", lw=1)
    if reference is not None:
        ax.axhline(reference, color="k", ls="--", lw=1)
    if log:
        ax.set_yscale("log")
    ax.set_xticks(range(len(results)), list(results))
    ax.set_xlim(-0.6, len(results) - 0.4)
    return fig
