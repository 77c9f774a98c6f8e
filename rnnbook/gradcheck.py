r"""Numerical gradient checking by central differences.

For a scalar loss :math:`L` and one entry :math:`\theta_i` of an array,

.. math::

    \frac{\partial L}{\partial \theta_i} \approx
    \frac{L(\theta + \varepsilon e_i) - L(\theta - \varepsilon e_i)}{2 \varepsilon},

with error :math:`O(\varepsilon^2)`. An analytic gradient :math:`a` is compared with the
numerical one :math:`n` by the relative error

.. math::

    \mathrm{rel}(a, n) = \frac{\lVert a - n \rVert_2}
                              {\max(\lVert a \rVert_2 + \lVert n \rVert_2,\ 10^{-300})},

which is near :math:`10^{-10}` for a correct float64 backward pass and near 1 for a wrong one.

Every gradient is checked through every path: :func:`check_layer` works with any scratch
layer that follows the book's layer protocol (:mod:`rnnbook.scratch.recurrent`):
``params`` (a dict of arrays), ``forward(x, state) -> (out, state_n)``,
``backward(d_out, d_state_n) -> (dx, d_state0)`` and ``grads`` (same keys as ``params``).
Its loss reads both ``out`` and ``state_n``, so a backward pass that ignores the gradient
arriving through the final state fails, and so does one that scales ``dx`` wrongly. A
state is one array or a tuple of arrays (the LSTM's ``(h, c)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from rnnbook.checks import check_array, check_positive_float


def relative_error(analytic: np.ndarray, numerical: np.ndarray) -> float:
    """The relative error between two arrays of the same shape (see the module docstring)."""
    analytic, numerical = np.asarray(analytic), np.asarray(numerical)
    if analytic.shape != numerical.shape:
        raise ValueError(
            "analytic and numerical: expected equal shapes, "
            f"got {analytic.shape} and {numerical.shape}"
        )
    diff = np.linalg.norm(analytic - numerical)
    scale = max(np.linalg.norm(analytic) + np.linalg.norm(numerical), 1e-300)
    return float(diff / scale)


def numerical_gradient(
    loss: Callable[[], float], array: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Central-difference gradient of ``loss()`` with respect to ``array``.

    ``array`` is perturbed in place, one entry at a time, and restored exactly; ``loss``
    must read it (a closure over the array, or over a dict holding it).

    Parameters
    ----------
    loss : callable
        Takes no arguments and returns a scalar.
    array : ndarray, float64
        The array to differentiate with respect to.
    eps : float
        The step :math:`\\varepsilon`.

    Returns
    -------
    ndarray, same shape as ``array``
    """
    check_array(array, "array")
    if array.dtype != np.float64:
        raise TypeError(f"array: expected float64 for a finite-difference check, got {array.dtype}")
    eps = check_positive_float(eps, "eps")
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    if not np.shares_memory(flat, array):
        raise ValueError("array: expected a contiguous array that can be perturbed in place")
    for i in range(flat.size):
        original = flat[i]
        flat[i] = original + eps
        plus = float(loss())
        flat[i] = original - eps
        minus = float(loss())
        flat[i] = original
        flat_grad[i] = (plus - minus) / (2 * eps)
    return grad


def _as_tuple(state: Any) -> tuple[np.ndarray, ...]:
    return state if isinstance(state, tuple) else (state,)


def _like(template: Any, arrays: tuple[np.ndarray, ...]) -> Any:
    return arrays if isinstance(template, tuple) else arrays[0]


