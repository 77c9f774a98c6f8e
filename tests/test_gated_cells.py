"""The LSTM and GRU cell diagrams: they draw on the axes given, and check their arguments."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from rnnbook.plots.gated_cells import draw_gru_cell, draw_lstm_cell


@pytest.mark.parametrize("draw", [draw_lstm_cell, lambda ax=None: draw_gru_cell("cho", ax=ax)])
def test_draws_on_the_given_axes_and_returns_its_figure(draw):
    fig, axes = plt.subplots(1, 2)
    returned = draw(ax=axes[1])
    assert returned is fig
    assert len(axes[1].patches) > 10 and not axes[0].patches
    assert not axes[1].axison
    plt.close(fig)


def test_lstm_cell_names_every_gate_and_both_states():
    fig = draw_lstm_cell()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"$i_t$", "$f_t$", "$g_t$", "$o_t$", "$c_{t-1}$", "$c_t$", "$h_t$"} <= texts
    plt.close(fig)


@pytest.mark.parametrize("variant, where", [("torch", "b_{hn}"), ("cho", "r_t \\odot h_{t-1}")])
def test_gru_cell_says_where_the_reset_gate_acts(variant, where):
    fig = draw_gru_cell(variant)
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    assert f"{variant}:" in texts and where in texts
    assert all(f"${g}_t$" in texts for g in "rzn")
    plt.close(fig)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="variant"):
        draw_gru_cell("keras")
    with pytest.raises(TypeError, match="expected a matplotlib Axes"):
        draw_lstm_cell(ax="axes")
