r"""Four ways to use dropout in a recurrent network, in torch, for the regularisation chapter.

All four run an LSTM or a GRU over batch-first input, ``(B, T, D) -> (out, state)`` with
torch's state layout (``h`` of shape (1, B, H); ``(h, c)`` for the LSTM) and torch's
parameter names, so that with no dropout, or in ``eval()`` mode, each computes exactly what
``torch.nn.LSTM``/``torch.nn.GRU`` computes. A mask :math:`m` is inverted dropout:
each entry is :math:`0` with probability :math:`p` and :math:`1/(1-p)` otherwise.

(a) **Between layers** (:func:`between_layer_dropout`): ``torch.nn.LSTM(num_layers=L,
    dropout=p)`` drops the output of every layer but the last, with a new mask at every
    step; the recurrent connections are left alone (Zaremba et al. 2014).

(b) **Variational** (:class:`VariationalDropoutRNN`, Gal and Ghahramani 2016): one mask per
    sequence for the inputs and one for the hidden state, *the same at every step*:

    .. math::

        \tilde x_t = x_t \odot m_x, \qquad \tilde h_{t-1} = h_{t-1} \odot m_h, \qquad
        m_x \in \{0, \tfrac{1}{1-p_x}\}^{B \times D},\
        m_h \in \{0, \tfrac{1}{1-p_h}\}^{B \times H},

    and the gates read :math:`\tilde x_t` and :math:`\tilde h_{t-1}` (all gates share a mask).

(c) **Weight dropping** (:class:`WeightDropRNN`, the DropConnect of AWD-LSTM, Merity et al.
    2017): one mask on the hidden-to-hidden weights per forward pass, shared by every
    sequence and every step; activations are not dropped:

    .. math::

        \tilde W_{hh} = W_{hh} \odot M, \qquad M \in \{0, \tfrac{1}{1-p}\}^{GH \times H}.

(d) **Naive recurrent dropout** (:class:`NaiveDropoutRNN`): as (b), but with a new mask at
    every step, :math:`\tilde h_{t-1} = h_{t-1} \odot m_{h,t}`. The recurrent signal is
    then multiplied by :math:`T` independent masks; the chapter shows why that hurts.

The cells, with :math:`\tilde x_t` and :math:`\tilde h_{t-1}` in place of :math:`x_t` and
:math:`h_{t-1}` where they enter a product (torch's equations otherwise; the GRU's carry
:math:`z_t \odot h_{t-1}` and the LSTM's cell :math:`c_t` are never masked):

.. math::

    \text{LSTM:}\quad [a_i | a_f | a_g | a_o] &= \tilde x_t W_{ih}^\top + b_{ih}
        + \tilde h_{t-1} \tilde W_{hh}^\top + b_{hh}, \quad
    c_t = \sigma(a_f) \odot c_{t-1} + \sigma(a_i) \odot \tanh(a_g), \quad
    h_t = \sigma(a_o) \odot \tanh(c_t), \\
    \text{GRU:}\quad [g_r | g_z | g_n] &= \tilde h_{t-1} \tilde W_{hh}^\top + b_{hh}, \quad
    [u_r | u_z | u_n] = \tilde x_t W_{ih}^\top + b_{ih}, \\
    r_t &= \sigma(u_r + g_r), \quad z_t = \sigma(u_z + g_z), \quad
    n_t = \tanh(u_n + r_t \odot g_n), \quad h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}.

Masks and initial weights come from the module's own ``torch.Generator`` (seeded by
``seed``), never from torch's global one; :meth:`sample_masks` draws a set, and
``forward(x, state, masks=...)`` runs with a given set (in training mode only).

>>> model = VariationalDropoutRNN("lstm", 3, 4, dropout_input=0.25, dropout_hidden=0.5)
>>> masks = model.sample_masks(B=2, T=5)
>>> {name: tuple(m.shape) for name, m in masks.items()}
{'input': (2, 5, 3), 'hidden': (2, 5, 4)}
>>> bool((masks["hidden"] == masks["hidden"][:, :1]).all())  # the same at every step
True
>>> out, (h_n, c_n) = model.eval()(torch.ones(2, 5, 3))
>>> tuple(out.shape), tuple(h_n.shape)
((2, 5, 4), (1, 2, 4))
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any

import torch
from torch import nn

from rnnbook.checks import check_choice, check_positive_int

CELLS = ("lstm", "gru")
GATES = {"lstm": 4, "gru": 3}  # blocks i|f|g|o and r|z|n, torch's order


def check_probability(p: object, name: str) -> float:
    """Return ``p`` as a float in [0, 1), else raise."""
    if isinstance(p, bool) or not isinstance(p, Real):
        raise TypeError(f"{name}: expected a probability in [0, 1), got {type(p).__name__}")
    if not 0.0 <= float(p) < 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1), got {p}")
    return float(p)


def dropout_mask(
    shape: tuple[int, ...], p: float, generator: torch.Generator, dtype: torch.dtype
) -> torch.Tensor:
    r"""An inverted-dropout mask: :math:`0` with probability ``p``, else :math:`1/(1-p)`."""
    keep = torch.rand(shape, generator=generator) >= p  # kept with probability 1 - p
    return keep.to(dtype) / (1.0 - p)


def between_layer_dropout(
    cell: str,
    input_size: int,
    hidden_size: int,
    num_layers: int = 2,
    dropout: float = 0.0,
    seed: int = 0,
    dtype: torch.dtype = torch.float32,
) -> nn.LSTM | nn.GRU:
    """(a): ``torch.nn.LSTM``/``GRU(batch_first=True, num_layers, dropout)``, weights drawn
    uniform on [-1/√H, 1/√H] (torch's rule) from ``seed``.

    Torch draws its between-layer masks from its *global* generator; seed it
    (:func:`torch.manual_seed`) for reproducible training runs.

    >>> between_layer_dropout("gru", 3, 4, num_layers=2, dropout=0.5)
    GRU(3, 4, num_layers=2, batch_first=True, dropout=0.5)
    """
    check_choice(cell, "cell", CELLS)
    dropout = check_probability(dropout, "dropout")
    if dropout > 0 and num_layers == 1:
        raise ValueError(
            f"num_layers: expected at least 2 for dropout={dropout} (nothing is dropped "
            "after the last layer), got 1"
        )
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    module = getattr(nn, cell.upper())(
        check_positive_int(input_size, "input_size"),
        check_positive_int(hidden_size, "hidden_size"),
        num_layers=check_positive_int(num_layers, "num_layers"),
        dropout=dropout,
        batch_first=True,
        dtype=dtype,
    )
    generator, bound = torch.Generator().manual_seed(seed), 1.0 / math.sqrt(hidden_size)
    with torch.no_grad():
        for p in module.parameters():
            p.uniform_(-bound, bound, generator=generator)
    return module


class RegularizedRNN(nn.Module):
    r"""Base class: one LSTM or GRU layer as a loop of torch ops, with slots for masks.

    Subclasses say which masks they draw in :meth:`sample_masks`; the base runs them.

    Parameters
    ----------
    cell : {"lstm", "gru"}
    input_size : int
        D.
    hidden_size : int
        H.
    seed : int
        Seeds the generator of the initial weights and of every mask.
    dtype : torch.dtype

    Attributes
    ----------
    weight_ih_l0 : Parameter, shape (G·H, D)
    weight_hh_l0 : Parameter, shape (G·H, H)
    bias_ih_l0, bias_hh_l0 : Parameter, shape (G·H,)
        G = 4 (LSTM) or 3 (GRU); a ``torch.nn.LSTM``/``GRU`` state dict loads unchanged.
    generator : torch.Generator
    """

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__()
        self.cell = check_choice(cell, "cell", CELLS)
        self.input_size = D = check_positive_int(input_size, "input_size")
        self.hidden_size = H = check_positive_int(hidden_size, "hidden_size")
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
        self.generator = torch.Generator().manual_seed(seed)
        GH = GATES[cell] * H
        self.weight_ih_l0 = nn.Parameter(torch.empty(GH, D, dtype=dtype))
        self.weight_hh_l0 = nn.Parameter(torch.empty(GH, H, dtype=dtype))
        self.bias_ih_l0 = nn.Parameter(torch.empty(GH, dtype=dtype))
        self.bias_hh_l0 = nn.Parameter(torch.empty(GH, dtype=dtype))
        bound = 1.0 / math.sqrt(H)
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-bound, bound, generator=self.generator)

    def mask_shapes(self, B: int, T: int) -> dict[str, tuple[int, ...]]:
        """The shape of every mask this model may use."""
        return {
            "input": (B, T, self.input_size),
            "hidden": (B, T, self.hidden_size),
            "weight_hh": tuple(self.weight_hh_l0.shape),
        }

    def sample_masks(self, B: int, T: int) -> dict[str, torch.Tensor]:
        """A fresh set of masks for a batch of B sequences of T steps (none in the base)."""
        return {}

    def forward(
        self, x: torch.Tensor, state: Any = None, masks: dict[str, torch.Tensor] | None = None
    ) -> tuple[torch.Tensor, Any]:
        """Run the layer; see the module docstring.

        Parameters
        ----------
        x : Tensor, shape (B, T, D)
        state : Tensor (1, B, H), or tuple (h0, c0) of them for the LSTM, optional
            Zeros if omitted.
        masks : dict of Tensors, optional
            In training mode, the masks to use instead of fresh ones (keys and shapes from
            :meth:`mask_shapes`); must be None in eval mode, which uses none.

        Returns
        -------
        out : Tensor, shape (B, T, H)
        state_n : like ``state``
        """
        B, T, D = self._check_x(x)
        h, c = self._check_state(state, B, x)  # (B, H) each; c unused by the GRU
        if not self.training and masks is not None:
            raise ValueError("masks: expected None in eval mode, got a dict")
        if not self.training:
            masks = {}
        elif masks is None:
            masks = self.sample_masks(B, T)
        masks = self._check_masks(masks, B, T, x)
        if "input" in masks:
            x = x * masks["input"]  # (B, T, D): x̃_t
        w_hh = self.weight_hh_l0
        if "weight_hh" in masks:
            w_hh = w_hh * masks["weight_hh"]  # (G*H, H): W̃_hh, one mask for every step
        xw = x @ self.weight_ih_l0.T + self.bias_ih_l0  # (B, T, G*H): input part, all steps
        H, outs = self.hidden_size, []
        for t in range(T):
            h_in = h * masks["hidden"][:, t] if "hidden" in masks else h  # h̃_{t-1}
            hw = h_in @ w_hh.T + self.bias_hh_l0  # (B, G*H)
            if self.cell == "lstm":
                i, f, g, o = (xw[:, t] + hw).split(H, dim=1)  # each (B, H)
                c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
                h = torch.sigmoid(o) * torch.tanh(c)  # (B, H)
            else:
                u_r, u_z, u_n = xw[:, t].split(H, dim=1)
                g_r, g_z, g_n = hw.split(H, dim=1)
                r, z = torch.sigmoid(u_r + g_r), torch.sigmoid(u_z + g_z)
                n = torch.tanh(u_n + r * g_n)
                h = (1 - z) * n + z * h  # the carry uses the unmasked h_{t-1}
            outs.append(h)
        out = torch.stack(outs, dim=1)  # (B, T, H)
        return out, ((h[None], c[None]) if self.cell == "lstm" else h[None])

    def extra_repr(self) -> str:
        return f"{self.cell!r}, {self.input_size}, {self.hidden_size}"

    # ------------------------------------------------------------------ checks
    def _check_x(self, x: object) -> tuple[int, int, int]:
        D, dtype = self.input_size, self.weight_ih_l0.dtype
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a torch.Tensor of shape (B, T, {D}), got {type(x)}")
        if x.dim() != 3 or x.shape[-1] != D or 0 in x.shape:
            raise ValueError(
                f"x: expected shape (B, T, {D}) (B, T, D), non-empty, got {tuple(x.shape)}"
            )
        if x.dtype != dtype:
            raise TypeError(f"x: expected dtype {dtype} (the parameters'), got {x.dtype}")
        return tuple(x.shape)

    def _check_state(self, state: Any, B: int, x: torch.Tensor) -> tuple[torch.Tensor, ...]:
        H, lstm = self.hidden_size, self.cell == "lstm"
        if state is None:
            return x.new_zeros(B, H), x.new_zeros(B, H)
        if lstm and (not isinstance(state, tuple) or len(state) != 2):
            raise TypeError(f"state: expected a tuple (h0, c0), got {type(state).__name__}")
        parts = state if lstm else (state,)
        for s in parts:
            if not isinstance(s, torch.Tensor) or tuple(s.shape) != (1, B, H):
                shape = tuple(s.shape) if isinstance(s, torch.Tensor) else type(s).__name__
                raise ValueError(f"state: expected shape (1, {B}, {H}) (1, B, H), got {shape}")
        return parts[0][0], (parts[1][0] if lstm else x.new_zeros(B, H))

    def _check_masks(
        self, masks: object, B: int, T: int, x: torch.Tensor
    ) -> dict[str, torch.Tensor]:
        if not isinstance(masks, dict):
            raise TypeError(f"masks: expected a dict of tensors, got {type(masks).__name__}")
        shapes = self.mask_shapes(B, T)
        for name, m in masks.items():
            if name not in shapes:
                raise ValueError(f"masks: expected keys among {sorted(shapes)}, got {name!r}")
            if not isinstance(m, torch.Tensor) or tuple(m.shape) != shapes[name]:
                got = tuple(m.shape) if isinstance(m, torch.Tensor) else type(m).__name__
                raise ValueError(f"masks[{name!r}]: expected shape {shapes[name]}, got {got}")
        return {name: m.to(device=x.device, dtype=x.dtype) for name, m in masks.items()}


class VariationalDropoutRNN(RegularizedRNN):
    """(b) Variational dropout: one input mask and one hidden mask per sequence, reused at
    every step. Parameters as :class:`RegularizedRNN`, plus ``dropout_input`` and
    ``dropout_hidden`` (probabilities in [0, 1))."""

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        dropout_input: float = 0.0,
        dropout_hidden: float = 0.0,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__(cell, input_size, hidden_size, seed=seed, dtype=dtype)
        self.dropout_input = check_probability(dropout_input, "dropout_input")
        self.dropout_hidden = check_probability(dropout_hidden, "dropout_hidden")

    def sample_masks(self, B: int, T: int) -> dict[str, torch.Tensor]:
        """Masks of shape (B, 1, ·) drawn once and expanded over the T steps."""
        dtype, masks = self.weight_ih_l0.dtype, {}
        for name, p, size in (
            ("input", self.dropout_input, self.input_size),
            ("hidden", self.dropout_hidden, self.hidden_size),
        ):
            if p > 0:
                masks[name] = dropout_mask((B, 1, size), p, self.generator, dtype).expand(
                    B, T, size
                )  # (B, T, size), the same at every step
        return masks

    def extra_repr(self) -> str:
        return (
            f"{super().extra_repr()}, dropout_input={self.dropout_input}, "
            f"dropout_hidden={self.dropout_hidden}"
        )


class NaiveDropoutRNN(VariationalDropoutRNN):
    """(d) Naive recurrent dropout: like :class:`VariationalDropoutRNN`, but a new mask for
    every sequence *and every step*."""

    def sample_masks(self, B: int, T: int) -> dict[str, torch.Tensor]:
        """Masks of shape (B, T, ·), every entry drawn independently."""
        dtype, masks = self.weight_ih_l0.dtype, {}
        for name, p, size in (
            ("input", self.dropout_input, self.input_size),
            ("hidden", self.dropout_hidden, self.hidden_size),
        ):
            if p > 0:
                masks[name] = dropout_mask((B, T, size), p, self.generator, dtype)
        return masks


class WeightDropRNN(RegularizedRNN):
    """(c) Weight dropping (DropConnect on ``weight_hh_l0``): one mask per forward pass.
    Parameters as :class:`RegularizedRNN`, plus ``weight_dropout`` in [0, 1)."""

    def __init__(
        self,
        cell: str,
        input_size: int,
        hidden_size: int,
        weight_dropout: float = 0.0,
        seed: int = 0,
        dtype: torch.dtype = torch.float32,
    ) -> None:
        super().__init__(cell, input_size, hidden_size, seed=seed, dtype=dtype)
        self.weight_dropout = check_probability(weight_dropout, "weight_dropout")

    def sample_masks(self, B: int, T: int) -> dict[str, torch.Tensor]:
        """One (G·H, H) mask on the hidden-to-hidden weights."""
        if self.weight_dropout == 0:
            return {}
        shape, dtype = tuple(self.weight_hh_l0.shape), self.weight_hh_l0.dtype
        return {"weight_hh": dropout_mask(shape, self.weight_dropout, self.generator, dtype)}

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, weight_dropout={self.weight_dropout}"
