"""Held-out curves of several runs of the same experiment, one thin line per run.

A single training curve hides how much it depends on the seed. :func:`plot_seed_curves`
draws every run of every model (for example the records of
:func:`~rnnbook.training.run_seeds`), one colour per model, so that the spread between
runs is visible next to the task's baseline.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from rnnbook.training.history import History


def plot_seed_curves(
    runs: Mapping[str, Sequence[History]],
    metric: str,
    baseline: float | None = None,
    log: bool = False,
    boundaries: Sequence[int] = (),
    ax: Axes | None = None,
) -> Figure:
    """The held-out metric over training, one line per run, one colour per model.

    Parameters
    ----------
    runs : mapping of str to sequence of History
        For each model (the legend label), the histories of its runs.
    metric : str
        The name of the held-out metric, for the axis label.
    baseline : float, optional
        Drawn as a dashed grey line.
    log : bool
        Log scale for the metric.
    boundaries : sequence of int
        Steps to mark with a dotted vertical line, e.g. a learning-rate change.
    ax : matplotlib Axes, optional
        Draw here; by default on a new figure of the column's width.

    Returns
    -------
    matplotlib.figure.Figure
    """
    if not isinstance(runs, Mapping) or not runs:
        raise TypeError(f"runs: expected a non-empty mapping, got {type(runs).__name__}")
    for label, histories in runs.items():
        if isinstance(histories, History) or not histories:
            raise TypeError(f"runs[{label!r}]: expected a non-empty sequence of History")
        for history in histories:
            if not isinstance(history, History):
                raise TypeError(
                    f"runs[{label!r}]: expected History entries, got {type(history).__name__}"
                )
            if not history.eval_step:
                raise ValueError(f"runs[{label!r}]: a run has no held-out evaluations")
    if ax is None:
        fig, ax = plt.subplots(figsize=(6.8, 2.8))
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    fig = ax.figure
    for k, (label, histories) in enumerate(runs.items()):
        for i, history in enumerate(histories):
            ax.plot(
                history.eval_step,
                history.eval_metric,
                color=f"C{k}",
                lw=1.0,
                alpha=0.7,
                label=f"{label} ({len(histories)} runs)" if i == 0 else None,
            )
    if baseline is not None:
        ax.axhline(baseline, color="gray", ls="--", lw=1.0, label="baseline")
    for step in boundaries:
        ax.axvline(step, color="gray", lw=0.8, ls=":")
    ax.set(xlabel="training step", ylabel=f"held-out {metric}")
    if log:
        ax.set_yscale("log")
    ax.legend(fontsize=9)
    return fig
