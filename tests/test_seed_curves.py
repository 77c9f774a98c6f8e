"""plot_seed_curves: one line per run, one colour per model."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from rnnbook.plots.seed_curves import plot_seed_curves
from rnnbook.training.history import History


def _history(scale):
    return History(loss=[1.0, 0.5], eval_step=[1, 2], eval_metric=[scale, scale / 2])


def test_one_line_per_run_and_a_baseline():
    runs = {"a": [_history(1.0), _history(2.0)], "b": [_history(3.0)]}
    fig = plot_seed_curves(runs, "MSE", baseline=0.3, log=True, boundaries=(1,))
    ax = fig.axes[0]
    colours = [line.get_color() for line in ax.lines[:3]]
    assert colours == ["C0", "C0", "C1"]
    assert ax.get_yscale() == "log" and ax.get_ylabel() == "held-out MSE"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["a (2 runs)", "b (1 runs)", "baseline"]
    assert tuple(fig.get_size_inches()) == (6.8, 2.8)
    plt.close(fig)


def test_uses_the_given_axes():
    fig, ax = plt.subplots()
    assert plot_seed_curves({"a": [_history(1.0)]}, "accuracy", ax=ax) is fig
    plt.close(fig)


@pytest.mark.parametrize(
    ("runs", "error", "message"),
    [
        ({}, TypeError, "non-empty mapping"),
        ({"a": _history(1.0)}, TypeError, "non-empty sequence of History"),
        ({"a": [1.0]}, TypeError, "expected History entries, got float"),
        ({"a": [History(loss=[1.0])]}, ValueError, "no held-out evaluations"),
    ],
)
def test_errors(runs, error, message):
    with pytest.raises(error, match=message):
        plot_seed_curves(runs, "accuracy")
    plt.close("all")
