"""rnnbook.scratch.gru.GRU against torch.nn.GRU, torch autograd and central differences."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook.gradcheck import check_layer
from rnnbook.scratch.gru import GRU, gru_step_backward, gru_step_forward

# (B, T, D, H): includes B=1, T=1 and D != H.
SHAPES = [(1, 1, 1, 1), (1, 5, 3, 4), (4, 1, 2, 3), (3, 7, 5, 2), (2, 12, 4, 4)]
FORWARD_TOL, GRADIENT_TOL = 1e-9, 1e-7


def rel(a, b):
    """max|a - b| / max|b|: the parity measure."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def cho_gru_autograd(params, x, h0):
    """Cho et al.'s GRU written with torch ops, differentiated by autograd: the oracle for
    variant="cho", which torch.nn does not have."""
    W_ih, W_hh = params["weight_ih_l0"], params["weight_hh_l0"]
    H = W_hh.shape[1]
    b_ih = params.get("bias_ih_l0", torch.zeros(3 * H, dtype=x.dtype))
    b_hh = params.get("bias_hh_l0", torch.zeros(3 * H, dtype=x.dtype))
    W_hr, W_hz, W_hn = W_hh.split(H)
    b_hr, b_hz, b_hn = b_hh.split(H)
    h, outs = h0[0], []
    for t in range(x.shape[1]):
        x_r, x_z, x_n = (x[:, t] @ W_ih.T + b_ih).split(H, dim=1)
        r = torch.sigmoid(x_r + h @ W_hr.T + b_hr)
        z = torch.sigmoid(x_z + h @ W_hz.T + b_hz)
        n = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
        h = (1 - z) * n + z * h
        outs.append(h)
    return torch.stack(outs, dim=1), h[None]


def reference(layer, x, h0, d_out, d_h_n, lengths=None):
    """Forward and backward through torch.nn.GRU (variant "torch") or the autograd oracle
    (variant "cho") with the same weights; loss sum(out * d_out) + sum(h_n * d_h_n)."""
    B, T, _ = x.shape
    xt, h0t = torch.tensor(x, requires_grad=True), torch.tensor(h0, requires_grad=True)
    if layer.variant == "cho":
        assert lengths is None
        named = {k: torch.tensor(v, requires_grad=True) for k, v in layer.params.items()}
        out, h_n = cho_gru_autograd(named, xt, h0t)
    else:
        module = layer.to_torch()
        named = dict(module.named_parameters())
        if lengths is None:
            out, h_n = module(xt, h0t)
        else:
            packed = pack_padded_sequence(
                xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
            )
            packed_out, h_n = module(packed, h0t)
            out, _ = pad_packed_sequence(packed_out, batch_first=True, total_length=T)
    loss = (out * torch.tensor(d_out)).sum()
    if d_h_n is not None:
        loss = loss + (h_n * torch.tensor(d_h_n)).sum()
    loss.backward()
    values = {"out": out, "h_n": h_n, "dx": xt.grad, "dh0": h0t.grad}
    values = {k: v.detach().numpy() for k, v in values.items()}
    values["grads"] = {name: p.grad.numpy() for name, p in named.items()}
    return values


def run_both(layer, x, h0, d_out, d_h_n, lengths=None):
    """Our forward and backward, and the reference's; returns {quantity: relative error}."""
    out, h_n = layer.forward(x, h0, lengths=lengths)
    dx, dh0 = layer.backward(d_out, d_h_n)
    ref = reference(layer, x, h0, d_out, d_h_n, lengths)
    assert layer.grads.keys() == layer.params.keys() == ref["grads"].keys()
    forward = {"out": rel(out, ref["out"]), "h_n": rel(h_n, ref["h_n"])}
    backward = {"dx": rel(dx, ref["dx"]), "dh0": rel(dh0, ref["dh0"])}
    backward |= {name: rel(g, ref["grads"][name]) for name, g in layer.grads.items()}
    return forward, backward


@pytest.mark.parametrize("variant", ["torch", "cho"])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}T{}D{}H{}".format(*s))
def test_matches_reference(shape, bias, variant):
    B, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    layer = GRU(D, H, bias=bias, rng=rng, variant=variant)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((1, B, H))
    d_out, d_h_n = rng.standard_normal((B, T, H)), rng.standard_normal((1, B, H))
    forward, backward = run_both(layer, x, h0, d_out, d_h_n)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward


