r"""An echo state network: a fixed random reservoir and a ridge-regression readout.

Echo state networks (Jaeger, 2001) sidestep the gradient through time altogether: the
recurrent weights are drawn once and never trained. A leaky-integrator reservoir of
:math:`N` tanh units is driven by the input :math:`u_t` (D values),

.. math::

    \tilde x_t = \tanh\big(W x_{t-1} + W_{in} [1; u_t]\big), \qquad
    x_t = (1 - a)\, x_{t-1} + a\, \tilde x_t ,

with leak rate :math:`a`. Only the linear readout :math:`y_t = W_{out} [1; u_t; x_t]` is
fitted, by ridge regression on the collected states :math:`Z` (one row
:math:`[1; u_t; x_t]` per step, after a washout):

.. math::

    W_{out} = Y^\top Z \big(Z^\top Z + \lambda I\big)^{-1}.

:math:`W_{in}` and :math:`W` are uniform on :math:`[-1/2, 1/2]` (:math:`W_{in}` times
``input_scaling``), and :math:`W` is rescaled to the spectral radius :math:`\rho`
requested; this is Lukoševičius's "minimal ESN". The echo state property (the state
forgets its initial value) is guaranteed when the largest singular value of :math:`W` is
below 1; :math:`\rho < 1` is the common rule of thumb, and with a driving input larger
radii often work better.

To forecast a series, the readout is trained to predict the next value from the current
one (teacher forcing) and then run **closed-loop**: each prediction is fed back as the
next input (:meth:`EchoStateNetwork.generate`).
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array, check_positive_float, check_positive_int, check_rng


def nrmse(prediction: np.ndarray, target: np.ndarray, scale: float | None = None) -> float:
    r"""Normalised root-mean-square error, :math:`\sqrt{\overline{(\hat y - y)^2}} / \sigma`.

    ``scale`` is :math:`\sigma`, by default the standard deviation of ``target``.

    >>> nrmse(np.array([1.0, 3.0]), np.array([0.0, 2.0]))
    1.0
    """
    prediction = check_array(prediction, "prediction")
    target = check_array(target, "target", shape=prediction.shape)
    sigma = float(np.std(target)) if scale is None else check_positive_float(scale, "scale")
    if sigma == 0:
        raise ValueError("target: expected a non-constant target (std > 0), got std 0")
    return float(np.sqrt(np.mean((prediction - target) ** 2)) / sigma)


class EchoStateNetwork:
    r"""A leaky tanh reservoir with a ridge-regression readout (see the module docstring).

    Parameters
    ----------
    size : int
        :math:`N`, the number of reservoir units.
    input_size : int
        D.
    spectral_radius : float
        :math:`\rho(W)` after rescaling.
    leak : float
        :math:`a \in (0, 1]`; 1 is a plain (non-leaky) tanh RNN.
    input_scaling : float
        Scales :math:`W_{in}`.
    ridge : float
        :math:`\lambda`.
    rng : numpy.random.Generator or int
        Draws :math:`W_{in}` and :math:`W`.

    Attributes
    ----------
    W_in : ndarray, shape (N, 1 + D)
    W : ndarray, shape (N, N)
    W_out : ndarray, shape (D_out, 1 + D + N), or None before :meth:`fit`

    >>> esn = EchoStateNetwork(50, spectral_radius=0.9, rng=0)
    >>> round(float(np.max(np.abs(np.linalg.eigvals(esn.W)))), 6)
    0.9
    """

    def __init__(
        self,
        size: int,
        input_size: int = 1,
        spectral_radius: float = 1.25,
        leak: float = 0.3,
        input_scaling: float = 1.0,
        ridge: float = 1e-8,
        rng: np.random.Generator | int = 0,
    ) -> None:
        self.size = check_positive_int(size, "size")
        self.input_size = check_positive_int(input_size, "input_size")
        self.leak = check_positive_float(leak, "leak")
        if self.leak > 1:
            raise ValueError(f"leak: expected a rate in (0, 1], got {leak}")
        self.ridge = check_positive_float(ridge, "ridge", allow_zero=True)
        input_scaling = check_positive_float(input_scaling, "input_scaling")
        rng = check_rng(rng)
        self.W_in = input_scaling * (rng.random((size, 1 + input_size)) - 0.5)  # (N, 1 + D)
        self._W0 = rng.random((size, size)) - 0.5  # (N, N), rescaled by set_spectral_radius
        self._rho0 = float(np.max(np.abs(np.linalg.eigvals(self._W0))))
        self.set_spectral_radius(spectral_radius)
        self.W_out: np.ndarray | None = None

    def set_spectral_radius(self, spectral_radius: float) -> None:
        """Rescale the same random :math:`W` to a new spectral radius (forgets the readout)."""
        rho = check_positive_float(spectral_radius, "spectral_radius")
        self.spectral_radius = rho
        self.W = self._W0 * (rho / self._rho0)  # (N, N)
        self.W_out = None

    def run(self, u: np.ndarray, x0: np.ndarray | None = None) -> np.ndarray:
        """Drive the reservoir with ``u`` of shape (T, D); return the states, shape (T, N).

        ``x0`` (N,) is the state before the first input, zeros by default.
        """
        u = check_array(u, "u", shape=(None, self.input_size), legend="(T, D)")
        x = np.zeros(self.size) if x0 is None else check_array(x0, "x0", shape=(self.size,))
        T = u.shape[0]
        drive = self.W_in[:, 0] + u @ self.W_in[:, 1:].T  # (T, N): W_in [1; u_t]
        states = np.empty((T, self.size))
        a = self.leak
        for t in range(T):
            x = (1.0 - a) * x + a * np.tanh(self.W @ x + drive[t])  # leaky tanh update
            states[t] = x
        return states

    def _features(self, u: np.ndarray, states: np.ndarray) -> np.ndarray:
        return np.hstack([np.ones((len(u), 1)), u, states])  # (T, 1 + D + N)

    def fit(self, u: np.ndarray, y: np.ndarray, washout: int = 100) -> np.ndarray:
        """Drive the reservoir with ``u`` (T, D) and fit the readout to ``y`` (T, D_out).

        The first ``washout`` steps, whose states still remember the zero start, are not
        used. Returns the states of the whole run, shape (T, N).
        """
        u = check_array(u, "u", shape=(None, self.input_size), legend="(T, D)")
        washout = check_positive_int(washout, "washout")
        if washout >= u.shape[0]:
            raise ValueError(f"washout: expected fewer than T = {u.shape[0]} steps, got {washout}")
        states = self.run(u)
        self.fit_states(u[washout:], states[washout:], y[washout:])
        return states

    def fit_states(self, u: np.ndarray, states: np.ndarray, y: np.ndarray) -> None:
        r"""Ridge regression of ``y`` (T, D_out) on :math:`[1; u_t; x_t]`, given the states."""
        u = check_array(u, "u", shape=(None, self.input_size), legend="(T, D)")
        T = u.shape[0]
        states = check_array(states, "states", shape=(T, self.size), legend="(T, N)")
        y = check_array(y, "y", shape=(T, None), legend="(T, D_out)")
        Z = self._features(u, states)  # (T, 1 + D + N)
        A = Z.T @ Z + self.ridge * np.eye(Z.shape[1])
        self.W_out = np.linalg.solve(A, Z.T @ y).T  # (D_out, 1 + D + N)

    def readout(self, u: np.ndarray, states: np.ndarray) -> np.ndarray:
        """:math:`W_{out} [1; u_t; x_t]` for every step, shape (T, D_out)."""
        if self.W_out is None:
            raise ValueError("W_out: expected a fitted readout, got None (call fit first)")
        return self._features(u, states) @ self.W_out.T

    def generate(self, u_last: np.ndarray, x_last: np.ndarray, steps: int) -> np.ndarray:
        """Run closed-loop for ``steps`` steps: each output is the next input.

        Starts from the last teacher-forced input ``u_last`` (D,) and the state after it,
        ``x_last`` (N,); needs a readout with D outputs. Returns shape (steps, D).
        """
        if self.W_out is None or self.W_out.shape[0] != self.input_size:
            raise ValueError("W_out: expected a fitted readout with D outputs, got none")
        steps = check_positive_int(steps, "steps")
        u = check_array(u_last, "u_last", shape=(self.input_size,)).copy()
        x = check_array(x_last, "x_last", shape=(self.size,)).copy()
        out = np.empty((steps, self.input_size))
        a = self.leak
        for t in range(steps):
            u = self.W_out @ np.concatenate([[1.0], u, x])  # predict the next value
            out[t] = u
            x = (1.0 - a) * x + a * np.tanh(self.W @ x + self.W_in @ np.concatenate([[1.0], u]))
        return out


def forecast_nrmse(
    esn: EchoStateNetwork,
    series: np.ndarray,
    train_len: int,
    horizon: int = 84,
    trials: int = 20,
    washout: int = 100,
) -> float:
    r"""Train ``esn`` on one-step prediction, then score closed-loop forecasts at ``horizon``.

    The reservoir is driven once through the whole series (teacher forcing). The readout
    learns :math:`u_{t+1}` from the state at :math:`t` on ``series[:train_len]``, without
    the first ``washout`` steps. Then, from each of ``trials`` start points spread over
    the rest of the series, it runs closed-loop for ``horizon`` steps, starting from the
    teacher-forced state. The score is Jaeger's
    :math:`\text{NRMSE}_{84}`: the error of the ``horizon``-th prediction over all trials,
    divided by the series' standard deviation.

    Parameters
    ----------
    esn : EchoStateNetwork
        With ``input_size == 1``.
    series : ndarray, shape (L,)
    train_len, horizon, trials, washout : int

    Returns
    -------
    float
    """
    if not isinstance(esn, EchoStateNetwork) or esn.input_size != 1:
        raise TypeError(f"esn: expected an EchoStateNetwork with input_size 1, got {esn!r}")
    series = check_array(series, "series", shape=(None,), legend="(L,)")
    train_len = check_positive_int(train_len, "train_len")
    horizon = check_positive_int(horizon, "horizon")
    trials = check_positive_int(trials, "trials")
    washout = check_positive_int(washout, "washout")
    if washout >= train_len - 1:
        raise ValueError(f"washout: expected fewer than train_len - 1 steps, got {washout}")
    room = len(series) - train_len - horizon + 1
    if room < trials:
        raise ValueError(
            f"series: expected at least {train_len + horizon + trials - 1} values, "
            f"got {len(series)}"
        )
    u = series[:, None]  # (L, 1)
    states = esn.run(u)  # (L, N): teacher-forced through the whole series, once
    fit = slice(washout, train_len - 1)  # predict u[t + 1] from the state after u[t]
    esn.fit_states(u[fit], states[fit], u[washout + 1 : train_len])
    starts = train_len + np.linspace(0, room - 1, trials).astype(int)
    predicted, actual = np.empty(trials), np.empty(trials)
    for i, s in enumerate(starts):  # s: index of the first value to forecast
        out = esn.generate(u[s - 1], states[s - 1], horizon)  # closed loop from step s - 1
        predicted[i], actual[i] = out[-1, 0], series[s + horizon - 1]
    return nrmse(predicted, actual, scale=float(np.std(series)))
