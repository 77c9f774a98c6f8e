"""The container every task generator returns."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class TaskData:
    """A generated dataset and the score a model gets without learning anything useful.

    Attributes
    ----------
    x : ndarray
        Inputs; each generator documents the shape, for example ``(N, T, D)`` floats or
        ``(N, T)`` integer token ids.
    y : ndarray
        Targets; shape documented by the generator.
    metric : {"accuracy", "mse"}
        How the task is scored.
    baseline : float
        The chance-level score under ``metric``: the best a model can do while ignoring
        the structure the task is about (for example, always predicting the majority class).
    baseline_rule : str
        One sentence saying how ``baseline`` is obtained.
    """

    x: np.ndarray
    y: np.ndarray
    metric: str
    baseline: float
    baseline_rule: str

    def __post_init__(self) -> None:
        if self.metric not in ("accuracy", "mse"):
            raise ValueError(f"metric: expected 'accuracy' or 'mse', got {self.metric!r}")
        if len(self.x) != len(self.y):
            raise ValueError(
                "x and y: expected the same number of examples, "
                f"got {len(self.x)} and {len(self.y)}"
            )
