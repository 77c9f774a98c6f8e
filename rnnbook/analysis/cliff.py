r"""The "cliff" of Pascanu, Mikolov and Bengio (2013): a one-unit RNN with a wall in its loss.

The model has one unit, a sigmoid :math:`s(\cdot)`, no input, and two parameters:

.. math::

    x_t = w\, s(x_{t-1}) + b, \qquad t = 1, \dots, T, \qquad x_0 = 0.5, \\
    L(w, b) = \big(s(x_T) - y^\ast\big)^2, \qquad T = 50, \quad y^\ast = 0.7.

For :math:`w` above about 4 the map :math:`x \mapsto w s(x) + b` can have two stable
fixed points. Which one :math:`x_T` ends near depends on which side of the unstable one
:math:`x_0` lies, so an infinitesimal change of :math:`(w, b)` can move :math:`s(x_T)`
from near 0 to near 1: the loss surface has a wall, and on the wall the gradient is huge.

Backpropagation through time, with :math:`g_t = \partial L / \partial x_t`:

.. math::

    g_T &= 2\big(s(x_T) - y^\ast\big)\, s(x_T)\big(1 - s(x_T)\big), \\
    g_{t-1} &= g_t\, w\, s(x_{t-1})\big(1 - s(x_{t-1})\big), \\
    \frac{\partial L}{\partial w} &= \sum_{t=1}^{T} g_t\, s(x_{t-1}), \qquad
    \frac{\partial L}{\partial b} = \sum_{t=1}^{T} g_t.

Every function here broadcasts over arrays of ``w`` and ``b``, so the whole loss surface
is one call; :mod:`rnnbook.plots.cliff` draws it.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_positive_float, check_positive_int
from rnnbook.scratch.clipping import clip_by_global_norm

T_CLIFF = 50
X0 = 0.5
TARGET = 0.7


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # = 1 / (1 + e^{-z}), without overflow


def _check_wb(w: object, b: object) -> tuple[np.ndarray, np.ndarray]:
    out = []
    for name, v in (("w", w), ("b", b)):
        arr = np.asarray(v)
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise TypeError(f"{name}: expected a real number or array, got dtype {arr.dtype}")
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}: expected finite real values, got {v!r}")
        out.append(arr.astype(np.float64))
    try:
        np.broadcast_shapes(out[0].shape, out[1].shape)
    except ValueError:
        raise ValueError(
            f"w and b: expected broadcastable shapes, got {out[0].shape} and {out[1].shape}"
        ) from None
    return out[0], out[1]


def cliff_forward(w: object, b: object, T: int = T_CLIFF, x0: float = X0) -> np.ndarray:
    r"""The states :math:`x_0, \dots, x_T` of :math:`x_t = w\, s(x_{t-1}) + b`.

    Parameters
    ----------
    w, b : float or ndarray
        Broadcast against each other; call their common shape S.
    T : int
    x0 : float

    Returns
    -------
    ndarray, shape (T + 1, *S)
    """
    w, b = _check_wb(w, b)
    T = check_positive_int(T, "T")
    shape = np.broadcast_shapes(w.shape, b.shape)
    xs = np.empty((T + 1, *shape))
    xs[0] = x0
    for t in range(1, T + 1):
        xs[t] = w * _sigmoid(xs[t - 1]) + b  # (*S)
    return xs


def cliff_loss(
    w: object, b: object, T: int = T_CLIFF, x0: float = X0, target: float = TARGET
) -> np.ndarray:
    r"""The loss :math:`L(w, b) = (s(x_T) - y^\ast)^2`, shape of ``w`` and ``b`` broadcast."""
    xs = cliff_forward(w, b, T, x0)
    return (_sigmoid(xs[-1]) - target) ** 2


def cliff_loss_and_grad(
    w: object, b: object, T: int = T_CLIFF, x0: float = X0, target: float = TARGET
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""The loss and its exact gradient by backpropagation through time (module docstring).

    Parameters
    ----------
    w, b : float or ndarray
        Broadcast against each other; call their common shape S.
    T, x0, target
        The model's constants (50, 0.5 and 0.7 in the paper).

    Returns
    -------
    loss, dw, db : ndarray, each of shape S
    """
    xs = cliff_forward(w, b, T, x0)  # (T + 1, *S)
    w = np.asarray(w, dtype=np.float64)
    s = _sigmoid(xs)  # (T + 1, *S)
    loss = (s[-1] - target) ** 2
    g = 2.0 * (s[-1] - target) * s[-1] * (1.0 - s[-1])  # through the loss and s(x_T)
    dw = np.zeros_like(g)
    db = np.zeros_like(g)
    for t in range(T, 0, -1):
        dw = dw + g * s[t - 1]  # x_t = w s(x_{t-1}) + b: ∂x_t/∂w = s(x_{t-1})
        db = db + g  # ∂x_t/∂b = 1
        g = g * w * s[t - 1] * (1.0 - s[t - 1])  # back into x_{t-1}: w s'(x_{t-1})
    return loss, dw, db


class CliffRun(NamedTuple):
    """A gradient-descent trajectory on the cliff model.

    Attributes
    ----------
    params : ndarray, shape (steps + 1, 2)
        :math:`(w, b)` before each step and after the last.
    loss : ndarray, shape (steps + 1,)
        The loss at each row of ``params``.
    grad_norm : ndarray, shape (steps,)
        :math:`\\lVert \\nabla L \\rVert_2` at each step, before clipping.
    step_size : ndarray, shape (steps,)
        The length of each parameter update.
    """

    params: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    step_size: np.ndarray


def descend(
    w0: float,
    b0: float,
    lr: float,
    steps: int,
    clip_norm: float | None = None,
    T: int = T_CLIFF,
) -> CliffRun:
    r"""Plain gradient descent on :math:`L(w, b)`, optionally clipping the gradient's norm.

    .. math::

        g = \nabla L(\theta), \qquad
        g \leftarrow g \min\!\left(1, \frac{c}{\lVert g \rVert + 10^{-6}}\right)
        \ \text{(if clipping)}, \qquad
        \theta \leftarrow \theta - \eta\, g

    The clipping is :func:`rnnbook.clipping.clip_by_global_norm`.

    Parameters
    ----------
    w0, b0 : float
        The start.
    lr : float
        :math:`\eta`.
    steps : int
    clip_norm : float, optional
        The threshold :math:`c`; ``None`` for no clipping.
    T : int

    Returns
    -------
    CliffRun
    """
    w, b = (float(v) for v in _check_wb(w0, b0))
    lr = check_positive_float(lr, "lr")
    steps = check_positive_int(steps, "steps")
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm")
    params = np.empty((steps + 1, 2))
    losses = np.empty(steps + 1)
    norms = np.empty(steps)
    for i in range(steps):
        loss, dw, db = cliff_loss_and_grad(w, b, T)
        params[i], losses[i] = (w, b), loss
        grads = {"w": np.atleast_1d(dw), "b": np.atleast_1d(db)}
        norms[i] = np.hypot(dw, db)
        if clip_norm is not None:
            clip_by_global_norm(grads, clip_norm)  # rescales in place, keeps the direction
        w, b = w - lr * float(grads["w"][0]), b - lr * float(grads["b"][0])
    params[steps], losses[steps] = (w, b), cliff_loss(w, b, T)
    step_size = np.linalg.norm(np.diff(params, axis=0), axis=1)
    return CliffRun(params=params, loss=losses, grad_norm=norms, step_size=step_size)
