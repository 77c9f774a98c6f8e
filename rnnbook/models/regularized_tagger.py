r"""A sequence tagger whose recurrent layer is regularised one of four ways, in torch.

The tagger of :mod:`rnnbook.models.sequence_tagger` (embedding, a causal GRU, a linear
readout at every step) with its GRU replaced by one of the layers of
:mod:`rnnbook.models.regularized_rnn`, all with the same dropout probability :math:`p`:

===================  =====================================================================
``method``           recurrent layer
===================  =====================================================================
``"none"``           one GRU layer, no dropout
``"none_2_layers"``  two GRU layers, no dropout (the reference for ``"between_layers"``)
``"between_layers"`` two GRU layers, dropout :math:`p` on the first layer's outputs
``"variational"``    one GRU layer, one mask per sequence on :math:`x_t` and
                     :math:`h_{t-1}`, the same at every step (Gal and Ghahramani)
``"weight_drop"``    one GRU layer, one mask on :math:`W_{hh}` per forward pass (AWD-LSTM)
``"naive"``          one GRU layer, a new mask on :math:`x_t` and :math:`h_{t-1}` at every
                     step
===================  =====================================================================

In eval mode no method drops anything, and every one computes a plain GRU tagger.

>>> tagger = RegularizedTagger(10, 2, hidden_size=4, method="variational", p=0.5)
>>> tuple(tagger(torch.zeros(3, 5, dtype=torch.int64)).shape)
(3, 5, 2)
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook.checks import check_choice, check_ids, check_positive_int
from rnnbook.models.regularized_rnn import (
    NaiveDropoutRNN,
    VariationalDropoutRNN,
    WeightDropRNN,
    between_layer_dropout,
    check_probability,
)

METHODS = ("none", "none_2_layers", "between_layers", "variational", "weight_drop", "naive")


def recurrent_layer(method: str, hidden_size: int, p: float, seed: int) -> nn.Module:
    """The GRU layer (or two-layer stack) of ``method``, reading and writing H features."""
    method = check_choice(method, "method", METHODS)
    H = hidden_size
    if method in ("none_2_layers", "between_layers"):
        dropout = p if method == "between_layers" else 0.0
        return between_layer_dropout("gru", H, H, num_layers=2, dropout=dropout, seed=seed)
    if method == "weight_drop":
        return WeightDropRNN("gru", H, H, weight_dropout=p, seed=seed)
    if method == "naive":
        return NaiveDropoutRNN("gru", H, H, dropout_input=p, dropout_hidden=p, seed=seed)
    p = p if method == "variational" else 0.0
    return VariationalDropoutRNN("gru", H, H, dropout_input=p, dropout_hidden=p, seed=seed)


class RegularizedTagger(nn.Module):
    """Embedding, a regularised causal GRU, and a per-step linear readout.

    Parameters
    ----------
    vocab_size, num_classes : int
    hidden_size : int
        H; the embedding has H dimensions too.
    method : str
        One of :data:`METHODS`.
    p : float
        The dropout probability of the method (ignored by ``"none"`` and
        ``"none_2_layers"``).
    seed : int
        Seeds the weights and the masks of the recurrent layer; the embedding and readout
        come from a forked torch generator seeded with it.
    """

    def __init__(
        self,
        vocab_size: int,
        num_classes: int,
        hidden_size: int = 32,
        *,
        method: str = "none",
        p: float = 0.5,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        num_classes = check_positive_int(num_classes, "num_classes")
        H = check_positive_int(hidden_size, "hidden_size")
        self.method = check_choice(method, "method", METHODS)
        self.p = check_probability(p, "p")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            self.embed = nn.Embedding(self.vocab_size, H)
            self.head = nn.Linear(H, num_classes)
        self.rnn = recurrent_layer(method, H, self.p, seed)

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        """Logits (B, T, C) for int64 ids (B, T)."""
        if not isinstance(ids, torch.Tensor) or ids.dtype != torch.int64:
            raise TypeError(f"ids: expected an int64 torch.Tensor, got {ids!r:.60}")
        check_ids(ids.numpy(), "ids", self.vocab_size, ndim=2)
        out, _ = self.rnn(self.embed(ids))  # (B, T, H)
        return self.head(out)  # (B, T, C)

    def num_parameters(self) -> int:
        """The number of trainable scalars."""
        return sum(p.numel() for p in self.parameters() if p.requires_grad)
