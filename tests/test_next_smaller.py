"""The next-smaller task: labels, the exact causal optimum, and bad arguments."""

from fractions import Fraction

import numpy as np
import pytest

from rnnbook.tasks.next_smaller import (
    IGNORE_INDEX,
    best_causal_accuracy,
    causal_bayes_labels,
    labels,
    next_smaller,
)


def test_shapes_labels_and_seeds():
    data = next_smaller(50, T=7, rng=3)
    assert data.x.shape == data.y.shape == (50, 7)
    assert data.x.min() >= 0 and data.x.max() <= 9
    assert (data.y[:, -1] == IGNORE_INDEX).all()
    assert np.array_equal(data.y[:, :-1], (data.x[:, 1:] < data.x[:, :-1]).astype(int))
    assert np.array_equal(next_smaller(50, 7, rng=3).x, data.x)
    assert not np.array_equal(next_smaller(50, 7, rng=4).x, data.x)
    assert data.metric == "accuracy" and data.baseline == 0.75


@pytest.mark.parametrize("K", [2, 3, 10, 11])
def test_best_causal_accuracy_is_the_mean_of_the_best_guesses(K):
    by_hand = sum(max(Fraction(v, K), 1 - Fraction(v, K)) for v in range(K)) / K
    assert best_causal_accuracy(K) == by_hand
    # no per-symbol decision rule does better: try all 2^K of them for small K
    if K <= 11:
        p_smaller = np.arange(K) / K  # P(next < v)
        best = max(
            np.mean(np.where([(rule >> v) & 1 for v in range(K)], p_smaller, 1 - p_smaller))
            for rule in range(2**K)
        )
        assert best == pytest.approx(float(by_hand), abs=1e-12)


def test_three_quarters_for_ten_symbols_and_the_rule_reaches_it():
    assert best_causal_accuracy(10) == Fraction(3, 4)
    data = next_smaller(20_000, T=20, rng=0)
    guess = causal_bayes_labels(data.x)
    scored = data.y != IGNORE_INDEX
    assert np.mean(guess[scored] == data.y[scored]) == pytest.approx(0.75, abs=0.005)


def test_labels_of_a_known_sequence():
    assert labels(np.array([[3, 1, 1, 5, 0]])).tolist() == [[1, 0, 0, 1, IGNORE_INDEX]]
    assert causal_bayes_labels(np.array([[0, 5, 6, 9]])).tolist() == [[0, 0, 1, 1]]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 2, "T": 1}, ValueError, "at least 2"),
        ({"n": 0, "T": 5}, ValueError, "n"),
        ({"n": 2, "T": 5, "n_symbols": 1}, ValueError, "n_symbols"),
        ({"n": 2, "T": 5, "rng": 1.5}, TypeError, "rng"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        next_smaller(**kwargs)


def test_bad_symbols():
    with pytest.raises(ValueError, match="ids in"):
        labels(np.array([[0, 10]]))
    with pytest.raises(TypeError, match="integer"):
        causal_bayes_labels(np.array([[0.5, 1.0]]))