@pytest.mark.parametrize("route", ["out", "h_n"])
def test_gradient_through_out_or_h_n_alone(route):
    B, T, D, H = 3, 6, 2, 5
    rng = np.random.default_rng(4)
    layer = GRU(D, H, rng=rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((1, B, H))
    d_out, d_h_n = rng.standard_normal((B, T, H)), rng.standard_normal((1, B, H))
    if route == "out":
        d_h_n = None
    else:
        d_out = np.zeros_like(d_out)
    forward, backward = run_both(layer, x, h0, d_out, d_h_n)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward


@pytest.mark.parametrize("bias", [True, False])
def test_lengths_match_packed_torch(bias):
    B, T, D, H = 5, 6, 3, 4
    rng = np.random.default_rng(5)
    layer = GRU(D, H, bias=bias, rng=rng)
    x, h0 = rng.standard_normal((B, T, D)), rng.standard_normal((1, B, H))
    d_out, d_h_n = rng.standard_normal((B, T, H)), rng.standard_normal((1, B, H))
    lengths = np.array([3, 6, 1, 4, 6])  # unsorted, with a length-1 sequence
    d_out = d_out * (np.arange(T) < lengths[:, None])[..., None]  # no gradient on padding
    forward, backward = run_both(layer, x, h0, d_out, d_h_n, lengths)
    assert max(forward.values()) <= FORWARD_TOL, forward
    assert max(backward.values()) <= GRADIENT_TOL, backward
    out, h_n = layer.forward(x, h0, lengths=lengths)
    assert np.array_equal(h_n[0], out[np.arange(B), lengths - 1])


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
@pytest.mark.parametrize("variant", ["torch", "cho"])
def test_finite_differences(variant, bias, lengths):
    rng = np.random.default_rng(2)
    layer = GRU(3, 4, bias=bias, rng=rng, variant=variant)
    checked = layer if lengths is None else WithLengths(layer, np.array(lengths))
    x = rng.standard_normal((3, 6, 3))
    errors = check_layer(checked, x, rng.standard_normal((1, 3, 4)), rng=rng)
    assert set(errors) == set(layer.params) | {"x", "state0"}
    assert max(errors.values()) < 1e-6, errors


def _pair(rng, D=3, H=4):
    torch_gru = GRU(D, H, rng=rng)
    cho = GRU(D, H, rng=0, variant="cho")
    for name, p in torch_gru.params.items():
        cho.params[name] = p  # the very same arrays
    return torch_gru, cho, rng.standard_normal((2, 5, D)), rng.standard_normal((1, 2, H))


def test_variants_differ_on_the_same_weights():
    torch_gru, cho, x, h0 = _pair(np.random.default_rng(7))
    assert rel(cho.forward(x, h0)[0], torch_gru.forward(x, h0)[0]) > 1e-2


def test_variants_agree_when_the_reset_gate_is_open():
    # r ≡ 1: r ⊙ (W_hn h + b_hn) = W_hn (r ⊙ h) + b_hn.
    torch_gru, cho, x, h0 = _pair(np.random.default_rng(8))
    H = 4
    torch_gru.params["bias_ih_l0"][:H] = 50.0  # σ(50) = 1 in float64
    out_torch, _ = torch_gru.forward(x, h0)
    assert np.array_equal(torch_gru.cache.steps[0].r, np.ones((2, H)))
    assert rel(cho.forward(x, h0)[0], out_torch) < 1e-15


def test_variants_agree_without_the_hidden_part_of_n():
    # W_hn = 0 and b_hn = 0: n = tanh(W_in x + b_in) in both. With b_hn != 0 they differ
    # still: torch scales b_hn by r, Cho does not.
    torch_gru, cho, x, h0 = _pair(np.random.default_rng(9))
    H = 4
    torch_gru.params["weight_hh_l0"][2 * H :] = 0.0
    assert rel(cho.forward(x, h0)[0], torch_gru.forward(x, h0)[0]) > 1e-3
    torch_gru.params["bias_hh_l0"][2 * H :] = 0.0
    assert rel(cho.forward(x, h0)[0], torch_gru.forward(x, h0)[0]) < 1e-15


@pytest.mark.parametrize("variant", ["torch", "cho"])
def test_step_functions_are_the_layer(variant):
    rng = np.random.default_rng(3)
    layer = GRU(2, 3, rng=rng, variant=variant)
    x, h0 = rng.standard_normal((4, 1, 2)), rng.standard_normal((4, 3))
    out, h_n = layer.forward(x, h0[None])
    xw = x[:, 0] @ layer.params["weight_ih_l0"].T + layer.params["bias_ih_l0"]
    h, cache = gru_step_forward(layer.params, xw, h0, variant)
    assert rel(h, h_n[0]) < 1e-14 and cache.variant == variant
    d_h = rng.standard_normal((4, 3))
    d_xw, d_h_prev, d_w, d_b = gru_step_backward(layer.params, d_h, cache)
    assert d_xw.shape == (4, 9) and d_w.shape == (9, 3) and d_b.shape == (9,)
    _, dh0 = layer.backward(np.zeros_like(out), d_h[None])
    assert rel(dh0[0], d_h_prev) < 1e-14
    assert rel(layer.grads["weight_hh_l0"], d_w) < 1e-14
    assert rel(layer.grads["bias_hh_l0"], d_b) < 1e-14


@pytest.mark.parametrize("bias", [True, False])
def test_torch_round_trip_and_layout(bias):
    torch.manual_seed(0)
    module = torch.nn.GRU(3, 5, bias=bias, batch_first=True, dtype=torch.float64)
    layer = GRU.from_torch(module)
    assert layer.bias == bias and layer.variant == "torch"
    assert {k: v.shape for k, v in layer.params.items()} == {
        k: tuple(v.shape) for k, v in module.named_parameters()
    }
    assert layer.params["weight_hh_l0"].shape == (3 * 5, 5)
    back = layer.to_torch()
    for (name, p), (name_back, p_back) in zip(
        module.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back and torch.equal(p, p_back)


def test_cho_variant_has_no_torch_twin():
    module = torch.nn.GRU(3, 4, batch_first=True, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"to_torch: expected variant='torch', got .*'cho'"):
        GRU(3, 4, rng=0, variant="cho").to_torch()
    with pytest.raises(ValueError, match=r"from_torch: expected variant='torch', got .*'cho'"):
        GRU.from_torch(module, variant="cho")
    cho = GRU(3, 4, rng=0, variant="cho")  # copying weights in on purpose still works
    cho.load_torch_parameters(dict(module.named_parameters()))
    assert np.array_equal(cho.params["weight_hh_l0"], module.weight_hh_l0.detach().numpy())


@pytest.mark.parametrize(("D", "H"), [(3, 5), (1, 1), (7, 2)])
@pytest.mark.parametrize("variant", ["torch", "cho"])
def test_num_parameters_match_torch(D, H, variant):
    for bias in (True, False):
        module = torch.nn.GRU(D, H, bias=bias, batch_first=True)
        count = sum(p.numel() for p in module.parameters())
        assert GRU(D, H, bias=bias, rng=0, variant=variant).num_parameters() == count
    assert GRU(D, H, rng=0, variant=variant).num_parameters() == 3 * (H * (D + H) + 2 * H)


# --- errors at the boundary -------------------------------------------------------------


@pytest.fixture
def layer():
    return GRU(3, 4, rng=0)


def test_bad_x(layer):
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(B, T, D\), got shape"):
        layer.forward(np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"x: expected shape \(\*, \*, 3\) \(B, T, D\), got"):
        layer.forward(np.zeros((2, 5, 4)))
    with pytest.raises(TypeError, match="x: expected a floating-point array, got dtype int64"):
        layer.forward(np.zeros((2, 5, 3), dtype=np.int64))
    x = np.zeros((2, 5, 3))
    x[1, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x: expected finite values, got 1 NaN"):
        layer.forward(x)


def test_bad_h0(layer):
    with pytest.raises(
        ValueError, match=r"h0: expected 3 dimensions \(1, B, H\), got shape \(2, 4\)"
    ):
        layer.forward(np.zeros((2, 5, 3)), h0=np.zeros((2, 4)))
    h_and_c = (np.zeros((1, 2, 4)), np.zeros((1, 2, 4)))  # an LSTM's state
    with pytest.raises(ValueError, match=r"h0: expected 3 dimensions .* got shape \(2, 1, 2, 4\)"):
        layer.forward(np.zeros((2, 5, 3)), h_and_c)
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(ValueError, match=r"d_h_n: expected 3 dimensions \(1, B, H\), got"):
        layer.backward(np.zeros((2, 5, 4)), np.zeros((2, 4)))


def test_unknown_variant():
    with pytest.raises(ValueError, match=r"variant: expected one of \('torch', 'cho'\), got"):
        GRU(3, 4, variant="chung")
    with pytest.raises(ValueError, match=r"variant: expected one of \('torch', 'cho'\)"):
        gru_step_forward(
            {"weight_hh_l0": np.zeros((3, 1))}, np.zeros((1, 3)), np.zeros((1, 1)), "x"
        )


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([0, 3], ValueError, r"lengths: expected every length in 1..T = 1..5, got values in"),
        ([6, 3], ValueError, r"lengths: expected every length in 1..T = 1..5"),
        ([[3, 2]], ValueError, r"lengths: expected shape \(2,\) \(B,\), got \(1, 2\)"),
        ([3.0, 2.0], TypeError, "lengths: expected an integer array of token ids, got dtype"),
    ],
)
def test_bad_lengths(layer, lengths, error, message):
    with pytest.raises(error, match=message):
        layer.forward(np.zeros((2, 5, 3)), lengths=np.array(lengths))


def test_from_torch_rejects_other_modules():
    with pytest.raises(TypeError, match=r"module: expected torch\.nn\.GRU, got LSTM"):
        GRU.from_torch(torch.nn.LSTM(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="batch_first=False"):
        GRU.from_torch(torch.nn.GRU(2, 3))
