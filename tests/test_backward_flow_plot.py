"""rnnbook.plots.backward_flow draws on a given axes and returns its figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from rnnbook.plots.backward_flow import draw_backward_flow


def test_draws_every_step_and_both_flows():
    fig, ax = plt.subplots()
    assert draw_backward_flow(3, ax=ax) is fig
    labels = {t.get_text() for t in ax.texts}
    assert {"$h_0$", "$x_{3}$", "$L_{3}$", r"$\delta_{3}W_{hh}$", "$dz_{1}V$"} <= labels
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "forward",
        "backward (gradients)",
    ]
    plt.close(fig)


def test_rejects_a_bad_T():
    with pytest.raises(ValueError):
        draw_backward_flow(0)
