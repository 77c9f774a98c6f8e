"""rnnbook.scratch.Stacked against torch.nn.RNN/GRU/LSTM(num_layers=L) in float64.

Every combination of cell, direction and depth is run with and without ``lengths`` (a
packed batch on the torch side, with a length-1 sequence in it) and compared on outputs,
final states and every gradient. Relative error is max|a - b| / max|b|.
"""

import numpy as np
import pytest
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook.gradcheck import check_layer
from rnnbook.optim import SGD
from rnnbook.scratch.bidirectional import Bidirectional
from rnnbook.scratch.dropout import dropout_mask
from rnnbook.scratch.gru import GRU
from rnnbook.scratch.lstm import LSTM
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.stacked import Stacked

CELLS = {"RNN": RNN, "GRU": GRU, "LSTM": LSTM}
B, T, D, H = 4, 6, 3, 5
LENGTHS = np.array([6, 1, 4, 3])  # a full sequence and a length-1 one, unsorted


def rel(a, b):
    """max|a - b| / max|b|."""
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape, (a.shape, b.shape)
    return float(np.max(np.abs(a - b)) / np.max(np.abs(b)))


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def torch_module(cell, num_layers, bidirectional, seed=0, **kwargs):
    torch.manual_seed(seed)
    return getattr(torch.nn, cell)(
        D,
        H,
        num_layers=num_layers,
        bidirectional=bidirectional,
        batch_first=True,
        dtype=torch.float64,
        **kwargs,
    )


def torch_run(module, x, state0, lengths, d_out, d_state):
    """Forward and backward through a torch module, packed if ``lengths`` is given."""
    xt = torch.tensor(x, requires_grad=True)
    s0 = tuple(torch.tensor(s, requires_grad=True) for s in state0)
    hx = s0 if isinstance(module, torch.nn.LSTM) else s0[0]
    if lengths is None:
        out, state = module(xt, hx)
    else:
        packed = pack_padded_sequence(
            xt, torch.tensor(lengths), batch_first=True, enforce_sorted=False
        )
        out, state = module(packed, hx)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=x.shape[1])
    state = as_tuple(state)
    loss = (out * torch.tensor(d_out)).sum()
    loss = loss + sum((s * torch.tensor(g)).sum() for s, g in zip(state, d_state, strict=True))
    loss.backward()
    return {
        "out": out.detach().numpy(),
        "state": tuple(s.detach().numpy() for s in state),
        "dx": xt.grad.numpy(),
        "dstate0": tuple(s.grad.numpy() for s in s0),
        "grads": {name: p.grad.numpy() for name, p in module.named_parameters()},
    }


def parity_errors(numpy_layer, module, lengths, rng):
    """Largest forward and gradient errors of a numpy layer against its torch module."""
    nd = 2 if module.bidirectional else 1
    parts = 2 if isinstance(module, torch.nn.LSTM) else 1
    x = rng.standard_normal((B, T, D))
    state0 = tuple(rng.standard_normal((module.num_layers * nd, B, H)) for _ in range(parts))
    d_out = rng.standard_normal((B, T, nd * H))
    d_state = tuple(rng.standard_normal(s.shape) for s in state0)
    ref = torch_run(module, x, state0, lengths, d_out, d_state)

    like = state0 if parts > 1 else state0[0]
    out, state = numpy_layer.forward(x, like, lengths=lengths)
    dx, dstate0 = numpy_layer.backward(d_out, d_state if parts > 1 else d_state[0])
    assert out.shape == (B, T, nd * H)
    assert numpy_layer.grads.keys() == ref["grads"].keys()
    if lengths is not None:
        padded = np.arange(T) >= lengths[:, None]  # (B, T)
        assert not out[padded].any() and not dx[padded].any()
    forward = [rel(out, ref["out"])] + [
        rel(a, b) for a, b in zip(as_tuple(state), ref["state"], strict=True)
    ]
    backward = [rel(dx, ref["dx"])]
    backward += [rel(a, b) for a, b in zip(as_tuple(dstate0), ref["dstate0"], strict=True)]
    backward += [rel(g, ref["grads"][name]) for name, g in numpy_layer.grads.items()]
    return max(forward), max(backward)


