"""rnnbook.training.clipping: torch's clipping with checks, and no damage on NaN."""

import numpy as np
import pytest
import torch

from rnnbook.training.clipping import torch_clip_by_global_norm, torch_clip_by_value
from rnnbook.training.history import TrainingDiverged


def _params(scale=10.0, seed=0):
    gen = torch.Generator().manual_seed(seed)
    params = []
    for shape in ((4, 3), (4,)):
        p = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))
        p.grad = scale * torch.randn(shape, generator=gen, dtype=torch.float64)
        params.append(p)
    return params


@pytest.mark.parametrize("max_norm", [0.5, 1.0, 1e3])
def test_global_norm_matches_torch_bit_for_bit(max_norm):
    a, b = _params(), _params()
    norm = torch_clip_by_global_norm(a, max_norm)
    assert norm == float(torch.nn.utils.clip_grad_norm_(b, max_norm))
    for p, q in zip(a, b, strict=True):
        assert torch.equal(p.grad, q.grad)
    total = torch.cat([p.grad.flatten() for p in a]).norm().item()
    assert total == pytest.approx(min(norm, max_norm), rel=1e-6)


def test_value_clipping_matches_torch():
    a, b = _params(), _params()
    torch_clip_by_value(a, 0.01)
    torch.nn.utils.clip_grad_value_(b, 0.01)
    for p, q in zip(a, b, strict=True):
        assert torch.equal(p.grad, q.grad)
    assert max(float(p.grad.abs().max()) for p in a) <= 0.01


@pytest.mark.parametrize("bad_value", [float("nan"), float("inf")])
def test_nonfinite_gradients_raise_before_scaling(bad_value):
    params = _params()
    params[0].grad[0, 0] = bad_value
    before = [p.grad.clone() for p in params]
    with pytest.raises(TrainingDiverged, match=f"gradient norm is {bad_value}"):
        torch_clip_by_global_norm(params, 1.0)
    # torch alone would have turned the finite entries into 0 (inf) or NaN: ours are untouched
    for p, b in zip(params, before, strict=True):
        np.testing.assert_array_equal(p.grad.numpy(), b.numpy())


def test_parameters_without_gradients_are_skipped():
    params = _params()
    params.append(torch.nn.Parameter(torch.ones(2)))  # .grad is None
    assert torch_clip_by_global_norm(params, 1e9) > 0
    assert params[-1].grad is None


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_bad_thresholds(bad):
    with pytest.raises(ValueError, match="max_norm: expected a finite number > 0"):
        torch_clip_by_global_norm(_params(), bad)
    with pytest.raises(ValueError, match="clip_value: expected a finite number > 0"):
        torch_clip_by_value(_params(), bad)


def test_bad_parameters():
    with pytest.raises(TypeError, match="parameters: expected torch tensors, got ndarray"):
        torch_clip_by_global_norm([np.ones(2)], 1.0)
