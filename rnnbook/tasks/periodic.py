r"""A free-running generator: produce a periodic sequence with no input at all.

Every step's input is the zero vector (D = 1), and the target at step :math:`t` is the
class :math:`y_t = (t - 1) \bmod P` for :math:`t = 1, \dots, T`:
``0, 1, ..., P-1, 0, 1, ...``. With no input, a recurrent network's outputs are fixed by
its initial state :math:`h_0` and its own dynamics, which makes this the smallest task on
which the choice of :math:`h_0` can matter.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_int
from rnnbook.tasks.base import TaskData


def make_periodic(period: int, T: int) -> TaskData:
    r"""One sequence of ``T`` blank inputs whose targets cycle through ``period`` classes.

    .. math::

        x_t = 0 \in \mathbb{R}^1, \qquad y_t = (t - 1) \bmod P

    Nothing is sampled, so there is no seed.

    Parameters
    ----------
    period : int
        P >= 2, the number of classes and the period.
    T : int
        Sequence length, at least ``period``.

    Returns
    -------
    TaskData
        ``x`` (1, T, 1) float64 zeros, ``y`` (1, T) int64 in ``[0, P)``,
        ``metric="accuracy"`` and ``baseline`` the accuracy of always predicting the most
        frequent class, :math:`\lceil T / P \rceil / T`.
    """
    period = check_positive_int(period, "period")
    T = check_positive_int(T, "T")
    if period < 2:
        raise ValueError(f"period: expected at least 2, got {period}")
    if period > T:
        raise ValueError(f"T: expected at least period={period}, got {T}")
    y = (np.arange(T, dtype=np.int64) % period)[None, :]  # (1, T)
    x = np.zeros((1, T, 1))  # (1, T, 1)
    return TaskData(
        x=x,
        y=y,
        metric="accuracy",
        baseline=float(np.bincount(y[0]).max() / T),
        baseline_rule="always predict the most frequent class (class 0)",
    )
