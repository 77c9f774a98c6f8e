r"""An LSTM written with torch ops, with switches for the ablation of Greff et al. (2017).

:class:`LSTMVariant` runs a plain loop over time (batch-first input ``(B, T, D)``) and
returns ``(out, (h_n, c_n))`` like ``torch.nn.LSTM``. With ``variant="full"`` it computes
torch's equations,

.. math::

    i_t &= \sigma(W_{ii} x_t + b_{ii} + W_{hi} h_{t-1} + b_{hi}), \quad
    f_t = \sigma(W_{if} x_t + b_{if} + W_{hf} h_{t-1} + b_{hf}), \\
    g_t &= \tanh(W_{ig} x_t + b_{ig} + W_{hg} h_{t-1} + b_{hg}), \quad
    o_t = \sigma(W_{io} x_t + b_{io} + W_{ho} h_{t-1} + b_{ho}), \\
    c_t &= f_t \odot c_{t-1} + i_t \odot g_t, \qquad h_t = o_t \odot \tanh(c_t),

and the other variants change one thing each:

* ``"no_forget_gate"``: :math:`f_t = 1`, so :math:`c_t = c_{t-1} + i_t \odot g_t` (the
  LSTM of 1997, before Gers et al. added the forget gate);
* ``"no_input_gate"``: :math:`i_t = 1`, so :math:`c_t = f_t \odot c_{t-1} + g_t`;
* ``"no_output_gate"``: :math:`o_t = 1`, so :math:`h_t = \tanh(c_t)`;
* ``"coupled"``: :math:`i_t = 1 - f_t` (Greff et al.'s CIFG; the GRU couples its gates
  the same way);
* ``"peephole"``: the gates also read the cell through diagonal weights (Gers and
  Schmidhuber, 2000): :math:`p_i \odot c_{t-1}` is added inside :math:`i_t`'s sigmoid,
  :math:`p_f \odot c_{t-1}` inside :math:`f_t`'s and :math:`p_o \odot c_t` (the *new* cell)
  inside :math:`o_t`'s.

**Layout.** Parameters have torch's names. A removed gate has no rows, so the blocks that
remain keep torch's order ``i, f, g, o``: ``weight_ih_l0`` is (G·H, D) with G = 4, or 3
for the variants without a gate (``"coupled"`` has no ``i`` rows). ``"full"`` therefore
loads ``torch.nn.LSTM``'s ``state_dict`` unchanged. ``"peephole"`` adds ``peephole_i``,
``peephole_f`` and ``peephole_o``, each (H,). Every parameter starts uniform on
:math:`[-1/\sqrt{H}, 1/\sqrt{H}]`, as in torch, drawn from a generator seeded by ``seed``.

**Forget-gate bias.** :func:`set_forget_bias_` sets :math:`b_{if} + b_{hf}` of a
``torch.nn.LSTM`` or an :class:`LSTMVariant` (Gers et al. 2000; Jozefowicz et al. 2015 use
1); ``LSTMVariant(forget_bias=...)`` calls it at initialisation.
"""

from __future__ import annotations

import math
from numbers import Real

import torch
from torch import nn

from rnnbook.checks import check_choice, check_positive_int

#: The gate blocks each variant has, in torch's order.
VARIANT_GATES = {
    "full": ("i", "f", "g", "o"),
    "no_forget_gate": ("i", "g", "o"),
    "no_input_gate": ("f", "g", "o"),
    "no_output_gate": ("i", "f", "g"),
    "coupled": ("f", "g", "o"),
    "peephole": ("i", "f", "g", "o"),
}
VARIANTS = tuple(VARIANT_GATES)


