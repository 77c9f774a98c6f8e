"""rnnbook.scratch.clipping against torch.nn.utils.clip_grad_value_ and clip_grad_norm_."""

import numpy as np
import pytest
import torch

from rnnbook.scratch.clipping import clip_by_global_norm, clip_by_value, global_norm
from rnnbook.training.history import TrainingDiverged


def _grads(scale, seed=0):
    rng = np.random.default_rng(seed)
    return {"w": scale * rng.standard_normal((4, 3)), "b": scale * rng.standard_normal(4)}


def _torch_params(grads):
    params = []
    for g in grads.values():
        p = torch.nn.Parameter(torch.zeros(g.shape, dtype=torch.float64))
        p.grad = torch.tensor(g)
        params.append(p)
    return params


@pytest.mark.parametrize("scale", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("clip_value", [0.1, 1.0, 5.0])
def test_clip_by_value_matches_torch(scale, clip_value):
    grads = _grads(scale)
    params = _torch_params(grads)
    clip_by_value(grads, clip_value)
    torch.nn.utils.clip_grad_value_(params, clip_value)
    for g, p in zip(grads.values(), params, strict=True):
        np.testing.assert_array_equal(g, p.grad.numpy())


@pytest.mark.parametrize("scale", [0.01, 1.0, 100.0])
@pytest.mark.parametrize("max_norm", [0.5, 1.0, 10.0])
def test_clip_by_global_norm_matches_torch(scale, max_norm):
    grads = _grads(scale)
    params = _torch_params(grads)
    norm = clip_by_global_norm(grads, max_norm)
    t_norm = torch.nn.utils.clip_grad_norm_(params, max_norm)
    assert norm == pytest.approx(float(t_norm), rel=1e-12)
    for g, p in zip(grads.values(), params, strict=True):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-12, atol=0)
    assert global_norm(grads) <= max_norm * (1 + 1e-9)


def test_norm_clipping_keeps_direction_and_value_clipping_does_not():
    grads = {"w": np.array([10.0, 0.9, -0.8])}
    direction = grads["w"] / np.linalg.norm(grads["w"])
    by_norm = {"w": grads["w"].copy()}
    clip_by_global_norm(by_norm, 1.0)
    by_value = clip_by_value({"w": grads["w"].copy()}, 1.0)
    cos_norm = by_norm["w"] @ direction / np.linalg.norm(by_norm["w"])
    cos_value = by_value["w"] @ direction / np.linalg.norm(by_value["w"])
    assert cos_norm == pytest.approx(1.0, abs=1e-12)
    assert cos_value < 0.9


@pytest.mark.parametrize("bad", [0, -1.0, float("nan"), float("inf")])
def test_bad_thresholds(bad):
    with pytest.raises(ValueError, match="clip_value: expected a finite number > 0"):
        clip_by_value(_grads(1.0), bad)
    with pytest.raises(ValueError, match="max_norm: expected a finite number > 0"):
        clip_by_global_norm(_grads(1.0), bad)


def test_nan_gradients_are_refused_untouched():
    grads = _grads(1.0)
    grads["w"][0, 0] = np.nan
    before = {k: g.copy() for k, g in grads.items()}
    with pytest.raises(TrainingDiverged, match="gradient norm is nan"):
        clip_by_global_norm(grads, 1.0)
    for k in grads:
        np.testing.assert_array_equal(grads[k], before[k])


def test_bad_grads_container():
    with pytest.raises(TypeError, match="grads: expected a non-empty dict of arrays, got list"):
        clip_by_value([np.ones(2)], 1.0)
    with pytest.raises(TypeError, match=r"grads\['w'\]: expected a floating-point ndarray"):
        clip_by_value({"w": np.ones(2, dtype=int)}, 1.0)
