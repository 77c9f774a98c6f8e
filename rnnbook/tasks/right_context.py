r"""Part-of-speech tagging read right to left: the words that decide a tag come after it.

:func:`rnnbook.tasks.tagging.tagging` writes sentences in which an ambiguous word
("watch", "run", ...) is a noun after a determiner or adjective and a verb after a subject:
its tag is set by the words *before* it. Reversing every sentence (and its tags) keeps the
words and the tags but moves the deciding words to the *right* of the ambiguous one:

.. math::

    x'_t = x_{T+1-t}, \qquad y'_t = y_{T+1-t}, \qquad
    y'_t = \mathrm{tag}(x'_t, x'_{t+1}, \dots, x'_T).

A causal tagger reading :math:`x'_1 \dots x'_t` must guess the tag of an ambiguous word
from what precedes it in the reversed order (the words that followed it in the original),
which is only partly informative; a bidirectional tagger sees the deciding words.

>>> data = right_context_tagging(2, 8, rng=0)
>>> data.x.shape, ambiguous_only(data).shape
((2, 8), (2, 8))
"""

from __future__ import annotations

import numpy as np

from rnnbook.tasks.base import TaskData
from rnnbook.tasks.tagging import ambiguous_mask, tagging

#: Label of the steps that are not scored (torch's ``ignore_index``).
IGNORE_INDEX = -100


def right_context_tagging(
    n: int, T: int, rng: np.random.Generator | int, p_ambiguous: float = 0.5
) -> TaskData:
    """``n`` tagging sentences of ``T`` tokens, each reversed in time with its tags.

    Parameters are those of :func:`rnnbook.tasks.tagging.tagging`. Returns a
    :class:`TaskData` with ``x`` (N, T) token ids and ``y`` (N, T) tags, both reversed, and
    the same ``baseline`` (tagging each word with its most frequent tag ignores order).
    """
    data = tagging(n, T, rng, p_ambiguous=p_ambiguous)
    return TaskData(
        x=np.ascontiguousarray(data.x[:, ::-1]),  # (N, T)
        y=np.ascontiguousarray(data.y[:, ::-1]),  # (N, T)
        metric=data.metric,
        baseline=data.baseline,
        baseline_rule=data.baseline_rule,
    )


def ambiguous_only(data: TaskData) -> np.ndarray:
    """The tags of ``data`` with every unambiguous word set to :data:`IGNORE_INDEX`, to
    score a tagger on the ambiguous words alone.

    Returns
    -------
    ndarray of int64, shape (N, T)
    """
    return np.where(ambiguous_mask(data.x), data.y, IGNORE_INDEX)  # (N, T)
