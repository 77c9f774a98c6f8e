"""rnnbook.training.fit: it learns, it records, it refuses to diverge silently."""

import math

import pytest
import torch

from rnnbook.training import TrainConfig, TrainingDiverged, fit


def _regression_problem(seed=0):
    gen = torch.Generator().manual_seed(seed)
    w_true = torch.randn(3, 1, generator=gen)

    def get_batch(step):
        x = torch.randn(16, 3, generator=gen)
        return x, x @ w_true

    return get_batch


def _mse(model, x, y):
    return torch.nn.functional.mse_loss(model(x), y)


def test_fit_learns_and_records_history():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    get_batch = _regression_problem()
    x_val, y_val = get_batch(-1)
    history = fit(
        model,
        get_batch,
        _mse,
        TrainConfig(steps=200, lr=0.05, eval_every=50),
        evaluate=lambda m: _mse(m, x_val, y_val).item(),
    )
    assert len(history.loss) == len(history.grad_norm) == 200
    assert history.eval_step == [50, 100, 150, 200]
    assert history.final_loss < 1e-3 < history.loss[0]
    assert history.eval_metric[-1] < 1e-3


def test_clipping_bounds_the_update():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    before = [p.detach().clone() for p in model.parameters()]
    fit(
        model,
        lambda s: (100 * torch.ones(4, 3), torch.zeros(4, 1)),
        _mse,
        TrainConfig(steps=1, lr=1.0, optimizer="sgd", clip_norm=0.5),
    )
    step = torch.cat(
        [(p.detach() - b).flatten() for p, b in zip(model.parameters(), before, strict=True)]
    )
    assert step.norm().item() == pytest.approx(0.5, rel=1e-4)


def test_divergence_stops_with_the_step():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    with pytest.raises(
        TrainingDiverged, match=r"training diverged at step \d+: (loss|gradient norm) is (nan|inf)"
    ) as caught:
        fit(
            model,
            _regression_problem(),
            lambda m, x, y: _mse(m, 1e30 * x, y),
            TrainConfig(steps=50, lr=10.0, optimizer="sgd"),
        )
    # The steps before the failure are kept, and all of them were finite.
    step = int(str(caught.value).split("step ")[1].split(":")[0])
    history = caught.value.history
    assert len(history.loss) == len(history.grad_norm) == step
    assert all(math.isfinite(v) for v in history.loss + history.grad_norm)


def test_nan_loss_names_step_zero():
    model = torch.nn.Linear(3, 1)
    with pytest.raises(TrainingDiverged, match="training diverged at step 0: loss is nan"):
        fit(
            model,
            _regression_problem(),
            lambda m, x, y: _mse(m, x, y) * float("nan"),
            TrainConfig(steps=5),
        )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"steps": 0}, "steps: expected a positive integer, got 0"),
        ({"lr": -1.0}, "lr: expected a finite number > 0, got -1.0"),
        ({"optimizer": "rmsprop"}, "optimizer: expected one of"),
        ({"clip_norm": 0.0}, "clip_norm: expected a finite number > 0"),
        ({"eval_every": -5}, "eval_every: expected a positive integer, got -5"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_config_must_be_a_trainconfig():
    with pytest.raises(TypeError, match="config: expected a TrainConfig, got dict"):
        fit(torch.nn.Linear(1, 1), _regression_problem(), _mse, {"steps": 1})
