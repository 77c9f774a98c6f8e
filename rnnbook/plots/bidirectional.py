r"""Diagrams of a bidirectional RNN, and of the model a common description builds instead.

* :func:`draw_bidirectional` - two chains over the same inputs: the forward states
  :math:`\overrightarrow{h}_t` run left to right, the backward states
  :math:`\overleftarrow{h}_t` right to left, and each output :math:`o_t` reads both.
* :func:`draw_concatenated` - one chain whose input at step :math:`t` is
  :math:`[x_t ; x_{T+1-t}]`: a plain (causal) RNN over a folded sequence, which is *not* a
  bidirectional RNN.

Drawn with matplotlib in the style of :mod:`rnnbook.plots.diagrams`; each helper draws on
``ax`` if given, returns the figure and changes no global style.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

from rnnbook.checks import check_positive_int

_DX = 1.6  # column spacing
_W, _H = 0.62, 0.44  # node box
_Y = {"x": 0.0, "fwd": 1.25, "bwd": 2.35, "o": 3.5}
_SHIFT = 0.36  # the forward node sits left of its column, the backward node right
_COLORS = {"x": "#dbe9f6", "fwd": "#fde0c5", "bwd": "#e5dbf2", "o": "#d9f0d3"}


def _check(T: object, ax: Axes | None, width: float) -> tuple[int, Figure, Axes]:
    T = check_positive_int(T, "T")
    if not 2 <= T <= 6:
        raise ValueError(f"T: expected 2..6 steps (the diagram must fit the column), got {T}")
    if ax is None:
        _, ax = plt.subplots(figsize=(min(width * T, 6.8), 3.0))
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    ax.set_aspect("equal")
    ax.axis("off")
    return T, ax.figure, ax


def _node(ax: Axes, xy: tuple[float, float], label: str, role: str, w: float = _W) -> None:
    box = FancyBboxPatch(
        (xy[0] - w / 2, xy[1] - _H / 2),
        w,
        _H,
        boxstyle="round,pad=0.02,rounding_size=0.1",
        facecolor=_COLORS[role],
        edgecolor="#333333",
        lw=1.0,
    )
    ax.add_patch(box)
    ax.text(*xy, label, ha="center", va="center", fontsize=10)


def _arrow(ax: Axes, start: tuple[float, float], end: tuple[float, float], **style) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=10, lw=1.0, **style))


def _step_label(t: int, T: int, reverse: bool = False) -> str:
    """'1', '2', ..., 'T' for the last step (and 'T+1-t' counted from the end)."""
    k = T + 1 - t if reverse else t
    return "T" if k == T and T > 3 else str(k)


def draw_bidirectional(T: int = 4, ax: Axes | None = None) -> Figure:
    r"""Draw a bidirectional RNN unrolled over ``T`` steps (2 to 6).

    The forward chain (orange) carries :math:`\overrightarrow{h}_{t-1} \to
    \overrightarrow{h}_t`, the backward chain (purple) :math:`\overleftarrow{h}_{t+1} \to
    \overleftarrow{h}_t`; :math:`x_t` feeds both and :math:`o_t` reads both.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_bidirectional(3)
    >>> len(fig.axes[0].patches)  # 4 nodes x 3 steps + 4 x 3 arrows + 2 x 2 chain arrows
    28
    """
    T, fig, ax = _check(T, ax, 1.7)
    for t in range(1, T + 1):
        c, s = (t - 1) * _DX, _step_label(t, T)
        f, b = (c - _SHIFT, _Y["fwd"]), (c + _SHIFT, _Y["bwd"])
        _node(ax, (c, _Y["x"]), rf"$x_{{{s}}}$", "x")
        _node(ax, f, rf"$\overrightarrow{{h}}_{{{s}}}$", "fwd")
        _node(ax, b, rf"$\overleftarrow{{h}}_{{{s}}}$", "bwd")
        _node(ax, (c, _Y["o"]), rf"$o_{{{s}}}$", "o")
        bottom, top = _Y["x"] + _H / 2, _Y["o"] - _H / 2
        _arrow(ax, (c - 0.08, bottom), (f[0], f[1] - _H / 2))
        _arrow(ax, (c + 0.08, bottom), (b[0], b[1] - _H / 2))
        _arrow(ax, (f[0], f[1] + _H / 2), (c - 0.08, top))
        _arrow(ax, (b[0], b[1] + _H / 2), (c + 0.08, top))
        if t < T:
            _arrow(ax, (f[0] + _W / 2, f[1]), (f[0] + _DX - _W / 2, f[1]), color="#c0600a")
            _arrow(ax, (b[0] + _DX - _W / 2, b[1]), (b[0] + _W / 2, b[1]), color="#6a3d9a")
    ax.set_xlim(-_DX / 2, (T - 0.5) * _DX)
    ax.set_ylim(-0.4, _Y["o"] + 0.4)
    return fig


def draw_concatenated(T: int = 4, ax: Axes | None = None) -> Figure:
    r"""Draw the "concatenated input" model: one causal chain reading
    :math:`[x_t ; x_{T+1-t}]`.

    Its state at step :math:`t` has seen :math:`x_1 \dots x_t` and
    :math:`x_{T+1-t} \dots x_T`: at step 1 only the two ends of the sequence.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> fig = draw_concatenated(3)
    >>> len(fig.axes[0].patches)  # 3 nodes x 3 steps + 2 x 3 arrows + 2 chain arrows
    17
    """
    T, fig, ax = _check(T, ax, 1.7)
    for t in range(1, T + 1):
        c = (t - 1) * _DX
        s, r = _step_label(t, T), _step_label(t, T, reverse=True)
        _node(ax, (c, _Y["x"]), rf"$x_{{{s}}}; x_{{{r}}}$", "x", w=1.1)
        _node(ax, (c, _Y["fwd"]), rf"$h_{{{s}}}$", "fwd")
        _node(ax, (c, _Y["bwd"] + 0.2), rf"$o_{{{s}}}$", "o")
        _arrow(ax, (c, _Y["x"] + _H / 2), (c, _Y["fwd"] - _H / 2))
        _arrow(ax, (c, _Y["fwd"] + _H / 2), (c, _Y["bwd"] + 0.2 - _H / 2))
        if t < T:
            y = _Y["fwd"]
            _arrow(ax, (c + _W / 2, y), (c + _DX - _W / 2, y), color="#c0600a")
    ax.set_xlim(-_DX / 2, (T - 0.5) * _DX)
    ax.set_ylim(-0.4, _Y["bwd"] + 0.6)
    return fig