@pytest.mark.parametrize("use_lengths", [False, True], ids=["full", "lengths"])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_matches_torch(cell, bidirectional, num_layers, use_lengths):
    module = torch_module(cell, num_layers, bidirectional, dropout=0.3 if num_layers > 1 else 0)
    module.eval()  # torch's dropout off; ours too, copied by from_torch
    stack = Stacked.from_torch(module, rng=0)
    assert not stack.training and stack.dropout == module.dropout
    lengths = LENGTHS if use_lengths else None
    forward, backward = parity_errors(stack, module, lengths, np.random.default_rng(num_layers))
    assert forward <= 1e-9
    assert backward <= 1e-7


@pytest.mark.parametrize("cell", list(CELLS))
def test_training_mode_with_zero_dropout_matches_torch(cell):
    module = torch_module(cell, 2, True)  # training mode, dropout 0
    stack = Stacked.from_torch(module)
    assert stack.training
    forward, backward = parity_errors(stack, module, LENGTHS, np.random.default_rng(0))
    assert forward <= 1e-9 and backward <= 1e-7


@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("cell", list(CELLS))
def test_finite_differences(cell, bidirectional):
    rng = np.random.default_rng(1)
    stack = Stacked.from_torch(torch_module(cell, 2, bidirectional))
    nd, parts = 1 + bidirectional, 1 + (cell == "LSTM")
    state0 = tuple(rng.standard_normal((2 * nd, 2, H)) for _ in range(parts))
    errors = check_layer(
        stack, rng.standard_normal((2, 3, D)), state0 if parts > 1 else state0[0], rng=rng
    )
    assert set(errors) >= set(stack.params) | {"x"}
    assert max(errors.values()) < 1e-6, errors


class FixedMasks:
    """A stack whose dropout masks are the same on every forward call (for check_layer)."""

    def __init__(self, stack, seed):
        self.stack, self.seed = stack, seed
        self.params = stack.params

    def forward(self, x, state=None):
        self.stack.rng = np.random.default_rng(self.seed)
        return self.stack.forward(x, state)

    def backward(self, d_out, d_state_n=None):
        return self.stack.backward(d_out, d_state_n)

    @property
    def grads(self):
        return self.stack.grads


@pytest.mark.parametrize("cell", list(CELLS))
def test_finite_differences_through_dropout(cell):
    rng = np.random.default_rng(2)
    stack = Stacked.from_torch(torch_module(cell, 3, True, dropout=0.5))
    assert stack.training and stack.dropout == 0.5
    errors = check_layer(FixedMasks(stack, seed=3), rng.standard_normal((2, 3, D)), rng=rng)
    assert max(errors.values()) < 1e-6, errors
    assert all(m is not None for m in stack.cache.masks[:-1]) and stack.cache.masks[-1] is None


# --- dropout ------------------------------------------------------------------------------


def two_rnns(dropout, seed=0):
    return Stacked([RNN(D, H, rng=1), RNN(H, H, rng=2)], dropout=dropout, rng=seed)


def test_dropout_mask_is_applied_scaled_and_reused_by_backward():
    rng = np.random.default_rng(4)
    x, d_out = rng.standard_normal((B, T, D)), rng.standard_normal((B, T, H))
    stack = two_rnns(0.4, seed=5)
    out, h_n = stack.forward(x)
    dx, _ = stack.backward(d_out)

    # the same computation by hand, with the mask the stack drew
    mask = dropout_mask((B, T, H), 0.4, np.random.default_rng(5))
    assert np.array_equal(stack.cache.masks[0], mask)
    assert set(np.unique(mask).round(12)) == {0.0, round(1 / 0.6, 12)}
    first, second = RNN(D, H, rng=1), RNN(H, H, rng=2)
    hidden, _ = first.forward(x)
    out_ref, _ = second.forward(hidden * mask)
    assert np.array_equal(out, out_ref)
    d_hidden, _ = second.backward(d_out)
    dx_ref, _ = first.backward(d_hidden * mask)
    assert np.allclose(dx, dx_ref, rtol=0, atol=1e-14)


def test_dropout_rate_and_fresh_masks():
    stack = Stacked([RNN(D, 50, rng=1), RNN(50, 50, rng=2), RNN(50, 50, rng=3)], 0.3, rng=0)
    x = np.ones((20, 10, D))
    stack.forward(x)
    first = [m.copy() for m in stack.cache.masks[:-1]]
    assert stack.cache.masks[-1] is None  # nothing after the last layer
    for m in first:
        assert abs((m == 0).mean() - 0.3) < 0.02
    stack.forward(x)
    assert not np.array_equal(first[0], stack.cache.masks[0])  # one mask per forward


