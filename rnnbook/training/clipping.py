r"""Gradient clipping for torch parameters: ``torch.nn.utils`` with the book's checks.

The numpy versions, and what the two kinds of clipping do, are in
:mod:`rnnbook.scratch.clipping`. By value, each entry is cut to :math:`[-c, c]`; by
global norm, with :math:`n = \lVert g \rVert_2` over all parameters together,

.. math::

    g \leftarrow g \cdot \min\!\left(1, \frac{c}{n + 10^{-6}}\right).

A non-finite norm cannot be repaired by rescaling (torch would turn every finite
gradient into 0 and every infinite one into NaN), so :func:`torch_clip_by_global_norm`
checks the norm first and raises :class:`~rnnbook.training.history.TrainingDiverged`
without touching the gradients.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from rnnbook.checks import check_positive_float
from rnnbook.training.history import TrainingDiverged


def _with_grads(parameters: Iterable[torch.nn.Parameter]) -> list[torch.Tensor]:
    params = [parameters] if isinstance(parameters, torch.Tensor) else list(parameters)
    for p in params:
        if not isinstance(p, torch.Tensor):
            raise TypeError(f"parameters: expected torch tensors, got {type(p).__name__}")
    return [p for p in params if p.grad is not None]


def torch_clip_by_value(parameters: Iterable[torch.nn.Parameter], clip_value: float) -> None:
    """``torch.nn.utils.clip_grad_value_`` with the book's argument checks, in place."""
    clip_value = check_positive_float(clip_value, "clip_value")
    torch.nn.utils.clip_grad_value_(_with_grads(parameters), clip_value)


def torch_clip_by_global_norm(parameters: Iterable[torch.nn.Parameter], max_norm: float) -> float:
    """``torch.nn.utils.clip_grad_norm_`` with checks; returns the norm before clipping.

    Raises
    ------
    TrainingDiverged
        If the global norm is NaN or infinite; the gradients are then left unchanged.

    >>> p = torch.nn.Parameter(torch.zeros(2))
    >>> p.grad = torch.tensor([3.0, 4.0])
    >>> torch_clip_by_global_norm([p], 1.0), p.grad.norm().item() < 1.0
    (5.0, True)
    """
    max_norm = check_positive_float(max_norm, "max_norm")
    params = _with_grads(parameters)
    norm = torch.nn.utils.get_total_norm([p.grad for p in params])  # measure first
    total = float(norm)
    if not math.isfinite(total):
        raise TrainingDiverged(
            f"training diverged: gradient norm is {total} (the gradients hold NaN or infinity)"
        )
    torch.nn.utils.clip_grads_with_norm_(params, max_norm, norm)  # then scale, as torch does
    return total
