r"""Jacobians between states of any numpy recurrent layer, and how their norms decay.

The gradient that step :math:`T` sends back to step :math:`k` passes through one Jacobian
per step:

.. math::

    \frac{\partial s_T}{\partial s_k} = J_T J_{T-1} \cdots J_{k+1}, \qquad
    J_t = \frac{\partial s_t}{\partial s_{t-1}},

where :math:`s_t` is the layer's whole state, flattened: :math:`h_t` for the RNN and the
GRU, :math:`[h_t; c_t]` (size 2H) for the LSTM. For the Elman RNN,
:math:`J_t = \mathrm{diag}(\sigma'(a_t))\, W_{hh}` in the book's column-vector notation.

Nothing here knows a cell's equations. Every Jacobian comes from the cell's own
``step_backward`` (see :mod:`rnnbook.scratch.recurrent`): sending the unit vectors
:math:`e_i^\top` back through one step gives the rows of :math:`J_t`, and chaining the
steps gives :math:`G_k = \partial s_T / \partial s_k` for every :math:`k` in one sweep:

.. math::

    G_T = I, \qquad G_{k-1} = G_k J_k.

The state index follows the layer's parts: for the LSTM, rows and columns ``:H`` are
:math:`h` and ``H:`` are :math:`c`, so ``J[..., H:, H:]`` is :math:`\partial c_T/\partial c_k`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np

from rnnbook.checks import check_array
from rnnbook.scratch.recurrent import RecurrentLayer


def _repeat_rows(cache: Any, R: int) -> Any:
    """A step cache with every batch row repeated R times (strings and scalars kept)."""
    fields = [np.repeat(v, R, axis=0) if isinstance(v, np.ndarray) else v for v in cache]
    return type(cache)(*fields)


def _check_layer_run(layer: object, x: object, state0: Any) -> tuple[RecurrentLayer, Any]:
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer: expected a numpy RecurrentLayer, got {type(layer).__name__}")
    layer.forward(x, state0)  # checks x and state0, and stores the step caches
    return layer, layer.cache


def backward_chain(layer: RecurrentLayer, G: np.ndarray) -> Iterator[tuple[int, np.ndarray]]:
    r"""Chain one-step backward passes from the last step of ``layer``'s last forward pass.

    Yields :math:`(k, G_k)` for :math:`k = T-1, \dots, 0`, with :math:`G_{k} = G_{k+1}
    J_{k+1}` (0-based: ``G`` at ``k`` is the gradient that reaches the state after ``k``
    steps; :math:`k = 0` is the initial state).

    Parameters
    ----------
    layer : RecurrentLayer
        After a call to ``forward``.
    G : ndarray, shape (B * R, S)
        R row vectors per sequence (rows ``b * R .. b * R + R - 1`` belong to sequence b),
        over the flattened state of size S = ``state_parts * H``.
    """
    if layer.cache is None:
        raise RuntimeError("backward_chain: call layer.forward() first")
    B = layer.cache.x.shape[0]
    H, P = layer.hidden_size, layer.state_parts
    G = check_array(G, "G", shape=(None, P * H), legend="(B * R, S)")
    if G.shape[0] % B:
        raise ValueError(f"G: expected a multiple of B = {B} rows, got {G.shape[0]}")
    R = G.shape[0] // B
    scratch_grads = {name: np.zeros_like(p) for name, p in layer.params.items()}  # discarded
    for k in reversed(range(len(layer.cache.steps))):
        step = _repeat_rows(layer.cache.steps[k], R)
        parts = tuple(G[:, i * H : (i + 1) * H] for i in range(P))  # (B*R, H) each
        _, d_prev = layer.step_backward(parts, step, scratch_grads)  # G J_{k+1}
        G = np.concatenate(d_prev, axis=1)  # (B*R, S)
        yield k, G


def state_jacobians(layer: RecurrentLayer, x: np.ndarray, state0: Any = None) -> np.ndarray:
    r"""Every Jacobian :math:`\partial s_T / \partial s_k`, for :math:`k = 0, \dots, T`.

    Parameters
    ----------
    layer : RecurrentLayer
    x : ndarray, shape (B, T, D)
    state0 : the layer's initial state (torch layout), optional

    Returns
    -------
    ndarray, shape (B, T + 1, S, S)
        ``J[b, k]`` is :math:`\partial s_T / \partial s_k` for sequence ``b`` (row i,
        column j: :math:`\partial s_{T,i} / \partial s_{k,j}`); ``J[:, T]`` is I.

    >>> from rnnbook.scratch import RNN
    >>> layer = RNN(2, 3, rng=0)
    >>> J = state_jacobians(layer, np.zeros((1, 4, 2)))
    >>> J.shape, bool(np.allclose(J[0, 4], np.eye(3)))
    ((1, 5, 3, 3), True)
    """
    layer, cache = _check_layer_run(layer, x, state0)
    B, T, _ = cache.x.shape
    S = layer.state_parts * layer.hidden_size
    J = np.empty((B, T + 1, S, S))
    J[:, T] = np.eye(S)
    G_T = np.tile(np.eye(S), (B, 1))  # (B*S, S): row b*S + i is e_iᵀ for sequence b
    for k, G in backward_chain(layer, G_T):
        J[:, k] = G.reshape(B, S, S)
    return J


def step_jacobians(
    layer: RecurrentLayer, x: np.ndarray, state0: Any = None, b: int = 0
) -> np.ndarray:
    r"""The one-step Jacobians :math:`J_t = \partial s_t / \partial s_{t-1}` of sequence ``b``.

    Returns
    -------
    ndarray, shape (T, S, S)
        ``J[t - 1]`` is :math:`J_t` (book steps :math:`t = 1, \dots, T`).
    """
    layer, cache = _check_layer_run(layer, x, state0)
    B, T, _ = cache.x.shape
    if isinstance(b, bool) or not isinstance(b, int | np.integer) or not 0 <= b < B:
        raise ValueError(f"b: expected an index in [0, {B}), got {b!r}")
    S = layer.state_parts * layer.hidden_size
    H = layer.hidden_size
    eye = np.eye(S)
    scratch_grads = {name: np.zeros_like(p) for name, p in layer.params.items()}
    J = np.empty((T, S, S))
    for t, step in enumerate(cache.steps):
        one = _repeat_rows(_take_row(step, b), S)  # sequence b, S copies
        parts = tuple(eye[:, i * H : (i + 1) * H] for i in range(layer.state_parts))
        _, d_prev = layer.step_backward(parts, one, scratch_grads)  # rows e_iᵀ J_t
        J[t] = np.concatenate(d_prev, axis=1)
    return J


def _take_row(cache: Any, b: int) -> Any:
    return type(cache)(*[v[b : b + 1] if isinstance(v, np.ndarray) else v for v in cache])


def product(J_steps: np.ndarray, t: int, k: int) -> np.ndarray:
    r""":math:`\partial s_t / \partial s_k = J_t J_{t-1} \cdots J_{k+1}` from one-step Jacobians.

    Parameters
    ----------
    J_steps : ndarray, shape (T, S, S)
        From :func:`step_jacobians`.
    t, k : int
        Book steps with :math:`0 \le k \le t \le T`; ``t == k`` gives the identity.
    """
    J_steps = check_array(J_steps, "J_steps", shape=(None, None, None), legend="(T, S, S)")
    T = J_steps.shape[0]
    for name, value in (("t", t), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if not 0 <= k <= t <= T:
        raise ValueError(f"t, k: expected 0 <= k <= t <= T = {T}, got t = {t}, k = {k}")
    out = np.eye(J_steps.shape[1])
    for i in range(k + 1, t + 1):  # multiply on the left: J_i (J_{i-1} ... J_{k+1})
        out = J_steps[i - 1] @ out
    return out


def jacobian_norms(J: np.ndarray) -> np.ndarray:
    r"""Spectral norms :math:`\lVert J \rVert_2` (largest singular value) over the last two axes.

    Parameters
    ----------
    J : ndarray, shape (..., S, S)

    Returns
    -------
    ndarray, shape (...)
    """
    J = check_array(J, "J")
    if J.ndim < 2:
        raise ValueError(f"J: expected shape (..., S, S), got {J.shape}")
    return np.linalg.norm(J, ord=2, axis=(-2, -1))


def gradient_norms_by_lag(
    layer: RecurrentLayer, x: np.ndarray, state0: Any = None, part: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    r"""Measure :math:`n_\ell = \lVert \partial s_T / \partial s_{T-\ell} \rVert_2` for every lag.

    Parameters
    ----------
    layer, x, state0
        As for :func:`state_jacobians`.
    part : int, optional
        Restrict to one part of the state: ``part=1`` of an LSTM gives
        :math:`\lVert \partial c_T / \partial c_{T-\ell} \rVert_2`. All of it if None.

    Returns
    -------
    lags : ndarray of int, shape (T + 1,)
        :math:`0, 1, \dots, T`.
    norms : ndarray, shape (B, T + 1)
        ``norms[b, l]`` for sequence ``b`` at lag ``l`` (``norms[:, 0]`` is 1).
    """
    J = state_jacobians(layer, x, state0)  # (B, T + 1, S, S)
    if part is not None:
        H = layer.hidden_size
        if isinstance(part, bool) or not isinstance(part, int) or not 0 <= part < layer.state_parts:
            raise ValueError(f"part: expected an index in [0, {layer.state_parts}), got {part!r}")
        J = J[..., part * H : (part + 1) * H, part * H : (part + 1) * H]
    norms = jacobian_norms(J)[:, ::-1]  # (B, T + 1): reorder k = T..0 as lag 0..T
    return np.arange(J.shape[1]), np.ascontiguousarray(norms)


def pascanu_regularizer(
    layer: RecurrentLayer, x: np.ndarray, d_state_last: np.ndarray, state0: Any = None
) -> tuple[float, np.ndarray]:
    r"""The regulariser of Pascanu et al. (2013), which asks each step to keep the gradient's norm.

    With :math:`g_T` = ``d_state_last`` (:math:`\partial L/\partial s_T`) and
    :math:`g_{k} = g_{k+1} J_{k+1}` the gradient that reaches :math:`s_k`,

    .. math::

        \Omega = \sum_{k=0}^{T-1}
                 \left( \frac{\lVert g_{k} \rVert}{\lVert g_{k+1} \rVert} - 1 \right)^2,

    averaged over the batch. :math:`\Omega = 0` exactly when no step shrinks or grows the
    gradient; a step after which :math:`g` is exactly 0 (all ReLUs off) counts as ratio 0.
    (The paper adds :math:`\lambda \Omega` to the loss; here it is only evaluated.)

    Parameters
    ----------
    layer, x, state0
        As for :func:`state_jacobians`.
    d_state_last : ndarray, shape (B, S)
        :math:`g_T`, for example the gradient of a loss on the last state.

    Returns
    -------
    omega : float
    grad_norms : ndarray, shape (B, T + 1)
        :math:`\lVert g_k \rVert` for :math:`k = 0, \dots, T`.
    """
    layer, cache = _check_layer_run(layer, x, state0)
    B, T, _ = cache.x.shape
    S = layer.state_parts * layer.hidden_size
    g = check_array(d_state_last, "d_state_last", shape=(B, S), legend="(B, S)")
    norms = np.empty((B, T + 1))
    norms[:, T] = np.linalg.norm(g, axis=1)
    for k, G in backward_chain(layer, g):
        norms[:, k] = np.linalg.norm(G, axis=1)
    ratios = np.zeros((B, T))  # (B, T): ‖g_k‖ / ‖g_{k+1}‖, 0 once g has vanished exactly
    np.divide(norms[:, :-1], norms[:, 1:], out=ratios, where=norms[:, 1:] > 0)
    return float(np.mean(np.sum((ratios - 1.0) ** 2, axis=1))), norms
