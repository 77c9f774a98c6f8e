r"""Stacked (deep) recurrent layers, with dropout between them, as ``torch.nn.LSTM(num_layers=L)``.

Layer :math:`k` reads the output sequence of layer :math:`k - 1`; each layer is a protocol
layer of :mod:`rnnbook.scratch.recurrent` (RNN, GRU, LSTM) or a
:class:`~rnnbook.scratch.bidirectional.Bidirectional` pair of them. With
:math:`h^{(0)}_t = x_t`:

.. math::

    h^{(k)}_t = \mathrm{cell}_k\big(\tilde h^{(k-1)}_t,\, h^{(k)}_{t-1}\big), \qquad
    \tilde h^{(k)}_t = \begin{cases}
        h^{(k)}_t \odot m^{(k)}_t & k < L \text{ and training} \\
        h^{(k)}_t & \text{otherwise,}
    \end{cases}

where :math:`m^{(k)}` is an inverted-dropout mask (:mod:`rnnbook.scratch.dropout`) drawn
afresh for every element and every forward pass. The output of the last layer is not
dropped, which is what ``torch.nn.<RNN|GRU|LSTM>(dropout=p)`` does.

Layouts are torch's. The output is (B, T, num_directions·H); the final state is
(num_layers·num_directions, B, H) with index ``k * num_directions + direction`` (a pair of
them for the LSTM), and the parameters of layer ``k`` are ``weight_ih_l{k}``, ... and
``weight_ih_l{k}_reverse``, ...

>>> import numpy as np
>>> from rnnbook.scratch.rnn import RNN
>>> deep = Stacked([RNN(3, 4, rng=0), RNN(4, 4, rng=1)], dropout=0.5, rng=0)
>>> out, h_n = deep.eval().forward(np.ones((2, 5, 3)))
>>> out.shape, h_n.shape
((2, 5, 4), (2, 2, 4))
>>> sorted(deep.params)[:4]
['bias_hh_l0', 'bias_hh_l1', 'bias_ih_l0', 'bias_ih_l1']
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_rng
from rnnbook.scratch.bidirectional import (
    Bidirectional,
    check_torch_module,
    layer_from_torch,
)
from rnnbook.scratch.dropout import check_dropout, dropout_mask
from rnnbook.scratch.recurrent import RecurrentLayer, state_parts_of, torch_parameter_name

Layer = RecurrentLayer | Bidirectional


class StackedCache(NamedTuple):
    """What :meth:`Stacked.forward` keeps for :meth:`Stacked.backward`.

    Attributes
    ----------
    masks : tuple of (ndarray (B, T, num_directions·H) or None)
        The dropout mask applied to each layer's output, None where nothing was dropped.
    batch_size, steps : int
        B and T.
    """

    masks: tuple[np.ndarray | None, ...]
    batch_size: int
    steps: int


def _directions(layer: Layer) -> int:
    return getattr(layer, "num_directions", 1)


def _kind(layer: Layer) -> dict[str, object]:
    """What every layer of a stack must share."""
    return {
        "hidden_size": layer.hidden_size,
        "num_directions": _directions(layer),
        "state_parts": layer.state_parts,
        "dtype": layer.dtype,
    }


class Stacked:
    r"""A stack of recurrent layers with inverted dropout between them.

    Parameters
    ----------
    layers : sequence of RecurrentLayer or Bidirectional
        Distinct layers with the same H, directions, state parts and dtype; layer ``k`` must
        take num_directions·H inputs for k >= 1.
    dropout : float
        Drop probability between layers, in [0, 1); used only while :attr:`training`.
    rng : numpy.random.Generator or int, optional
        The source of the dropout masks.

    Attributes
    ----------
    training : bool
        True (as for a new torch module) until :meth:`eval`; only then are masks drawn.
    params, grads : dict[str, ndarray]
        Torch's names (``weight_ih_l1_reverse``, ...); the arrays of ``params`` *are* the
        layers' arrays.
    """

    def __init__(
        self,
        layers: Sequence[Layer],
        dropout: float = 0.0,
        rng: np.random.Generator | int | None = None,
    ) -> None:
        if isinstance(layers, Layer) or not isinstance(layers, Sequence) or not layers:
            raise TypeError(
                f"layers: expected a non-empty list of layers, got {type(layers).__name__}"
            )
        for k, layer in enumerate(layers):
            if not isinstance(layer, Layer):
                raise TypeError(
                    f"layers[{k}]: expected a RecurrentLayer or Bidirectional, "
                    f"got {type(layer).__name__}"
                )
        if len({id(layer) for layer in layers}) != len(layers):
            raise ValueError("layers: expected distinct layers, got the same layer twice")
        first = layers[0]
        for k, layer in enumerate(layers[1:], start=1):
            for attr, want in _kind(first).items():
                if _kind(layer)[attr] != want:
                    raise ValueError(
                        f"layers[{k}]: expected {attr}={want} like layers[0], "
                        f"got {_kind(layer)[attr]}"
                    )
            wanted = _directions(first) * first.hidden_size
            if layer.input_size != wanted:
                raise ValueError(
                    f"layers[{k}]: expected input_size={wanted} (the output size of "
                    f"layers[{k - 1}]), got {layer.input_size}"
                )
        self.layers = list(layers)
        self.dropout = check_dropout(dropout)
        self.rng = np.random.default_rng() if rng is None else check_rng(rng)
        self.training = True
        self.num_layers = len(layers)
        self.num_directions = _directions(first)
        self.input_size = first.input_size
        self.hidden_size = first.hidden_size
        self.output_size = self.num_directions * self.hidden_size
        self.state_parts = first.state_parts
        self.dtype = first.dtype
        self.params = {
            torch_parameter_name(name, k): p
            for k, layer in enumerate(self.layers)
            for name, p in layer.params.items()
        }
        self.grads: dict[str, np.ndarray] = {}
        self.cache: StackedCache | None = None

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Stacked([\n  {inner}\n], dropout={self.dropout})"

    def train(self, mode: bool = True) -> Stacked:
        """Switch dropout on (``mode=True``) or off; returns self, as in torch."""
        if not isinstance(mode, bool):
            raise TypeError(f"mode: expected a bool, got {type(mode).__name__}")
        self.training = mode
        return self

    def eval(self) -> Stacked:
        """Switch dropout off; returns self."""
        return self.train(False)

    # ------------------------------------------------------------- the protocol
    def forward(
        self, x: np.ndarray, state: Any = None, *, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, Any]:
        """Run every layer in turn.

        Parameters
        ----------
        x : ndarray, shape (B, T, D)
        state : ndarray (num_layers·num_directions, B, H), or tuple of two, optional
            Initial states in torch's order; zeros if omitted.
        lengths : ndarray of int, shape (B,), optional
            Real length of each sequence, 1..T; passed to every layer.

        Returns
        -------
        out : ndarray, shape (B, T, num_directions·H)
            The last layer's output (never dropped).
        state_n : like ``state``
        """
        x = check_array(
            x, "x", shape=(None, None, self.input_size), legend="(B, T, D)", dtype=self.dtype
        )
        B, T, D = x.shape
        states = self._per_layer(None if state is None else self._check(state, B, "state"))
        out, finals, masks = x, [], []
        for k, (layer, state_k) in enumerate(zip(self.layers, states, strict=True)):
            out, state_n = layer.forward(out, state_k, lengths=lengths)  # (B, T, nd*H)
            mask = None
            if self.training and self.dropout > 0 and k < self.num_layers - 1:
                mask = dropout_mask(out.shape, self.dropout, self.rng, self.dtype)
                out = out * mask  # (B, T, nd*H), inverted dropout
            finals.append(state_n)
            masks.append(mask)
        self.cache = StackedCache(masks=tuple(masks), batch_size=B, steps=T)
        return out, self._join(finals)

    __call__ = forward

    def backward(self, d_out: np.ndarray, d_state_n: Any = None) -> tuple[np.ndarray, Any]:
        """Backpropagate through the last :meth:`forward` and fill :attr:`grads`.

        Parameters
        ----------
        d_out : ndarray, shape (B, T, num_directions·H)
        d_state_n : like ``state_n``, optional (for the LSTM either part may be None)

        Returns
        -------
        dx : ndarray, shape (B, T, D)
        d_state0 : like ``state_n``
        """
        if self.cache is None:
            raise RuntimeError(
                "backward() called before forward(): there is nothing to differentiate"
            )
        masks, B, T = self.cache
        d = check_array(
            d_out,
            "d_out",
            shape=(B, T, self.output_size),
            legend="(B, T, num_directions·H)",
            dtype=self.dtype,
        )
        d_states = self._per_layer(None if d_state_n is None else self._check_d(d_state_n, B))
        d_state0 = [None] * self.num_layers
        for k in reversed(range(self.num_layers)):
            if masks[k] is not None:
                d = d * masks[k]  # through the dropout: the same mask
            d, d_state0[k] = self.layers[k].backward(d, d_states[k])  # (B, T, D_k)
        self.grads = {
            torch_parameter_name(name, k): g
            for k, layer in enumerate(self.layers)
            for name, g in layer.grads.items()
        }
        return d, self._join(d_state0)

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`."""
        return sum(p.size for p in self.params.values())

    # ------------------------------------------------------------------ states
    def _per_layer(self, parts: tuple | None) -> list[Any]:
        """(L·nd, B, H) parts to each layer's own (nd, B, H) state (None parts stay None)."""
        if parts is None:
            return [None] * self.num_layers
        nd, per_layer = self.num_directions, []
        for k in range(self.num_layers):
            own = tuple(None if s is None else s[k * nd : (k + 1) * nd] for s in parts)
            per_layer.append(own[0] if self.state_parts == 1 else own)
        return per_layer

    def _join(self, per_layer: list[Any]) -> Any:
        parts = [s if isinstance(s, tuple) else (s,) for s in per_layer]
        joined = tuple(np.concatenate(p, axis=0) for p in zip(*parts, strict=True))
        return joined if self.state_parts > 1 else joined[0]

    def _check_part(self, s: Any, B: int, name: str) -> np.ndarray:
        shape = (self.num_layers * self.num_directions, B, self.hidden_size)
        legend = "(num_layers·num_directions, B, H)"
        return check_array(s, name, shape=shape, legend=legend, dtype=self.dtype)

    def _check(self, state: Any, B: int, name: str) -> tuple:
        return tuple(
            self._check_part(s, B, name) for s in state_parts_of(state, self.state_parts, name)
        )

    def _check_d(self, d_state: Any, B: int) -> tuple:
        parts = state_parts_of(d_state, self.state_parts, "d_state_n")
        return tuple(None if s is None else self._check_part(s, B, "d_state_n") for s in parts)

    # ----------------------------------------------------------- torch exchange
    @classmethod
    def from_torch(
        cls,
        module: object,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
    ) -> Stacked:
        """Copy a ``torch.nn.<RNN|GRU|LSTM>(batch_first=True)``: any num_layers, either
        direction, its ``dropout`` and its training mode; ``rng`` draws the masks."""
        check_torch_module(module)
        layers: list[Layer] = []
        for k in range(module.num_layers):
            layer = layer_from_torch(module, k, reverse=False, dtype=dtype)
            if module.bidirectional:
                layer = Bidirectional(layer, layer_from_torch(module, k, reverse=True, dtype=dtype))
            layers.append(layer)
        return cls(layers, dropout=module.dropout, rng=rng).train(module.training)

    def to_torch(self) -> object:
        """An equivalent ``torch.nn.<RNN|GRU|LSTM>(batch_first=True)`` in the same mode."""
        import torch

        cells = [
            cell
            for layer in self.layers
            for cell in (
                (layer.forward_layer, layer.backward_layer)
                if isinstance(layer, Bidirectional)
                else (layer,)
            )
        ]
        first = cells[0]
        for cell in cells[1:]:
            if (type(cell), cell.bias, cell._torch_kwargs()) != (
                type(first),
                first.bias,
                first._torch_kwargs(),
            ):
                raise ValueError(
                    f"to_torch: expected every layer like {first!r} (torch has one kind of "
                    f"cell per module), got {cell!r}"
                )
        module = getattr(torch.nn, first.torch_name)(
            self.input_size,
            self.hidden_size,
            num_layers=self.num_layers,
            bias=first.bias,
            batch_first=True,
            dropout=self.dropout if self.num_layers > 1 else 0.0,  # torch warns otherwise
            bidirectional=self.num_directions == 2,
            dtype=torch.float64 if self.dtype == np.float64 else torch.float32,
            **first._torch_kwargs(),
        )
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))
        return module.train(self.training)
