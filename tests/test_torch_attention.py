"""The numpy attention layers against their torch twins (float64), and the twins' own checks.

Relative error here is max|a - b| / max|b|, the book's parity measure.
"""

import numpy as np
import pytest
import torch

from rnnbook.models import attention as twins
from rnnbook.scratch import attention as scratch

LAYERS = ["AdditiveAttention", "DotAttention", "GeneralAttention", "ScaledDotAttention"]
# (B, T_src, H_q, H_k, H_v): includes B=1, T_src=1 and H_q != H_k.
SHAPES = [(1, 1, 2, 3, 1), (3, 5, 4, 6, 2), (2, 9, 3, 3, 5)]


def max_rel(a, b):
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape
    # T_src = 1 makes some gradients exactly zero; then a must be exactly zero too.
    return float(np.abs(a - b).max() / max(np.abs(b).max(), 1e-300))


def make_layer(name, H_q, H_k, rng):
    cls = getattr(scratch, name)
    if name == "AdditiveAttention":
        return cls(H_q, H_k, 7, rng=rng)
    if name == "GeneralAttention":
        return cls(H_q, H_k, rng=rng)
    return cls()


@pytest.mark.parametrize("use_mask", [False, True], ids=["no_mask", "mask"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "B{}T{}Hq{}Hk{}Hv{}".format(*s))
@pytest.mark.parametrize("name", LAYERS)
def test_forward_and_backward_match_torch(name, shape, use_mask):
    B, T_src, H_q, H_k, H_v = shape
    if name in ("DotAttention", "ScaledDotAttention"):
        H_k = H_q
    rng = np.random.default_rng(sum(shape) + LAYERS.index(name))
    layer = make_layer(name, H_q, H_k, rng)
    q, k, v = (
        rng.standard_normal((B, H_q)),
        rng.standard_normal((B, T_src, H_k)),
        rng.standard_normal((B, T_src, H_v)),
    )
    lengths = rng.integers(1, T_src + 1, size=B)
    mask = np.arange(T_src)[None] < lengths[:, None] if use_mask else None
    d_context, d_weights = rng.standard_normal((B, H_v)), rng.standard_normal((B, T_src))

    context, weights = layer.forward(q, k, v, mask)
    d_q, d_k, d_v = layer.backward(d_context, d_weights)

    module = layer.to_torch()
    qt, kt, vt = (torch.tensor(a, requires_grad=True) for a in (q, k, v))
    t_context, t_weights = module(qt, kt, vt, None if mask is None else torch.tensor(mask))
    loss = (t_context * torch.tensor(d_context)).sum() + (t_weights * torch.tensor(d_weights)).sum()
    loss.backward()

    assert max_rel(context, t_context.detach().numpy()) <= 1e-9
    assert max_rel(weights, t_weights.detach().numpy()) <= 1e-9
    for ours, theirs in [(d_q, qt.grad), (d_k, kt.grad), (d_v, vt.grad)]:
        assert max_rel(ours, theirs.numpy()) <= 1e-7
    torch_grads = {n: p.grad.numpy() for n, p in module.named_parameters()}
    assert layer.grads.keys() == layer.params.keys() == torch_grads.keys()
    for n, grad in layer.grads.items():
        assert max_rel(grad, torch_grads[n]) <= 1e-7, n
    if use_mask:
        assert np.all(t_weights.detach().numpy()[~mask] == 0.0)


@pytest.mark.parametrize("name", LAYERS)
def test_round_trip_through_torch(name):
    torch.manual_seed(0)
    twin = getattr(twins, name)
    module = {"AdditiveAttention": lambda: twin(3, 4, 5), "GeneralAttention": lambda: twin(3, 4)}
    module = module.get(name, twin)().double()
    layer = getattr(scratch, name).from_torch(module)
    back = layer.to_torch()
    assert [n for n, _ in module.named_parameters()] == [n for n, _ in back.named_parameters()]
    for (_, p), (_, p_back) in zip(module.named_parameters(), back.named_parameters(), strict=True):
        assert torch.equal(p, p_back)
    assert layer.params.keys() == dict(module.named_parameters()).keys()
    with pytest.raises(TypeError, match=f"module: expected {name}, got Linear"):
        getattr(scratch, name).from_torch(torch.nn.Linear(2, 2))


def test_torch_masked_softmax():
    scores = torch.tensor([[1.0, 2.0, 3.0], [0.5, 0.5, 9.0]], dtype=torch.float64)
    mask = torch.tensor([[True, True, False], [False, True, True]])
    weights = twins.masked_softmax(scores, mask)
    assert torch.all(weights[~mask] == 0)
    np.testing.assert_allclose(weights.sum(-1).numpy(), 1.0, atol=1e-15)
    np.testing.assert_allclose(
        weights.numpy(), scratch.masked_softmax(scores.numpy(), mask.numpy()), rtol=1e-14
    )
    with pytest.raises(ValueError, match="mask: expected at least one allowed position per row"):
        twins.masked_softmax(scores, torch.tensor([[True, False, False], [False] * 3]))
    with pytest.raises(TypeError, match=r"mask: expected a bool tensor .*got torch.int64"):
        twins.masked_softmax(scores, torch.ones(2, 3, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"mask: expected a shape broadcastable to \(2, 3\)"):
        twins.masked_softmax(scores, torch.ones(3, 2, dtype=torch.bool))


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        ((np.ones((2, 3)), torch.ones(2, 4, 3), torch.ones(2, 4, 1)), TypeError, "query: exp"),
        ((torch.ones(2, 3), torch.ones(2, 4, 2), torch.ones(2, 4, 1)), ValueError, "keys: exp"),
        ((torch.ones(2, 3), torch.ones(1, 4, 3), torch.ones(2, 4, 1)), ValueError, "keys: exp"),
        ((torch.ones(2, 3), torch.ones(2, 0, 3), torch.ones(2, 0, 1)), ValueError, "T_src >= 1"),
        ((torch.ones(2, 3), torch.ones(2, 4, 3), torch.ones(2, 5, 1)), ValueError, "values: ex"),
        (
            (torch.ones(2, 3, dtype=torch.int64), torch.ones(2, 4, 3), torch.ones(2, 4, 1)),
            TypeError,
            "query: expected a floating-point tensor, got dtype torch.int64",
        ),
    ],
)
def test_twin_bad_arguments(args, error, message):
    with pytest.raises(error, match=message):
        twins.DotAttention()(*args)


def test_twin_checks_sizes():
    with pytest.raises(
        ValueError, match=r"query: expected shape \(\*, 3\) \(B, H_q\), got \(2, 4\)"
    ):
        twins.GeneralAttention(3, 5)(torch.ones(2, 4), torch.ones(2, 4, 5), torch.ones(2, 4, 1))


def test_make_attention():
    assert isinstance(twins.make_attention("additive", 3, 4, 5), twins.AdditiveAttention)
    assert isinstance(twins.make_attention("general", 3, 4, 5), twins.GeneralAttention)
    assert isinstance(twins.make_attention("dot", 3, 3, 5), twins.DotAttention)
    assert isinstance(twins.make_attention("scaled_dot", 3, 3, 5), twins.ScaledDotAttention)
    assert twins.make_attention("additive", 3, 4, 5).v.shape == (5,)
    with pytest.raises(ValueError, match=r"score: expected one of \('dot', 'scaled_dot'"):
        twins.make_attention("cosine", 3, 3, 5)
    with pytest.raises(ValueError, match="key_size: expected the query size 3 for a 'dot' score"):
        twins.make_attention("dot", 3, 4, 5)
    with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
        twins.make_attention("additive", 3, 4, 0)
