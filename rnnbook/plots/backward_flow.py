r"""The unrolled Elman RNN with its backward pass drawn on it (the BPTT chapter's figure).

Forward arrows (grey) run :math:`x_t \to h_t`, :math:`h_{t-1} \to h_t` and
:math:`h_t \to L_t`. Backward arrows (red) carry the gradients of the derivation:
:math:`\partial L_t / \partial h_t = dz_t V` down from each loss, and
:math:`\delta_{t+1} W_{hh}` from each state to the one before; the two add up in
:math:`g_t`. The gradient of a shared weight collects one term per column.
"""

from __future__ import annotations

from typing import Any

from rnnbook.checks import check_positive_int

_DX = 1.9  # column spacing
_Y_X, _Y_H, _Y_L = 0.0, 1.4, 2.8
_BACK = "#c0392b"
_FORWARD = "#999999"


def draw_backward_flow(T: int = 4, ax: Any = None) -> Any:
    r"""Draw ``T`` unrolled steps with the forward (grey) and backward (red) flows.

    Parameters
    ----------
    T : int
        Steps to draw (3 to 5 fit the text column).
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib Figure
    """
    import matplotlib.pyplot as plt

    T = check_positive_int(T, "T")
    if ax is None:
        _, ax = plt.subplots(figsize=(min(6.8, 1.2 + 1.35 * T), 3.0))
    ax.set_aspect("equal")
    ax.axis("off")
    _node(ax, 0.0, _Y_H, r"$h_0$", "white")
    for t in range(1, T + 1):
        cx = t * _DX
        _node(ax, cx, _Y_X, rf"$x_{{{t}}}$", "#dbe9f6")
        _node(ax, cx, _Y_H, rf"$h_{{{t}}}$", "#fde0c5")
        _node(ax, cx, _Y_L, rf"$L_{{{t}}}$", "#d9f0d3")
        _arrow(ax, (cx - 0.12, _Y_X + 0.28), (cx - 0.12, _Y_H - 0.28), _FORWARD)
        _arrow(ax, (cx - 0.12, _Y_H + 0.28), (cx - 0.12, _Y_L - 0.28), _FORWARD)
        _arrow(ax, (cx - _DX + 0.38, _Y_H + 0.1), (cx - 0.38, _Y_H + 0.1), _FORWARD)
        # backward: from the loss into h_t, and from h_t into h_{t-1}
        _arrow(ax, (cx + 0.12, _Y_L - 0.28), (cx + 0.12, _Y_H + 0.28), _BACK)
        ax.text(cx + 0.2, (_Y_H + _Y_L) / 2, rf"$dz_{{{t}}}V$", color=_BACK, fontsize=9)
        _arrow(ax, (cx - 0.38, _Y_H - 0.1), (cx - _DX + 0.38, _Y_H - 0.1), _BACK)
        ax.text(
            cx - _DX / 2,
            _Y_H - 0.38,
            rf"$\delta_{{{t}}}W_{{hh}}$",
            color=_BACK,
            fontsize=9,
            ha="center",
        )
    _ = ax.plot([], [], color=_FORWARD, label="forward")
    _ = ax.plot([], [], color=_BACK, label="backward (gradients)")
    _ = ax.legend(loc="upper left", bbox_to_anchor=(0.0, 1.12), ncol=2, fontsize=9)
    ax.set_xlim(-0.5, T * _DX + 0.9)
    ax.set_ylim(_Y_X - 0.35, _Y_L + 0.5)
    return ax.figure


def _node(ax: Any, x: float, y: float, label: str, color: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(
        FancyBboxPatch(
            (x - 0.36, y - 0.26),
            0.72,
            0.52,
            boxstyle="round,pad=0.02,rounding_size=0.12",
            facecolor=color,
            edgecolor="#333333",
        )
    )
    ax.text(x, y, label, ha="center", va="center", fontsize=11)


def _arrow(ax: Any, start: tuple[float, float], end: tuple[float, float], color: str) -> None:
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=11, lw=1.3, color=color)
    )
