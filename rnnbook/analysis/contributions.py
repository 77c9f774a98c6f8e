r"""The BPTT gradient taken apart: one term per (loss step, use step) pair.

For the Elman RNN :math:`h_t = \sigma(a_t)`, :math:`a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1}
W_{hh}^\top + b_{hh}`, and a loss :math:`L = \sum_t L_t` in which :math:`L_t` depends on
:math:`h_t`, the gradient of any parameter :math:`\theta` is a double sum

.. math::

    \frac{\partial L}{\partial \theta} = \sum_{t=1}^{T} \sum_{k=1}^{t}
        \underbrace{\frac{\partial L_t}{\partial h_t}\,
        \frac{\partial h_t}{\partial h_k}\,
        \frac{\partial^+ h_k}{\partial \theta}}_{C_{t,k}},
    \qquad
    \frac{\partial h_t}{\partial h_k} = \prod_{i=t}^{k+1} \frac{\partial h_i}{\partial h_{i-1}}
        = J_t J_{t-1} \cdots J_{k+1}, \qquad J_i = \mathrm{diag}(\sigma'(a_i))\, W_{hh},

where :math:`\partial^+ h_k / \partial \theta` is the *immediate* derivative, with
:math:`h_{k-1}` held fixed (Pascanu, Mikolov and Bengio, 2013). :math:`C_{t,k}` is how
much the parameter's use at step :math:`k` contributes to the loss at step :math:`t`.
:func:`temporal_contributions` computes every :math:`C_{t,k}`; BPTT computes only their sum.

In code, steps are 1-based where they name the book's :math:`t` and :math:`k`
(``h_t = layer.states[:, t - 1]``), and contribution arrays are indexed ``[t - 1, k - 1]``.
The one-step Jacobians :math:`J_i` of any cell are in :mod:`rnnbook.analysis.jacobians`.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array, check_positive_int
from rnnbook.scratch.activations import activation
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.truncated_bptt import Window


def temporal_contributions(layer: RNN, d_hs: np.ndarray) -> dict[str, np.ndarray]:
    r"""Every term :math:`C_{t,k}` of the gradient, for every parameter, summed over the batch.

    ``d_hs[:, t - 1]`` is :math:`\partial L_t / \partial h_t`, the gradient the loss at
    step :math:`t` sends directly into :math:`h_t`. For each :math:`t`, the row vector
    :math:`v = \partial L_t / \partial h_t \cdot \partial h_t / \partial h_k` is carried
    from :math:`k = t` down to 1, and at each :math:`k`, with :math:`\delta = v \odot
    \sigma'(a_k)`,

    .. math::

        C^{W_{hh}}_{t,k} = \delta^\top h_{k-1}, \qquad
        C^{W_{ih}}_{t,k} = \delta^\top x_k, \qquad
        C^{b_{ih}}_{t,k} = C^{b_{hh}}_{t,k} = \mathbf{1}^\top \delta, \qquad
        v \leftarrow \delta\, W_{hh} \ (= v J_k).

    Their sum over :math:`k \le t` and :math:`t` is :meth:`RNN.backward`'s gradient; this
    function costs :math:`O(T^2)` instead of :math:`O(T)` because it keeps
    every term apart.

    Parameters
    ----------
    layer : RNN
        After a call to ``forward``; its parameters and stored states are used.
    d_hs : ndarray, shape (B, T, H)

    Returns
    -------
    dict
        Same keys as ``params``; each value has shape ``(T, T, *param.shape)``, zero where
        ``k > t``.
    """
    if not isinstance(layer, RNN):
        raise TypeError(f"layer: expected a scratch RNN, got {type(layer).__name__}")
    hs, x, params = layer.states, layer.cache.x, layer.params  # hs: (B, T, H)
    B, T, H = hs.shape
    d_hs = check_array(d_hs, "d_hs", shape=(B, T, H), legend="(B, T, H)")
    W_hh = params["weight_hh_l0"]
    phi_prime = activation(layer.nonlinearity).grad_from_output(hs)  # (B, T, H)
    h0 = layer.cache.state0[0]  # (B, H)
    h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (B, T, H)
    out = {name: np.zeros((T, T, *p.shape), dtype=hs.dtype) for name, p in params.items()}
    for t in range(1, T + 1):
        v = d_hs[:, t - 1]  # (B, H): dL_t/dh_t
        for k in range(t, 0, -1):
            delta = v * phi_prime[:, k - 1]  # (B, H): dL_t/da_k along paths through h_k
            out["weight_hh_l0"][t - 1, k - 1] = delta.T @ h_prev[:, k - 1]  # (H, H)
            out["weight_ih_l0"][t - 1, k - 1] = delta.T @ x[:, k - 1]  # (H, D)
            if "bias_ih_l0" in out:
                out["bias_ih_l0"][t - 1, k - 1] = delta.sum(axis=0)  # (H,)
                out["bias_hh_l0"][t - 1, k - 1] = delta.sum(axis=0)  # (H,)
            v = delta @ W_hh  # (B, H): one more Jacobian, v J_k = dL_t/dh_{k-1}
    return out


def contribution_norms(contributions: np.ndarray) -> np.ndarray:
    r"""The Frobenius norm :math:`\lVert C_{t,k} \rVert` of every term: shape (T, T)."""
    contributions = check_array(contributions, "contributions")
    if contributions.ndim < 2 or contributions.shape[0] != contributions.shape[1]:
        raise ValueError(f"contributions: expected shape (T, T, ...), got {contributions.shape}")
    T = contributions.shape[0]
    return np.sqrt((contributions.reshape(T, T, -1) ** 2).sum(axis=-1))


def truncation_mask(windows: list[Window], T: int) -> np.ndarray:
    r"""Which terms :math:`C_{t,k}` a TBPTT schedule keeps: a (T, T) boolean array.

    The loss at step :math:`t` is backpropagated in the window whose ``loss_start < t <=
    stop`` (1-based :math:`t`); it reaches back to step :math:`k` only if
    :math:`k > \text{start}` of that window. Without weight updates between windows, the
    sum of the kept terms is exactly the sum of the windows' gradients.
    """
    T = check_positive_int(T, "T")
    if not windows or not all(isinstance(w, Window) for w in windows):
        raise TypeError("windows: expected a non-empty list of Window, from tbptt_windows")
    mask = np.zeros((T, T), dtype=bool)
    for w in windows:
        for t in range(w.loss_start + 1, w.stop + 1):
            mask[t - 1, w.start : t] = True  # k = start + 1, ..., t
    return mask
