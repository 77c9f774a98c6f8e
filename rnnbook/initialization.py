r"""Weight initialisations for recurrent networks, in numpy.

The torch version, for the recurrent weights of ``torch.nn`` layers, is
:mod:`rnnbook.models.initialization`.

Each scheme fixes the *distribution* of a weight matrix so that something is preserved
from layer to layer, or from step to step. None of them makes the weights "close to 1":

* **Xavier/Glorot** (uniform or normal): :math:`\operatorname{Var}(W_{ij}) = 2 g^2 /
  (n_\text{in} + n_\text{out})`; keeps the variance of activations and of gradients
  about constant through linear or tanh layers (in their linear regime).
* **He/Kaiming** normal: :math:`\operatorname{Var}(W_{ij}) = 2 / n_\text{in}`; the same
  for ReLU layers, which zero half of their inputs.
* **orthogonal**: :math:`W = g Q` with :math:`Q^\top Q = I`; every singular value is
  :math:`g`, so :math:`\lVert W v \rVert = g \lVert v \rVert` for every vector v.
* **identity** (IRNN): :math:`W = g I`; every vector is kept exactly (for g = 1).

With H = 100 hidden units a Xavier weight has a standard deviation of 0.1 and a He weight 0.14:
what is close to 1 is a *variance ratio* or a *singular value*, not a weight.

The numpy functions take a ``numpy.random.Generator`` (or a seed) and follow
``torch.nn.init`` (same bounds and standard deviations; :func:`orthogonal` is the same
algorithm, so from the same Gaussian sample it returns the same matrix).
:func:`rnnbook.models.initialization.init_recurrent_` applies a scheme to the recurrent
weights of a ``torch.nn.RNN``/``LSTM``/``GRU``, one ``(H, H)`` gate block at a time.
:func:`propagate` measures what a stack of weight matrices preserves.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_float, check_positive_int

SCHEMES = ("xavier_uniform", "xavier_normal", "he_normal", "orthogonal", "identity")


def _check_shape(fan_out: int, fan_in: int) -> tuple[int, int]:
    return check_positive_int(fan_out, "fan_out"), check_positive_int(fan_in, "fan_in")


def xavier_uniform(
    fan_out: int, fan_in: int, rng: np.random.Generator | int, gain: float = 1.0
) -> np.ndarray:
    r"""Glorot and Bengio (2010), uniform version, as ``torch.nn.init.xavier_uniform_``.

    .. math::

        W_{ij} \sim \mathcal{U}(-a, a), \qquad
        a = g \sqrt{\frac{6}{n_\text{in} + n_\text{out}}}, \qquad
        \operatorname{Var}(W_{ij}) = \frac{2 g^2}{n_\text{in} + n_\text{out}}

    Parameters
    ----------
    fan_out, fan_in : int
        The shape ``(fan_out, fan_in)``, torch's layout (``weight`` of ``Linear(fan_in, fan_out)``).
    rng : numpy.random.Generator or int
    gain : float
        :math:`g`.

    Returns
    -------
    ndarray, shape (fan_out, fan_in)
    """
    fan_out, fan_in = _check_shape(fan_out, fan_in)
    gain = check_positive_float(gain, "gain")
    a = gain * np.sqrt(6.0 / (fan_in + fan_out))
    return np.random.default_rng(rng).uniform(-a, a, size=(fan_out, fan_in))


def xavier_normal(
    fan_out: int, fan_in: int, rng: np.random.Generator | int, gain: float = 1.0
) -> np.ndarray:
    r"""Glorot and Bengio (2010), normal version, as ``torch.nn.init.xavier_normal_``.

    .. math::

        W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{2 g^2}{n_\text{in} + n_\text{out}}\right)

    Returns
    -------
    ndarray, shape (fan_out, fan_in)
    """
    fan_out, fan_in = _check_shape(fan_out, fan_in)
    gain = check_positive_float(gain, "gain")
    std = gain * np.sqrt(2.0 / (fan_in + fan_out))
    return std * np.random.default_rng(rng).standard_normal((fan_out, fan_in))


def he_normal(
    fan_out: int, fan_in: int, rng: np.random.Generator | int, gain: float = np.sqrt(2.0)
) -> np.ndarray:
    r"""He et al. (2015), as ``torch.nn.init.kaiming_normal_(mode="fan_in", nonlinearity="relu")``.

    .. math::

        W_{ij} \sim \mathcal{N}\!\left(0,\ \frac{g^2}{n_\text{in}}\right), \qquad g = \sqrt{2}

    The factor 2 makes up for ReLU zeroing half of its inputs.

    Returns
    -------
    ndarray, shape (fan_out, fan_in)
    """
    fan_out, fan_in = _check_shape(fan_out, fan_in)
    gain = check_positive_float(gain, "gain")
    std = gain / np.sqrt(fan_in)
    return std * np.random.default_rng(rng).standard_normal((fan_out, fan_in))


def orthogonal_from_gaussian(G: np.ndarray, gain: float = 1.0) -> np.ndarray:
    r"""The QR step of :func:`orthogonal`, given its Gaussian sample ``G`` of shape (rows, cols).

    The one place in ``rnnbook`` that makes a matrix orthogonal. Scaling ``G`` by a
    positive number does not change the result.

    >>> W = orthogonal_from_gaussian(np.random.default_rng(0).standard_normal((3, 3)), gain=2.0)
    >>> bool(np.allclose(W.T @ W, 4 * np.eye(3)))
    True
    """
    G = check_array(G, "G", shape=(None, None), legend="(rows, cols)")
    gain = check_positive_float(gain, "gain")
    rows, cols = G.shape
    flat = G.T if rows < cols else G
    Q, R = np.linalg.qr(flat)  # reduced QR
    Q = Q * np.sign(np.diag(R))  # unique, Haar-distributed (Mezzadri 2007)
    return gain * (Q.T if rows < cols else Q)


def orthogonal(
    fan_out: int, fan_in: int, rng: np.random.Generator | int, gain: float = 1.0
) -> np.ndarray:
    r"""Saxe et al. (2014), as ``torch.nn.init.orthogonal_``.

    .. math::

        G_{ij} \sim \mathcal{N}(0, 1), \quad G = QR, \quad
        W = g\, Q \operatorname{diag}(\operatorname{sign} R_{ii})

    For a square W, :math:`W^\top W = g^2 I`: every singular value is :math:`g`, so
    :math:`\lVert W v \rVert = g \lVert v \rVert` for every v. A non-square W is
    semi-orthogonal (orthonormal rows or columns).

    Returns
    -------
    ndarray, shape (fan_out, fan_in)
    """
    fan_out, fan_in = _check_shape(fan_out, fan_in)
    gain = check_positive_float(gain, "gain")
    G = np.random.default_rng(rng).standard_normal((fan_out, fan_in))
    return orthogonal_from_gaussian(G, gain)


def identity(H: int, gain: float = 1.0) -> np.ndarray:
    r"""The scaled identity of Le, Jaitly and Hinton (2015), :math:`W = g I`, shape (H, H)."""
    H = check_positive_int(H, "H")
    gain = check_positive_float(gain, "gain")
    return gain * np.eye(H)


def recurrent_matrix(
    scheme: str, H: int, rng: np.random.Generator | int, gain: float | None = None
) -> np.ndarray:
    """An ``(H, H)`` recurrent matrix drawn with ``scheme`` (one of :data:`SCHEMES`).

    ``gain`` defaults to each scheme's own default (1, or :math:`\\sqrt{2}` for He).
    """
    scheme = check_choice(scheme, "scheme", SCHEMES)
    kwargs = {} if gain is None else {"gain": gain}
    if scheme == "identity":
        return identity(H, **kwargs)
    function = {
        "xavier_uniform": xavier_uniform,
        "xavier_normal": xavier_normal,
        "he_normal": he_normal,
        "orthogonal": orthogonal,
    }[scheme]
    return function(H, H, rng, **kwargs)


def propagate(
    weights: Sequence[np.ndarray], h0: np.ndarray, nonlinearity: str = "linear"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Push a batch through a stack of layers and a unit gradient back; return both variances.

    Forward and backward, with :math:`L` layers (pass the same W L times for a recurrence
    without input):

    .. math::

        h_l = \sigma(W_l h_{l-1}), \qquad
        g_L \sim \text{unit-variance noise}, \qquad
        g_{l-1} = W_l^\top \big(g_l \odot \sigma'(W_l h_{l-1})\big)

    Parameters
    ----------
    weights : sequence of ndarray, each (H, H)
    h0 : ndarray, shape (B, H)
        Input batch (rows are examples).
    nonlinearity : {"linear", "tanh", "relu"}

    Returns
    -------
    act_var : ndarray, shape (L + 1,)
        :math:`\operatorname{Var}(h_l)` over batch and units, for :math:`l = 0, \dots, L`.
    grad_var : ndarray, shape (L + 1,)
        :math:`\operatorname{Var}(g_l)` (mean square) for :math:`l = 0, \dots, L`, with
        :math:`g_L` a fixed standard-normal draw (seed 0) so runs are comparable.
    """
    nonlinearity = check_choice(nonlinearity, "nonlinearity", ("linear", "tanh", "relu"))
    if len(weights) == 0:
        raise ValueError("weights: expected at least one (H, H) matrix, got none")
    h0 = check_array(h0, "h0", shape=(None, None), legend="(B, H)")
    B, H = h0.shape
    Ws = [
        check_array(W, f"weights[{i}]", shape=(H, H), legend="(H, H)")
        for i, W in enumerate(weights)
    ]
    hs, pre = [h0], []
    for W in Ws:
        a = hs[-1] @ W.T  # (B, H)
        pre.append(a)
        if nonlinearity == "tanh":
            hs.append(np.tanh(a))
        elif nonlinearity == "relu":
            hs.append(np.maximum(a, 0.0))
        else:
            hs.append(a)
    g = np.random.default_rng(0).standard_normal((B, H))  # (B, H) upstream gradient at h_L
    grads = [g]
    for W, a, h in zip(reversed(Ws), reversed(pre), reversed(hs[1:]), strict=True):
        if nonlinearity == "tanh":
            g = g * (1.0 - h**2)  # through tanh
        elif nonlinearity == "relu":
            g = g * (a > 0)  # through ReLU
        g = g @ W  # back through W: (B, H)
        grads.append(g)
    act_var = np.array([np.mean(h**2) - np.mean(h) ** 2 for h in hs])
    grad_var = np.array([np.mean(g**2) for g in reversed(grads)])
    return act_var, grad_var
