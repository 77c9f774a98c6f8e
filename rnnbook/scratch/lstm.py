r"""The LSTM in numpy, with its backward pass written by hand.

Shapes use the book's letters: ``B`` batch, ``T`` time steps, ``D`` input features,
``H`` hidden units. Sequences are batch-first, as ``torch.nn.LSTM(batch_first=True)``.

The cell keeps two states, the hidden state :math:`h_t` and the cell state :math:`c_t`,
and computes torch's equations (one row of the batch at a time, in column-vector form):

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}) \\
    f_t &= \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}) \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}) \\
    o_t &= \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}) \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t \\
    h_t &= o_t \odot \tanh(c_t)

The four gate blocks are stacked in torch's order ``i, f, g, o``:
``weight_ih_l0 = W_ii|W_if|W_ig|W_io`` of shape (4H, D), ``weight_hh_l0`` (4H, H),
``bias_ih_l0`` and ``bias_hh_l0`` (4H,). The code works on a batch of rows, so it computes
:math:`x_t W_{ih}^\top + b_{ih}` (for all steps at once, see
:mod:`rnnbook.scratch.recurrent`) and :math:`h_{t-1} W_{hh}^\top + b_{hh}` inside the step.

Two levels, as in :mod:`rnnbook.scratch.rnn`:

* :func:`lstm_step_forward` and :func:`lstm_step_backward`: pure functions for one step;
* :class:`LSTM`: the step run over time through the layer protocol, mirroring
  ``torch.nn.LSTM``; its state is the tuple ``(h, c)``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.scratch.activations import activation, sigmoid
from rnnbook.scratch.recurrent import RecurrentLayer, State


class LSTMStepCache(NamedTuple):
    """What :func:`lstm_step_forward` keeps for :func:`lstm_step_backward`.

    Attributes
    ----------
    h_prev, c_prev : ndarray, shape (B, H)
        The state the step started from.
    i, f, g, o : ndarray, shape (B, H)
        The gates after their nonlinearities.
    tanh_c : ndarray, shape (B, H)
        :math:`\\tanh(c_t)`.
    h : ndarray, shape (B, H)
    c : ndarray, shape (B, H)
    """

    h_prev: np.ndarray
    c_prev: np.ndarray
    i: np.ndarray
    f: np.ndarray
    g: np.ndarray
    o: np.ndarray
    tanh_c: np.ndarray
    h: np.ndarray
    c: np.ndarray


def lstm_step_forward(
    params: dict[str, np.ndarray], xw_t: np.ndarray, h_prev: np.ndarray, c_prev: np.ndarray
) -> tuple[np.ndarray, np.ndarray, LSTMStepCache]:
    r"""One step of the LSTM cell.

    .. math::

        [a_i | a_f | a_g | a_o] &= \underbrace{x_t W_{ih}^\top + b_{ih}}_{\texttt{xw\_t}}
            + h_{t-1} W_{hh}^\top + b_{hh} \\
        i = \sigma(a_i), \quad f = \sigma(a_f), \quad g &= \tanh(a_g), \quad
        o = \sigma(a_o) \\
        c_t = f \odot c_{t-1} + i \odot g, \quad h_t &= o \odot \tanh(c_t)

    Parameters
    ----------
    params : dict
        Needs ``weight_hh_l0`` (4H, H); uses ``bias_hh_l0`` (4H,) if present.
    xw_t : ndarray, shape (B, 4H)
        The input part of the four pre-activations, :math:`b_{ih}` included.
    h_prev, c_prev : ndarray, shape (B, H)

    Returns
    -------
    h, c : ndarray, shape (B, H)
    cache : LSTMStepCache
    """
    a = xw_t + h_prev @ params["weight_hh_l0"].T  # (B, 4H)
    if "bias_hh_l0" in params:
        a = a + params["bias_hh_l0"]
    a_i, a_f, a_g, a_o = np.split(a, 4, axis=1)  # each (B, H), torch's order
    i, f, g, o = sigmoid(a_i), sigmoid(a_f), np.tanh(a_g), sigmoid(a_o)
    c = f * c_prev + i * g  # (B, H)
    tanh_c = np.tanh(c)
    h = o * tanh_c  # (B, H)
    return h, c, LSTMStepCache(h_prev, c_prev, i, f, g, o, tanh_c, h, c)


def lstm_step_backward(
    params: dict[str, np.ndarray], d_h: np.ndarray, d_c: np.ndarray, cache: LSTMStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Back through one step of :func:`lstm_step_forward`.

    ``d_h`` is everything that reaches :math:`h_t` (from the output and from step
    :math:`t+1`), ``d_c`` everything that reaches :math:`c_t` from step :math:`t+1`.

    .. math::

        \bar c &= \bar c_t + \bar h_t \odot o \odot (1 - \tanh^2 c_t), \qquad
        \bar o = \bar h_t \odot \tanh c_t, \\
        \bar i &= \bar c \odot g, \quad \bar g = \bar c \odot i, \quad
        \bar f = \bar c \odot c_{t-1}, \quad \bar c_{t-1} = \bar c \odot f, \\
        \bar a &= [\bar i\, \sigma'|\, \bar f\, \sigma'|\, \bar g \tanh'|\, \bar o\, \sigma'],
        \quad \bar h_{t-1} = \bar a W_{hh}, \quad \bar W_{hh} = \bar a^\top h_{t-1},
        \quad \bar b_{hh} = \textstyle\sum_b \bar a.

    Returns
    -------
    d_a : ndarray, shape (B, 4H)
        Gradient of the four pre-activations, which is also the gradient of ``xw_t``.
    d_h_prev, d_c_prev : ndarray, shape (B, H)
    d_weight_hh : ndarray, shape (4H, H)
    d_bias_hh : ndarray, shape (4H,)
    """
    sig, tanh = activation("sigmoid"), activation("tanh")
    h_prev, c_prev, i, f, g, o, tanh_c, _, _ = cache
    d_o = d_h * tanh_c  # ∂h/∂o = tanh(c)
    d_c = d_c + d_h * o * tanh.grad_from_output(tanh_c)  # ∂h/∂c = o ⊙ tanh'(c)
    d_i = d_c * g  # ∂c/∂i = g
    d_g = d_c * i  # ∂c/∂g = i
    d_f = d_c * c_prev  # ∂c/∂f = c_{t-1}
    d_c_prev = d_c * f  # ∂c/∂c_{t-1} = f: the cell's own path back in time
    d_a = np.concatenate(  # through each gate's nonlinearity, σ' or tanh'
        [
            d_i * sig.grad_from_output(i),
            d_f * sig.grad_from_output(f),
            d_g * tanh.grad_from_output(g),
            d_o * sig.grad_from_output(o),
        ],
        axis=1,
    )  # (B, 4H)
    d_h_prev = d_a @ params["weight_hh_l0"]  # ∂a/∂h_{t-1} = W_hh
    d_weight_hh = d_a.T @ h_prev  # (4H, H)
    d_bias_hh = d_a.sum(axis=0)  # (4H,): b_hh enters every row with slope 1
    return d_a, d_h_prev, d_c_prev, d_weight_hh, d_bias_hh


