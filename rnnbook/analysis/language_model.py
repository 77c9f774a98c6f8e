r"""Measuring a character-level language model: streams, probes, perplexity and costs.

The pieces the character-model chapter measures with, kept out of the notebook:

* :func:`to_streams` cuts one long text into :math:`B` parallel streams for stateful TBPTT,
  and :func:`grammar_streams` does it for the text of one data seed;
* :func:`next_char_probs` reads a model's distribution of the next character after a
  context, from a zero (*cold*) state or from a *warm* one (:func:`warm_state`: the state
  after reading other text first, as in a long stream);
* :func:`perplexity` and :func:`bits_per_char` convert a cross-entropy in nats;
* :func:`rnn_num_parameters` and :func:`rnn_step_multiply_adds` count an Elman layer's
  parameters, :math:`HD + H^2 + 2H`, and the work of one step, :math:`HD + H^2`.

For a cross-entropy :math:`L` in nats per character,

.. math::

    \mathrm{PPL} = e^{L}, \qquad \mathrm{bpc} = L / \ln 2 .

The grammar's exact next-character distribution is in :mod:`rnnbook.analysis.grammar_oracle`,
top-:math:`k` and nucleus sampling in :mod:`rnnbook.sampling`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnbook.checks import check_ids, check_positive_float, check_positive_int
from rnnbook.tasks.grammar_text import grammar_text
from rnnbook.text import CharVocab, softmax_with_temperature


def to_streams(ids: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut one id sequence into ``batch_size`` contiguous streams, with next-id targets.

    Stream ``b`` is piece ``b`` of the text; column ``t`` holds step ``t`` of every stream.
    The target of each id is the id after it in the same stream; the ragged end is dropped.

    Parameters
    ----------
    ids : ndarray of int, shape (N,)
    batch_size : int
        B, with ``N - 1 >= B``.

    Returns
    -------
    inputs, targets : ndarray of int, shape (B, n) with ``n = (N - 1) // B``

    >>> x, y = to_streams(np.arange(9), 2)
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
    """
    ids = check_ids(ids, "ids", ndim=1)
    B = check_positive_int(batch_size, "batch_size")
    n = (len(ids) - 1) // B  # steps per stream
    if n < 1:
        raise ValueError(f"ids: expected at least batch_size + 1 = {B + 1} ids, got {len(ids)}")
    return ids[: n * B].reshape(B, n), ids[1 : n * B + 1].reshape(B, n)  # (B, n), (B, n)


def warm_state(model, ids: np.ndarray) -> np.ndarray:
    """The state (1, 1, H) of ``model`` after reading ``ids`` (T,) from a zero state.

    ``model`` is anything with ``forward(ids (B, T), h0) -> (logits, h_n)``, such as
    :class:`~rnnbook.scratch.char_lm.CharLM`.
    """
    ids = check_ids(ids, "ids", ndim=1)
    _, h_n = model.forward(ids[None])  # (1, T, V), (1, 1, H)
    return h_n


def next_char_probs(
    model,
    vocab: CharVocab,
    context: str,
    temperature: float = 1.0,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    r"""The model's distribution :math:`\mathrm{softmax}(o_T / \tau)` after ``context``.

    Parameters
    ----------
    model : CharLM or alike
        ``forward(ids (1, T), h0) -> (logits (1, T, V), h_n)``.
    vocab : CharVocab
    context : str
    temperature : float
    h0 : ndarray, shape (1, 1, H), optional
        The state before the context: zeros if omitted (a *cold* start), or a state from
        :func:`warm_state` (the state the model is in when reading a long text).

    Returns
    -------
    ndarray, shape (V,)
    """
    logits, _ = model.forward(vocab.encode(context)[None], h0)  # (1, T, V)
    return softmax_with_temperature(logits[0, -1], temperature)  # (V,)


@dataclass(frozen=True)
class LMStreams:
    """Training and validation streams of one data seed (see :func:`grammar_streams`).

    Attributes
    ----------
    inputs, targets : ndarray of int, shape (B, n)
        The training streams and their next-character targets.
    val_inputs, val_targets : ndarray of int, shape (B, n_val)
        The same for the validation text.
    val_text : str
        The validation text itself, for probes that need characters.
    """

    inputs: np.ndarray
    targets: np.ndarray
    val_inputs: np.ndarray
    val_targets: np.ndarray
    val_text: str


def grammar_streams(
    vocab: CharVocab, data_seed: int, n_train: int, n_val: int, batch_size: int
) -> LMStreams:
    """Text from :func:`~rnnbook.tasks.grammar_text.grammar_text`, cut by :func:`to_streams`.

    One generator seeded with ``data_seed`` writes the training text (at least ``n_train``
    characters), then the validation text (at least ``n_val``).
    """
    rng = np.random.default_rng(check_positive_int(data_seed + 1, "data_seed + 1") - 1)
    train_text = grammar_text(n_train, rng)
    val_text = grammar_text(n_val, rng)
    x, y = to_streams(vocab.encode(train_text), batch_size)
    x_val, y_val = to_streams(vocab.encode(val_text), batch_size)
    return LMStreams(x, y, x_val, y_val, val_text)


# --------------------------------------------------------------------------------------
# Perplexity and bits per character
# --------------------------------------------------------------------------------------


def perplexity(loss_nats: float) -> float:
    """:math:`e^L`: the number of equally likely choices with the same cross-entropy.

    >>> round(perplexity(np.log(4.0)), 6)
    4.0
    """
    return float(np.exp(check_positive_float(loss_nats, "loss_nats", allow_zero=True)))


def bits_per_char(loss_nats: float) -> float:
    """:math:`L / \\ln 2`: the cross-entropy in bits.

    >>> bits_per_char(np.log(2.0))
    1.0
    """
    return float(check_positive_float(loss_nats, "loss_nats", allow_zero=True) / np.log(2.0))


# --------------------------------------------------------------------------------------
# Counting parameters and work
# --------------------------------------------------------------------------------------


def rnn_num_parameters(input_size: int, hidden_size: int, bias: bool = True) -> int:
    """Parameters of one Elman layer as in ``torch.nn.RNN``: :math:`HD + H^2 + 2H`.

    ``weight_ih`` (H, D), ``weight_hh`` (H, H) and, with ``bias``, ``bias_ih`` and
    ``bias_hh`` (H,) each (torch keeps two bias vectors where one would do).

    >>> rnn_num_parameters(10, 4)
    64
    """
    D = check_positive_int(input_size, "input_size")
    H = check_positive_int(hidden_size, "hidden_size")
    return H * D + H * H + (2 * H if bias else 0)


def rnn_step_multiply_adds(input_size: int, hidden_size: int) -> int:
    """Multiply-adds of one step of one sequence: :math:`HD + H^2` (dense input).

    >>> rnn_step_multiply_adds(10, 4)
    56
    """
    D = check_positive_int(input_size, "input_size")
    H = check_positive_int(hidden_size, "hidden_size")
    return H * D + H * H
