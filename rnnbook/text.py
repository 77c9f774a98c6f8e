r"""Characters as integers and back, and sampling from a model's logits with a temperature.

A character-level language model sees text as a sequence of integer ids. A
:class:`CharVocab` fixes the mapping: the distinct characters of a training text, sorted,
numbered from 0 to ``V - 1``.

Sampling with temperature :math:`\tau > 0` divides the logits :math:`z` before the softmax,

.. math::

    p_i = \frac{\exp(z_i / \tau)}{\sum_j \exp(z_j / \tau)},

so that :math:`\tau < 1` sharpens the distribution towards its most likely character and
:math:`\tau > 1` flattens it towards uniform. Every sampler takes a
``numpy.random.Generator``: the library never touches a global random state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from rnnbook.checks import (
    check_array,
    check_ids,
    check_positive_float,
    check_positive_int,
    check_rng,
)


def _check_text(text: object, name: str = "text") -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected a str, got {type(text).__name__}")
    if not text:
        raise ValueError(f"{name}: expected a non-empty string, got ''")
    return text


class CharVocab:
    """The characters of a text, numbered in sorted order.

    Parameters
    ----------
    text : str
        A non-empty text; every distinct character in it gets an id.

    Attributes
    ----------
    chars : tuple of str
        The characters, ``chars[i]`` has id ``i``.

    Examples
    --------
    >>> vocab = CharVocab("hello")
    >>> vocab.chars
    ('e', 'h', 'l', 'o')
    >>> vocab.decode(vocab.encode("hole"))
    'hole'
    """

    def __init__(self, text: str) -> None:
        text = _check_text(text)
        self.chars: tuple[str, ...] = tuple(sorted(set(text)))
        self._index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def __repr__(self) -> str:
        return f"CharVocab(size={len(self)}, chars={''.join(self.chars)!r})"

    def encode(self, text: str) -> np.ndarray:
        """Map a string to an ``int64`` array of ids, shape ``(len(text),)``.

        Raises ``ValueError`` naming the first character that is not in the vocabulary.
        """
        text = _check_text(text)
        try:
            return np.fromiter((self._index[c] for c in text), dtype=np.int64, count=len(text))
        except KeyError:
            position = next(i for i, c in enumerate(text) if c not in self._index)
            raise ValueError(
                f"text: expected characters from the vocabulary {''.join(self.chars)!r}, "
                f"got unknown character {text[position]!r} at position {position}"
            ) from None

    def decode(self, ids: Sequence[int] | np.ndarray) -> str:
        """Map a 1-D sequence of ids back to a string."""
        ids = np.asarray(ids)
        ids = check_ids(ids.astype(np.int64) if ids.size == 0 else ids, "ids")
        if ids.ndim != 1:
            raise ValueError(f"ids: expected 1 dimension (T,), got shape {ids.shape}")
        bad = (ids < 0) | (ids >= len(self))
        if bad.any():
            raise ValueError(
                f"ids: expected ids in [0, {len(self)}), got {int(ids[bad][0])} "
                f"at position {int(np.argmax(bad))}"
            )
        return "".join(self.chars[i] for i in ids)


def softmax_with_temperature(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    r"""Probabilities :math:`\mathrm{softmax}(z / \tau)` along the last axis.

    Parameters
    ----------
    logits : ndarray, shape (..., V)
    temperature : float
        :math:`\tau > 0`.

    Returns
    -------
    ndarray, shape (..., V)
        Non-negative, summing to 1 along the last axis.
    """
    temperature = check_positive_float(temperature, "temperature")
    logits = check_array(logits, "logits")
    if logits.ndim < 1 or logits.shape[-1] == 0:
        raise ValueError(f"logits: expected shape (..., V) with V >= 1, got {logits.shape}")
    z = logits / temperature
    z = z - z.max(axis=-1, keepdims=True)  # shift for stability: softmax is unchanged
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def sample_index(logits: np.ndarray, temperature: float, rng: np.random.Generator) -> np.ndarray:
    r"""Draw one id per row of ``logits`` from :math:`\mathrm{softmax}(z / \tau)`.

    Uses inverse-CDF sampling: one uniform number per row, compared with the cumulative
    probabilities.

    Parameters
    ----------
    logits : ndarray, shape (..., V)
    temperature : float
        :math:`\tau > 0`; small values approach ``argmax``.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (...)
    """
    rng = check_rng(rng)
    p = softmax_with_temperature(logits, temperature)  # (..., V)
    cdf = np.cumsum(p, axis=-1)  # (..., V)
    u = rng.random((*p.shape[:-1], 1)) * cdf[..., -1:]  # (..., 1)
    idx = (cdf < u).sum(axis=-1)  # (...)
    return np.minimum(idx, p.shape[-1] - 1).astype(np.int64)


#: ``step(ids, state) -> (logits, state)``: one step of a language model on a batch of ids.
StepFn = Callable[[np.ndarray, Any], tuple[np.ndarray, Any]]


def generate(
    step: StepFn,
    state: Any,
    prime: np.ndarray,
    n: int,
    temperature: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Feed ``prime`` through a model, then sample ``n`` more ids, one at a time.

    Parameters
    ----------
    step : callable
        ``step(ids, state) -> (logits, state)`` with ``ids`` of shape (B,) and ``logits`` of
        shape (B, V): one step of a language model. ``state`` is whatever the model carries.
    state : object
        The initial state, passed to the first call of ``step``.
    prime : ndarray of int, shape (B, P)
        Ids to condition on, P >= 1; the first sample follows the last of them.
    n : int
        How many ids to sample.
    temperature : float
        Sampling temperature, > 0.
    rng : numpy.random.Generator

    Returns
    -------
    ndarray of int64, shape (B, n)
        The sampled ids (without the prime).
    """
    rng = check_rng(rng)
    n = check_positive_int(n, "n")
    temperature = check_positive_float(temperature, "temperature")
    prime = check_ids(prime, "prime", ndim=2)  # (B, P)
    for t in range(prime.shape[1]):  # condition on the prime
        logits, state = step(prime[:, t], state)
    out = np.empty((prime.shape[0], n), dtype=np.int64)
    for t in range(n):  # then feed each sample back in
        out[:, t] = sample_index(np.asarray(logits, dtype=np.float64), temperature, rng)
        if t + 1 < n:
            logits, state = step(out[:, t], state)
    return out
