r"""Attention score functions as PyTorch modules: the twins of :mod:`rnnbook.scratch.attention`.

Each module computes, for a query :math:`q` (B, H_q), keys :math:`k_j` (B, T_src, H_k),
values :math:`v_j` (B, T_src, H_v) and a mask :math:`m` (True = may attend),

.. math::

    e_j = \mathrm{score}(q, k_j), \qquad
    \alpha_j = \frac{m_j \exp e_j}{\sum_k m_k \exp e_k}, \qquad
    c = \sum_j \alpha_j v_j,

and returns ``(context (B, H_v), weights (B, T_src))``. The scores:

* :class:`AdditiveAttention` (Bahdanau et al. 2014):
  :math:`e_j = v \cdot \tanh(q W_q^\top + k_j W_k^\top)`
* :class:`DotAttention` (Luong et al. 2015): :math:`e_j = q \cdot k_j`
* :class:`GeneralAttention` (Luong et al. 2015): :math:`e_j = q W k_j^\top`
* :class:`ScaledDotAttention` (Vaswani et al. 2017): :math:`e_j = q \cdot k_j / \sqrt{H_k}`

Parameter names and layouts equal the numpy layers' ``params`` keys, so weights copy
across with ``layer.to_torch()`` and ``Layer.from_torch(module)``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook.checks import check_choice, check_positive_int

SCORES = ("dot", "scaled_dot", "general", "additive")


def _check_tensor(x: object, name: str, shape: tuple[int | None, ...], legend: str) -> None:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    if x.dim() != len(shape) or any(
        w is not None and w != g for w, g in zip(shape, x.shape, strict=True)
    ):
        expected = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        raise ValueError(f"{name}: expected shape {expected} {legend}, got {tuple(x.shape)}")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
    r"""Softmax over the last axis where ``mask`` is True; masked positions get exactly 0.

    .. math::

        \alpha_j = \frac{m_j \exp e_j}{\sum_k m_k \exp e_k}

    Parameters
    ----------
    scores : Tensor, shape (..., T)
    mask : bool Tensor, broadcastable to ``scores``, optional

    Raises
    ------
    ValueError
        If a row has no allowed position.
    """
    if mask is None:
        return scores.softmax(dim=-1)
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        got = mask.dtype if isinstance(mask, torch.Tensor) else type(mask).__name__
        raise TypeError(f"mask: expected a bool tensor (True = may attend), got {got}")
    try:
        mask = mask.expand_as(scores)
    except RuntimeError:
        raise ValueError(
            f"mask: expected a shape broadcastable to {tuple(scores.shape)}, "
            f"got {tuple(mask.shape)}"
        ) from None
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("mask: expected at least one allowed position per row, got an empty row")
    return scores.masked_fill(~mask, -math.inf).softmax(dim=-1)  # exp(-inf) = 0


class _Attention(nn.Module):
    """Shared forward: check, score, masked softmax, weighted sum. Subclasses define ``score``."""

    query_size: int | None = None  # None: any H_q
    key_size: int | None = None  # None: H_k = H_q (the dot scores)

    def forward(
        self,
        query: torch.Tensor,
        keys: torch.Tensor,
        values: torch.Tensor,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Attend from ``query`` (B, H_q) over ``keys`` (B, T_src, H_k); return the context
        (B, H_v), a weighted sum of ``values`` (B, T_src, H_v), and the weights (B, T_src)."""
        _check_tensor(query, "query", (None, self.query_size), "(B, H_q)")
        B, H_q = query.shape
        _check_tensor(keys, "keys", (B, None, self.key_size or H_q), "(B, T_src, H_k)")
        B, T_src, H_k = keys.shape
        if B == 0 or T_src == 0:
            raise ValueError(f"keys: expected B >= 1 and T_src >= 1, got {tuple(keys.shape)}")
        _check_tensor(values, "values", (B, T_src, None), "(B, T_src, H_v)")
        weights = masked_softmax(self.score(query, keys), mask)  # (B, T_src)
        context = torch.einsum("bt,btv->bv", weights, values)  # (B, H_v)
        return context, weights

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def extra_repr(self) -> str:
        sizes = ("query_size", "key_size", "hidden_size")
        return ", ".join(f"{k}={getattr(self, k)}" for k in sizes if getattr(self, k, None))


def _uniform_fan_in(*shape: int) -> nn.Parameter:
    bound = 1.0 / math.sqrt(shape[-1])  # like nn.Linear: fan_in is the last axis
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


class AdditiveAttention(_Attention):
    r"""Additive (Bahdanau) score: :math:`e_j = v \cdot \tanh(q W_q^\top + k_j W_k^\top)`.

    Parameters
    ----------
    query_size, key_size, hidden_size : int
        H_q, H_k and A. Parameters: ``weight_query`` (A, H_q), ``weight_key`` (A, H_k),
        ``v`` (A,).
    """

    def __init__(self, query_size: int, key_size: int, hidden_size: int) -> None:
        super().__init__()
        self.query_size = check_positive_int(query_size, "query_size")
        self.key_size = check_positive_int(key_size, "key_size")
        self.hidden_size = A = check_positive_int(hidden_size, "hidden_size")
        self.weight_query = _uniform_fan_in(A, query_size)
        self.weight_key = _uniform_fan_in(A, key_size)
        self.v = _uniform_fan_in(A)

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        projected_query = (query @ self.weight_query.T)[:, None, :]  # (B, 1, A)
        u = torch.tanh(projected_query + keys @ self.weight_key.T)  # (B, T_src, A)
        return u @ self.v  # (B, T_src)


class GeneralAttention(_Attention):
    r"""General (Luong) score: :math:`e_j = q W k_j^\top`, ``weight`` of shape (H_q, H_k)."""

    def __init__(self, query_size: int, key_size: int) -> None:
        super().__init__()
        self.query_size = check_positive_int(query_size, "query_size")
        self.key_size = check_positive_int(key_size, "key_size")
        self.weight = _uniform_fan_in(query_size, key_size)

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bk,btk->bt", query @ self.weight, keys)  # (B, T_src)


class DotAttention(_Attention):
    r"""Dot (Luong) score: :math:`e_j = q \cdot k_j`; no parameters, H_k = H_q."""

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bh,bth->bt", query, keys)  # (B, T_src)


class ScaledDotAttention(_Attention):
    r"""Scaled dot score: :math:`e_j = q \cdot k_j / \sqrt{H_k}`; no parameters, H_k = H_q."""

    def score(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        return torch.einsum("bh,bth->bt", query, keys) / math.sqrt(keys.shape[-1])  # (B, T_src)


def make_attention(score: str, query_size: int, key_size: int, hidden_size: int) -> _Attention:
    """Build the attention module named by ``score``, one of :data:`SCORES`.

    ``hidden_size`` is used by ``"additive"`` only; ``"dot"`` and ``"scaled_dot"`` need
    ``query_size == key_size``.
    """
    check_choice(score, "score", SCORES)
    if score in ("dot", "scaled_dot") and query_size != key_size:
        raise ValueError(
            f"key_size: expected the query size {query_size} for a {score!r} score, got {key_size}"
        )
    if score == "additive":
        return AdditiveAttention(query_size, key_size, hidden_size)
    if score == "general":
        return GeneralAttention(query_size, key_size)
    return DotAttention() if score == "dot" else ScaledDotAttention()
