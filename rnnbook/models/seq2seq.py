r"""An encoder-decoder with attention (Bahdanau-style), its loss and its batches.

With source tokens :math:`x_1, \dots, x_L` (then padding), target tokens
:math:`y_1, \dots, y_n` (the last is ``<eos>``) and :math:`y_0 = \langle bos \rangle`:

.. math::

    h_j &= \mathrm{GRU}_{enc}(e_{x_j}, h_{j-1}), \quad j = 1, \dots, L, \qquad s_0 = h_L, \\
    c_t &= \textstyle\sum_j \alpha_{tj} h_j, \quad
        \alpha_t = \mathrm{softmax}_m(\mathrm{score}(s_{t-1}, h_j)), \\
    s_t &= \mathrm{GRUCell}_{dec}([e'_{y_{t-1}}; c_t], s_{t-1}), \qquad
    o_t = [s_t; c_t] W_o^\top + b_o, \quad t = 1, \dots, n,

where the mask :math:`m` hides the padded source positions and ``score`` is one of
:data:`rnnbook.models.attention.SCORES`. With ``attention="none"`` the context is the
encoder's final state at every step, :math:`c_t = h_L` (Cho et al. 2014): the same model
with the bottleneck the chapter is about.

The query is the decoder's *previous* state :math:`s_{t-1}`, as in Bahdanau et al. (2014).
Luong et al. (2015) instead update the state first and attend from the *current* one,
:math:`s_t = \mathrm{RNN}([e'_{y_{t-1}}; \tilde s_{t-1}], s_{t-1})`, :math:`c_t` from
:math:`\mathrm{score}(s_t, h_j)`, :math:`\tilde s_t = \tanh(W_c [c_t; s_t])`,
:math:`o_t = W_s \tilde s_t`, feeding :math:`\tilde s_{t-1}` back in ("input feeding").
Departures from Bahdanau: the encoder is one-directional (a reversed direction would need
packed sequences to skip the padding) and the output layer is linear, not maxout.

Training is teacher forcing: the decoder reads the true :math:`y_{t-1}`, and
:func:`sequence_loss` averages the cross-entropy over the real target tokens only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.attention import SCORES, make_attention
from rnnbook.models.decoding import DecodeResult, beam_search, greedy_decode

ATTENTION = ("none", *SCORES)


class DecoderState(NamedTuple):
    """What the decoder carries between steps; every field has the batch first.

    ``s`` (B, H) the previous decoder state, ``enc_out`` (B, T_src, H) the encoder states
    (keys and values), ``enc_last`` (B, H) the encoder state at the last real source
    token, ``src_mask`` (B, T_src) True at real source positions.
    """

    s: torch.Tensor
    enc_out: torch.Tensor
    enc_last: torch.Tensor
    src_mask: torch.Tensor


class Seq2SeqOutput(NamedTuple):
    """``logits`` (B, T_tgt, V) and ``attention`` (B, T_tgt, T_src), or ``None`` without it."""

    logits: torch.Tensor
    attention: torch.Tensor | None


def _check_ids(x: object, name: str, vocab_size: int) -> torch.Tensor:
    if not isinstance(x, torch.Tensor) or x.dtype != torch.int64:
        got = x.dtype if isinstance(x, torch.Tensor) else type(x).__name__
        raise TypeError(f"{name}: expected an int64 tensor of token ids, got {got}")
    if x.dim() != 2 or 0 in x.shape:
        raise ValueError(f"{name}: expected 2 non-empty dimensions (B, T), got {tuple(x.shape)}")
    if int(x.min()) < 0 or int(x.max()) >= vocab_size:
        raise ValueError(
            f"{name}: expected ids in [0, {vocab_size}), got [{int(x.min())}, {int(x.max())}]"
        )
    return x


class Seq2Seq(nn.Module):
    """GRU encoder, attention, GRU decoder; see the module docstring for the equations.

    Parameters
    ----------
    src_vocab_size, tgt_vocab_size : int
        Source vocabulary size and V.
    embed_size : int
        D, the embedding size of both sides.
    hidden_size : int
        H, shared by encoder and decoder (so that ``"dot"`` scores are defined).
    attention : {"none", "dot", "scaled_dot", "general", "additive"}
    attention_size : int, optional
        A, the additive score's width; ``hidden_size`` by default.
    pad_id, bos_id, eos_id : int
        Special token ids (those of :class:`rnnbook.tasks.reversal.Vocab` by default).

    Shapes
    ------
    src : (B, T_src) int64, src_lengths : (B,) int64, tgt_in : (B, T_tgt) int64
    -> Seq2SeqOutput(logits (B, T_tgt, V), attention (B, T_tgt, T_src) or None)
    """

    def __init__(
        self,
        src_vocab_size: int,
        tgt_vocab_size: int,
        embed_size: int = 32,
        hidden_size: int = 64,
        attention: str = "additive",
        attention_size: int | None = None,
        pad_id: int = 0,
        bos_id: int = 1,
        eos_id: int = 2,
    ) -> None:
        super().__init__()
        self.src_vocab_size = check_positive_int(src_vocab_size, "src_vocab_size")
        self.tgt_vocab_size = V = check_positive_int(tgt_vocab_size, "tgt_vocab_size")
        D = check_positive_int(embed_size, "embed_size")
        H = check_positive_int(hidden_size, "hidden_size")
        self.attention_kind = check_choice(attention, "attention", ATTENTION)
        A = H if attention_size is None else check_positive_int(attention_size, "attention_size")
        for name, value in (("pad_id", pad_id), ("bos_id", bos_id), ("eos_id", eos_id)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < V:
                raise ValueError(f"{name}: expected a token id in [0, {V}), got {value!r}")
        self.pad_id, self.bos_id, self.eos_id = pad_id, bos_id, eos_id
        self.src_embed = nn.Embedding(src_vocab_size, D)
        self.tgt_embed = nn.Embedding(V, D)
        self.encoder = nn.GRU(D, H, batch_first=True)
        self.attention = None if attention == "none" else make_attention(attention, H, H, A)
        self.decoder = nn.GRUCell(D + H, H)  # input [e'_{y_{t-1}}; c_t]
        self.head = nn.Linear(2 * H, V)  # o_t from [s_t; c_t]

    def encode(self, src: torch.Tensor, src_lengths: torch.Tensor) -> DecoderState:
        """Run the encoder; return the decoder's initial state, :math:`s_0 = h_L`."""
        src = _check_ids(src, "src", self.src_vocab_size)
        B, T_src = src.shape
        if not isinstance(src_lengths, torch.Tensor) or src_lengths.dtype != torch.int64:
            raise TypeError(f"src_lengths: expected an int64 tensor, got {src_lengths!r}")
        if (
            src_lengths.shape != (B,)
            or int(src_lengths.min()) < 1
            or int(src_lengths.max()) > T_src
        ):
            raise ValueError(
                f"src_lengths: expected shape ({B},) with values in 1..{T_src}, "
                f"got shape {tuple(src_lengths.shape)}, values {src_lengths.tolist()}"
            )
        enc_out, _ = self.encoder(self.src_embed(src))  # (B, T_src, H)
        # One direction: the states at real positions never see the padding after them.
        enc_last = enc_out[torch.arange(B), src_lengths - 1]  # (B, H) h_L of each sequence
        src_mask = torch.arange(T_src)[None, :] < src_lengths[:, None]  # (B, T_src)
        return DecoderState(enc_last, enc_out, enc_last, src_mask)

    def decode_step(
        self, state: DecoderState, prev_tokens: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None, DecoderState]:
        """One decoder step: ``prev_tokens`` (B,) -> logits (B, V), weights (B, T_src) or
        ``None``, and the next state."""
        emb = self.tgt_embed(prev_tokens)  # (B, D)
        if self.attention is None:
            context, weights = state.enc_last, None  # (B, H): the fixed bottleneck
        else:  # query s_{t-1}; keys and values are the encoder states
            context, weights = self.attention(state.s, state.enc_out, state.enc_out, state.src_mask)
        s = self.decoder(torch.cat([emb, context], dim=-1), state.s)  # (B, H) s_t
        logits = self.head(torch.cat([s, context], dim=-1))  # (B, V)
        return logits, weights, state._replace(s=s)

    def forward(
        self, src: torch.Tensor, src_lengths: torch.Tensor, tgt_in: torch.Tensor
    ) -> Seq2SeqOutput:
        """Teacher forcing: ``tgt_in`` is ``<bos>`` then the target shifted right
        (:func:`teacher_forcing_input`)."""
        tgt_in = _check_ids(tgt_in, "tgt_in", self.tgt_vocab_size)
        if tgt_in.shape[0] != src.shape[0]:
            raise ValueError(f"tgt_in: expected batch size {src.shape[0]}, got {tgt_in.shape[0]}")
        state = self.encode(src, src_lengths)
        all_logits, all_weights = [], []
        for t in range(tgt_in.shape[1]):
            logits, weights, state = self.decode_step(state, tgt_in[:, t])
            all_logits.append(logits)
            all_weights.append(weights)
        attention = None if self.attention is None else torch.stack(all_weights, dim=1)
        return Seq2SeqOutput(torch.stack(all_logits, dim=1), attention)  # (B, T_tgt, V)

    @torch.no_grad()
    def step(self, state: DecoderState, prev_tokens: Any) -> tuple[torch.Tensor, DecoderState]:
        """The step function of :mod:`rnnbook.models.decoding`: log-probabilities (B, V)."""
        prev = torch.as_tensor(np.asarray(prev_tokens), dtype=torch.int64)  # (B,)
        logits, _, state = self.decode_step(state, prev)
        return logits.log_softmax(dim=-1), state

    @torch.no_grad()
    def translate(
        self,
        src: torch.Tensor,
        src_lengths: torch.Tensor,
        max_len: int,
        beam_size: int = 1,
        alpha: float = 0.0,
    ) -> DecodeResult:
        """Decode ``src`` greedily (``beam_size=1``) or with :func:`beam_search`."""
        was_training = self.training
        self.eval()
        try:
            state = self.encode(src, src_lengths)
            if check_positive_int(beam_size, "beam_size") == 1:
                return greedy_decode(self.step, state, self.bos_id, self.eos_id, max_len)
            return beam_search(
                self.step, state, self.bos_id, self.eos_id, max_len, beam_size, alpha
            )
        finally:
            self.train(was_training)