def test_eval_mode_is_the_identity():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((B, T, D))
    plain, _ = two_rnns(0.0).forward(x)
    dropped = two_rnns(0.7).eval()
    out_a, _ = dropped.forward(x)
    out_b, _ = dropped.forward(x)
    assert np.array_equal(out_a, plain) and np.array_equal(out_b, plain)
    assert dropped.cache.masks == (None, None)
    assert not np.array_equal(two_rnns(0.7).train().forward(x)[0], plain)


def test_seeded_dropout_is_reproducible():
    x = np.ones((2, 3, D))
    assert np.array_equal(two_rnns(0.5, seed=9).forward(x)[0], two_rnns(0.5, seed=9).forward(x)[0])


# --- parameters, conversion, lengths --------------------------------------------------------


@pytest.mark.parametrize("cell", list(CELLS))
def test_torch_round_trip_and_names(cell):
    module = torch_module(cell, 3, True, dropout=0.25, bias=False)
    stack = Stacked.from_torch(module)
    assert list(stack.params) == [name for name, _ in module.named_parameters()]
    assert stack.num_parameters() == sum(p.numel() for p in module.parameters())
    back = stack.to_torch()
    assert type(back) is type(module) and back.dropout == 0.25 and back.training
    assert back.num_layers == 3 and back.bidirectional and back.batch_first and not back.bias
    for (name, p), (name_back, p_back) in zip(
        module.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back and torch.equal(p, p_back)


def test_relu_rnn_round_trip():
    module = torch_module("RNN", 2, False, nonlinearity="relu")
    stack = Stacked.from_torch(module)
    assert all(layer.nonlinearity == "relu" for layer in stack.layers)
    assert stack.to_torch().nonlinearity == "relu"


def test_params_are_the_layers_arrays():
    first = Bidirectional(GRU(D, H, rng=0), GRU(D, H, rng=1))
    second = Bidirectional(GRU(2 * H, H, rng=2), GRU(2 * H, H, rng=3))
    stack = Stacked([first, second])
    assert stack.params["weight_hh_l0_reverse"] is first.backward_layer.params["weight_hh_l0"]
    assert stack.params["bias_ih_l1"] is second.forward_layer.params["bias_ih_l0"]
    before = second.backward_layer.params["weight_ih_l0"].copy()
    stack.forward(np.ones((2, 3, D)))
    stack.backward(np.ones((2, 3, 2 * H)))
    assert stack.grads.keys() == stack.params.keys()
    SGD(stack.params, lr=0.1).step(stack.grads)
    expected = before - 0.1 * stack.grads["weight_ih_l1_reverse"]
    assert np.allclose(second.backward_layer.params["weight_ih_l0"], expected)


def test_lengths_reach_every_layer():
    rng = np.random.default_rng(7)
    stack = Stacked([LSTM(D, H, rng=0), LSTM(H, H, rng=1)])
    x = rng.standard_normal((B, T, D))
    out, (h_n, c_n) = stack.forward(x, lengths=LENGTHS)
    for b, n in enumerate(LENGTHS):  # each sequence alone, cut to its length
        alone, (h_alone, c_alone) = stack.forward(x[b : b + 1, :n])
        assert np.allclose(out[b, :n], alone[0], rtol=0, atol=1e-13)
        assert not out[b, n:].any()
        assert np.allclose(h_n[:, b], h_alone[:, 0], rtol=0, atol=1e-13)
        assert np.allclose(c_n[:, b], c_alone[:, 0], rtol=0, atol=1e-13)


# --- errors at the boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("layers", "message"),
    [
        (lambda: [RNN(D, H), RNN(D, H)], r"layers\[1\]: expected input_size=5 .*got 3"),
        (lambda: [RNN(D, H), RNN(H, 4)], r"layers\[1\]: expected hidden_size=5 .*got 4"),
        (lambda: [RNN(D, H), LSTM(H, H)], r"layers\[1\]: expected state_parts=1 .*got 2"),
        (
            lambda: [RNN(D, H), Bidirectional(RNN(H, H), RNN(H, H))],
            r"layers\[1\]: expected num_directions=1 .*got 2",
        ),
        (
            lambda: [RNN(D, H), RNN(H, H, dtype=np.float32)],
            r"layers\[1\]: expected dtype=float64 .*got float32",
        ),
    ],
)
def test_mismatched_layers(layers, message):
    with pytest.raises(ValueError, match=message):
        Stacked(layers())


