r"""Delayed recall: output the symbol that arrived exactly ``L`` steps ago.

A stream of symbols :math:`s_t`, drawn independently and uniformly from
:math:`\{0, \dots, S - 1\}`, is read one per step; the target at step :math:`t` is the
symbol read :math:`L` steps earlier,

.. math::

    y_t = s_{t - L} \quad (t \ge L), \qquad y_t \text{ undefined for } t < L.

The dependency has a known length: the loss at step :math:`t` depends on the input at
step :math:`t - L` and on no other input. A network that solves it must keep the last
:math:`L` symbols in its state, a shift register of :math:`L \log_2 S` bits. The first
``L`` targets of each stream have no input to recall; they are set to
``IGNORE_INDEX`` (-100), which the book's cross-entropy and torch's skip.

Since the symbols are independent and uniform, a model that does not recall can do no
better than chance: accuracy :math:`1 / S`.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_int, check_rng
from rnnbook.scratch.softmax_cross_entropy import IGNORE_INDEX
from rnnbook.tasks.base import TaskData

#: The target of steps that have nothing to recall (torch's ``ignore_index`` default).


def delayed_recall(
    n: int, T: int, delay: int, rng: np.random.Generator | int, n_symbols: int = 2
) -> TaskData:
    r"""Generate ``n`` streams of ``T`` symbols with targets delayed by ``delay`` steps.

    .. math::

        s_t \sim \mathcal{U}\{0, \dots, S - 1\}, \qquad y_t = s_{t - L}

    Parameters
    ----------
    n : int
        Number of streams N.
    T : int
        Length of each stream; must exceed ``delay``.
    delay : int
        L >= 1, the length of the dependency.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    n_symbols : int
        S >= 2.

    Returns
    -------
    TaskData
        ``x`` of shape (N, T), int64 symbols; ``y`` of shape (N, T), int64, with
        ``IGNORE_INDEX`` in the first ``delay`` steps; ``metric="accuracy"``,
        ``baseline = 1 / S``.

    Examples
    --------
    >>> data = delayed_recall(1, 6, delay=2, rng=0)
    >>> bool((data.y[0, 2:] == data.x[0, :-2]).all())
    True
    """
    n = check_positive_int(n, "n")
    T = check_positive_int(T, "T")
    delay = check_positive_int(delay, "delay")
    n_symbols = check_positive_int(n_symbols, "n_symbols")
    if n_symbols < 2:
        raise ValueError(f"n_symbols: expected at least 2, got {n_symbols}")
    if delay >= T:
        raise ValueError(f"T: expected more steps than delay = {delay}, got {T}")
    rng = check_rng(rng)
    x = rng.integers(0, n_symbols, size=(n, T))  # (N, T)
    y = np.full((n, T), IGNORE_INDEX, dtype=np.int64)  # (N, T)
    y[:, delay:] = x[:, :-delay]  # y_t = s_{t-L}
    return TaskData(
        x=x.astype(np.int64),
        y=y,
        metric="accuracy",
        baseline=1.0 / n_symbols,
        baseline_rule=f"guess a symbol at random (or always the same one): 1/S = 1/{n_symbols}",
    )


def recall_accuracy(logits: np.ndarray, targets: np.ndarray) -> float:
    """Fraction of steps with a target whose argmax prediction is correct.

    Parameters
    ----------
    logits : ndarray, shape (N, T, S)
    targets : ndarray of int, shape (N, T), ``IGNORE_INDEX`` where undefined
    """
    logits, targets = np.asarray(logits), np.asarray(targets)
    if logits.ndim != 3 or targets.shape != logits.shape[:2]:
        raise ValueError(
            "logits, targets: expected shapes (N, T, S) and (N, T), "
            f"got {logits.shape} and {targets.shape}"
        )
    mask = targets != IGNORE_INDEX
    if not mask.any():
        raise ValueError("targets: expected at least one step with a target, got none")
    return float((logits.argmax(axis=-1) == targets)[mask].mean())
