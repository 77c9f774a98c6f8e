"""Truncated BPTT(k1, k2): its schedule, its equality with full BPTT, and torch parity."""

import itertools

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import relative_error
from rnnbook.optim import SGD
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.truncated_bptt import Window, tbptt_windows, truncated_bptt

B, T, D, H = 2, 13, 3, 4


def _setup(seed=0, nonlinearity="tanh"):
    rng = np.random.default_rng(seed)
    layer = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    G = rng.standard_normal((B, T, H))  # the loss is sum_t <h_t, G_t>: dL_t/dh_t = G_t
    return layer, x, h0, G


def _full(layer, x, h0, G):
    """Full BPTT through the layer itself: the loss, the gradients, the states."""
    out, _ = layer.forward(x, h0)
    layer.backward(G)
    return float(np.sum(out * G)), {k: g.copy() for k, g in layer.grads.items()}, out


def _projection_loss(G):
    def loss_fn(out, loss_start, stop):
        g = G[:, loss_start:stop]
        return float(np.sum(out * g)), g.copy(), {}

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
    layer, x, h0, G = _setup(nonlinearity=nonlinearity)
    loss, full, out = _full(layer, x, h0, G)
    updates = list(truncated_bptt(layer, x, k, k, _projection_loss(G), h0))
    assert len(updates) == 1
    assert updates[0].window == Window(0, 0, T)
    assert updates[0].loss == pytest.approx(loss, rel=1e-12)
    for name in full:
        np.testing.assert_array_equal(updates[0].grads[name], full[name])  # bit for bit
    np.testing.assert_array_equal(updates[0].state[0], out[:, -1])


