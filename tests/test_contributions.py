"""rnnbook.analysis.contributions and .profiling: the gradient as a sum over time, and its cost."""

import numpy as np
import pytest

from rnnbook.analysis.contributions import (
    contribution_norms,
    temporal_contributions,
    truncation_mask,
)
from rnnbook.analysis.jacobians import product, step_jacobians
from rnnbook.analysis.profiling import measure
from rnnbook.gradcheck import relative_error
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.truncated_bptt import tbptt_windows, truncated_bptt

B, T, D, H = 2, 9, 3, 4


def _setup(seed=0, nonlinearity="tanh", bias=True):
    rng = np.random.default_rng(seed)
    layer = RNN(D, H, nonlinearity=nonlinearity, bias=bias, rng=rng)
    layer.params["weight_hh_l0"] *= 3.0  # larger weights: more varied Jacobians
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    d_hs = rng.standard_normal((B, T, H))
    layer.forward(x, h0)
    return layer, x, h0, d_hs


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_contributions_sum_to_the_bptt_gradient(nonlinearity, bias):
    layer, x, h0, d_hs = _setup(4, nonlinearity, bias)
    contributions = temporal_contributions(layer, d_hs)
    layer.backward(d_hs)
    assert contributions.keys() == layer.params.keys()
    for name, c in contributions.items():
        assert c.shape == (T, T, *layer.params[name].shape)
        assert relative_error(c.sum(axis=(0, 1)), layer.grads[name]) < 1e-12, name
        upper = np.triu(np.ones((T, T), dtype=bool), k=1)
        assert (c[upper] == 0).all()  # no step contributes to an earlier loss


def test_each_contribution_is_the_three_factor_product():
    # C_{t,k} = dL_t/dh_t . dh_t/dh_k . d+h_k/dW_hh, for one sequence, written with matrices.
    layer, x, h0, d_hs = _setup(5)
    layer.forward(x[:1], h0[:, :1])
    contributions = temporal_contributions(layer, d_hs[:1])["weight_hh_l0"]
    hs = layer.states[0]  # (T, H)
    J = step_jacobians(layer, x[:1], h0[:, :1])
    for t, k in [(9, 1), (6, 6), (5, 2)]:
        v = d_hs[0, t - 1] @ product(J, t, k)  # (H,)
        sigma_prime = 1 - hs[k - 1] ** 2
        h_prev = h0[0, 0] if k == 1 else hs[k - 2]
        # d+h_k/dW_hh[i, j] = σ'(a_k)_i h_{k-1, j} e_i: contracting with v gives an outer product
        expected = np.outer(v * sigma_prime, h_prev)
        assert relative_error(contributions[t - 1, k - 1], expected) < 1e-12


@pytest.mark.parametrize(("k1", "k2"), [(1, 1), (3, 3), (2, 5), (4, 6)])
def test_truncated_gradient_is_the_masked_sum_of_contributions(k1, k2):
    layer, x, h0, d_hs = _setup(6)
    contributions = temporal_contributions(layer, d_hs)

    def loss_fn(out, a, b):
        return float(np.sum(out * d_hs[:, a:b])), d_hs[:, a:b].copy(), {}

    totals = {n: np.zeros_like(p) for n, p in layer.params.items()}
    for u in truncated_bptt(layer, x, k1, k2, loss_fn, h0):  # no updates in between
        for n in totals:
            totals[n] += u.grads[n]
    mask = truncation_mask(tbptt_windows(T, k1, k2), T)
    assert mask.shape == (T, T) and not np.triu(mask, k=1).any()
    assert mask.diagonal().all()  # every loss reaches its own step
    for name, c in contributions.items():
        assert relative_error(totals[name], c[mask].sum(axis=0)) < 1e-12, name
    if k2 < T:
        dropped = c[~mask & np.tril(np.ones((T, T), dtype=bool))]
        assert np.abs(dropped).max() > 0  # something was really cut


def test_contribution_norms():
    layer, _, _, d_hs = _setup(7)
    c = temporal_contributions(layer, d_hs)["weight_hh_l0"]
    norms = contribution_norms(c)
    assert norms.shape == (T, T)
    assert norms[5, 2] == pytest.approx(np.linalg.norm(c[5, 2]))
    with pytest.raises(ValueError, match=r"contributions: expected shape \(T, T, \.\.\.\)"):
        contribution_norms(np.zeros((3, 4, 2)))


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
    layer, _, _, d_hs = _setup()
    with pytest.raises(ValueError, match=r"d_hs: expected shape \(2, 9, 4\) \(B, T, H\)"):
        temporal_contributions(layer, d_hs[:, :-1])
    with pytest.raises(TypeError, match="layer: expected a scratch RNN, got dict"):
        temporal_contributions({}, d_hs)
    with pytest.raises(TypeError, match="windows: expected a non-empty list of Window"):
        truncation_mask([], 5)
