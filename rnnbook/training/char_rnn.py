"""Truncated BPTT for the torch character model, :class:`rnnbook.models.char_rnn.CharRNN`.

Training on a long stream follows the usual torch idiom for TBPTT(k, k): cut the stream
into chunks of k steps, carry the final state of one chunk into the next, and call
``h.detach()`` in between, so that the next backward pass stops there. One chunk is one
optimizer step, and one entry of the returned :class:`~rnnbook.training.history.History`.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from rnnbook.checks import check_ids, check_positive_float, check_positive_int
from rnnbook.models.char_rnn import CharRNN
from rnnbook.training.history import History, check_finite


def train_tbptt_torch(
    model: CharRNN,
    ids: np.ndarray,
    targets: np.ndarray,
    k: int,
    optimizer: torch.optim.Optimizer,
    clip_norm: float | None = None,
    stateful: bool = True,
) -> History:
    """One pass of TBPTT(k, k) over B parallel streams: chunk, forward, backward, clip, step.

    Parameters
    ----------
    model : CharRNN
    ids, targets : ndarray of int, shape (B, T)
        Character ids in ``[0, V)``.
    k : int
        Chunk length: steps between updates and steps backpropagated.
    optimizer : torch.optim.Optimizer
    clip_norm : float, optional
        Clip the global gradient norm to this before each step.
    stateful : bool
        Carry the (detached) state from chunk to chunk, or start every chunk from zeros.

    Returns
    -------
    History
        ``loss``: the mean cross-entropy of each chunk, before its update;
        ``grad_norm``: the global gradient norm of each chunk, before clipping.

    Raises
    ------
    TrainingDiverged
        If a chunk's loss or gradient norm is NaN or infinite (the message names the
        chunk as the step); no update is made with it.
    """
    if not isinstance(model, CharRNN):
        raise TypeError(f"model: expected a CharRNN, got {type(model).__name__}")
    k = check_positive_int(k, "k")
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm")
    ids = check_ids(ids, "ids", model.vocab_size, ndim=2)
    targets = check_ids(targets, "targets", model.vocab_size, ndim=2)
    if ids.shape != targets.shape:
        raise ValueError(
            f"ids, targets: expected equal shapes (B, T), got {ids.shape} and {targets.shape}"
        )
    ids_t = torch.as_tensor(ids, dtype=torch.int64)
    targets_t = torch.as_tensor(targets, dtype=torch.int64)
    B, T = ids_t.shape
    params = [p for p in model.parameters() if p.requires_grad]
    history, h = History(), None
    for start in range(0, T, k):
        chunk = history.steps
        x, y = ids_t[:, start : start + k], targets_t[:, start : start + k]  # (B, k)
        logits, h_n = model(x, h if stateful else None)  # (B, k, V), (1, B, H)
        loss = nn.functional.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1))
        check_finite(loss.item(), "loss", chunk, history)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # through this chunk only: h was detached
        norm = float(torch.nn.utils.clip_grad_norm_(params, math.inf))  # measure only
        check_finite(norm, "gradient norm", chunk, history)
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(params, clip_norm)
        optimizer.step()
        h = h_n.detach()  # carry the value forward, cut the graph
        history.record(loss.item(), norm)
    return history
