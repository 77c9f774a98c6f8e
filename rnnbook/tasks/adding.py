r"""The adding problem: a benchmark for remembering two numbers over a long gap.

Introduced by Hochreiter and Schmidhuber (1997) and used in the form below by Le, Jaitly
and Hinton (2015). Each example is a sequence of ``T`` steps with ``D = 2`` features:

* channel 0 holds values :math:`u_t \sim \mathcal{U}(0, 1)`, drawn independently;
* channel 1 is a marker :math:`m_t \in \{0, 1\}` that is 1 at exactly two steps, one drawn
  uniformly from the first half :math:`\{0, \dots, \lceil T/2 \rceil - 1\}` and one from
  the second half :math:`\{\lceil T/2 \rceil, \dots, T - 1\}` (0-based).

The target is the sum of the two marked values,

.. math::

    y = \sum_{t} m_t u_t = u_{p} + u_{q}.

A model that ignores the markers can do no better than predicting the mean,
:math:`\mathbb{E}[y] = 1`, with mean squared error
:math:`\operatorname{Var}(u_p + u_q) = 2 \cdot \tfrac{1}{12} = \tfrac{1}{6}`.
That is the task's baseline. To beat it, a network must carry the first marked value
across at least the gap between the two halves.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_int, check_rng
from rnnbook.tasks.base import TaskData

#: MSE of always predicting 1, the mean of the target: Var(U + U') = 2/12.
BASELINE_MSE = 1.0 / 6.0


def adding_problem(
    n: int, T: int, rng: np.random.Generator | int, dtype: type = np.float32
) -> TaskData:
    r"""Generate ``n`` examples of the adding problem of length ``T``.

    .. math::

        x_{t} = (u_t, m_t), \qquad u_t \sim \mathcal{U}(0, 1), \qquad
        y = \sum_t m_t u_t

    Parameters
    ----------
    n : int
        Number of examples N.
    T : int
        Sequence length, at least 2 (one marker in each half).
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    dtype : numpy floating dtype
        Dtype of ``x`` and ``y``; float32 by default (what torch trains in).

    Returns
    -------
    TaskData
        ``x`` of shape (N, T, 2) (values, markers), ``y`` of shape (N,), ``metric="mse"``
        and ``baseline`` = 1/6.

    Examples
    --------
    >>> data = adding_problem(4, 10, rng=0)
    >>> data.x.shape, data.y.shape
    ((4, 10, 2), (4,))
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if T < 2:
        raise ValueError(f"T: expected at least 2 (one marker in each half), got {T}")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
    rng = check_rng(rng)
    half = (T + 1) // 2
    values = rng.uniform(0.0, 1.0, size=(n, T))  # (N, T)
    first = rng.integers(0, half, size=n)  # (N,) a step in the first half
    second = rng.integers(half, T, size=n)  # (N,) a step in the second half
    markers = np.zeros((n, T))  # (N, T)
    rows = np.arange(n)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype(dtype)  # (N, T, 2)
    y = (x[..., 0] * x[..., 1]).sum(axis=1)  # (N,): the sum of the marked values
    return TaskData(
        x=x,
        y=y,
        metric="mse",
        baseline=BASELINE_MSE,
        baseline_rule="always predict 1, the mean of the target: MSE = Var(u_p + u_q) = 2/12",
    )
