r"""Truncated backpropagation through time, TBPTT(k1, k2), for the numpy RNN.

Williams and Peng (1990) train a recurrent network on a long stream by updating the weights
every :math:`k_1` steps and, at each update, backpropagating :math:`k_2 \ge k_1` steps into
the past. Everything the scheme does is decided by a list of :class:`Window` objects made
by :func:`tbptt_windows`; nothing hides in a variable carried from one call to the next.
For the update after step ``stop``:

* the losses of the last :math:`k_1` steps, ``loss_start = stop - k1`` to ``stop - 1``,
  are new;
* the forward pass starts at step ``start = max(0, loss_start - (k2 - k1))`` (that is
  ``stop - k2`` for a full window) from the hidden state :math:`h_{\text{start}}`, which
  was computed earlier and is treated as a **constant**: no gradient flows into it. This
  is the truncation, what ``h.detach()`` does in torch;
* the new losses are backpropagated through the ``stop - start`` steps of the window,
  and only those activations are stored;
* the caller updates the weights; the next window starts from a state computed by this
  window's forward pass.

Steps are counted from 0 in code: inputs ``x[:, start:stop]`` produce the states
:math:`h_{\text{start}+1}, \dots, h_{\text{stop}}` of the book's 1-based notation.

With :math:`k_1 = k_2 = k` this is the common "forward k steps, backward k steps" recipe:
windows do not overlap and each step is computed once. With :math:`k_1 = k_2 \ge T` there
is one window, and the scheme is full BPTT exactly.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_int
from rnnbook.scratch.rnn import NONLINEARITIES, RNNCache, rnn_backward, rnn_forward

#: ``loss_fn(hs, loss_start, stop) -> (loss, d_hs, extra_grads)``: the loss of the steps
#: ``loss_start .. stop-1`` from their hidden states ``hs`` of shape (B, stop - loss_start, H),
#: its gradient with respect to ``hs`` (same shape), and the gradients of any parameters
#: of the loss itself (for example an output layer), as a dict.
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
        The loss of the window's last ``stop - loss_start`` steps, as ``loss_fn`` returned it.
    grads : dict
        Gradients of that loss for the RNN's parameters, same keys as ``params``.
    loss_grads : dict
        The extra gradients ``loss_fn`` returned (an output layer's, say).
    cache : RNNCache
        The window's stored activations (inputs ``x``, start state ``h0``, states ``hs``).
    h_stop : ndarray, shape (B, H)
        The state after ``stop`` steps.
    """

    window: Window
    loss: float
    grads: dict[str, np.ndarray]
    loss_grads: dict[str, np.ndarray]
    cache: RNNCache
    h_stop: np.ndarray


def truncated_bptt(
    params: dict[str, np.ndarray],
    x: np.ndarray,
    k1: int,
    k2: int,
    loss_fn: LossFn,
    h0: np.ndarray | None = None,
    nonlinearity: str = "tanh",
    stateful: bool = True,
) -> Iterator[TBPTTUpdate]:
    r"""Run TBPTT(k1, k2) over a stream, yielding one gradient per window.

    A generator: after each ``yield`` the caller may clip the gradients and update
    ``params`` **in place** (with an optimizer from :mod:`rnnbook.optim`); the next window
    is computed with the updated weights. For each window (see :func:`tbptt_windows`):

    .. math::

        h_{\text{start}} &\ \text{fixed (a constant)}, \qquad
        h_t = \phi(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}),
        \quad \text{start} < t \le \text{stop}, \\
        g &= \nabla_\theta \sum_{t = \text{loss\_start} + 1}^{\text{stop}} L_t
        \quad \text{through } h_{\text{start}+1}, \dots, h_{\text{stop}} \text{ only.}

    Parameters
    ----------
    params : dict
        The RNN's parameters, as for :func:`~rnnbook.scratch.rnn.rnn_forward`.
    x : ndarray, shape (B, T, D)
        The whole stream (B parallel streams of T steps).
    k1, k2 : int
        Steps between updates, and steps backpropagated at each update (k2 >= k1).
    loss_fn : callable
        ``loss_fn(hs, loss_start, stop) -> (loss, d_hs, extra_grads)``; see :data:`LossFn`.
    h0 : ndarray, shape (B, H), optional
        The state before the first step; zeros if omitted.
    nonlinearity : {"tanh", "relu"}
    stateful : bool
        If True (the usual), each window starts from the state the forward pass reached at
        its ``start``; if False, every window starts from ``h0`` again (stateless training).

    Yields
    ------
    TBPTTUpdate
    """
    x = check_array(x, "x", shape=(None, None, None), legend="(B, T, D)")
    B, T, D = x.shape
    if B == 0 or T == 0:
        raise ValueError(f"x: expected at least one stream and one step, got shape {x.shape}")
    check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
    if not isinstance(stateful, bool):
        raise TypeError(f"stateful: expected a bool, got {type(stateful).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {type(loss_fn).__name__}")
    if not isinstance(params, dict) or not {"weight_ih_l0", "weight_hh_l0"} <= params.keys():
        raise TypeError(
            "params: expected a dict with 'weight_ih_l0' and 'weight_hh_l0', got "
            f"{sorted(params) if isinstance(params, dict) else type(params).__name__}"
        )
    H, D_params = params["weight_ih_l0"].shape
    if D_params != D:
        raise ValueError(f"x: expected D = {D_params} input features, got shape {x.shape}")
    if h0 is None:
        h0 = np.zeros((B, H), dtype=x.dtype)
    h0 = check_array(h0, "h0", shape=(B, H), legend="(B, H)")
    windows = tbptt_windows(T, k1, k2)

    # The constant start states, keyed by step: h_0, then states saved by earlier windows.
    starts = {0: h0}
    needed = {w.start for w in windows}
    for i, w in enumerate(windows):
        h_start = starts[w.start] if stateful else h0  # a constant: truncation happens here
        hs, cache = rnn_forward(params, x[:, w.start : w.stop], h_start, nonlinearity)
        n = w.stop - w.loss_start  # the steps whose loss is new in this window
        loss, d_hs_loss, loss_grads = loss_fn(hs[:, -n:], w.loss_start, w.stop)
        if np.shape(d_hs_loss) != (B, n, H):
            raise ValueError(
                f"loss_fn: expected d_hs of shape {(B, n, H)} (B, stop - loss_start, H), "
                f"got {np.shape(d_hs_loss)}"
            )
        d_hs = np.zeros_like(hs)  # (B, stop - start, H): no loss before loss_start
        d_hs[:, -n:] = d_hs_loss
        _, _, grads = rnn_backward(params, cache, d_hs)  # back to h_start, no further
        for s in range(w.start + 1, w.stop + 1):  # keep the states later windows start from
            if s in needed:
                starts[s] = hs[:, s - w.start - 1].copy()  # (B, H)
        next_start = windows[i + 1].start if i + 1 < len(windows) else T
        for s in [s for s in starts if s < next_start]:
            del starts[s]  # starts only move forward: no later window needs these
        yield TBPTTUpdate(
            window=w,
            loss=float(loss),
            grads=grads,
            loss_grads=loss_grads,
            cache=cache,
            h_stop=hs[:, -1].copy(),
        )
