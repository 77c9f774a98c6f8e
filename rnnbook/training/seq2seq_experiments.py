r"""Train the attention encoder-decoder on a translation task and measure it, per length.

One run (:func:`train_seq2seq`) draws a training set of ``n_train`` pairs with the data
seed, builds :class:`~rnnbook.models.seq2seq.Seq2Seq` with the weight seed and trains it
with teacher forcing (:func:`rnnbook.training.fit`). The measurements then read the model:

* :func:`decode` - free-running outputs (greedy or beam), optionally with the source mask
  switched off, as the decoder would see padding it was never meant to read;
* :func:`free_running_accuracy` - per sequence, the fraction of target tokens produced at
  the right position (missing or extra tokens count as wrong) and the exact match;
* :func:`teacher_forced_accuracy` - the same token accuracy when the decoder reads the
  true previous token at every step, as during training; the difference between the two
  is the exposure-bias gap;
* :func:`by_length` - any per-sequence metric averaged for each source length.

With :math:`y_{1:n}` the reference (without ``<eos>``) and :math:`\hat y_{1:m}` an
output, the token accuracy of one sequence is
:math:`\frac{1}{n}\sum_{i=1}^{n} [\,i \le m \wedge \hat y_i = y_i\,]`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.decoding import DecodeResult, beam_search, greedy_decode
from rnnbook.models.seq2seq import (
    ATTENTION,
    Seq2Seq,
    seq2seq_batches,
    seq2seq_loss,
    seq2seq_tensors,
)
from rnnbook.tasks.dates import dates
from rnnbook.tasks.reversal import SequencePairs, reversal
from rnnbook.training.history import History
from rnnbook.training.loop import TrainConfig, fit

TASKS = ("reversal", "dates")


@dataclass(frozen=True)
class Seq2SeqRun:
    """One experiment's settings.

    Attributes
    ----------
    task : {"reversal", "dates"}
    attention : one of :data:`rnnbook.models.seq2seq.ATTENTION`
    min_len, max_len : int
        Source lengths of the reversal task (ignored by ``"dates"``).
    n_train : int
        Training pairs, drawn with the data seed; batches are drawn from them with
        replacement.
    embed_size, hidden_size : int
    attention_size : int or None
        The additive score's width A (``hidden_size`` when None).
    steps, batch_size : int
    lr, clip_norm : float
    """

    task: str = "reversal"
    attention: str = "additive"
    min_len: int = 4
    max_len: int = 16
    n_train: int = 4000
    embed_size: int = 16
    hidden_size: int = 64
    attention_size: int | None = None
    steps: int = 200
    batch_size: int = 64
    lr: float = 0.01
    clip_norm: float = 1.0

    def __post_init__(self) -> None:
        check_choice(self.task, "task", TASKS)
        check_choice(self.attention, "attention", ATTENTION)
        for name in ("min_len", "max_len", "n_train", "embed_size", "hidden_size", "steps"):
            check_positive_int(getattr(self, name), name)
        check_positive_int(self.batch_size, "batch_size")

    def data(self, n: int, seed: int, min_len: int | None = None, max_len: int | None = None):
        """``n`` pairs of this run's task drawn with ``seed``; the reversal lengths may be
        overridden (to test lengths beyond training)."""
        if self.task == "dates":
            return dates(n, rng=seed)
        lo = self.min_len if min_len is None else min_len
        hi = self.max_len if max_len is None else max_len
        return reversal(n, rng=seed, min_len=lo, max_len=hi)


def build_model(run: Seq2SeqRun, weight_seed: int) -> Seq2Seq:
    """The untrained model of ``run``, its weights drawn with ``torch.manual_seed(weight_seed)``."""
    example = run.data(1, 0)
    torch.manual_seed(weight_seed)
    return Seq2Seq(
        len(example.src_vocab),
        len(example.tgt_vocab),
        run.embed_size,
        run.hidden_size,
        attention=run.attention,
        attention_size=run.attention_size,
    )


def train_seq2seq(run: Seq2SeqRun, data_seed: int, weight_seed: int) -> tuple[Seq2Seq, History]:
    """Train one model with teacher forcing; return it (in eval mode) and its history.

    The training pairs come from ``data_seed``, and so does the order of the batches.

    >>> run = Seq2SeqRun(attention="dot", min_len=2, max_len=3, n_train=50, steps=3)
    >>> model, history = train_seq2seq(run, data_seed=0, weight_seed=100)
    >>> history.steps, model.training
    (3, False)
    """
    if not isinstance(run, Seq2SeqRun):
        raise TypeError(f"run: expected a Seq2SeqRun, got {type(run).__name__}")
    train = run.data(run.n_train, data_seed)
    model = build_model(run, weight_seed)
    config = TrainConfig(steps=run.steps, lr=run.lr, clip_norm=run.clip_norm)
    history = fit(model, seq2seq_batches(train, run.batch_size, data_seed), seq2seq_loss, config)
    return model.eval(), history


def decode(
    model: Seq2Seq,
    data: SequencePairs,
    beam_size: int = 1,
    alpha: float = 0.0,
    masked: bool = True,
    max_len: int | None = None,
) -> DecodeResult:
    """Free-running outputs for every source of ``data``.

    ``max_len`` (default: the longest target of ``data`` plus 2) caps the output, ``<eos>``
    included. ``masked=False`` lets every position be attended to, padding included: the
    ablation of the source mask at test time.
    """
    if not isinstance(model, Seq2Seq):
        raise TypeError(f"model: expected a Seq2Seq, got {type(model).__name__}")
    (src, src_lengths, _), _ = seq2seq_tensors(data)
    if max_len is None:
        max_len = int(data.tgt_lengths.max()) + 2
    if masked:
        return model.translate(src, src_lengths, max_len, beam_size=beam_size, alpha=alpha)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            state = model.encode(src, src_lengths)
        state = state._replace(src_mask=torch.ones_like(state.src_mask))
        if check_positive_int(beam_size, "beam_size") == 1:
            return greedy_decode(model.step, state, model.bos_id, model.eos_id, max_len)
        return beam_search(model.step, state, model.bos_id, model.eos_id, max_len, beam_size, alpha)
    finally:
        model.train(was_training)


def references(data: SequencePairs) -> list[np.ndarray]:
    """The target of each pair without ``<eos>`` and padding."""
    return [data.tgt[i, : data.tgt_lengths[i] - 1] for i in range(len(data))]


class Accuracy(NamedTuple):
    """Per sequence: ``token`` accuracy and ``exact`` match (N,), and the output
    ``lengths`` (N,) (``-1`` where no ``<eos>`` was produced)."""

    token: np.ndarray
    exact: np.ndarray
    lengths: np.ndarray


def free_running_accuracy(data: SequencePairs, result: DecodeResult) -> Accuracy:
    """Score the outputs of :func:`decode` against the references of ``data``.

    >>> data = reversal(1, rng=0, min_len=3, max_len=3)
    >>> ref = references(data)[0]
    >>> out = DecodeResult([ref[:2]], np.zeros(1), np.array([True]))
    >>> acc = free_running_accuracy(data, out)
    >>> round(float(acc.token[0]), 4), bool(acc.exact[0]), int(acc.lengths[0])
    (0.6667, False, 2)
    """
    refs = references(data)
    if len(result.tokens) != len(refs):
        raise ValueError(f"result: expected {len(refs)} outputs, got {len(result.tokens)}")
    token, exact = np.zeros(len(refs)), np.zeros(len(refs), dtype=bool)
    for i, (out, ref) in enumerate(zip(result.tokens, refs, strict=True)):
        n = min(len(out), len(ref))
        token[i] = np.sum(out[:n] == ref[:n]) / len(ref)
        exact[i] = len(out) == len(ref) and bool(np.all(out == ref))
    lengths = np.array([len(t) for t in result.tokens])
    return Accuracy(token, exact, np.where(result.finished, lengths, -1))


@torch.no_grad()
def teacher_forced_accuracy(model: Seq2Seq, data: SequencePairs) -> np.ndarray:
    """Per sequence (N,), the fraction of target tokens (``<eos>`` excluded) that are the
    argmax of the model's prediction when it reads the true previous tokens."""
    (src, src_lengths, tgt_in), tgt = seq2seq_tensors(data)
    was_training = model.training
    model.eval()
    try:
        logits = model(src, src_lengths, tgt_in).logits  # (B, T_tgt, V)
    finally:
        model.train(was_training)
    correct = (logits.argmax(dim=-1) == tgt).numpy()  # (B, T_tgt)
    n = data.tgt_lengths - 1  # (B,) real tokens without <eos>
    real = np.arange(tgt.shape[1])[None, :] < n[:, None]  # (B, T_tgt)
    return (correct & real).sum(axis=1) / n