class LSTMVariant(nn.Module):
    r"""A one-layer LSTM, batch-first, in one of the variants of the module docstring.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    variant : {"full", "no_forget_gate", "no_input_gate", "no_output_gate", "coupled", "peephole"}
    forget_bias : float, optional
        If given, :math:`b_{if} + b_{hf}` starts at this value (see
        :func:`set_forget_bias_`); otherwise at torch's random initialisation. Not allowed
        for ``"no_forget_gate"``.
    seed : int
        Seeds the ``torch.Generator`` that draws the initial parameters; torch's global
        generator is never used.

    Attributes
    ----------
    gates : tuple of str
        The gate blocks present, in the order of their rows.
    weight_ih_l0 : Parameter, shape (G·H, D)
    weight_hh_l0 : Parameter, shape (G·H, H)
    bias_ih_l0, bias_hh_l0 : Parameter, shape (G·H,)
    peephole_i, peephole_f, peephole_o : Parameter, shape (H,)
        ``"peephole"`` only.

    Examples
    --------
    >>> model = LSTMVariant(input_size=3, hidden_size=4, variant="coupled", forget_bias=1.0)
    >>> model.gates, tuple(model.weight_ih_l0.shape)
    (('f', 'g', 'o'), (12, 3))
    >>> out, (h_n, c_n) = model(torch.ones(2, 5, 3))
    >>> tuple(out.shape), tuple(h_n.shape), tuple(c_n.shape)
    ((2, 5, 4), (1, 2, 4), (1, 2, 4))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        variant: str = "full",
        forget_bias: float | None = None,
        seed: int = 0,
    ) -> None:
        super().__init__()
        self.input_size = D = check_positive_int(input_size, "input_size")
        self.hidden_size = H = check_positive_int(hidden_size, "hidden_size")
        self.variant = check_choice(variant, "variant", VARIANTS)
        self.gates = VARIANT_GATES[variant]
        if forget_bias is not None:
            forget_bias = _check_finite(forget_bias, "forget_bias")
            if "f" not in self.gates:
                raise ValueError(
                    f"forget_bias: expected None for variant={variant!r} (it has no forget "
                    f"gate), got {forget_bias}"
                )
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        self.forget_bias, self.seed = forget_bias, seed
        GH = len(self.gates) * H
        self.weight_ih_l0 = nn.Parameter(torch.empty(GH, D))
        self.weight_hh_l0 = nn.Parameter(torch.empty(GH, H))
        self.bias_ih_l0 = nn.Parameter(torch.empty(GH))
        self.bias_hh_l0 = nn.Parameter(torch.empty(GH))
        if variant == "peephole":
            self.peephole_i = nn.Parameter(torch.empty(H))
            self.peephole_f = nn.Parameter(torch.empty(H))
            self.peephole_o = nn.Parameter(torch.empty(H))
        self.reset_parameters()

    @torch.no_grad()
    def reset_parameters(self) -> None:
        """Draw every parameter uniform on [-1/√H, 1/√H] from ``seed``, then apply
        ``forget_bias``."""
        gen = torch.Generator().manual_seed(self.seed)
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            p.uniform_(-bound, bound, generator=gen)
        if self.forget_bias is not None:
            set_forget_bias_(self, self.forget_bias)

    def gate_rows(self, gate: str) -> slice:
        """The rows of ``weight_ih_l0`` (and the others) that belong to ``gate``."""
        k = self.gates.index(check_choice(gate, "gate", self.gates))
        H = self.hidden_size
        return slice(k * H, (k + 1) * H)

    def forward(
        self, x: torch.Tensor, state: tuple[torch.Tensor, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Run the LSTM over a batch of sequences.

        Parameters
        ----------
        x : Tensor, shape (B, T, D)
        state : tuple (h0, c0) of Tensors, each (1, B, H), optional
            Zeros if omitted.

        Returns
        -------
        out : Tensor, shape (B, T, H)
            :math:`h_t` at every step.
        (h_n, c_n) : Tensors, each (1, B, H)
        """
        B, T, D = self._check_x(x)
        H = self.hidden_size
        h, c = self._check_state(state, B, x)  # (B, H) each
        bias = self.bias_ih_l0 + self.bias_hh_l0  # both enter every step the same way
        xw = x @ self.weight_ih_l0.T + bias  # (B, T, G*H): the input part of every step
        peep = self.variant == "peephole"
        outs = []
        for t in range(T):
            a = xw[:, t] + h @ self.weight_hh_l0.T  # (B, G*H)
            gate = dict(zip(self.gates, a.split(H, dim=1), strict=True))  # each (B, H)
            if peep:  # i and f look at the old cell
                gate["i"] = gate["i"] + self.peephole_i * c
                gate["f"] = gate["f"] + self.peephole_f * c
            f = torch.sigmoid(gate["f"]) if "f" in gate else 1.0
            if "i" in gate:
                i = torch.sigmoid(gate["i"])
            elif self.variant == "coupled":
                i = 1.0 - f
            else:
                i = 1.0
            c = f * c + i * torch.tanh(gate["g"])  # (B, H)
            if peep:  # o looks at the new cell
                gate["o"] = gate["o"] + self.peephole_o * c
            o = torch.sigmoid(gate["o"]) if "o" in gate else 1.0
            h = o * torch.tanh(c)  # (B, H)
            outs.append(h)
        out = torch.stack(outs, dim=1)  # (B, T, H)
        return out, (h[None], c[None])

    def extra_repr(self) -> str:
        return (
            f"{self.input_size}, {self.hidden_size}, variant={self.variant!r}, "
            f"forget_bias={self.forget_bias}"
        )

    def _check_x(self, x: object) -> tuple[int, int, int]:
        D = self.input_size
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a torch.Tensor of shape (B, T, {D}), got {type(x)}")
        if x.dim() != 3 or x.shape[-1] != D or 0 in x.shape:
            raise ValueError(
                f"x: expected shape (B, T, {D}) (B, T, D), non-empty, got {tuple(x.shape)}"
            )
        if x.dtype != self.weight_ih_l0.dtype:
            raise TypeError(
                f"x: expected dtype {self.weight_ih_l0.dtype} (the parameters'), got {x.dtype}"
            )
        return tuple(x.shape)

    def _check_state(self, state: object, B: int, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        H = self.hidden_size
        if state is None:
            zeros = x.new_zeros(B, H)
            return zeros, zeros
        if not isinstance(state, tuple) or len(state) != 2:
            raise TypeError(
                f"state: expected a tuple (h0, c0) of two tensors, got {type(state).__name__}"
            )
        for name, s in zip(("h0", "c0"), state, strict=True):
            if not isinstance(s, torch.Tensor) or tuple(s.shape) != (1, B, H):
                shape = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
                raise ValueError(
                    f"state: expected {name} of shape (1, {B}, {H}) (1, B, H), got {shape}"
                )
        return state[0][0], state[1][0]


@torch.no_grad()
def set_forget_bias_(lstm: nn.LSTM | LSTMVariant, value: float) -> nn.LSTM | LSTMVariant:
    r"""Set the forget gate's bias, :math:`b_{if} + b_{hf}`, to ``value`` in place.

    The choice: all of ``value`` goes into ``bias_ih`` and the forget block of ``bias_hh``
    is set to 0. Only the sum reaches the gate, and the two vectors always receive the same
    gradient, so any split trains alike; this one makes the value readable in the
    ``state_dict`` and matches :class:`rnnbook.models.adding_models.AddingRegressor`.

    Parameters
    ----------
    lstm : torch.nn.LSTM or LSTMVariant
        With biases. For a stacked or bidirectional ``nn.LSTM`` every layer and direction
        is set (rows H:2H of each ``bias_ih_l{k}`` and ``bias_hh_l{k}``, gate order
        ``i, f, g, o``).
    value : float
        Jozefowicz et al. (2015) use 1: :math:`f_t \approx \sigma(1) = 0.73` at the start.

    Returns
    -------
    The same module.

    Examples
    --------
    >>> lstm = set_forget_bias_(torch.nn.LSTM(3, 4, batch_first=True), 1.0)
    >>> (lstm.bias_ih_l0[4:8] + lstm.bias_hh_l0[4:8]).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    value = _check_finite(value, "value")
    if isinstance(lstm, LSTMVariant):
        rows = lstm.gate_rows("f")
    elif isinstance(lstm, nn.LSTM):
        if not lstm.bias:
            raise ValueError("lstm: expected an LSTM with biases, got bias=False")
        rows = slice(lstm.hidden_size, 2 * lstm.hidden_size)
    else:
        raise TypeError(f"lstm: expected torch.nn.LSTM or LSTMVariant, got {type(lstm).__name__}")
    for name, p in lstm.named_parameters():
        if name.startswith("bias_ih"):
            p[rows] = value
        elif name.startswith("bias_hh"):
            p[rows] = 0.0
    return lstm


def _check_finite(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value!r}")
    return float(value)
