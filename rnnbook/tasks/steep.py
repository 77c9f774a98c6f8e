r"""STEEP: next-letter prediction where the current letter is not enough.

In "steep" the letter after the first ``e`` is ``e`` and the letter after the second ``e``
is ``p``. A model that sees only the current letter receives the same input ``e`` twice
and must give the same answer twice, so it gets one of the two wrong. A model that
remembers what came before can tell the two ``e``\ s apart.

The task is a handful of five-letter words, each with a double ``e``. Every word starts
with a different letter, so the whole prefix always determines the next letter: a model
that remembers the prefix can reach accuracy 1. Where the words differ after ``ee``, the
difference sits up to three letters back (``cr``\ eek and ``gr``\ eet differ only in their
first letter), so a fixed window shorter than the word cannot reach 1 either.

For a word :math:`w_1 \dots w_{T+1}` the input at step :math:`t` is :math:`w_t` and the
target is :math:`w_{t+1}`, for :math:`t = 1, \dots, T`. Letters are integer ids into the
sorted alphabet of the words, see :func:`steep_vocabulary`.

:func:`context_ceiling` computes, from the data alone, the best accuracy that *any*
predictor seeing only the last ``window`` letters can reach. With ``window=1`` (the current
letter only) this is the task's baseline. :func:`context_entropy` gives the matching floor
on the cross-entropy loss.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

import numpy as np

from rnnbook.checks import check_ids, check_positive_int
from rnnbook.tasks.base import TaskData

#: The default words: "steep" and five more with a double e and a different ending.
STEEP_WORDS: tuple[str, ...] = ("steep", "creek", "greet", "bleed", "queen", "wheel")


def steep_vocabulary(words: Sequence[str] = STEEP_WORDS) -> str:
    """The sorted letters that occur in ``words``; a letter's id is its index here."""
    words = _check_words(words)
    return "".join(sorted(set("".join(words))))


def encode(word: str, vocabulary: str) -> np.ndarray:
    """Letter ids of ``word``: shape (len(word),), dtype int64."""
    if not isinstance(word, str) or not word:
        raise TypeError(f"word: expected a non-empty str, got {word!r}")
    missing = sorted(set(word) - set(vocabulary))
    if missing:
        raise ValueError(f"word: expected letters from {vocabulary!r}, got {''.join(missing)!r}")
    return np.array([vocabulary.index(c) for c in word], dtype=np.int64)


def decode(ids: np.ndarray, vocabulary: str) -> str:
    """The letters of a 1-D array of ids."""
    ids = check_ids(ids, "ids", len(vocabulary))
    if ids.ndim != 1:
        raise ValueError(f"ids: expected 1 dimension (T,), got shape {ids.shape}")
    return "".join(vocabulary[i] for i in ids)


def make_steep(words: Sequence[str] = STEEP_WORDS) -> TaskData:
    r"""The STEEP next-letter task: inputs are letters, targets the letters that follow.

    .. math::

        x_{n,t} = w^{(n)}_t, \qquad y_{n,t} = w^{(n)}_{t+1}, \qquad t = 1, \dots, T

    Nothing is sampled, so there is no seed: the data are the words, in order.

    Parameters
    ----------
    words : sequence of str
        N words of the same length T + 1 >= 2.

    Returns
    -------
    TaskData
        ``x`` (N, T) and ``y`` (N, T), int64 ids into :func:`steep_vocabulary`,
        ``metric="accuracy"`` (over all N * T steps) and ``baseline`` the
        current-letter-only ceiling, ``context_ceiling(x, y, window=1)``.

    Examples
    --------
    >>> data = make_steep()
    >>> data.x.shape, round(data.baseline, 2)
    ((6, 4), 0.75)
    """
    words = _check_words(words)
    vocabulary = steep_vocabulary(words)
    ids = np.stack([encode(w, vocabulary) for w in words])  # (N, T + 1)
    x, y = ids[:, :-1], ids[:, 1:]  # (N, T), (N, T)
    return TaskData(
        x=x,
        y=y,
        metric="accuracy",
        baseline=context_ceiling(x, y, window=1),
        baseline_rule=(
            "the best any current-letter-only predictor can do: for each letter, predict "
            "the letter that most often follows it"
        ),
    )


