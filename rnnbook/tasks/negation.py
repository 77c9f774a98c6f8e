r"""A many-to-one task: toy "sentiment" whose label depends on word order.

Each sentence has ``T`` tokens: exactly one sentiment word (positive or negative),
filler words, and, in half of the sentences, the negator ``not``. The label is the
polarity of the sentiment word, flipped when ``not`` comes *before* it:

* no negator (probability 1/2): label = polarity ("the plot was good" is positive);
* ``not`` before the sentiment word (1/4): flipped ("not ... good" is negative);
* ``not`` after it (1/4): unchanged ("good ... not" stays positive).

The last two cases contain the same words, so a model that sees only which words occur
(a bag of words) cannot tell them apart: on those sentences it is right half of the
time, and overall it can reach at most :math:`\tfrac12 \cdot 1 + \tfrac12 \cdot \tfrac12
= \tfrac34`. A recurrent network that remembers "I have seen *not*" gets them all.

Token ids: ``0`` is ``not``, then the positive words, the negative words and the
fillers (see :func:`negation_vocabulary`). Labels: ``1`` positive, ``0`` negative.
The baseline is the share of the majority label (about 1/2).
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_ids, check_positive_int, check_rng
from rnnbook.tasks.base import TaskData

NEGATOR = "not"
POSITIVE = ("good", "great", "fun")
NEGATIVE = ("bad", "dull", "awful")
FILLERS = ("the", "movie", "plot", "was", "really", "and", "so", "a", "film", "cast")

#: Groups returned by :func:`negation_groups`.
GROUP_NAMES = ("no negator", "not before", "not after")

#: The best accuracy any order-blind model can reach in expectation (see the module text).
BAG_OF_WORDS_CEILING = 0.75


def negation_vocabulary(n_fillers: int = len(FILLERS)) -> tuple[str, ...]:
    """The words, in token-id order: ``not``, positive, negative, then ``n_fillers`` fillers."""
    n_fillers = check_positive_int(n_fillers, "n_fillers")
    if n_fillers > len(FILLERS):
        raise ValueError(f"n_fillers: expected at most {len(FILLERS)}, got {n_fillers}")
    return (NEGATOR, *POSITIVE, *NEGATIVE, *FILLERS[:n_fillers])


def negation(
    n: int, T: int, rng: np.random.Generator | int, n_fillers: int = len(FILLERS)
) -> TaskData:
    r"""Generate ``n`` sentences of ``T`` tokens with an order-dependent sentiment label.

    .. math::

        y = \begin{cases}
            1 - \mathrm{pol}(w) & \text{if \texttt{not} occurs before the sentiment word } w,\\
            \mathrm{pol}(w) & \text{otherwise,}
        \end{cases}

    where :math:`\mathrm{pol}(w) = 1` for a positive word and 0 for a negative one.

    Parameters
    ----------
    n : int
        Number of sentences N.
    T : int
        Tokens per sentence, at least 3 (so that ``not`` fits on either side).
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    n_fillers : int
        How many filler words to use, from 1 to ``len(FILLERS)``.

    Returns
    -------
    TaskData
        ``x`` int64 token ids of shape (N, T), ``y`` int64 labels of shape (N,),
        ``metric="accuracy"``, ``baseline`` = share of the majority label.

    Examples
    --------
    >>> data = negation(4, 6, rng=0)
    >>> data.x.shape, data.y.shape
    ((4, 6), (4,))
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    if T < 3:
        raise ValueError(f"T: expected at least 3 (not, sentiment word, not), got {T}")
    vocab = negation_vocabulary(n_fillers)
    rng = check_rng(rng)
    n_sent = len(POSITIVE) + len(NEGATIVE)
    first_filler = 1 + n_sent
    x = rng.integers(first_filler, len(vocab), size=(n, T))  # (N, T) fillers everywhere
    group = rng.choice(3, size=n, p=[0.5, 0.25, 0.25])  # (N,) see GROUP_NAMES
    word = rng.integers(1, 1 + n_sent, size=n)  # (N,) the sentiment word's id
    polarity = (word <= len(POSITIVE)).astype(np.int64)  # (N,) 1 positive, 0 negative
    y = polarity.copy()
    for i in range(n):
        if group[i] == 0:
            pos = rng.integers(0, T)
        elif group[i] == 1:  # not ... word: flip
            pos = rng.integers(1, T)
            x[i, rng.integers(0, pos)] = 0
            y[i] = 1 - y[i]
        else:  # word ... not: no flip
            pos = rng.integers(0, T - 1)
            x[i, rng.integers(pos + 1, T)] = 0
        x[i, pos] = word[i]
    majority = max(float(y.mean()), 1.0 - float(y.mean()))
    return TaskData(
        x=x.astype(np.int64),
        y=y,
        metric="accuracy",
        baseline=majority,
        baseline_rule="always predict the majority label",
    )


def negation_groups(x: np.ndarray) -> np.ndarray:
    """Which case each sentence is: 0 no negator, 1 ``not`` before, 2 ``not`` after.

    Parameters
    ----------
    x : ndarray of int, shape (N, T)
        Token ids from :func:`negation`.

    Returns
    -------
    ndarray of int64, shape (N,)
        Indexes into :data:`GROUP_NAMES`.
    """
    x = check_ids(x, "x", ndim=2)  # (N, T)
    n_sent = len(POSITIVE) + len(NEGATIVE)
    has_not = (x == 0).any(axis=1)  # (N,)
    not_pos = np.argmax(x == 0, axis=1)  # (N,) first negator (0 if none)
    word_pos = np.argmax((x >= 1) & (x <= n_sent), axis=1)  # (N,)
    return np.where(~has_not, 0, np.where(not_pos < word_pos, 1, 2)).astype(np.int64)
