"""rnnbook.gradient_flow: Jacobians through time against torch autograd and finite differences."""

import numpy as np
import pytest
import torch

from rnnbook.analysis.gradient_flow import (
    GAMMA,
    eigen_states,
    fit_rate,
    linear_states,
    pascanu_bound,
    random_recurrent_matrix,
    singular_values,
    spectral_radius,
)
from rnnbook.analysis.jacobians import (
    gradient_norms_by_lag,
    jacobian_norms,
    pascanu_regularizer,
    state_jacobians,
)
from rnnbook.gradcheck import numerical_gradient, relative_error
from rnnbook.scratch import RNN


def _layer_and_data(B=2, T=6, D=3, H=4, nonlinearity="tanh", seed=0, rho=None):
    rng = np.random.default_rng(seed)
    layer = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    if rho is not None:
        layer.params["weight_hh_l0"] = random_recurrent_matrix(H, rho, rng)
    x = rng.standard_normal((B, T, D))
    h0 = 0.5 * rng.standard_normal((B, H))
    return layer, x, h0


def _as(layer, nonlinearity):
    layer.nonlinearity = nonlinearity  # the same weights with other units
    return layer


def _torch_final_state(params, x_suffix, h_k, nonlinearity):
    """h_T as a torch function of h_k, running the recurrence over x[:, k:]."""
    W_ih, W_hh = torch.tensor(params["weight_ih_l0"]), torch.tensor(params["weight_hh_l0"])
    bias = torch.tensor(params["bias_ih_l0"] + params["bias_hh_l0"])
    h = h_k
    for t in range(x_suffix.shape[1]):
        a = torch.tensor(x_suffix[:, t]) @ W_ih.T + bias + h @ W_hh.T
        h = {"tanh": torch.tanh, "relu": torch.relu, "identity": lambda v: v}[nonlinearity](a)
    return h


@pytest.mark.parametrize("nonlinearity", ["identity", "tanh", "relu"])
@pytest.mark.parametrize("shape", [(1, 1, 1, 1), (2, 6, 3, 4), (3, 9, 2, 5)])
def test_jacobians_match_torch_autograd(nonlinearity, shape):
    B, T, D, H = shape
    layer, x, h0 = _layer_and_data(B, T, D, H, nonlinearity, seed=sum(shape))
    J = state_jacobians(layer, x, h0[None])
    assert J.shape == (B, T + 1, H, H)
    if nonlinearity == "identity":
        states = [torch.tensor(h0)]
        for t in range(T):
            states.append(_torch_final_state(layer.params, x[:, t : t + 1], states[-1], "identity"))
    else:
        hs = layer.forward(x, h0[None])[0]
        states = [torch.tensor(h0)] + [torch.tensor(hs[:, t]) for t in range(T)]
    for k in range(T + 1):
        for b in range(B):

            def final(h_k, b=b, k=k):
                return _torch_final_state(layer.params, x[b : b + 1, k:], h_k[None], nonlinearity)[
                    0
                ]

            expected = torch.autograd.functional.jacobian(final, states[k][b]).numpy()
            assert relative_error(J[b, k], expected) <= 1e-7, (k, b)
    np.testing.assert_array_equal(J[:, T], np.broadcast_to(np.eye(H), (B, H, H)))


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_jacobian_rows_match_finite_differences(nonlinearity):
    layer, x, h0 = _layer_and_data(B=1, T=7, D=2, H=3, nonlinearity=nonlinearity, seed=5)
    J = state_jacobians(layer, x, h0[None])
    hs = layer.forward(x, h0[None])[0]
    v = np.random.default_rng(6).standard_normal(3)
    for k in (0, 3, 6):
        h_k = (h0 if k == 0 else hs[:, k - 1]).copy()  # (1, H), perturbed in place below

        def loss(h_k=h_k, k=k):
            out = layer.forward(x[:, k:], h_k[None])[0]
            return float(out[0, -1] @ v)

        assert relative_error(v @ J[0, k], numerical_gradient(loss, h_k)[0]) < 1e-6