def check_layer(
    layer: Any,
    x: np.ndarray,
    state0: Any = None,
    *,
    lengths: np.ndarray | None = None,
    rng: np.random.Generator | int | None = 0,
    eps: float = 1e-6,
) -> dict[str, float]:
    r"""Compare a layer's ``backward`` with central differences, for every array it touches.

    The scalar loss is a random projection of everything the layer returns,
    :math:`L = \sum \mathrm{out} \odot G_{out} + \sum \mathrm{state}_T \odot G_{state}`,
    so that every output element carries a different, known upstream gradient.

    Parameters
    ----------
    layer : scratch layer
        Follows the protocol in the module docstring; parameters must be float64.
    x : ndarray, shape (B, T, D), float64
    state0 : ndarray or tuple of ndarrays, optional
        Initial state. If given it is checked too; it is copied, never modified.
    lengths : ndarray of int, shape (B,), optional
        Passed to ``forward``, to check variable-length batches.
    rng : numpy.random.Generator or int
        Source of the upstream gradients.
    eps : float
        Finite-difference step.

    Returns
    -------
    dict[str, float]
        Relative error per parameter name, plus ``"x"`` and, if ``state0`` was given,
        ``"state0"`` (or ``"state0[i]"`` for tuple states).
    """
    rng = np.random.default_rng(rng)
    x = np.array(check_array(x, "x"), dtype=np.float64)  # a private copy we may perturb
    state0 = (
        None
        if state0 is None
        else _like(state0, tuple(np.array(s, dtype=np.float64) for s in _as_tuple(state0)))
    )
    kwargs = {} if lengths is None else {"lengths": lengths}
    out, state = layer.forward(x, state0, **kwargs)
    g_out = rng.standard_normal(out.shape)
    g_state = tuple(rng.standard_normal(s.shape) for s in _as_tuple(state))
    dx, dstate0 = layer.backward(g_out, _like(state, g_state))
    analytic = {name: g.copy() for name, g in layer.grads.items()}

    def loss() -> float:
        out, state = layer.forward(x, state0, **kwargs)
        return float(
            np.sum(out * g_out)
            + sum(np.sum(s * g) for s, g in zip(_as_tuple(state), g_state, strict=True))
        )

    errors = {
        name: relative_error(analytic[name], numerical_gradient(loss, p, eps))
        for name, p in layer.params.items()
    }
    errors["x"] = relative_error(dx, numerical_gradient(loss, x, eps))
    if state0 is not None:
        states, dstates = _as_tuple(state0), _as_tuple(dstate0)
        for i, (s, ds) in enumerate(zip(states, dstates, strict=True)):
            key = "state0" if len(states) == 1 else f"state0[{i}]"
            errors[key] = relative_error(ds, numerical_gradient(loss, s, eps))
    return errors


def check_function(
    f: Callable[..., Any],
    inputs: dict[str, np.ndarray],
    backward: Callable[[Any], dict[str, np.ndarray]],
    *,
    lengths: np.ndarray | None = None,
    rng: np.random.Generator | int | None = 0,
    eps: float = 1e-6,
) -> dict[str, float]:
    r"""Compare the analytic gradients of a function of several arrays with central differences.

    With :math:`y = f(x_1, \dots, x_n)` (one array or a tuple of arrays) and random
    upstream gradients :math:`G` of the same shapes, the scalar loss is
    :math:`L = \sum y \odot G`, and ``backward(G)`` must return
    :math:`\partial L / \partial x_i` for every input.

    Parameters
    ----------
    f : callable
        ``f(**inputs) -> output``, an ndarray or a tuple of ndarrays. It may be a stateful
        layer's forward: ``backward`` is called right after the first call of ``f``.
    inputs : dict[str, ndarray]
        Float64 arrays to differentiate with respect to. They are copied, never modified;
        keep inputs you do not differentiate (masks, token ids) in ``f``'s closure.
    backward : callable
        ``backward(G) -> dict`` mapping every name in ``inputs`` to its gradient, where
        ``G`` has the structure of ``f``'s output.
    rng : numpy.random.Generator or int
        Source of the upstream gradients.
    eps : float
        Finite-difference step.

    Returns
    -------
    dict[str, float]
        The relative error per input name.
    """
    if not isinstance(inputs, dict) or not inputs:
        raise TypeError(f"inputs: expected a non-empty dict of arrays, got {type(inputs).__name__}")
    copies = {}
    for name, x in inputs.items():
        x = check_array(x, f"inputs[{name!r}]")
        if x.dtype != np.float64:
            raise TypeError(
                f"inputs[{name!r}]: expected float64 for a finite-difference check, got {x.dtype}"
            )
        copies[name] = np.array(x, dtype=np.float64)  # a private copy we may perturb
    rng = np.random.default_rng(rng)
    out = f(**copies)
    outs = _as_tuple(out)
    g_outs = tuple(rng.standard_normal(np.shape(o)) for o in outs)
    analytic = backward(_like(out, g_outs))
    if not isinstance(analytic, dict) or set(analytic) != set(copies):
        got = sorted(analytic) if isinstance(analytic, dict) else type(analytic).__name__
        raise ValueError(f"backward: expected a dict with keys {sorted(copies)}, got {got}")
    analytic = {name: np.array(g, dtype=np.float64) for name, g in analytic.items()}

    def loss() -> float:
        outs = _as_tuple(f(**copies))
        return float(sum(np.sum(o * g) for o, g in zip(outs, g_outs, strict=True)))

    return {
        name: relative_error(analytic[name], numerical_gradient(loss, x, eps))
        for name, x in copies.items()
    }
