"""What a training run records, and how it stops when the numbers blow up.

Every training loop in the book, numpy (:func:`rnnbook.scratch.char_lm.train_tbptt`) or
torch (:func:`rnnbook.training.fit` and the loops built on it), returns one
:class:`History` and reports divergence one way, with :class:`TrainingDiverged`. This
module imports no torch, so the numpy side can use it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass
class History:
    """One entry per optimizer step, plus the held-out evaluations.

    Attributes
    ----------
    loss : list of float
        The training loss at each step, before that step's update.
    grad_norm : list of float
        The global gradient norm at each step, before clipping (empty if not measured).
    eval_step : list of int
        The number of steps taken when each evaluation ran.
    eval_metric : list of float
        The held-out metric at those steps.

    >>> first = History(loss=[2.0, 1.0], eval_step=[2], eval_metric=[0.5])
    >>> both = first.concat(History(loss=[0.5], eval_step=[1], eval_metric=[0.25]))
    >>> both.loss, both.eval_step, both.final_loss
    ([2.0, 1.0, 0.5], [2, 3], 0.5)
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    eval_step: list[int] = field(default_factory=list)
    eval_metric: list[float] = field(default_factory=list)

    @property
    def steps(self) -> int:
        """The number of steps recorded."""
        return len(self.loss)

    @property
    def final_loss(self) -> float:
        """The loss at the last step."""
        if not self.loss:
            raise ValueError("history: expected at least one recorded step, got none")
        return self.loss[-1]

    def record(self, loss: float, grad_norm: float | None = None) -> None:
        """Append one step's loss (and gradient norm, if measured)."""
        self.loss.append(float(loss))
        if grad_norm is not None:
            self.grad_norm.append(float(grad_norm))

    def record_eval(self, metric: float) -> None:
        """Append a held-out evaluation made after the steps recorded so far."""
        self.eval_step.append(self.steps)
        self.eval_metric.append(float(metric))

    def extend(self, other: History) -> History:
        """Append ``other``'s steps after this run's, in place; return ``self``.

        ``other.eval_step`` counts from ``other``'s own start, so it is shifted by the
        number of steps already recorded here.
        """
        if not isinstance(other, History):
            raise TypeError(f"other: expected a History, got {type(other).__name__}")
        offset = self.steps
        self.loss += other.loss
        self.grad_norm += other.grad_norm
        self.eval_step += [offset + s for s in other.eval_step]
        self.eval_metric += other.eval_metric
        return self

    def concat(self, other: History) -> History:
        """A new History: this run's steps, then ``other``'s (see :meth:`extend`)."""
        return History(
            list(self.loss), list(self.grad_norm), list(self.eval_step), list(self.eval_metric)
        ).extend(other)


class TrainingDiverged(FloatingPointError):
    """The loss or the gradients became NaN or infinite during training.

    Raised *before* the non-finite values reach the weights. ``history`` holds what was
    recorded before the failing step (``None`` when the raiser keeps no history), so the
    run up to the divergence can still be plotted.

    >>> err = TrainingDiverged("training diverged at step 3: loss is nan", History([1.0] * 3))
    >>> err.history.steps
    3
    """

    def __init__(self, message: str, history: History | None = None) -> None:
        super().__init__(message)
        self.history = history


def check_finite(value: float, what: str, step: int, history: History | None = None) -> float:
    """Return ``value`` if it is finite, else raise :class:`TrainingDiverged` naming the step.

    >>> check_finite(float("inf"), "gradient norm", 7)
    Traceback (most recent call last):
    ...
    rnnbook.training.history.TrainingDiverged: training diverged at step 7: gradient norm is inf
    """
    if not math.isfinite(value):
        raise TrainingDiverged(f"training diverged at step {step}: {what} is {value}", history)
    return value
