"""The layer protocol: lengths against torch's packed batches, a second layer type through the
generic tools, gradcheck catching wrong backward passes, and a torch-free ``rnnbook.scratch``."""

import importlib
import pkgutil
import subprocess
import sys
from typing import NamedTuple

import numpy as np
import pytest
import torch

import rnnbook.scratch
from rnnbook.gradcheck import check_layer
from rnnbook.scratch import RNN
from rnnbook.scratch.activations import activation
from rnnbook.scratch.recurrent import RecurrentLayer, torch_parameter_name
from rnnbook.scratch.truncated_bptt import truncated_bptt


def rel(a, b):
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


# ------------------------------------------------------------------ lengths vs torch
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_lengths_match_torch_on_a_packed_batch(nonlinearity):
    torch.manual_seed(0)
    module = torch.nn.RNN(3, 5, nonlinearity=nonlinearity, batch_first=True, dtype=torch.float64)
    layer = RNN.from_torch(module)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6, 3))
    h0 = rng.standard_normal((1, 4, 5))
    lengths = np.array([6, 1, 3, 4])  # unsorted, with a length-1 sequence
    out, h_n = layer.forward(x, h0, lengths=lengths)

    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
    )
    out_p, h_n_t = module(packed, h0t)
    out_t, _ = torch.nn.utils.rnn.pad_packed_sequence(out_p, batch_first=True, total_length=6)
    assert rel(out, out_t.detach().numpy()) < 1e-9
    assert rel(h_n, h_n_t.detach().numpy()) < 1e-9
    assert not out[1, 1:].any()  # zero past the length

    G, G_n = rng.standard_normal(out.shape), rng.standard_normal(h_n.shape)
    ((out_t * torch.tensor(G)).sum() + (h_n_t * torch.tensor(G_n)).sum()).backward()
    dx, dh0 = layer.backward(G, G_n)
    assert rel(dx, xt.grad.numpy()) < 1e-7
    assert rel(dh0, h0t.grad.numpy()) < 1e-7
    for name, p in module.named_parameters():
        assert rel(layer.grads[name], p.grad.numpy()) < 1e-7, name


def test_lengths_gradcheck():
    layer = RNN(2, 3, rng=1)
    x = np.random.default_rng(2).standard_normal((3, 4, 2))
    h0 = np.random.default_rng(3).standard_normal((1, 3, 3))
    errors = check_layer(layer, x, h0, lengths=np.array([4, 2, 1]))
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        (
            np.array([5, 0]),
            r"lengths: expected every length in 1..T = 1..4, got values in \[0, 5\]",
        ),
        (np.array([4]), r"lengths: expected shape \(2,\) \(B,\), got \(1,\)"),
        (np.array([2.0, 1.0]), "lengths: expected an integer array"),
    ],
)
def test_bad_lengths(lengths, message):
    with pytest.raises((ValueError, TypeError), match=message):
        RNN(2, 3, rng=0).forward(np.zeros((2, 4, 2)), lengths=lengths)


# ---------------------------------------------------- a second layer type: a test double
class TwoPartCache(NamedTuple):
    h_prev: np.ndarray
    c: np.ndarray
    u: np.ndarray
    h: np.ndarray


class TwoPartCell(RecurrentLayer):
    """A made-up cell with a two-part state, like the LSTM's (h, c), to test generic code:

    u_t = tanh(xw_t + h_{t-1} W_hh^T + b_hh),  c_t = c_{t-1} / 2 + u_t,  h_t = tanh(c_t).
    """

    torch_name = "LSTM"  # only for error messages; never converted
    state_parts = 2

    def step_forward(self, xw_t, state):
        h_prev, c_prev = state
        a = xw_t + h_prev @ self.params["weight_hh_l0"].T + self.params["bias_hh_l0"]
        u = np.tanh(a)
        c = 0.5 * c_prev + u
        h = np.tanh(c)
        return (h, c), TwoPartCache(h_prev, c, u, h)

    def step_backward(self, d_state, cache, grads):
        d_h, d_c = d_state
        d_c = d_c + d_h * activation("tanh").grad_from_output(cache.h)  # through h = tanh(c)
        d_a = d_c * (1.0 - cache.u**2)  # through u = tanh(a)
        grads["weight_hh_l0"] += d_a.T @ cache.h_prev
        grads["bias_hh_l0"] += d_a.sum(axis=0)
        return d_a, (d_a @ self.params["weight_hh_l0"], 0.5 * d_c)


def test_gradcheck_on_a_second_layer_type():
    layer = TwoPartCell(2, 3, rng=0)
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 2))
    state0 = (rng.standard_normal((1, 2, 3)), rng.standard_normal((1, 2, 3)))
    errors = check_layer(layer, x, state0)
    assert set(errors) >= {"weight_ih_l0", "weight_hh_l0", "x", "state0[0]", "state0[1]"}
    assert max(errors.values()) < 1e-6, errors
    errors = check_layer(layer, x, state0, lengths=np.array([5, 2]))
    assert max(errors.values()) < 1e-6, errors


def _projection_loss(G):
    def loss_fn(out, loss_start, stop):  # L = sum_t <out_t, G_t>
        g = G[:, loss_start:stop]
        return float(np.sum(out * g)), g.copy(), {}

    return loss_fn


