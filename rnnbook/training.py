"""A compact PyTorch training loop, in the spirit of minGPT's trainer.

One step is: get a batch, forward, loss, backward, (clip), optimizer step. The loop
records a :class:`History` and stops with :class:`TrainingDiverged`, naming the step,
as soon as the loss or the gradient norm stops being finite. It prints nothing, so
notebook outputs stay identical from run to run.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from rnnbook.checks import check_choice, check_positive_float, check_positive_int

Batch = tuple[torch.Tensor, torch.Tensor]


class TrainingDiverged(FloatingPointError):
    """The loss or the gradients became NaN or infinite during training.

    ``history`` holds what :func:`fit` recorded before the failing step (``None`` when
    the raiser keeps no history), so the run up to the divergence can still be plotted.
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


@dataclass(frozen=True)
class TrainConfig:
    """Hyperparameters of :func:`fit`.

    Attributes
    ----------
    steps : int
        Number of optimizer steps.
    lr : float
        Learning rate.
    optimizer : {"adam", "sgd"}
    clip_norm : float or None
        If set, clip the global gradient norm to this value before each step.
    eval_every : int
        Call ``evaluate`` every this many steps (and after the last one); 0 never.
    """

    steps: int = 500
    lr: float = 1e-2
    optimizer: str = "adam"
    clip_norm: float | None = None
    eval_every: int = 0

    def __post_init__(self) -> None:
        check_positive_int(self.steps, "steps")
        check_positive_float(self.lr, "lr")
        check_choice(self.optimizer, "optimizer", ("adam", "sgd"))
        if self.clip_norm is not None:
            check_positive_float(self.clip_norm, "clip_norm")
        if self.eval_every != 0:
            check_positive_int(self.eval_every, "eval_every")


@dataclass
class History:
    """What happened during :func:`fit`, one entry per step (``grad_norm`` is before clipping)."""

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_metric: list[float] = field(default_factory=list)

    @property
    def final_loss(self) -> float:
        """The loss at the last step."""
        return self.loss[-1]


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
        ``get_batch(step) -> (x, y)``; draw from a seeded generator for determinism.
    loss_fn : callable
        ``loss_fn(model, x, y) -> scalar tensor``.
    config : TrainConfig
    evaluate : callable, optional
        ``evaluate(model) -> float``, a held-out metric; run under ``torch.no_grad``
        and in eval mode.

    Raises
    ------
    TrainingDiverged
        When the loss or the gradient norm is NaN or infinite; the message names the step.
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
        model.train()
        x, y = get_batch(step)
        loss = loss_fn(model, x, y)
        if not torch.isfinite(loss):
            raise TrainingDiverged(
                f"training diverged at step {step}: loss is {loss.item()}", history
            )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        norm = float(torch.nn.utils.clip_grad_norm_(params, math.inf))  # measure only
        if not math.isfinite(norm):
            raise TrainingDiverged(
                f"training diverged at step {step}: gradient norm is {norm}", history
            )
        if config.clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, config.clip_norm)
        optimizer.step()
        history.loss.append(loss.item())
        history.grad_norm.append(norm)
        last = step == config.steps - 1
        if (
            evaluate is not None
            and config.eval_every
            and ((step + 1) % config.eval_every == 0 or last)
        ):
            model.eval()
            with torch.no_grad():
                history.eval_step.append(step + 1)
                history.eval_metric.append(float(evaluate(model)))
    return history
