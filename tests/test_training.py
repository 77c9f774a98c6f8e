"""rnnbook.training: fit learns, records and refuses to diverge silently; History; batches."""

import math

import pytest
import torch

from rnnbook.training import History, TrainConfig, TrainingDiverged, batches, fit


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
        (
            {"steps": 10, "lr_schedule": ((10, 1e-3),)},
            r"lr_schedule: expected increasing steps in 1..9, got 10",
        ),
        ({"steps": 10, "lr_schedule": ((5, 1e-3), (5, 1e-4))}, r"increasing steps in 6..9, got 5"),
        ({"lr_schedule": ((5, -1.0),)}, "lr_schedule lr: expected a finite number > 0, got -1.0"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**kwargs)


def test_config_must_be_a_trainconfig():
    with pytest.raises(TypeError, match="config: expected a TrainConfig, got dict"):
        fit(torch.nn.Linear(1, 1), _regression_problem(), _mse, {"steps": 1})


def test_bad_schedule_types():
    with pytest.raises(TypeError, match="lr_schedule: expected a tuple of"):
        TrainConfig(lr_schedule=[(5, 1e-3)])
    with pytest.raises(TypeError, match=r"lr_schedule: expected \(step, lr\) pairs, got 5"):
        TrainConfig(lr_schedule=(5,))


def _sgd_run(config, seed=0):
    torch.manual_seed(seed)
    model = torch.nn.Linear(3, 1)
    history = fit(model, _regression_problem(), _mse, config)
    return model, history


def test_lr_schedule_switches_the_rate_at_the_given_step():
    # SGD with lr 0 after step 3 must leave the weights exactly where step 3 left them
    model_a, hist_a = _sgd_run(TrainConfig(steps=3, lr=0.1, optimizer="sgd"))
    model_b, hist_b = _sgd_run(
        TrainConfig(steps=8, lr=0.1, optimizer="sgd", lr_schedule=((3, 1e-300),))
    )
    assert hist_b.loss[:3] == hist_a.loss
    for p, q in zip(model_a.parameters(), model_b.parameters(), strict=True):
        torch.testing.assert_close(p, q, rtol=0, atol=1e-12)
    config = TrainConfig(steps=10, lr=1.0, lr_schedule=((2, 0.5), (7, 0.25)))
    assert [config.lr_at(s) for s in (0, 1, 2, 6, 7, 9)] == [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]


def test_a_schedule_equals_two_sgd_calls():
    # plain SGD keeps no state, so one scheduled run equals two fit() calls in a row
    _, scheduled = _sgd_run(TrainConfig(steps=6, lr=0.1, optimizer="sgd", lr_schedule=((4, 0.01),)))
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    get_batch = _regression_problem()
    first = fit(model, get_batch, _mse, TrainConfig(steps=4, lr=0.1, optimizer="sgd"))
    second = fit(model, get_batch, _mse, TrainConfig(steps=2, lr=0.01, optimizer="sgd"))
    assert first.concat(second).loss == pytest.approx(scheduled.loss, rel=1e-6)


def test_divergence_leaves_the_weights_finite():
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    with pytest.raises(TrainingDiverged):
        fit(
            model,
            _regression_problem(),
            lambda m, x, y: _mse(m, 1e30 * x, y),
            TrainConfig(steps=50, lr=10.0, optimizer="sgd"),
        )
    assert all(torch.isfinite(p).all() for p in model.parameters())


def test_history_concat_and_extend():
    a = History(loss=[3.0, 2.0], grad_norm=[1.0, 1.0], eval_step=[1, 2], eval_metric=[0.5, 0.4])
    b = History(loss=[1.0], grad_norm=[0.5], eval_step=[1], eval_metric=[0.3])
    c = a.concat(b)
    assert c.loss == [3.0, 2.0, 1.0] and c.grad_norm == [1.0, 1.0, 0.5]
    assert c.eval_step == [1, 2, 3] and c.eval_metric == [0.5, 0.4, 0.3]
    assert a.loss == [3.0, 2.0] and a.eval_step == [1, 2]  # concat copies
    assert a.extend(b) is a and a == c  # extend is in place
    with pytest.raises(TypeError, match="other: expected a History, got list"):
        a.extend([1.0])
    with pytest.raises(ValueError, match="history: expected at least one recorded step"):
        _ = History().final_loss


def test_history_and_seeds_import_without_torch():
    import subprocess
    import sys

    code = (
        "import sys, rnnbook.training.history, rnnbook.training.seeds; "
        "assert 'torch' not in sys.modules, 'torch was imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_batches_are_seeded_rows_of_x_and_y():
    x = torch.arange(50).reshape(25, 2)
    y = torch.arange(25)
    a, b, c = batches(x, y, 8, seed=3), batches(x, y, 8, seed=3), batches(x, y, 8, seed=4)
    xa, ya = a(0)
    xb, _ = b(123)  # the step number does not matter, only the call count
    xc, _ = c(0)
    assert xa.shape == (8, 2) and ya.shape == (8,)
    assert torch.equal(xa[:, 0], 2 * ya)  # rows stay paired
    assert torch.equal(xa, xb) and not torch.equal(xa, xc)
    assert not torch.equal(a(1)[0], xa)  # the stream moves on


def test_batches_errors():
    x = torch.zeros(4, 2)
    with pytest.raises(
        ValueError, match="x, y: expected the same non-zero number of rows, got 4 and 3"
    ):
        batches(x, torch.zeros(3), 2, seed=0)
    with pytest.raises(TypeError, match=r"y: expected a torch\.Tensor with a batch axis, got list"):
        batches(x, [0, 1, 2, 3], 2, seed=0)
    with pytest.raises(ValueError, match="batch_size: expected a positive integer, got 0"):
        batches(x, torch.zeros(4), 0, seed=0)
    with pytest.raises(TypeError, match="seed: expected an int, got float"):
        batches(x, torch.zeros(4), 2, seed=1.5)
