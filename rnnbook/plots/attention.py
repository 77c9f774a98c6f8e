"""Attention figures: a heatmap of the weights, and a metric against length over seeds."""

from __future__ import annotations

from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def plot_attention(
    weights: np.ndarray,
    src_tokens: Sequence[str],
    tgt_tokens: Sequence[str],
    ax: Axes | None = None,
    title: str | None = None,
) -> Figure:
    """Draw attention weights, one row per output token and one column per source token.

    Parameters
    ----------
    weights : ndarray, shape (T_tgt, T_src)
        :math:`\\alpha_{t,s}`; rows beyond ``len(tgt_tokens)`` and columns beyond
        ``len(src_tokens)`` (padding) are cut off.
    src_tokens, tgt_tokens : sequences of str
        The labels of the columns and rows.
    ax : Axes, optional
    title : str, optional

    Returns
    -------
    Figure
    """
    weights = np.asarray(weights, dtype=float)
    if weights.ndim != 2:
        raise ValueError(f"weights: expected shape (T_tgt, T_src), got {weights.shape}")
    n_tgt, n_src = len(tgt_tokens), len(src_tokens)
    if n_tgt > weights.shape[0] or n_src > weights.shape[1]:
        raise ValueError(f"tokens: expected at most {weights.shape} labels, got ({n_tgt}, {n_src})")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    image = ax.imshow(weights[:n_tgt, :n_src], vmin=0, vmax=1, cmap="Greys", aspect="auto")
    ax.set_xticks(range(n_src), list(src_tokens))
    ax.set_yticks(range(n_tgt), list(tgt_tokens))
    ax.set_xlabel("source position s")
    ax.set_ylabel("output step t")
    ax.grid(False)
    if title:
        ax.set_title(title)
    ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return ax.figure


def plot_by_length(
    curves: dict[str, np.ndarray],
    lengths: Sequence[int],
    ax: Axes | None = None,
    ylabel: str = "token accuracy",
    train_max: int | None = None,
) -> Figure:
    """Median over seeds (line) and min-max (band) of a metric against length.

    Parameters
    ----------
    curves : dict of str to ndarray, shape (n_seeds, len(lengths))
        One curve per label.
    lengths : sequence of int
    ax : Axes, optional
    ylabel : str
    train_max : int, optional
        The longest training length, drawn as a dotted vertical line.

    Returns
    -------
    Figure
    """
    if ax is None:
        _, ax = plt.subplots()
    x = np.asarray(lengths)
    for label, values in curves.items():
        values = np.asarray(values, dtype=float)
        if values.ndim != 2 or values.shape[1] != len(x):
            raise ValueError(
                f"curves[{label!r}]: expected shape (n_seeds, {len(x)}), got {values.shape}"
            )
        (line,) = ax.plot(x, np.median(values, axis=0), marker=".", label=label)
        ax.fill_between(
            x, values.min(axis=0), values.max(axis=0), alpha=0.2, color=line.get_color()
        )
    if train_max is not None:
        ax.axvline(train_max + 0.5, color="k", ls=":", lw=1)
    ax.set_xlabel("source length")
    ax.set_ylabel(ylabel)
    ax.set_ylim(-0.02, 1.02)
    ax.legend()
    return ax.figure