def test_linear_jacobians_are_matrix_powers():
    layer, x, h0 = _layer_and_data(B=1, T=5, D=2, H=4, nonlinearity="identity", seed=1)
    W = layer.params["weight_hh_l0"]
    J = state_jacobians(layer, x, h0[None])
    for k in range(6):
        np.testing.assert_allclose(J[0, k], np.linalg.matrix_power(W, 5 - k), rtol=1e-12)


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_norms_of_a_scaled_orthogonal_matrix_are_exact_powers(rho):
    layer, x, h0 = _layer_and_data(B=2, T=12, D=2, H=5, nonlinearity="identity", seed=2)
    layer.params["weight_hh_l0"] = random_recurrent_matrix(5, rho, rng=3, kind="orthogonal")
    lags, norms = gradient_norms_by_lag(_as(layer, "identity"), x, h0[None])
    np.testing.assert_array_equal(lags, np.arange(13))
    assert norms.shape == (2, 13)
    np.testing.assert_allclose(
        norms, np.broadcast_to(rho ** lags.astype(float), (2, 13)), rtol=1e-10
    )
    assert fit_rate(lags, norms) == pytest.approx(rho, rel=1e-10)


@pytest.mark.parametrize("nonlinearity", ["identity", "tanh", "relu"])
@pytest.mark.parametrize("rho", [0.5, 1.0, 1.5])
def test_measured_norms_respect_the_pascanu_bound(nonlinearity, rho):
    layer, x, h0 = _layer_and_data(B=3, T=15, D=2, H=6, nonlinearity=nonlinearity, seed=4, rho=rho)
    lags, norms = gradient_norms_by_lag(_as(layer, nonlinearity), x, h0[None])
    bound = pascanu_bound(layer.params["weight_hh_l0"], nonlinearity, lags)
    assert np.all(norms <= bound * (1 + 1e-10))
    s_max = singular_values(layer.params["weight_hh_l0"])[0]
    np.testing.assert_allclose(bound, s_max ** lags.astype(float), rtol=1e-12)


def test_sigmoid_bound_uses_gamma_one_quarter():
    W = 3.0 * np.eye(2)
    np.testing.assert_allclose(pascanu_bound(W, "sigmoid", np.arange(4)), 0.75 ** np.arange(4))
    assert GAMMA["sigmoid"] == 0.25 and GAMMA["tanh"] == 1.0


def test_saturated_tanh_vanishes_although_w_is_large():
    # The scalar intuition "w > 1 explodes" fails for tanh: the state saturates.
    layer, x, h0 = _layer_and_data(B=2, T=30, D=1, H=3, nonlinearity="tanh", seed=7)
    layer.params["weight_hh_l0"] = 3.0 * np.eye(3)
    lags, norms = gradient_norms_by_lag(_as(layer, "tanh"), x, h0[None])
    assert fit_rate(lags, norms, min_lag=5) < 0.5
    _, linear = gradient_norms_by_lag(_as(layer, "identity"), x, h0[None])
    assert fit_rate(lags, linear) == pytest.approx(3.0, rel=1e-10)


def test_fit_rate_recovers_a_known_rate_and_skips_zeros():
    lags = np.arange(20)
    norms = 2.0 * 0.8**lags
    assert fit_rate(lags, norms) == pytest.approx(0.8, rel=1e-12)
    norms_with_zero = norms.copy()
    norms_with_zero[-3:] = 0.0  # underflow: excluded, not a crash
    assert fit_rate(lags, norms_with_zero) == pytest.approx(0.8, rel=1e-12)
    batch = np.stack([norms, 4.0 * norms])  # geometric mean keeps the rate
    assert fit_rate(lags, batch) == pytest.approx(0.8, rel=1e-12)
    transient = norms.copy()
    transient[:3] = 100.0
    assert fit_rate(lags, transient, min_lag=3) == pytest.approx(0.8, rel=1e-12)


