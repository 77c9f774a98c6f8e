"""rnnbook.scratch.lstm.LSTM against torch.nn.LSTM and central differences (float64)."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook.gradcheck import check_layer
from rnnbook.scratch.lstm import LSTM, lstm_step_backward, lstm_step_forward

# (B, T, D, H): includes B=1, T=1 and D != H.
SHAPES = [(1, 1, 1, 1), (1, 5, 3, 4), (4, 1, 2, 3), (3, 7, 5, 2), (2, 12, 4, 4)]
FORWARD_TOL, GRADIENT_TOL = 1e-9, 1e-7


def rel(a, b):
    """max|a - b| / max|b|: the parity measure."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def torch_reference(layer, x, state0, d_out, d_h_n, d_c_n, lengths=None):
    """Forward and backward through torch.nn.LSTM with the same weights.

    The loss is sum(out * d_out) + sum(h_n * d_h_n) + sum(c_n * d_c_n), parts None skipped.
    With ``lengths`` the batch goes through pack_padded_sequence(enforce_sorted=False).
    """
    module = layer.to_torch()
    B, T, _ = x.shape
    xt = torch.tensor(x, requires_grad=True)
    h0t, c0t = (torch.tensor(s, requires_grad=True) for s in state0)
    if lengths is None:
        out, (h_n, c_n) = module(xt, (h0t, c0t))
    else:
        packed = pack_padded_sequence(
            xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        packed_out, (h_n, c_n) = module(packed, (h0t, c0t))
        out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=T)
    loss = (out * torch.tensor(d_out)).sum()
    for value, grad in ((h_n, d_h_n), (c_n, d_c_n)):
        if grad is not None:
            loss = loss + (value * torch.tensor(grad)).sum()
    loss.backward()
    numpy = {
        "out": out,
        "h_n": h_n,
        "c_n": c_n,
        "dx": xt.grad,
        "dh0": h0t.grad,
        "dc0": c0t.grad,
    }
    numpy = {k: v.detach().numpy() for k, v in numpy.items()}
    numpy["grads"] = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return numpy


def run_both(layer, x, state0, d_out, d_h_n, d_c_n, lengths=None):
    """Our forward and backward, and torch's; returns {quantity: relative error}."""
    out, (h_n, c_n) = layer.forward(x, state0, lengths=lengths)
    dx, (dh0, dc0) = layer.backward(d_out, (d_h_n, d_c_n))
    ref = torch_reference(layer, x, state0, d_out, d_h_n, d_c_n, lengths)
    assert layer.grads.keys() == layer.params.keys() == ref["grads"].keys()
    forward = {"out": rel(out, ref["out"]), "h_n": rel(h_n, ref["h_n"])}
    forward["c_n"] = rel(c_n, ref["c_n"])
    backward = {"dx": rel(dx, ref["dx"]), "dh0": rel(dh0, ref["dh0"])}
    backward["dc0"] = rel(dc0, ref["dc0"])
    backward |= {name: rel(g, ref["grads"][name]) for name, g in layer.grads.items()}
    return forward, backward


def random_case(rng, B, T, D, H):
    x = rng.standard_normal((B, T, D))
    state0 = (rng.standard_normal((1, B, H)), rng.standard_normal((1, B, H)))
    grads = rng.standard_normal((B, T, H)), *rng.standard_normal((2, 1, B, H))
    return x, state0, grads


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}T{}D{}H{}".format(*s))
def test_matches_torch(shape, bias):
    B, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    layer = LSTM(D, H, bias=bias, rng=rng)
    x, state0, (d_out, d_h_n, d_c_n) = random_case(rng, B, T, D, H)
    forward, backward = run_both(layer, x, state0, d_out, d_h_n, d_c_n)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward


@pytest.mark.parametrize("route", ["out", "h_n", "c_n", "h_n+c_n", "all"])
def test_gradient_through_each_output(route):
    # The loss reads only some of out, h_n and c_n; the others get no gradient (None).
    B, T, D, H = 3, 6, 2, 5
    rng = np.random.default_rng(4)
    layer = LSTM(D, H, rng=rng)
    x, state0, (d_out, d_h_n, d_c_n) = random_case(rng, B, T, D, H)
    if "out" not in route and route != "all":
        d_out = np.zeros_like(d_out)
    if "h_n" not in route and route != "all":
        d_h_n = None
    if "c_n" not in route and route != "all":
        d_c_n = None
    forward, backward = run_both(layer, x, state0, d_out, d_h_n, d_c_n)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward


