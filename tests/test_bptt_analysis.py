"""rnnbook.bptt_analysis: Jacobians, the gradient as a sum over time, truncation masks, cost."""

import numpy as np
import pytest
import torch

from rnnbook.bptt_analysis import (
    cache_nbytes,
    contribution_norms,
    measure,
    state_jacobian,
    step_jacobians,
    temporal_contributions,
    truncation_mask,
)
from rnnbook.gradcheck import relative_error
from rnnbook.scratch.rnn import RNN, rnn_backward, rnn_forward
from rnnbook.scratch.truncated_bptt import tbptt_windows, truncated_bptt

B, T, D, H = 2, 9, 3, 4


def _setup(seed=0, nonlinearity="tanh", bias=True):
    rng = np.random.default_rng(seed)
    params = RNN(D, H, nonlinearity=nonlinearity, bias=bias, rng=rng).params
    params["weight_hh_l0"] *= 3.0  # larger weights: more varied Jacobians
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    hs, cache = rnn_forward(params, x, h0, nonlinearity)
    d_hs = rng.standard_normal((B, T, H))
    return params, x, h0, cache, d_hs


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize(("t", "k"), [(1, 0), (5, 2), (9, 0), (4, 4)])
def test_state_jacobian_matches_torch_autograd(t, k, nonlinearity):
    params, x, h0, cache, _ = _setup(1, nonlinearity)
    b = 1
    module = RNN(D, H, nonlinearity=nonlinearity, rng=0)
    module.params = params
    t_module = module.to_torch()
    h_k = torch.tensor(h0[b] if k == 0 else cache.hs[b, k - 1])
    x_suffix = torch.tensor(x[b : b + 1, k:t])

    def h_t_of_h_k(h):
        if t == k:
            return h
        out, _ = t_module(x_suffix, h[None, None])
        return out[0, -1]

    expected = torch.autograd.functional.jacobian(h_t_of_h_k, h_k).numpy()
    got = state_jacobian(params, cache, t, k, b)
    assert got.shape == (H, H)
    assert relative_error(got, expected) <= 1e-9


def test_state_jacobian_rows_by_backpropagating_unit_vectors():
    # The tip from the chapter: run the suffix from h_k with rnn_forward, send e_i back.
    params, x, h0, cache, _ = _setup(2)
    t, k, b = 7, 3, 0
    J = state_jacobian(params, cache, t, k, b)
    hs_suffix, suffix_cache = rnn_forward(params, x[b : b + 1, k:t], cache.hs[b : b + 1, k - 1])
    assert np.allclose(hs_suffix[0, -1], cache.hs[b, t - 1])
    for i in range(H):
        d_hs = np.zeros_like(hs_suffix)
        d_hs[0, -1, i] = 1.0
        _, dh_k, _ = rnn_backward(params, suffix_cache, d_hs)
        assert relative_error(dh_k[0], J[i]) <= 1e-12


def test_step_jacobians_are_diag_phi_prime_times_W():
    params, _, _, cache, _ = _setup(3)
    J = step_jacobians(params, cache, b=1)
    assert J.shape == (T, H, H)
    t = 4
    expected = np.diag(1 - cache.hs[1, t - 1] ** 2) @ params["weight_hh_l0"]
    np.testing.assert_allclose(J[t - 1], expected, rtol=1e-14)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_contributions_sum_to_the_bptt_gradient(nonlinearity, bias):
    params, _, _, cache, d_hs = _setup(4, nonlinearity, bias)
    _, _, grads = rnn_backward(params, cache, d_hs)
    contributions = temporal_contributions(params, cache, d_hs)
    assert contributions.keys() == params.keys()
    for name, c in contributions.items():
        assert c.shape == (T, T, *params[name].shape)
        assert relative_error(c.sum(axis=(0, 1)), grads[name]) < 1e-12, name
        upper = np.triu(np.ones((T, T), dtype=bool), k=1)
        assert (c[upper] == 0).all()  # no step contributes to an earlier loss


