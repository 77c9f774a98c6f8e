r"""The bidirectional wrapper: two recurrent layers, one reading forward and one backward in time.

Any layer of the protocol in :mod:`rnnbook.scratch.recurrent` (RNN, GRU, LSTM) can be
wrapped. The forward layer reads :math:`x_1, \dots, x_T`, the backward layer reads
:math:`x_T, \dots, x_1`, and the output at step :math:`t` puts the two states side by side:

.. math::

    \overrightarrow{h}_t = \mathrm{cell}_\rightarrow(x_t, \overrightarrow{h}_{t-1}),
        \quad t = 1, \dots, T, \qquad
    \overleftarrow{h}_t = \mathrm{cell}_\leftarrow(x_t, \overleftarrow{h}_{t+1}),
        \quad t = T, \dots, 1,

.. math::

    o_t = [\overrightarrow{h}_t \,;\, \overleftarrow{h}_t] \in \mathbb{R}^{2H}, \qquad
    h_n = (\overrightarrow{h}_T, \overleftarrow{h}_1),

so every :math:`o_t` has seen the whole sequence. The backward layer is the forward code
run on the reversed sequence, reversed back: no second implementation.

**Variable lengths.** With ``lengths``, sequence ``b`` has :math:`T_b` real steps and its
backward direction must start at its own last real step :math:`x_{T_b}`, not at the
padding. So each sequence is reversed *within its length*, the step at position :math:`t`
goes to position :math:`T_b + 1 - t` (padding stays where it is), the backward layer runs
with the same ``lengths``, and its outputs are reversed back the same way. Outputs at
padded steps are zero and :math:`h_n` holds :math:`(\overrightarrow{h}_{T_b},
\overleftarrow{h}_1)`: what ``torch.nn.<RNN|GRU|LSTM>(bidirectional=True)`` returns for
``pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)``.

Layouts are torch's: the state is (2, B, H), forward direction first (the LSTM's is a pair
of them), and the parameters of the backward layer carry the suffix ``_reverse``.

>>> import numpy as np
>>> from rnnbook.scratch.rnn import RNN
>>> bi = Bidirectional(RNN(3, 4, rng=0), RNN(3, 4, rng=1))
>>> out, h_n = bi.forward(np.ones((2, 5, 3)), lengths=np.array([5, 2]))
>>> out.shape, h_n.shape
((2, 5, 8), (2, 2, 4))
>>> bool(np.allclose(h_n[1], out[:, 0, 4:]))  # the backward direction ends at step 1
True
>>> sorted(bi.params)[:2]
['bias_hh_l0', 'bias_hh_l0_reverse']
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_lengths
from rnnbook.scratch.recurrent import RecurrentLayer, state_parts_of, torch_parameter_name


def layer_class(torch_name: str) -> type[RecurrentLayer]:
    """The numpy layer class for ``torch.nn.<torch_name>``: RNN, GRU or LSTM."""
    if torch_name == "RNN":
        from rnnbook.scratch.rnn import RNN

        return RNN
    if torch_name == "GRU":
        from rnnbook.scratch.gru import GRU

        return GRU
    if torch_name == "LSTM":
        from rnnbook.scratch.lstm import LSTM

        return LSTM
    raise TypeError(f"module: expected torch.nn.RNN, GRU or LSTM, got {torch_name}")


def check_torch_module(module: object) -> type[RecurrentLayer]:
    """Check a torch recurrent module can be copied; return the numpy class to copy it into."""
    import torch

    if not isinstance(module, torch.nn.RNN | torch.nn.GRU | torch.nn.LSTM):
        raise TypeError(f"module: expected torch.nn.RNN, GRU or LSTM, got {type(module).__name__}")
    if not module.batch_first:
        raise ValueError("module: expected batch_first=True, got batch_first=False")
    if getattr(module, "proj_size", 0):
        raise ValueError(f"module: expected proj_size=0, got proj_size={module.proj_size}")
    return layer_class(type(module).__name__)


def layer_from_torch(
    module: object, layer: int, reverse: bool, dtype: type = np.float64
) -> RecurrentLayer:
    """One numpy layer holding layer ``layer`` (and direction) of a torch recurrent module."""
    cls = check_torch_module(module)
    num_directions = 2 if module.bidirectional else 1
    input_size = module.input_size if layer == 0 else num_directions * module.hidden_size
    numpy_layer = cls(
        input_size,
        module.hidden_size,
        bias=module.bias,
        rng=0,
        dtype=dtype,
        **cls._from_torch_kwargs(module),
    )
    numpy_layer.load_torch_parameters(dict(module.named_parameters()), layer, reverse)
    return numpy_layer


def reverse_within_lengths(lengths: np.ndarray, T: int) -> np.ndarray:
    """The permutation of the time axis that reverses each sequence within its length.

    ``order[b, t] = lengths[b] - 1 - t`` for real steps and ``t`` for padding. It is its own
    inverse, so it both reverses and un-reverses (``take_along_axis(x, order[..., None], 1)``).

    >>> reverse_within_lengths(np.array([3, 1]), T=4).tolist()
    [[2, 1, 0, 3], [0, 1, 2, 3]]
    """
    t = np.arange(T)  # (T,)
    return np.where(t < lengths[:, None], lengths[:, None] - 1 - t, t)  # (B, T)


def _reorder(a: np.ndarray, order: np.ndarray) -> np.ndarray:
    return np.take_along_axis(a, order[:, :, None], axis=1)  # (B, T, F)


def _join(fwd: Any, bwd: Any, parts: int) -> Any:
    """Stack two (1, B, H) states (or tuples of them) into (2, B, H), forward first."""
    if parts == 1:
        return np.concatenate([fwd, bwd], axis=0)
    return tuple(np.concatenate([f, b], axis=0) for f, b in zip(fwd, bwd, strict=True))


class BidirectionalCache(NamedTuple):
    """What :meth:`Bidirectional.forward` keeps for :meth:`Bidirectional.backward`.

    Attributes
    ----------
    order : ndarray of int, shape (B, T)
        The time permutation of :func:`reverse_within_lengths`.
    """

    order: np.ndarray


class Bidirectional:
    r"""Run one layer forward and another backward in time and concatenate their outputs.

    Parameters
    ----------
    forward_layer, backward_layer : RecurrentLayer
        Two distinct layers of the same kind (same D, H, state parts and dtype).

    Attributes
    ----------
    params : dict[str, ndarray]
        Torch's names: ``weight_ih_l0`` ... of the forward layer, ``weight_ih_l0_reverse``
        ... of the backward layer. The arrays *are* the layers' arrays, so an optimizer that
        updates them in place trains the layers.
    grads : dict[str, ndarray]
        Filled by :meth:`backward`, same keys.
    num_directions : int
        2. ``hidden_size`` is H per direction; the output has ``output_size`` = 2H features.
    """

    num_directions = 2

    def __init__(self, forward_layer: RecurrentLayer, backward_layer: RecurrentLayer) -> None:
        for name, layer in (("forward_layer", forward_layer), ("backward_layer", backward_layer)):
            if not isinstance(layer, RecurrentLayer):
                raise TypeError(
                    f"{name}: expected a RecurrentLayer (RNN, GRU, LSTM), "
                    f"got {type(layer).__name__}"
                )
        if forward_layer is backward_layer:
            raise ValueError(
                "backward_layer: expected a second layer, got the forward layer itself "
                "(the two directions have their own weights)"
            )
        for attr in ("input_size", "hidden_size", "state_parts", "dtype"):
            f, b = getattr(forward_layer, attr), getattr(backward_layer, attr)
            if f != b:
                raise ValueError(
                    f"backward_layer: expected {attr}={f} like the forward layer, got {b}"
                )
        self.forward_layer, self.backward_layer = forward_layer, backward_layer
        self.input_size = forward_layer.input_size
        self.hidden_size = forward_layer.hidden_size
        self.output_size = 2 * self.hidden_size
        self.state_parts = forward_layer.state_parts
        self.dtype = forward_layer.dtype
        self.params = self._named(forward_layer.params, backward_layer.params)
        self.grads: dict[str, np.ndarray] = {}
        self.cache: BidirectionalCache | None = None

    def __repr__(self) -> str:
        return f"Bidirectional({self.forward_layer!r}, {self.backward_layer!r})"

    @staticmethod
    def _named(fwd: dict[str, np.ndarray], bwd: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        named = dict(fwd)
        named |= {torch_parameter_name(k, reverse=True): v for k, v in bwd.items()}
        return named

    def forward(
        self, x: np.ndarray, state: Any = None, *, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, Any]:
        """Run both directions over a batch of sequences.

        Parameters
        ----------
        x : ndarray, shape (B, T, D)
        state : ndarray (2, B, H), or tuple of two for the LSTM, optional
            Initial states, forward direction first; zeros if omitted.
        lengths : ndarray of int, shape (B,), optional
            Real length of each sequence, 1..T.

        Returns
        -------
        out : ndarray, shape (B, T, 2H)
            :math:`[\\overrightarrow{h}_t ; \\overleftarrow{h}_t]`, zero at padded steps.
        state_n : ndarray (2, B, H), or tuple of two
            :math:`(\\overrightarrow{h}_{T_b}, \\overleftarrow{h}_1)` (and the same for c).
        """
        x = check_array(
            x, "x", shape=(None, None, self.input_size), legend="(B, T, D)", dtype=self.dtype
        )
        B, T, D = x.shape
        if B == 0 or T == 0:
            raise ValueError(f"x: expected at least one sequence and one step, got shape {x.shape}")
        state_f, state_b = (
            (None, None) if state is None else self._directions(self._check(state, B))
        )
        full = np.full(B, T) if lengths is None else check_lengths(lengths, B, T)
        order = reverse_within_lengths(full, T)  # (B, T)
        out_f, state_n_f = self.forward_layer.forward(x, state_f, lengths=lengths)  # (B, T, H)
        out_r, state_n_b = self.backward_layer.forward(
            _reorder(x, order), state_b, lengths=lengths
        )  # (B, T, H), in reversed time
        self.cache = BidirectionalCache(order=order)
        out = np.concatenate([out_f, _reorder(out_r, order)], axis=-1)  # (B, T, 2H)
        return out, _join(state_n_f, state_n_b, self.state_parts)

    __call__ = forward

    def backward(self, d_out: np.ndarray, d_state_n: Any = None) -> tuple[np.ndarray, Any]:
        """Backpropagate through the last :meth:`forward` and fill :attr:`grads`.

        Parameters
        ----------
        d_out : ndarray, shape (B, T, 2H)
        d_state_n : like ``state_n``, optional
            For the LSTM either part may be None.

        Returns
        -------
        dx : ndarray, shape (B, T, D)
            The sum of what the two directions send back.
        d_state0 : like ``state_n``, (2, B, H) per part
        """
        if self.cache is None:
            raise RuntimeError(
                "backward() called before forward(): there is nothing to differentiate"
            )
        order = self.cache.order
        B, T = order.shape
        H = self.hidden_size
        d_out = check_array(
            d_out, "d_out", shape=(B, T, 2 * H), legend="(B, T, 2H)", dtype=self.dtype
        )
        d_f, d_b = (
            (None, None) if d_state_n is None else self._directions(self._check_d(d_state_n, B))
        )
        dx_f, d_state0_f = self.forward_layer.backward(d_out[..., :H], d_f)  # (B, T, D)
        dx_r, d_state0_b = self.backward_layer.backward(
            _reorder(d_out[..., H:], order), d_b
        )  # (B, T, D), in reversed time
        self.grads = self._named(self.forward_layer.grads, self.backward_layer.grads)
        dx = dx_f + _reorder(dx_r, order)  # x_t feeds both directions
        return dx, _join(d_state0_f, d_state0_b, self.state_parts)

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`."""
        return sum(p.size for p in self.params.values())

    # ------------------------------------------------------------------ states
    def _directions(self, parts: tuple) -> tuple[Any, Any]:
        """(2, B, H) parts (any may be None) to the (1, B, H) states of the two layers."""
        fwd = tuple(None if s is None else s[0:1] for s in parts)
        bwd = tuple(None if s is None else s[1:2] for s in parts)
        return (fwd[0], bwd[0]) if self.state_parts == 1 else (fwd, bwd)

    def _check_part(self, s: Any, B: int, name: str) -> np.ndarray:
        shape = (2, B, self.hidden_size)
        return check_array(s, name, shape=shape, legend="(2, B, H)", dtype=self.dtype)

    def _check(self, state: Any, B: int) -> tuple:
        return tuple(
            self._check_part(s, B, "state")
            for s in state_parts_of(state, self.state_parts, "state")
        )

    def _check_d(self, d_state: Any, B: int) -> tuple:
        parts = state_parts_of(d_state, self.state_parts, "d_state_n")
        return tuple(None if s is None else self._check_part(s, B, "d_state_n") for s in parts)

    # ----------------------------------------------------------- torch exchange
    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64) -> Bidirectional:
        """Copy ``torch.nn.<RNN|GRU|LSTM>(bidirectional=True, batch_first=True)``, one layer."""
        check_torch_module(module)
        if module.num_layers != 1 or not module.bidirectional:
            raise ValueError(
                "module: expected num_layers=1, bidirectional=True, got "
                f"num_layers={module.num_layers}, bidirectional={module.bidirectional} "
                "(use Stacked for more layers)"
            )
        return cls(
            layer_from_torch(module, 0, reverse=False, dtype=dtype),
            layer_from_torch(module, 0, reverse=True, dtype=dtype),
        )

    def to_torch(self) -> object:
        """An equivalent ``torch.nn.<RNN|GRU|LSTM>(bidirectional=True, batch_first=True)``."""
        from rnnbook.scratch.stacked import Stacked

        return Stacked([self]).to_torch()
