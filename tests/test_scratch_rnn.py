"""rnnbook.scratch.RNN against torch.nn.RNN and torch autograd (float64), and its errors."""

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import check_layer, relative_error
from rnnbook.scratch import RNN

# (B, T, D, H): includes B=1, T=1 and D != H.
SHAPES = [(1, 1, 1, 1), (1, 5, 3, 4), (4, 1, 2, 3), (3, 7, 5, 2), (2, 12, 4, 4)]


def _torch_reference(layer, x, h0, d_out, d_h_n):
    """Forward and backward through torch.nn.RNN with the same weights."""
    module = layer.to_torch()
    xt = torch.tensor(x, requires_grad=True)
    h0t = torch.tensor(h0, requires_grad=True)
    out, h_n = module(xt, h0t)
    loss = (out * torch.tensor(d_out)).sum() + (h_n * torch.tensor(d_h_n)).sum()
    loss.backward()
    grads = {name: p.grad.numpy() for name, p in module.named_parameters()}
    return out.detach().numpy(), h_n.detach().numpy(), xt.grad.numpy(), h0t.grad.numpy(), grads


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}T{}D{}H{}".format(*s))
def test_forward_and_backward_match_torch(shape, nonlinearity):
    B, T, D, H = shape
    rng = np.random.default_rng(sum(shape))
    layer = RNN(D, H, nonlinearity=nonlinearity, rng=rng)
    x = rng.standard_normal((B, T, D))
    h0 = rng.standard_normal((1, B, H))
    d_out, d_h_n = rng.standard_normal((B, T, H)), rng.standard_normal((1, B, H))

    out, h_n = layer.forward(x, h0)
    dx, dh0 = layer.backward(d_out, d_h_n)
    t_out, t_h_n, t_dx, t_dh0, t_grads = _torch_reference(layer, x, h0, d_out, d_h_n)

    assert out.shape == (B, T, H) and h_n.shape == (1, B, H)
    assert relative_error(out, t_out) <= 1e-9
    assert relative_error(h_n, t_h_n) <= 1e-9
    assert np.array_equal(h_n[0], out[:, -1])
    assert relative_error(dx, t_dx) <= 1e-7
    assert relative_error(dh0, t_dh0) <= 1e-7
    assert layer.grads.keys() == layer.params.keys() == t_grads.keys()
    for name, grad in layer.grads.items():
        assert grad.shape == layer.params[name].shape
        assert relative_error(grad, t_grads[name]) <= 1e-7, name


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_zero_initial_state_by_default(nonlinearity):
    rng = np.random.default_rng(1)
    layer = RNN(3, 4, nonlinearity=nonlinearity, rng=rng)
    x = rng.standard_normal((2, 5, 3))
    out_default, _ = layer.forward(x)
    out_zeros, _ = layer.forward(x, np.zeros((1, 2, 4)))
    assert np.array_equal(out_default, out_zeros)
    t_out, _ = layer.to_torch()(torch.tensor(x))
    assert relative_error(out_default, t_out.detach().numpy()) <= 1e-9


@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
@pytest.mark.parametrize("bias", [True, False])
def test_finite_differences(nonlinearity, bias):
    rng = np.random.default_rng(2)
    layer = RNN(3, 4, nonlinearity=nonlinearity, bias=bias, rng=rng)
    x = rng.standard_normal((2, 6, 3))
    errors = check_layer(layer, x, rng.standard_normal((1, 2, 4)), rng=rng)
    expected_keys = set(layer.params) | {"x", "state0"}
    assert set(errors) == expected_keys
    assert max(errors.values()) < 1e-6, errors


def test_gradcheck_catches_a_wrong_backward():
    # The checker must be able to fail: break the backward pass and watch it.
    rng = np.random.default_rng(3)
    layer = RNN(2, 3, rng=rng)
    real_backward = layer.backward

    def broken_backward(d_out, d_h_n=None):
        dx, dh0 = real_backward(d_out, d_h_n)
        layer.grads["weight_hh_l0"] = layer.grads["weight_hh_l0"] * 1.01
        return dx, dh0

    layer.backward = broken_backward
    errors = check_layer(layer, rng.standard_normal((2, 4, 2)), rng=rng)
    assert errors["weight_hh_l0"] > 1e-3
    assert errors["weight_ih_l0"] < 1e-6


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("nonlinearity", ["tanh", "relu"])
def test_torch_round_trip(nonlinearity, bias):
    torch.manual_seed(0)
    module = torch.nn.RNN(
        3, 5, nonlinearity=nonlinearity, bias=bias, batch_first=True, dtype=torch.float64
    )
    layer = RNN.from_torch(module)
    assert layer.nonlinearity == nonlinearity and layer.bias == bias
    back = layer.to_torch()
    for (name, p), (name_back, p_back) in zip(
        module.named_parameters(), back.named_parameters(), strict=True
    ):
        assert name == name_back
        assert torch.equal(p, p_back)
    x = np.random.default_rng(0).standard_normal((2, 4, 3))
    out, _ = layer.forward(x)
    t_out, _ = module(torch.tensor(x))
    assert relative_error(out, t_out.detach().numpy()) <= 1e-9


