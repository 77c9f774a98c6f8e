"""rnnbook.scratch.linear_recurrence: the parallel scan equals the step-by-step recurrence."""

import numpy as np
import pytest

from rnnbook.scratch.linear_recurrence import (
    linear_recurrence_scan,
    linear_recurrence_sequential,
)


def max_rel(a, b):
    return float(np.abs(a - b).max() / np.abs(b).max())


@pytest.mark.parametrize("T", [1, 2, 3, 5, 7, 8, 16, 31, 100, 128, 129])
def test_scan_equals_sequential(T):
    rng = np.random.default_rng(T)
    a = rng.uniform(-1.0, 1.0, size=(3, T, 4))
    b = rng.standard_normal((3, T, 4))
    h0 = rng.standard_normal((3, 4))
    sequential = linear_recurrence_sequential(a, b, h0)
    scanned = linear_recurrence_scan(a, b, h0)
    assert sequential.shape == scanned.shape == (3, T, 4)
    assert max_rel(scanned, sequential) <= 1e-12


def test_closed_form():
    # a_t = c, b_t = 1, h_0 = 0: h_t = 1 + c + ... + c^(t-1) = (1 - c^t) / (1 - c).
    c, T = 0.9, 37
    a, b = np.full((1, T, 1), c), np.ones((1, T, 1))
    expected = (1 - c ** np.arange(1, T + 1)) / (1 - c)
    for f in (linear_recurrence_sequential, linear_recurrence_scan):
        np.testing.assert_allclose(f(a, b, np.zeros((1, 1)))[0, :, 0], expected, rtol=1e-14)


def test_initial_state_enters_every_step():
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.5, 1.0, size=(2, 9, 3)), np.zeros((2, 9, 3))
    h0 = rng.standard_normal((2, 3))
    np.testing.assert_allclose(
        linear_recurrence_scan(a, b, h0), np.cumprod(a, axis=1) * h0[:, None], rtol=1e-13
    )


def test_inputs_are_not_modified():
    rng = np.random.default_rng(1)
    a, b, h0 = rng.standard_normal((2, 6, 3)), rng.standard_normal((2, 6, 3)), np.ones((2, 3))
    copies = a.copy(), b.copy(), h0.copy()
    linear_recurrence_scan(a, b, h0)
    assert all(np.array_equal(x, y) for x, y in zip((a, b, h0), copies, strict=True))


@pytest.mark.parametrize("f", [linear_recurrence_sequential, linear_recurrence_scan])
@pytest.mark.parametrize(
    ("a", "b", "h0", "error", "message"),
    [
        (np.ones((2, 5)), np.ones((2, 5)), np.ones((2, 1)), ValueError, r"a: expected 3 dim"),
        (np.ones((2, 5, 3)), np.ones((2, 4, 3)), np.ones((2, 3)), ValueError, r"b: expected shape"),
        (np.ones((2, 5, 3)), np.ones((2, 5, 3)), np.ones((3, 3)), ValueError, r"h0: expected sha"),
        (np.ones((2, 0, 3)), np.ones((2, 0, 3)), np.ones((2, 3)), ValueError, r"B, T, H >= 1"),
        (
            np.ones((1, 2, 1), int),
            np.ones((1, 2, 1)),
            np.ones((1, 1)),
            TypeError,
            r"a: expected a fl",
        ),
        (
            np.ones((1, 2, 1)),
            np.full((1, 2, 1), np.nan),
            np.ones((1, 1)),
            ValueError,
            "b: expected fin",
        ),
    ],
)
def test_bad_arguments(f, a, b, h0, error, message):
    with pytest.raises(error, match=message):
        f(a, b, h0)
