"""Tests for the Mackey-Glass generator and the echo state network."""

import numpy as np
import pytest

from rnnbook.analysis.echo_state import EchoStateNetwork, forecast_nrmse, nrmse
from rnnbook.tasks.mackey_glass import mackey_glass

# --- Mackey-Glass ---------------------------------------------------------------------


def test_mackey_glass_is_deterministic_bounded_and_quasi_periodic():
    x = mackey_glass(1500)
    assert x.shape == (1500,) and np.array_equal(x, mackey_glass(1500))
    assert 0.3 < x.min() < x.max() < 1.4
    # tau = 17: the autocorrelation peaks again after about 50 time units
    z = x - x.mean()
    ac = np.array([z[:-k] @ z[k:] for k in range(1, 80)]) / (z @ z)
    peak = 30 + int(np.argmax(ac[29:79]))  # lags 30..79
    assert 40 <= peak <= 60 and ac[peak - 1] > 0.5


def test_mackey_glass_integrates_the_equation():
    # the sampled series obeys dx/dt = beta x(t - tau) / (1 + x(t - tau)^10) - gamma x(t)
    dt, every = 0.1, 1
    x = mackey_glass(2000, dt=dt, sample_every=every, discard=0)
    lag = 170
    t = np.arange(lag + 1, len(x) - 1)
    dxdt = (x[t + 1] - x[t - 1]) / (2 * dt)  # central difference
    delayed = x[t - lag]
    rhs = 0.2 * delayed / (1 + delayed**10) - 0.1 * x[t]
    assert np.max(np.abs(dxdt - rhs)) < 1e-3


def test_mackey_glass_sampling_and_discard_are_consistent():
    fine = mackey_glass(100, sample_every=1, dt=0.1, discard=0)
    coarse = mackey_glass(10, sample_every=10, dt=0.1, discard=0)
    np.testing.assert_allclose(coarse, fine[9::10], rtol=0, atol=0)
    np.testing.assert_allclose(mackey_glass(5, discard=3), mackey_glass(8, discard=0)[3:])


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"n": 0}, ValueError),
        ({"n": 5, "tau": 17.05}, ValueError),  # tau / dt not whole
        ({"n": 5, "discard": -1}, ValueError),
        ({"n": 5, "dt": 0.0}, ValueError),
        ({"n": 2.5}, TypeError),
    ],
)
def test_mackey_glass_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        mackey_glass(**kwargs)


# --- echo state network ---------------------------------------------------------------


def test_reservoir_has_the_requested_spectral_radius_and_keeps_its_directions():
    esn = EchoStateNetwork(60, spectral_radius=0.7, rng=3)
    assert np.isclose(np.max(np.abs(np.linalg.eigvals(esn.W))), 0.7)
    W = esn.W.copy()
    esn.set_spectral_radius(1.4)
    np.testing.assert_allclose(esn.W, 2.0 * W)
    assert esn.W_out is None


def test_run_matches_the_leaky_update_written_out():
    esn = EchoStateNetwork(8, input_size=2, leak=0.4, rng=1)
    u = np.random.default_rng(0).standard_normal((5, 2))
    states = esn.run(u)
    x = np.zeros(8)
    for t in range(5):
        x = 0.6 * x + 0.4 * np.tanh(esn.W @ x + esn.W_in @ np.concatenate([[1.0], u[t]]))
        np.testing.assert_allclose(states[t], x, rtol=1e-12, atol=1e-14)


def test_contractive_reservoir_forgets_its_initial_state():
    # s_max(W) < 1 is sufficient for the echo state property
    esn = EchoStateNetwork(50, spectral_radius=1.0, rng=2)
    esn.W *= 0.95 / np.linalg.svd(esn.W, compute_uv=False)[0]
    u = np.random.default_rng(1).uniform(-1, 1, (200, 1))
    a = esn.run(u)
    b = esn.run(u, x0=np.random.default_rng(2).uniform(-1, 1, 50))
    assert np.linalg.norm(a[0] - b[0]) > 0.1 and np.linalg.norm(a[-1] - b[-1]) < 1e-8


def test_ridge_readout_matches_least_squares_and_learns_a_delay():
    esn = EchoStateNetwork(40, spectral_radius=0.9, leak=1.0, ridge=0.0, rng=4)
    u = np.random.default_rng(5).uniform(-0.5, 0.5, (400, 1))
    y = np.roll(u, 1, axis=0)  # y_t = u_{t-1}: needs one step of memory
    states = esn.fit(u, y, washout=20)
    Z = np.hstack([np.ones((380, 1)), u[20:], states[20:]])
    expected, *_ = np.linalg.lstsq(Z, y[20:], rcond=None)
    np.testing.assert_allclose(esn.W_out, expected.T, rtol=1e-6, atol=1e-8)
    assert nrmse(esn.readout(u, states)[20:], y[20:]) < 0.05


def test_generate_feeds_each_prediction_back():
    esn = EchoStateNetwork(30, rng=6)
    s = mackey_glass(400)[:, None]
    states = esn.fit(s[:-1], s[1:], washout=50)
    out = esn.generate(s[199], states[199], 3)
    first = esn.readout(s[199:200], states[199:200])[0]
    np.testing.assert_allclose(out[0], first)
    x = 0.7 * states[199] + 0.3 * np.tanh(esn.W @ states[199] + esn.W_in @ np.r_[1.0, out[0]])
    np.testing.assert_allclose(out[1], esn.W_out @ np.r_[1.0, out[0], x])


def test_forecast_nrmse_is_small_for_a_good_reservoir_and_large_without_memory():
    s = mackey_glass(1400)
    good = forecast_nrmse(EchoStateNetwork(150, spectral_radius=1.25, rng=0), s, 1000, 84, 10)
    weak = forecast_nrmse(EchoStateNetwork(150, spectral_radius=0.1, rng=0), s, 1000, 84, 10)
    assert good < 0.1 < weak


def test_nrmse():
    y = np.array([0.0, 1.0, 2.0, 3.0])
    assert nrmse(y, y) == 0.0
    assert np.isclose(nrmse(y + 1.0, y), 1.0 / np.std(y))
    with pytest.raises(ValueError, match="non-constant"):
        nrmse(y, np.ones(4))


@pytest.mark.parametrize(
    "kwargs, error",
    [
        ({"size": 0}, ValueError),
        ({"size": 10, "leak": 1.5}, ValueError),
        ({"size": 10, "spectral_radius": -1.0}, ValueError),
        ({"size": 10, "rng": "seed"}, TypeError),
    ],
)
def test_esn_rejects_bad_arguments(kwargs, error):
    with pytest.raises(error):
        EchoStateNetwork(**kwargs)


def test_esn_errors_name_what_was_expected():
    esn = EchoStateNetwork(10, rng=0)
    with pytest.raises(ValueError, match="fitted readout"):
        esn.readout(np.zeros((3, 1)), np.zeros((3, 10)))
    with pytest.raises(ValueError, match=r"\(T, D\)"):
        esn.run(np.zeros((3, 2)))
    with pytest.raises(ValueError, match="washout"):
        esn.fit(np.zeros((5, 1)), np.zeros((5, 1)), washout=5)
    with pytest.raises(ValueError, match="at least"):
        forecast_nrmse(esn, mackey_glass(150), 120, 84, 5, washout=10)
    with pytest.raises(TypeError, match="input_size 1"):
        forecast_nrmse(EchoStateNetwork(5, input_size=2, rng=0), mackey_glass(100), 50, 5, 2)
