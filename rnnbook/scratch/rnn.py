r"""The Elman RNN in numpy, with its backward pass written by hand.

Shapes use the book's letters: ``B`` batch, ``T`` time steps, ``D`` input features,
``H`` hidden units. Sequences are batch-first, as ``torch.nn.RNN(batch_first=True)``.

The cell computes, for :math:`t = 1, \dots, T`,

.. math::

    a_t = x_t W_{ih}^\top + b_{ih} + b_{hh} + h_{t-1} W_{hh}^\top, \qquad
    h_t = \sigma(a_t),

with :math:`\sigma = \tanh` or :math:`\mathrm{ReLU}` (or the identity, for analysis),
rows :math:`x_t` of shape ``(B, D)`` and :math:`h_t` of shape ``(B, H)``. In the book's
column-vector notation
(see the notation page), :math:`h_t = \sigma(W h_{t-1} + U x_t + b)` with
:math:`W = W_{hh}`, :math:`U = W_{ih}` and :math:`b = b_{ih} + b_{hh}`: torch keeps two bias
vectors where one would do, and so do we, so that weights copy across unchanged.

Two levels:

* :func:`rnn_step_forward` and :func:`rnn_step_backward` are pure functions for one step,
  in the spirit of CS231n's ``rnn_layers.py``; Jacobian analysis and truncated BPTT call them;
* :class:`RNN` runs the step over time through the layer protocol of
  :mod:`rnnbook.scratch.recurrent` and mirrors ``torch.nn.RNN``.

>>> import numpy as np
>>> layer = RNN(input_size=3, hidden_size=4, rng=0)
>>> out, h_n = layer.forward(np.ones((2, 5, 3)))
>>> out.shape, h_n.shape
((2, 5, 4), (1, 2, 4))
>>> bool(np.allclose(out[:, -1], h_n[0]))
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_array
from rnnbook.scratch.activations import activation
from rnnbook.scratch.recurrent import SingleStateLayer, State

#: ``"identity"`` (linear units) has no torch twin; the gradient-flow analysis uses it.
NONLINEARITIES = ("tanh", "relu", "identity")


class RNNStepCache(NamedTuple):
    """What :func:`rnn_step_forward` keeps for :func:`rnn_step_backward`.

    Attributes
    ----------
    h_prev : ndarray, shape (B, H)
    h : ndarray, shape (B, H)
        The new state :math:`h_t = \\sigma(a_t)`.
    nonlinearity : str
    """

    h_prev: np.ndarray
    h: np.ndarray
    nonlinearity: str


def rnn_step_forward(
    params: dict[str, np.ndarray], xw_t: np.ndarray, h_prev: np.ndarray, nonlinearity: str
) -> tuple[np.ndarray, RNNStepCache]:
    r"""One step of the Elman cell.

    .. math::

        h_t = \sigma(\underbrace{x_t W_{ih}^\top + b_{ih} + b_{hh}}_{\texttt{xw\_t}}
                     + h_{t-1} W_{hh}^\top)

    Parameters
    ----------
    params : dict
        Needs ``weight_hh_l0`` (H, H).
    xw_t : ndarray, shape (B, H)
        The input part of the pre-activation, both biases included.
    h_prev : ndarray, shape (B, H)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    h : ndarray, shape (B, H)
    cache : RNNStepCache
    """
    sigma = activation(nonlinearity).f
    h = sigma(xw_t + h_prev @ params["weight_hh_l0"].T)  # (B, H)
    return h, RNNStepCache(h_prev=h_prev, h=h, nonlinearity=nonlinearity)


def rnn_step_backward(
    params: dict[str, np.ndarray], d_h: np.ndarray, cache: RNNStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Back through one step of :func:`rnn_step_forward`.

    With :math:`g = \partial L / \partial h_t` (everything that reaches :math:`h_t`):

    .. math::

        \delta = g \odot \sigma'(a_t), \qquad
        \frac{\partial L}{\partial\, \texttt{xw\_t}} = \delta, \qquad
        \frac{\partial L}{\partial h_{t-1}} = \delta W_{hh}, \qquad
        \frac{\partial L}{\partial W_{hh}} = \delta^\top h_{t-1}.

    Returns
    -------
    delta : ndarray, shape (B, H)
        :math:`\partial L / \partial a_t`, which is also the gradient of ``xw_t``.
    d_h_prev : ndarray, shape (B, H)
    d_weight_hh : ndarray, shape (H, H)
    """
    sigma_prime = activation(cache.nonlinearity).grad_from_output(cache.h)  # σ'(a_t) from h_t
    delta = d_h * sigma_prime  # through σ
    d_h_prev = delta @ params["weight_hh_l0"]  # back into h_{t-1}
    d_weight_hh = delta.T @ cache.h_prev  # (H, H)
    return delta, d_h_prev, d_weight_hh


