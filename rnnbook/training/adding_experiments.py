r"""The adding-problem comparison over seeds, and the choice of one learning rate per model.

The adding-problem chapter trains five recurrent regressors
(:class:`rnnbook.models.adding.AddingRegressor`) with one budget, :data:`BUDGET`, and
reports, for each model and length T, how many of n runs solve the task (test MSE below
:data:`SOLVED`) with the median and the range. Run ``i`` uses data seed ``i`` and weight
seed ``100 + i`` (:func:`rnnbook.training.run_seeds`).

Each run is scored on two held-out sets that its training stream never shows: the test
set of :func:`rnnbook.training.adding.train_adding` (seed ``data_seed + 1``) and a
validation set (seed ``VAL_SEED_OFFSET + data_seed``). The lab notebook picks one
learning rate per model from :data:`LR_GRID` by the median *validation* MSE over the seeds
at length :data:`SELECTION_T` (:func:`choose_lr`); the chapter then reports the *test* MSE
at :data:`CHOSEN_LR`, so the number reported is not the number that was minimised.
numpy and torch; no global random state.
"""

from __future__ import annotations

from collections.abc import Mapping
from numbers import Real

import numpy as np
import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.adding import AddingRegressor
from rnnbook.tasks.adding import adding_problem
from rnnbook.training.adding import train_adding
from rnnbook.training.seeds import SeedResults, run_seeds

#: The five contenders of the chapter (a subset of :data:`rnnbook.models.adding.CELLS`).
CELLS = ("tanh", "irnn", "orthogonal", "lstm", "gru")
#: A run with a test MSE at or below this has solved the task (the baseline is 1/6).
SOLVED = 0.01
#: The learning rates the lab tries for every model.
LR_GRID = (3e-3, 1e-2, 3e-2)
#: The length at which the lab chooses the learning rates.
SELECTION_T = 10
#: The budget of every run (Adam; ``lr`` comes from :data:`CHOSEN_LR` or the grid).
BUDGET = {
    "steps": 700,
    "batch_size": 32,
    "hidden_size": 16,
    "clip_norm": 1.0,
    "eval_every": 100,
    "n_test": 500,
}
#: Validation sequences per run.
N_VAL = 500
#: The validation set of run ``i`` is drawn with seed ``VAL_SEED_OFFSET + i``.
VAL_SEED_OFFSET = 1000
#: The learning rate the lab chose for each model (the lab asserts that it still does).
CHOSEN_LR = {
    "tanh": 1e-2,
    "irnn": 3e-2,
    "orthogonal": 1e-2,
    "lstm": 3e-2,
    "gru": 3e-2,
}


def validation_mse(model: torch.nn.Module, T: int, data_seed: int, n: int = N_VAL) -> float:
    """The MSE of ``model`` on the validation set of run ``data_seed``.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``(B, T, 2)`` to ``(B,)``.
    T : int
        Sequence length.
    data_seed : int
        The run's data seed; the set is drawn with ``VAL_SEED_OFFSET + data_seed``.
    n : int
        Number of sequences.

    Returns
    -------
    float
    """
    T, n = check_positive_int(T, "T"), check_positive_int(n, "n")
    if isinstance(data_seed, bool) or not isinstance(data_seed, int) or data_seed < 0:
        raise ValueError(f"data_seed: expected a non-negative integer, got {data_seed!r}")
    val = adding_problem(n, T, rng=VAL_SEED_OFFSET + data_seed)
    x, y = torch.from_numpy(val.x), torch.from_numpy(val.y)  # (n, T, 2), (n,)
    was_training = model.training
    model.eval()
    with torch.no_grad():
        mse = torch.nn.functional.mse_loss(model(x), y).item()
    model.train(was_training)
    return mse


def adding_over_seeds(
    cell: str,
    T: int,
    lr: float,
    n: int = 5,
    *,
    n_val: int | None = N_VAL,
    keep_models: bool = False,
    **budget: object,
) -> SeedResults:
    """Train ``cell`` at length ``T`` over ``n`` seed pairs and collect the test MSEs.

    Parameters
    ----------
    cell : str
        One of :data:`CELLS` (any of :data:`rnnbook.models.adding.CELLS` works).
    T : int
        Sequence length.
    lr : float
        Adam's learning rate.
    n : int
        Number of runs; run ``i`` uses data seed ``i`` and weight seed ``100 + i``.
    n_val : int or None
        Validation sequences per run (:func:`validation_mse`); ``None`` skips validation.
    keep_models : bool
        Keep each trained model in its record under ``"model"``.
    **budget
        Overrides of :data:`BUDGET`, passed to :func:`~rnnbook.training.adding.train_adding`.

    Returns
    -------
    SeedResults
        ``values`` are the test MSEs, ``threshold`` is :data:`SOLVED`. Each record holds
        ``"test_mse"``, ``"val_mse"`` (or ``None``), ``"eval_step"`` and ``"curve"`` (the
        test MSE at each evaluation), and ``"model"`` if asked.
    """
    if isinstance(lr, bool) or not isinstance(lr, Real) or not lr > 0:
        raise ValueError(f"lr: expected a positive number, got {lr!r}")
    if n_val is not None:
        n_val = check_positive_int(n_val, "n_val")
    unknown = set(budget) - set(BUDGET)
    if unknown:
        raise TypeError(f"budget: expected keys among {sorted(BUDGET)}, got {sorted(unknown)}")
    config = {**BUDGET, **budget}

    def one(data_seed: int, weight_seed: int) -> dict:
        run = train_adding(
            cell, T, lr=float(lr), data_seed=data_seed, weight_seed=weight_seed, **config
        )
        record = {
            "test_mse": run.test_mse,
            "val_mse": None if n_val is None else validation_mse(run.model, T, data_seed, n_val),
            "eval_step": tuple(run.history.eval_step),
            "curve": tuple(run.history.eval_metric),
        }
        if keep_models:
            record["model"] = run.model
        return record

    return run_seeds(one, n, threshold=SOLVED, metric="test_mse")


