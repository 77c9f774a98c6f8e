"""Figures for the BPTT chapter: the contribution heat map and TBPTT schedules.

Each function takes ``ax=None`` and returns the figure; none calls ``plt.show()`` or
changes global style.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rnnbook.checks import check_array
from rnnbook.scratch.truncated_bptt import Window


def plot_contributions(
    norms: np.ndarray, mask: np.ndarray | None = None, ax: Any = None, floor: float = 1e-8
) -> Any:
    r"""Heat map of :math:`\lVert C_{t,k} \rVert` on a log scale, loss step down, use step across.

    Parameters
    ----------
    norms : ndarray, shape (T, T)
        From :func:`rnnbook.analysis.contributions.contribution_norms`.
    mask : ndarray of bool, shape (T, T), optional
        Terms a truncation keeps (from
        :func:`rnnbook.analysis.contributions.truncation_mask`); the others are drawn faded.
    ax : matplotlib Axes, optional
    floor : float
        Norms below this are drawn as this (log scales cannot show 0).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    norms = check_array(norms, "norms", shape=(None, None), legend="(T, T)")
    T = norms.shape[0]
    if ax is None:
        _, ax = plt.subplots()
    shown = np.where(np.tril(np.ones((T, T), dtype=bool)), np.maximum(norms, floor), np.nan)
    image = ax.imshow(
        shown,
        norm=LogNorm(vmin=max(floor, np.nanmin(shown)), vmax=np.nanmax(shown)),
        extent=(0.5, T + 0.5, T + 0.5, 0.5),
        interpolation="nearest",
    )
    if mask is not None:
        cut = ~np.asarray(mask, dtype=bool) & np.tril(np.ones((T, T), dtype=bool))
        veil = np.zeros((T, T, 4))
        veil[cut] = (1.0, 1.0, 1.0, 0.75)  # cut terms are drawn faded
        _ = ax.imshow(veil, extent=(0.5, T + 0.5, T + 0.5, 0.5), interpolation="nearest")
    ax.set_xlabel("step k where the parameter is used")
    ax.set_ylabel("step t of the loss")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=r"$\|C_{t,k}\|$")
    return ax.figure


def plot_windows(windows: list[Window], ax: Any = None) -> Any:
    """Draw a TBPTT schedule: one row per update, reach-back in light, new losses in dark.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    if not windows or not all(isinstance(w, Window) for w in windows):
        raise TypeError("windows: expected a non-empty list of Window, from tbptt_windows")
    if ax is None:
        _, ax = plt.subplots()
    for i, w in enumerate(windows):
        _ = ax.barh(i, w.loss_start - w.start, left=w.start, color="C0", alpha=0.35, height=0.7)
        _ = ax.barh(i, w.stop - w.loss_start, left=w.loss_start, color="C0", height=0.7)
    handles = [  # proxies with the bars' own alpha, so the legend tells them apart
        Patch(color="C0", alpha=0.35, label="steps only backpropagated through"),
        Patch(color="C0", label="steps whose loss is new"),
    ]
    ax.set_yticks(range(len(windows)))
    ax.set_yticklabels([f"update {i + 1}" for i in range(len(windows))])
    ax.invert_yaxis()
    ax.set_xlabel("step (0-based)")
    ax.set_xlim(0, windows[-1].stop)
    _ = ax.legend(handles=handles, loc="upper right", fontsize=8)
    return ax.figure
