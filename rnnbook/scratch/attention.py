r"""Attention in numpy: a masked softmax and four score functions, backward passes by hand.

A decoder step attends over the encoder's states: with a query :math:`q` (the decoder's
state), keys :math:`k_j` and values :math:`v_j` (both usually the encoder's states),

.. math::

    e_j = \mathrm{score}(q, k_j), \qquad \alpha = \mathrm{softmax}_m(e), \qquad
    c = \sum_j \alpha_j v_j,

where :math:`m_j \in \{0, 1\}` says whether position :math:`j` may be attended to
(padding may not). The scores: :class:`AdditiveAttention` :math:`v^\top \tanh(W_q q + W_k k)`
(Bahdanau et al. 2014), :class:`DotAttention` :math:`q^\top k` and :class:`GeneralAttention`
:math:`q^\top W k` (Luong et al. 2015), :class:`ScaledDotAttention` :math:`q^\top k/\sqrt{H_k}`
(Vaswani et al. 2017).

Shapes: ``B`` batch, ``T_src`` source positions, ``H_q``/``H_k``/``H_v`` the widths of
query, keys and values, ``A`` the additive score's width. ``grads`` has the keys of ``params``
(empty for the dot scores): the ``named_parameters()`` of the torch twin of the same name in
:mod:`rnnbook.models.attention`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_positive_int, check_rng

Seed = np.random.Generator | int
F64 = np.float64


def _check_mask(mask: object, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise TypeError(f"mask: expected a boolean array (True = may attend), got {mask.dtype}")
    pairs = zip(mask.shape[::-1], shape[::-1], strict=False)  # aligned from the last axis
    if mask.ndim > len(shape) or any(m not in (1, s) for m, s in pairs):
        raise ValueError(f"mask: expected a shape broadcastable to {shape}, got {mask.shape}")
    return np.broadcast_to(mask, shape)


def masked_softmax(scores: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    r"""Softmax over the last axis, restricted to the positions ``mask`` allows.

    .. math::

        \alpha_j = \frac{m_j \exp(e_j - e^\ast)}{\sum_k m_k \exp(e_k - e^\ast)}, \qquad
        e^\ast = \max_{k:\, m_k = 1} e_k

    A masked position gets weight exactly 0, whatever its score: :math:`\exp(-\infty) = 0`.

    Parameters
    ----------
    scores : ndarray, shape (..., T)
    mask : ndarray of bool, broadcastable to ``scores.shape``, optional
        True where a position may be attended to. ``None`` allows every position.

    Returns
    -------
    weights : ndarray, shape (..., T)
        Non-negative, summing to 1 over the last axis. A row with no allowed position
        (whose softmax is undefined) raises ``ValueError``.
    """
    scores = check_array(scores, "scores")
    if scores.ndim == 0 or scores.shape[-1] == 0:
        raise ValueError(
            f"scores: expected at least one position on the last axis, got shape {scores.shape}"
        )
    if mask is not None:
        mask = _check_mask(mask, scores.shape)
        empty = ~mask.any(axis=-1)
        if empty.any():
            rows = [tuple(int(i) for i in r) for r in np.argwhere(empty)[:3]]
            raise ValueError(
                f"mask: expected at least one allowed position per row, got none in row(s) {rows}"
            )
        scores = np.where(mask, scores, -np.inf)
    shifted = scores - scores.max(axis=-1, keepdims=True)  # largest allowed score is 0
    exp = np.exp(shifted)  # exp(-inf) = 0 at masked positions
    return exp / exp.sum(axis=-1, keepdims=True)


def masked_softmax_backward(d_weights: np.ndarray, weights: np.ndarray) -> np.ndarray:
    r"""Backward pass of :func:`masked_softmax`, from its output alone.

    .. math::

        \frac{\partial L}{\partial e_j} = \alpha_j \Big(g_j - \sum_k \alpha_k g_k\Big),
        \qquad g = \frac{\partial L}{\partial \alpha}

    Masked positions have :math:`\alpha_j = 0`, hence zero gradient: no special case.

    Parameters
    ----------
    d_weights : ndarray, shape (..., T)
    weights : ndarray, shape (..., T)
        The output of :func:`masked_softmax`.

    Returns
    -------
    d_scores : ndarray, shape (..., T)
    """
    weights = check_array(weights, "weights")
    d_weights = check_array(d_weights, "d_weights", shape=weights.shape, legend="like weights")
    inner = np.sum(d_weights * weights, axis=-1, keepdims=True)  # (..., 1): sum_k α_k g_k
    return weights * (d_weights - inner)  # through softmax: α ⊙ (g - α·g)


class AttentionCache(NamedTuple):
    """What a layer's ``forward`` keeps for its ``backward``: ``query`` (B, H_q), ``keys``
    (B, T_src, H_k), ``values`` (B, T_src, H_v), the attention ``weights`` (B, T_src) and
    ``hidden``, what the score's backward needs: :math:`u` (B, T_src, A) for the additive
    score, :math:`q W` (B, H_k) for the general score, ``None`` for the dot scores."""

    query: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    hidden: np.ndarray | None


class _Attention:
    """What the four layers share: checks, softmax, weighted sum and their backward. A subclass
    calls ``_setup`` and implements ``_score(query, keys) -> (scores, hidden)`` and
    ``_score_backward(d_scores, query, keys, hidden) -> (d_query, d_keys, grads)``."""

    _SIZES: tuple[str, ...] = ()  # constructor arguments, also attributes of the torch twin
    query_size: int | None = None  # None: any H_q
    key_size: int | None = None  # None: H_k = H_q, as the dot scores need

    def _setup(self, rng: object, dtype: type, shapes: dict[str, tuple[int, ...]]) -> None:
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        rng = check_rng(rng) if shapes else None
        self.params = {  # uniform on ±1/sqrt(fan_in), fan_in = a weight's last axis
            name: (rng.uniform(-1, 1, size=shape) / np.sqrt(shape[-1])).astype(self.dtype)
            for name, shape in shapes.items()
        }
        self.grads: dict[str, np.ndarray] = {}
        self.cache: AttentionCache | None = None

    def __repr__(self) -> str:
        sizes = ", ".join(f"{name}={getattr(self, name)}" for name in self._SIZES)
        return f"{type(self).__name__}({sizes})"

    def forward(
        self, query: np.ndarray, keys: np.ndarray, values: np.ndarray, mask: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        r"""Attend from ``query`` over ``keys`` and return the weighted sum of ``values``.

        .. math::

            e_j = \mathrm{score}(q, k_j), \quad \alpha = \mathrm{softmax}_m(e), \quad
            c = \sum_j \alpha_j v_j

        Parameters
        ----------
        query : ndarray, shape (B, H_q)
        keys : ndarray, shape (B, T_src, H_k)
        values : ndarray, shape (B, T_src, H_v)
        mask : ndarray of bool, broadcastable to (B, T_src), optional
            True where a source position may be attended to; every row needs one.

        Returns
        -------
        context : ndarray, shape (B, H_v)
        weights : ndarray, shape (B, T_src)
        """
        query = check_array(query, "query", shape=(None, self.query_size), legend="(B, H_q)")
        query = query.astype(self.dtype, copy=False)
        B, H_q = query.shape
        H_k = self.key_size or H_q
        keys = check_array(keys, "keys", shape=(B, None, H_k), legend="(B, T_src, H_k)").astype(
            self.dtype, copy=False
        )
        B, T_src, H_k = keys.shape
        if B == 0 or T_src == 0:
            raise ValueError(f"keys: expected B >= 1 and T_src >= 1, got shape {keys.shape}")
        values = check_array(values, "values", shape=(B, T_src, None), legend="(B, T_src, H_v)")
        values = values.astype(self.dtype, copy=False)
        scores, hidden = self._score(query, keys)  # (B, T_src)
        weights = masked_softmax(scores, mask)  # (B, T_src)
        context = np.einsum("bt,btv->bv", weights, values)  # (B, H_v)
        self.cache = AttentionCache(query, keys, values, weights, hidden)
        return context, weights

    __call__ = forward

    def backward(
        self, d_context: np.ndarray, d_weights: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        r"""Backpropagate through the last :meth:`forward` and fill :attr:`grads`.

        .. math::

            \frac{\partial L}{\partial v_j} = \alpha_j g_c, \qquad
            \frac{\partial L}{\partial \alpha_j} = g_c^\top v_j + g_{\alpha_j},

        then through :func:`masked_softmax_backward` and the score (see each layer).

        Parameters
        ----------
        d_context : ndarray, shape (B, H_v)
        d_weights : ndarray, shape (B, T_src), optional
            Extra gradient on the returned weights (for a loss that reads them).

        Returns
        -------
        d_query : ndarray, shape (B, H_q)
        d_keys : ndarray, shape (B, T_src, H_k)
        d_values : ndarray, shape (B, T_src, H_v)
        """
        if self.cache is None:
            raise RuntimeError("backward() called before forward(): nothing to differentiate")
        query, keys, values, weights, hidden = self.cache
        B, T_src, H_v = values.shape
        d_context = check_array(d_context, "d_context", shape=(B, H_v), legend="(B, H_v)")
        d_values = weights[:, :, None] * d_context[:, None, :]  # through c = Σ α_j v_j: α_j g_c
        d_alpha = np.einsum("bv,btv->bt", d_context, values)  # (B, T_src): g_c · v_j
        if d_weights is not None:  # a loss that reads the weights too
            d_alpha = d_alpha + check_array(d_weights, "d_weights", shape=(B, T_src))
        d_scores = masked_softmax_backward(d_alpha, weights)  # (B, T_src)
        d_query, d_keys, self.grads = self._score_backward(d_scores, query, keys, hidden)
        return d_query, d_keys, d_values

    @classmethod
    def from_torch(cls, module: Any, dtype: type = np.float64) -> _Attention:
        """Copy the torch twin of the same name (:mod:`rnnbook.models.attention`)."""
        from rnnbook.models import attention as twins

        if not isinstance(module, twin := getattr(twins, cls.__name__)):
            raise TypeError(f"module: expected {twin.__name__}, got {type(module).__name__}")
        layer = cls(**{name: getattr(module, name) for name in cls._SIZES}, dtype=dtype)
        layer.params = {k: p.detach().numpy().astype(dtype) for k, p in module.named_parameters()}
        return layer

    def to_torch(self) -> Any:
        """Return the torch twin with copied weights (float64 or float32, like the layer)."""
        import torch

        from rnnbook.models import attention as twins

        module = getattr(twins, type(self).__name__)(**{k: getattr(self, k) for k in self._SIZES})
        module = module.to(torch.float64 if self.dtype == np.float64 else torch.float32)
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))
        return module


class AdditiveAttention(_Attention):
    r"""Additive (Bahdanau) attention: a one-hidden-layer network scores each position.

    .. math::

        u_j = \tanh(q W_q^\top + k_j W_k^\top), \qquad e_j = u_j \cdot v

    and in the backward pass, with :math:`\delta_j = (\partial L / \partial e_j)\, v
    \odot (1 - u_j^2)`,

    .. math::

        \frac{\partial L}{\partial v} = \sum_{b,j} \frac{\partial L}{\partial e_j} u_j, \quad
        \frac{\partial L}{\partial W_q} = \sum_b \Big(\sum_j \delta_j\Big)^\top q, \quad
        \frac{\partial L}{\partial W_k} = \sum_{b,j} \delta_j^\top k_j, \quad
        \frac{\partial L}{\partial q} = \sum_j \delta_j W_q, \quad
        \frac{\partial L}{\partial k_j} = \delta_j W_k.

    Parameters
    ----------
    query_size, key_size, hidden_size : int
        H_q, H_k (they may differ) and A, the width of the scoring layer.
    rng : numpy.random.Generator or int
        Source of the initial weights, uniform on :math:`\pm 1/\sqrt{\text{fan-in}}`.
    dtype : numpy dtype
        float64 by default. ``params``: ``weight_query`` (A, H_q), ``weight_key`` (A, H_k),
        ``v`` (A,).
    """

    _SIZES = ("query_size", "key_size", "hidden_size")

    def __init__(
        self, query_size: int, key_size: int, hidden_size: int, rng: Seed = 0, dtype: type = F64
    ) -> None:
        self.query_size = check_positive_int(query_size, "query_size")
        self.key_size = check_positive_int(key_size, "key_size")
        self.hidden_size = A = check_positive_int(hidden_size, "hidden_size")
        shapes = {"weight_query": (A, query_size), "weight_key": (A, key_size), "v": (A,)}
        self._setup(rng, dtype, shapes)

    def _score(self, query, keys):
        p = self.params
        u = np.tanh((query @ p["weight_query"].T)[:, None, :] + keys @ p["weight_key"].T)
        return u @ p["v"], u  # (B, T_src), u: (B, T_src, A)

    def _score_backward(self, d_scores, query, keys, u):
        p = self.params
        d_u = d_scores[:, :, None] * p["v"]  # through e_j = u_j · v
        delta = d_u * (1.0 - u**2)  # through tanh: 1 - u^2, (B, T_src, A)
        delta_q = delta.sum(axis=1)  # (B, A): q feeds every position
        grads = {
            "weight_query": delta_q.T @ query,  # (A, H_q)
            "weight_key": np.einsum("bta,btk->ak", delta, keys),  # (A, H_k)
            "v": np.einsum("bt,bta->a", d_scores, u),  # (A,)
        }
        return delta_q @ p["weight_query"], delta @ p["weight_key"], grads


class GeneralAttention(_Attention):
    r"""General (Luong) attention: a bilinear form between query and key.

    .. math::

        p = q W, \qquad e_j = p \cdot k_j, \qquad
        \frac{\partial L}{\partial p} = \sum_j \frac{\partial L}{\partial e_j} k_j, \quad
        \frac{\partial L}{\partial k_j} = \frac{\partial L}{\partial e_j} p, \quad
        \frac{\partial L}{\partial q} = \frac{\partial L}{\partial p} W^\top, \quad
        \frac{\partial L}{\partial W} = \sum_b q^\top \frac{\partial L}{\partial p}

    Parameters
    ----------
    query_size, key_size : int
        H_q and H_k; they may differ. ``params``: ``weight`` (H_q, H_k).
    rng, dtype
        As in :class:`AdditiveAttention`.
    """

    _SIZES = ("query_size", "key_size")

    def __init__(self, query_size: int, key_size: int, rng: Seed = 0, dtype: type = F64) -> None:
        self.query_size = check_positive_int(query_size, "query_size")
        self.key_size = check_positive_int(key_size, "key_size")
        self._setup(rng, dtype, {"weight": (query_size, key_size)})

    def _score(self, query, keys):
        p = query @ self.params["weight"]  # (B, H_k)
        return np.einsum("bk,btk->bt", p, keys), p

    def _score_backward(self, d_scores, query, keys, p):
        d_p = np.einsum("bt,btk->bk", d_scores, keys)  # through e_j = p · k_j
        d_keys = d_scores[:, :, None] * p[:, None, :]  # (B, T_src, H_k)
        grads = {"weight": query.T @ d_p}  # through p = q W, (H_q, H_k)
        return d_p @ self.params["weight"].T, d_keys, grads


class _DotProductAttention(_Attention):
    """The two parameter-free dot scores; they differ only in :meth:`_scale`."""

    def __init__(self, dtype: type = np.float64) -> None:
        self._setup(None, dtype, {})

    def _score(self, query, keys):
        return np.einsum("bh,bth->bt", query, keys) * self._scale(query.shape[1]), None

    def _score_backward(self, d_scores, query, keys, hidden):
        d_scores = d_scores * self._scale(query.shape[1])  # through the constant scale
        d_query = np.einsum("bt,bth->bh", d_scores, keys)  # through e_j = q · k_j: Σ_j de_j k_j
        return d_query, d_scores[:, :, None] * query[:, None, :], {}  # d k_j = de_j q


class DotAttention(_DotProductAttention):
    r"""Dot-product (Luong) attention: the plain inner product, no parameters.

    .. math::

        e_j = q \cdot k_j, \qquad
        \frac{\partial L}{\partial q} = \sum_j \frac{\partial L}{\partial e_j} k_j, \qquad
        \frac{\partial L}{\partial k_j} = \frac{\partial L}{\partial e_j} q

    Keys must be as wide as the query (:math:`H_k = H_q`).
    """

    def _scale(self, H: int) -> float:
        return 1.0


class ScaledDotAttention(_DotProductAttention):
    r"""Scaled dot-product attention (Vaswani et al. 2017), one query at a time.

    .. math::

        e_j = \frac{q \cdot k_j}{\sqrt{H_k}}, \qquad
        \frac{\partial L}{\partial q} = \sum_j \frac{\partial L}{\partial e_j}
            \frac{k_j}{\sqrt{H_k}}, \qquad
        \frac{\partial L}{\partial k_j} = \frac{\partial L}{\partial e_j} \frac{q}{\sqrt{H_k}}

    Unscaled, the score of two random vectors with unit-variance entries has variance
    :math:`H_k`, and the softmax saturates as :math:`H_k` grows. No parameters; H_k = H_q.
    """

    def _scale(self, H: int) -> float:
        return 1.0 / np.sqrt(H)
