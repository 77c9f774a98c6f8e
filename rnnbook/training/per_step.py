r"""Train and score the chapter-1 models, which classify every step of a sequence.

The chapter-1 models (:mod:`rnnbook.models.elman_jordan`) return logits
:math:`z_{n,t} \in \mathbb{R}^V` for every step; the loss is the cross-entropy averaged
over all :math:`N T` steps,

.. math::

    L = -\frac{1}{NT} \sum_{n,t} \log \mathrm{softmax}(z_{n,t})_{y_{n,t}},

and the accuracy is the fraction of steps where :math:`\arg\max_k z_{n,t,k} = y_{n,t}`.
:func:`train_per_step` trains on the whole (small) dataset at every step, through
:func:`rnnbook.training.fit`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.nn import functional as F

from rnnbook.checks import check_array, check_ids
from rnnbook.training.history import History
from rnnbook.training.loop import TrainConfig, fit


def per_step_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over every step; ``x`` (B, T, D), ``y`` (B, T) int64."""
    logits, _ = model(x)  # (B, T, V)
    B, T, V = logits.shape
    return F.cross_entropy(logits.reshape(B * T, V), y.reshape(B * T))


def per_step_accuracy(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> float:
    """Fraction of the N * T steps whose arg-max prediction equals the target.

    Parameters
    ----------
    model : torch.nn.Module
        ``model(x) -> (logits (N, T, V), states)``.
    x : ndarray, shape (N, T, D)
    y : ndarray of int, shape (N, T)
    """
    xt, yt = _to_tensors(model, x, y)
    return float((per_step_predictions(model, xt) == yt).double().mean())


def per_step_losses(model: torch.nn.Module, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """The cross-entropy at each step, averaged over the N sequences: shape (T,)."""
    xt, yt = _to_tensors(model, x, y)
    with torch.no_grad():
        logits, _ = model(xt)  # (N, T, V)
        losses = F.cross_entropy(logits.transpose(1, 2), yt, reduction="none")  # (N, T)
    return losses.mean(dim=0).double().numpy()  # (T,)


def per_step_predictions(model: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Arg-max class at every step: ``x`` (B, T, D) -> (B, T) int64."""
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits, _ = model(x)  # (B, T, V)
    model.train(was_training)
    return logits.argmax(dim=-1)  # (B, T)


def train_per_step(
    model: torch.nn.Module, x: np.ndarray, y: np.ndarray, config: TrainConfig
) -> tuple[History, float]:
    """Train ``model`` on all of ``(x, y)`` at every step; return its history and accuracy.

    Parameters
    ----------
    model : torch.nn.Module
        ``model(x) -> (logits (N, T, V), states)``; trained in place.
    x : ndarray, shape (N, T, D)
        Float inputs, e.g. one-hot letters.
    y : ndarray of int, shape (N, T)
        Target class at every step.
    config : TrainConfig
        Steps, learning rate, optimizer, clipping.

    Returns
    -------
    history : History
        The loss at every step.
    accuracy : float
        :func:`per_step_accuracy` after training.

    Raises
    ------
    rnnbook.training.TrainingDiverged
        If the loss or gradient stops being finite.
    """
    xt, yt = _to_tensors(model, x, y)
    history = fit(model, lambda step: (xt, yt), per_step_loss, config)
    return history, per_step_accuracy(model, x, y)


def _to_tensors(model: torch.nn.Module, x: object, y: object) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    x = check_array(x, "x", shape=(None, None, None), legend="(N, T, D)")
    V = getattr(model, "output_size", None)
    if not isinstance(V, int):
        raise TypeError("model: expected an `output_size` attribute (V), got none")
    y = check_ids(y, "y", V)
    if y.shape != x.shape[:2]:
        raise ValueError(f"y: expected shape {x.shape[:2]} (N, T), got {y.shape}")
    dtype = next(model.parameters()).dtype
    return torch.as_tensor(x, dtype=dtype), torch.as_tensor(y, dtype=torch.int64)
