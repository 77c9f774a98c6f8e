"""rnnbook.initialization against torch.nn.init, and what each scheme preserves."""

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import relative_error
from rnnbook.initialization import (
    SCHEMES,
    he_normal,
    identity,
    orthogonal,
    orthogonal_from_gaussian,
    propagate,
    recurrent_matrix,
    xavier_normal,
    xavier_uniform,
)
from rnnbook.models.initialization import init_recurrent_


@pytest.mark.parametrize("shape", [(5, 5), (3, 7), (8, 2)])
@pytest.mark.parametrize("gain", [1.0, 0.5])
def test_orthogonal_is_torch_orthogonal_from_the_same_sample(shape, gain):
    # torch.nn.init.orthogonal_ draws a (rows, cols) standard normal first: replay it.
    G = torch.empty(shape, dtype=torch.float64).normal_(
        0, 1, generator=torch.Generator().manual_seed(3)
    )
    expected = torch.empty(shape, dtype=torch.float64)
    torch.nn.init.orthogonal_(expected, gain=gain, generator=torch.Generator().manual_seed(3))
    ours = orthogonal_from_gaussian(G.numpy(), gain)
    assert relative_error(ours, expected.numpy()) <= 1e-9


@pytest.mark.parametrize("gain", [1.0, 1.3])
def test_orthogonal_preserves_norms(gain):
    W = orthogonal(16, 16, rng=0, gain=gain)
    np.testing.assert_allclose(W.T @ W, gain**2 * np.eye(16), atol=1e-12)
    np.testing.assert_allclose(np.linalg.svd(W, compute_uv=False), gain, rtol=1e-12)
    v = np.random.default_rng(1).standard_normal(16)
    assert np.linalg.norm(W @ v) == pytest.approx(gain * np.linalg.norm(v), rel=1e-12)
    tall = orthogonal(6, 3, rng=0)
    np.testing.assert_allclose(tall.T @ tall, np.eye(3), atol=1e-12)
    wide = orthogonal(3, 6, rng=0)
    np.testing.assert_allclose(wide @ wide.T, np.eye(3), atol=1e-12)


def _torch_sample(init, shape, **kwargs):
    w = torch.empty(shape, dtype=torch.float64)
    init(w, generator=torch.Generator().manual_seed(0), **kwargs)
    return w.numpy()


def test_xavier_uniform_has_torch_bound_and_variance():
    fan_out, fan_in, gain = 300, 200, 1.5
    ours = xavier_uniform(fan_out, fan_in, rng=0, gain=gain)
    theirs = _torch_sample(torch.nn.init.xavier_uniform_, (fan_out, fan_in), gain=gain)
    a = gain * np.sqrt(6 / (fan_in + fan_out))
    for w in (ours, theirs):
        assert w.shape == (fan_out, fan_in)
        assert np.abs(w).max() <= a
        assert np.abs(w).max() > 0.999 * a
        assert w.var() == pytest.approx(2 * gain**2 / (fan_in + fan_out), rel=0.02)


@pytest.mark.parametrize(
    ("ours_fn", "torch_fn", "kwargs", "expected_var"),
    [
        (xavier_normal, torch.nn.init.xavier_normal_, {"gain": 1.0}, 2 / (300 + 200)),
        (he_normal, torch.nn.init.kaiming_normal_, {}, 2 / 200),
    ],
)
def test_normal_schemes_match_torch_variance(ours_fn, torch_fn, kwargs, expected_var):
    ours = ours_fn(300, 200, rng=0, **kwargs)
    theirs = _torch_sample(torch_fn, (300, 200), **kwargs)
    for w in (ours, theirs):
        assert w.var() == pytest.approx(expected_var, rel=0.02)
        assert abs(w.mean()) < 0.1 * np.sqrt(expected_var)


def test_identity_and_recurrent_matrix():
    np.testing.assert_array_equal(identity(3, gain=0.5), 0.5 * np.eye(3))
    for scheme in SCHEMES:
        W = recurrent_matrix(scheme, 6, rng=0)
        assert W.shape == (6, 6)
        np.testing.assert_array_equal(W, recurrent_matrix(scheme, 6, rng=0))
    np.testing.assert_array_equal(recurrent_matrix("orthogonal", 6, rng=2), orthogonal(6, 6, rng=2))
    np.testing.assert_array_equal(recurrent_matrix("he_normal", 6, rng=2), he_normal(6, 6, rng=2))


def test_no_scheme_makes_weights_close_to_one():
    # The claim being corrected in the book: the typical weight is O(1/sqrt(H)).
    H = 128
    for scheme in ("xavier_uniform", "xavier_normal", "he_normal", "orthogonal"):
        W = recurrent_matrix(scheme, H, rng=0)
        assert np.abs(W).mean() < 0.15


def _blocks(weight, H):
    return [b.detach().numpy() for b in weight.split(H, dim=0)]