@pytest.mark.parametrize("bias", [True, False])
def test_lengths_match_packed_torch(bias):
    B, T, D, H = 5, 6, 3, 4
    rng = np.random.default_rng(5)
    layer = LSTM(D, H, bias=bias, rng=rng)
    x, state0, (d_out, d_h_n, d_c_n) = random_case(rng, B, T, D, H)
    lengths = np.array([3, 6, 1, 4, 6])  # unsorted, with a length-1 sequence
    d_out = d_out * (np.arange(T) < lengths[:, None])[..., None]  # no gradient on padding
    forward, backward = run_both(layer, x, state0, d_out, d_h_n, d_c_n, lengths)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward
    out, (h_n, c_n) = layer.forward(x, state0, lengths=lengths)
    assert np.array_equal(h_n[0], out[np.arange(B), lengths - 1])
    assert np.all(out[2, 1:] == 0.0)


def test_zero_initial_state_by_default():
    rng = np.random.default_rng(1)
    layer = LSTM(3, 4, rng=rng)
    x = rng.standard_normal((2, 5, 3))
    out_default, _ = layer.forward(x)
    zeros = np.zeros((1, 2, 4))
    out_zeros, _ = layer.forward(x, (zeros, zeros))
    assert np.array_equal(out_default, out_zeros)
    t_out, _ = layer.to_torch()(torch.tensor(x))
    assert rel(out_default, t_out.detach().numpy()) <= FORWARD_TOL


class WithLengths:
    """A layer with fixed ``lengths``, seen through the protocol check_layer expects."""

    def __init__(self, layer, lengths):
        self.layer, self.lengths = layer, lengths
        self.params = layer.params

    @property
    def grads(self):
        return self.layer.grads

    def forward(self, x, state=None):
        return self.layer.forward(x, state, lengths=self.lengths)

    def backward(self, d_out, d_state=None):
        return self.layer.backward(d_out, d_state)


@pytest.mark.parametrize("lengths", [None, [4, 1, 6]], ids=["full", "lengths"])
@pytest.mark.parametrize("bias", [True, False])
def test_finite_differences(bias, lengths):
    rng = np.random.default_rng(2)
    layer = LSTM(3, 4, bias=bias, rng=rng)
    checked = layer if lengths is None else WithLengths(layer, np.array(lengths))
    x = rng.standard_normal((3, 6, 3))
    state0 = (rng.standard_normal((1, 3, 4)), rng.standard_normal((1, 3, 4)))
    errors = check_layer(checked, x, state0, rng=rng)
    assert set(errors) == set(layer.params) | {"x", "state0[0]", "state0[1]"}
    assert max(errors.values()) < 1e-6, errors


def test_step_functions_are_the_layer():
    rng = np.random.default_rng(3)
    layer = LSTM(2, 3, rng=rng)
    x, (h0, c0) = rng.standard_normal((4, 1, 2)), rng.standard_normal((2, 4, 3))
    out, (h_n, c_n) = layer.forward(x, (h0[None], c0[None]))
    xw = x[:, 0] @ layer.params["weight_ih_l0"].T + layer.params["bias_ih_l0"]
    h, c, cache = lstm_step_forward(layer.params, xw, h0, c0)
    assert rel(h, h_n[0]) < 1e-14 and rel(c, c_n[0]) < 1e-14  # same sums, other order
    assert cache.h is h and cache.c is c
    d_h, d_c = rng.standard_normal((2, 4, 3))
    d_a, d_h_prev, d_c_prev, d_w, d_b = lstm_step_backward(layer.params, d_h, d_c, cache)
    assert d_a.shape == (4, 12) and d_w.shape == (12, 3) and d_b.shape == (12,)
    _, (dh0, dc0) = layer.backward(np.zeros_like(out), (d_h[None], d_c[None]))
    assert rel(dh0[0], d_h_prev) < 1e-14 and rel(dc0[0], d_c_prev) < 1e-14
    assert rel(layer.grads["weight_hh_l0"], d_w) < 1e-14


def test_states_and_cell_states():
    rng = np.random.default_rng(6)
    layer = LSTM(2, 3, rng=rng)
    out, (h_n, c_n) = layer.forward(rng.standard_normal((2, 4, 2)))
    assert np.array_equal(layer.states, out)
    assert layer.cell_states.shape == (2, 4, 3)
    assert np.array_equal(layer.cell_states[:, -1], c_n[0])


