r"""Spectra, random recurrent matrices, the Pascanu bound, and fitted decay rates.

The gradient that step :math:`T` sends back to step :math:`k` passes through the product
of one Jacobian per step,

.. math::

    \frac{\partial h_T}{\partial h_k} = \prod_{t=k+1}^{T} \frac{\partial h_t}{\partial h_{t-1}}
    = \prod_{t=k+1}^{T} \operatorname{diag}\!\big(\sigma'(a_t)\big)\, W,
    \qquad a_t = W h_{t-1} + U x_t + b,

(column-vector notation; :math:`W` is ``weight_hh_l0``). :mod:`rnnbook.analysis.jacobians`
measures that product for any cell; this module holds the linear algebra around it: the
spectrum of :math:`W`, random matrices with a chosen spectral radius, the bound of
Pascanu, Mikolov and Bengio (2013),

.. math::

    \left\lVert \frac{\partial h_T}{\partial h_k} \right\rVert_2
    \le \big(\gamma\, s_{\max}(W)\big)^{T-k},
    \qquad \gamma = \sup_a |\sigma'(a)|,

with :math:`s_{\max}` the largest singular value, and a fit of the measured decay or
growth per step.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_float, check_positive_int
from rnnbook.initialization import orthogonal_from_gaussian

#: :math:`\gamma = \sup_a |\sigma'(a)|` for each nonlinearity (Pascanu et al., 2013).
GAMMA = {"identity": 1.0, "tanh": 1.0, "relu": 1.0, "sigmoid": 0.25}

MATRIX_KINDS = ("gaussian", "orthogonal", "symmetric")


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
    Q = orthogonal_from_gaussian(G)  # Haar-distributed orthogonal
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
