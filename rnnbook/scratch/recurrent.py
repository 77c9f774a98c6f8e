r"""The layer protocol: what every numpy recurrent layer (RNN, GRU, LSTM) has in common.

A recurrent layer is a **cell**, a pure function from one step's input and the previous
state to the new state, run over time. :class:`RecurrentLayer` writes the run over time
once; each cell (:mod:`~rnnbook.scratch.rnn`, and later GRU and LSTM) only supplies its
per-step forward and backward functions. Every layer then has the same interface, which
truncated BPTT, gradient checking, Jacobian analysis and the bidirectional and stacked
wrappers rely on:

* ``forward(x, state=None, *, lengths=None) -> (out, state_n)``;
* ``backward(d_out, d_state_n=None) -> (dx, d_state0)``;
* ``params`` and ``grads``: dicts with torch's names and layouts;
* ``from_torch`` / ``to_torch`` and ``num_parameters()``.

**State.** One array ``h`` of shape (1, B, H) for the RNN and the GRU, the tuple ``(h, c)``
of two such arrays for the LSTM: torch's layout, one layer first. Inside, a state is a
tuple of (B, H) arrays, one per part, and the output at a step is the first part, ``h``.

**Input projection.** :math:`x_t W_{ih}^\top + b_{ih}` does not depend on the recurrence,
so the layer computes it for all steps in one product, ``xw`` of shape (B, T, G·H) for a
cell with G gate blocks, and hands each step its slice (as torch and cuDNN do).

**Variable lengths.** With ``lengths`` (shape (B,), each in 1..T), sequence ``b`` is real
for its first ``lengths[b]`` steps. Past them the state is held and the output is zero:

.. math::

    s_t = m_t\, \mathrm{cell}(x_t, s_{t-1}) + (1 - m_t)\, s_{t-1}, \qquad
    o_t = m_t\, h_t, \qquad m_t = [t \le \mathrm{lengths}_b],

so ``state_n`` is the state after each sequence's last real step: what torch returns for a
packed batch (``pack_padded_sequence``).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_lengths, check_positive_int

#: A state inside a layer: a tuple of (B, H) arrays (``(h,)`` or ``(h, c)``).
State = tuple[np.ndarray, ...]


class SequenceCache(NamedTuple):
    """What :meth:`RecurrentLayer.forward` keeps for :meth:`RecurrentLayer.backward`.

    Attributes
    ----------
    x : ndarray, shape (B, T, D)
    state0 : tuple of ndarray, each (B, H)
    steps : list
        The cell's cache of every step, in order.
    mask : ndarray of bool, shape (B, T)
        True where a step is real (all True without ``lengths``).
    """

    x: np.ndarray
    state0: State
    steps: list
    mask: np.ndarray


def state_parts_of(value: Any, parts: int, name: str) -> tuple:
    """A state as a tuple of its parts: ``(h,)``, or the LSTM's ``(h, c)`` checked as a pair."""
    if parts == 1:
        return (value,)
    if not isinstance(value, tuple) or len(value) != parts:
        raise TypeError(
            f"{name}: expected a tuple of {parts} arrays (h, c), got {type(value).__name__}"
        )
    return value


def torch_parameter_name(name: str, layer: int = 0, reverse: bool = False) -> str:
    """Torch's name for parameter ``name`` (``weight_ih_l0``, ...) of layer ``layer``.

    >>> torch_parameter_name("weight_hh_l0", layer=1, reverse=True)
    'weight_hh_l1_reverse'
    """
    return name.replace("_l0", f"_l{layer}") + ("_reverse" if reverse else "")