def curriculum_over_seeds(
    cell: str,
    lengths: tuple[int, ...],
    lr: float,
    n: int = 5,
    **budget: object,
) -> SeedResults:
    """Train ``cell`` on growing lengths, the same model stage after stage, over seeds.

    Stage ``j`` trains for ``steps // len(lengths)`` steps at ``lengths[j]`` (a fresh Adam
    each stage), so the whole curriculum takes the same number of steps as one run of
    :func:`adding_over_seeds`. The run is scored on the test set of the last stage, which
    is the test set a direct run at ``lengths[-1]`` with the same data seed is scored on.

    Parameters
    ----------
    cell : str
        One of :data:`CELLS`.
    lengths : tuple of int
        The sequence lengths, in order (for example ``(10, 30)``).
    lr : float
        Adam's learning rate, the same in every stage.
    n : int
        Number of runs; run ``i`` uses data seed ``i`` and weight seed ``100 + i``.
    **budget
        Overrides of :data:`BUDGET`; ``steps`` is the total over the stages.

    Returns
    -------
    SeedResults
        ``values`` are the test MSEs at ``lengths[-1]``; each record holds ``"test_mse"``
        and ``"stage_mse"``, the test MSE at the end of each stage (at that stage's T).
    """
    if not isinstance(lengths, tuple) or not lengths:
        raise ValueError(f"lengths: expected a non-empty tuple of lengths, got {lengths!r}")
    lengths = tuple(check_positive_int(T, "lengths") for T in lengths)
    if isinstance(lr, bool) or not isinstance(lr, Real) or not lr > 0:
        raise ValueError(f"lr: expected a positive number, got {lr!r}")
    unknown = set(budget) - set(BUDGET)
    if unknown:
        raise TypeError(f"budget: expected keys among {sorted(BUDGET)}, got {sorted(unknown)}")
    config = {**BUDGET, **budget}
    per_stage = config["steps"] // len(lengths)
    if per_stage < 1:
        raise ValueError(
            f"steps: expected at least one step per stage ({len(lengths)}), got {config['steps']}"
        )
    config["steps"] = per_stage
    config["eval_every"] = min(config["eval_every"], per_stage)

    def one(data_seed: int, weight_seed: int) -> dict:
        model, stage_mse = None, []
        for T in lengths:
            run = train_adding(
                cell,
                T,
                lr=float(lr),
                data_seed=data_seed,
                weight_seed=weight_seed,
                model=model,
                **config,
            )
            model = run.model
            stage_mse.append(run.test_mse)
        return {"test_mse": stage_mse[-1], "stage_mse": tuple(stage_mse)}

    return run_seeds(one, n, threshold=SOLVED, metric="test_mse")


def median_val_mse(results: SeedResults) -> float:
    """The median validation MSE over the runs of :func:`adding_over_seeds`."""
    vals = [r.get("val_mse") for r in results.records]
    if not vals or any(v is None for v in vals):
        raise ValueError("results: expected runs with a validation MSE (n_val not None)")
    return float(np.median(vals))


def choose_lr(results_by_lr: Mapping[float, SeedResults]) -> float:
    """The learning rate whose runs have the lowest median validation MSE.

    Ties go to the smaller learning rate.

    >>> from rnnbook.training.seeds import SeedResults
    >>> def res(*v):
    ...     return SeedResults(v, tuple({"val_mse": x} for x in v), 0.01, "lower")
    >>> choose_lr({0.03: res(0.1, 0.2, 0.3), 0.01: res(0.2, 0.05, 0.01)})
    0.01
    """
    if not isinstance(results_by_lr, Mapping) or not results_by_lr:
        raise ValueError("results_by_lr: expected a non-empty mapping lr -> SeedResults")
    return min(sorted(results_by_lr), key=lambda lr: median_val_mse(results_by_lr[lr]))


def parameter_count(cell: str, hidden_size: int = BUDGET["hidden_size"]) -> int:
    """The number of trainable parameters of an :class:`AddingRegressor` (D = 2).

    >>> parameter_count("tanh", 16), parameter_count("lstm", 16), parameter_count("gru", 16)
    (337, 1297, 977)
    """
    cell = check_choice(cell, "cell", CELLS)
    model = AddingRegressor(cell, hidden_size=hidden_size)
    return sum(p.numel() for p in model.parameters() if p.requires_grad)