def test_bad_constructor_arguments():
    layer = RNN(D, D)
    with pytest.raises(ValueError, match="layers: expected distinct layers"):
        Stacked([layer, layer])
    with pytest.raises(TypeError, match="layers: expected a non-empty list of layers, got list"):
        Stacked([])
    with pytest.raises(TypeError, match="layers: expected a non-empty list of layers, got RNN"):
        Stacked(layer)
    with pytest.raises(TypeError, match=r"layers\[0\]: expected a RecurrentLayer .*got Linear"):
        Stacked([torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match=r"dropout: expected a probability in \[0, 1\), got 1.0"):
        Stacked([layer], dropout=1.0)
    with pytest.raises(ValueError, match=r"dropout: expected a finite number >= 0, got -0\.1"):
        Stacked([layer], dropout=-0.1)
    with pytest.raises(TypeError, match="rng: expected a numpy Generator or an int seed"):
        Stacked([layer], rng=0.5)
    with pytest.raises(TypeError, match="mode: expected a bool, got str"):
        Stacked([layer]).train("no")


def test_bad_state_and_gradient_layouts():
    stack = Stacked.from_torch(torch_module("LSTM", 2, True))
    x = np.zeros((B, T, D))
    with pytest.raises(TypeError, match=r"state: expected a tuple of 2 arrays \(h, c\)"):
        stack.forward(x, np.zeros((4, B, H)))
    with pytest.raises(ValueError, match=r"state: expected shape \(4, 4, 5\) .*got \(2, 4, 5\)"):
        stack.forward(x, (np.zeros((2, B, H)), np.zeros((2, B, H))))
    with pytest.raises(RuntimeError, match="backward\\(\\) called before forward\\(\\)"):
        stack.backward(np.zeros((B, T, 2 * H)))
    stack.forward(x)
    with pytest.raises(ValueError, match=r"d_out: expected shape \(4, 6, 10\)"):
        stack.backward(np.zeros((B, T, H)))
    with pytest.raises(ValueError, match=r"d_state_n: expected shape \(4, 4, 5\)"):
        stack.backward(np.zeros((B, T, 2 * H)), (np.zeros((1, B, H)), None))
    stack.backward(np.zeros((B, T, 2 * H)), (None, np.ones((4, B, H))))  # either part may be None


@pytest.mark.parametrize(
    ("lengths", "message"),
    [
        ([7, 1, 1, 1], r"lengths: expected every length in 1..T = 1..6, got values in \[1, 7\]"),
        ([0, 1, 1, 1], r"lengths: expected every length in 1..T = 1..6, got values in \[0, 1\]"),
        ([1, 1], r"lengths: expected shape \(4,\)"),
    ],
)
def test_bad_lengths(lengths, message):
    stack = Stacked([GRU(D, H), GRU(H, H)])
    with pytest.raises(ValueError, match=message):
        stack.forward(np.zeros((B, T, D)), lengths=np.array(lengths))


def test_conversion_errors():
    with pytest.raises(TypeError, match=r"expected torch\.nn\.RNN, GRU or LSTM, got Linear"):
        Stacked.from_torch(torch.nn.Linear(2, 2))
    with pytest.raises(ValueError, match="module: expected batch_first=True"):
        Stacked.from_torch(torch.nn.GRU(2, 3, num_layers=2))
    with pytest.raises(ValueError, match="module: expected proj_size=0, got proj_size=2"):
        Stacked.from_torch(torch.nn.LSTM(2, 3, batch_first=True, proj_size=2))
    with pytest.raises(ValueError, match="to_torch: expected every layer like RNN"):
        Stacked([RNN(D, H, nonlinearity="tanh"), RNN(H, H, nonlinearity="relu")]).to_torch()
    with pytest.raises(ValueError, match="to_torch: expected every layer like RNN"):
        Stacked([RNN(D, H), GRU(H, H)]).to_torch()