class RecurrentLayer:
    r"""Base class of the numpy recurrent layers; see the module docstring.

    A subclass sets :attr:`gates` (blocks of H rows in the weights), :attr:`state_parts`
    (1, or 2 for the LSTM) and :attr:`torch_name`, and implements :meth:`step_forward` and
    :meth:`step_backward` with its cell's equations.

    Parameters
    ----------
    input_size : int
        D, the number of input features.
    hidden_size : int
        H, the number of hidden units.
    bias : bool
        Whether to have ``bias_ih_l0`` and ``bias_hh_l0``.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights, or a seed. Like torch, every weight starts uniform
        on :math:`[-1/\sqrt{H}, 1/\sqrt{H}]`.
    dtype : numpy dtype
        Parameter dtype, float64 by default (gradient checks need it).

    Attributes
    ----------
    params : dict[str, ndarray]
        ``weight_ih_l0`` (G·H, D), ``weight_hh_l0`` (G·H, H), ``bias_ih_l0`` (G·H,),
        ``bias_hh_l0`` (G·H,), gate blocks stacked in torch's order.
    grads : dict[str, ndarray]
        Filled by :meth:`backward`; same keys as ``params``.
    cache : SequenceCache or None
        What the last :meth:`forward` stored.
    """

    gates: int = 1
    state_parts: int = 1
    torch_name: str = ""
    #: What error messages call the initial state and the final state's gradient.
    state_arg_names: tuple[str, str] = ("state", "d_state_n")

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
    ) -> None:
        self.input_size = check_positive_int(input_size, "input_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        if not isinstance(bias, bool):
            raise TypeError(f"bias: expected a bool, got {type(bias).__name__}")
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
        self.bias = bias
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(rng)
        D, GH = self.input_size, self.gates * self.hidden_size
        bound = 1.0 / np.sqrt(self.hidden_size)
        shapes = {"weight_ih_l0": (GH, D), "weight_hh_l0": (GH, self.hidden_size)}
        if bias:
            shapes |= {"bias_ih_l0": (GH,), "bias_hh_l0": (GH,)}
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in shapes.items()
        }
        self.grads: dict[str, np.ndarray] = {}
        self.cache: SequenceCache | None = None

    # ------------------------------------------------------------------ the cell
    def project_inputs(self, x: np.ndarray) -> np.ndarray:
        r"""The input part of every step at once: :math:`x W_{ih}^\top + b_{ih}`, (B, T, G·H)."""
        xw = x @ self.params["weight_ih_l0"].T  # (B, T, G*H)
        if self.bias:
            xw = xw + self.params["bias_ih_l0"]
        return xw

    def step_forward(self, xw_t: np.ndarray, state: State) -> tuple[State, Any]:
        """One step of the cell: (B, G·H) projected input and a state to a state and a cache."""
        raise NotImplementedError

    def step_backward(
        self, d_state: State, cache: Any, grads: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, State]:
        """Back through one step: returns (d_xw_t, d_state_prev) and adds the step's
        ``weight_hh_l0``/``bias_hh_l0`` gradients into ``grads``."""
        raise NotImplementedError

    # ------------------------------------------------------------- the protocol
    def forward(
        self, x: np.ndarray, state: Any = None, *, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, Any]:
        """Run the layer over a batch of sequences.

        Parameters
        ----------
        x : ndarray, shape (B, T, D)
        state : ndarray (1, B, H), or tuple of them, optional
            The initial state in torch's layout; zeros if omitted.
        lengths : ndarray of int, shape (B,), optional
            Real length of each sequence, 1..T; see the module docstring.

        Returns
        -------
        out : ndarray, shape (B, T, H)
            ``h`` at every step (zero past a sequence's length).
        state_n : ndarray (1, B, H), or tuple of them
            The state after each sequence's last real step.
        """
        x = check_array(
            x, "x", shape=(None, None, self.input_size), legend="(B, T, D)", dtype=self.dtype
        )
        B, T, D = x.shape
        if B == 0 or T == 0:
            raise ValueError(f"x: expected at least one sequence and one step, got shape {x.shape}")
        state0 = self._check_state(state, B, self.state_arg_names[0])
        mask = np.ones((B, T), dtype=bool)
        if lengths is not None:
            lengths = check_lengths(lengths, B, T)
            mask = np.arange(T) < lengths[:, None]  # (B, T)
        xw = self.project_inputs(x)  # (B, T, G*H): one product for all steps
        out = np.zeros((B, T, self.hidden_size), dtype=self.dtype)
        state, steps = state0, []
        for t in range(T):  # the recurrence is the only loop
            new_state, step_cache = self.step_forward(xw[:, t], state)
            if lengths is not None:  # hold the state of finished sequences
                m = mask[:, t, None]  # (B, 1)
                new_state = tuple(np.where(m, n, s) for n, s in zip(new_state, state, strict=True))
                out[:, t] = new_state[0] * m  # (B, H): zero past the length
            else:
                out[:, t] = new_state[0]  # (B, H)
            state = new_state
            steps.append(step_cache)
        self.cache = SequenceCache(x=x, state0=state0, steps=steps, mask=mask)
        return out, self._to_torch_layout(state)

    __call__ = forward

    def backward(self, d_out: np.ndarray, d_state_n: Any = None) -> tuple[np.ndarray, Any]:
        """Backpropagate through the last :meth:`forward` call and fill :attr:`grads`.

        Parameters
        ----------
        d_out : ndarray, shape (B, T, H)
            Gradient of the loss with respect to ``out``.
        d_state_n : like ``state_n``, optional
            Gradient with respect to the final state; for a tuple state either part may be
            None.

        Returns
        -------
        dx : ndarray, shape (B, T, D)
        d_state0 : like ``state_n``
            Gradient with respect to the initial state.
        """
        if self.cache is None:
            raise RuntimeError(
                "backward() called before forward(): there is nothing to differentiate"
            )
        x, state0, steps, mask = self.cache
        B, T, D = x.shape
        H = self.hidden_size
        d_out = check_array(d_out, "d_out", shape=(B, T, H), legend="(B, T, H)", dtype=self.dtype)
        d_state = self._check_d_state(d_state_n, B)
        grads = {name: np.zeros_like(p) for name, p in self.params.items()}
        d_xw = np.zeros((B, T, self.gates * H), dtype=self.dtype)
        every_step_real = bool(mask.all())  # no lengths: skip the masking arithmetic
        for t in reversed(range(T)):
            if every_step_real:
                d_new = (d_state[0] + d_out[:, t], *d_state[1:])  # total gradient on s_t
                d_xw[:, t], d_state = self.step_backward(d_new, steps[t], grads)
                continue
            m = mask[:, t, None]  # (B, 1)
            d_new = (d_state[0] + d_out[:, t] * m, *d_state[1:])  # total gradient on s_t
            d_cell = tuple(g * m for g in d_new)  # real steps go through the cell
            d_xw[:, t], d_prev = self.step_backward(d_cell, steps[t], grads)
            d_state = tuple(
                dp + g * ~m for dp, g in zip(d_prev, d_new, strict=True)
            )  # held steps pass the gradient straight back
        flat = d_xw.reshape(B * T, -1)  # (B*T, G*H): every step's input gradient
        grads["weight_ih_l0"] += flat.T @ x.reshape(B * T, D)  # (G*H, D)
        if self.bias:
            grads["bias_ih_l0"] += flat.sum(axis=0)  # (G*H,)
        self.grads = grads
        dx = d_xw @ self.params["weight_ih_l0"]  # (B, T, D)
        return dx, self._to_torch_layout(d_state)

    @property
    def states(self) -> np.ndarray:
        """The outputs :math:`h_1, \\dots, h_T` of the last forward pass, shape (B, T, H)."""
        if self.cache is None:
            raise RuntimeError("states: call forward() first")
        return np.stack([step.h for step in self.cache.steps], axis=1)

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`; it does not depend on T."""
        return sum(p.size for p in self.params.values())

    # ----------------------------------------------------------- torch exchange
    def _torch_kwargs(self) -> dict[str, object]:
        return {}

    @classmethod
    def _from_torch_kwargs(cls, module: object) -> dict[str, object]:
        return {}

    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64) -> RecurrentLayer:
        """Copy a one-layer ``torch.nn.<RNN|GRU|LSTM>(batch_first=True)`` into a numpy layer."""
        import torch

        torch_class = getattr(torch.nn, cls.torch_name)
        if not isinstance(module, torch_class):
            raise TypeError(
                f"module: expected torch.nn.{cls.torch_name}, got {type(module).__name__}"
            )
        if module.num_layers != 1 or module.bidirectional or not module.batch_first:
            raise ValueError(
                "module: expected num_layers=1, bidirectional=False, batch_first=True, got "
                f"num_layers={module.num_layers}, bidirectional={module.bidirectional}, "
                f"batch_first={module.batch_first} (use Stacked/Bidirectional for the others)"
            )
        layer = cls(
            module.input_size,
            module.hidden_size,
            bias=module.bias,
            rng=0,
            dtype=dtype,
            **cls._from_torch_kwargs(module),
        )
        layer.load_torch_parameters(dict(module.named_parameters()))
        return layer

    def load_torch_parameters(
        self, named: dict[str, Any], layer: int = 0, reverse: bool = False
    ) -> None:
        """Copy in the parameters of one layer and direction of a torch module.

        ``named`` is ``dict(module.named_parameters())``; layer ``k`` of a stacked module
        is ``weight_ih_l{k}``, and its backward direction ``weight_ih_l{k}_reverse``.
        """
        for name, p in self.params.items():
            p[...] = named[torch_parameter_name(name, layer, reverse)].detach().cpu().numpy()

    def to_torch(self) -> object:
        """An equivalent one-layer ``torch.nn.<RNN|GRU|LSTM>(batch_first=True)``."""
        import torch

        module = getattr(torch.nn, self.torch_name)(
            self.input_size,
            self.hidden_size,
            bias=self.bias,
            batch_first=True,
            dtype=torch.float64 if self.dtype == np.float64 else torch.float32,
            **self._torch_kwargs(),
        )
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))
        return module

    # ------------------------------------------------------------------ helpers
    def _to_torch_layout(self, state: State) -> Any:
        parts = tuple(s[None].copy() for s in state)  # (1, B, H) each
        return parts if self.state_parts > 1 else parts[0]

    def _check_state(self, state: Any, B: int, name: str) -> State:
        H = self.hidden_size
        if state is None:
            return tuple(np.zeros((B, H), dtype=self.dtype) for _ in range(self.state_parts))
        parts = state_parts_of(state, self.state_parts, name)
        return tuple(
            check_array(s, name, shape=(1, B, H), legend="(1, B, H)", dtype=self.dtype)[0]
            for s in parts
        )

    def _check_d_state(self, d_state: Any, B: int) -> State:
        H = self.hidden_size
        name = self.state_arg_names[1]
        parts = (
            (None,) * self.state_parts
            if d_state is None
            else state_parts_of(d_state, self.state_parts, name)
        )
        return tuple(
            np.zeros((B, H), dtype=self.dtype)
            if s is None
            else check_array(s, name, shape=(1, B, H), legend="(1, B, H)", dtype=self.dtype)[0]
            for s in parts
        )


class SingleStateLayer(RecurrentLayer):
    """A layer whose state is one array ``h`` (the RNN and the GRU), with torch's argument
    names: ``forward(x, h0=None, *, lengths=None)`` and ``backward(d_out, d_h_n=None)``."""

    state_parts = 1
    state_arg_names = ("h0", "d_h_n")

    def forward(
        self, x: np.ndarray, h0: np.ndarray | None = None, *, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Run the layer; see :meth:`RecurrentLayer.forward`. ``h0``: (1, B, H) or None."""
        return super().forward(x, h0, lengths=lengths)

    __call__ = forward

    def backward(
        self, d_out: np.ndarray, d_h_n: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Backpropagate; see :meth:`RecurrentLayer.backward`. ``d_h_n``: (1, B, H) or None."""
        return super().backward(d_out, d_h_n)
