r"""The Mackey-Glass series: a chaotic benchmark for echo state networks, made in code.

Mackey and Glass (1977) modelled blood-cell production with a delay differential
equation,

.. math::

    \frac{dx}{dt} = \beta \frac{x(t - \tau)}{1 + x(t - \tau)^{n}} - \gamma\, x(t),

with :math:`\beta = 0.2`, :math:`\gamma = 0.1`, :math:`n = 10`. For :math:`\tau = 17` the
solution is chaotic but smooth and quasi-periodic (a bump about every 50 time units),
which made it the standard test of echo state networks (Jaeger and Haas, 2004).

The equation is integrated with the classical Runge-Kutta method at step ``dt`` from a
constant history :math:`x(t) = x_0` for :math:`t \le 0`. The delayed value at a half step
is the mean of its two neighbours on the grid (``tau / dt`` must be a whole number). The
series is sampled every ``sample_every`` integration steps, and the first ``discard``
samples, the transient from the constant history, are dropped. No randomness: the same
arguments give the same series.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_float, check_positive_int


def mackey_glass(
    n: int,
    tau: float = 17.0,
    beta: float = 0.2,
    gamma: float = 0.1,
    power: float = 10.0,
    dt: float = 0.1,
    sample_every: int = 10,
    x0: float = 1.2,
    discard: int = 500,
) -> np.ndarray:
    r"""Sample ``n`` points of the Mackey-Glass series.

    Parameters
    ----------
    n : int
        Number of samples returned.
    tau, beta, gamma, power : float
        :math:`\tau`, :math:`\beta`, :math:`\gamma` and :math:`n` of the equation.
    dt : float
        Integration step; ``tau / dt`` must be a whole number.
    sample_every : int
        Integration steps per sample: the sampling interval is ``dt * sample_every`` time
        units (1 by default).
    x0 : float
        The constant history, :math:`x(t) = x_0` for :math:`t \le 0`.
    discard : int
        Samples dropped at the start (the transient), 0 to keep them.

    Returns
    -------
    ndarray, shape (n,)

    >>> x = mackey_glass(300)
    >>> x.shape, bool(0.2 < x.min() < x.max() < 1.5)
    ((300,), True)
    """
    n = check_positive_int(n, "n")
    tau = check_positive_float(tau, "tau")
    beta = check_positive_float(beta, "beta")
    gamma = check_positive_float(gamma, "gamma")
    power = check_positive_float(power, "power")
    dt = check_positive_float(dt, "dt")
    sample_every = check_positive_int(sample_every, "sample_every")
    x0 = check_positive_float(x0, "x0")
    if isinstance(discard, bool) or not isinstance(discard, int | np.integer) or discard < 0:
        raise ValueError(f"discard: expected an integer >= 0, got {discard!r}")
    lag = round(tau / dt)
    if abs(lag * dt - tau) > 1e-9 * tau:
        raise ValueError(f"tau / dt: expected a whole number, got {tau} / {dt} = {tau / dt}")

    def slope(x: float, x_delayed: float) -> float:
        return beta * x_delayed / (1.0 + x_delayed**power) - gamma * x

    steps = (n + discard) * sample_every
    x = np.empty(lag + steps + 1)  # x[lag + i] is x(i dt); the first lag + 1 are history
    x[: lag + 1] = x0
    for i in range(lag, lag + steps):
        d0, d1 = x[i - lag], x[i - lag + 1]  # x(t - tau) and x(t + dt - tau)
        d_half = 0.5 * (d0 + d1)
        k1 = slope(x[i], d0)
        k2 = slope(x[i] + 0.5 * dt * k1, d_half)
        k3 = slope(x[i] + 0.5 * dt * k2, d_half)
        k4 = slope(x[i] + dt * k3, d1)
        x[i + 1] = x[i] + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    samples = x[lag + sample_every :: sample_every]  # x(dt * sample_every * j), j >= 1
    return np.ascontiguousarray(samples[discard : discard + n])
