"""rnnbook.tasks.delayed_recall: the targets are the inputs, L steps late."""

import numpy as np
import pytest

from rnnbook.tasks.delayed_recall import IGNORE_INDEX, delayed_recall, recall_accuracy


@pytest.mark.parametrize(("delay", "n_symbols"), [(1, 2), (5, 3), (8, 4)])
def test_targets_are_delayed_inputs(delay, n_symbols):
    data = delayed_recall(3, 40, delay, rng=0, n_symbols=n_symbols)
    assert data.x.shape == data.y.shape == (3, 40)
    assert data.x.dtype == data.y.dtype == np.int64
    assert (data.y[:, :delay] == IGNORE_INDEX).all()
    np.testing.assert_array_equal(data.y[:, delay:], data.x[:, :-delay])
    assert set(np.unique(data.x)) == set(range(n_symbols))
    assert data.metric == "accuracy" and data.baseline == pytest.approx(1 / n_symbols)


def test_seeded_and_reproducible():
    a, b = delayed_recall(2, 30, 4, rng=1), delayed_recall(2, 30, 4, rng=1)
    c = delayed_recall(2, 30, 4, rng=2)
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)


def test_recall_accuracy():
    data = delayed_recall(2, 50, 3, rng=0)
    perfect = np.eye(2)[np.where(data.y == IGNORE_INDEX, 0, data.y)]  # (N, T, S)
    assert recall_accuracy(perfect, data.y) == 1.0
    assert recall_accuracy(-perfect, data.y) == 0.0
    # Predicting the current input instead of the delayed one is at chance level.
    echo = np.eye(2)[data.x]
    assert 0.3 < recall_accuracy(echo, data.y) < 0.7
    with pytest.raises(ValueError, match=r"expected shapes \(N, T, S\) and \(N, T\)"):
        recall_accuracy(perfect[0], data.y)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0, "T": 5, "delay": 2}, ValueError, "n: expected a positive integer, got 0"),
        ({"n": 1, "T": 5, "delay": 5}, ValueError, "T: expected more steps than delay = 5"),
        ({"n": 1, "T": 5, "delay": 0}, ValueError, "delay: expected a positive integer"),
        ({"n": 1, "T": 5, "delay": 2, "n_symbols": 1}, ValueError, "n_symbols: expected at least"),
        ({"n": 1, "T": 5, "delay": 2, "rng": 1.5}, TypeError, "rng: expected a numpy Generator"),
    ],
)
def test_errors(kwargs, error, message):
    kwargs = {"rng": 0} | kwargs
    with pytest.raises(error, match=message):
        delayed_recall(**kwargs)
