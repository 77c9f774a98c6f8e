"""rnnbook.scratch.Bidirectional against torch (bidirectional=True), finite differences,
its definition (the backward half is a plain layer on the reversed input), and its errors."""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook.gradcheck import check_layer
from rnnbook.scratch.bidirectional import Bidirectional, reverse_within_lengths
from rnnbook.scratch.gru import GRU
from rnnbook.scratch.lstm import LSTM
from rnnbook.scratch.rnn import RNN

CELLS = {"RNN": RNN, "GRU": GRU, "LSTM": LSTM}
B, T, D, H = 4, 6, 3, 5
LENGTHS = np.array([3, 6, 1, 4])  # unsorted, with a length-1 sequence and a full one


def rel(a, b):
    """max|a - b| / max|b|."""
    assert np.shape(a) == np.shape(b)
    return float(np.max(np.abs(np.asarray(a) - b)) / np.max(np.abs(b)))


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def pair(cell, seed=0, **kwargs):
    return Bidirectional(CELLS[cell](D, H, rng=seed, **kwargs), CELLS[cell](D, H, rng=seed + 1))


@pytest.mark.parametrize("use_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_matches_torch(cell, use_lengths):
    torch.manual_seed(0)
    module = getattr(torch.nn, cell)(
        D, H, bidirectional=True, batch_first=True, dtype=torch.float64
    )
    bi = Bidirectional.from_torch(module)
    rng = np.random.default_rng(1)
    parts = bi.state_parts
    x = rng.standard_normal((B, T, D))
    state0 = tuple(rng.standard_normal((2, B, H)) for _ in range(parts))
    d_out = rng.standard_normal((B, T, 2 * H))
    d_state = tuple(rng.standard_normal((2, B, H)) for _ in range(parts))
    lengths = LENGTHS if use_lengths else None

    out, state = bi.forward(x, state0 if parts > 1 else state0[0], lengths=lengths)
    dx, dstate0 = bi.backward(d_out, d_state if parts > 1 else d_state[0])

    xt = torch.tensor(x, requires_grad=True)
    s0 = tuple(torch.tensor(s, requires_grad=True) for s in state0)
    inp = xt
    if use_lengths:
        inp = pack_padded_sequence(
            xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
    t_out, t_state = module(inp, s0 if parts > 1 else s0[0])
    if use_lengths:
        t_out, _ = pad_packed_sequence(t_out, batch_first=True, total_length=T)
    t_state = as_tuple(t_state)
    loss = (t_out * torch.tensor(d_out)).sum()
    loss = loss + sum((s * torch.tensor(g)).sum() for s, g in zip(t_state, d_state, strict=True))
    loss.backward()

    assert out.shape == (B, T, 2 * H)
    assert rel(out, t_out.detach().numpy()) <= 1e-9
    for a, b in zip(as_tuple(state), t_state, strict=True):
        assert a.shape == (2, B, H) and rel(a, b.detach().numpy()) <= 1e-9
    assert rel(dx, xt.grad.numpy()) <= 1e-7
    for a, b in zip(as_tuple(dstate0), s0, strict=True):
        assert rel(a, b.grad.numpy()) <= 1e-7
    t_grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    assert list(bi.grads) == list(t_grads)
    for name, g in bi.grads.items():
        assert rel(g, t_grads[name]) <= 1e-7, name


@pytest.mark.parametrize("cell", list(CELLS))
def test_backward_half_is_a_plain_layer_on_the_reversed_input(cell):
    rng = np.random.default_rng(2)
    bi = pair(cell)
    x = rng.standard_normal((B, T, D))
    out, state = bi.forward(x)
    plain = CELLS[cell](D, H, rng=1)  # the same weights as bi.backward_layer
    out_rev, state_rev = plain.forward(x[:, ::-1])
    assert np.array_equal(out[..., H:], out_rev[:, ::-1])
    forward_out, forward_state = CELLS[cell](D, H, rng=0).forward(x)
    assert np.array_equal(out[..., :H], forward_out)
    for joined, f, b in zip(
        as_tuple(state), as_tuple(forward_state), as_tuple(state_rev), strict=True
    ):
        assert np.array_equal(joined, np.concatenate([f, b]))  # forward first, as torch


@pytest.mark.parametrize("cell", list(CELLS))
def test_each_sequence_reversed_within_its_length(cell):
    rng = np.random.default_rng(3)
    bi = pair(cell)
    x = rng.standard_normal((B, T, D))
    x_padded = x.copy()
    x_padded[np.arange(T) >= LENGTHS[:, None]] = 1e3  # padding must not leak in
    out, state = bi.forward(x_padded, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS):
        alone, state_alone = bi.forward(x[b : b + 1, :n])  # the sequence on its own
        assert np.allclose(out[b, :n], alone[0], rtol=0, atol=1e-13)
        assert not out[b, n:].any()  # padded outputs are zero
        for s, s_alone in zip(as_tuple(state), as_tuple(state_alone), strict=True):
            assert np.allclose(s[:, b], s_alone[:, 0], rtol=0, atol=1e-13)
        assert np.array_equal(as_tuple(state)[0][1, b], out[b, 0, H:])  # backward ends at 1
        assert np.array_equal(as_tuple(state)[0][0, b], out[b, n - 1, :H])


def test_reverse_within_lengths_is_its_own_inverse():
    order = reverse_within_lengths(LENGTHS, T)
    assert np.array_equal(np.take_along_axis(order, order, axis=1), np.tile(np.arange(T), (B, 1)))
    assert order[2].tolist() == list(range(T))  # length 1: nothing moves


class WithLengths:
    """Fixes ``lengths`` so that check_layer, which calls forward(x, state), can use it."""

    def __init__(self, layer, lengths):
        self.layer, self.lengths, self.params = layer, lengths, layer.params

    def forward(self, x, state=None):
        return self.layer.forward(x, state, lengths=self.lengths)

    def backward(self, d_out, d_state_n=None):
        return self.layer.backward(d_out, d_state_n)

    @property
    def grads(self):
        return self.layer.grads


@pytest.mark.parametrize("use_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_finite_differences(cell, use_lengths):
    rng = np.random.default_rng(4)
    bi = Bidirectional(CELLS[cell](2, 3, rng=0), CELLS[cell](2, 3, rng=1))
    state0 = tuple(rng.standard_normal((2, 3, 3)) for _ in range(bi.state_parts))
    layer = WithLengths(bi, np.array([4, 1, 3])) if use_lengths else bi
    errors = check_layer(
        layer, rng.standard_normal((3, 4, 2)), state0 if len(state0) > 1 else state0[0], rng=rng
    )
    assert set(errors) >= set(bi.params) | {"x"}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("cell", list(CELLS))
def test_torch_round_trip(cell):
    torch.manual_seed(5)
    module = getattr(torch.nn, cell)(D, H, bidirectional=True, batch_first=True, bias=False)
    bi = Bidirectional.from_torch(module)
    assert bi.dtype == np.float64 and not bi.forward_layer.bias
    assert list(bi.params) == [name for name, _ in module.named_parameters()]
    assert bi.num_parameters() == sum(p.numel() for p in module.parameters())
    back = bi.to_torch()
    assert back.bidirectional and back.num_layers == 1 and back.batch_first
    for (name, p), (name_back, p_back) in zip(
        module.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back and torch.equal(p.double(), p_back)


def test_params_are_the_layers_arrays_and_grads_follow():
    bi = pair("LSTM")
    assert bi.params["weight_hh_l0"] is bi.forward_layer.params["weight_hh_l0"]
    assert bi.params["bias_ih_l0_reverse"] is bi.backward_layer.params["bias_ih_l0"]
    bi.params["weight_ih_l0_reverse"] -= 1.0  # an in-place update reaches the layer
    assert np.array_equal(
        bi.params["weight_ih_l0_reverse"], bi.backward_layer.params["weight_ih_l0"]
    )
    x = np.ones((2, 3, D))
    bi.forward(x)
    _, (dh0, dc0) = bi.backward(np.ones((2, 3, 2 * H)), (None, np.ones((2, 2, H))))
    assert dh0.shape == dc0.shape == (2, 2, H)
    assert bi.grads.keys() == bi.params.keys()
    assert bi.grads["weight_hh_l0_reverse"] is bi.backward_layer.grads["weight_hh_l0"]


# --- errors at the boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: (RNN(D, H), RNN(D, 4)), ValueError, "expected hidden_size=5 .*got 4"),
        (lambda: (RNN(D, H), RNN(2, H)), ValueError, "expected input_size=3 .*got 2"),
        (lambda: (RNN(D, H), LSTM(D, H)), ValueError, "expected state_parts=1 .*got 2"),
        (
            lambda: (GRU(D, H), GRU(D, H, dtype=np.float32)),
            ValueError,
            "expected dtype=float64 .*got float32",
        ),
        (lambda: (RNN(D, H), "RNN"), TypeError, "backward_layer: expected a RecurrentLayer"),
    ],
)
def test_mismatched_layers(make, error, message):
    with pytest.raises(error, match=message):
        Bidirectional(*make())


def test_the_same_layer_twice():
    layer = GRU(D, H)
    with pytest.raises(ValueError, match="backward_layer: expected a second layer"):
        Bidirectional(layer, layer)


def test_bad_state_layouts():
    x = np.zeros((B, T, D))
    with pytest.raises(ValueError, match=r"state: expected shape \(2, 4, 5\) \(2, B, H\), got"):
        pair("RNN").forward(x, np.zeros((1, B, H)))  # a one-direction h0
    with pytest.raises(TypeError, match=r"state: expected a tuple of 2 arrays \(h, c\)"):
        pair("LSTM").forward(x, np.zeros((2, B, H)))
    bi = pair("GRU")
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        bi.backward(np.zeros((B, T, 2 * H)))
    bi.forward(x)
    with pytest.raises(ValueError, match=r"d_out: expected shape \(4, 6, 10\)"):
        bi.backward(np.zeros((B, T, H)))
    with pytest.raises(ValueError, match=r"d_state_n: expected shape \(2, 4, 5\)"):
        bi.backward(np.zeros((B, T, 2 * H)), np.zeros((1, B, H)))


@pytest.mark.parametrize(
    ("lengths", "error", "message"),
    [
        ([7, 1, 1, 1], ValueError, r"lengths: expected every length in 1..T = 1..6, got .*7\]"),
        (
            [0, 6, 1, 1],
            ValueError,
            r"lengths: expected every length in 1..T = 1..6, got values in \[0, 6\]",
        ),
        ([6, 6], ValueError, r"lengths: expected shape \(4,\)"),
        ([6.0, 6.0, 6.0, 6.0], TypeError, "lengths: expected an integer array"),
    ],
)
def test_bad_lengths(lengths, error, message):
    with pytest.raises(error, match=message):
        pair("LSTM").forward(np.zeros((B, T, D)), lengths=np.array(lengths))


def test_bad_x():
    with pytest.raises(ValueError, match=r"x: expected shape \(\*, \*, 3\)"):
        pair("RNN").forward(np.zeros((B, T, 4)))
    with pytest.raises(ValueError, match="x: expected at least one sequence and one step"):
        pair("RNN").forward(np.zeros((B, 0, D)), lengths=np.array([1, 1, 1, 1]))


def test_conversion_errors():
    with pytest.raises(ValueError, match="module: expected num_layers=1, bidirectional=True"):
        Bidirectional.from_torch(torch.nn.RNN(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="num_layers=2"):
        Bidirectional.from_torch(torch.nn.GRU(2, 3, 2, batch_first=True, bidirectional=True))
    with pytest.raises(ValueError, match="to_torch: expected every layer like RNN"):
        Bidirectional(RNN(D, H), GRU(D, H)).to_torch()
