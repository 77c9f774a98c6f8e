r"""The two classic simple recurrent networks, and the feed-forward net they are compared with.

All three map a batch of input sequences to per-step output logits and take the same
arguments, so a chapter can swap one for another:

``model(x) -> (logits, states)`` with ``x`` (B, T, D), ``logits`` (B, T, V) and
``states`` (B, T, H), the hidden vector at every step.

* :class:`ElmanNet` :cite:`elman1990finding`: the recurrence runs through the hidden state,

  .. math::

      h_t = \tanh(W h_{t-1} + U x_t + b), \qquad z_t = V h_t + c,

  with :math:`h_0 = 0`, or a learned vector when ``learn_h0=True``.
* :class:`JordanNet` :cite:`jordan1986serial`: the recurrence runs through the previous
  *output*,

  .. math::

      h_t = \tanh(W o_{t-1} + U x_t + b), \qquad z_t = V h_t + c, \qquad
      o_t = \mathrm{softmax}(z_t), \qquad o_0 = 0,

  so everything it remembers must pass through a V-dimensional output that the loss is
  also pulling towards the target.
* :class:`CurrentInputNet`: no recurrence; each step sees only its own input,
  :math:`h_t = \tanh(U x_t + b)`, :math:`z_t = V h_t + c`.

Here :math:`z_t` are the logits, and :math:`o_t = \phi(z_t)` with :math:`\phi` the softmax
applied by the loss (``torch.nn.functional.cross_entropy`` takes logits).
Parameter names follow torch: :class:`ElmanNet` wraps ``torch.nn.RNN`` (``weight_ih_l0`` is
:math:`U`, ``weight_hh_l0`` is :math:`W`, :math:`b` = ``bias_ih_l0 + bias_hh_l0``) and every
model's output layer ``out`` is a ``torch.nn.Linear`` holding :math:`V` and :math:`c`.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from rnnbook.checks import check_choice, check_positive_int

JORDAN_FEEDBACK = ("probs", "logits")


class ElmanNet(nn.Module):
    r"""An Elman network: ``torch.nn.RNN`` (tanh) followed by a linear output layer.

    .. math::

        h_t = \tanh(W h_{t-1} + U x_t + b), \qquad z_t = V h_t + c,

    with :math:`U` = ``rnn.weight_ih_l0``, :math:`W` = ``rnn.weight_hh_l0``,
    :math:`b` = ``rnn.bias_ih_l0 + rnn.bias_hh_l0``, :math:`V` = ``out.weight`` and
    :math:`c` = ``out.bias``.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    output_size : int
        V, the number of classes.
    learn_h0 : bool
        If True, :math:`h_0` is a parameter ``h0`` of shape (1, 1, H), initialised to zeros
        (so a fresh model computes exactly what the ``learn_h0=False`` model with the same
        seed computes) and shared by every sequence in a batch. If False, :math:`h_0 = 0`
        and is not a parameter: torch's default.

    Attributes
    ----------
    rnn : torch.nn.RNN
        ``batch_first=True``; parameters ``weight_ih_l0`` (H, D), ``weight_hh_l0`` (H, H),
        ``bias_ih_l0`` (H,), ``bias_hh_l0`` (H,).
    out : torch.nn.Linear
        ``weight`` (V, H) and ``bias`` (V,).
    h0 : torch.nn.Parameter or None
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, learn_h0: bool = False
    ) -> None:
        super().__init__()
        D = check_positive_int(input_size, "input_size")
        H = check_positive_int(hidden_size, "hidden_size")
        V = check_positive_int(output_size, "output_size")
        if not isinstance(learn_h0, bool):
            raise TypeError(f"learn_h0: expected a bool, got {type(learn_h0).__name__}")
        self.input_size, self.hidden_size, self.output_size = D, H, V
        self.rnn = nn.RNN(D, H, batch_first=True)
        self.out = nn.Linear(H, V)
        # Created last and as zeros: it draws nothing from torch's generator.
        self.h0 = nn.Parameter(torch.zeros(1, 1, H)) if learn_h0 else None

    def forward(
        self, x: torch.Tensor, h0: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the network over a batch of sequences.

        Parameters
        ----------
        x : Tensor, shape (B, T, D)
        h0 : Tensor, shape (1, B, H), optional
            An initial state to start from instead of the model's own (zeros, or the
            learned ``h0``): for example the last state of the previous chunk of a stream.

        Returns
        -------
        logits : Tensor, shape (B, T, V)
        states : Tensor, shape (B, T, H)
            :math:`h_1, \\dots, h_T`; ``states[:, -1]`` is the final state.
        """
        x = _check_input(x, self.input_size, self.out.weight.dtype)
        B, T, D = x.shape
        H = self.hidden_size
        if h0 is not None:
            if not isinstance(h0, torch.Tensor) or tuple(h0.shape) != (1, B, H):
                got = tuple(h0.shape) if isinstance(h0, torch.Tensor) else type(h0).__name__
                raise ValueError(
                    f"h0: expected a tensor of shape (1, {B}, {H}) (1, B, H), got {got}"
                )
        elif self.h0 is not None:
            h0 = self.h0.expand(1, B, H).contiguous()  # (1, B, H): the learned state
        hs, _ = self.rnn(x, h0)  # (B, T, H); torch uses zeros when h0 is None
        return self.out(hs), hs  # (B, T, V), (B, T, H)


class JordanNet(nn.Module):
    r"""A Jordan network: the previous output, not the previous hidden state, is fed back.

    .. math::

        h_t = \tanh(W o_{t-1} + U x_t + b), \qquad
        z_t = V h_t + c, \qquad o_t = \mathrm{softmax}(z_t), \qquad o_0 = 0

    With ``feedback="logits"`` the fed-back vector is :math:`o_t = z_t` instead (a
    variant that removes the softmax squashing, for comparison).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    output_size : int
        V.
    feedback : {"probs", "logits"}
        What is fed back: the softmax output (Jordan's network) or the raw logits.

    Attributes
    ----------
    weight_ih : Parameter, shape (H, D)
        :math:`U`.
    weight_oh : Parameter, shape (H, V)
        :math:`W`, the recurrent weights, from the previous output.
    bias_ih, bias_oh : Parameter, shape (H,)
        :math:`b` = ``bias_ih + bias_oh``, two vectors as in ``torch.nn.RNN``.
    out : torch.nn.Linear
        :math:`V` (V, H) and :math:`c` (V,).
    """

    def __init__(
        self, input_size: int, hidden_size: int, output_size: int, feedback: str = "probs"
    ) -> None:
        super().__init__()
        D = check_positive_int(input_size, "input_size")
        H = check_positive_int(hidden_size, "hidden_size")
        V = check_positive_int(output_size, "output_size")
        self.feedback = check_choice(feedback, "feedback", JORDAN_FEEDBACK)
        self.input_size, self.hidden_size, self.output_size = D, H, V
        # torch.nn.RNN's initialisation: uniform on [-1/sqrt(H), 1/sqrt(H)].
        bound = 1.0 / math.sqrt(H)
        self.weight_ih = nn.Parameter(torch.empty(H, D).uniform_(-bound, bound))
        self.weight_oh = nn.Parameter(torch.empty(H, V).uniform_(-bound, bound))
        self.bias_ih = nn.Parameter(torch.empty(H).uniform_(-bound, bound))
        self.bias_oh = nn.Parameter(torch.empty(H).uniform_(-bound, bound))
        self.out = nn.Linear(H, V)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the network over ``x`` (B, T, D); return logits (B, T, V) and states (B, T, H)."""
        x = _check_input(x, self.input_size, self.out.weight.dtype)
        B, T, D = x.shape
        a_in = x @ self.weight_ih.T + self.bias_ih + self.bias_oh  # (B, T, H)
        o = x.new_zeros(B, self.output_size)  # (B, V): o_0 = 0
        hs, zs = [], []
        for t in range(T):  # the recurrence goes through the output
            h = torch.tanh(a_in[:, t] + o @ self.weight_oh.T)  # (B, H)
            z = self.out(h)  # (B, V)
            o = torch.softmax(z, dim=-1) if self.feedback == "probs" else z  # (B, V)
            hs.append(h)
            zs.append(z)
        return torch.stack(zs, dim=1), torch.stack(hs, dim=1)  # (B, T, V), (B, T, H)


class CurrentInputNet(nn.Module):
    r"""A feed-forward network applied to each step on its own: it sees only :math:`x_t`.

    .. math::

        h_t = \tanh(x_t U^\top + b), \qquad z_t = h_t V^\top + c

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    output_size : int
        V.

    Attributes
    ----------
    hidden : torch.nn.Linear
        :math:`U` (H, D) and :math:`b` (H,).
    out : torch.nn.Linear
        :math:`V` (V, H) and :math:`c` (V,).
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int) -> None:
        super().__init__()
        D = check_positive_int(input_size, "input_size")
        H = check_positive_int(hidden_size, "hidden_size")
        V = check_positive_int(output_size, "output_size")
        self.input_size, self.hidden_size, self.output_size = D, H, V
        self.hidden = nn.Linear(D, H)
        self.out = nn.Linear(H, V)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the network over ``x`` (B, T, D); return logits (B, T, V) and states (B, T, H)."""
        x = _check_input(x, self.input_size, self.out.weight.dtype)
        B, T, D = x.shape
        hs = torch.tanh(self.hidden(x))  # (B, T, H): no h_{t-1} anywhere
        return self.out(hs), hs  # (B, T, V), (B, T, H)


def _check_input(x: object, D: int, dtype: torch.dtype) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"x: expected a torch.Tensor of shape (B, T, D), got {type(x).__name__}")
    if x.dtype != dtype:
        raise TypeError(f"x: expected dtype {dtype} (the model's), got {x.dtype}")
    if x.ndim != 3 or x.shape[2] != D or x.shape[0] == 0 or x.shape[1] == 0:
        raise ValueError(f"x: expected shape (B, T, {D}) (B, T, D), got {tuple(x.shape)}")
    if not torch.isfinite(x).all():
        raise ValueError("x: expected finite values, got NaN or infinite entries")
    return x
