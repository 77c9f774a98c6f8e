"""rnnbook.cliff: Pascanu's one-unit model, its gradient (finite differences, torch) and descent."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from rnnbook.analysis.cliff import (
    CliffRun,
    cliff_forward,
    cliff_loss,
    cliff_loss_and_grad,
    descend,
)
from rnnbook.gradcheck import relative_error
from rnnbook.plots.cliff import plot_cliff_map, plot_cliff_surface

# Points off the wall, on both plateaus, in the valley and near the corner.
POINTS = [
    (1.0, -0.5),
    (3.0, -1.0),
    (5.0, -3.0),
    (8.0, -4.0),
    (-2.0, 1.0),
    (6.0, -2.0),
    (10.0, -6.0),
]


def _torch_loss(w, b, T=50, x0=0.5, target=0.7):
    w = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    b = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    x = torch.tensor(x0, dtype=torch.float64)
    for _ in range(T):
        x = w * torch.sigmoid(x) + b
    loss = (torch.sigmoid(x) - target) ** 2
    loss.backward()
    return loss.item(), w.grad.item(), b.grad.item()


@pytest.mark.parametrize(("w", "b"), POINTS)
def test_gradient_matches_torch_autograd(w, b):
    loss, dw, db = cliff_loss_and_grad(w, b)
    t_loss, t_dw, t_db = _torch_loss(w, b)
    assert relative_error(loss, t_loss) <= 1e-9
    assert relative_error(np.array([dw, db]), np.array([t_dw, t_db])) <= 1e-7


@pytest.mark.parametrize(("w", "b"), POINTS)
def test_gradient_matches_finite_differences(w, b):
    _, dw, db = cliff_loss_and_grad(w, b)
    eps = 1e-6
    num_dw = (cliff_loss(w + eps, b) - cliff_loss(w - eps, b)) / (2 * eps)
    num_db = (cliff_loss(w, b + eps) - cliff_loss(w, b - eps)) / (2 * eps)
    assert relative_error(np.array([dw, db]), np.array([num_dw, num_db])) < 1e-6


@pytest.mark.parametrize("T", [1, 3, 10])
def test_short_horizons_match_torch(T):
    loss, dw, db = cliff_loss_and_grad(2.0, -1.0, T=T)
    t_loss, t_dw, t_db = _torch_loss(2.0, -1.0, T=T)
    assert relative_error(np.array([loss, dw, db]), np.array([t_loss, t_dw, t_db])) <= 1e-9


def test_broadcasts_over_a_grid():
    W, B = np.meshgrid(np.linspace(-2, 12, 7), np.linspace(-8, 2, 5))
    loss, dw, db = cliff_loss_and_grad(W, B)
    assert loss.shape == dw.shape == db.shape == (5, 7)
    for i, j in [(0, 0), (2, 3), (4, 6)]:
        single = cliff_loss_and_grad(W[i, j], B[i, j])
        np.testing.assert_allclose([loss[i, j], dw[i, j], db[i, j]], single, rtol=1e-12)
    assert cliff_forward(W, B).shape == (51, 5, 7)


def test_the_two_plateaus_and_the_valley():
    # s(x_50) near 0 gives 0.7^2, near 1 gives 0.3^2, and a fixed point at s = 0.7 gives 0.
    assert cliff_loss(1.0, -10.0) == pytest.approx(0.49, abs=1e-3)
    assert cliff_loss(10.0, 5.0) == pytest.approx(0.09, abs=1e-3)
    x_star = np.log(0.7 / 0.3)  # s(x*) = 0.7
    w = 2.0
    assert cliff_loss(w, x_star - w * 0.7) == pytest.approx(0.0, abs=1e-12)


def test_the_wall_has_a_huge_gradient():
    # Locate the wall at w = 5.25 by bisection: below it s(x_50) ends near 0, above near 1.
    w, lo, hi = 5.25, -6.0, -2.0
    assert cliff_loss(w, lo) > 0.45 and cliff_loss(w, hi) < 0.1
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if cliff_loss(w, mid) > 0.25 else (lo, mid)
    near = [np.hypot(*cliff_loss_and_grad(w, lo + d)[1:]) for d in (-1e-6, 1e-6)]
    far = [np.hypot(*cliff_loss_and_grad(w, lo + d)[1:]) for d in (-0.1, 0.1)]
    assert min(near) > 1e4 * max(far)


def test_descend_without_clipping_is_plain_gradient_descent():
    run = descend(3.0, -2.0, lr=0.1, steps=5)
    assert isinstance(run, CliffRun)
    assert run.params.shape == (6, 2) and run.loss.shape == (6,) and run.grad_norm.shape == (5,)
    w, b = 3.0, -2.0
    for i in range(5):
        loss, dw, db = cliff_loss_and_grad(w, b)
        assert run.loss[i] == pytest.approx(float(loss), rel=1e-12)
        assert run.grad_norm[i] == pytest.approx(float(np.hypot(dw, db)), rel=1e-12)
        w, b = w - 0.1 * dw, b - 0.1 * db
    np.testing.assert_allclose(run.params[-1], [w, b], rtol=1e-12)


def test_clipping_bounds_the_step_and_keeps_the_direction():
    lr, c = 0.5, 1.0
    clipped = descend(5.75, -4.0, lr=lr, steps=150, clip_norm=c)
    assert np.all(clipped.step_size <= lr * c * (1 + 1e-9))
    for i in range(150):
        _, dw, db = cliff_loss_and_grad(*clipped.params[i])
        step = clipped.params[i] - clipped.params[i + 1]
        cosine = step @ [dw, db] / (np.linalg.norm(step) * np.hypot(dw, db))
        assert cosine == pytest.approx(1.0, abs=1e-9)
    free = descend(5.75, -4.0, lr=lr, steps=150)
    assert free.step_size.max() > 20 * lr * c  # one step thrown far by the wall


def test_plots_return_figures():
    run = descend(5.0, -3.0, lr=0.2, steps=3)
    fig = plot_cliff_map({"run": run}, n=20)
    assert fig.axes
    plt.close(fig)
    fig = plot_cliff_surface(n=10)
    assert fig.axes
    plt.close(fig)


def test_errors():
    with pytest.raises(ValueError, match=r"w: expected finite real values"):
        cliff_loss(np.nan, 1.0)
    with pytest.raises(TypeError, match=r"b: expected a real number or array, got dtype <U1"):
        cliff_loss(1.0, "a")
    with pytest.raises(
        ValueError,
        match=r"w and b: expected broadcastable shapes, got \(2,\) and \(3,\)",
    ):
        cliff_loss(np.ones(2), np.ones(3))
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        cliff_forward(1.0, 1.0, T=0)
    with pytest.raises(ValueError, match=r"lr: expected a finite number > 0, got -0.1"):
        descend(1.0, 1.0, lr=-0.1, steps=3)
    with pytest.raises(ValueError, match=r"clip_norm: expected a finite number > 0, got 0.0"):
        descend(1.0, 1.0, lr=0.1, steps=3, clip_norm=0.0)
    with pytest.raises(TypeError, match=r"steps: expected a positive integer, got float"):
        descend(1.0, 1.0, lr=0.1, steps=3.0)
