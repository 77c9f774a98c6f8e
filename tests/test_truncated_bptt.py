"""Truncated BPTT(k1, k2): its schedule, its equality with full BPTT, and torch parity."""

import itertools

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import relative_error
from rnnbook.optim import SGD
from rnnbook.scratch.rnn import RNN, rnn_backward, rnn_forward
from rnnbook.scratch.truncated_bptt import Window, tbptt_windows, truncated_bptt

B, T, D, H = 2, 13, 3, 4


def _setup(seed=0, nonlinearity="tanh"):
    rng = np.random.default_rng(seed)
    layer = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((B, H))
    G = rng.standard_normal((B, T, H))  # the loss is sum_t <h_t, G_t>: dL_t/dh_t = G_t
    return layer.params, x, h0, G


def _projection_loss(G):
    def loss_fn(hs, loss_start, stop):
        g = G[:, loss_start:stop]
        return float(np.sum(hs * g)), g.copy(), {}

    return loss_fn


def test_windows_of_an_example():
    assert tbptt_windows(10, 3, 5) == [
        Window(0, 0, 3),
        Window(1, 3, 6),
        Window(4, 6, 9),
        Window(7, 9, 10),
    ]
    assert tbptt_windows(10, 4, 4) == [Window(0, 0, 4), Window(4, 4, 8), Window(8, 8, 10)]
    assert tbptt_windows(5, 7, 9) == [Window(0, 0, 5)]


@pytest.mark.parametrize(("T_", "k1", "k2"), [(1, 1, 1), (10, 1, 1), (17, 3, 8), (20, 5, 5)])
def test_windows_tile_the_stream(T_, k1, k2):
    windows = tbptt_windows(T_, k1, k2)
    assert next(w.loss_start for w in windows) == 0 and windows[-1].stop == T_
    for a, b in itertools.pairwise(windows):
        assert a.stop == b.loss_start  # every loss exactly once
        assert a.start <= b.start  # starts only move forward
    for w in windows:
        assert 0 <= w.start <= w.loss_start < w.stop
        assert w.stop - w.loss_start <= k1
        assert w.stored_steps <= k2
        assert w.loss_start - w.start == min(k2 - k1, w.loss_start)
    if k1 == k2:
        assert all(w.start == w.loss_start for w in windows)  # no overlap: each step once


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("k", [T, T + 7])
def test_k_at_least_T_is_full_bptt_exactly(k, nonlinearity):
    params, x, h0, G = _setup(nonlinearity=nonlinearity)
    hs, cache = rnn_forward(params, x, h0, nonlinearity)
    _, _, full = rnn_backward(params, cache, G)
    updates = list(
        truncated_bptt(params, x, k, k, _projection_loss(G), h0, nonlinearity=nonlinearity)
    )
    assert len(updates) == 1
    assert updates[0].window == Window(0, 0, T)
    assert updates[0].loss == pytest.approx(np.sum(hs * G), rel=1e-12)
    for name in params:
        np.testing.assert_array_equal(updates[0].grads[name], full[name])  # bit for bit
    np.testing.assert_array_equal(updates[0].h_stop, hs[:, -1])


def test_k_at_least_T_trains_like_full_bptt():
    params, x, h0, G = _setup(1)
    full_params = {k: v.copy() for k, v in params.items()}
    _, cache = rnn_forward(full_params, x, h0)
    _, _, full = rnn_backward(full_params, cache, G)
    SGD(full_params, lr=0.1).step(full)
    opt = SGD(params, lr=0.1)
    for update in truncated_bptt(params, x, T, T, _projection_loss(G), h0):
        opt.step(update.grads)
    for name in params:
        np.testing.assert_array_equal(params[name], full_params[name])


