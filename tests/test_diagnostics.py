"""rnnbook.diagnostics: the gradient-norm monitor, per-step input gradients, spikes, thresholds."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from rnnbook.analysis.diagnostics import (
    GradientMonitor,
    clip_threshold,
    find_spikes,
    input_gradient_norms,
)
from rnnbook.plots.gradients import plot_gradient_norms
from rnnbook.scratch import RNN
from rnnbook.training import TrainConfig, fit


class _TinyRNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.RNN(2, 4, batch_first=True, dtype=torch.float64)
        self.head = torch.nn.Linear(4, 1, dtype=torch.float64)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


def _mse(model, x, y):
    return torch.nn.functional.mse_loss(model(x), y)


def test_monitor_records_each_parameter_at_each_backward():
    torch.manual_seed(0)
    model = _TinyRNN()
    x, y = torch.randn(3, 5, 2, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    with GradientMonitor(model) as monitor:
        for _ in range(3):
            model.zero_grad(set_to_none=True)
            _mse(model, x, y).backward()
            expected = {n: p.grad.norm().item() for n, p in model.named_parameters()}
            weights = {n: p.norm().item() for n, p in model.named_parameters()}
            for name in expected:
                assert monitor.grad_norms[name][-1] == pytest.approx(expected[name], rel=1e-12)
                assert monitor.weight_norms[name][-1] == pytest.approx(weights[name], rel=1e-12)
            with torch.no_grad():
                for p in model.parameters():
                    p -= 0.1 * p.grad
    assert monitor.names == [n for n, _ in model.named_parameters()]
    assert monitor.as_array().shape == (3, 6)
    assert monitor.as_array("weight").shape == (3, 6)
    # After remove(), nothing more is recorded.
    _mse(model, x, y).backward()
    assert all(len(v) == 3 for v in monitor.grad_norms.values())


def test_monitor_agrees_with_fit_history():
    torch.manual_seed(1)
    model = _TinyRNN()
    gen = torch.Generator().manual_seed(0)
    data = [
        (
            torch.randn(4, 6, 2, generator=gen, dtype=torch.float64),
            torch.randn(4, generator=gen, dtype=torch.float64),
        )
        for _ in range(10)
    ]
    monitor = GradientMonitor(model)
    history = fit(model, lambda s: data[s], _mse, TrainConfig(steps=10, lr=0.05, clip_norm=0.1))
    monitor.remove()
    np.testing.assert_allclose(monitor.global_norms(), history.grad_norm, rtol=1e-10)


def test_monitor_records_numpy_gradients():
    layer = RNN(2, 3, rng=0)
    x = np.random.default_rng(0).standard_normal((2, 4, 2))
    monitor = GradientMonitor()
    for _ in range(2):
        out, _ = layer.forward(x)
        layer.backward(np.ones_like(out))
        monitor.record(layer.grads, layer.params)
    assert monitor.names == list(layer.params)
    norms = monitor.as_array()
    assert norms.shape == (2, 4)
    assert norms[0, 1] == pytest.approx(np.linalg.norm(layer.grads["weight_hh_l0"]), rel=1e-12)
    assert monitor.weight_norms["weight_ih_l0"][0] == pytest.approx(
        np.linalg.norm(layer.params["weight_ih_l0"]), rel=1e-12
    )


def test_monitor_keeps_non_finite_norms():
    monitor = GradientMonitor()
    monitor.record({"w": np.array([np.inf, 1.0])})
    monitor.record({"w": np.array([np.nan])})
    norms = monitor.as_array()[:, 0]
    assert np.isinf(norms[0]) and np.isnan(norms[1])


def test_input_gradient_norms_match_autograd_and_leave_parameters_alone():
    torch.manual_seed(2)
    model = _TinyRNN()
    x, y = torch.randn(3, 7, 2, dtype=torch.float64), torch.randn(3, dtype=torch.float64)
    norms = input_gradient_norms(model, x, y, torch.nn.functional.mse_loss)
    xr = x.clone().requires_grad_(True)
    torch.nn.functional.mse_loss(model(xr), y).backward()
    expected = xr.grad.norm(dim=2).mean(dim=0).numpy()
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    assert norms.shape == (7,)
    model.zero_grad(set_to_none=True)
    input_gradient_norms(model, x, y, torch.nn.functional.mse_loss)
    assert all(p.grad is None for p in model.parameters())


def test_input_gradients_vanish_towards_early_steps_with_small_recurrent_weights():
    torch.manual_seed(3)
    model = _TinyRNN()
    with torch.no_grad():
        model.rnn.weight_hh_l0.mul_(0.3)
    x, y = torch.randn(8, 30, 2, dtype=torch.float64), torch.randn(8, dtype=torch.float64)
    norms = input_gradient_norms(model, x, y, torch.nn.functional.mse_loss)
    assert norms[0] < 1e-6 * norms[-1]


def test_find_spikes():
    rng = np.random.default_rng(0)
    values = 1.0 + 0.1 * rng.random(100)
    assert find_spikes(values).size == 0
    values[40] = 50.0
    values[70] = np.nan
    np.testing.assert_array_equal(find_spikes(values, factor=10, window=20), [40, 70])
    values[5] = 50.0  # inside the first window: not judged
    np.testing.assert_array_equal(find_spikes(values, factor=10, window=20), [40, 70])


def test_clip_threshold():
    norms = np.array([1.0, 2.0, 3.0, 4.0, np.inf])
    assert clip_threshold(norms, 1.0) == 4.0
    assert clip_threshold(norms, 0.5) == pytest.approx(2.5)


def test_plot_returns_a_figure():
    monitor = GradientMonitor()
    monitor.record({"a": np.ones(2), "b": np.ones(3)})
    fig = plot_gradient_norms(monitor)
    assert len(fig.axes[0].lines) == 2
    plt.close(fig)


def test_errors():
    with pytest.raises(TypeError, match=r"model: expected a torch.nn.Module, got dict"):
        GradientMonitor({})
    frozen = torch.nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(ValueError, match=r"model: expected trainable parameters, got none"):
        GradientMonitor(frozen)
    monitor = GradientMonitor()
    with pytest.raises(TypeError, match=r"grads: expected a non-empty dict of arrays, got list"):
        monitor.record([])
    with pytest.raises(
        TypeError,
        match=r"grads\['w'\]: expected a floating-point array, got int64",
    ):
        monitor.record({"w": np.array([1, 2])})
    with pytest.raises(ValueError, match=r"params: expected a dict with the same keys as grads"):
        monitor.record({"w": np.ones(2)}, {"v": np.ones(2)})
    monitor.record({"w": np.ones(2)})
    monitor.record({"v": np.ones(2)})
    monitor.record({"v": np.ones(2)})
    with pytest.raises(ValueError, match=r"grad norms: expected the same number of records"):
        monitor.as_array()
    with pytest.raises(ValueError, match=r"which: expected 'grad' or 'weight', got 'bias'"):
        monitor.as_array("bias")
    with pytest.raises(ValueError, match=r"x: expected a float tensor of shape \(B, T, D\)"):
        input_gradient_norms(torch.nn.Linear(2, 1), torch.ones(3, 2), torch.ones(3), _mse)
    with pytest.raises(ValueError, match=r"values: expected a 1-D series"):
        find_spikes(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"window: expected a positive integer, got 0"):
        find_spikes(np.ones(3), window=0)
    with pytest.raises(ValueError, match=r"quantile: expected a number in \(0, 1\], got 1.5"):
        clip_threshold(np.ones(3), 1.5)
    with pytest.raises(ValueError, match=r"norms: expected at least one finite value"):
        clip_threshold(np.array([np.nan]))
    with pytest.raises(TypeError, match=r"monitor: expected a GradientMonitor, got list"):
        plot_gradient_norms([])