@pytest.mark.parametrize("bias", [True, False])
def test_torch_round_trip_and_layout(bias):
    torch.manual_seed(0)
    module = torch.nn.LSTM(3, 5, bias=bias, batch_first=True, dtype=torch.float64)
    layer = LSTM.from_torch(module)
    assert layer.bias == bias
    assert {k: v.shape for k, v in layer.params.items()} == {
        k: tuple(v.shape) for k, v in module.named_parameters()
    }
    assert layer.params["weight_ih_l0"].shape == (4 * 5, 3)
    back = layer.to_torch()
    for (name, p), (name_back, p_back) in zip(
        module.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back and torch.equal(p, p_back)


def test_gate_order_is_i_f_g_o():
    # Open the forget gate fully and close the input gate: c_t = c_{t-1} exactly.
    H = 3
    layer = LSTM(2, H, rng=0)
    layer.params["bias_ih_l0"][:H] = -1e3  # i = 0
    layer.params["bias_ih_l0"][H : 2 * H] = 1e3  # f = 1
    c0 = np.random.default_rng(0).standard_normal((1, 1, H))
    _, (_, c_n) = layer.forward(np.ones((1, 4, 2)), (np.zeros((1, 1, H)), c0))
    assert np.array_equal(c_n, c0)


@pytest.mark.parametrize(("D", "H"), [(3, 5), (1, 1), (7, 2)])
def test_num_parameters_match_torch(D, H):
    for bias in (True, False):
        module = torch.nn.LSTM(D, H, bias=bias, batch_first=True)
        count = sum(p.numel() for p in module.parameters())
        assert LSTM(D, H, bias=bias, rng=0).num_parameters() == count
    assert count == 4 * H * (D + H)
    assert LSTM(D, H, rng=0).num_parameters() == 4 * (H * (D + H) + 2 * H)


def test_seeded_init_is_deterministic_and_bounded():
    a, b = LSTM(3, 4, rng=7), LSTM(3, 4, rng=7)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert all(np.abs(p).max() <= 1 / 2 for p in a.params.values())


# --- errors at the boundary -------------------------------------------------------------


@pytest.fixture
def layer():
    return LSTM(3, 4, rng=0)


@pytest.mark.parametrize(
    ("x_shape", "message"),
    [
        ((5, 3), r"x: expected 3 dimensions \(B, T, D\), got shape \(5, 3\)"),
        ((2, 5, 4), r"x: expected shape \(\*, \*, 3\) \(B, T, D\), got \(2, 5, 4\)"),
        ((2, 0, 3), r"x: expected at least one sequence and one step, got shape \(2, 0, 3\)"),
    ],
)
def test_bad_x_shape(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(np.zeros(x_shape))


def test_integer_and_nan_input(layer):
    with pytest.raises(TypeError, match="x: expected a floating-point array, got dtype int64"):
        layer.forward(np.zeros((2, 5, 3), dtype=np.int64))
    x = np.zeros((2, 5, 3))
    x[0, 1, 2] = np.nan
    with pytest.raises(ValueError, match="x: expected finite values, got 1 NaN"):
        layer.forward(x)


def test_state_must_be_a_tuple(layer):
    with pytest.raises(
        TypeError, match=r"state: expected a tuple of 2 arrays \(h, c\), got ndarray"
    ):
        layer.forward(np.zeros((2, 5, 3)), np.zeros((1, 2, 4)))
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(TypeError, match=r"d_state_n: expected a tuple of 2 arrays \(h, c\)"):
        layer.backward(np.zeros((2, 5, 4)), np.zeros((1, 2, 4)))


def test_state_parts_need_the_layer_axis(layer):
    zeros = np.zeros((2, 4))
    with pytest.raises(
        ValueError, match=r"state: expected 3 dimensions \(1, B, H\), got shape \(2, 4\)"
    ):
        layer.forward(np.zeros((2, 5, 3)), (zeros, zeros))
    with pytest.raises(ValueError, match=r"state: expected shape \(1, 2, 4\) \(1, B, H\)"):
        layer.forward(np.zeros((2, 5, 3)), (np.zeros((1, 2, 4)), np.zeros((1, 2, 5))))


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([0, 3], ValueError, r"lengths: expected every length in 1..T = 1..5, got values in"),
        ([6, 3], ValueError, r"lengths: expected every length in 1..T = 1..5"),
        ([3], ValueError, r"lengths: expected shape \(2,\) \(B,\), got \(1,\)"),
        ([3.0, 2.0], TypeError, "lengths: expected an integer array of token ids, got dtype"),
    ],
)
def test_bad_lengths(layer, lengths, error, message):
    with pytest.raises(error, match=message):
        layer.forward(np.zeros((2, 5, 3)), lengths=np.array(lengths))


def test_from_torch_rejects_other_modules():
    with pytest.raises(TypeError, match=r"module: expected torch\.nn\.LSTM, got GRU"):
        LSTM.from_torch(torch.nn.GRU(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="module: expected proj_size=0"):
        LSTM.from_torch(torch.nn.LSTM(2, 3, batch_first=True, proj_size=2))
    with pytest.raises(ValueError, match="num_layers=2"):
        LSTM.from_torch(torch.nn.LSTM(2, 3, batch_first=True, num_layers=2))
