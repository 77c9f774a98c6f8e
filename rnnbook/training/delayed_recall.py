r"""Truncated BPTT against a dependency of known length: the BPTT chapter's recall runs.

A numpy :class:`~rnnbook.scratch.char_lm.CharLM` reads a stream of random bits and must
output, at step :math:`t`, the bit read :math:`L` steps earlier
(:mod:`rnnbook.tasks.delayed_recall`). It is trained with one pass of TBPTT(k1, k2)
(:func:`rnnbook.training.tbptt.train_tbptt`), Adam and global-norm clipping, and tested
on a fresh stream. :func:`train_recall` is one run, in the form
:func:`rnnbook.training.seeds.run_seeds` expects: the data seed draws the training and the
test streams, the weight seed the initial weights.

An accuracy at chance wanders by a few points with the last bits of the arithmetic, so
runs are classified with :func:`verdict` against two bars, :data:`CHANCE_BELOW` and
:data:`LEARNED_ABOVE`, rather than compared digit by digit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rnnbook.checks import check_positive_int
from rnnbook.optim import Adam
from rnnbook.scratch.char_lm import CharLM
from rnnbook.tasks.delayed_recall import delayed_recall, recall_accuracy
from rnnbook.training.tbptt import train_tbptt

#: A test accuracy below this is "chance" (chance is 1/2 for bits).
CHANCE_BELOW = 0.6
#: A test accuracy above this is "learned".
LEARNED_ABOVE = 0.95


@dataclass(frozen=True)
class RecallConfig:
    """The size of one delayed-recall run.

    Attributes
    ----------
    delay : int
        L, the length of the dependency.
    hidden_size : int
        H.
    streams : int
        B, parallel training streams.
    train_steps : int
        T of the training stream (one pass).
    test_streams, test_steps : int
        The size of the test stream; 432 is a multiple of every chunk length used
        (4, 8, 9, 12, 16), so that accuracies by position within a chunk are defined.
    lr : float
        Adam's learning rate.
    clip_norm : float
        Global-norm clipping threshold.
    """

    delay: int = 8
    hidden_size: int = 16
    streams: int = 32
    train_steps: int = 6000
    test_streams: int = 16
    test_steps: int = 432
    lr: float = 0.01
    clip_norm: float = 1.0


def verdict(accuracy: float) -> str:
    """``"chance"``, ``"learned"`` or ``"partial"`` for a test accuracy.

    >>> verdict(0.51), verdict(0.99), verdict(0.8)
    ('chance', 'learned', 'partial')
    """
    if accuracy < CHANCE_BELOW:
        return "chance"
    return "learned" if accuracy > LEARNED_ABOVE else "partial"


def recall_streams(data_seed: int, config: RecallConfig = RecallConfig()) -> tuple[object, object]:
    """The training and the test stream of run ``data_seed`` (both from one generator)."""
    rng = np.random.default_rng(data_seed)
    train = delayed_recall(config.streams, config.train_steps, config.delay, rng)
    test = delayed_recall(config.test_streams, config.test_steps, config.delay, rng)
    return train, test


def train_recall(
    k1: int,
    k2: int,
    data_seed: int,
    weight_seed: int,
    stateful: bool = True,
    config: RecallConfig = RecallConfig(),
) -> dict:
    """Train on delayed recall with TBPTT(k1, k2) and test; one run for ``run_seeds``.

    The model is tested the way it was trained: stateful over the whole test stream, or
    stateless with the state reset to zeros every ``k1`` steps.

    Parameters
    ----------
    k1, k2 : int
        The TBPTT schedule (``k1 == k2`` when ``stateful`` is False).
    data_seed, weight_seed : int
        Seeds of the streams and of the initial weights.
    stateful : bool
        Carry the state across windows (True) or reset it at each window.
    config : RecallConfig

    Returns
    -------
    dict
        ``accuracy`` (test accuracy over every step with a target), ``by_position``
        (shape (k1,): test accuracy at each position of a chunk of ``k1`` steps, first
        chunk left out), ``loss`` (the last window's training loss) and ``model``.
    """
    k1 = check_positive_int(k1, "k1")
    train, test = recall_streams(data_seed, config)
    model = CharLM(2, config.hidden_size, rng=weight_seed)
    history = train_tbptt(
        model,
        train.x,
        train.y,
        k1,
        k2,
        Adam(model.params, lr=config.lr),
        clip_norm=config.clip_norm,
        stateful=stateful,
    )
    logits = recall_logits(model, test.x, None if stateful else k1)
    return {
        "accuracy": recall_accuracy(logits, test.y),
        "by_position": accuracy_by_position(logits, test.y, k1),
        "loss": history.loss[-1],
        "model": model,
    }


def recall_logits(model: CharLM, ids: np.ndarray, reset_every: int | None = None) -> np.ndarray:
    """Logits (N, T, 2) over test streams, stateful, or with the state reset every few steps.

    With ``reset_every = k`` each chunk of ``k`` steps starts from zeros (``T`` must be a
    multiple of ``k``), as in stateless training.
    """
    N, T = ids.shape
    if reset_every is None:
        return model.forward(ids)[0]
    k = check_positive_int(reset_every, "reset_every")
    if T % k:
        raise ValueError(f"reset_every: expected a divisor of T = {T}, got {k}")
    chunks = ids.reshape(N * (T // k), k)  # each chunk from zeros
    return model.forward(chunks)[0].reshape(N, T, -1)


def accuracy_by_position(logits: np.ndarray, targets: np.ndarray, k: int) -> np.ndarray:
    """Accuracy at each position 0..k-1 of consecutive chunks of ``k`` steps.

    The first chunk is left out (its first steps have no target). ``T`` must be a
    multiple of ``k``.

    >>> logits = np.zeros((1, 4, 2)); logits[0, :, 1] = 1.0
    >>> accuracy_by_position(logits, np.array([[0, 0, 1, 0]]), 2)
    array([1., 0.])
    """
    k = check_positive_int(k, "k")
    N, T = targets.shape
    if T % k or 2 * k > T:
        raise ValueError(f"k: expected a divisor of T = {T} with T >= 2k, got {k}")
    correct = (np.asarray(logits).argmax(-1) == targets)[:, k:]  # (N, T - k)
    return correct.reshape(N, -1, k).mean(axis=(0, 1))
