"""rnnbook.scratch.linear and softmax_cross_entropy: torch parity, finite differences, errors."""

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import numerical_gradient, relative_error
from rnnbook.scratch.linear import linear_backward, linear_forward
from rnnbook.scratch.softmax_cross_entropy import (
    IGNORE_INDEX,
    cross_entropy_backward,
    cross_entropy_forward,
)


def _linear_params(rng, V=5, H=4):
    return {"weight": rng.standard_normal((V, H)), "bias": rng.standard_normal(V)}


def test_linear_matches_torch():
    rng = np.random.default_rng(0)
    params = _linear_params(rng)
    h, d_z = rng.standard_normal((2, 3, 4)), rng.standard_normal((2, 3, 5))
    z = linear_forward(params, h)
    dh, grads = linear_backward(params, h, d_z)

    layer = torch.nn.Linear(4, 5, dtype=torch.float64)
    with torch.no_grad():
        layer.weight.copy_(torch.tensor(params["weight"]))
        layer.bias.copy_(torch.tensor(params["bias"]))
    ht = torch.tensor(h, requires_grad=True)
    zt = layer(ht)
    (zt * torch.tensor(d_z)).sum().backward()
    assert relative_error(z, zt.detach().numpy()) <= 1e-9
    assert relative_error(dh, ht.grad.numpy()) <= 1e-7
    assert relative_error(grads["weight"], layer.weight.grad.numpy()) <= 1e-7
    assert relative_error(grads["bias"], layer.bias.grad.numpy()) <= 1e-7


def test_linear_finite_differences():
    rng = np.random.default_rng(1)
    params = _linear_params(rng)
    h, d_z = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 5))
    dh, grads = linear_backward(params, h, d_z)

    def loss():
        return float(np.sum(linear_forward(params, h) * d_z))

    for name in params:
        assert relative_error(grads[name], numerical_gradient(loss, params[name])) < 1e-6
    assert relative_error(dh, numerical_gradient(loss, h)) < 1e-6


def test_linear_shape_errors():
    params = _linear_params(np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"h: expected shape \(\.\.\., 4\) \(\.\.\., H\)"):
        linear_forward(params, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"d_z: expected shape \(2, 5\), got \(2, 4\)"):
        linear_backward(params, np.zeros((2, 4)), np.zeros((2, 4)))


def _targets(rng, shape, V, ignore=True):
    y = rng.integers(0, V, size=shape)
    if ignore:
        y[0, 0] = IGNORE_INDEX
    return y


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("ignore", [False, True])
def test_cross_entropy_matches_torch(reduction, ignore):
    rng = np.random.default_rng(2)
    logits = 3 * rng.standard_normal((3, 4, 6))
    y = _targets(rng, (3, 4), 6, ignore)
    loss, cache = cross_entropy_forward(logits, y, reduction)
    upstream = rng.standard_normal((3, 4)) if reduction == "none" else 1.0
    d_logits = cross_entropy_backward(cache, upstream)

    lt = torch.tensor(logits, requires_grad=True)
    t_loss = torch.nn.functional.cross_entropy(
        lt.reshape(-1, 6), torch.tensor(y).reshape(-1), reduction=reduction
    )
    if reduction == "none":
        t_loss = t_loss.reshape(3, 4)
        (t_loss * torch.tensor(upstream)).sum().backward()
    else:
        t_loss.backward()
    assert relative_error(np.asarray(loss), t_loss.detach().numpy()) <= 1e-9
    assert relative_error(d_logits, lt.grad.numpy()) <= 1e-7
    if ignore:
        assert (d_logits[0, 0] == 0).all()


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_cross_entropy_finite_differences(reduction):
    rng = np.random.default_rng(3)
    logits = rng.standard_normal((2, 3, 5))
    y = _targets(rng, (2, 3), 5)
    _, cache = cross_entropy_forward(logits, y, reduction)
    d_logits = cross_entropy_backward(cache)

    def loss():
        return cross_entropy_forward(logits, y, reduction)[0]

    assert relative_error(d_logits, numerical_gradient(loss, logits)) < 1e-6


def test_cross_entropy_is_stable_for_huge_logits():
    logits = np.array([[1000.0, 0.0, -1000.0]])
    loss, cache = cross_entropy_forward(logits, np.array([1]), "sum")
    assert loss == pytest.approx(1000.0)
    assert np.isfinite(cross_entropy_backward(cache)).all()


def test_cross_entropy_errors():
    logits = np.zeros((2, 3, 4))
    with pytest.raises(ValueError, match=r"targets: expected shape \(2, 3\), got \(2, 4\)"):
        cross_entropy_forward(logits, np.zeros((2, 4), dtype=int))
    with pytest.raises(TypeError, match="targets: expected integer class ids, got dtype float64"):
        cross_entropy_forward(logits, np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"targets: expected ids in \[0, 4\) or -100, got 4"):
        cross_entropy_forward(logits, np.full((2, 3), 4))
    with pytest.raises(ValueError, match=r"reduction: expected one of \('mean', 'sum', 'none'\)"):
        cross_entropy_forward(logits, np.zeros((2, 3), dtype=int), "max")
    bad = logits.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="logits: expected finite values"):
        cross_entropy_forward(bad, np.zeros((2, 3), dtype=int))
    _, cache = cross_entropy_forward(logits, np.zeros((2, 3), dtype=int), "none")
    with pytest.raises(ValueError, match=r"d_loss: expected shape \(2, 3\)"):
        cross_entropy_backward(cache, np.ones(3))