def make_steep_spelling(words: Sequence[str] = STEEP_WORDS) -> TaskData:
    r"""Spell each word from nothing: predict every letter, the first one included.

    The input at step :math:`t` is the previous letter, one-hot; at the first step nothing
    has been seen, so the input is the zero vector. The first output must therefore be
    predicted before any informative input.

    .. math::

        x_{n,1} = 0, \qquad x_{n,t} = e_{w^{(n)}_{t-1}} \ (t \ge 2), \qquad
        y_{n,t} = w^{(n)}_t, \qquad t = 1, \dots, T + 1

    Parameters
    ----------
    words : sequence of str
        N words of the same length T + 1 >= 2.

    Returns
    -------
    TaskData
        ``x`` (N, T + 1, V) float64, ``y`` (N, T + 1) int64 ids into
        :func:`steep_vocabulary` (V letters), ``metric="accuracy"``, and ``baseline``
        the previous-letter-only ceiling (see :func:`context_ceiling`; "nothing seen"
        counts as a letter of its own).
    """
    words = _check_words(words)
    vocabulary = steep_vocabulary(words)
    V = len(vocabulary)
    y = np.stack([encode(w, vocabulary) for w in words])  # (N, T + 1)
    N = len(words)
    prev = np.concatenate([np.full((N, 1), V), y[:, :-1]], axis=1)  # (N, T + 1); V = nothing
    x = np.eye(V + 1)[prev][..., :V]  # (N, T + 1, V): the "nothing" id becomes all zeros
    return TaskData(
        x=x,
        y=y,
        metric="accuracy",
        baseline=context_ceiling(prev, y, window=1),
        baseline_rule=(
            "the best any previous-letter-only predictor can do: for each previous letter "
            "(or none), predict the letter that most often comes next"
        ),
    )


def context_ceiling(x: np.ndarray, y: np.ndarray, window: int) -> float:
    r"""The best accuracy of any predictor that sees only the last ``window`` inputs.

    Such a predictor maps each context :math:`c = (x_{t-w+1}, \dots, x_t)` (padded on the
    left at the start of a sequence) to one answer. The best answer for :math:`c` is the
    target that follows :math:`c` most often, so

    .. math::

        \mathrm{ceiling}_w = \frac{1}{NT} \sum_{c} \max_{k} \, \#\{(n, t) :
            \mathrm{context}_{n,t} = c,\ y_{n,t} = k\}.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)
        Input ids (any non-negative ints).
    y : ndarray of int, shape (N, T)
        Target ids.
    window : int
        How many of the most recent inputs the predictor sees; 1 means the current one.

    Returns
    -------
    float
        In ``(0, 1]``.
    """
    counts = _context_counts(x, y, window)
    N, T = np.shape(x)
    best = sum(max(c.values()) for c in counts.values())
    return best / (N * T)


def context_entropy(x: np.ndarray, y: np.ndarray, window: int) -> float:
    r"""The lowest mean cross-entropy (nats) of a predictor that sees the last ``window`` inputs.

    The best such predictor outputs, for each context :math:`c`, the empirical distribution
    :math:`p(k \mid c)` of the targets that follow it, and its loss is the conditional
    entropy

    .. math::

        H_w = -\frac{1}{NT} \sum_{c} \sum_{k} \#(c, k) \log \frac{\#(c, k)}{\#(c)},

    the floor under which a model limited to that window cannot push its training loss.
    Arguments are as for :func:`context_ceiling`.
    """
    counts = _context_counts(x, y, window)
    total = sum(sum(c.values()) for c in counts.values())
    nats = 0.0
    for following in counts.values():
        n_c = sum(following.values())
        nats -= sum(n_ck * np.log(n_ck / n_c) for n_ck in following.values())
    return float(nats / total)


def _context_counts(x: object, y: object, window: int) -> dict[tuple[int, ...], Counter[int]]:
    """How often each target follows each context of the last ``window`` inputs."""
    window = check_positive_int(window, "window")
    x = check_ids(x, "x", ndim=2)  # (N, T)
    y = check_ids(y, "y", ndim=2)  # (N, T)
    for arr, name in ((x, "x"), (y, "y")):
        if arr.min() < 0:
            raise ValueError(f"{name}: expected non-negative ids, got {arr.min()}")
    if x.shape != y.shape:
        raise ValueError(f"y: expected the shape of x {x.shape}, got {y.shape}")
    N, T = x.shape
    padded = np.concatenate([np.full((N, window - 1), -1), x], axis=1)  # (N, window - 1 + T)
    counts: dict[tuple[int, ...], Counter[int]] = {}
    for n in range(N):
        for t in range(T):
            context = tuple(padded[n, t : t + window].tolist())
            counts.setdefault(context, Counter())[int(y[n, t])] += 1
    return counts


def _check_words(words: object) -> tuple[str, ...]:
    if isinstance(words, str) or not isinstance(words, Sequence):
        raise TypeError(f"words: expected a sequence of str, got {type(words).__name__}")
    if not words or not all(isinstance(w, str) for w in words):
        raise ValueError(f"words: expected a non-empty sequence of str, got {words!r}")
    lengths = sorted({len(w) for w in words})
    if len(lengths) != 1 or lengths[0] < 2:
        raise ValueError(f"words: expected words of one length >= 2, got lengths {lengths}")
    return tuple(words)
