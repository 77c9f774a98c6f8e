r"""Diagrams of the LSTM and GRU cells, drawn with matplotlib (no borrowed images).

* :func:`draw_lstm_cell` - the cell state :math:`c_{t-1} \to c_t` runs along the top,
  touched only by one product (the forget gate :math:`f_t`) and one sum (the write
  :math:`i_t \odot g_t`); the output gate reads :math:`\tanh(c_t)` into :math:`h_t`.
* :func:`draw_gru_cell` - the state :math:`h_{t-1} \to h_t` runs along the top, mixed
  with the candidate :math:`n_t` by the update gate: :math:`z_t \odot h_{t-1}` plus
  :math:`(1 - z_t) \odot n_t`; the reset gate :math:`r_t` acts inside :math:`n_t`.

Yellow boxes are layers with weights (a sigmoid :math:`\sigma` or a tanh applied to
:math:`W_{i\cdot} x_t + W_{h\cdot} h_{t-1} + b`); circles are elementwise operations.
Like every plot helper in ``rnnbook``, both draw on ``ax`` if given (else on a new
figure), return the figure and change no global style.
"""

from __future__ import annotations

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

from rnnbook.checks import check_choice
from rnnbook.plots.diagrams import diagram_axes

GRU_VARIANTS = ("torch", "cho")

_BOX_W, _BOX_H, _OP_R = 0.9, 0.55, 0.24
_LAYER_COLOR, _OP_COLOR, _CELL_COLOR = "#fff2b3", "#ffffff", "#eef3f8"
_STATE_LINE = {"lw": 2.2, "color": "#1f4e79"}
_LINE = {"lw": 1.1, "color": "#333333"}
_Y_TOP, _Y_GATE, _Y_BUS = 4.2, 2.0, 0.7