@pytest.mark.parametrize("make", [lambda: RNN(2, 3, rng=0), lambda: TwoPartCell(2, 3, rng=0)])
def test_tbptt_with_one_window_is_full_bptt(make):
    layer = make()
    rng = np.random.default_rng(4)
    x, G = rng.standard_normal((2, 9, 2)), rng.standard_normal((2, 9, 3))
    layer.forward(x)
    layer.backward(G)
    full = {k: g.copy() for k, g in layer.grads.items()}
    (update,) = truncated_bptt(layer, x, 9, 9, _projection_loss(G))
    for name, g in full.items():
        np.testing.assert_allclose(update.grads[name], g, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("make", [lambda: RNN(2, 3, rng=0), lambda: TwoPartCell(2, 3, rng=0)])
def test_tbptt_matches_torch_detach_reference(make):
    """TBPTT(k1, k2) without updates against an independent torch computation.

    The reference knows nothing of windows: for every update time `stop` it runs the
    recurrence from a *detached* state `k2` steps back and backpropagates the losses of
    the last k1 steps. (With no weight updates, stored and recomputed activations agree.)
    """
    layer = make()
    k1, k2, T = 3, 5, 11
    rng = np.random.default_rng(5)
    x, G = rng.standard_normal((2, T, 2)), rng.standard_normal((2, T, 3))
    got = {n: np.zeros_like(p) for n, p in layer.params.items()}
    for update in truncated_bptt(layer, x, k1, k2, _projection_loss(G)):
        for n in got:
            got[n] += update.grads[n]

    params = {n: torch.tensor(p, requires_grad=True) for n, p in layer.params.items()}
    xt, Gt = torch.tensor(x), torch.tensor(G)

    def run(h, c, t0, t1):  # the cell in torch, steps t0..t1-1
        hs = []
        for t in range(t0, t1):
            a_in = xt[:, t] @ params["weight_ih_l0"].T + params["bias_ih_l0"]
            if isinstance(layer, RNN):
                h = torch.tanh(a_in + params["bias_hh_l0"] + h @ params["weight_hh_l0"].T)
            else:
                u = torch.tanh(a_in + h @ params["weight_hh_l0"].T + params["bias_hh_l0"])
                c = 0.5 * c + u
                h = torch.tanh(c)
            hs.append(h)
        return hs, h, c

    stops = [*range(k1, T, k1), T]
    for i, stop in enumerate(stops):
        loss_start = 0 if i == 0 else stops[i - 1]
        start = max(0, loss_start - (k2 - k1))
        with torch.no_grad():  # the state at `start`, a constant
            _, h, c = run(
                torch.zeros(2, 3, dtype=torch.float64),
                torch.zeros(2, 3, dtype=torch.float64),
                0,
                start,
            )
        hs, _, _ = run(h, c, start, stop)
        new = torch.stack(hs[loss_start - start :], dim=1)
        (new * Gt[:, loss_start:stop]).sum().backward()
    for n, p in params.items():
        np.testing.assert_allclose(got[n], p.grad.numpy(), rtol=1e-10, atol=1e-12)


# ------------------------------------------------------- gradcheck catches wrong passes
class DxTooLarge(RNN):
    def backward(self, d_out, d_h_n=None):
        dx, dh0 = super().backward(d_out, d_h_n)
        return 1.5 * dx, dh0


class IgnoresFinalStateGradient(RNN):
    def backward(self, d_out, d_h_n=None):
        return super().backward(d_out, None)


def test_gradcheck_catches_dx_too_large():
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    errors = check_layer(DxTooLarge(3, 4, rng=0), x)
    assert errors["x"] > 0.1
    assert errors["weight_hh_l0"] < 1e-6  # only dx is wrong, and only dx is flagged


def test_gradcheck_catches_an_ignored_final_state_gradient():
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    h0 = np.random.default_rng(1).standard_normal((1, 2, 4))
    errors = check_layer(IgnoresFinalStateGradient(3, 4, rng=0), x, h0)
    assert min(errors.values()) > 1e-3, errors  # every gradient misses the h_n path


# ------------------------------------------------------------------- nonlinearities
def test_unknown_nonlinearity_raises():
    with pytest.raises(ValueError, match=r"nonlinearity: expected one of .*, got 'Tanh'"):
        RNN(2, 3, nonlinearity="Tanh")
    with pytest.raises(ValueError, match="got 'Tanh'"):
        activation("Tanh")


def test_identity_units_have_no_torch_twin():
    with pytest.raises(ValueError, match=r"torch\.nn\.RNN has no 'identity' units"):
        RNN(2, 3, nonlinearity="identity").to_torch()


def test_torch_parameter_names():
    assert torch_parameter_name("bias_ih_l0") == "bias_ih_l0"
    assert torch_parameter_name("weight_ih_l0", layer=2, reverse=True) == "weight_ih_l2_reverse"


# ------------------------------------------------------------ scratch is torch-free
def test_importing_every_scratch_module_leaves_torch_unloaded():
    names = [m.name for m in pkgutil.walk_packages(rnnbook.scratch.__path__, "rnnbook.scratch.")]
    assert "rnnbook.scratch.rnn" in names
    code = (
        "import importlib, sys\n"
        f"for name in {names!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m == 'torch' or m.startswith('torch.'))\n"
        "assert not loaded, loaded[:5]\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for name in names:  # and each imports cleanly here too
        importlib.import_module(name)
