r"""Diagrams of recurrent networks, drawn with matplotlib (no borrowed images).

* :func:`draw_folded` - the network as it is defined: one cell whose state feeds back into
  itself through a one-step delay (the black square), a cycle.
* :func:`draw_unrolled` - the same network written out for ``T`` steps: an acyclic graph,
  a deep feed-forward network whose layers share :math:`U`, :math:`W` and :math:`V`.
* :func:`draw_shape` - an input-output shape of chapter 2 (one-to-one ... encoder-decoder),
  as a row of cells with arrows in and out.

The first two take ``kind="elman"`` (the recurrence runs :math:`h_{t-1} \to h_t`) or
``kind="jordan"`` (it runs :math:`o_{t-1} \to h_t`). Like every plot helper in
``rnnbook``, they draw on ``ax`` if given (else on a new figure), return the figure, and
change no global style.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Rectangle
from matplotlib.path import Path

from rnnbook.checks import check_choice, check_positive_int

KINDS = ("elman", "jordan")

# Layout, in data units: one column per time step, rows for x, h and o.
_DX, _Y_X, _Y_H, _Y_O = 1.7, 0.0, 1.3, 2.6
_W, _H = 0.72, 0.46  # node box width and height
_COLORS = {"x": "#dbe9f6", "h": "#fde0c5", "o": "#d9f0d3", "init": "#ffffff"}
_WEIGHT = {"fontsize": 10, "color": "#444444", "ha": "center", "va": "center"}


def draw_folded(kind: str = "elman", ax: Axes | None = None) -> Figure:
    r"""Draw the folded (cyclic) network: :math:`x_t \to h_t \to o_t` plus a delayed loop.

    The loop carries :math:`h_{t-1}` (Elman) or :math:`o_{t-1}` (Jordan) back into
    :math:`h_t` through a one-step time delay, drawn as a black square.

    Parameters
    ----------
    kind : {"elman", "jordan"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    kind = check_choice(kind, "kind", KINDS)
    fig, ax = diagram_axes(ax, (2.6, 3.4))
    _node(ax, (0.0, _Y_X), r"$x_t$", "x")
    _node(ax, (0.0, _Y_H), r"$h_t$", "h")
    _node(ax, (0.0, _Y_O), r"$o_t$", "o")
    _arrow(ax, (0.0, _Y_X + _H / 2), (0.0, _Y_H - _H / 2), "U", label_offset=(-0.2, 0.0))
    _arrow(ax, (0.0, _Y_H + _H / 2), (0.0, _Y_O - _H / 2), "V", label_offset=(-0.2, 0.0))
    right, loop_x = _W / 2, 1.0
    if kind == "elman":  # h_t -> delay -> back into h_t
        top, bottom = _Y_H + 0.16, _Y_H - 0.16
        source = r"$h_{t-1}$"
    else:  # o_t -> delay -> into h_t
        top, bottom = _Y_O, _Y_H - 0.05
        source = r"$o_{t-1}$"
    loop = Path([(right, top), (loop_x, top), (loop_x, bottom), (right, bottom)])
    ax.add_patch(FancyArrowPatch(path=loop, arrowstyle="-|>", mutation_scale=12, lw=1.2))
    delay_y = (top + bottom) / 2
    ax.add_patch(Rectangle((loop_x - 0.07, delay_y - 0.07), 0.14, 0.14, color="black", zorder=3))
    ax.text(loop_x + 0.22, delay_y, "W", **_WEIGHT)
    ax.text(loop_x + 0.05, bottom - 0.22, source, fontsize=9, ha="center", va="center")
    ax.set_xlim(-0.8, loop_x + 0.5)
    ax.set_ylim(_Y_X - 0.5, _Y_O + 0.5)
    return fig


def draw_unrolled(T: int = 4, kind: str = "elman", ax: Axes | None = None) -> Figure:
    r"""Draw the network unrolled over ``T`` steps: one column per step, shared weights.

    Every column has the same arrows :math:`U` (input), :math:`V` (output) and, between
    columns, :math:`W` (the recurrence). The state before the first step, :math:`h_0`
    (Elman) or :math:`o_0` (Jordan), is drawn with a dashed border.

    Parameters
    ----------
    T : int
        Number of steps to draw.
    kind : {"elman", "jordan"}
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    T = check_positive_int(T, "T")
    kind = check_choice(kind, "kind", KINDS)
    fig, ax = diagram_axes(ax, (1.5 + 1.45 * T, 3.4))
    init_row = _Y_H if kind == "elman" else _Y_O
    init_name = r"$h_0$" if kind == "elman" else r"$o_0$"
    _node(ax, (0.0, init_row), init_name, "init", dashed=True)
    for t in range(1, T + 1):
        cx = t * _DX
        _node(ax, (cx, _Y_X), rf"$x_{{{t}}}$", "x")
        _node(ax, (cx, _Y_H), rf"$h_{{{t}}}$", "h")
        _node(ax, (cx, _Y_O), rf"$o_{{{t}}}$", "o")
        _arrow(ax, (cx, _Y_X + _H / 2), (cx, _Y_H - _H / 2), "U", label_offset=(-0.2, 0.0))
        _arrow(ax, (cx, _Y_H + _H / 2), (cx, _Y_O - _H / 2), "V", label_offset=(-0.2, 0.0))
        px = cx - _DX  # the previous column (the initial state for t = 1)
        if kind == "elman":
            _arrow(ax, (px + _W / 2, _Y_H), (cx - _W / 2, _Y_H), "W", label_offset=(0.0, 0.17))
        else:
            _arrow(
                ax,
                (px + _W / 2, _Y_O - 0.1),
                (cx - _W / 2, _Y_H + 0.1),
                "W",
                label_offset=(0.12, 0.14),
            )
    ax.annotate(
        "time",
        xy=(T * _DX + 0.4, _Y_X - 0.55),
        xytext=(_DX - 0.4, _Y_X - 0.55),
        arrowprops={"arrowstyle": "->", "color": "#888888"},
        fontsize=9,
        color="#888888",
        va="center",
    )
    ax.set_xlim(-0.6, T * _DX + 0.6)
    ax.set_ylim(_Y_X - 0.8, _Y_O + 0.5)
    return fig


def draw_shape(
    title: str,
    n_steps: int,
    inputs: Iterable[int],
    outputs: Iterable[int],
    decoder_from: int | None = None,
    ax: Axes | None = None,
    *,
    initial_state: bool = False,
    input_labels: Mapping[int, str] | None = None,
    output_labels: Mapping[int, str] | None = None,
) -> Figure:
    r"""Draw an input-output shape: a row of cells, arrows in at ``inputs``, out at ``outputs``.

    Parameters
    ----------
    title : str
    n_steps : int
        The number of cells (time steps), at most 5.
    inputs, outputs : iterable of int
        The steps (from 0) that read an input and that emit an output.
    decoder_from : int, optional
        Cells from this step on are drawn in a second colour (a decoder).
    ax : matplotlib Axes, optional
    initial_state : bool
        Draw cell 0 as the initial state :math:`h_0` (a dashed white box) instead of a
        time step: an input at step 0 then writes into the state before the first step,
        as in a one-to-many model whose input sets :math:`h_0`.
    input_labels, output_labels : mapping of int to str, optional
        Labels of the arrows at some steps (matplotlib mathtext allowed), e.g.
        ``{3: "bos", 4: "$y_1$"}`` for a decoder that reads its previous output. The
        default label is "x" for an input and "y" for an output.

    Returns
    -------
    matplotlib.figure.Figure
    """
    n_steps = check_positive_int(n_steps, "n_steps")
    if n_steps > 5:
        raise ValueError(f"n_steps: expected at most 5 (the width of the drawing), got {n_steps}")
    inputs, outputs = set(inputs), set(outputs)
    for steps, name in ((inputs, "inputs"), (outputs, "outputs")):
        if not steps <= set(range(n_steps)):
            raise ValueError(f"{name}: expected steps in 0..{n_steps - 1}, got {sorted(steps)}")
    labels = {}
    for given, default, name in (
        (input_labels, "x", "input_labels"),
        (output_labels, "y", "output_labels"),
    ):
        given = {} if given is None else dict(given)
        steps = inputs if name == "input_labels" else outputs
        if not set(given) <= steps:
            raise ValueError(
                f"{name}: expected keys among the steps {sorted(steps)}, got {sorted(given)}"
            )
        labels[name] = {t: given.get(t, default) for t in steps}
    if initial_state and 0 in outputs:
        raise ValueError("outputs: the initial state (step 0) emits no output, got step 0")
    fig, ax = diagram_axes(ax, (2.2, 2.2))
    arrow = {"arrowstyle": "->", "lw": 1.0}
    for t in range(n_steps):
        decoder = decoder_from is not None and t >= decoder_from
        if initial_state and t == 0:
            ax.add_patch(
                Rectangle(
                    (-0.3, 0.7), 0.6, 0.6, facecolor="white", edgecolor="C0", linestyle="--", lw=1.2
                )
            )
            ax.text(0, 1.0, "$h_0$", ha="center", va="center")
        else:
            ax.add_patch(Rectangle((t - 0.3, 0.7), 0.6, 0.6, color="C1" if decoder else "C0"))
        if t in inputs:
            ax.annotate("", (t, 0.7), (t, 0.15), arrowprops=arrow)
            ax.text(t, -0.2, labels["input_labels"][t], ha="center", va="center")
        if t in outputs:
            ax.annotate("", (t, 1.85), (t, 1.3), arrowprops=arrow)
            ax.text(t, 2.1, labels["output_labels"][t], ha="center", va="center")
        if t > 0:
            ax.annotate("", (t - 0.3, 1.0), (t - 0.7, 1.0), arrowprops=arrow)
    ax.set(xlim=(-0.6, 4.6), ylim=(-0.5, 2.5))
    ax.set_title(title, fontsize=10)
    return fig


def diagram_axes(ax: Axes | None, size: tuple[float, float]) -> tuple[Figure, Axes]:
    """A figure and an equal-aspect, axis-free Axes for a diagram (new if ``ax`` is None)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=size)
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax: expected a matplotlib Axes or None, got {type(ax).__name__}")
    ax.set_aspect("equal")
    ax.axis("off")
    return ax.figure, ax


def _node(ax: Axes, center: tuple[float, float], label: str, role: str, dashed: bool = False):
    x, y = center
    box = FancyBboxPatch(
        (x - _W / 2, y - _H / 2),
        _W,
        _H,
        boxstyle="round,pad=0.02,rounding_size=0.12",
        facecolor=_COLORS[role],
        edgecolor="#333333",
        linestyle="--" if dashed else "-",
        lw=1.0,
    )
    ax.add_patch(box)
    ax.text(x, y, label, ha="center", va="center", fontsize=11)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    label: str,
    label_offset: tuple[float, float],
) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=12, lw=1.2))
    mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
    ax.text(mx + label_offset[0], my + label_offset[1], label, **_WEIGHT)
