r"""An affine output layer in numpy, with its backward pass: the readout :math:`V h_t + c`.

Applied to every step at once, with rows as in the rest of the code:

.. math::

    z_t = h_t W^\top + b,

where ``weight`` :math:`W` has shape ``(V, H)`` (the book's :math:`V`) and ``bias``
:math:`b` shape ``(V,)`` (the book's :math:`c`): the names and layout of
``torch.nn.Linear(H, V)``.
"""

from __future__ import annotations

import numpy as np


def linear_forward(params: dict[str, np.ndarray], h: np.ndarray) -> np.ndarray:
    r"""Apply the layer to the last axis of ``h``.

    .. math::

        z = h W^\top + b

    Parameters
    ----------
    params : dict
        ``weight`` (V, H) and ``bias`` (V,).
    h : ndarray, shape (..., H)
        For example the hidden states ``(B, T, H)``.

    Returns
    -------
    z : ndarray, shape (..., V)
    """
    W, b = params["weight"], params["bias"]
    if h.shape[-1] != W.shape[1]:
        raise ValueError(f"h: expected shape (..., {W.shape[1]}) (..., H), got {h.shape}")
    return h @ W.T + b  # (..., V)


def linear_backward(
    params: dict[str, np.ndarray], h: np.ndarray, d_z: np.ndarray
) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    r"""Backward pass of :func:`linear_forward`.

    .. math::

        \frac{\partial L}{\partial h} = \frac{\partial L}{\partial z} W, \qquad
        \frac{\partial L}{\partial W} = \sum_{\text{rows}}
            \Big(\frac{\partial L}{\partial z}\Big)^\top h, \qquad
        \frac{\partial L}{\partial b} = \sum_{\text{rows}} \frac{\partial L}{\partial z}

    Parameters
    ----------
    params : dict
        ``weight`` (V, H) and ``bias`` (V,).
    h : ndarray, shape (..., H)
        The input of the forward pass.
    d_z : ndarray, shape (..., V)
        Gradient of the loss with respect to the output.

    Returns
    -------
    dh : ndarray, shape (..., H)
    grads : dict
        ``weight`` (V, H) and ``bias`` (V,).
    """
    W = params["weight"]
    V, H = W.shape
    if d_z.shape != (*h.shape[:-1], V):
        raise ValueError(f"d_z: expected shape {(*h.shape[:-1], V)}, got {d_z.shape}")
    flat_dz, flat_h = d_z.reshape(-1, V), h.reshape(-1, H)  # (N, V), (N, H): rows are steps
    grads = {
        "weight": flat_dz.T @ flat_h,  # (V, H): sum over rows of dz^T h
        "bias": flat_dz.sum(axis=0),  # (V,)
    }
    dh = d_z @ W  # (..., H): back through z = h W^T
    return dh, grads
