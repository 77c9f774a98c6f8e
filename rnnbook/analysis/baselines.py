r"""Order-blind and fixed-window baselines: fixed-size summaries of a sequence ``(B, T, D)``.

A feed-forward network takes one vector of a fixed size. A sequence :math:`x_1, \dots, x_T`
has a variable length, so it must first be squeezed into such a vector. The three classic
squeezes are:

* a **fixed window**: concatenate the last :math:`n` steps, :math:`[x_{T-n+1}; \dots; x_T]`,
  which keeps their order but forgets everything earlier, and whose size (and the first
  layer's weight count) grows with :math:`n`;
* an **average**: :math:`\frac{1}{T} \sum_t x_t`, which has a fixed size but forgets order;
* a **bag of words**: :math:`\sum_t x_t` over one-hot vectors, i.e. a count per word, which
  also forgets order.

Summing and averaging are symmetric functions of the steps, so any reordering of a sequence
gives exactly the same features. The inputs are usually one-hot vectors, from
:func:`rnnbook.scratch.one_hot.one_hot`.

>>> from rnnbook.scratch.one_hot import one_hot
>>> x = one_hot([[0, 1, 2], [2, 1, 0]], 3)  # "dog bites man", "man bites dog"
>>> bool((bag_of_words(x)[0] == bag_of_words(x)[1]).all())
True
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array, check_positive_int


def bag_of_words(x: np.ndarray) -> np.ndarray:
    r"""Sum the steps of each sequence: word counts when ``x`` is one-hot.

    .. math::

        \mathrm{bow}(x) = \sum_{t=1}^{T} x_t

    Parameters
    ----------
    x : ndarray, shape (B, T, D)

    Returns
    -------
    ndarray, shape (B, D)
    """
    x = _check_sequence(x)
    B, T, D = x.shape
    return x.sum(axis=1)  # (B, D)


def average(x: np.ndarray) -> np.ndarray:
    r"""Average the steps of each sequence.

    .. math::

        \bar{x} = \frac{1}{T} \sum_{t=1}^{T} x_t

    Parameters
    ----------
    x : ndarray, shape (B, T, D)

    Returns
    -------
    ndarray, shape (B, D)
    """
    x = _check_sequence(x)
    B, T, D = x.shape
    return x.mean(axis=1)  # (B, D)


def fixed_window(x: np.ndarray, n: int) -> np.ndarray:
    r"""Concatenate the last ``n`` steps of each sequence, oldest first.

    .. math::

        \mathrm{win}_n(x) = [x_{T-n+1}; x_{T-n+2}; \dots; x_T], \qquad x_t := 0 \text{ for } t < 1

    A sequence shorter than ``n`` is padded with zero vectors on the left, as a
    feed-forward language model pads the start of a text.

    Parameters
    ----------
    x : ndarray, shape (B, T, D)
    n : int
        The window length.

    Returns
    -------
    ndarray, shape (B, n * D)
    """
    x = _check_sequence(x)
    n = check_positive_int(n, "n")
    B, T, D = x.shape
    window = np.zeros((B, n, D), dtype=x.dtype)  # (B, n, D)
    kept = min(n, T)
    window[:, n - kept :] = x[:, T - kept :]
    return window.reshape(B, n * D)  # (B, n * D)


def _check_sequence(x: object) -> np.ndarray:
    x = check_array(x, "x", shape=(None, None, None), legend="(B, T, D)")
    if 0 in x.shape:
        raise ValueError(f"x: expected at least one sequence, step and feature, got {x.shape}")
    return x
