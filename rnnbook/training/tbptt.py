"""Training a numpy language model with truncated BPTT: the numpy twin of the torch ``fit``.

One pass over a stream with TBPTT(k1, k2) (see :mod:`rnnbook.scratch.truncated_bptt`):
for each window, the model's readout loss on the new steps, backpropagation through the
stored activations, clipping, one optimizer step. It returns the same
:class:`~rnnbook.training.history.History` as the torch loop, and stops with the same
:class:`~rnnbook.training.history.TrainingDiverged` before a non-finite gradient reaches
the weights.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_ids, check_positive_float
from rnnbook.optim import Optimizer
from rnnbook.scratch.char_lm import CharLM
from rnnbook.scratch.clipping import clip_by_global_norm, global_norm
from rnnbook.scratch.one_hot import one_hot
from rnnbook.scratch.truncated_bptt import truncated_bptt
from rnnbook.training.history import History, TrainingDiverged


def train_tbptt(
    model: CharLM,
    ids: np.ndarray,
    targets: np.ndarray,
    k1: int,
    k2: int,
    optimizer: Optimizer,
    clip_norm: float | None = None,
    h0: np.ndarray | None = None,
    stateful: bool = True,
    history: History | None = None,
) -> History:
    """One pass of TBPTT(k1, k2) over a stream, updating ``model.params`` after every window.

    Parameters
    ----------
    model : CharLM
    ids : ndarray of int, shape (B, T)
        B parallel streams of T tokens.
    targets : ndarray of int, shape (B, T)
        The class to predict at each step (``IGNORE_INDEX`` for none).
    k1, k2 : int
        The TBPTT schedule.
    optimizer : rnnbook.optim.Optimizer
        Built on ``model.params``.
    clip_norm : float, optional
        Clip the global gradient norm to this before each step.
    h0 : ndarray, shape (1, B, H), optional
    stateful : bool
        Carry the state from window to window (True), or start each window from ``h0``.
    history : History, optional
        Append to this record (to continue a run); a new one if omitted.

    Returns
    -------
    History
        One entry per window: its loss and its gradient norm before clipping.

    Raises
    ------
    TrainingDiverged
        If a loss or the gradient norm is NaN or infinite; the weights are not updated
        with it, and ``history`` holds the windows before.
    """
    if not isinstance(model, CharLM):
        raise TypeError(f"model: expected a CharLM, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer) or optimizer.params is not model.params:
        raise ValueError("optimizer: expected an optimizer built on model.params")
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm")
    ids = check_ids(ids, "ids", model.vocab_size, ndim=2)
    B, T = ids.shape
    targets = np.asarray(targets)
    if targets.shape != (B, T):
        raise ValueError(f"targets: expected shape {(B, T)} (B, T), got {targets.shape}")
    history = History() if history is None else history
    x = one_hot(ids, model.vocab_size, model.dtype)  # (B, T, V)

    def loss_fn(hs: np.ndarray, loss_start: int, stop: int):
        if not np.isfinite(hs).all():  # a NaN state: stop here, before it reaches a loss
            raise TrainingDiverged(
                f"training diverged at window {history.steps}: the hidden state is not finite",
                history,
            )
        return model.head_loss(hs, targets[:, loss_start:stop])

    for update in truncated_bptt(model.rnn, x, k1, k2, loss_fn, h0, stateful=stateful):
        grads = update.loss_grads | {f"rnn.{k}": g for k, g in update.grads.items()}
        grads = {k: grads[k] for k in model.params}
        norm = global_norm(grads)
        if not (np.isfinite(update.loss) and np.isfinite(norm)):
            raise TrainingDiverged(
                f"training diverged at window {history.steps}: loss {update.loss}, "
                f"gradient norm {norm}",
                history,
            )
        if clip_norm is not None:
            clip_by_global_norm(grads, clip_norm)
        optimizer.step(grads)  # updates model.params in place; the next window sees it
        history.record(update.loss, norm)
    return history