@pytest.mark.parametrize("module_cls", [torch.nn.RNN, torch.nn.LSTM, torch.nn.GRU])
def test_init_recurrent_works_per_gate_block(module_cls):
    H = 6
    module = module_cls(3, H, num_layers=2, batch_first=True, dtype=torch.float64)
    before = {n: p.detach().clone() for n, p in module.named_parameters()}
    init_recurrent_(module, "orthogonal", generator=0)
    for name, p in module.named_parameters():
        if name.startswith("weight_hh"):
            for block in _blocks(p, H):
                np.testing.assert_allclose(block.T @ block, np.eye(H), atol=1e-12)
        else:
            assert torch.equal(p, before[name]), name  # input weights and biases untouched
    init_recurrent_(module, "identity", generator=0, gain=0.9)
    for block in _blocks(module.weight_hh_l1, H):
        np.testing.assert_array_equal(block, 0.9 * np.eye(H))


def test_init_recurrent_is_seeded_and_he_has_the_right_scale():
    a = torch.nn.RNN(2, 64, batch_first=True, dtype=torch.float64)
    b = torch.nn.RNN(2, 64, batch_first=True, dtype=torch.float64)
    init_recurrent_(a, "he_normal", generator=5)
    init_recurrent_(b, "he_normal", generator=torch.Generator().manual_seed(5))
    assert torch.equal(a.weight_hh_l0, b.weight_hh_l0)
    assert a.weight_hh_l0.var().item() == pytest.approx(2 / 64, rel=0.05)
    init_recurrent_(b, "xavier_uniform", generator=6)
    assert b.weight_hh_l0.abs().max().item() <= np.sqrt(6 / 128)


@pytest.mark.parametrize("nonlinearity", ["linear", "tanh", "relu"])
def test_propagate_gradients_match_torch_autograd(nonlinearity):
    rng = np.random.default_rng(0)
    Ws = [rng.standard_normal((5, 5)) / np.sqrt(5) for _ in range(4)]
    h0 = rng.standard_normal((3, 5))
    act_var, grad_var = propagate(Ws, h0, nonlinearity)
    h = torch.tensor(h0, requires_grad=True)
    act = {"linear": lambda a: a, "tanh": torch.tanh, "relu": torch.relu}[nonlinearity]
    hs, out = [h], h
    for W in Ws:
        out = act(out @ torch.tensor(W).T)
        out.retain_grad()
        hs.append(out)
    g_top = torch.tensor(np.random.default_rng(0).standard_normal((3, 5)))
    (out * g_top).sum().backward()
    expected_grad = [float((t.grad**2).mean()) for t in hs]
    expected_act = [float(t.detach().var(unbiased=False)) for t in hs]
    np.testing.assert_allclose(grad_var, expected_grad, rtol=1e-10)
    np.testing.assert_allclose(act_var, expected_act, rtol=1e-10)


def test_what_the_schemes_preserve():
    H, L = 256, 20
    h0 = np.random.default_rng(1).standard_normal((64, H))
    # Orthogonal, linear: every row's norm, so the mean square, exactly.
    W = orthogonal(H, H, rng=0)
    _, grad = propagate([W] * L, h0, "linear")
    h_L = h0 @ np.linalg.matrix_power(W, L).T  # (B, H)
    np.testing.assert_allclose(np.linalg.norm(h_L, axis=1), np.linalg.norm(h0, axis=1), rtol=1e-10)
    assert grad[0] == pytest.approx(grad[-1], rel=1e-10)
    # He with ReLU keeps the activation scale over fresh layers; Xavier with ReLU halves it.
    he = [he_normal(H, H, rng=i) for i in range(L)]
    xavier = [xavier_normal(H, H, rng=i) for i in range(L)]
    act_he, _ = propagate(he, h0, "relu")
    act_x, _ = propagate(xavier, h0, "relu")
    assert 0.2 < act_he[-1] / act_he[1] < 5
    assert act_x[-1] / act_x[1] < 1e-3


def test_errors():
    with pytest.raises(ValueError, match=r"fan_out: expected a positive integer, got 0"):
        xavier_uniform(0, 3, rng=0)
    with pytest.raises(ValueError, match=r"gain: expected a finite number > 0, got -1.0"):
        orthogonal(3, 3, rng=0, gain=-1.0)
    with pytest.raises(ValueError, match=r"scheme: expected one of \('xavier_uniform'"):
        recurrent_matrix("lecun", 3, rng=0)
    with pytest.raises(TypeError, match=r"module: expected torch.nn.RNN, LSTM or GRU, got Linear"):
        init_recurrent_(torch.nn.Linear(2, 2), "orthogonal", generator=0)
    with pytest.raises(
        TypeError,
        match=r"generator: expected a torch.Generator or an int seed, got str",
    ):
        init_recurrent_(torch.nn.RNN(2, 2), "orthogonal", generator="0")
    with pytest.raises(ValueError, match=r"weights: expected at least one"):
        propagate([], np.ones((2, 2)))
    with pytest.raises(
        ValueError,
        match=r"weights\[1\]: expected shape \(2, 2\) \(H, H\), got \(3, 3\)",
    ):
        propagate([np.eye(2), np.eye(3)], np.ones((4, 2)))
    with pytest.raises(
        ValueError,
        match=r"nonlinearity: expected one of \('linear', 'tanh', 'relu'\)",
    ):
        propagate([np.eye(2)], np.ones((4, 2)), "sigmoid")
