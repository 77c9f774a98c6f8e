r"""A tagging task that needs the future: is the next value smaller than this one?

Each sequence holds ``T`` symbols drawn i.i.d. and uniformly from :math:`\{0, \dots, K-1\}`
(:math:`K` = ``n_symbols``, 10 by default). The label at step :math:`t` is

.. math::

    y_t = [\,x_{t+1} < x_t\,], \qquad t = 1, \dots, T - 1,

and the last step has no label (it is :data:`IGNORE_INDEX`, which
``torch.nn.functional.cross_entropy`` skips).

**The best a causal model can do.** A model that reads :math:`x_1, \dots, x_t` knows nothing
about :math:`x_{t+1}`, which is independent of the past. Given :math:`x_t = v` the label is 1
with probability :math:`P(x_{t+1} < v) = v / K`, so the best guess is right with probability
:math:`\max(v/K, 1 - v/K)`, and averaging over the :math:`K` values of :math:`v`:

.. math::

    a^\star_{\text{causal}} = \frac{1}{K} \sum_{v=0}^{K-1} \max\!\Big(\frac{v}{K},
        1 - \frac{v}{K}\Big) = \frac{3}{4} \quad \text{for } K = 10.

A model that also reads :math:`x_{t+1}` can reach accuracy 1.

>>> data = next_smaller(2, T=6, rng=0)
>>> data.x.shape, data.y.shape, data.baseline
((2, 6), (2, 6), 0.75)
>>> bool((data.y[:, -1] == IGNORE_INDEX).all())
True
>>> best_causal_accuracy(10)
Fraction(3, 4)
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from rnnbook.checks import check_ids, check_positive_int, check_rng
from rnnbook.tasks.base import TaskData

#: The label of the last step, which no model can be scored on (torch's ``ignore_index``).
IGNORE_INDEX = -100


def best_causal_accuracy(n_symbols: int = 10) -> Fraction:
    r"""The Bayes-optimal accuracy of a causal model, exactly: the mean of
    :math:`\max(v/K, 1 - v/K)` over :math:`v = 0, \dots, K-1`.

    >>> best_causal_accuracy(2), best_causal_accuracy(10)
    (Fraction(3, 4), Fraction(3, 4))
    """
    K = check_positive_int(n_symbols, "n_symbols")
    if K < 2:
        raise ValueError(f"n_symbols: expected at least 2, got {K}")
    return sum((max(Fraction(v, K), 1 - Fraction(v, K)) for v in range(K)), Fraction(0)) / K


def causal_bayes_labels(x: np.ndarray, n_symbols: int = 10) -> np.ndarray:
    """The Bayes-optimal causal guess at every step: 1 ("the next one is smaller") when
    :math:`x_t / K > 1/2`, else 0 (ties, :math:`x_t = K/2`, go to 0).

    Parameters
    ----------
    x : ndarray of int, shape (N, T)

    Returns
    -------
    ndarray of int64, shape (N, T)
    """
    K = check_positive_int(n_symbols, "n_symbols")
    x = check_ids(x, "x", K, ndim=2)  # (N, T)
    return (2 * x > K).astype(np.int64)  # (N, T)


def labels(x: np.ndarray, n_symbols: int = 10) -> np.ndarray:
    """The labels :math:`[x_{t+1} < x_t]` of a batch, :data:`IGNORE_INDEX` at the last step.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)

    Returns
    -------
    ndarray of int64, shape (N, T)
    """
    x = check_ids(x, "x", check_positive_int(n_symbols, "n_symbols"), ndim=2)  # (N, T)
    y = np.full(x.shape, IGNORE_INDEX, dtype=np.int64)  # (N, T)
    y[:, :-1] = x[:, 1:] < x[:, :-1]
    return y


def next_smaller(
    n: int, T: int = 20, rng: np.random.Generator | int = 0, n_symbols: int = 10
) -> TaskData:
    """Generate ``n`` sequences of ``T`` i.i.d. uniform symbols and their labels.

    Parameters
    ----------
    n : int
        Number of sequences N.
    T : int
        Steps per sequence, at least 2 (one scored step).
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    n_symbols : int
        K, at least 2.

    Returns
    -------
    TaskData
        ``x`` int64 symbols of shape (N, T), ``y`` int64 labels of shape (N, T) with
        :data:`IGNORE_INDEX` at the last step, ``metric="accuracy"`` (over scored steps) and
        ``baseline`` = :func:`best_causal_accuracy` as a float.
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if T < 2:
        raise ValueError(f"T: expected at least 2 (the last step is not scored), got {T}")
    best = best_causal_accuracy(n_symbols)
    x = check_rng(rng).integers(0, n_symbols, size=(n, T))  # (N, T)
    return TaskData(
        x=x,
        y=labels(x, n_symbols),
        metric="accuracy",
        baseline=float(best),
        baseline_rule="the best causal guess: 'smaller' when x_t > K/2 (Bayes-optimal "
        "without x_{t+1})",
    )
