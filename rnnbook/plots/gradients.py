"""Plots of gradient norms recorded during training."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnbook.analysis.diagnostics import GradientMonitor


def plot_gradient_norms(
    monitor: GradientMonitor, ax: Axes | None = None, log: bool = True
) -> Figure:
    """Plot every parameter's gradient norm against the step; returns the figure."""
    if not isinstance(monitor, GradientMonitor):
        raise TypeError(f"monitor: expected a GradientMonitor, got {type(monitor).__name__}")
    if ax is None:
        _, ax = plt.subplots()
    for name, norms in monitor.grad_norms.items():
        ax.plot(np.arange(len(norms)), norms, label=name, lw=1)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel("step")
    ax.set_ylabel("gradient norm")
    ax.legend(fontsize=8)
    return ax.figure