def draw_lstm_cell(ax: Axes | None = None) -> Figure:
    r"""Draw one LSTM cell: four gate layers, the cell-state line and the output.

    .. math::

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t)

    Parameters
    ----------
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = diagram_axes(ax, (6.8, 3.6))
    _frame(ax)
    # the cell state: one product and one sum along the top line
    _path(ax, [(-0.8, _Y_TOP), (2.0 - _OP_R, _Y_TOP)], state=True)
    _path(ax, [(2.0 + _OP_R, _Y_TOP), (4.6 - _OP_R, _Y_TOP)], state=True)
    _path(ax, [(4.6 + _OP_R, _Y_TOP), (10.8, _Y_TOP)], state=True)
    _label(ax, (-0.8, _Y_TOP + 0.35), r"$c_{t-1}$")
    _label(ax, (10.8, _Y_TOP + 0.35), r"$c_t$")
    _op(ax, (2.0, _Y_TOP), r"$\times$")
    _op(ax, (4.6, _Y_TOP), r"$+$")
    # the inputs: h_{t-1} and x_t join on a bus under the gates
    _path(ax, [(-0.8, _Y_BUS), (7.0, _Y_BUS)], arrow=False)
    _label(ax, (-0.8, _Y_BUS - 0.35), r"$h_{t-1}$")
    _path(ax, [(0.7, -0.6), (0.7, _Y_BUS)], arrow=False)
    _label(ax, (0.7, -0.85), r"$x_t$")
    gates = {
        "f": (2.0, r"$\sigma$"),
        "i": (3.8, r"$\sigma$"),
        "g": (5.4, "tanh"),
        "o": (7.0, r"$\sigma$"),
    }
    for name, (x, text) in gates.items():
        _path(ax, [(x, _Y_BUS), (x, _Y_GATE - _BOX_H / 2)])
        _layer(ax, (x, _Y_GATE), text)
        _label(ax, (x + 0.62, _Y_GATE - 0.45), f"${name}_t$", size=10)
    _path(ax, [(2.0, _Y_GATE + _BOX_H / 2), (2.0, _Y_TOP - _OP_R)])  # f scales c_{t-1}
    _op(ax, (4.6, 3.15), r"$\times$")  # i ⊙ g
    _path(ax, [(3.8, _Y_GATE + _BOX_H / 2), (3.8, 3.15), (4.6 - _OP_R, 3.15)])
    _path(ax, [(5.4, _Y_GATE + _BOX_H / 2), (5.4, 3.15), (4.6 + _OP_R, 3.15)])
    _path(ax, [(4.6, 3.15 + _OP_R), (4.6, _Y_TOP - _OP_R)])
    # the output: h_t = o ⊙ tanh(c_t)
    _path(ax, [(8.4, _Y_TOP), (8.4, 3.15 + _OP_R)])
    _op(ax, (8.4, 3.15), "tanh", wide=True)
    _path(ax, [(8.4, 3.15 - _OP_R), (8.4, _Y_GATE + _OP_R)])
    _op(ax, (8.4, _Y_GATE), r"$\times$")
    _path(ax, [(7.0 + _BOX_W / 2, _Y_GATE), (8.4 - _OP_R, _Y_GATE)])
    _path(ax, [(8.4 + _OP_R, _Y_GATE), (9.5, _Y_GATE), (9.5, _Y_BUS), (10.8, _Y_BUS)])
    _path(ax, [(9.5, _Y_GATE), (9.5, 5.3)])
    _label(ax, (10.8, _Y_BUS - 0.35), r"$h_t$")
    _label(ax, (9.85, 5.25), r"$h_t$")
    ax.set_xlim(-1.3, 11.3)
    ax.set_ylim(-1.1, 5.6)
    return fig


def draw_gru_cell(variant: str = "torch", ax: Axes | None = None) -> Figure:
    r"""Draw one GRU cell: two gate layers, the candidate and the state line.

    .. math::

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}

    The reset gate's product is labelled with where it acts: on
    :math:`W_{hn} h_{t-1} + b_{hn}` (``variant="torch"``) or on :math:`h_{t-1}` before
    :math:`W_{hn}` (``variant="cho"``, Cho et al. 2014).

    Parameters
    ----------
    variant : {"torch", "cho"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    variant = check_choice(variant, "variant", GRU_VARIANTS)
    fig, ax = diagram_axes(ax, (6.8, 3.6))
    _frame(ax)
    # the state line: keep z ⊙ h_{t-1}, add (1 - z) ⊙ n
    _path(ax, [(-0.8, _Y_TOP), (3.6 - _OP_R, _Y_TOP)], state=True)
    _path(ax, [(3.6 + _OP_R, _Y_TOP), (7.6 - _OP_R, _Y_TOP)], state=True)
    _path(ax, [(7.6 + _OP_R, _Y_TOP), (10.8, _Y_TOP)], state=True)
    _label(ax, (-0.8, _Y_TOP + 0.35), r"$h_{t-1}$")
    _label(ax, (10.8, _Y_TOP + 0.35), r"$h_t$")
    _op(ax, (3.6, _Y_TOP), r"$\times$")
    _op(ax, (7.6, _Y_TOP), r"$+$")
    # the inputs: h_{t-1} comes down the left side and joins x_t on the bus
    _path(ax, [(-0.3, _Y_TOP), (-0.3, _Y_BUS), (6.4, _Y_BUS)], arrow=False)
    _path(ax, [(0.7, -0.6), (0.7, _Y_BUS)], arrow=False)
    _label(ax, (0.7, -0.85), r"$x_t$")
    gates = {"r": (1.8, r"$\sigma$"), "z": (3.6, r"$\sigma$"), "n": (6.4, "tanh")}
    for name, (x, text) in gates.items():
        _path(ax, [(x, _Y_BUS), (x, _Y_GATE - _BOX_H / 2)])
        _layer(ax, (x, _Y_GATE), text)
        _label(ax, (x + 0.62, _Y_GATE - 0.45), f"${name}_t$", size=10)
    _path(ax, [(3.6, _Y_GATE + _BOX_H / 2), (3.6, _Y_TOP - _OP_R)])  # z keeps h_{t-1}
    _op(ax, (5.2, 3.15), r"$1-$", wide=True)
    _path(ax, [(3.6, 3.15), (5.2 - 0.36, 3.15)])
    _op(ax, (7.6, 3.15), r"$\times$")  # (1 - z) ⊙ n
    _path(ax, [(5.2 + 0.36, 3.15), (7.6 - _OP_R, 3.15)])
    _path(ax, [(6.4, _Y_GATE + _BOX_H / 2), (6.4, 2.6), (7.6, 2.6), (7.6, 3.15 - _OP_R)])
    _path(ax, [(7.6, 3.15 + _OP_R), (7.6, _Y_TOP - _OP_R)])
    # the reset gate acts inside n's pre-activation
    _op(ax, (4.9, 1.3), r"$\times$")
    _path(
        ax, [(1.8, _Y_GATE + _BOX_H / 2), (1.8, 2.75), (2.6, 2.75), (2.6, 1.3), (4.9 - _OP_R, 1.3)]
    )
    _path(ax, [(4.9 + _OP_R, 1.3), (6.4 - _BOX_W / 2, _Y_GATE - 0.12)])
    where = (
        r"$r_t \odot (W_{hn} h_{t-1} + b_{hn})$"
        if variant == "torch"
        else (r"$W_{hn}\,(r_t \odot h_{t-1})$")
    )
    _label(ax, (4.9, 0.25), f"{variant}: {where}", size=9)
    _path(ax, [(7.6, _Y_TOP), (9.5, _Y_TOP)], arrow=False)
    _path(ax, [(9.5, _Y_TOP), (9.5, 5.3)])
    ax.set_xlim(-1.3, 11.3)
    ax.set_ylim(-1.1, 5.6)
    return fig


def _frame(ax: Axes) -> None:
    ax.add_patch(
        Rectangle(
            (-0.5, 0.0), 10.6, 4.9, facecolor=_CELL_COLOR, edgecolor="#999999", lw=1.0, zorder=0
        )
    )


def _layer(ax: Axes, center: tuple[float, float], text: str) -> None:
    x, y = center
    box = FancyBboxPatch(
        (x - _BOX_W / 2, y - _BOX_H / 2),
        _BOX_W,
        _BOX_H,
        boxstyle="round,pad=0.02,rounding_size=0.1",
        facecolor=_LAYER_COLOR,
        edgecolor="#333333",
        lw=1.0,
        zorder=3,
    )
    ax.add_patch(box)
    ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=4)


def _op(ax: Axes, center: tuple[float, float], text: str, wide: bool = False) -> None:
    x, y = center
    if wide:  # an elementwise function with a longer name: an ellipse-like box
        ax.add_patch(
            FancyBboxPatch(
                (x - 0.36, y - 0.2),
                0.72,
                0.4,
                boxstyle="round,pad=0.02,rounding_size=0.2",
                facecolor=_OP_COLOR,
                edgecolor="#333333",
                lw=1.0,
                zorder=3,
            )
        )
    else:
        ax.add_patch(
            Circle((x, y), _OP_R, facecolor=_OP_COLOR, edgecolor="#333333", lw=1.0, zorder=3)
        )
    ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=4)


def _path(
    ax: Axes, points: list[tuple[float, float]], arrow: bool = True, state: bool = False
) -> None:
    style = _STATE_LINE if state else _LINE
    patch = FancyArrowPatch(
        path=Path(points), arrowstyle="-|>" if arrow else "-", mutation_scale=10, zorder=2, **style
    )
    ax.add_patch(patch)


def _label(ax: Axes, xy: tuple[float, float], text: str, size: int = 11) -> None:
    ax.text(*xy, text, ha="center", va="center", fontsize=size, zorder=5)
