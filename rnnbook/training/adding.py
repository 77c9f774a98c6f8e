r"""Train an :class:`~rnnbook.models.adding.AddingRegressor` on the adding problem.

Every model trained with the same ``T``, ``steps``, ``batch_size`` and ``data_seed`` sees
exactly the same batches and is scored on the same test set, so runs compare fairly; the
``weight_seed`` alone picks the initial weights. The loss is the mean squared error,
:math:`\frac{1}{B} \sum_b (\hat y_b - y_b)^2`.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.adding import CELLS, AddingRegressor
from rnnbook.tasks.adding import adding_problem
from rnnbook.training.history import History
from rnnbook.training.loop import TrainConfig, fit


@dataclass
class AddingRun:
    """One model trained on the adding problem by :func:`train_adding`.

    Attributes
    ----------
    cell : str
    T : int
    history : rnnbook.training.History
        Training loss and gradient norm per step; ``eval_metric`` is the test MSE.
    test_mse : float
        Mean squared error on the held-out set after training.
    baseline : float
        The task's baseline MSE (1/6: always predict 1).
    model : AddingRegressor
        The trained model, in eval mode.
    """

    cell: str
    T: int
    history: History
    test_mse: float
    baseline: float
    model: AddingRegressor


def _check_seed(seed: object, name: str) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise ValueError(f"{name}: expected a non-negative integer, got {seed!r}")
    return seed


def train_adding(
    cell: str,
    T: int,
    steps: int = 800,
    batch_size: int = 32,
    hidden_size: int = 32,
    lr: float = 1e-2,
    optimizer: str = "adam",
    clip_norm: float | None = 1.0,
    eval_every: int = 50,
    n_test: int = 1000,
    data_seed: int = 0,
    weight_seed: int = 0,
    model: AddingRegressor | None = None,
) -> AddingRun:
    """Train an :class:`AddingRegressor` on fresh adding-problem batches.

    Parameters
    ----------
    cell : str
        One of :data:`rnnbook.models.adding.CELLS`.
    T : int
        Sequence length.
    steps, batch_size, hidden_size, lr, optimizer, clip_norm, eval_every
        The budget; passed to :class:`rnnbook.training.TrainConfig`.
    n_test : int
        Size of the held-out set.
    data_seed : int
        Seeds the data: the training stream uses ``data_seed``, the test set
        ``data_seed + 1``.
    weight_seed : int
        Seeds the initial weights (ignored when ``model`` is given).
    model : AddingRegressor, optional
        Train this model instead of a new one (its ``cell`` must match), for example one
        with a :class:`rnnbook.analysis.diagnostics.GradientMonitor` attached.

    Returns
    -------
    AddingRun

    Raises
    ------
    rnnbook.training.TrainingDiverged
        If the loss or the gradients stop being finite.
    """
    cell = check_choice(cell, "cell", CELLS)
    T = check_positive_int(T, "T")
    batch_size = check_positive_int(batch_size, "batch_size")
    steps = check_positive_int(steps, "steps")
    data_seed = _check_seed(data_seed, "data_seed")
    weight_seed = _check_seed(weight_seed, "weight_seed")
    if model is None:
        model = AddingRegressor(cell, hidden_size=hidden_size, seed=weight_seed)
    elif not isinstance(model, AddingRegressor) or model.cell != cell:
        raise ValueError(f"model: expected an AddingRegressor with cell={cell!r}, got {model!r}")
    config = TrainConfig(
        steps=steps, lr=lr, optimizer=optimizer, clip_norm=clip_norm, eval_every=eval_every
    )
    train = adding_problem(steps * batch_size, T, rng=data_seed)
    x_train, y_train = torch.from_numpy(train.x), torch.from_numpy(train.y)
    test = adding_problem(n_test, T, rng=data_seed + 1)
    x_test, y_test = torch.from_numpy(test.x), torch.from_numpy(test.y)

    def get_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows = slice(step * batch_size, (step + 1) * batch_size)
        return x_train[rows], y_train[rows]  # (B, T, 2), (B,)

    def mse(m: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(m(x), y)

    history = fit(model, get_batch, mse, config, evaluate=lambda m: mse(m, x_test, y_test).item())
    model.eval()
    with torch.no_grad():
        test_mse = mse(model, x_test, y_test).item()
    return AddingRun(
        cell=cell, T=T, history=history, test_mse=test_mse, baseline=train.baseline, model=model
    )
