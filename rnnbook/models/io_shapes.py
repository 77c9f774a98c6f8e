r"""The five input-output shapes of a recurrent network, as small PyTorch modules.

=====================  =========================  ============================
shape                  module                     input -> output
=====================  =========================  ============================
one-to-one             :class:`OneToOne`          ``(B, D)`` -> ``(B, V)``
one-to-many            :class:`OneToMany`         ``(B, D)`` -> ``(B, T, V)``
many-to-one            :class:`ManyToOne`         ``(B, T)`` -> ``(B, V)``
many-to-many, aligned  :class:`ManyToManyAligned` ``(B, T)`` -> ``(B, T, V)``
many-to-many, seq2seq  :class:`EncoderDecoder`    ``(B, T_src)`` -> ``(B, T_tgt, V)``
=====================  =========================  ============================

Every recurrent module is built around one ``torch.nn.RNN`` or ``torch.nn.GRU`` layer
(``cell="rnn"`` or ``"gru"``), batch-first, with the Elman recurrence of the notation
page for ``"rnn"``:

.. math::

    h_t = \tanh(W h_{t-1} + U x_t + b), \qquad o_t = V h_t + c,

with :math:`U` = ``rnn.weight_ih_l0``, :math:`W` = ``rnn.weight_hh_l0``,
:math:`b` = ``rnn.bias_ih_l0 + rnn.bias_hh_l0`` and the readout :math:`V` = ``head.weight``,
:math:`c` = ``head.bias``. In the shape legends below, V is the number of outputs.

What changes from shape to shape is only *where the inputs enter* and *where outputs
are read*: that is the whole point of the chapter. Outputs are logits (or raw values for
regression); the loss is applied outside, by :mod:`rnnbook.training.objectives`.
"""

from __future__ import annotations

import torch
from torch import nn

from rnnbook.checks import check_choice, check_ids, check_positive_int

CELLS = ("rnn", "gru")


def _recurrent_layer(cell: str, input_size: int, hidden_size: int) -> nn.RNNBase:
    check_choice(cell, "cell", CELLS)
    layer = nn.RNN if cell == "rnn" else nn.GRU
    return layer(input_size, hidden_size, batch_first=True)


