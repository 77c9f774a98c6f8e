r"""A recurrent sequence tagger in torch: one label per step, read by one or both directions.

Token ids are embedded, a stack of ``num_layers`` GRU (or LSTM) layers reads them, one way
or both ways, and a linear readout maps the top layer's output at step :math:`t` to the
logits of that step's label:

.. math::

    e_t = E[x_t], \qquad
    \overrightarrow{h}_t = \mathrm{GRU}_\rightarrow(e_t, \overrightarrow{h}_{t-1}), \qquad
    \overleftarrow{h}_t = \mathrm{GRU}_\leftarrow(e_t, \overleftarrow{h}_{t+1}),

.. math::

    o_t = V\,[\overrightarrow{h}_t ; \overleftarrow{h}_t] + c
    \quad\text{(bidirectional)}, \qquad
    o_t = V\,\overrightarrow{h}_t + c \quad\text{(causal)}.

The causal tagger's :math:`o_t` depends on :math:`x_1, \dots, x_t` only; the
bidirectional one's on the whole sequence. With ``lengths`` the batch is run through
``pack_padded_sequence(..., enforce_sorted=False)``, so each sequence's backward direction
starts at its own last real step.

Weights come from ``seed`` through a forked torch generator: building a model leaves
torch's global random state as it was.

>>> tagger = SequenceTagger(10, 2, hidden_size=8, bidirectional=True, seed=0)
>>> tuple(tagger(torch.zeros(3, 5, dtype=torch.int64)).shape)
(3, 5, 2)
>>> tagger.num_parameters() - SequenceTagger(10, 2, hidden_size=8, seed=0).num_parameters()
448
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from rnnbook.checks import check_choice, check_ids, check_positive_int
from rnnbook.models.regularized_rnn import check_probability

IGNORE_INDEX = -100
CELLS = ("gru", "lstm")


class SequenceTagger(nn.Module):
    """Embedding, a (bi)directional recurrent stack, and a per-step linear readout.

    Parameters
    ----------
    vocab_size : int
        |V|, the number of token ids.
    num_classes : int
        C, the number of labels.
    hidden_size : int
        H per direction; the embedding has H dimensions too.
    bidirectional : bool
        Read both ways (the readout then sees 2H features).
    num_layers : int
        L, stacked recurrent layers.
    dropout : float
        Dropout between recurrent layers (torch's ``dropout=``); needs ``num_layers >= 2``.
    cell : {"gru", "lstm"}
    seed : int
        Seeds the initial weights.

    Attributes
    ----------
    embed : nn.Embedding (|V|, H)
    rnn : nn.GRU or nn.LSTM, batch-first
    head : nn.Linear (num_directions·H -> C)
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        hidden_size: int = 16,
        *,
        bidirectional: bool = False,
        num_layers: int = 1,
        dropout: float = 0.0,
        cell: str = "gru",
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        num_classes = check_positive_int(num_classes, "num_classes")
        H = check_positive_int(hidden_size, "hidden_size")
        num_layers = check_positive_int(num_layers, "num_layers")
        dropout = check_probability(dropout, "dropout")
        check_choice(cell, "cell", CELLS)
        if dropout > 0 and num_layers == 1:
            raise ValueError(
                f"num_layers: expected at least 2 for dropout={dropout} "
                "(nothing is dropped after the last layer), got 1"
            )
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = nn.Embedding(self.vocab_size, H)
            self.rnn = getattr(nn, cell.upper())(
                H,
                H,
                num_layers=num_layers,
                dropout=dropout,
                bidirectional=bool(bidirectional),
                batch_first=True,
            )
            self.head = nn.Linear((2 if bidirectional else 1) * H, num_classes)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Logits for every step.

        Parameters
        ----------
        ids : Tensor of int64, shape (B, T)
        lengths : Tensor of int64, shape (B,), optional
            Real lengths, 1..T; the steps after them are padding (their logits are the
            readout of a zero state and should be masked out of the loss).

        Returns
        -------
        Tensor, shape (B, T, C)
        """
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64:
            raise TypeError(f"ids: expected an int64 torch.Tensor, got {ids!r:.60}")
        check_ids(ids.numpy(), "ids", self.vocab_size, ndim=2)
        B, T = ids.shape
        e = self.embed(ids)  # (B, T, H)
        if lengths is None:
            out, _ = self.rnn(e)  # (B, T, num_directions * H)
        else:
            packed = pack_padded_sequence(e, lengths.cpu(), batch_first=True, enforce_sorted=False)
            out, _ = self.rnn(packed)
            out, _ = pad_packed_sequence(out, batch_first=True, total_length=T)
        return self.head(out)  # (B, T, C)

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)


def masked_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the steps whose label is not :data:`IGNORE_INDEX`.

    Parameters
    ----------
    logits : Tensor, shape (B, T, C)
    y : Tensor of int64, shape (B, T)
    """
    C = logits.shape[-1]
    return nn.functional.cross_entropy(
        logits.reshape(-1, C), y.reshape(-1), ignore_index=IGNORE_INDEX
    )


def masked_accuracy(logits: torch.Tensor, y: torch.Tensor) -> float:
    """The share of scored steps (label not :data:`IGNORE_INDEX`) whose argmax is right.

    >>> masked_accuracy(torch.tensor([[[0.0, 1.0], [1.0, 0.0]]]), torch.tensor([[1, -100]]))
    1.0
    """
    scored = y != IGNORE_INDEX  # (B, T)
    if not bool(scored.any()):
        raise ValueError("y: expected at least one scored step, got none")
    right = (logits.argmax(-1) == y) & scored
    return float(right.sum()) / float(scored.sum())
