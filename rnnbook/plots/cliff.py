r"""The cliff's loss surface :math:`L(w, b)`, as a 3-D surface and as a map with trajectories."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnbook.analysis.cliff import CliffRun, cliff_loss
from rnnbook.checks import check_positive_int


def plot_cliff_surface(
    w_range: tuple[float, float] = (-4.0, 16.0),
    b_range: tuple[float, float] = (-12.0, 4.0),
    n: int = 120,
    ax: Axes | None = None,
) -> Figure:
    """Draw :math:`L(w, b)` as a 3-D surface; returns the figure.

    ``ax`` must be a 3-D axis (``projection="3d"``) if given.
    """
    n = check_positive_int(n, "n")
    if ax is None:
        fig = plt.figure()
        ax = fig.add_subplot(projection="3d")
    W, B = np.meshgrid(np.linspace(*w_range, n), np.linspace(*b_range, n))
    ax.plot_surface(W, B, cliff_loss(W, B), cmap="viridis", linewidth=0, antialiased=False)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    ax.set_zlabel("loss")
    return ax.figure


def plot_cliff_map(
    runs: dict[str, CliffRun] | None = None,
    w_range: tuple[float, float] = (-4.0, 16.0),
    b_range: tuple[float, float] = (-12.0, 4.0),
    n: int = 200,
    ax: Axes | None = None,
) -> Figure:
    """Draw :math:`L(w, b)` as a filled contour map, with trajectories; returns the figure."""
    n = check_positive_int(n, "n")
    if ax is None:
        _, ax = plt.subplots()
    W, B = np.meshgrid(np.linspace(*w_range, n), np.linspace(*b_range, n))
    filled = ax.contourf(W, B, cliff_loss(W, B), levels=30)
    ax.figure.colorbar(filled, ax=ax, label="loss")
    for (label, run), style in zip((runs or {}).items(), ("w.-", "r.-", "c.-"), strict=False):
        ax.plot(run.params[:, 0], run.params[:, 1], style, lw=1, ms=3, label=label)
    if runs:
        first = next(iter(runs.values())).params[0]
        ax.plot(*first, "k*", ms=12, label="start")
        ax.legend(loc="lower left", frameon=True, facecolor="0.25", labelcolor="white")
    ax.set_xlim(w_range)
    ax.set_ylim(b_range)
    ax.set_xlabel("w")
    ax.set_ylabel("b")
    return ax.figure