def _check_tokens(x: object, name: str, vocab_size: int) -> torch.Tensor:
    """A (B, T) int64 tensor of ids in [0, vocab_size), checked by :func:`check_ids`."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if x.dtype != torch.int64:
        raise TypeError(f"{name}: expected int64 token ids, got dtype {x.dtype}")
    check_ids(x.numpy(), name, vocab_size, ndim=2)
    return x


def _check_features(x: object, name: str, features: int, dims: int = 2) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    if x.dim() < dims or x.shape[-1] != features:
        raise ValueError(
            f"{name}: expected at least {dims} dimensions ending in D={features}, "
            f"got shape {tuple(x.shape)}"
        )
    return x


class OneToOne(nn.Module):
    r"""One-to-one: a feed-forward network, one input vector to one output, no time axis.

    .. math::

        o = W_2\, \mathrm{ReLU}(W_1 x + b_1) + b_2

    It is applied independently to whatever leading axes ``x`` has, so on ``(B, T, D)``
    it maps every step on its own: the feed-forward baseline that cannot see context.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        Width of the hidden layer.
    output_size : int
        V, the number of outputs (classes or values).

    Shapes
    ------
    x : (..., D) float -> (..., V)
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        self.net = nn.Sequential(
            nn.Linear(input_size, hidden_size), nn.ReLU(), nn.Linear(hidden_size, output_size)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_features(x, "x", self.input_size, dims=1)
        return self.net(x)  # (..., V)


class OneToMany(nn.Module):
    r"""One-to-many: one input vector sets the initial state; the network unrolls ``T`` steps.

    .. math::

        h_0 = \tanh(x W_{xh}^\top + b_{xh}), \qquad
        h_t = \mathrm{cell}(z_t, h_{t-1}), \qquad o_t = V h_t + c,

    where the step input :math:`z_t` is zero: after the first step, the only
    information is what the state carries. (Captioning and music models feed back the
    previous output instead; here the target is a fixed function of the input, and zero
    inputs are enough.)

    Parameters
    ----------
    input_size : int
        D, the size of the single input.
    hidden_size : int
        H.
    output_size : int
        V, values produced per step.
    T : int
        How many steps to generate.
    cell : {"rnn", "gru"}

    Shapes
    ------
    x : (B, D) float -> (B, T, V)
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, T: int, cell: str = "rnn"
    ) -> None:
        super().__init__()
        self.input_size = check_positive_int(input_size, "input_size")
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(output_size, "output_size")
        self.T = check_positive_int(T, "T")
        self.init = nn.Linear(input_size, hidden_size)
        self.rnn = _recurrent_layer(cell, 1, hidden_size)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_features(x, "x", self.input_size)
        B, D = x.shape
        h0 = torch.tanh(self.init(x))[None]  # (1, B, H)
        z = x.new_zeros(B, self.T, 1)  # (B, T, 1) no input after the first one
        out, _ = self.rnn(z, h0)  # (B, T, H)
        return self.head(out)  # (B, T, V)


class _TokenRNN(nn.Module):
    """Embedding, one recurrent layer and a linear head: what many-to-one and aligned
    many-to-many share. The subclasses differ only in which states their ``forward`` reads."""

    def __init__(
        self,
        vocab_size: int,
        embed_size: int,
        hidden_size: int,
        num_classes: int,
        cell: str = "rnn",
    ) -> None:
        super().__init__()
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        check_positive_int(embed_size, "embed_size")
        check_positive_int(hidden_size, "hidden_size")
        check_positive_int(num_classes, "num_classes")
        self.embed = nn.Embedding(vocab_size, embed_size)
        self.rnn = _recurrent_layer(cell, embed_size, hidden_size)
        self.head = nn.Linear(hidden_size, num_classes)


class ManyToOne(_TokenRNN):
    r"""Many-to-one: read a whole token sequence, classify from the final state.

    .. math::

        h_t = \mathrm{cell}(e_{x_t}, h_{t-1}), \qquad o = V h_T + c

    Parameters
    ----------
    vocab_size : int
        Number of distinct input tokens.
    embed_size : int
        Size of each token's embedding :math:`e_{x_t}` (D).
    hidden_size : int
        H.
    num_classes : int
        V.
    cell : {"rnn", "gru"}

    Shapes
    ------
    x : (B, T) int64 -> (B, V)
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tokens(x, "x", self.vocab_size)
        B, T = x.shape
        _, h_n = self.rnn(self.embed(x))  # (1, B, H): only the last state is used
        return self.head(h_n[-1])  # (B, V)


class ManyToManyAligned(_TokenRNN):
    r"""Many-to-many, aligned: one output per input step, from the state at that step.

    .. math::

        h_t = \mathrm{cell}(e_{x_t}, h_{t-1}), \qquad o_t = V h_t + c,
        \quad t = 1, \dots, T

    The output at step :math:`t` sees :math:`x_1, \dots, x_t` and nothing later.

    Parameters
    ----------
    vocab_size, embed_size, hidden_size, num_classes, cell
        As in :class:`ManyToOne`.

    Shapes
    ------
    x : (B, T) int64 -> (B, T, V)
    """

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = _check_tokens(x, "x", self.vocab_size)
        B, T = x.shape
        out, _ = self.rnn(self.embed(x))  # (B, T, H): every state is used
        return self.head(out)  # (B, T, V)


class EncoderDecoder(nn.Module):
    r"""Many-to-many, unaligned: an encoder reads the source, a decoder writes the target.

    .. math::

        h^{\mathrm{enc}}_t = \mathrm{cell}_{\mathrm{enc}}(e_{x_t}, h^{\mathrm{enc}}_{t-1}),
        \qquad s_0 = h^{\mathrm{enc}}_{T_{\mathrm{src}}}, \\
        s_u = \mathrm{cell}_{\mathrm{dec}}(e'_{y_{u-1}}, s_{u-1}), \qquad
        o_u = V s_u + c, \quad u = 1, \dots, T_{\mathrm{tgt}}

    The two recurrent layers have separate weights; the only bridge between them is the
    encoder's final state :math:`s_0` (no attention). In training the decoder reads the
    true previous token :math:`y_{u-1}` (teacher forcing, with :math:`y_0 =` ``bos``);
    :meth:`generate` feeds back its own greedy choice instead.

    Parameters
    ----------
    src_vocab_size : int
        Number of distinct source tokens.
    tgt_vocab_size : int
        Number of distinct target tokens, ``bos`` included (V).
    embed_size : int
        Embedding size of both sides (D).
    hidden_size : int
        H, shared by encoder and decoder.
    cell : {"rnn", "gru"}

    Shapes
    ------
    src : (B, T_src) int64, tgt_in : (B, T_tgt) int64 -> (B, T_tgt, V)
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_size: int,
        hidden_size: int,
        cell: str = "rnn",
    ) -> None:
        super().__init__()
        self.src_vocab_size = check_positive_int(src_vocab_size, "src_vocab_size")
        self.tgt_vocab_size = check_positive_int(tgt_vocab_size, "tgt_vocab_size")
        check_positive_int(embed_size, "embed_size")
        check_positive_int(hidden_size, "hidden_size")
        self.src_embed = nn.Embedding(src_vocab_size, embed_size)
        self.tgt_embed = nn.Embedding(tgt_vocab_size, embed_size)
        self.encoder = _recurrent_layer(cell, embed_size, hidden_size)
        self.decoder = _recurrent_layer(cell, embed_size, hidden_size)
        self.head = nn.Linear(hidden_size, tgt_vocab_size)

    def encode(self, src: torch.Tensor) -> torch.Tensor:
        """The encoder's final state, shape (1, B, H)."""
        src = _check_tokens(src, "src", self.src_vocab_size)
        _, s0 = self.encoder(self.src_embed(src))  # (1, B, H)
        return s0

    def forward(self, src: torch.Tensor, tgt_in: torch.Tensor) -> torch.Tensor:
        tgt_in = _check_tokens(tgt_in, "tgt_in", self.tgt_vocab_size)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(
                f"tgt_in: expected batch size {src.shape[0]} like src, got {tgt_in.shape[0]}"
            )
        s0 = self.encode(src)  # (1, B, H)
        out, _ = self.decoder(self.tgt_embed(tgt_in), s0)  # (B, T_tgt, H)
        return self.head(out)  # (B, T_tgt, V)

    @torch.no_grad()
    def generate(self, src: torch.Tensor, bos: int, steps: int) -> torch.Tensor:
        """Greedy decoding: start from ``bos`` and feed back the argmax for ``steps`` steps.

        Returns
        -------
        torch.Tensor, int64, shape (B, steps)
            The chosen tokens (everything after an end marker is whatever the model says;
            cut there when decoding).
        """
        steps = check_positive_int(steps, "steps")
        if isinstance(bos, bool) or not isinstance(bos, int) or not 0 <= bos < self.tgt_vocab_size:
            raise ValueError(f"bos: expected a token id in [0, {self.tgt_vocab_size}), got {bos!r}")
        state = self.encode(src)  # (1, B, H)
        B = src.shape[0]
        token = torch.full((B, 1), bos, dtype=torch.int64)  # (B, 1)
        chosen = []
        for _ in range(steps):
            out, state = self.decoder(self.tgt_embed(token), state)  # (B, 1, H)
            token = self.head(out).argmax(dim=-1)  # (B, 1)
            chosen.append(token)
        return torch.cat(chosen, dim=1)  # (B, steps)
