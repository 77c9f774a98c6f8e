r"""Sampling the next token with temperature, top-:math:`k` and nucleus (top-:math:`p`) truncation.

A temperature :math:`\tau` reshapes the whole distribution, :math:`\mathrm{softmax}(z/\tau)`,
and leaves every token a non-zero probability. Truncation instead removes the unlikely
tail: top-:math:`k` keeps the :math:`k` most likely tokens, the nucleus keeps the smallest
set of most likely tokens whose probability reaches :math:`p` (Holtzman et al., 2020), and
the kept probabilities are renormalised. Every sampler takes a ``numpy.random.Generator``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import (
    check_array,
    check_ids,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from rnnbook.text import StepFn, softmax_with_temperature

#: A large negative logit for excluded tokens: exp() of it is exactly 0 in float64.
EXCLUDED = -1e30


def filter_logits(
    logits: np.ndarray, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    r"""Exclude unlikely tokens: keep the ``top_k`` largest logits and/or the nucleus.

    The nucleus is the smallest set of most likely tokens whose probability
    :math:`\mathrm{softmax}(z)` reaches ``top_p`` (Holtzman et al., 2020). Excluded entries
    are set to :data:`EXCLUDED`, so a softmax gives them probability 0. The most likely
    token is always kept. Ties at the cut are broken by the token order.

    Parameters
    ----------
    logits : ndarray, shape (..., V)
    top_k : int, optional
        1 <= top_k; ``top_k >= V`` keeps everything.
    top_p : float, optional
        0 < top_p <= 1.

    Returns
    -------
    ndarray, shape (..., V)

    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_k=2).round(3).tolist()
    [-0.693, -1.204, -1e+30]
    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_p=0.8).round(3).tolist()
    [-0.693, -1.204, -1e+30]
    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_p=0.81).round(3).tolist()
    [-0.693, -1.204, -1.609]
    """
    logits = check_array(logits, "logits")
    if logits.ndim < 1 or logits.shape[-1] == 0:
        raise ValueError(f"logits: expected shape (..., V) with V >= 1, got {logits.shape}")
    keep = np.ones(logits.shape, dtype=bool)
    order = np.argsort(-logits, axis=-1, kind="stable")  # (..., V): most likely first
    rank = np.argsort(order, axis=-1, kind="stable")  # (..., V): 0 for the most likely
    if top_k is not None:
        top_k = check_positive_int(top_k, "top_k")
        keep &= rank < top_k
    if top_p is not None:
        top_p = check_positive_float(top_p, "top_p")
        if top_p > 1:
            raise ValueError(f"top_p: expected a number in (0, 1], got {top_p}")
        p_sorted = np.take_along_axis(softmax_with_temperature(logits), order, axis=-1)
        before = np.cumsum(p_sorted, axis=-1) - p_sorted  # mass of the tokens ranked above
        in_nucleus = before < top_p - 1e-12  # still short of top_p before this token
        keep &= np.take_along_axis(in_nucleus, rank, axis=-1)
    return np.where(keep, logits, EXCLUDED)


def sample_filtered(
    logits: np.ndarray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Draw one id per row from :func:`filter_logits` of ``logits / temperature``.

    The temperature is applied first, then the truncation (the order used by common
    text-generation libraries). Returns int64 ids of shape (...).
    """
    rng = check_rng(rng)
    temperature = check_positive_float(temperature, "temperature")
    z = filter_logits(check_array(logits, "logits") / temperature, top_k, top_p)
    p = softmax_with_temperature(z)  # (..., V)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random((*p.shape[:-1], 1)) * cdf[..., -1:]  # (..., 1)
    idx = (cdf < u).sum(axis=-1)
    return np.minimum(idx, p.shape[-1] - 1).astype(np.int64)


def generate_filtered(
    step: StepFn,
    state: object,
    prime: np.ndarray,
    n: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Like :func:`rnnbook.text.generate`, sampling with :func:`sample_filtered`.

    ``step(ids (B,), state) -> (logits (B, V), state)``; ``prime`` (B, P). Returns (B, n).
    """
    rng = check_rng(rng)
    n = check_positive_int(n, "n")
    prime = check_ids(prime, "prime", ndim=2)  # (B, P)
    for t in range(prime.shape[1]):  # condition on the prime
        logits, state = step(prime[:, t], state)
    out = np.empty((prime.shape[0], n), dtype=np.int64)
    for t in range(n):  # then feed each sample back in
        out[:, t] = sample_filtered(np.asarray(logits), rng, temperature, top_k, top_p)
        if t + 1 < n:
            logits, state = step(out[:, t], state)
    return out