@torch.no_grad()
def reference_log_probs(model: Seq2Seq, data: SequencePairs) -> np.ndarray:
    r"""Per sequence (N,), :math:`\log p(y_{1:n}, \langle eos \rangle \mid x)` of the reference
    under the model: what a perfect search would have to beat."""
    (src, src_lengths, tgt_in), tgt = seq2seq_tensors(data)
    was_training = model.training
    model.eval()
    try:
        log_p = model(src, src_lengths, tgt_in).logits.double().log_softmax(dim=-1)
    finally:
        model.train(was_training)
    picked = log_p.gather(-1, tgt[..., None])[..., 0]  # (B, T_tgt)
    return (picked * (tgt != model.pad_id)).sum(dim=1).numpy()


def by_length(values: np.ndarray, lengths: np.ndarray) -> dict[int, float]:
    """The mean of ``values`` (N,) for each distinct length in ``lengths`` (N,).

    >>> by_length(np.array([1.0, 0.0, 0.5]), np.array([4, 4, 6]))
    {4: 0.5, 6: 0.5}
    """
    values, lengths = np.asarray(values, dtype=float), np.asarray(lengths)
    if values.shape != lengths.shape or values.ndim != 1:
        raise ValueError(
            f"values, lengths: expected two (N,) arrays, got {values.shape} and {lengths.shape}"
        )
    return {int(L): float(values[lengths == L].mean()) for L in np.unique(lengths)}