@pytest.mark.parametrize("kind", ["gaussian", "orthogonal", "symmetric"])
@pytest.mark.parametrize("rho", [0.5, 1.1])
def test_random_recurrent_matrix(kind, rho):
    W = random_recurrent_matrix(8, rho, rng=0, kind=kind)
    assert W.shape == (8, 8)
    assert spectral_radius(W) == pytest.approx(rho, rel=1e-10)
    np.testing.assert_array_equal(W, random_recurrent_matrix(8, rho, rng=0, kind=kind))
    s = singular_values(W)
    if kind == "orthogonal":
        np.testing.assert_allclose(s, rho, rtol=1e-12)
    elif kind == "symmetric":
        np.testing.assert_allclose(W, W.T, atol=1e-14)
        np.testing.assert_allclose(s[0], rho, rtol=1e-12)
    else:
        assert s[0] > 1.2 * rho  # non-normal: the norm exceeds the spectral radius


def test_eigen_states_match_the_iteration():
    W = random_recurrent_matrix(5, 1.2, rng=1, kind="symmetric")
    h0 = np.random.default_rng(2).standard_normal(5)
    hs, coords = eigen_states(W, h0, 10)
    np.testing.assert_allclose(hs, linear_states(W, h0, 10), rtol=1e-9, atol=1e-12)
    lam = np.linalg.eigvalsh(W)
    np.testing.assert_allclose(coords[10], lam**10 * coords[0], rtol=1e-12)


def test_jacobian_norms_are_spectral_norms():
    J = np.random.default_rng(0).standard_normal((3, 4, 4))
    np.testing.assert_allclose(jacobian_norms(J), [np.linalg.svd(m)[1][0] for m in J], rtol=1e-12)


@pytest.mark.parametrize("nonlinearity", ["identity", "tanh", "relu"])
def test_regularizer_norms_follow_the_jacobians(nonlinearity):
    layer, x, h0 = _layer_and_data(B=2, T=8, D=3, H=4, nonlinearity=nonlinearity, seed=8)
    g_T = np.random.default_rng(9).standard_normal((2, 4))
    omega, norms = pascanu_regularizer(_as(layer, nonlinearity), x, g_T, h0[None])
    J = state_jacobians(layer, x, h0[None])
    expected = np.linalg.norm(np.einsum("bi,bkij->bkj", g_T, J), axis=2)  # (B, T + 1)
    np.testing.assert_allclose(norms, expected, rtol=1e-10)
    ratios = np.divide(norms[:, :-1], norms[:, 1:], out=np.zeros((2, 8)), where=norms[:, 1:] > 0)
    assert omega == pytest.approx(np.mean(np.sum((ratios - 1) ** 2, axis=1)), rel=1e-12)


@pytest.mark.parametrize("rho", [0.5, 1.0, 2.0])
def test_regularizer_is_zero_only_when_every_step_keeps_the_norm(rho):
    layer, x, h0 = _layer_and_data(B=2, T=10, D=2, H=5, nonlinearity="identity", seed=10)
    layer.params["weight_hh_l0"] = random_recurrent_matrix(5, rho, rng=0, kind="orthogonal")
    g_T = np.random.default_rng(1).standard_normal((2, 5))
    omega, _ = pascanu_regularizer(_as(layer, "identity"), x, g_T, h0[None])
    assert omega == pytest.approx(10 * (rho - 1) ** 2, abs=1e-12)
    omega_zero, _ = pascanu_regularizer(_as(layer, "identity"), x, np.zeros((2, 5)), h0[None])
    assert omega_zero == 10.0  # a gradient that is exactly 0 has ratio 0 at every step


# --- errors at the boundary -------------------------------------------------------------


