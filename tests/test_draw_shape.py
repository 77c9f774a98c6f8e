"""draw_shape: the five input-output shapes of chapter 2, as drawn diagrams."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest
from matplotlib.patches import Rectangle

from rnnbook.plots.diagrams import draw_shape


def _texts(ax):
    return [t.get_text() for t in ax.texts]


def test_default_labels_and_cells():
    fig, ax = plt.subplots()
    assert draw_shape("many-to-one", 4, {0, 1, 2, 3}, {3}, ax=ax) is fig
    cells = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(cells) == 4
    assert _texts(ax).count("x") == 4 and _texts(ax).count("y") == 1
    assert ax.get_title() == "many-to-one"
    plt.close(fig)


def test_initial_state_cell_is_dashed_and_labelled():
    fig, ax = plt.subplots()
    draw_shape("one-to-many", 5, {0}, {1, 2, 3, 4}, ax=ax, initial_state=True)
    first = min((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda p: p.get_x())
    assert first.get_linestyle() == "--"
    assert "$h_0$" in _texts(ax)
    assert _texts(ax).count("x") == 1 and _texts(ax).count("y") == 4
    plt.close(fig)


def test_decoder_input_labels():
    fig, ax = plt.subplots()
    draw_shape(
        "encoder-decoder",
        5,
        {0, 1, 2, 3, 4},
        {3, 4},
        decoder_from=3,
        ax=ax,
        input_labels={3: "bos", 4: "$y_1$"},
        output_labels={3: "$y_1$", 4: "$y_2$"},
    )
    texts = _texts(ax)
    assert texts.count("x") == 3 and "bos" in texts and texts.count("$y_1$") == 2
    plt.close(fig)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_steps": 6}, "n_steps: expected at most 5"),
        ({"inputs": {7}}, r"inputs: expected steps in 0..3"),
        ({"input_labels": {2: "a"}, "inputs": {0}}, "input_labels: expected keys among"),
        ({"initial_state": True, "outputs": {0}}, "the initial state"),
    ],
)
def test_errors(kwargs, message):
    args = {"title": "t", "n_steps": 4, "inputs": {0}, "outputs": {3}} | kwargs
    with pytest.raises(ValueError, match=message):
        draw_shape(**args)
    plt.close("all")
