r"""The character-level language model in torch, and its truncated-BPTT training loop.

The same model as :class:`rnnbook.scratch.char_lm.CharLM`, with the same parameter names:

.. math::

    x_t = e_{c_t}, \qquad
    h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}), \qquad
    z_t = h_t W^\top + b.

Training on a long stream follows the usual torch idiom for TBPTT(k, k): cut the stream
into chunks of k steps, carry the final state of one chunk into the next, and call
``h.detach()`` in between, so that the next backward pass stops there.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rnnbook.checks import check_positive_float, check_positive_int
from rnnbook.training import TrainingDiverged


class CharRNN(nn.Module):
    """One-hot input, ``nn.RNN`` (tanh, batch-first), ``nn.Linear`` readout.

    Parameters
    ----------
    vocab_size : int
        V.
    hidden_size : int
        H.
    dtype : torch.dtype
        Parameter dtype, float32 by default.

    Shape
    -----
    ids (B, T) int64, h0 (1, B, H) -> logits (B, T, V), h_n (1, B, H).
    """

    def __init__(self, vocab_size: int, hidden_size: int, dtype: torch.dtype = torch.float32):
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.rnn = nn.RNN(vocab_size, hidden_size, batch_first=True, dtype=dtype)
        self.linear = nn.Linear(hidden_size, vocab_size, dtype=dtype)

    def forward(
        self, ids: torch.Tensor, h0: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64 or ids.dim() != 2:
            raise TypeError(
                "ids: expected an int64 tensor of shape (B, T), got "
                f"{getattr(ids, 'dtype', type(ids).__name__)} {tuple(getattr(ids, 'shape', ()))}"
            )
        B, T = ids.shape
        x = nn.functional.one_hot(ids, self.vocab_size).to(self.linear.weight.dtype)  # (B, T, V)
        out, h_n = self.rnn(x, h0)  # (B, T, H), (1, B, H)
        return self.linear(out), h_n  # (B, T, V), (1, B, H)

    @torch.no_grad()
    def step(self, ids: np.ndarray, h: torch.Tensor | None) -> tuple[np.ndarray, torch.Tensor]:
        """One step for :func:`rnnbook.text.generate`: ids (B,) to logits (B, V) and state."""
        logits, h = self(torch.as_tensor(np.asarray(ids), dtype=torch.int64)[:, None], h)
        return logits[:, 0].double().numpy(), h


def train_tbptt_torch(
    model: CharRNN,
    ids: np.ndarray,
    targets: np.ndarray,
    k: int,
    optimizer: torch.optim.Optimizer,
    clip_norm: float | None = None,
    stateful: bool = True,
) -> list[float]:
    """One pass of TBPTT(k, k) over B parallel streams: chunk, forward, backward, clip, step.

    Parameters
    ----------
    model : CharRNN
    ids, targets : ndarray of int, shape (B, T)
    k : int
        Chunk length: steps between updates and steps backpropagated.
    optimizer : torch.optim.Optimizer
    clip_norm : float, optional
        Clip the global gradient norm to this before each step.
    stateful : bool
        Carry the (detached) state from chunk to chunk, or start every chunk from zeros.

    Returns
    -------
    list of float
        The mean cross-entropy of each chunk, before its update.
    """
    k = check_positive_int(k, "k")
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm")
    ids_t, targets_t = torch.as_tensor(ids), torch.as_tensor(targets)
    if ids_t.shape != targets_t.shape or ids_t.dim() != 2:
        raise ValueError(
            f"ids, targets: expected equal shapes (B, T), got {tuple(ids_t.shape)} "
            f"and {tuple(targets_t.shape)}"
        )
    B, T = ids_t.shape
    losses, h = [], None
    for start in range(0, T, k):
        x, y = ids_t[:, start : start + k], targets_t[:, start : start + k]
        logits, h_n = model(x, h if stateful else None)
        loss = nn.functional.cross_entropy(logits.reshape(-1, model.vocab_size), y.reshape(-1))
        if not torch.isfinite(loss):
            raise TrainingDiverged(f"training diverged at chunk {len(losses)}: loss is {loss}")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # through this chunk only: h was detached
        if clip_norm is not None:
            torch.nn.utils.clip_grad_norm_(model.parameters(), clip_norm)
        optimizer.step()
        h = h_n.detach()  # carry the value forward, cut the graph
        losses.append(loss.item())
    return losses