class LSTM(RecurrentLayer):
    r"""A one-layer LSTM in numpy, shaped like ``torch.nn.LSTM(batch_first=True)``.

    .. math::

        i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}), \quad
        f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}), \\
        g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), \quad
        o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}), \\
        c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t).

    Follows the layer protocol of :mod:`rnnbook.scratch.recurrent`:
    ``forward(x, state=None, *, lengths=None) -> (out, (h_n, c_n))`` and
    ``backward(d_out, d_state_n=None) -> (dx, (dh0, dc0))``, where a state is the tuple
    ``(h, c)`` of two (1, B, H) arrays and either part of ``d_state_n`` may be None.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    bias : bool
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype

    Attributes
    ----------
    params : dict[str, ndarray]
        ``weight_ih_l0`` (4H, D), ``weight_hh_l0`` (4H, H), ``bias_ih_l0`` (4H,),
        ``bias_hh_l0`` (4H,); gate blocks in the order ``i, f, g, o``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = LSTM(input_size=3, hidden_size=4, rng=0)
    >>> out, (h_n, c_n) = layer.forward(np.ones((2, 5, 3)))
    >>> out.shape, h_n.shape, c_n.shape
    ((2, 5, 4), (1, 2, 4), (1, 2, 4))
    >>> dx, (dh0, dc0) = layer.backward(np.ones_like(out), (None, np.ones_like(c_n)))
    >>> dx.shape, dc0.shape, layer.grads["weight_hh_l0"].shape
    ((2, 5, 3), (1, 2, 4), (16, 4))
    """

    gates = 4
    state_parts = 2
    torch_name = "LSTM"

    def __repr__(self) -> str:
        return (
            f"LSTM(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"bias={self.bias}, dtype={self.dtype})"
        )

    def step_forward(self, xw_t: np.ndarray, state: State) -> tuple[State, LSTMStepCache]:
        h, c, cache = lstm_step_forward(self.params, xw_t, *state)
        return (h, c), cache

    def step_backward(
        self, d_state: State, cache: LSTMStepCache, grads: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, State]:
        d_a, d_h_prev, d_c_prev, d_weight_hh, d_bias_hh = lstm_step_backward(
            self.params, *d_state, cache
        )
        grads["weight_hh_l0"] += d_weight_hh
        if self.bias:
            grads["bias_hh_l0"] += d_bias_hh
        return d_a, (d_h_prev, d_c_prev)

    @property
    def cell_states(self) -> np.ndarray:
        """The cell states :math:`c_1, \\dots, c_T` of the last forward pass, (B, T, H)."""
        if self.cache is None:
            raise RuntimeError("cell_states: call forward() first")
        return np.stack([c.c for c in self.cache.steps], axis=1)

    @classmethod
    def _from_torch_kwargs(cls, module: object) -> dict[str, object]:
        if module.proj_size != 0:
            raise ValueError(
                f"module: expected proj_size=0 (no projection of h), got {module.proj_size}"
            )
        return {}
