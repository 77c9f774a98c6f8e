r"""Truncated backpropagation through time, TBPTT(k1, k2), for any numpy recurrent layer.

The standard algorithm of Williams and Peng (1990), in the form Sutskever (2013, §3.3)
describes: the forward pass runs **once** over the stream, one step after another, and
every :math:`k_1` steps the newest losses are backpropagated :math:`k_2 \ge k_1` steps
into the past **through the stored activations**. Older activations were produced by the
weights of earlier updates; they are not recomputed. The gradient stops at the state
:math:`k_2` steps back, as if that state were a constant: this is the truncation, what
``h.detach()`` does in torch.

Everything the schedule does is decided by a list of :class:`Window` objects made by
:func:`tbptt_windows`. For the update after step ``stop``:

* the losses of steps ``loss_start .. stop - 1`` (the last :math:`k_1`) are new;
* they are backpropagated through steps ``start .. stop - 1``, with
  ``start = max(0, loss_start - (k2 - k1))``, using the step caches stored when those
  steps ran forward, and the current weights;
* the caller updates the weights; the forward pass goes on from the state it reached.

With :math:`k_1 = k_2 = k` this is the common "forward k steps, backward k steps" recipe:
windows do not overlap and every activation in a window comes from the current weights.
With :math:`k_1 = k_2 \ge T` there is one window, and the scheme is full BPTT exactly.

Steps are counted from 0 in code: inputs ``x[:, start:stop]`` produce the states
:math:`h_{\text{start}+1}, \dots, h_{\text{stop}}` of the book's 1-based notation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_positive_int
from rnnbook.scratch.recurrent import RecurrentLayer, SequenceCache

#: ``loss_fn(out, loss_start, stop) -> (loss, d_out, extra_grads)``: the loss of the steps
#: ``loss_start .. stop-1`` from the layer's outputs ``out`` of shape (B, stop - loss_start, H),
#: its gradient with respect to ``out`` (same shape), and the gradients of any parameters
#: of the loss itself (for example a readout), as a dict.
LossFn = Callable[[np.ndarray, int, int], tuple[float, np.ndarray, dict[str, np.ndarray]]]


@dataclass(frozen=True)
class Window:
    """One update of TBPTT(k1, k2), in 0-based step indices.

    Attributes
    ----------
    start : int
        The forward pass starts from the constant state after ``start`` steps.
    loss_start : int
        The losses at steps ``loss_start .. stop - 1`` are backpropagated.
    stop : int
        The update happens after ``stop`` steps.
    """

    start: int
    loss_start: int
    stop: int

    @property
    def stored_steps(self) -> int:
        """How many steps of activations the backward pass of this window needs."""
        return self.stop - self.start


def tbptt_windows(T: int, k1: int, k2: int) -> list[Window]:
    """The schedule of TBPTT(k1, k2) on a stream of ``T`` steps.

    Updates happen after every ``k1`` steps and after the last step. Each window reaches
    ``k2 - k1`` steps further back than its first new loss, so that a full window spans the
    last ``k2`` steps: the newest loss is backpropagated ``k2`` steps, the oldest
    ``k2 - k1 + 1``. Near the start of the stream, and in a last window shorter than ``k1``,
    windows are shorter. With ``k1 == k2`` the windows tile the stream without overlap.

    Parameters
    ----------
    T : int
        Length of the stream.
    k1 : int
        Steps between updates, >= 1.
    k2 : int
        Steps backpropagated at each update, >= k1 (otherwise some losses would never be
        backpropagated).

    Returns
    -------
    list of Window
        In order; their ``loss_start .. stop`` ranges tile ``0 .. T`` exactly once.
    """
    T = check_positive_int(T, "T")
    k1 = check_positive_int(k1, "k1")
    k2 = check_positive_int(k2, "k2")
    if k2 < k1:
        raise ValueError(
            f"k2: expected k2 >= k1 = {k1} so that every loss is backpropagated, got {k2}"
        )
    stops = [*range(k1, T, k1), T]
    loss_starts = [0, *stops[:-1]]
    return [
        Window(start=max(0, loss_start - (k2 - k1)), loss_start=loss_start, stop=stop)
        for loss_start, stop in zip(loss_starts, stops, strict=True)
    ]


class TBPTTUpdate(NamedTuple):
    """What :func:`truncated_bptt` yields for each window, before the weights change.

    Attributes
    ----------
    window : Window
    loss : float
        The loss of the window's new steps, as ``loss_fn`` returned it.
    grads : dict
        Gradients of that loss for the layer's parameters, same keys as ``layer.params``.
    loss_grads : dict
        The extra gradients ``loss_fn`` returned (a readout's, say).
    cache : SequenceCache
        The stored activations the window's backward pass walked through.
    state : ndarray or tuple of ndarray
        The layer's state after ``stop`` steps, in its torch layout.
    """

    window: Window
    loss: float
    grads: dict[str, np.ndarray]
    loss_grads: dict[str, np.ndarray]
    cache: SequenceCache
    state: Any


def truncated_bptt(
    layer: RecurrentLayer,
    x: np.ndarray,
    k1: int,
    k2: int,
    loss_fn: LossFn,
    state0: Any = None,
    stateful: bool = True,
) -> Iterator[TBPTTUpdate]:
    r"""Run TBPTT(k1, k2) over a stream with any protocol layer, one gradient per window.

    A generator: after each ``yield`` the caller may clip the gradients and update
    ``layer.params`` **in place** (with an optimizer from :mod:`rnnbook.optim`); the forward
    pass then continues with the new weights. For the window ending at step ``stop``:

    .. math::

        g = \nabla_\theta \sum_{t = \text{loss\_start} + 1}^{\text{stop}} L_t
        \quad \text{through the stored } s_{\text{start}+1}, \dots, s_{\text{stop}} \text{ only.}

    Parameters
    ----------
    layer : RecurrentLayer
        Any numpy recurrent layer (RNN, GRU, LSTM, ...).
    x : ndarray, shape (B, T, D)
        The whole stream (B parallel streams of T steps).
    k1, k2 : int
        Steps between updates, and steps backpropagated (k2 >= k1).
    loss_fn : callable
        ``loss_fn(out, loss_start, stop) -> (loss, d_out, extra_grads)``; see :data:`LossFn`.
    state0 : the layer's state, optional
        The state before the first step; zeros if omitted.
    stateful : bool
        If True (the usual), the state is carried across windows. If False, every window
        starts from ``state0`` again (stateless training); this needs ``k1 == k2``.

    Yields
    ------
    TBPTTUpdate
    """
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer: expected a numpy RecurrentLayer, got {type(layer).__name__}")
    x = check_array(x, "x", shape=(None, None, layer.input_size), legend="(B, T, D)")
    B, T, D = x.shape
    if B == 0 or T == 0:
        raise ValueError(f"x: expected at least one stream and one step, got shape {x.shape}")
    if not isinstance(stateful, bool):
        raise TypeError(f"stateful: expected a bool, got {type(stateful).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {type(loss_fn).__name__}")
    windows = tbptt_windows(T, k1, k2)
    if not stateful and k1 != k2:
        raise ValueError(f"k2: expected k2 == k1 = {k1} for stateless training, got {k2}")
    H = layer.hidden_size
    state, stored = state0, []  # stored: the step caches of the last k2 steps
    for w in windows:
        if not stateful:
            state, stored = state0, []  # a fresh start: nothing before it to reach
        out, state = layer.forward(x[:, w.loss_start : w.stop], state)  # the new steps, once
        stored = [*stored, *layer.cache.steps][-(w.stop - w.start) :]  # keep what k2 reaches
        n = w.stop - w.loss_start
        loss, d_out_new, loss_grads = loss_fn(out, w.loss_start, w.stop)
        if np.shape(d_out_new) != (B, n, H):
            raise ValueError(
                f"loss_fn: expected d_out of shape {(B, n, H)} (B, stop - loss_start, H), "
                f"got {np.shape(d_out_new)}"
            )
        d_out = np.zeros((B, len(stored), H), dtype=out.dtype)  # no loss before loss_start
        d_out[:, -n:] = d_out_new
        span = slice(w.stop - len(stored), w.stop)
        layer.cache = SequenceCache(
            x=x[:, span], state0=(), steps=stored, mask=np.ones((B, len(stored)), dtype=bool)
        )
        layer.backward(d_out)  # back to s_start through stored activations, no further
        yield TBPTTUpdate(
            window=w,
            loss=float(loss),
            grads=layer.grads,
            loss_grads=loss_grads,
            cache=layer.cache,
            state=state,
        )
