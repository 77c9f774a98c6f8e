"""A compact PyTorch training loop, in the spirit of minGPT's trainer.

One step is: get a batch, forward, loss, backward, (clip), optimizer step. The loop
records a :class:`~rnnbook.training.history.History` and stops with
:class:`~rnnbook.training.history.TrainingDiverged`, naming the step, as soon as the
loss or the gradient norm stops being finite, before the update that would carry NaN
into the weights. It prints nothing, so notebook outputs stay identical from run to run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from rnnbook.checks import check_choice, check_positive_float, check_positive_int
from rnnbook.training.history import History, check_finite

Batch = tuple[torch.Tensor, torch.Tensor]


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`fit`.

    Attributes
    ----------
    steps : int
        Number of optimizer steps.
    lr : float
        Learning rate from the first step on.
    optimizer : {"adam", "sgd"}
    clip_norm : float or None
        If set, clip the global gradient norm to this value before each step.
    eval_every : int
        Call ``evaluate`` every this many steps (and after the last one); 0 never.
    lr_schedule : tuple of (int, float) pairs
        Piecewise-constant changes: ``((600, 1e-3),)`` means steps 600 and later use
        ``lr=1e-3``. Start steps strictly increasing, each in ``1 .. steps - 1``. The
        optimizer (and Adam's running moments) carries on across a change.

    >>> config = TrainConfig(steps=900, lr=1e-2, lr_schedule=((600, 1e-3),))
    >>> config.lr_at(599), config.lr_at(600)
    (0.01, 0.001)
    """

    steps: int = 500
    lr: float = 1e-2
    optimizer: str = "adam"
    clip_norm: float | None = None
    eval_every: int = 0
    lr_schedule: tuple[tuple[int, float], ...] = ()

    def __post_init__(self) -> None:
        check_positive_int(self.steps, "steps")
        check_positive_float(self.lr, "lr")
        check_choice(self.optimizer, "optimizer", ("adam", "sgd"))
        if self.clip_norm is not None:
            check_positive_float(self.clip_norm, "clip_norm")
        if self.eval_every != 0:
            check_positive_int(self.eval_every, "eval_every")
        if not isinstance(self.lr_schedule, tuple):
            raise TypeError(
                "lr_schedule: expected a tuple of (step, lr) pairs, "
                f"got {type(self.lr_schedule).__name__}"
            )
        previous = 0
        for entry in self.lr_schedule:
            if not (isinstance(entry, tuple) and len(entry) == 2):
                raise TypeError(f"lr_schedule: expected (step, lr) pairs, got {entry!r}")
            start, lr = entry
            check_positive_int(start, "lr_schedule step")
            check_positive_float(lr, "lr_schedule lr")
            if not previous < start < self.steps:
                raise ValueError(
                    f"lr_schedule: expected increasing steps in {previous + 1}..{self.steps - 1}, "
                    f"got {start}"
                )
            previous = start

    def lr_at(self, step: int) -> float:
        """The learning rate used at ``step`` (counted from 0)."""
        lr = self.lr
        for start, scheduled in self.lr_schedule:
            if step >= start:
                lr = scheduled
        return lr


def fit(
    model: torch.nn.Module,
    get_batch: Callable[[int], Batch],
    loss_fn: Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor],
    config: TrainConfig,
    evaluate: Callable[[torch.nn.Module], float] | None = None,
) -> History:
    """Train ``model`` for ``config.steps`` steps and return its :class:`History`.

    Parameters
    ----------
    model : torch.nn.Module
    get_batch : callable
        ``get_batch(step) -> (x, y)``; draw from a seeded generator for determinism
        (:func:`rnnbook.training.batches` makes one).
    loss_fn : callable
        ``loss_fn(model, x, y) -> scalar tensor``.
    config : TrainConfig
    evaluate : callable, optional
        ``evaluate(model) -> float``, a held-out metric; run under ``torch.no_grad``
        and in eval mode.

    Raises
    ------
    TrainingDiverged
        When the loss or the gradient norm is NaN or infinite; the message names the step
        and ``.history`` holds the steps before it. The weights are left as they were
        before the failing step.

    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(2, 1)
    >>> x = torch.randn(64, 2)
    >>> y = x @ torch.tensor([[1.0], [-2.0]])
    >>> def mse(m, x, y):
    ...     return torch.nn.functional.mse_loss(m(x), y)
    >>> history = fit(model, lambda step: (x, y), mse, TrainConfig(steps=300, lr=0.05))
    >>> history.steps, history.final_loss < 1e-4 < history.loss[0]
    (300, True)
    """
    if not isinstance(config, TrainConfig):
        raise TypeError(f"config: expected a TrainConfig, got {type(config).__name__}")
    params = [p for p in model.parameters() if p.requires_grad]
    if not params:
        raise ValueError("model: expected trainable parameters, got none")
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(params, lr=config.lr)
    else:
        optimizer = torch.optim.SGD(params, lr=config.lr)
    history = History()
    for step in range(config.steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step)
        model.train()
        x, y = get_batch(step)
        loss = loss_fn(model, x, y)
        check_finite(loss.item(), "loss", step, history)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(params, math.inf))  # measure only
        check_finite(norm, "gradient norm", step, history)
        if config.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, config.clip_norm)
        optimizer.step()
        history.record(loss.item(), norm)
        last = step == config.steps - 1
        if (
            evaluate is not None
            and config.eval_every
            and ((step + 1) % config.eval_every == 0 or last)
        ):
            model.eval()
            with torch.no_grad():
                history.record_eval(evaluate(model))
    return history
