r"""Train gated cells on two memory tasks, in the form :func:`~rnnbook.training.run_seeds` wants.

Two tasks, each with a bar for "solved":

* ``"adding"`` (:mod:`rnnbook.tasks.adding`): many-to-one regression of the sum of two
  marked values; the metric is the test MSE, solved below :data:`ADDING_SOLVED` (the
  baseline, always predicting 1, scores 1/6);
* ``"recall"`` (:mod:`rnnbook.tasks.delayed_recall`): at every step output the symbol read
  ``delay`` steps earlier; the metric is the test accuracy over the steps that have a
  target, solved above :data:`RECALL_SOLVED` (chance is 1/S).

:func:`train_task` is one run: the data seed draws the training data and (with
``data_seed + 1``) the test set, the weight seed the initial weights
(:class:`rnnbook.models.gated.GatedSequenceModel`). With ``n_train=None`` every step
sees a fresh batch; with ``n_train=N`` the batches are drawn, with replacement, from one
fixed training set of N sequences, which is how the effect of the amount of data is
measured.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.gated import GatedSequenceModel
from rnnbook.scratch.softmax_cross_entropy import IGNORE_INDEX
from rnnbook.tasks.adding import adding_problem
from rnnbook.tasks.delayed_recall import delayed_recall, recall_accuracy
from rnnbook.training.loop import TrainConfig, fit
from rnnbook.training.minibatches import batches

TASKS = ("adding", "recall")
#: A test MSE below this solves the adding problem (as in the adding-problem chapter).
ADDING_SOLVED = 0.01
#: A test accuracy above this solves delayed recall.
RECALL_SOLVED = 0.95


@dataclass(frozen=True)
class TaskBudget:
    """The size of one run of :func:`train_task`.

    Attributes
    ----------
    T : int
        Sequence length.
    hidden_size : int
        H.
    steps, batch_size, lr, clip_norm, eval_every
        Passed to :class:`rnnbook.training.TrainConfig` (Adam).
    n_test : int
        Test sequences.
    delay, n_symbols : int
        Delayed recall only: L and S.
    """

    T: int = 50
    hidden_size: int = 16
    steps: int = 800
    batch_size: int = 32
    lr: float = 0.02
    clip_norm: float | None = 1.0
    eval_every: int = 100
    n_test: int = 500
    delay: int = 10
    n_symbols: int = 4

    def with_(self, **changes: object) -> TaskBudget:
        """A copy with some fields changed."""
        return replace(self, **changes)


def solved(task: str, metric: float) -> bool:
    """Whether ``metric`` meets the task's bar.

    >>> solved("adding", 0.004), solved("recall", 0.9)
    (True, False)
    """
    task = check_choice(task, "task", TASKS)
    return metric < ADDING_SOLVED if task == "adding" else metric > RECALL_SOLVED


def task_data(task: str, n: int, budget: TaskBudget, seed: int) -> tuple[torch.Tensor, ...]:
    """``(x, y)`` tensors of ``n`` sequences: floats (N, T, 2) and (N,) for the adding
    problem, ids (N, T) and targets (N, T) (``IGNORE_INDEX`` before ``delay``) for recall."""
    task = check_choice(task, "task", TASKS)
    if task == "adding":
        data = adding_problem(n, budget.T, rng=seed)
    else:
        data = delayed_recall(n, budget.T, budget.delay, rng=seed, n_symbols=budget.n_symbols)
    return torch.from_numpy(data.x), torch.from_numpy(data.y)


def _loss(task: str):
    if task == "adding":
        return lambda m, x, y: torch.nn.functional.mse_loss(m(x), y)

    def cross_entropy(m: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = m(x)  # (B, T, S)
        return torch.nn.functional.cross_entropy(
            logits.flatten(0, 1), y.flatten(), ignore_index=IGNORE_INDEX
        )

    return cross_entropy


def _metric(task: str, model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        out = model(x)
    if task == "adding":
        return float(torch.mean((out - y) ** 2))
    return recall_accuracy(out.numpy(), y.numpy())


def train_task(
    task: str,
    core: str,
    data_seed: int,
    weight_seed: int,
    budget: TaskBudget = TaskBudget(),
    *,
    hidden_size: int | None = None,
    n_train: int | None = None,
    forget_bias: float | None = None,
) -> dict:
    """Train one :class:`GatedSequenceModel` on ``task`` and score it on a held-out set.

    Parameters
    ----------
    task : {"adding", "recall"}
    core : str
        One of :data:`rnnbook.models.gated.CORES`.
    data_seed, weight_seed : int
    budget : TaskBudget
    hidden_size : int, optional
        Overrides ``budget.hidden_size`` (for parameter-matched runs).
    n_train : int, optional
        Size of a fixed training set; None: a fresh batch every step.
    forget_bias : float, optional
        Passed to the model (LSTM cores only).

    Returns
    -------
    dict
        ``metric`` (test MSE or accuracy), ``solved`` (bool), ``curve`` (the test metric
        every ``eval_every`` steps), ``model`` (in eval mode).
    """
    task = check_choice(task, "task", TASKS)
    for seed, name in ((data_seed, "data_seed"), (weight_seed, "weight_seed")):
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"{name}: expected a non-negative integer, got {seed!r}")
    H = budget.hidden_size if hidden_size is None else check_positive_int(hidden_size, "H")
    B = budget.batch_size
    if task == "adding":
        sizes = {"input_size": 2, "output_size": 1, "readout": "last"}
    else:
        S = budget.n_symbols
        sizes = {"input_size": S, "output_size": S, "readout": "every"}
    model = GatedSequenceModel(
        core, hidden_size=H, seed=weight_seed, forget_bias=forget_bias, **sizes
    )
    x_test, y_test = task_data(task, budget.n_test, budget, data_seed + 1)
    if n_train is None:
        x, y = task_data(task, budget.steps * B, budget, data_seed)

        def get_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
            return x[step * B : (step + 1) * B], y[step * B : (step + 1) * B]
    else:
        x, y = task_data(task, check_positive_int(n_train, "n_train"), budget, data_seed)
        get_batch = batches(x, y, B, seed=data_seed)
    config = TrainConfig(
        steps=budget.steps, lr=budget.lr, clip_norm=budget.clip_norm, eval_every=budget.eval_every
    )
    history = fit(
        model, get_batch, _loss(task), config, evaluate=lambda m: _metric(task, m, x_test, y_test)
    )
    model.eval()
    metric = _metric(task, model, x_test, y_test)
    return {
        "metric": metric,
        "solved": solved(task, metric),
        "curve": tuple(history.eval_metric),
        "model": model,
    }
