"""Training curves: the loss of each run beside its held-out metric."""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from rnnbook.training.history import History


def plot_runs(
    runs: dict[str, History],
    metric: str,
    baseline: float | None = None,
    log_metric: bool = False,
    boundaries: tuple[int, ...] = (),
) -> Figure:
    """Two panels: the training loss per step (left) and the held-out metric (right).

    Parameters
    ----------
    runs : dict of str to History
        One line per run, labelled by its key.
    metric : str
        The name of the held-out metric, for the axis label.
    baseline : float, optional
        Drawn as a dashed line on the metric panel.
    log_metric : bool
        Log scale for the metric (the loss is always on a log scale).
    boundaries : tuple of int
        Steps to mark with a dotted vertical line in both panels, e.g. a learning-rate change.

    Returns
    -------
    matplotlib.figure.Figure
        Closed (it is not shown twice in a notebook): make it a cell's value to show it.
    """
    if not isinstance(runs, dict) or not runs:
        raise TypeError(f"runs: expected a non-empty dict of History, got {type(runs).__name__}")
    for label, history in runs.items():
        if not isinstance(history, History):
            raise TypeError(f"runs[{label!r}]: expected a History, got {type(history).__name__}")
    fig, (ax_loss, ax_eval) = plt.subplots(1, 2, figsize=(8, 2.8))
    for label, history in runs.items():
        ax_loss.plot(history.loss, lw=0.8, label=label)
        ax_eval.plot(history.eval_step, history.eval_metric, marker=".", label=label)
    if baseline is not None:
        ax_eval.axhline(baseline, color="gray", ls="--", label="baseline")
    ax_loss.set(xlabel="step", ylabel="training loss", yscale="log")
    ax_eval.set(xlabel="step", ylabel=f"held-out {metric}")
    if log_metric:
        ax_eval.set_yscale("log")
    for step in boundaries:
        for ax in (ax_loss, ax_eval):
            ax.axvline(step, color="gray", lw=0.8, ls=":")
    ax_eval.legend(fontsize=8)
    fig.tight_layout()
    plt.close(fig)  # shown once, as the cell's value
    return fig