def sequence_loss(logits: torch.Tensor, targets: torch.Tensor, pad_id: int) -> torch.Tensor:
    r"""Mean cross-entropy over the real (non-padding) target tokens.

    .. math::

        L = \frac{1}{\sum_{b,t} [y_{bt} \ne \mathrm{pad}]} \sum_{b,t} [y_{bt} \ne \mathrm{pad}]
            \big(-\log \mathrm{softmax}(o_{bt})_{y_{bt}}\big)

    Parameters
    ----------
    logits : Tensor, shape (B, T, V)
    targets : int64 Tensor, shape (B, T)
    pad_id : int
        Positions whose target is ``pad_id`` add nothing, whatever their logits.
    """
    if not isinstance(logits, torch.Tensor) or not logits.is_floating_point():
        got = logits.dtype if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise TypeError(f"logits: expected a floating-point tensor, got {got}")
    if logits.dim() != 3:
        raise ValueError(f"logits: expected shape (B, T, V), got {tuple(logits.shape)}")
    B, T, V = logits.shape
    if not isinstance(targets, torch.Tensor) or targets.dtype != torch.int64:
        got = targets.dtype if isinstance(targets, torch.Tensor) else type(targets).__name__
        raise TypeError(f"targets: expected an int64 tensor, got {got}")
    if targets.shape != (B, T):
        raise ValueError(f"targets: expected shape ({B}, {T}), got {tuple(targets.shape)}")
    if not (targets != pad_id).any():
        raise ValueError("targets: expected at least one non-padding token, got only padding")
    return F.cross_entropy(logits.reshape(B * T, V), targets.reshape(B * T), ignore_index=pad_id)


