r"""A many-to-many (unaligned) task: translate English number words into digits.

"three hundred forty two" becomes ``3 4 2``, "twelve" becomes ``1 2`` and "three hundred"
becomes ``3 0 0``. The source and the target have different lengths, in both
directions, and no source word lines up with one target digit: an encoder reads the
words, a decoder writes the digits.

Encoding (all int64):

* source ids index :data:`SOURCE_VOCAB`; ``0`` is padding. Sources are **left**-padded to
  ``T_src = 4`` words, so the encoder's last step always reads the last real word;
* target ids are the digits ``0``–``9`` themselves, then :data:`EOS` after the last digit
  and :data:`PAD` up to ``T_tgt = 4``. :data:`BOS` starts the decoder's input.

The numbers of one data set are distinct, drawn without replacement from
``0..max_value``, so a held-out slice holds numbers never seen in training. The metric
is exact match of the whole digit string. A model that ignores the words can do no
better than always writing the most frequent target, right for 1 in N examples: the
baseline is ``1 / N``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_int, check_rng
from rnnbook.tasks.base import TaskData

_ONES = (
    "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
    "ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen",
    "eighteen", "nineteen",
)  # fmt: skip
_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

#: Source words in id order; id 0 is padding.
SOURCE_VOCAB = ("<pad>", *_ONES, *_TENS, "hundred")
#: Target ids: the digits 0-9 are their own ids, then end, padding and start markers.
EOS, PAD, BOS = 10, 11, 12
TARGET_VOCAB = (*"0123456789", "<eos>", "<pad>", "<bos>")
T_SRC = 4
T_TGT = 4
MAX_VALUE = 999
_SOURCE_IDS = {word: i for i, word in enumerate(SOURCE_VOCAB)}


def to_words(k: int) -> list[str]:
    """Spell ``k`` (0 to 999) in English words, without "and": 342 -> three hundred forty two."""
    if isinstance(k, bool) or not isinstance(k, int | np.integer):
        raise TypeError(f"k: expected an integer, got {type(k).__name__} {k!r}")
    if not 0 <= k <= MAX_VALUE:
        raise ValueError(f"k: expected an integer in [0, {MAX_VALUE}], got {k}")
    hundreds, rest = divmod(int(k), 100)
    words = [_ONES[hundreds], "hundred"] if hundreds else []
    if rest >= 20:
        words.append(_TENS[rest // 10 - 2])
        if rest % 10:
            words.append(_ONES[rest % 10])
    elif rest or not hundreds:
        words.append(_ONES[rest])
    return words


def number_words(n: int, rng: np.random.Generator | int, max_value: int = MAX_VALUE) -> TaskData:
    r"""Draw ``n`` distinct numbers from ``0..max_value`` and encode words and digits.

    .. math::

        x = \mathrm{words}(k) \in \mathcal{V}_{\mathrm{src}}^{T_{\mathrm{src}}}, \qquad
        y = (\mathrm{digits}(k), \langle\mathrm{eos}\rangle) \in
            \mathcal{V}_{\mathrm{tgt}}^{T_{\mathrm{tgt}}}

    Parameters
    ----------
    n : int
        Number of examples N, at most ``max_value + 1`` (the numbers are distinct).
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    max_value : int
        Largest number, from 1 to 999.

    Returns
    -------
    TaskData
        ``x`` int64 source ids of shape (N, T_src) (left-padded), ``y`` int64 target ids
        of shape (N, T_tgt) (digits, ``EOS``, then ``PAD``), ``metric="accuracy"``
        (exact match) and ``baseline`` = 1 / N.

    Examples
    --------
    >>> data = number_words(5, rng=0)
    >>> data.x.shape, data.y.shape
    ((5, 4), (5, 4))
    """
    n = check_positive_int(n, "n")
    max_value = check_positive_int(max_value, "max_value")
    if max_value > MAX_VALUE:
        raise ValueError(f"max_value: expected at most {MAX_VALUE}, got {max_value}")
    if n > max_value + 1:
        raise ValueError(
            f"n: expected at most max_value + 1 = {max_value + 1} distinct numbers, got {n}"
        )
    rng = check_rng(rng)
    numbers = rng.choice(max_value + 1, size=n, replace=False)  # (N,)
    x = np.zeros((n, T_SRC), dtype=np.int64)  # (N, T_src) padding is 0
    y = np.full((n, T_TGT), PAD, dtype=np.int64)  # (N, T_tgt)
    for i, k in enumerate(numbers):
        words = [_SOURCE_IDS[w] for w in to_words(int(k))]
        x[i, T_SRC - len(words) :] = words
        digits = [int(c) for c in str(k)]
        y[i, : len(digits) + 1] = [*digits, EOS]
    return TaskData(
        x=x,
        y=y,
        metric="accuracy",
        baseline=1.0 / n,
        baseline_rule="always write the most frequent target; every number occurs once",
    )


def decode_source(ids: np.ndarray) -> str:
    """Source ids of shape (T_src,) back to words, padding dropped."""
    ids = np.asarray(ids)
    return " ".join(SOURCE_VOCAB[i] for i in ids.tolist() if i != 0)


def decode_target(ids: np.ndarray) -> str:
    """Target ids of shape (T_tgt,) back to a digit string, stopping at ``EOS``."""
    out = []
    for i in np.asarray(ids).tolist():
        if i == EOS:
            break
        out.append(TARGET_VOCAB[i] if i < 10 else "?")
    return "".join(out)
