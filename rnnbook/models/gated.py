r"""One gated recurrent layer and a linear head, for comparing LSTMs, their variants and GRUs.

.. math::

    h_1, \dots, h_T = \operatorname{core}(x_1, \dots, x_T), \qquad
    \hat y = V h_T + c \;\; (\texttt{readout="last"}) \quad\text{or}\quad
    \hat y_t = V h_t + c \;\; (\texttt{readout="every"}).

The core (``core=``) is

* ``"lstm"``: ``torch.nn.LSTM`` (torch's fused kernel);
* ``"gru"``: ``torch.nn.GRU``;
* any variant of :class:`rnnbook.models.lstm_variants.LSTMVariant` (``"full"``,
  ``"no_forget_gate"``, ``"no_input_gate"``, ``"no_output_gate"``, ``"coupled"``,
  ``"peephole"``): an LSTM written with torch ops, for the ablation.

Every parameter, the head's included, is drawn uniform on :math:`[-1/\sqrt{H}, 1/\sqrt{H}]`
(torch's default scheme) from a ``torch.Generator`` seeded by ``seed``, so a model is the
same whatever ran before it. Integer inputs (token ids) are one-hot encoded to ``D``
features.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.lstm_variants import VARIANTS, LSTMVariant, set_forget_bias_

CORES = ("lstm", "gru", *VARIANTS)
READOUTS = ("last", "every")


class GatedSequenceModel(nn.Module):
    r"""A gated recurrent layer (batch-first) and a linear head.

    Parameters
    ----------
    core : str
        One of :data:`CORES`.
    input_size : int
        D (for integer inputs: the number of symbols).
    hidden_size : int
        H.
    output_size : int
        O; with ``O = 1`` and ``readout="last"`` the output is squeezed to shape (B,).
    readout : {"last", "every"}
        Read :math:`h_T` only, or every :math:`h_t`.
    seed : int
        Seeds every initial parameter.
    forget_bias : float, optional
        LSTM cores with a forget gate: :math:`b_{if} + b_{hf}` starts at this value.

    Examples
    --------
    >>> model = GatedSequenceModel("gru", input_size=2, hidden_size=4)
    >>> tuple(model(torch.ones(3, 5, 2)).shape)
    (3,)
    >>> tagger = GatedSequenceModel("coupled", 4, 8, output_size=4, readout="every")
    >>> tuple(tagger(torch.zeros(3, 5, dtype=torch.int64)).shape)
    (3, 5, 4)
    """

    def __init__(
        self,
        core: str,
        input_size: int,
        hidden_size: int,
        output_size: int = 1,
        readout: str = "last",
        seed: int = 0,
        forget_bias: float | None = None,
    ) -> None:
        super().__init__()
        self.core = check_choice(core, "core", CORES)
        D = check_positive_int(input_size, "input_size")
        H = check_positive_int(hidden_size, "hidden_size")
        O = check_positive_int(output_size, "output_size")  # noqa: E741
        self.readout = check_choice(readout, "readout", READOUTS)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        if forget_bias is not None and core in ("gru", "no_forget_gate"):
            raise ValueError(f"forget_bias: expected None for core={core!r}, got {forget_bias}")
        if core == "lstm":
            self.rnn = nn.LSTM(D, H, batch_first=True)
        elif core == "gru":
            self.rnn = nn.GRU(D, H, batch_first=True)
        else:
            self.rnn = LSTMVariant(D, H, variant=core)
        self.head = nn.Linear(H, O)
        self.input_size, self.hidden_size, self.output_size = D, H, O
        with torch.no_grad():
            gen = torch.Generator().manual_seed(seed)
            for p in self.parameters():
                p.uniform_(-1.0 / math.sqrt(H), 1.0 / math.sqrt(H), generator=gen)
            if forget_bias is not None:
                set_forget_bias_(self.rnn, forget_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Map ``x`` (B, T, D) floats or (B, T) ids to (B,), (B, O) or (B, T, O)."""
        if not isinstance(x, torch.Tensor) or x.dim() not in (2, 3) or 0 in x.shape:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x: expected a tensor of shape (B, T, D) or (B, T) ids, got {shape}")
        if x.dim() == 2:
            x = nn.functional.one_hot(x, self.input_size).float()  # (B, T, D)
        out, _ = self.rnn(x)  # (B, T, H)
        if self.readout == "every":
            return self.head(out)  # (B, T, O)
        y = self.head(out[:, -1])  # (B, O)
        return y.squeeze(-1) if self.output_size == 1 else y

    def extra_repr(self) -> str:
        return f"core={self.core!r}, readout={self.readout!r}"


def count_parameters(module: nn.Module) -> int:
    """The number of trainable numbers: ``sum(p.numel() for p in module.parameters())``.

    >>> count_parameters(nn.LSTM(2, 16)), 4 * (16 * (2 + 16) + 2 * 16)
    (1280, 1280)
    """
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def recurrent_parameters(core: str, input_size: int, hidden_size: int) -> int:
    r"""Parameters of the recurrent layer alone: :math:`G\,(H(D + H) + 2H)` with G gate blocks.

    G is 4 for ``"lstm"`` and ``"full"``, 3 for ``"gru"`` and for the variants that drop
    a gate; ``"peephole"`` adds :math:`3H`.

    >>> recurrent_parameters("lstm", 2, 16), recurrent_parameters("gru", 2, 19)
    (1280, 1311)
    """
    core = check_choice(core, "core", CORES)
    D = check_positive_int(input_size, "input_size")
    H = check_positive_int(hidden_size, "hidden_size")
    if core == "lstm":
        G = 4
    elif core == "gru":
        G = 3
    else:
        G = len(LSTMVariant(1, 1, variant=core).gates)
    return G * (H * (D + H) + 2 * H) + (3 * H if core == "peephole" else 0)


def matched_hidden_size(core: str, reference: str, input_size: int, hidden_size: int) -> int:
    """The H of ``core`` whose recurrent layer has the parameter count closest to that of
    ``reference`` with ``hidden_size`` units (for parameter-matched comparisons).

    >>> matched_hidden_size("gru", "lstm", input_size=2, hidden_size=16)
    19
    """
    target = recurrent_parameters(reference, input_size, hidden_size)
    sizes = range(1, 4 * hidden_size + 1)
    return min(sizes, key=lambda h: abs(recurrent_parameters(core, input_size, h) - target))
