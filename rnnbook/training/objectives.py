r"""Losses and held-out metrics for the chapter-2 models (:mod:`rnnbook.models.io_shapes`).

Every loss has the signature ``loss(model, x, y) -> scalar tensor`` that
:func:`rnnbook.training.fit` takes, and every ``*_on(...)`` returns the
``evaluate(model) -> float`` that it takes:

==========================  =================================  ===========================
model                       loss                               metric
==========================  =================================  ===========================
one-to-one, many-to-one     :func:`classification_loss`        :func:`accuracy_on`
one-to-many (regression)    :func:`regression_loss`            :func:`loss_on`
many-to-many, aligned       :func:`every_step_loss`            :func:`accuracy_on`
encoder-decoder             :func:`translation_loss`           :func:`exact_match`
==========================  =================================  ===========================

:func:`sequence_loss` is the general form behind :func:`every_step_loss`: a loss at
every step or only at the last one, summed or averaged over time.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from rnnbook.checks import check_choice

LossFn = Callable[[torch.nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]
WHERE = ("every", "last")
REDUCTIONS = ("sum", "mean")


def sequence_loss(
    logits: torch.Tensor, y: torch.Tensor, where: str = "every", reduction: str = "mean"
) -> torch.Tensor:
    r"""Cross-entropy of a sequence of predictions, at every step or at the last one.

    .. math::

        L_t = -\frac{1}{B} \sum_{b=1}^{B} \log \mathrm{softmax}(o_{b,t})_{y_{b,t}}, \qquad
        L = \begin{cases}
            \sum_t L_t & \text{where="every", reduction="sum"} \\
            \frac{1}{T} \sum_t L_t & \text{where="every", reduction="mean"} \\
            L_T & \text{where="last" (either reduction)}
        \end{cases}

    Parameters
    ----------
    logits : torch.Tensor, shape (B, T, V)
    y : torch.Tensor, int64, shape (B, T)
    where : {"every", "last"}
    reduction : {"sum", "mean"}
        Over time; the batch is always averaged.

    Returns
    -------
    torch.Tensor
        A scalar.
    """
    check_choice(where, "where", WHERE)
    check_choice(reduction, "reduction", REDUCTIONS)
    if not isinstance(logits, torch.Tensor) or logits.dim() != 3:
        shape = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise ValueError(f"logits: expected a tensor of 3 dimensions (B, T, V), got {shape}")
    B, T, V = logits.shape
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or tuple(y.shape) != (B, T):
        got = f"{y.dtype} {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y: expected an int64 tensor of shape ({B}, {T}), got {got}")
    per_step = F.cross_entropy(logits.transpose(1, 2), y, reduction="none").mean(dim=0)  # (T,)
    if where == "last":
        return per_step[-1]
    return per_step.sum() if reduction == "sum" else per_step.mean()


def classification_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Cross-entropy of one prediction per example, :math:`-\frac{1}{B}\sum_b \log p_b(y_b)`.

    ``model(x)`` gives logits (B, V); ``y`` is int64 (B,).
    """
    return F.cross_entropy(model(x), y)


def every_step_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Cross-entropy at every step, averaged over steps and batch: ``sequence_loss(model(x), y)``.

    ``model(x)`` gives logits (B, T, V); ``y`` is int64 (B, T).
    """
    return sequence_loss(model(x), y, where="every", reduction="mean")


def regression_loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    r"""Mean squared error, :math:`\frac{1}{N} \sum (\hat y - y)^2` over every entry.

    ``model(x)`` has the shape of ``y``, or that shape plus a trailing axis of size 1 (a
    model with one output per step, e.g. (B, T, 1) for ``y`` of shape (B, T)).

    >>> regression_loss(lambda x: x[..., None], torch.zeros(2, 3), torch.ones(2, 3)).item()
    1.0
    """
    out = model(x)
    if out.dim() == y.dim() + 1 and out.shape[-1] == 1:
        out = out[..., 0]  # (B, T, 1) -> (B, T)
    if out.shape != y.shape:
        raise ValueError(
            f"model(x): expected the shape of y {tuple(y.shape)} (or with a trailing 1), "
            f"got {tuple(out.shape)}"
        )
    return F.mse_loss(out, y)


def accuracy_on(x: torch.Tensor, y: torch.Tensor) -> Callable[[torch.nn.Module], float]:
    """``evaluate(model)``: the fraction of predictions ``model(x).argmax(-1)`` equal to ``y``.

    Works for one label per example (``y`` (B,)) and for one per step (``y`` (B, T)).

    >>> accuracy_on(torch.eye(3), torch.tensor([0, 1, 1]))(lambda x: x)
    0.6666666865348816
    """
    return lambda model: (model(x).argmax(-1) == y).float().mean().item()


def loss_on(
    loss_fn: LossFn, x: torch.Tensor, y: torch.Tensor
) -> Callable[[torch.nn.Module], float]:
    """``evaluate(model)``: ``loss_fn(model, x, y)`` on held-out data, as a float."""
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {type(loss_fn).__name__}")
    return lambda model: loss_fn(model, x, y).item()


def decoder_input(y: torch.Tensor, bos: int) -> torch.Tensor:
    """Teacher forcing: the decoder reads ``bos`` and then the target shifted right by one.

    >>> decoder_input(torch.tensor([[5, 6, 7]]), bos=1).tolist()
    [[1, 5, 6]]
    """
    if not isinstance(y, torch.Tensor) or y.dtype != torch.int64 or y.dim() != 2:
        got = f"{y.dtype} {tuple(y.shape)}" if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"y: expected an int64 tensor of shape (B, T_tgt), got {got}")
    B, T_tgt = y.shape
    return torch.cat([torch.full((B, 1), bos), y[:, :-1]], dim=1)  # (B, T_tgt)


def translation_loss(bos: int, pad: int) -> LossFn:
    """The encoder-decoder's loss: cross-entropy of every target token, padding ignored.

    Returns ``loss(model, x, y)`` for :func:`rnnbook.training.fit`; the model reads the
    source ``x`` (B, T_src) and :func:`decoder_input` of the target ``y`` (B, T_tgt), and
    positions where ``y == pad`` do not count.
    """

    def loss(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        logits = model(x, decoder_input(y, bos))  # (B, T_tgt, V)
        return F.cross_entropy(logits.transpose(1, 2), y, ignore_index=pad)

    return loss


def exact_match(
    model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor, bos: int, pad: int
) -> float:
    """The fraction of sources whose greedy translation equals the target at every non-pad step.

    ``model.generate(x, bos=bos, steps=T_tgt)`` produces (B, T_tgt) token ids.
    """
    out = model.generate(x, bos=bos, steps=y.shape[1])  # (B, T_tgt)
    return ((out == y) | (y == pad)).all(dim=1).float().mean().item()