def test_each_contribution_is_the_three_factor_product():
    # C_{t,k} = dL_t/dh_t . dh_t/dh_k . d+h_k/dW_hh, for one sequence, written with matrices.
    params, x, h0, cache, d_hs = _setup(5)
    cache1 = cache._replace(x=x[:1], h0=h0[:1], hs=cache.hs[:1])
    contributions = temporal_contributions(params, cache1, d_hs[:1])["weight_hh_l0"]
    for t, k in [(9, 1), (6, 6), (5, 2)]:
        v = d_hs[0, t - 1] @ state_jacobian(params, cache1, t, k)  # (H,)
        phi_prime = 1 - cache1.hs[0, k - 1] ** 2
        h_prev = h0[0] if k == 1 else cache1.hs[0, k - 2]
        # d+h_k/dW_hh[i, j] = phi'(a_k)_i h_{k-1, j} e_i: contracting with v gives an outer product
        expected = np.outer(v * phi_prime, h_prev)
        assert relative_error(contributions[t - 1, k - 1], expected) < 1e-12


@pytest.mark.parametrize(("k1", "k2"), [(1, 1), (3, 3), (2, 5), (4, 6)])
def test_truncated_gradient_is_the_masked_sum_of_contributions(k1, k2):
    params, x, h0, cache, d_hs = _setup(6)
    contributions = temporal_contributions(params, cache, d_hs)

    def loss_fn(hs, a, b):
        return float(np.sum(hs * d_hs[:, a:b])), d_hs[:, a:b].copy(), {}

    updates = list(truncated_bptt(params, x, k1, k2, loss_fn, h0))
    mask = truncation_mask(tbptt_windows(T, k1, k2), T)
    assert mask.shape == (T, T) and not np.triu(mask, k=1).any()
    assert mask.diagonal().all()  # every loss reaches its own step
    for name, c in contributions.items():
        kept = c[mask].sum(axis=0)
        truncated = sum(u.grads[name] for u in updates)
        assert relative_error(truncated, kept) < 1e-12, name
    if k2 < T:
        dropped = c[~mask & np.tril(np.ones((T, T), dtype=bool))]
        assert np.abs(dropped).max() > 0  # something was really cut


def test_contribution_norms():
    params, _, _, cache, d_hs = _setup(7)
    c = temporal_contributions(params, cache, d_hs)["weight_hh_l0"]
    norms = contribution_norms(c)
    assert norms.shape == (T, T)
    assert norms[5, 2] == pytest.approx(np.linalg.norm(c[5, 2]))
    with pytest.raises(ValueError, match=r"contributions: expected shape \(T, T, \.\.\.\)"):
        contribution_norms(np.zeros((3, 4, 2)))


def test_cache_nbytes_is_exact_and_linear_in_T():
    params, x, h0, cache, _ = _setup(8)
    assert cache_nbytes(cache) == x.nbytes + h0.nbytes + cache.hs.nbytes
    sizes = []
    for T_ in (10, 20, 40):
        _, c = rnn_forward(params, np.zeros((B, T_, D)), h0)
        sizes.append(cache_nbytes(c))
    assert sizes[2] - sizes[1] == 2 * (sizes[1] - sizes[0]) == 2 * 10 * B * (D + H) * 8
    assert cache_nbytes({"a": np.zeros(3), "b": [np.zeros(2, dtype=np.float32)], "c": "x"}) == 32


def test_measure_sees_an_allocation():
    def allocate():
        a = np.ones(1_000_000)  # 8 MB
        return float(a.sum())

    m = measure(allocate, repeat=2)
    assert m.seconds > 0
    assert 8_000_000 <= m.peak_bytes < 9_000_000
    with pytest.raises(TypeError, match="fn: expected a callable"):
        measure(3)


def test_errors():
    params, _, _, cache, d_hs = _setup()
    with pytest.raises(ValueError, match=r"t, k: expected 0 <= k <= t <= T = 9, got t = 3, k = 4"):
        state_jacobian(params, cache, 3, 4)
    with pytest.raises(ValueError, match=r"b: expected an index in \[0, 2\), got 2"):
        step_jacobians(params, cache, b=2)
    with pytest.raises(TypeError, match="cache: expected an RNNCache, got dict"):
        step_jacobians(params, {})
    with pytest.raises(ValueError, match=r"d_hs: expected shape \(2, 9, 4\) \(B, T, H\)"):
        temporal_contributions(params, cache, d_hs[:, :-1])
    with pytest.raises(TypeError, match="windows: expected a non-empty list of Window"):
        truncation_mask([], 5)