def test_params_are_named_and_shaped_like_torch():
    layer = RNN(3, 5, rng=0)
    module = torch.nn.RNN(3, 5, batch_first=True)
    assert {k: v.shape for k, v in layer.params.items()} == {
        k: tuple(v.shape) for k, v in module.named_parameters()
    }
    assert all(p.dtype == np.float64 for p in layer.params.values())
    bound = 1 / np.sqrt(5)
    assert all(np.abs(p).max() <= bound for p in layer.params.values())


def test_parameter_count_does_not_grow_with_T():
    layer = RNN(3, 5, rng=0)
    counts = set()
    for T in (1, 10, 100):
        layer.forward(np.zeros((1, T, 3)))
        counts.add(layer.num_parameters())
    assert counts == {5 * 3 + 5 * 5 + 5 + 5}


def test_seeded_init_is_deterministic():
    a, b, c = RNN(3, 4, rng=7), RNN(3, 4, rng=7), RNN(3, 4, rng=8)
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["weight_hh_l0"], c.params["weight_hh_l0"])


def test_float32_layer_stays_float32():
    layer = RNN(2, 3, rng=0, dtype=np.float32)
    out, h_n = layer.forward(np.ones((1, 2, 2), dtype=np.float32))
    assert out.dtype == np.float32 and h_n.dtype == np.float32


# --- errors at the boundary -------------------------------------------------------------


@pytest.fixture
def layer():
    return RNN(3, 4, rng=0)


@pytest.mark.parametrize(
    ("x_shape", "message"),
    [
        ((5, 3), r"x: expected 3 dimensions \(B, T, D\), got shape \(5, 3\)"),
        ((2, 5, 3, 1), r"x: expected 3 dimensions \(B, T, D\), got shape \(2, 5, 3, 1\)"),
        ((2, 5, 4), r"x: expected shape \(\*, \*, 3\) \(B, T, D\), got \(2, 5, 4\)"),
        ((2, 0, 3), r"x: expected at least one sequence and one step, got shape \(2, 0, 3\)"),
    ],
)
def test_bad_x_shape(layer, x_shape, message):
    with pytest.raises(ValueError, match=message):
        layer.forward(np.zeros(x_shape))


@pytest.mark.parametrize("h0_shape", [(2, 4), (1, 3, 4), (1, 2, 5), (2, 2, 4)])
def test_bad_h0_shape(layer, h0_shape):
    with pytest.raises(ValueError, match=r"h0: expected .*\(1, B, H\), got"):
        layer.forward(np.zeros((2, 5, 3)), np.zeros(h0_shape))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_input(layer, bad):
    x = np.zeros((2, 5, 3))
    x[1, 2, 0] = bad
    with pytest.raises(ValueError, match="x: expected finite values, got 1 NaN or infinite"):
        layer.forward(x)
    h0 = np.zeros((1, 2, 4))
    h0[0, 0, 0] = bad
    with pytest.raises(ValueError, match="h0: expected finite values"):
        layer.forward(np.zeros((2, 5, 3)), h0)


def test_integer_input_is_a_type_error(layer):
    with pytest.raises(TypeError, match="x: expected a floating-point array, got dtype int64"):
        layer.forward(np.zeros((2, 5, 3), dtype=np.int64))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"input_size": 0, "hidden_size": 4},
            ValueError,
            "input_size: expected a positive integer, got 0",
        ),
        (
            {"input_size": 3, "hidden_size": -2},
            ValueError,
            "hidden_size: expected a positive integer, got -2",
        ),
        (
            {"input_size": 3.0, "hidden_size": 4},
            TypeError,
            "input_size: expected a positive integer, got float",
        ),
        (
            {"input_size": 3, "hidden_size": 4, "nonlinearity": "sigmoid"},
            ValueError,
            r"nonlinearity: expected one of \('tanh', 'relu', 'identity'\), got 'sigmoid'",
        ),
        (
            {"input_size": 3, "hidden_size": 4, "bias": 1},
            TypeError,
            "bias: expected a bool, got int",
        ),
        (
            {"input_size": 3, "hidden_size": 4, "dtype": np.int32},
            TypeError,
            "dtype: expected a floating-point dtype, got int32",
        ),
    ],
)
def test_bad_hyperparameters(kwargs, error, message):
    with pytest.raises(error, match=message):
        RNN(**kwargs)


def test_backward_before_forward(layer):
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.zeros((2, 5, 4)))


def test_backward_with_wrong_gradient_shape(layer):
    layer.forward(np.zeros((2, 5, 3)))
    with pytest.raises(
        ValueError, match=r"d_out: expected shape \(2, 5, 4\) \(B, T, H\), got \(2, 4, 4\)"
    ):
        layer.backward(np.zeros((2, 4, 4)))
    with pytest.raises(
        ValueError, match=r"d_h_n: expected 3 dimensions \(1, B, H\), got shape \(2, 4\)"
    ):
        layer.backward(np.zeros((2, 5, 4)), np.zeros((2, 4)))


def test_from_torch_rejects_unsupported_modules():
    with pytest.raises(TypeError, match=r"module: expected torch\.nn\.RNN, got LSTM"):
        RNN.from_torch(torch.nn.LSTM(2, 3, batch_first=True))
    with pytest.raises(ValueError, match="batch_first=False"):
        RNN.from_torch(torch.nn.RNN(2, 3))
    with pytest.raises(ValueError, match="bidirectional=True"):
        RNN.from_torch(torch.nn.RNN(2, 3, batch_first=True, bidirectional=True))
