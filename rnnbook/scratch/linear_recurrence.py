r"""A linear recurrence, computed step by step and by a parallel prefix scan.

The recurrence, element-wise over ``H`` channels,

.. math::

    h_t = a_t \odot h_{t-1} + b_t, \qquad t = 1, \dots, T,

is a composition of affine maps :math:`f_t(h) = a_t \odot h + b_t`, and
:math:`h_t = (f_t \circ \dots \circ f_1)(h_0)`. Composing two such maps gives another,

.. math::

    (f_2 \circ f_1)(h) = a_2 a_1 \odot h + (a_2 \odot b_1 + b_2)
    \quad\Longleftrightarrow\quad
    (a_1, b_1) \bullet (a_2, b_2) = (a_1 a_2,\ a_2 b_1 + b_2),

and :math:`\bullet` is associative, so all prefixes can be computed by a scan in
:math:`\lceil \log_2 T \rceil` rounds instead of :math:`T` sequential steps. A tanh RNN
has no such shortcut: :math:`\tanh(W\tanh(W h + b) + b)` is not of the form
:math:`\tanh(W' h + b')`, so its steps cannot be pre-combined. That is the door linear
recurrent models (and, with attention, transformers) walk through to parallelise
training over time.

:func:`linear_recurrence_scan` is the Hillis-Steele scan: round :math:`k` combines each
position with the one :math:`2^k` before it, all positions at once (one vectorised numpy
expression). It does :math:`O(T \log T)` work; Blelloch's two-sweep scan does
:math:`O(T)` work in twice the rounds.

Shapes: ``a``, ``b`` (B, T, H), ``h0`` (B, H), the result (B, T, H).
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array


def _check(a: object, b: object, h0: object) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = check_array(a, "a", shape=(None, None, None), legend="(B, T, H)")
    B, T, H = a.shape
    if 0 in a.shape:
        raise ValueError(f"a: expected B, T, H >= 1, got shape {a.shape}")
    b = check_array(b, "b", shape=(B, T, H), legend="(B, T, H)")
    h0 = check_array(h0, "h0", shape=(B, H), legend="(B, H)")
    dtype = np.result_type(a, b, h0)
    return a.astype(dtype, copy=False), b.astype(dtype, copy=False), h0.astype(dtype, copy=False)


def linear_recurrence_sequential(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    r"""The recurrence one step at a time: :math:`h_t = a_t \odot h_{t-1} + b_t`.

    Parameters
    ----------
    a, b : ndarray, shape (B, T, H)
    h0 : ndarray, shape (B, H)

    Returns
    -------
    hs : ndarray, shape (B, T, H)
        :math:`h_1, \dots, h_T`.
    """
    a, b, h0 = _check(a, b, h0)
    B, T, H = a.shape
    hs = np.empty_like(b)  # (B, T, H)
    h = h0  # (B, H)
    for t in range(T):  # T dependent steps
        h = a[:, t] * h + b[:, t]
        hs[:, t] = h
    return hs


def linear_recurrence_scan(a: np.ndarray, b: np.ndarray, h0: np.ndarray) -> np.ndarray:
    r"""The same recurrence by a Hillis-Steele scan, in :math:`\lceil\log_2 T\rceil` rounds.

    With :math:`h_0` folded into the first map (:math:`b_1 \leftarrow a_1 h_0 + b_1`),
    round :math:`k = 0, 1, \dots` updates every :math:`t \ge d = 2^k` at once:

    .. math::

        (A_t, B_t) \leftarrow (A_{t-d}, B_{t-d}) \bullet (A_t, B_t)
                           = (A_{t-d} A_t,\ A_t B_{t-d} + B_t),

    after which :math:`(A_t, B_t)` is the composition of maps :math:`1..t` and
    :math:`h_t = B_t`.

    Parameters
    ----------
    a, b : ndarray, shape (B, T, H)
    h0 : ndarray, shape (B, H)

    Returns
    -------
    hs : ndarray, shape (B, T, H)
    """
    a, b, h0 = _check(a, b, h0)
    B, T, H = a.shape
    A = a.copy()  # (B, T, H) multiplier of each prefix map
    Bc = b.copy()  # (B, T, H) offset of each prefix map
    Bc[:, 0] += a[:, 0] * h0  # fold h0 in: the first map now ignores its input
    d = 1
    while d < T:  # ceil(log2 T) rounds, each one vectorised over all positions
        Bc[:, d:] = A[:, d:] * Bc[:, :-d] + Bc[:, d:]  # right-hand sides read the old values
        A[:, d:] = A[:, d:] * A[:, :-d]
        d *= 2
    return Bc  # (B, T, H): h_t = B_t