@pytest.mark.parametrize("k1", [1, 3, 5])
def test_without_updates_windows_reaching_step_0_sum_to_the_full_gradient(k1):
    # Losses arrive in pieces, but each is backpropagated to the start: the pieces add up.
    layer, x, h0, G = _setup(2)
    _, full, _ = _full(layer, x, h0, G)
    k2 = T - 1 + k1  # every window reaches back to step 0
    totals = {name: np.zeros_like(g) for name, g in full.items()}
    n = 0
    for u in truncated_bptt(layer, x, k1, k2, _projection_loss(G), h0):
        assert u.window.start == 0
        n += 1
        for name in totals:
            totals[name] += u.grads[name]
    assert n == -(-T // k1)
    for name in full:
        assert relative_error(totals[name], full[name]) < 1e-12


def test_truncation_changes_the_gradient():
    layer, x, h0, G = _setup(3)
    _, full, _ = _full(layer, x, h0, G)
    total = 0.0
    for u in truncated_bptt(layer, x, 3, 3, _projection_loss(G), h0):
        total = total + u.grads["weight_hh_l0"]
        # Every parameter still gets a gradient: truncation drops long paths, not weights.
        assert all(np.abs(g).max() > 0 for g in u.grads.values())
    assert relative_error(total, full["weight_hh_l0"]) > 1e-3


def _torch_tbptt_k_k(params, x, h0, G, k, lr, stateful=True):
    """TBPTT(k, k) written with torch and detach(), as an independent reference: forward k
    steps from the detached state, backward, step; windows do not overlap."""
    module = torch.nn.RNN(D, H, batch_first=True, dtype=torch.float64)
    with torch.no_grad():
        for name, p in module.named_parameters():
            p.copy_(torch.tensor(params[name]))
    opt = torch.optim.SGD(module.parameters(), lr=lr)
    xt, Gt, h = torch.tensor(x), torch.tensor(G), torch.tensor(h0)
    losses = []
    for start in range(0, T, k):
        stop = min(start + k, T)
        out, h_n = module(xt[:, start:stop], (h if stateful else torch.tensor(h0)).detach())
        loss = (out * Gt[:, start:stop]).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        h = h_n
        losses.append(loss.item())
    return {n: p.detach().numpy() for n, p in module.named_parameters()}, losses


@pytest.mark.parametrize("stateful", [True, False])
@pytest.mark.parametrize("k", [1, 4, 5, 20])
def test_training_with_k1_equal_k2_matches_torch_with_detach(k, stateful):
    layer, x, h0, G = _setup(4)
    t_params, t_losses = _torch_tbptt_k_k(layer.params, x, h0, G, k, 0.05, stateful)
    opt = SGD(layer.params, lr=0.05)
    losses = []
    for update in truncated_bptt(layer, x, k, k, _projection_loss(G), h0, stateful=stateful):
        opt.step(update.grads)  # in place: the forward pass goes on with the new weights
        losses.append(update.loss)
    np.testing.assert_allclose(losses, t_losses, rtol=1e-10)
    for name in layer.params:
        assert relative_error(layer.params[name], t_params[name]) < 1e-12, name


def test_overlapping_windows_reuse_stored_activations():
    """TBPTT(2, 5) with updates: the forward pass runs once, so each step's activations are
    the ones the weights of their own time produced, not a recomputation."""
    layer, x, h0, G = _setup(5)
    opt = SGD(layer.params, lr=0.5)
    seen = []
    for update in truncated_bptt(layer, x, 2, 5, _projection_loss(G), h0):
        seen.append(({id(c) for c in update.cache.steps}, update.window))
        opt.step(update.grads)
    for (prev, _), (cur, w) in itertools.pairwise(seen):
        # the steps a window reaches back to are the previous window's objects, not reruns
        assert len(prev & cur) == w.loss_start - w.start
    assert max(w.loss_start - w.start for _, w in seen) == 3  # k2 - k1 steps reached back


def test_stateless_windows_restart_from_the_initial_state():
    layer, x, h0, G = _setup(5)
    stateful = list(truncated_bptt(layer, x, 4, 4, _projection_loss(G), h0))
    stateless = list(truncated_bptt(layer, x, 4, 4, _projection_loss(G), h0, stateful=False))
    np.testing.assert_array_equal(
        stateful[0].grads["weight_hh_l0"], stateless[0].grads["weight_hh_l0"]
    )
    assert not np.array_equal(stateless[1].grads["weight_hh_l0"], stateful[1].grads["weight_hh_l0"])
    with pytest.raises(ValueError, match="k2: expected k2 == k1 = 2 for stateless training"):
        next(truncated_bptt(layer, x, 2, 4, _projection_loss(G), h0, stateful=False))


def test_only_the_window_is_stored():
    layer, x, h0, G = _setup(6)
    for update in truncated_bptt(layer, x, 2, 5, _projection_loss(G), h0):
        w = update.window
        assert len(update.cache.steps) == w.stop - w.start
        assert update.cache.x.shape == (B, w.stop - w.start, D)


def test_errors():
    layer, x, h0, G = _setup()
    loss_fn = _projection_loss(G)
    with pytest.raises(ValueError, match="k2: expected k2 >= k1 = 4 so that every loss"):
        next(truncated_bptt(layer, x, 4, 3, loss_fn))
    with pytest.raises(ValueError, match="k1: expected a positive integer, got 0"):
        next(truncated_bptt(layer, x, 0, 3, loss_fn))
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(B, T, D\)"):
        next(truncated_bptt(layer, x[0], 2, 2, loss_fn))
    with pytest.raises(ValueError, match=r"x: expected shape \(\*, \*, 3\)"):
        next(truncated_bptt(layer, x[:, :, :2], 2, 2, loss_fn))
    with pytest.raises(ValueError, match=r"h0: expected 3 dimensions \(1, B, H\)"):
        next(truncated_bptt(layer, x, 2, 2, loss_fn, np.zeros((2, 4))))
    with pytest.raises(TypeError, match="loss_fn: expected a callable"):
        next(truncated_bptt(layer, x, 2, 2, None))

    def bad_loss(out, a, b):
        return 0.0, np.zeros((B, 1, H)), {}

    with pytest.raises(ValueError, match=r"loss_fn: expected d_out of shape \(2, 2, 4\)"):
        next(truncated_bptt(layer, x, 2, 2, bad_loss))
    with pytest.raises(TypeError, match=r"layer: expected a numpy RecurrentLayer, got dict"):
        next(truncated_bptt({"weight": np.zeros(2)}, x, 2, 2, loss_fn))
    with pytest.raises(TypeError, match="stateful: expected a bool"):
        next(truncated_bptt(layer, x, 2, 2, loss_fn, stateful=1))
