r"""Taking BPTT apart: Jacobians between states, the gradient as a sum over time, and cost.

For the Elman RNN :math:`h_t = \phi(a_t)`, :math:`a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1}
W_{hh}^\top + b_{hh}`, and a loss :math:`L = \sum_t L_t` in which :math:`L_t` depends on
:math:`h_t`, the gradient of any parameter :math:`\theta` is a double sum

.. math::

    \frac{\partial L}{\partial \theta} = \sum_{t=1}^{T} \sum_{k=1}^{t}
        \underbrace{\frac{\partial L_t}{\partial h_t}\,
        \frac{\partial h_t}{\partial h_k}\,
        \frac{\partial^+ h_k}{\partial \theta}}_{C_{t,k}},
    \qquad
    \frac{\partial h_t}{\partial h_k} = \prod_{i=t}^{k+1} \frac{\partial h_i}{\partial h_{i-1}}
        = J_t J_{t-1} \cdots J_{k+1}, \qquad J_i = \mathrm{diag}(\phi'(a_i))\, W_{hh},

where :math:`\partial^+ h_k / \partial \theta` is the *immediate* derivative, with
:math:`h_{k-1}` held fixed (Pascanu, Mikolov and Bengio, 2013). :math:`C_{t,k}` is how
much the parameter's use at step :math:`k` contributes to the loss at step :math:`t`.
:func:`temporal_contributions` computes every :math:`C_{t,k}`; BPTT computes only their sum.

In code, steps are 1-based where they name the book's :math:`t` and :math:`k`
(``h_t = hs[:, t - 1]``, :math:`h_0` is the cache's ``h0``), and contribution arrays are
indexed ``[t - 1, k - 1]``.

The module also holds the helpers that measure what BPTT costs: the bytes of a cache,
which are exact, wall time, which varies, and peak memory as traced by ``tracemalloc``,
which is reproducible to about a kilobyte.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_positive_int
from rnnbook.scratch.rnn import RNNCache
from rnnbook.scratch.truncated_bptt import Window


def _phi_prime(cache: RNNCache) -> np.ndarray:
    """:math:`\\phi'(a_t)` for every step, from the stored states: shape (B, T, H)."""
    if cache.nonlinearity == "tanh":
        return 1.0 - cache.hs**2  # tanh' = 1 - h^2
    return (cache.hs > 0).astype(cache.hs.dtype)  # ReLU' = [a > 0] = [h > 0]


def _check_cache(cache: object) -> RNNCache:
    if not isinstance(cache, RNNCache):
        raise TypeError(f"cache: expected an RNNCache, got {type(cache).__name__}")
    return cache


def step_jacobians(params: dict[str, np.ndarray], cache: RNNCache, b: int = 0) -> np.ndarray:
    r"""The one-step Jacobians :math:`J_t = \partial h_t / \partial h_{t-1}` of sequence ``b``.

    .. math::

        J_t = \mathrm{diag}(\phi'(a_t))\, W_{hh}, \qquad t = 1, \dots, T

    Parameters
    ----------
    params : dict
        The RNN's parameters.
    cache : RNNCache
        From :func:`~rnnbook.scratch.rnn.rnn_forward`.
    b : int
        Which sequence of the batch.

    Returns
    -------
    ndarray, shape (T, H, H)
        ``J[t - 1]`` is :math:`J_t`; row i, column j is :math:`\partial h_{t,i} / \partial
        h_{t-1,j}`.
    """
    cache = _check_cache(cache)
    B, T, H = cache.hs.shape
    if isinstance(b, bool) or not isinstance(b, int | np.integer) or not 0 <= b < B:
        raise ValueError(f"b: expected an index in [0, {B}), got {b!r}")
    d = _phi_prime(cache)[b]  # (T, H)
    return d[:, :, None] * params["weight_hh_l0"][None]  # (T, H, H): diag(phi') W_hh


def state_jacobian(
    params: dict[str, np.ndarray], cache: RNNCache, t: int, k: int, b: int = 0
) -> np.ndarray:
    r""":math:`\partial h_t / \partial h_k = J_t J_{t-1} \cdots J_{k+1}` for sequence ``b``.

    Parameters
    ----------
    t, k : int
        Book steps with :math:`0 \le k \le t \le T`; ``t == k`` gives the identity.

    Returns
    -------
    ndarray, shape (H, H)
    """
    T = _check_cache(cache).hs.shape[1]
    for name, value in (("t", t), ("k", k)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise TypeError(f"{name}: expected an int, got {type(value).__name__}")
    if not 0 <= k <= t <= T:
        raise ValueError(f"t, k: expected 0 <= k <= t <= T = {T}, got t = {t}, k = {k}")
    J = step_jacobians(params, cache, b)  # (T, H, H)
    out = np.eye(J.shape[1], dtype=J.dtype)
    for i in range(k + 1, t + 1):  # multiply on the left: J_i (J_{i-1} ... J_{k+1})
        out = J[i - 1] @ out
    return out


def temporal_contributions(
    params: dict[str, np.ndarray], cache: RNNCache, d_hs: np.ndarray
) -> dict[str, np.ndarray]:
    r"""Every term :math:`C_{t,k}` of the gradient, for every parameter, summed over the batch.

    ``d_hs[:, t - 1]`` is :math:`\partial L_t / \partial h_t`, the gradient the loss at
    step :math:`t` sends directly into :math:`h_t`. For each :math:`t`, the row vector
    :math:`v = \partial L_t / \partial h_t \cdot \partial h_t / \partial h_k` is carried
    from :math:`k = t` down to 1, and at each :math:`k`, with :math:`\delta = v \odot
    \phi'(a_k)`,

    .. math::

        C^{W_{hh}}_{t,k} = \delta^\top h_{k-1}, \qquad
        C^{W_{ih}}_{t,k} = \delta^\top x_k, \qquad
        C^{b_{ih}}_{t,k} = C^{b_{hh}}_{t,k} = \mathbf{1}^\top \delta, \qquad
        v \leftarrow \delta\, W_{hh} \ (= v J_k).

    Their sum over :math:`k \le t` and :math:`t` is :func:`~rnnbook.scratch.rnn.rnn_backward`'s
    gradient; this function costs :math:`O(T^2)` instead of :math:`O(T)` because it keeps
    every term apart.

    Parameters
    ----------
    params : dict
        The RNN's parameters.
    cache : RNNCache
    d_hs : ndarray, shape (B, T, H)

    Returns
    -------
    dict
        Same keys as ``params``; each value has shape ``(T, T, *param.shape)``, zero where
        ``k > t``.
    """
    cache = _check_cache(cache)
    B, T, H = cache.hs.shape
    d_hs = check_array(d_hs, "d_hs", shape=(B, T, H), legend="(B, T, H)")
    W_hh = params["weight_hh_l0"]
    phi_prime = _phi_prime(cache)  # (B, T, H)
    h_prev = np.concatenate([cache.h0[:, None], cache.hs[:, :-1]], axis=1)  # (B, T, H)
    out = {name: np.zeros((T, T, *p.shape), dtype=cache.hs.dtype) for name, p in params.items()}
    for t in range(1, T + 1):
        v = d_hs[:, t - 1]  # (B, H): dL_t/dh_t
        for k in range(t, 0, -1):
            delta = v * phi_prime[:, k - 1]  # (B, H): dL_t/da_k along paths through h_k
            out["weight_hh_l0"][t - 1, k - 1] = delta.T @ h_prev[:, k - 1]  # (H, H)
            out["weight_ih_l0"][t - 1, k - 1] = delta.T @ cache.x[:, k - 1]  # (H, D)
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


def cache_nbytes(obj: Any) -> int:
    """Bytes held by the arrays in a cache (a NamedTuple, tuple, list or dict of arrays)."""
    if isinstance(obj, np.ndarray):
        return int(obj.nbytes)
    if isinstance(obj, dict):
        return sum(cache_nbytes(v) for v in obj.values())
    if isinstance(obj, tuple | list):
        return sum(cache_nbytes(v) for v in obj)
    return 0


class Measurement(NamedTuple):
    """Wall time (seconds, best of the repeats) and peak traced memory (bytes)."""

    seconds: float
    peak_bytes: int


def measure(fn: Callable[[], object], repeat: int = 1) -> Measurement:
    """Time ``fn()`` (the best of ``repeat`` runs), then trace its peak memory in one more run.

    Memory is traced separately because ``tracemalloc`` slows every allocation down. The
    peak is the most memory Python and numpy held at once during the call, above what was
    held before it. The time varies from run to run and machine to machine: print it only
    in cells whose output is not compared. The peak moves by under a kilobyte between runs
    (the kernel's own allocations), so it can be printed rounded to 0.1 MB.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    repeat = check_positive_int(repeat, "repeat")
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    if not was_tracing:
        tracemalloc.stop()
    return Measurement(seconds=float(best), peak_bytes=int(peak - before))


def plot_contributions(
    norms: np.ndarray, mask: np.ndarray | None = None, ax: Any = None, floor: float = 1e-8
) -> Any:
    r"""Heat map of :math:`\lVert C_{t,k} \rVert` on a log scale, loss step down, use step across.

    Parameters
    ----------
    norms : ndarray, shape (T, T)
        From :func:`contribution_norms`.
    mask : ndarray of bool, shape (T, T), optional
        Terms a truncation keeps (:func:`truncation_mask`); the others are drawn faded.
    ax : matplotlib Axes, optional
    floor : float
        Norms below this are drawn as this (log scales cannot show 0).

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    norms = check_array(norms, "norms", shape=(None, None), legend="(T, T)")
    T = norms.shape[0]
    if ax is None:
        _, ax = plt.subplots()
    shown = np.where(np.tril(np.ones((T, T), dtype=bool)), np.maximum(norms, floor), np.nan)
    image = ax.imshow(
        shown,
        norm=LogNorm(vmin=max(floor, np.nanmin(shown)), vmax=np.nanmax(shown)),
        extent=(0.5, T + 0.5, T + 0.5, 0.5),
        interpolation="nearest",
    )
    if mask is not None:
        cut = ~np.asarray(mask, dtype=bool) & np.tril(np.ones((T, T), dtype=bool))
        veil = np.zeros((T, T, 4))
        veil[cut] = (1.0, 1.0, 1.0, 0.75)  # cut terms are drawn faded
        _ = ax.imshow(veil, extent=(0.5, T + 0.5, T + 0.5, 0.5), interpolation="nearest")
    ax.set_xlabel("step k where the parameter is used")
    ax.set_ylabel("step t of the loss")
    ax.grid(False)
    ax.figure.colorbar(image, ax=ax, label=r"$\|C_{t,k}\|$")
    return ax.figure


def plot_windows(windows: list[Window], ax: Any = None) -> Any:
    """Draw a TBPTT schedule: one row per update, reach-back in light, new losses in dark.

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    if not windows or not all(isinstance(w, Window) for w in windows):
        raise TypeError("windows: expected a non-empty list of Window, from tbptt_windows")
    if ax is None:
        _, ax = plt.subplots()
    for i, w in enumerate(windows):
        _ = ax.barh(i, w.loss_start - w.start, left=w.start, color="C0", alpha=0.35, height=0.7)
        _ = ax.barh(i, w.stop - w.loss_start, left=w.loss_start, color="C0", height=0.7)
    _ = ax.barh([], [], color="C0", alpha=0.35, label="steps only backpropagated through")
    _ = ax.barh([], [], color="C0", label="steps whose loss is new")
    ax.set_yticks(range(len(windows)))
    ax.set_yticklabels([f"update {i + 1}" for i in range(len(windows))])
    ax.invert_yaxis()
    ax.set_xlabel("step (0-based)")
    ax.set_xlim(0, windows[-1].stop)
    _ = ax.legend(loc="upper right", fontsize=8)
    return ax.figure
