"""rnnbook.plots.attention: the heatmap and the metric-against-length figure."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

from rnnbook.plots.attention import plot_attention, plot_by_length


def test_heatmap_cuts_padding_and_labels_axes():
    fig, axes = plt.subplots(1, 2)
    weights = np.eye(5)[:, ::-1]  # (T_tgt, T_src) anti-diagonal
    returned = plot_attention(weights, list("abc"), list("xy"), ax=axes[1], title="t")
    assert returned is fig
    image = axes[1].images[0]
    assert image.get_array().shape == (2, 3)
    assert [t.get_text() for t in axes[1].get_xticklabels()] == list("abc")
    assert axes[1].get_title() == "t"
    plt.close(fig)


def test_heatmap_bad_arguments():
    with pytest.raises(ValueError, match=r"\(T_tgt, T_src\)"):
        plot_attention(np.zeros(3), ["a"], ["b"])
    with pytest.raises(ValueError, match="labels"):
        plot_attention(np.zeros((2, 2)), list("abc"), ["x"])


def test_by_length_draws_median_and_band():
    fig = plot_by_length({"a": np.array([[0.0, 1.0], [1.0, 1.0], [0.5, 0.0]])}, [4, 5], train_max=4)
    ax = fig.axes[0]
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), [0.5, 1.0])
    assert len(ax.collections) == 1  # the min-max band
    plt.close(fig)
    with pytest.raises(ValueError, match=r"expected shape \(n_seeds, 2\)"):
        plot_by_length({"a": np.zeros((3, 3))}, [4, 5])
