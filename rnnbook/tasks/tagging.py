r"""A many-to-many (aligned) task: a toy part-of-speech tagger.

Sentences come from a tiny grammar, clause after clause, cut to ``T`` tokens::

    clause  := subject verb object
    subject := PRON | NP            (a pronoun with probability 0.4)
    object  := NP
    NP      := DET ADJ{0,1,2} noun

Every token gets one of five tags, ``DET ADJ NOUN VERB PRON``. Most words always carry
the same tag, but the *ambiguous* words (``watch``, ``run``, ``fly``, ``park``, ``play``)
are nouns in a noun slot ("the big watch") and verbs in a verb slot ("they watch the
dog"). Each noun or verb slot holds an ambiguous word with probability
``p_ambiguous``. Their tag is therefore set by the tokens before them, not by the word.

The baseline is the best a tagger can do while looking at one word at a time: give each
word its most frequent tag in the data. It gets the unambiguous words right and about
half of the ambiguous ones.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from rnnbook.checks import check_ids, check_positive_int, check_rng
from rnnbook.tasks.base import TaskData

TAGS = ("DET", "ADJ", "NOUN", "VERB", "PRON")
DET, ADJ, NOUN, VERB, PRON = range(len(TAGS))

_DETERMINERS = ("the", "a")
_ADJECTIVES = ("big", "old", "red")
_NOUNS = ("dog", "man", "ball")
_VERBS = ("saw", "liked", "found")
_PRONOUNS = ("they", "we", "you")
AMBIGUOUS = ("watch", "run", "fly", "park", "play")

#: Every word, in token-id order.
VOCAB = (*_DETERMINERS, *_ADJECTIVES, *_NOUNS, *_VERBS, *_PRONOUNS, *AMBIGUOUS)
_IDS = {word: i for i, word in enumerate(VOCAB)}
_FIRST_AMBIGUOUS = _IDS[AMBIGUOUS[0]]


def tagging(n: int, T: int, rng: np.random.Generator | int, p_ambiguous: float = 0.5) -> TaskData:
    r"""Generate ``n`` sentences of ``T`` tokens and their part-of-speech tags.

    .. math::

        y_t = \mathrm{tag}(x_1, \dots, x_t), \qquad t = 1, \dots, T

    For unambiguous words the tag is a function of :math:`x_t` alone; for ambiguous words
    it depends on the earlier tokens (a noun slot or a verb slot).

    Parameters
    ----------
    n : int
        Number of sentences N.
    T : int
        Tokens per sentence.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    p_ambiguous : float
        Probability, in [0, 1], that a noun or verb slot holds an ambiguous word.

    Returns
    -------
    TaskData
        ``x`` int64 token ids of shape (N, T) (into :data:`VOCAB`), ``y`` int64 tags of
        shape (N, T) (into :data:`TAGS`), ``metric="accuracy"`` (per token) and
        ``baseline`` = accuracy of tagging each word with its most frequent tag.

    Examples
    --------
    >>> data = tagging(4, 8, rng=0)
    >>> data.x.shape, data.y.shape
    ((4, 8), (4, 8))
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if isinstance(p_ambiguous, bool) or not isinstance(p_ambiguous, Real):
        raise TypeError(f"p_ambiguous: expected a number in [0, 1], got {p_ambiguous!r}")
    if not 0.0 <= p_ambiguous <= 1.0:
        raise ValueError(f"p_ambiguous: expected a number in [0, 1], got {p_ambiguous}")
    rng = check_rng(rng)

    def pick(words: tuple[str, ...]) -> int:
        return _IDS[words[rng.integers(len(words))]]

    def noun_phrase() -> list[tuple[int, int]]:
        phrase = [(pick(_DETERMINERS), DET)]
        phrase += [(pick(_ADJECTIVES), ADJ) for _ in range(rng.integers(3))]
        nouns = AMBIGUOUS if rng.random() < p_ambiguous else _NOUNS
        return [*phrase, (pick(nouns), NOUN)]

    x = np.empty((n, T), dtype=np.int64)  # (N, T)
    y = np.empty((n, T), dtype=np.int64)  # (N, T)
    for i in range(n):
        sentence: list[tuple[int, int]] = []
        while len(sentence) < T:
            if rng.random() < 0.4:
                sentence.append((pick(_PRONOUNS), PRON))
            else:
                sentence += noun_phrase()
            verbs = AMBIGUOUS if rng.random() < p_ambiguous else _VERBS
            sentence.append((pick(verbs), VERB))
            sentence += noun_phrase()
        x[i], y[i] = np.array(sentence[:T]).T
    return TaskData(
        x=x,
        y=y,
        metric="accuracy",
        baseline=most_frequent_tag_accuracy(x, y),
        baseline_rule="tag each word with its most frequent tag, ignoring its context",
    )


def ambiguous_mask(x: np.ndarray) -> np.ndarray:
    """``True`` where a token is one of the :data:`AMBIGUOUS` words.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)

    Returns
    -------
    ndarray of bool, shape (N, T)
    """
    x = check_ids(x, "x", len(VOCAB), ndim=2)  # (N, T)
    return x >= _FIRST_AMBIGUOUS


def most_frequent_tag_accuracy(x: np.ndarray, y: np.ndarray) -> float:
    """Accuracy of tagging every word with its most frequent tag in ``(x, y)``.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)
        Token ids.
    y : ndarray of int, shape (N, T)
        Tags.

    Returns
    -------
    float
        The share of tokens whose tag equals their word's most frequent tag.
    """
    x = check_ids(x, "x", len(VOCAB), ndim=2)  # (N, T)
    y = check_ids(y, "y", len(TAGS), ndim=2)  # (N, T)
    if x.shape != y.shape:
        raise ValueError(f"y: expected the shape of x {x.shape}, got {y.shape}")
    counts = np.zeros((len(VOCAB), len(TAGS)), dtype=np.int64)  # (V, tags)
    np.add.at(counts, (x.ravel(), y.ravel()), 1)
    return float(counts.max(axis=1).sum() / max(x.size, 1))
