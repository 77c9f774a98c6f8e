"""rnnbook.training.seeds: the seed runner every chapter uses to report a spread."""

import numpy as np
import pytest

from rnnbook.training.seeds import SeedResults, run_seeds


def test_seed_pairs_and_values():
    calls = []

    def train_one(data_seed, weight_seed):
        calls.append((data_seed, weight_seed))
        return float(data_seed + weight_seed)

    results = run_seeds(train_one, n=3)
    assert calls == [(0, 100), (1, 101), (2, 102)]
    assert isinstance(results, SeedResults)
    assert results.values == (100.0, 102.0, 104.0) and results.n == 3
    assert (results.median, results.min, results.max) == (102.0, 100.0, 104.0)
    assert results.k == 0 and results.summary() == "median 1e+02 (1e+02\u20131e+02) over 3 runs"
    assert results.summary(digits=3) == "median 102 (100\u2013104) over 3 runs"


def test_threshold_lower_and_higher():
    values = [0.5, 0.001, 0.02, 0.0031, 0.17]
    lower = run_seeds(lambda d, w: values[d], n=5, threshold=0.01)
    assert lower.k == 2
    assert lower.summary() == "2/5 solved, median 0.02 (0.001\u20130.5)"
    accuracies = [1.0, 0.9, 1.0, 0.5]
    higher = run_seeds(lambda d, w: accuracies[d], n=4, threshold=1.0, better="higher")
    assert higher.k == 2 and higher.median == pytest.approx(0.95)


def test_dict_results_are_kept():
    results = run_seeds(lambda d, w: {"mse": 0.1 * (d + 1), "steps": 10 + d}, n=2, metric="mse")
    assert results.values == pytest.approx((0.1, 0.2))
    assert [r["steps"] for r in results.records] == [10, 11]


def test_numpy_scalars_are_accepted():
    results = run_seeds(lambda d, w: np.float32(d), n=2)
    assert results.values == (0.0, 1.0)


def test_errors():
    with pytest.raises(TypeError, match="train_one: expected a callable, got int"):
        run_seeds(3)
    with pytest.raises(ValueError, match="n: expected a positive integer, got 0"):
        run_seeds(lambda d, w: 0.0, n=0)
    with pytest.raises(ValueError, match=r"better: expected one of \('lower', 'higher'\)"):
        run_seeds(lambda d, w: 0.0, better="max")
    with pytest.raises(TypeError, match="threshold: expected a number or None, got str"):
        run_seeds(lambda d, w: 0.0, threshold="0.1")
    with pytest.raises(
        TypeError, match=r"expected a number \(or a dict with key 'value'\) from run 0"
    ):
        run_seeds(lambda d, w: {"mse": 0.1})
    with pytest.raises(TypeError, match="from run 0, got NoneType None"):
        run_seeds(lambda d, w: None)
