r"""A one-to-many task: draw a sine wave from its frequency alone.

Each example has a single input, the angular frequency :math:`\omega` (radians per step),
drawn uniformly from ``omega_range``. The target is the wave it sets, sampled at
:math:`t = 1, \dots, T`:

.. math::

    y_t = \sin(\omega t).

One number goes in and ``T`` numbers come out, so the network must unroll the whole
sequence from what the input put into its state.

A model that ignores :math:`\omega` can do no better than predicting, at every step, the
mean of :math:`y_t` over the data set. Its mean squared error, the variance of the
targets at each step averaged over the steps, is the task's baseline (computed from the
generated data, so it is exact for that sample).
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from rnnbook.checks import check_positive_int, check_rng
from rnnbook.tasks.base import TaskData


def waveform(
    n: int,
    T: int,
    rng: np.random.Generator | int,
    omega_range: tuple[float, float] = (0.2, 0.6),
    dtype: type = np.float32,
) -> TaskData:
    r"""Generate ``n`` sine waves of length ``T``, each with its frequency as the input.

    .. math::

        \omega \sim \mathcal{U}(\omega_{\min}, \omega_{\max}), \qquad
        y_t = \sin(\omega t), \quad t = 1, \dots, T

    Parameters
    ----------
    n : int
        Number of examples N.
    T : int
        Length of the generated wave.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    omega_range : (float, float)
        Lowest and highest angular frequency, with ``0 < low < high <= pi`` (above
        :math:`\pi` the samples alias onto a lower frequency).
    dtype : numpy floating dtype
        Dtype of ``x`` and ``y``; float32 by default (what torch trains in).

    Returns
    -------
    TaskData
        ``x`` of shape (N, 1) (the frequency), ``y`` of shape (N, T) (the wave),
        ``metric="mse"``; ``baseline`` is the MSE of predicting the per-step mean wave.

    Examples
    --------
    >>> data = waveform(4, 10, rng=0)
    >>> data.x.shape, data.y.shape
    ((4, 1), (4, 10))
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if (
        not isinstance(omega_range, tuple | list)
        or len(omega_range) != 2
        or not all(isinstance(w, Real) and not isinstance(w, bool) for w in omega_range)
    ):
        raise TypeError(f"omega_range: expected a pair of numbers, got {omega_range!r}")
    low, high = (float(w) for w in omega_range)
    if not (0.0 < low < high <= np.pi):
        raise ValueError(f"omega_range: expected 0 < low < high <= pi, got ({low}, {high})")
    if not np.issubdtype(np.dtype(dtype), np.floating):
        raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
    rng = check_rng(rng)
    omega = rng.uniform(low, high, size=(n, 1))  # (N, 1)
    t = np.arange(1, T + 1)  # (T,)
    y = np.sin(omega * t)  # (N, T)
    baseline = float(((y - y.mean(axis=0)) ** 2).mean())
    return TaskData(
        x=omega.astype(dtype),
        y=y.astype(dtype),
        metric="mse",
        baseline=baseline,
        baseline_rule="predict the mean wave of the data set at every step, whatever the input",
    )