def length_profile(model: Seq2Seq, data: SequencePairs) -> dict[str, dict[int, float]]:
    """Greedy free-running token accuracy and exact match, and teacher-forced token
    accuracy, each averaged per source length: ``{"token": {L: acc}, "exact": ...,
    "teacher_forced": ...}``."""
    acc = free_running_accuracy(data, decode(model, data))
    forced = teacher_forced_accuracy(model, data)
    L = data.src_lengths
    return {
        "token": by_length(acc.token, L),
        "exact": by_length(acc.exact, L),
        "teacher_forced": by_length(forced, L),
    }


def reversal_trial(
    run: Seq2SeqRun, data_seed: int, weight_seed: int, test_max_len: int = 24, n_test: int = 840
) -> dict:
    """One run for :func:`rnnbook.training.run_seeds`: train, then profile on ``n_test``
    held-out reversals (seed ``data_seed + 1000``) of lengths ``run.min_len`` to
    ``test_max_len``. ``"value"`` is the greedy token accuracy at ``run.max_len``; the
    record also holds ``"model"``, ``"history"`` and the :func:`length_profile`."""
    model, history = train_seq2seq(run, data_seed, weight_seed)
    test = run.data(n_test, data_seed + 1000, max_len=test_max_len)
    profile = length_profile(model, test)
    value = profile["token"][run.max_len]
    return {"value": value, "model": model, "history": history, "test": test, **profile}


def bigram_step(probs: np.ndarray):
    """A toy decoder for :mod:`rnnbook.models.decoding`: the next token's distribution
    depends only on the previous token, ``p(v | prev) = probs[prev, v]``.

    The state is a dummy (B,) array, so beam search can reorder it.

    >>> step = bigram_step(np.array([[0.5, 0.5], [0.1, 0.9]]))
    >>> log_p, state = step(np.zeros(1), np.array([1]))
    >>> np.round(np.exp(log_p), 2).tolist()
    [[0.1, 0.9]]
    """
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or probs.shape[0] != probs.shape[1] or (probs < 0).any():
        raise ValueError(f"probs: expected a non-negative (V, V) table, got shape {probs.shape}")
    if not np.allclose(probs.sum(axis=1), 1.0):
        raise ValueError("probs: expected rows summing to 1")
    with np.errstate(divide="ignore"):
        log_probs = np.log(probs)  # log 0 = -inf: impossible tokens

    def step(state: np.ndarray, prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return log_probs[np.asarray(prev)], state

    return step