def teacher_forcing_input(tgt: torch.Tensor, bos_id: int) -> torch.Tensor:
    """The decoder's input: ``<bos>``, then ``tgt`` without its last column, shape (B, T_tgt)."""
    bos = torch.full_like(tgt[:, :1], bos_id)  # (B, 1)
    return torch.cat([bos, tgt[:, :-1]], dim=1)  # (B, T_tgt)


Seq2SeqBatch = tuple[tuple[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def seq2seq_tensors(data: Any, index: Any = None) -> Seq2SeqBatch:
    """``((src, src_lengths, tgt_in), tgt)`` torch tensors from a
    :class:`~rnnbook.tasks.reversal.SequencePairs` (rows ``index``, all by default), with
    columns of padding that no row needs cut off."""
    if index is not None:
        data = data.subset(index)
    src_len, tgt_len = int(data.src_lengths.max()), int(data.tgt_lengths.max())
    src = torch.as_tensor(data.src[:, :src_len], dtype=torch.int64)  # (B, T_src)
    tgt = torch.as_tensor(data.tgt[:, :tgt_len], dtype=torch.int64)  # (B, T_tgt)
    lengths = torch.as_tensor(data.src_lengths, dtype=torch.int64)  # (B,)
    return (src, lengths, teacher_forcing_input(tgt, data.tgt_vocab.bos_id)), tgt


def seq2seq_batches(data: Any, batch_size: int, seed: int) -> Callable[[int], Seq2SeqBatch]:
    """A ``get_batch(step)`` for :func:`rnnbook.training.fit`: rows drawn with replacement
    from ``numpy.random.default_rng(seed)``, as :func:`seq2seq_tensors`."""
    batch_size = check_positive_int(batch_size, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    gen = np.random.default_rng(seed)
    return lambda step: seq2seq_tensors(data, gen.integers(0, len(data), batch_size))


def seq2seq_loss(model: Seq2Seq, x: tuple, y: torch.Tensor) -> torch.Tensor:
    """The ``loss_fn(model, x, y)`` of :func:`rnnbook.training.fit`: :func:`sequence_loss`."""
    return sequence_loss(model(*x).logits, y, model.pad_id)
