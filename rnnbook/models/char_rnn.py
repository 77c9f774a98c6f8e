r"""The character-level language model in torch.

The same model as :class:`rnnbook.scratch.char_lm.CharLM`, with the same parameter names:

.. math::

    x_t = e_{c_t}, \qquad
    h_t = \tanh(W h_{t-1} + U x_t + b), \qquad
    o_t = V h_t + c,

with :math:`U` = ``rnn.weight_ih_l0``, :math:`W` = ``rnn.weight_hh_l0``,
:math:`b` = ``rnn.bias_ih_l0 + rnn.bias_hh_l0``, :math:`V` = ``linear.weight`` and
:math:`c` = ``linear.bias``. It is trained by :func:`rnnbook.training.char_rnn.train_tbptt_torch`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from rnnbook.checks import check_positive_int


class CharRNN(nn.Module):
    """One-hot input, ``nn.RNN`` (tanh, batch-first), ``nn.Linear`` readout.

    Parameters
    ----------
    vocab_size : int
        V, the number of characters.
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
