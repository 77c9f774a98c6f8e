r"""How gradients travel back through time in an Elman RNN: measured, bounded and fitted.

The gradient that step :math:`T` sends back to step :math:`k` passes through the product
of one Jacobian per step,

.. math::

    \frac{\partial h_T}{\partial h_k} = \prod_{t=k+1}^{T} \frac{\partial h_t}{\partial h_{t-1}}
    = \prod_{t=k+1}^{T} \operatorname{diag}\!\big(\sigma'(a_t)\big)\, W,
    \qquad a_t = W h_{t-1} + U x_t + b,

(column-vector notation; :math:`W` is ``weight_hh_l0``). This module measures that product
with the scratch RNN's own backward pass (:func:`rnnbook.scratch.rnn.rnn_backward`),
computes the bound of Pascanu, Mikolov and Bengio (2013),

.. math::

    \left\lVert \frac{\partial h_T}{\partial h_k} \right\rVert_2
    \le \big(\gamma\, s_{\max}(W)\big)^{T-k},
    \qquad \gamma = \sup_a |\sigma'(a)|,

with :math:`s_{\max}` the largest singular value, and fits the measured decay or growth
per step. ``"linear"`` units (:math:`\sigma(a) = a`) are handled here with a two-line step,
since the scratch RNN only offers ``"tanh"`` and ``"relu"``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_float, check_positive_int
from rnnbook.scratch.rnn import RNNCache, rnn_backward, rnn_forward

#: Units whose gradient flow this module can measure.
UNITS = ("linear", "tanh", "relu")

#: :math:`\gamma = \sup_a |\sigma'(a)|` for each nonlinearity (Pascanu et al., 2013).
GAMMA = {"linear": 1.0, "tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}

MATRIX_KINDS = ("gaussian", "orthogonal", "symmetric")


# --- spectral tools ---------------------------------------------------------------------


def _check_square(W: np.ndarray, name: str = "W") -> np.ndarray:
    W = check_array(W, name, shape=(None, None), legend="(H, H)")
    if W.shape[0] != W.shape[1] or W.shape[0] == 0:
        raise ValueError(f"{name}: expected a non-empty square matrix (H, H), got shape {W.shape}")
    return W


def spectral_radius(W: np.ndarray) -> float:
    r"""The largest eigenvalue modulus, :math:`\rho(W) = \max_i |\lambda_i(W)|`.

    Parameters
    ----------
    W : ndarray, shape (H, H)
    """
    W = _check_square(W)
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def singular_values(W: np.ndarray) -> np.ndarray:
    r"""The singular values :math:`s_1 \ge \dots \ge s_H` of ``W``, largest first.

    Parameters
    ----------
    W : ndarray, shape (H, H)

    Returns
    -------
    ndarray, shape (H,)
    """
    W = _check_square(W)
    return np.linalg.svd(W, compute_uv=False)


def random_recurrent_matrix(
    H: int, spectral_radius: float, rng: np.random.Generator | int, kind: str = "gaussian"
) -> np.ndarray:
    r"""A random ``(H, H)`` recurrent matrix with a chosen spectral radius :math:`\rho`.

    .. math::

        \text{gaussian: } W = \rho\, G / \rho(G),\ G_{ij} \sim \mathcal{N}(0, 1/H); \qquad
        \text{orthogonal: } W = \rho\, Q,\ Q^\top Q = I; \qquad
        \text{symmetric: } W = Q \operatorname{diag}(\lambda) Q^\top,\ \lambda_i \in [-\rho, \rho]

    The orthogonal kind has every singular value equal to :math:`\rho`; the symmetric kind
    has :math:`\lambda_1 = \rho` exactly and the other eigenvalues uniform in
    :math:`[-\rho, \rho]`; the Gaussian kind is non-normal, so its largest singular value
    exceeds :math:`\rho` (about :math:`2\rho` for large H).

    Parameters
    ----------
    H : int
    spectral_radius : float
        The target :math:`\rho > 0`.
    rng : numpy.random.Generator or int
    kind : {"gaussian", "orthogonal", "symmetric"}

    Returns
    -------
    ndarray, shape (H, H), float64
    """
    H = check_positive_int(H, "H")
    rho = check_positive_float(spectral_radius, "spectral_radius")
    kind = check_choice(kind, "kind", MATRIX_KINDS)
    rng = np.random.default_rng(rng)
    G = rng.standard_normal((H, H)) / np.sqrt(H)
    if kind == "gaussian":
        return rho * G / np.max(np.abs(np.linalg.eigvals(G)))
    Q, R = np.linalg.qr(G)
    Q = Q * np.sign(np.diag(R))  # make the factorisation unique (Haar-distributed Q)
    if kind == "orthogonal":
        return rho * Q
    lam = rng.uniform(-rho, rho, size=H)
    lam[0] = rho
    return (Q * lam) @ Q.T  # Q diag(λ) Qᵀ


def pascanu_bound(W: np.ndarray, nonlinearity: str, lags: np.ndarray) -> np.ndarray:
    r"""Pascanu's bound :math:`(\gamma\, s_{\max})^{\ell}` on the norm at lag :math:`\ell`.

    Each Jacobian is :math:`\operatorname{diag}(\sigma'(a_t)) W`, whose norm is at most
    :math:`\gamma\, s_{\max}(W)`; the norm of a product is at most the product of norms.
    So :math:`s_{\max}(W) < 1/\gamma` is **sufficient** for vanishing, and
    :math:`s_{\max}(W) > 1/\gamma` is **necessary** for exploding.

    Parameters
    ----------
    W : ndarray, shape (H, H)
    nonlinearity : {"linear", "tanh", "relu", "sigmoid"}
    lags : array_like of int, shape (L,)
        The lags :math:`\ell = T - k \ge 0`.

    Returns
    -------
    ndarray, shape (L,)
    """
    W = _check_square(W)
    nonlinearity = check_choice(nonlinearity, "nonlinearity", tuple(GAMMA))
    lags = np.asarray(lags)
    if not np.issubdtype(lags.dtype, np.integer) or lags.ndim != 1 or np.any(lags < 0):
        raise ValueError(f"lags: expected a 1-D array of integers >= 0, got {lags!r}")
    s_max = float(singular_values(W)[0])
    return (GAMMA[nonlinearity] * s_max) ** lags.astype(np.float64)


def linear_states(W: np.ndarray, h0: np.ndarray, T: int) -> np.ndarray:
    r"""Iterate the linear, input-free recurrence :math:`h_t = W h_{t-1}` for ``T`` steps.

    .. math::

        h_t = W h_{t-1} = W^t h_0

    Parameters
    ----------
    W : ndarray, shape (H, H)
    h0 : ndarray, shape (H,)
    T : int

    Returns
    -------
    ndarray, shape (T + 1, H)
        :math:`h_0, \dots, h_T`.
    """
    W = _check_square(W)
    H = W.shape[0]
    h0 = check_array(h0, "h0", shape=(H,), legend="(H,)")
    T = check_positive_int(T, "T")
    hs = np.empty((T + 1, H))
    hs[0] = h0
    for t in range(1, T + 1):
        hs[t] = W @ hs[t - 1]  # (H,)
    return hs


def eigen_states(W: np.ndarray, h0: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    r"""The same states as :func:`linear_states`, through the eigendecomposition of a symmetric W.

    .. math::

        W = Q D Q^\top \ \Rightarrow\ h_t = Q D^t Q^\top h_0, \qquad
        c_t = Q^\top h_t = D^t c_0,

    so the coordinate of :math:`h_t` along eigenvector :math:`q_i` is :math:`\lambda_i^t`
    times its initial value.

    Parameters
    ----------
    W : ndarray, shape (H, H), symmetric
    h0 : ndarray, shape (H,)
    T : int

    Returns
    -------
    hs : ndarray, shape (T + 1, H)
        :math:`h_0, \dots, h_T`.
    coords : ndarray, shape (T + 1, H)
        :math:`c_t = Q^\top h_t`, eigenvalues in ascending order (as ``numpy.linalg.eigh``).
    """
    W = _check_square(W)
    if not np.allclose(W, W.T, rtol=0, atol=1e-12 * max(1.0, float(np.abs(W).max()))):
        raise ValueError("W: expected a symmetric matrix, got W != W.T")
    H = W.shape[0]
    h0 = check_array(h0, "h0", shape=(H,), legend="(H,)")
    T = check_positive_int(T, "T")
    lam, Q = np.linalg.eigh(W)
    powers = lam[None, :] ** np.arange(T + 1)[:, None]  # (T + 1, H): D^t on the diagonal
    coords = powers * (Q.T @ h0)[None, :]  # (T + 1, H): c_t = D^t Qᵀ h_0
    return coords @ Q.T, coords  # h_t = Q c_t


# --- measuring dh_T/dh_k with the scratch backward pass ----------------------------------


def _check_params(params: dict[str, np.ndarray]) -> tuple[int, int]:
    if not isinstance(params, dict) or "weight_hh_l0" not in params or "weight_ih_l0" not in params:
        raise TypeError(
            "params: expected a dict with 'weight_ih_l0' and 'weight_hh_l0', "
            f"got {type(params).__name__}"
        )
    W_hh = _check_square(params["weight_hh_l0"], "params['weight_hh_l0']")
    H = W_hh.shape[0]
    W_ih = check_array(params["weight_ih_l0"], "params['weight_ih_l0']", shape=(H, None))
    return H, W_ih.shape[1]


def _check_run(
    params: dict[str, np.ndarray], x: np.ndarray, h0: np.ndarray, nonlinearity: str
) -> tuple[str, np.ndarray, np.ndarray]:
    """Check the arguments of one run of the recurrence: x (B, T, D) and h0 (B, H)."""
    nonlinearity = check_choice(nonlinearity, "nonlinearity", UNITS)
    H, D = _check_params(params)
    x = check_array(x, "x", shape=(None, None, D), legend="(B, T, D)")
    B, T, _ = x.shape
    if B == 0 or T == 0:
        raise ValueError(f"x: expected at least one sequence and one step, got shape {x.shape}")
    h0 = check_array(h0, "h0", shape=(B, H), legend="(B, H)")
    return nonlinearity, x, h0


def state_jacobians(
    params: dict[str, np.ndarray], x: np.ndarray, h0: np.ndarray, nonlinearity: str = "tanh"
) -> np.ndarray:
    r"""Every Jacobian :math:`\partial h_T / \partial h_k`, for :math:`k = 0, \dots, T`.

    The states come from :func:`~rnnbook.scratch.rnn.rnn_forward`. Then one backward sweep
    starts at step T with the H unit vectors (one batch row each) and chains
    :func:`~rnnbook.scratch.rnn.rnn_backward` one step at a time, recording the gradient
    that reaches every :math:`h_k`:

    .. math::

        G_T = I, \qquad
        G_{k-1} = G_k \frac{\partial h_k}{\partial h_{k-1}}
                = \big(G_k \odot \sigma'(a_k)\big) W_{hh}, \qquad
        G_k = \frac{\partial h_T}{\partial h_k}.

    For ``"linear"`` units :math:`\sigma'(a) = 1` and :math:`G_k = W_{hh}^{T-k}`.

    Parameters
    ----------
    params : dict
        The scratch RNN's parameters (``RNN.params``).
    x : ndarray, shape (B, T, D)
    h0 : ndarray, shape (B, H)
    nonlinearity : {"linear", "tanh", "relu"}

    Returns
    -------
    ndarray, shape (B, T + 1, H, H)
        ``J[b, k]`` is :math:`\partial h_T / \partial h_k` for sequence ``b``
        (row i, column j: :math:`\partial h_{T,i} / \partial h_{k,j}`); ``J[:, T]`` is I.
    """
    nonlinearity, x, h0 = _check_run(params, x, h0, nonlinearity)
    B, T, D = x.shape
    H = h0.shape[1]
    J = np.empty((B, T + 1, H, H))
    J[:, T] = np.eye(H)
    G_T = np.tile(np.eye(H), (B, 1))  # (B*H, H): row b*H + i is e_iᵀ for sequence b
    for t, G in _backward_chain(params, x, h0, nonlinearity, G_T):
        J[:, t] = G.reshape(B, H, H)
    return J


def _backward_chain(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    h0: np.ndarray,
    nonlinearity: str,
    G: np.ndarray,
) -> Iterator[tuple[int, np.ndarray]]:
    """Yield ``(t, G_t)`` for t = T-1, ..., 0, chaining one-step backward passes from ``G``.

    ``G`` has R rows per sequence, shape (B*R, H); the states are repeated to match.
    Arguments are already checked.
    """
    B, T, D = x.shape
    R = G.shape[0] // B
    W_hh = params["weight_hh_l0"]
    if nonlinearity != "linear":
        hs, _ = rnn_forward(params, x, h0, nonlinearity)  # (B, T, H)
        h_prev = np.concatenate([h0[:, None], hs[:, :-1]], axis=1)  # (B, T, H): h_0..h_{T-1}
    zero_out = np.zeros((G.shape[0], 1, G.shape[1]))  # no gradient enters through the outputs
    for t in reversed(range(T)):  # the step from h_t to h_{t+1} (0-based x[:, t])
        if nonlinearity == "linear":
            G = G @ W_hh  # through the linear step: ∂h_{t+1}/∂h_t = W_hh
        else:
            step = RNNCache(  # the one-step cache rnn_forward would have kept
                x=np.repeat(x[:, t : t + 1], R, axis=0),  # (B*R, 1, D)
                h0=np.repeat(h_prev[:, t], R, axis=0),  # (B*R, H)
                hs=np.repeat(hs[:, t : t + 1], R, axis=0),  # (B*R, 1, H)
                nonlinearity=nonlinearity,
            )
            _, G, _ = rnn_backward(params, step, zero_out, d_h_last=G)  # G ← (G ⊙ σ') W_hh
        yield t, G


def pascanu_regularizer(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    h0: np.ndarray,
    d_h_last: np.ndarray,
    nonlinearity: str = "tanh",
) -> tuple[float, np.ndarray]:
    r"""The regulariser of Pascanu et al. (2013), which asks each step to keep the gradient's norm.

    With :math:`g_T` = ``d_h_last`` (:math:`\partial L/\partial h_T`) and
    :math:`g_{k} = g_{k+1}\, \partial h_{k+1} / \partial h_k` the gradient that reaches
    :math:`h_k`,

    .. math::

        \Omega = \sum_{k=0}^{T-1}
                 \left( \frac{\lVert g_{k} \rVert}{\lVert g_{k+1} \rVert} - 1 \right)^2,

    averaged over the batch. :math:`\Omega = 0` exactly when no step shrinks or grows the
    gradient. A step after which :math:`g` is exactly 0 (all ReLUs off) counts as ratio 0.
    (The paper adds :math:`\lambda \Omega` to the loss and treats
    :math:`g_{k+1}` as a constant when differentiating it; here we only evaluate it.)

    Parameters
    ----------
    params, x, h0, nonlinearity
        As for :func:`state_jacobians`.
    d_h_last : ndarray, shape (B, H)
        :math:`g_T`, for example the gradient of a loss on the last state.

    Returns
    -------
    omega : float
    grad_norms : ndarray, shape (B, T + 1)
        :math:`\lVert g_k \rVert` for :math:`k = 0, \dots, T`.
    """
    nonlinearity, x, h0 = _check_run(params, x, h0, nonlinearity)
    B, T, D = x.shape
    H = h0.shape[1]
    d_h_last = check_array(d_h_last, "d_h_last", shape=(B, H), legend="(B, H)")
    norms = np.empty((B, T + 1))
    norms[:, T] = np.linalg.norm(d_h_last, axis=1)
    for t, G in _backward_chain(params, x, h0, nonlinearity, d_h_last):
        norms[:, t] = np.linalg.norm(G, axis=1)
    ratios = np.zeros((B, T))  # (B, T): ‖g_k‖ / ‖g_{k+1}‖, 0 once g has vanished exactly
    np.divide(norms[:, :-1], norms[:, 1:], out=ratios, where=norms[:, 1:] > 0)
    return float(np.mean(np.sum((ratios - 1.0) ** 2, axis=1))), norms


def jacobian_norms(J: np.ndarray) -> np.ndarray:
    r"""Spectral norms :math:`\lVert J \rVert_2` (largest singular value) over the last two axes.

    Parameters
    ----------
    J : ndarray, shape (..., H, H)

    Returns
    -------
    ndarray, shape (...)
    """
    J = np.asarray(J)
    if J.ndim < 2 or not np.issubdtype(J.dtype, np.floating):
        raise ValueError(f"J: expected a float array of shape (..., H, H), got {J.dtype} {J.shape}")
    if not np.isfinite(J).all():
        raise ValueError("J: expected finite values, got NaN or infinite entries")
    return np.linalg.norm(J, ord=2, axis=(-2, -1))


def gradient_norms_by_lag(
    params: dict[str, np.ndarray], x: np.ndarray, h0: np.ndarray, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Measure :math:`\lVert \partial h_T / \partial h_{T-\ell} \rVert_2` for every lag.

    .. math::

        n_\ell = \left\lVert \frac{\partial h_T}{\partial h_{T-\ell}} \right\rVert_2,
        \qquad \ell = 0, \dots, T

    Parameters
    ----------
    params, x, h0, nonlinearity
        As for :func:`state_jacobians`.

    Returns
    -------
    lags : ndarray of int, shape (T + 1,)
        :math:`0, 1, \dots, T`.
    norms : ndarray, shape (B, T + 1)
        ``norms[b, l]`` for sequence ``b`` at lag ``l`` (``norms[:, 0]`` is 1).
    """
    J = state_jacobians(params, x, h0, nonlinearity)  # (B, T + 1, H, H)
    norms = jacobian_norms(J)[:, ::-1]  # (B, T + 1): reorder k = T..0 as lag 0..T
    return np.arange(J.shape[1]), np.ascontiguousarray(norms)


def fit_rate(lags: np.ndarray, norms: np.ndarray, min_lag: int = 1) -> float:
    r"""The per-step factor :math:`r` of a geometric fit :math:`n_\ell \approx C r^\ell`.

    A least-squares line through :math:`(\ell, \log n_\ell)` over the lags
    :math:`\ell \ge` ``min_lag`` whose norm is positive; with several sequences, their log
    norms are averaged first (a geometric mean). :math:`r < 1` means the gradient vanishes
    by a factor :math:`r` per step, :math:`r > 1` that it explodes.

    .. math::

        \log n_\ell \approx \log C + \ell \log r

    Parameters
    ----------
    lags : ndarray of int, shape (L,)
    norms : ndarray, shape (L,) or (B, L)
    min_lag : int
        Skip the first lags, where a non-normal W shows transient growth.

    Returns
    -------
    float
        :math:`r = e^{\text{slope}}`.
    """
    lags = np.asarray(lags)
    norms = np.atleast_2d(np.asarray(norms, dtype=np.float64))
    if lags.ndim != 1 or norms.shape[-1] != lags.shape[0]:
        raise ValueError(
            f"lags and norms: expected shapes (L,) and (L,) or (B, L), got {lags.shape} "
            f"and {norms.shape}"
        )
    if isinstance(min_lag, bool) or not isinstance(min_lag, int | np.integer) or min_lag < 0:
        raise ValueError(f"min_lag: expected an integer >= 0, got {min_lag!r}")
    with np.errstate(divide="ignore"):
        log_n = np.log(norms).mean(axis=0)  # (L,) log of the geometric mean
    keep = (lags >= min_lag) & np.isfinite(log_n)
    if keep.sum() < 2:
        raise ValueError(
            f"norms: expected at least two positive, finite norms at lags >= {min_lag}, "
            f"got {int(keep.sum())}"
        )
    slope, _ = np.polyfit(lags[keep].astype(np.float64), log_n[keep], deg=1)
    return float(np.exp(slope))