class RNN(SingleStateLayer):
    r"""A one-layer Elman RNN in numpy, shaped like ``torch.nn.RNN(batch_first=True)``.

    .. math::

        h_t = \sigma(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

    Follows the layer protocol of :mod:`rnnbook.scratch.recurrent`; the state is ``h`` of
    shape (1, B, H), and torch's keyword names ``h0`` and ``d_h_n`` work too.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    nonlinearity : {"tanh", "relu", "identity"}
        Any other name raises ``ValueError`` (``"Tanh"`` included). ``"identity"`` (linear
        units, for analysis) cannot be converted to torch.
    bias : bool
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype

    Attributes
    ----------
    params : dict[str, ndarray]
        ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H), ``bias_ih_l0`` (H,),
        ``bias_hh_l0`` (H,).
    """

    gates = 1
    torch_name = "RNN"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
    ) -> None:
        if nonlinearity not in NONLINEARITIES:
            raise ValueError(
                f"nonlinearity: expected one of {NONLINEARITIES}, got {nonlinearity!r}"
            )
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias=bias, rng=rng, dtype=dtype)

    def __repr__(self) -> str:
        return (
            f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"nonlinearity={self.nonlinearity!r}, bias={self.bias}, dtype={self.dtype})"
        )

    def project_inputs(self, x: np.ndarray) -> np.ndarray:
        r""":math:`x W_{ih}^\top + b_{ih} + b_{hh}`: both biases enter once, with the input."""
        xw = x @ self.params["weight_ih_l0"].T  # (B, T, H)
        if self.bias:
            xw = xw + (self.params["bias_ih_l0"] + self.params["bias_hh_l0"])
        return xw

    def step_forward(self, xw_t: np.ndarray, state: State) -> tuple[State, RNNStepCache]:
        h, cache = rnn_step_forward(self.params, xw_t, state[0], self.nonlinearity)
        return (h,), cache

    def step_backward(
        self, d_state: State, cache: RNNStepCache, grads: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, State]:
        delta, d_h_prev, d_weight_hh = rnn_step_backward(self.params, d_state[0], cache)
        grads["weight_hh_l0"] += d_weight_hh
        if self.bias:
            grads["bias_hh_l0"] += delta.sum(axis=0)  # b_hh enters like b_ih
        return delta, (d_h_prev,)

    def _torch_kwargs(self) -> dict[str, object]:
        if self.nonlinearity == "identity":
            raise ValueError("nonlinearity: torch.nn.RNN has no 'identity' units, got 'identity'")
        return {"nonlinearity": self.nonlinearity}

    @classmethod
    def _from_torch_kwargs(cls, module: object) -> dict[str, object]:
        return {"nonlinearity": module.nonlinearity}


def check_h0(h0: object, B: int, H: int, dtype: np.dtype) -> np.ndarray:
    """A (B, H) initial state for code that runs a cell on its own (zeros if None)."""
    if h0 is None:
        return np.zeros((B, H), dtype=dtype)
    return check_array(h0, "h0", shape=(B, H), legend="(B, H)", dtype=dtype)
