r"""The Elman RNN in numpy, with its backward pass written by hand.

Shapes use the book's letters: ``B`` batch, ``T`` time steps, ``D`` input features,
``H`` hidden units. Sequences are batch-first, as ``torch.nn.RNN(batch_first=True)``.

The layer computes, for :math:`t = 1, \dots, T`,

.. math::

    a_t = x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}, \qquad
    h_t = \phi(a_t),

with :math:`\phi = \tanh` or :math:`\phi = \mathrm{ReLU}`, rows :math:`x_t` of shape
``(B, D)`` and :math:`h_t` of shape ``(B, H)``. In the book's column-vector notation,
:math:`h_t = \phi(W h_{t-1} + U x_t + b)` with :math:`W = W_{hh}`, :math:`U = W_{ih}` and
:math:`b = b_{ih} + b_{hh}`: torch keeps two bias vectors where one would do, and so do we,
so that weights copy across unchanged.

The work is split in two layers:

* :func:`rnn_forward` and :func:`rnn_backward` are pure functions. The forward pass
  returns an immutable :class:`RNNCache` holding exactly what the backward pass needs;
  the truncated-BPTT and gradient-analysis code of later chapters call them directly.
* :class:`RNN` holds the parameters and the last cache, and mirrors ``torch.nn.RNN``.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_int

NONLINEARITIES = ("tanh", "relu")


class RNNCache(NamedTuple):
    """What :func:`rnn_forward` keeps for :func:`rnn_backward`.

    Attributes
    ----------
    x : ndarray, shape (B, T, D)
        The inputs.
    h0 : ndarray, shape (B, H)
        The initial state.
    hs : ndarray, shape (B, T, H)
        The hidden states :math:`h_1, \\dots, h_T` (the layer's output).
    nonlinearity : str
        ``"tanh"`` or ``"relu"``.
    """

    x: np.ndarray
    h0: np.ndarray
    hs: np.ndarray
    nonlinearity: str


def rnn_forward(
    params: dict[str, np.ndarray], x: np.ndarray, h0: np.ndarray, nonlinearity: str = "tanh"
) -> tuple[np.ndarray, RNNCache]:
    r"""Run the recurrence over a whole sequence.

    .. math::

        h_t = \phi(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

    Parameters
    ----------
    params : dict
        ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H) and, if the layer has biases,
        ``bias_ih_l0`` (H,) and ``bias_hh_l0`` (H,).
    x : ndarray, shape (B, T, D)
    h0 : ndarray, shape (B, H)
    nonlinearity : {"tanh", "relu"}

    Returns
    -------
    hs : ndarray, shape (B, T, H)
        Every hidden state; ``hs[:, -1]`` is the final state.
    cache : RNNCache
    """
    B, T, D = x.shape
    H = params["weight_hh_l0"].shape[0]
    phi = np.tanh if nonlinearity == "tanh" else _relu
    # The input projection does not depend on the recurrence: do it for all steps at once.
    a_in = x @ params["weight_ih_l0"].T  # (B, T, H)
    if "bias_ih_l0" in params:
        a_in = a_in + (params["bias_ih_l0"] + params["bias_hh_l0"])
    hs = np.empty((B, T, H), dtype=a_in.dtype)
    h = h0
    for t in range(T):  # the recurrence is the only loop
        h = phi(a_in[:, t] + h @ params["weight_hh_l0"].T)  # (B, H)
        hs[:, t] = h
    return hs, RNNCache(x=x, h0=h0, hs=hs, nonlinearity=nonlinearity)


def rnn_backward(
    params: dict[str, np.ndarray],
    cache: RNNCache,
    d_hs: np.ndarray,
    d_h_last: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    r"""Backpropagation through time for :func:`rnn_forward`.

    With :math:`\delta_t = \partial L / \partial a_t` and :math:`g_t` the total gradient
    reaching :math:`h_t`, the backward recurrence runs from :math:`t = T` down to 1:

    .. math::

        g_t &= \frac{\partial L}{\partial h_t}\Big|_{\text{direct}} + \delta_{t+1} W_{hh},
        \qquad \delta_{T+1} W_{hh} := \frac{\partial L}{\partial h_T}\Big|_{h_n}, \\
        \delta_t &= g_t \odot \phi'(a_t), \qquad
        \phi'(a_t) = 1 - h_t^2 \ (\tanh), \quad [a_t > 0] \ (\mathrm{ReLU}), \\
        \frac{\partial L}{\partial W_{hh}} &= \sum_t \delta_t^\top h_{t-1}, \quad
        \frac{\partial L}{\partial W_{ih}} = \sum_t \delta_t^\top x_t, \quad
        \frac{\partial L}{\partial b_{ih}} = \frac{\partial L}{\partial b_{hh}}
            = \sum_t \mathbf{1}^\top \delta_t, \\
        \frac{\partial L}{\partial x_t} &= \delta_t W_{ih}, \qquad
        \frac{\partial L}{\partial h_0} = \delta_1 W_{hh}.

    Parameters
    ----------
    params : dict
        The parameters used in the forward pass.
    cache : RNNCache
        From :func:`rnn_forward`.
    d_hs : ndarray, shape (B, T, H)
        :math:`\partial L / \partial h_t` through the outputs, for every step.
    d_h_last : ndarray, shape (B, H), optional
        Extra gradient on the final state (for example through ``h_n``).

    Returns
    -------
    dx : ndarray, shape (B, T, D)
    dh0 : ndarray, shape (B, H)
    grads : dict
        Same keys and shapes as ``params``.
    """
    x, h0, hs = cache.x, cache.h0, cache.hs
    B, T, H = hs.shape
    W_hh = params["weight_hh_l0"]
    deltas = np.empty_like(hs)  # (B, T, H): dL/da_t for every step
    dh_next = np.zeros_like(h0) if d_h_last is None else d_h_last  # (B, H)
    for t in reversed(range(T)):
        g = d_hs[:, t] + dh_next  # total gradient reaching h_t
        if cache.nonlinearity == "tanh":
            delta = g * (1.0 - hs[:, t] ** 2)  # through tanh: 1 - h_t^2
        else:
            delta = g * (hs[:, t] > 0)  # through ReLU: [a_t > 0], and h_t > 0 iff a_t > 0
        deltas[:, t] = delta
        dh_next = delta @ W_hh  # backprop into h_{t-1}
    # Everything below sums over (B, T) at once.
    h_prev = np.concatenate([h0[:, None, :], hs[:, :-1]], axis=1)  # (B, T, H): h_0..h_{T-1}
    flat_delta = deltas.reshape(B * T, H)
    grads = {
        "weight_ih_l0": flat_delta.T @ x.reshape(B * T, -1),  # (H, D)
        "weight_hh_l0": flat_delta.T @ h_prev.reshape(B * T, H),  # (H, H)
    }
    if "bias_ih_l0" in params:
        grads["bias_ih_l0"] = flat_delta.sum(axis=0)  # (H,)
        grads["bias_hh_l0"] = flat_delta.sum(axis=0).copy()  # (H,)
    dx = deltas @ params["weight_ih_l0"]  # (B, T, D)
    return dx, dh_next, grads


def _relu(a: np.ndarray) -> np.ndarray:
    return np.maximum(a, 0.0)


class RNN:
    r"""A one-layer Elman RNN in numpy, shaped like ``torch.nn.RNN(batch_first=True)``.

    .. math::

        h_t = \phi(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh})

    Parameters
    ----------
    input_size : int
        D, the number of input features.
    hidden_size : int
        H, the number of hidden units.
    nonlinearity : {"tanh", "relu"}
    bias : bool
        Whether to have ``bias_ih_l0`` and ``bias_hh_l0``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, or a seed for one. ``None`` draws fresh entropy.
        Weights start as torch's do: uniform on :math:`[-1/\sqrt{H}, 1/\sqrt{H}]`.
    dtype : numpy dtype
        Parameter dtype, float64 by default (gradient checks need it).

    Attributes
    ----------
    params : dict[str, ndarray]
        Named and shaped like torch's: ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H),
        ``bias_ih_l0`` (H,), ``bias_hh_l0`` (H,).
    grads : dict[str, ndarray]
        Filled by :meth:`backward`, same keys as ``params``.
    cache : RNNCache or None
        What the last :meth:`forward` stored for :meth:`backward`.
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        nonlinearity: str = "tanh",
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
    ) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        self.nonlinearity = check_choice(nonlinearity, "nonlinearity", NONLINEARITIES)
        if not isinstance(bias, bool):
            raise TypeError(f"bias: expected a bool, got {type(bias).__name__}")
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
        self.bias = bias
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(rng)
        D, H = self.input_size, self.hidden_size
        bound = 1.0 / np.sqrt(H)
        shapes = {"weight_ih_l0": (H, D), "weight_hh_l0": (H, H)}
        if bias:
            shapes |= {"bias_ih_l0": (H,), "bias_hh_l0": (H,)}
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in shapes.items()
        }
        self.grads: dict[str, np.ndarray] = {}
        self.cache: RNNCache | None = None

    def __repr__(self) -> str:
        return (
            f"RNN(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"nonlinearity={self.nonlinearity!r}, bias={self.bias}, dtype={self.dtype})"
        )

    def forward(self, x: np.ndarray, h0: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Run the layer over a batch of sequences.

        Parameters
        ----------
        x : ndarray, shape (B, T, D)
        h0 : ndarray, shape (1, B, H), optional
            Initial state, zeros if omitted (torch's layout: one layer first).

        Returns
        -------
        out : ndarray, shape (B, T, H)
            The hidden state at every step.
        h_n : ndarray, shape (1, B, H)
            The final hidden state; equal to ``out[:, -1]``.
        """
        x = check_array(
            x, "x", shape=(None, None, self.input_size), legend="(B, T, D)", dtype=self.dtype
        )
        B, T, D = x.shape
        if B == 0 or T == 0:
            raise ValueError(f"x: expected at least one sequence and one step, got shape {x.shape}")
        H = self.hidden_size
        if h0 is None:
            h0 = np.zeros((1, B, H), dtype=self.dtype)
        h0 = check_array(h0, "h0", shape=(1, B, H), legend="(1, B, H)", dtype=self.dtype)
        out, self.cache = rnn_forward(self.params, x, h0[0], self.nonlinearity)
        return out, out[None, :, -1].copy()  # (B, T, H), (1, B, H)

    __call__ = forward

    def backward(
        self, d_out: np.ndarray, d_h_n: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate through the last :meth:`forward` call and fill :attr:`grads`.

        Parameters
        ----------
        d_out : ndarray, shape (B, T, H)
            Gradient of the loss with respect to ``out``.
        d_h_n : ndarray, shape (1, B, H), optional
            Gradient of the loss with respect to ``h_n``.

        Returns
        -------
        dx : ndarray, shape (B, T, D)
        dh0 : ndarray, shape (1, B, H)
        """
        if self.cache is None:
            raise RuntimeError(
                "backward() called before forward(): there is nothing to differentiate"
            )
        B, T, H = self.cache.hs.shape
        d_out = check_array(d_out, "d_out", shape=(B, T, H), legend="(B, T, H)", dtype=self.dtype)
        if d_h_n is not None:
            d_h_n = check_array(
                d_h_n, "d_h_n", shape=(1, B, H), legend="(1, B, H)", dtype=self.dtype
            )[0]
        dx, dh0, self.grads = rnn_backward(self.params, self.cache, d_out, d_h_n)
        return dx, dh0[None]  # (B, T, D), (1, B, H)

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`; it does not depend on T."""
        return sum(p.size for p in self.params.values())

    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64) -> RNN:
        """Copy a ``torch.nn.RNN(batch_first=True, num_layers=1)`` into a numpy layer."""
        import torch

        if not isinstance(module, torch.nn.RNN):
            raise TypeError(f"module: expected torch.nn.RNN, got {type(module).__name__}")
        if module.num_layers != 1 or module.bidirectional or not module.batch_first:
            raise ValueError(
                "module: expected num_layers=1, bidirectional=False, batch_first=True, got "
                f"num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                f"batch_first={module.batch_first}"
            )
        layer = cls(
            module.input_size,
            module.hidden_size,
            module.nonlinearity,
            module.bias,
            rng=0,
            dtype=dtype,
        )
        layer.params = {
            name: p.detach().cpu().numpy().astype(layer.dtype, copy=True)
            for name, p in module.named_parameters()
        }
        return layer

    def to_torch(self) -> object:
        """Return an equivalent ``torch.nn.RNN(batch_first=True)`` with copied weights."""
        import torch

        module = torch.nn.RNN(
            self.input_size,
            self.hidden_size,
            nonlinearity=self.nonlinearity,
            bias=self.bias,
            batch_first=True,
            dtype=torch.float64 if self.dtype == np.float64 else torch.float32,
        )
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))
        return module
