"""The adding-problem comparison over seeds (rnnbook.training.adding_experiments)."""

import matplotlib.pyplot as plt
import pytest
import torch

from rnnbook.models.adding import CELLS as ALL_CELLS
from rnnbook.models.adding import AddingRegressor
from rnnbook.plots.seed_spread import plot_seed_spread
from rnnbook.tasks.adding import adding_problem
from rnnbook.training.adding import train_adding
from rnnbook.training.adding_experiments import (
    BUDGET,
    CELLS,
    CHOSEN_LR,
    LR_GRID,
    SOLVED,
    VAL_SEED_OFFSET,
    adding_over_seeds,
    choose_lr,
    curriculum_over_seeds,
    median_val_mse,
    parameter_count,
    validation_mse,
)
from rnnbook.training.seeds import SeedResults

TINY = {"steps": 4, "batch_size": 8, "hidden_size": 4, "eval_every": 2, "n_test": 20}


def test_constants_agree():
    assert set(CELLS) <= set(ALL_CELLS)
    assert set(CHOSEN_LR) == set(CELLS)
    assert all(lr in LR_GRID for lr in CHOSEN_LR.values())
    assert SOLVED == 0.01 and len(LR_GRID) == 3
    assert set(BUDGET) <= set(train_adding.__code__.co_varnames)


def test_runs_follow_the_seed_rule_and_score_two_sets():
    res = adding_over_seeds("gru", 5, 0.01, n=2, n_val=30, keep_models=True, **TINY)
    assert isinstance(res, SeedResults) and res.n == 2 and res.threshold == SOLVED
    for i, record in enumerate(res.records):
        single = train_adding("gru", 5, lr=0.01, data_seed=i, weight_seed=100 + i, **TINY)
        assert record["test_mse"] == res.values[i] == pytest.approx(single.test_mse, rel=1e-6)
        assert record["eval_step"] == (2, 4) and len(record["curve"]) == 2
        assert record["val_mse"] == pytest.approx(validation_mse(single.model, 5, i, 30), rel=1e-6)
        assert isinstance(record["model"], AddingRegressor)
    vals = [r["val_mse"] for r in res.records]
    assert median_val_mse(res) == pytest.approx(sum(vals) / 2)
    no_val = adding_over_seeds("tanh", 5, 0.01, n=1, n_val=None, **TINY)
    assert no_val.records[0]["val_mse"] is None and "model" not in no_val.records[0]
    with pytest.raises(ValueError, match="expected runs with a validation MSE"):
        median_val_mse(no_val)


def test_validation_set_is_not_the_test_set():
    model = AddingRegressor("tanh", hidden_size=4, seed=0)
    val = adding_problem(30, 6, rng=VAL_SEED_OFFSET + 2)
    with torch.no_grad():
        expected = torch.nn.functional.mse_loss(
            model(torch.from_numpy(val.x)), torch.from_numpy(val.y)
        ).item()
    assert validation_mse(model, 6, 2, 30) == pytest.approx(expected, rel=1e-6)
    assert model.training  # restored
    test = adding_problem(30, 6, rng=3)  # train_adding's test set for data seed 2
    assert not (test.x == val.x).all()


def test_choose_lr_takes_the_lowest_median_validation_mse():
    def res(*v):
        return SeedResults(v, tuple({"val_mse": x} for x in v), SOLVED, "lower")

    grid = {0.003: res(0.2, 0.2, 0.2), 0.01: res(0.1, 0.15, 0.9), 0.03: res(0.15, 0.15, 0.0)}
    assert choose_lr(grid) == 0.01  # tie on the median: the smaller rate
    assert choose_lr({0.03: res(0.05), 0.01: res(0.1)}) == 0.03
    with pytest.raises(ValueError, match="non-empty mapping"):
        choose_lr({})


def test_parameter_count():
    H = 16
    assert parameter_count("tanh", H) == H * 2 + H * H + 2 * H + H + 1
    assert parameter_count("lstm", H) == 4 * (H * 2 + H * H + 2 * H) + H + 1
    assert parameter_count("gru", H) == 3 * (H * 2 + H * H + 2 * H) + H + 1
    with pytest.raises(ValueError, match="cell: expected one of"):
        parameter_count("relu2", H)


def test_errors():
    with pytest.raises(ValueError, match="lr: expected a positive number, got 0"):
        adding_over_seeds("gru", 5, 0, n=1, **TINY)
    with pytest.raises(TypeError, match=r"budget: expected keys among .*got \['lr_decay'\]"):
        adding_over_seeds("gru", 5, 0.01, n=1, lr_decay=0.5)
    with pytest.raises(ValueError, match="data_seed: expected a non-negative integer"):
        validation_mse(AddingRegressor("gru", hidden_size=4), 5, -1)


def test_plot_seed_spread():
    a = SeedResults((0.1, 0.001, 0.2), ({}, {}, {}), SOLVED, "lower")
    b = SeedResults((0.005,), ({},), SOLVED, "lower")
    fig = plot_seed_spread({"a": a, "b": b}, threshold=SOLVED, reference=1 / 6, color={"a": "C1"})
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b"]
    assert ax.get_yscale() == "log"
    assert len(ax.lines) == 2 + 2 + 2  # dots and median per column, two reference lines
    plt.close(fig)
    _, ax = plt.subplots()
    assert plot_seed_spread({"b": b}, ax=ax, log=False) is ax.figure
    plt.close(ax.figure)
    with pytest.raises(TypeError, match=r"results\['x'\]: expected SeedResults, got list"):
        plot_seed_spread({"x": [0.1]})
    with pytest.raises(ValueError, match="non-empty mapping"):
        plot_seed_spread({})


def test_curriculum_trains_one_model_stage_after_stage():
    budget = {**TINY, "steps": 6, "eval_every": 3}
    res = curriculum_over_seeds("tanh", (3, 5), 0.01, n=2, **budget)
    assert res.n == 2 and res.threshold == SOLVED
    for i, record in enumerate(res.records):
        stage1 = train_adding(
            "tanh", 3, lr=0.01, data_seed=i, weight_seed=100 + i, **{**budget, "steps": 3}
        )
        stage2 = train_adding(
            "tanh",
            5,
            lr=0.01,
            data_seed=i,
            weight_seed=100 + i,
            model=stage1.model,
            **{**budget, "steps": 3},
        )
        assert record["stage_mse"] == pytest.approx((stage1.test_mse, stage2.test_mse), rel=1e-6)
        assert record["test_mse"] == res.values[i] == record["stage_mse"][-1]
    with pytest.raises(ValueError, match="lengths: expected a non-empty tuple"):
        curriculum_over_seeds("tanh", [3, 5], 0.01, n=1, **budget)
    with pytest.raises(ValueError, match="at least one step per stage"):
        curriculum_over_seeds("tanh", (3, 4, 5), 0.01, n=1, **{**budget, "steps": 2})
    with pytest.raises(ValueError, match="lr: expected a positive number"):
        curriculum_over_seeds("tanh", (3, 5), -1.0, n=1, **budget)
    with pytest.raises(TypeError, match="budget: expected keys among"):
        curriculum_over_seeds("tanh", (3, 5), 0.01, n=1, epochs=3)