@pytest.mark.parametrize("k1", [1, 3, 5])
def test_without_updates_windows_reaching_step_0_sum_to_the_full_gradient(k1):
    # Losses arrive in pieces, but each is backpropagated to the start: the pieces add up.
    params, x, h0, G = _setup(2)
    _, cache = rnn_forward(params, x, h0)
    _, _, full = rnn_backward(params, cache, G)
    k2 = T - 1 + k1  # every window reaches back to step 0
    updates = list(truncated_bptt(params, x, k1, k2, _projection_loss(G), h0))
    assert len(updates) == -(-T // k1)
    assert all(u.window.start == 0 for u in updates)
    for name in params:
        total = sum(u.grads[name] for u in updates)
        assert relative_error(total, full[name]) < 1e-12


def test_truncation_changes_the_gradient():
    params, x, h0, G = _setup(3)
    _, cache = rnn_forward(params, x, h0)
    _, _, full = rnn_backward(params, cache, G)
    updates = list(truncated_bptt(params, x, 3, 3, _projection_loss(G), h0))
    total = sum(u.grads["weight_hh_l0"] for u in updates)
    assert relative_error(total, full["weight_hh_l0"]) > 1e-3
    # Every parameter still gets a gradient: truncation drops long paths, not weights.
    for u in updates:
        assert all(np.abs(g).max() > 0 for g in u.grads.values())


def _torch_tbptt(params, x, h0, G, k1, k2, lr, stateful=True):
    """The same schedule written with torch and detach(), as a reference."""
    module = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.tensor(params[name]))
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    xt, Gt, h0t = torch.tensor(x), torch.tensor(G), torch.tensor(h0)
    saved, losses = {0: h0t}, []
    for w in tbptt_windows(T, k1, k2):
        h_start = saved[w.start] if stateful else h0t
        out, _ = module(xt[:, w.start : w.stop], h_start[None].detach())
        n = w.stop - w.loss_start
        loss = (out[:, -n:] * Gt[:, w.loss_start : w.stop]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        for s in range(w.start + 1, w.stop + 1):
            saved[s] = out[:, s - w.start - 1].detach()
        losses.append(loss.item())
    return {n: p.detach().numpy() for n, p in module.named_parameters()}, losses


@pytest.mark.parametrize("stateful", [True, False])
@pytest.mark.parametrize(("k1", "k2"), [(1, 1), (2, 5), (4, 4), (3, 7), (5, 20)])
def test_training_matches_torch_with_detach(k1, k2, stateful):
    params, x, h0, G = _setup(4)
    t_params, t_losses = _torch_tbptt(params, x, h0, G, k1, k2, 0.05, stateful)
    opt = SGD(params, lr=0.05)
    losses = []
    for update in truncated_bptt(params, x, k1, k2, _projection_loss(G), h0, stateful=stateful):
        opt.step(update.grads)  # in place: the next window uses the new weights
        losses.append(update.loss)
    np.testing.assert_allclose(losses, t_losses, rtol=1e-10)
    for name in params:
        assert relative_error(params[name], t_params[name]) < 1e-12, name


def test_stateful_windows_continue_and_stateless_restart():
    params, x, h0, G = _setup(5)
    stateful = list(truncated_bptt(params, x, 4, 4, _projection_loss(G), h0))
    for prev, cur in itertools.pairwise(stateful):
        np.testing.assert_array_equal(cur.cache.h0, prev.h_stop)
    stateless = list(truncated_bptt(params, x, 4, 4, _projection_loss(G), h0, stateful=False))
    assert all(np.array_equal(u.cache.h0, h0) for u in stateless)
    assert not np.array_equal(stateless[1].grads["weight_hh_l0"], stateful[1].grads["weight_hh_l0"])


def test_only_the_window_is_stored():
    params, x, h0, G = _setup(6)
    for update in truncated_bptt(params, x, 2, 5, _projection_loss(G), h0):
        w = update.window
        assert update.cache.hs.shape == (B, w.stop - w.start, H)
        assert update.cache.x.shape == (B, w.stop - w.start, D)


def test_errors():
    params, x, h0, G = _setup()
    loss_fn = _projection_loss(G)
    with pytest.raises(ValueError, match="k2: expected k2 >= k1 = 4 so that every loss"):
        next(truncated_bptt(params, x, 4, 3, loss_fn))
    with pytest.raises(ValueError, match="k1: expected a positive integer, got 0"):
        next(truncated_bptt(params, x, 0, 3, loss_fn))
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(B, T, D\)"):
        next(truncated_bptt(params, x[0], 2, 2, loss_fn))
    with pytest.raises(ValueError, match=r"x: expected D = 3 input features, got shape"):
        next(truncated_bptt(params, x[:, :, :2], 2, 2, loss_fn))
    with pytest.raises(ValueError, match=r"h0: expected shape \(2, 4\) \(B, H\)"):
        next(truncated_bptt(params, x, 2, 2, loss_fn, np.zeros((1, 4))))
    with pytest.raises(TypeError, match="loss_fn: expected a callable"):
        next(truncated_bptt(params, x, 2, 2, None))

    def bad_loss(hs, a, b):
        return 0.0, np.zeros((B, 1, H)), {}

    with pytest.raises(ValueError, match=r"loss_fn: expected d_hs of shape \(2, 2, 4\)"):
        next(truncated_bptt(params, x, 2, 2, bad_loss))
    with pytest.raises(TypeError, match=r"params: expected a dict with 'weight_ih_l0'"):
        next(truncated_bptt({"weight": np.zeros(2)}, x, 2, 2, loss_fn))
    with pytest.raises(TypeError, match="stateful: expected a bool"):
        next(truncated_bptt(params, x, 2, 2, loss_fn, stateful=1))
