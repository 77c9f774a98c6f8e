r"""Softmax cross-entropy over a vocabulary, in numpy, with its backward pass.

For logits :math:`z \in \mathbb{R}^V` at one position and the correct class :math:`y`,

.. math::

    p = \mathrm{softmax}(z), \qquad \ell = -\log p_y = \log \sum_j e^{z_j} - z_y, \qquad
    \frac{\partial \ell}{\partial z} = p - e_y.

Positions whose target equals ``ignore_index`` (-100, as in torch) contribute no loss and
no gradient. With ``reduction="mean"`` the loss is divided by the number :math:`N` of
positions that count, and so is the gradient: this matches
``torch.nn.functional.cross_entropy``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_choice

IGNORE_INDEX = -100
REDUCTIONS = ("mean", "sum", "none")


class CrossEntropyCache(NamedTuple):
    """What :func:`cross_entropy_forward` keeps for :func:`cross_entropy_backward`.

    Attributes
    ----------
    probs : ndarray, shape (..., V)
        The softmax of the logits.
    targets : ndarray of int, shape (...)
    mask : ndarray of bool, shape (...)
        True where the target counts (is not ``ignore_index``).
    reduction : str
    """

    probs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    reduction: str


def check_targets(targets: object, shape: tuple[int, ...], num_classes: int) -> np.ndarray:
    """Validate integer class ids of the given shape, in ``[0, V)`` or ``IGNORE_INDEX``."""
    targets = np.asarray(targets)
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"targets: expected integer class ids, got dtype {targets.dtype}")
    if targets.shape != shape:
        raise ValueError(f"targets: expected shape {shape}, got {targets.shape}")
    bad = ((targets < 0) | (targets >= num_classes)) & (targets != IGNORE_INDEX)
    if bad.any():
        raise ValueError(
            f"targets: expected ids in [0, {num_classes}) or {IGNORE_INDEX}, "
            f"got {int(targets[bad][0])}"
        )
    return targets


def cross_entropy_forward(
    logits: np.ndarray, targets: np.ndarray, reduction: str = "mean"
) -> tuple[float | np.ndarray, CrossEntropyCache]:
    r"""Softmax cross-entropy of ``logits`` against integer ``targets``.

    .. math::

        \ell_n = \log \sum_j e^{z_{n,j}} - z_{n, y_n}, \qquad
        L = \frac{1}{N} \sum_n \ell_n \ (\text{mean}), \quad \sum_n \ell_n \ (\text{sum})

    Parameters
    ----------
    logits : ndarray, shape (..., V)
        For example ``(B, T, V)``.
    targets : ndarray of int, shape (...)
        Class ids in ``[0, V)``, or ``IGNORE_INDEX`` for positions without a target.
    reduction : {"mean", "sum", "none"}
        ``"none"`` returns the loss of every position, shape ``(...)``, zero where ignored.

    Returns
    -------
    loss : float, or ndarray of shape (...) for ``reduction="none"``
    cache : CrossEntropyCache
    """
    logits = check_array(logits, "logits")
    reduction = check_choice(reduction, "reduction", REDUCTIONS)
    if logits.ndim < 1 or logits.shape[-1] == 0:
        raise ValueError(f"logits: expected shape (..., V) with V >= 1, got {logits.shape}")
    targets = check_targets(targets, logits.shape[:-1], logits.shape[-1])
    mask = targets != IGNORE_INDEX  # (...)
    z = logits - logits.max(axis=-1, keepdims=True)  # (..., V): shifted, softmax unchanged
    log_sum = np.log(np.exp(z).sum(axis=-1))  # (...)
    safe = np.where(mask, targets, 0)  # (...): any valid index where ignored
    z_y = np.take_along_axis(z, safe[..., None], axis=-1)[..., 0]  # (...)
    losses = np.where(mask, log_sum - z_y, 0.0)  # (...): -log p_y
    probs = np.exp(z - log_sum[..., None])  # (..., V)
    cache = CrossEntropyCache(probs=probs, targets=safe, mask=mask, reduction=reduction)
    if reduction == "none":
        return losses, cache
    total = float(losses.sum())
    return (total / max(int(mask.sum()), 1) if reduction == "mean" else total), cache


def cross_entropy_backward(
    cache: CrossEntropyCache, d_loss: float | np.ndarray = 1.0
) -> np.ndarray:
    r"""Gradient of the loss with respect to the logits.

    .. math::

        \frac{\partial L}{\partial z_n} = \frac{\partial L}{\partial \ell_n} (p_n - e_{y_n}),
        \qquad \frac{\partial L}{\partial \ell_n} = \frac{1}{N} \ (\text{mean}), \quad
        1 \ (\text{sum}), \quad \texttt{d\_loss}_n \ (\text{none})

    Parameters
    ----------
    cache : CrossEntropyCache
    d_loss : float, or ndarray of shape (...) for ``reduction="none"``
        The upstream gradient of the (reduced) loss.

    Returns
    -------
    d_logits : ndarray, shape (..., V)
    """
    probs, targets, mask = cache.probs, cache.targets, cache.mask
    d_logits = probs.copy()  # (..., V)
    np.put_along_axis(
        d_logits,
        targets[..., None],
        np.take_along_axis(probs, targets[..., None], axis=-1) - 1.0,
        axis=-1,
    )  # p - e_y
    if cache.reduction == "none":
        d_loss = np.asarray(d_loss, dtype=probs.dtype)
        if d_loss.shape != mask.shape:
            raise ValueError(f"d_loss: expected shape {mask.shape}, got {d_loss.shape}")
        scale = np.where(mask, d_loss, 0.0)  # (...)
    else:
        n = max(int(mask.sum()), 1) if cache.reduction == "mean" else 1
        scale = mask * (float(d_loss) / n)  # (...): 1/N for the mean, 0 where ignored
    return d_logits * scale[..., None]