def test_errors():
    layer, x, h0 = _layer_and_data()
    with pytest.raises(ValueError, match=r"nonlinearity: expected one of .*, got 'linear'"):
        RNN(3, 4, nonlinearity="linear")
    with pytest.raises(
        ValueError,
        match=r"x: expected shape \(\*, \*, 3\) \(B, T, D\), got \(2, 6, 2\)",
    ):
        state_jacobians(layer, x[..., :2], h0[None])
    with pytest.raises(ValueError, match=r"h0: expected shape \(1, 2, 4\) \(1, B, H\), got"):
        state_jacobians(layer, x, h0[:1][None])
    with pytest.raises(ValueError, match=r"x: expected at least one sequence and one step"):
        state_jacobians(layer, x[:, :0], h0[None])
    with pytest.raises(TypeError, match=r"layer: expected a numpy RecurrentLayer, got dict"):
        state_jacobians({"w": np.eye(2)}, x, h0[None])
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match=r"x: expected finite values"):
        state_jacobians(layer, bad, h0[None])
    with pytest.raises(
        ValueError,
        match=r"W: expected a non-empty square matrix \(H, H\), got shape \(2, 3\)",
    ):
        spectral_radius(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"W: expected a symmetric matrix"):
        eigen_states(np.array([[0.0, 1.0], [0.0, 0.0]]), np.ones(2), 3)
    with pytest.raises(
        ValueError,
        match=r"spectral_radius: expected a finite number > 0, got -1.0",
    ):
        random_recurrent_matrix(3, -1.0, rng=0)
    with pytest.raises(
        ValueError,
        match=r"kind: expected one of \('gaussian', 'orthogonal', 'symmetric'\)",
    ):
        random_recurrent_matrix(3, 1.0, rng=0, kind="uniform")
    with pytest.raises(ValueError, match=r"lags: expected a 1-D array of integers >= 0"):
        pascanu_bound(np.eye(2), "tanh", np.array([0.5]))
    with pytest.raises(ValueError, match=r"lags and norms: expected shapes \(L,\)"):
        fit_rate(np.arange(3), np.ones(4))
    with pytest.raises(ValueError, match=r"norms: expected at least two positive, finite norms"):
        fit_rate(np.arange(3), np.zeros(3))
    with pytest.raises(ValueError, match=r"min_lag: expected an integer >= 0, got -1"):
        fit_rate(np.arange(3), np.ones(3), min_lag=-1)
    with pytest.raises(ValueError, match=r"d_state_last: expected shape \(2, 4\) \(B, S\)"):
        pascanu_regularizer(layer, x, np.ones((2, 3)), h0[None])
    with pytest.raises(ValueError, match=r"J: expected finite values"):
        jacobian_norms(np.full((2, 2), np.inf))
    with pytest.raises(ValueError, match=r"h0: expected shape \(3\) \(H,\), got \(2,\)"):
        linear_states(np.eye(3), np.ones(2), 4)


# --- any cell: the LSTM's two-part state ---------------------------------------------------


@pytest.mark.parametrize("k", [0, 2, 4])
def test_lstm_state_jacobians_match_torch_autograd(k):
    from rnnbook.scratch.lstm import LSTM

    rng = np.random.default_rng(11)
    B_, T_, D_, H_ = 2, 5, 3, 4
    layer = LSTM(D_, H_, rng=rng)
    x = rng.standard_normal((B_, T_, D_))
    h0, c0 = rng.standard_normal((1, B_, H_)), rng.standard_normal((1, B_, H_))
    J = state_jacobians(layer, x, (h0, c0))  # (B, T + 1, 2H, 2H)
    assert J.shape == (B_, T_ + 1, 2 * H_, 2 * H_)
    module = layer.to_torch()
    states = [(torch.tensor(h0[0]), torch.tensor(c0[0]))]
    for t in range(T_):  # the states torch reaches, step by step
        _, (h, c) = module(
            torch.tensor(x[:, t : t + 1]), (states[-1][0][None], states[-1][1][None])
        )
        states.append((h[0].detach(), c[0].detach()))
    for b in range(B_):

        def final(s, b=b):
            h, c = s[:H_][None, None], s[H_:][None, None]
            _, (h_T, c_T) = module(torch.tensor(x[b : b + 1, k:]), (h, c))
            return torch.cat([h_T[0, 0], c_T[0, 0]])

        s_k = torch.cat([states[k][0][b], states[k][1][b]])
        expected = torch.autograd.functional.jacobian(final, s_k).numpy()
        assert relative_error(J[b, k], expected) <= 1e-9
    lags, norms = gradient_norms_by_lag(layer, x, (h0, c0), part=1)  # ‖∂c_T/∂c_{T-l}‖
    assert norms.shape == (B_, T_ + 1) and np.allclose(norms[:, 0], 1.0)
