r"""Recurrent regressors for the adding problem: six ways to carry a number over T steps.

Every model reads a sequence ``x`` of shape ``(B, T, D)``, runs one recurrent layer, and
maps the last hidden state to one number with a linear head:

.. math::

    h_T = \operatorname{RNN}(x_1, \dots, x_T), \qquad \hat y = V h_T + c,

with the readout :math:`V` = ``head.weight`` of shape (1, H) and :math:`c` = ``head.bias``.
The six recurrent layers (``cell=``):

* ``"tanh"``: ``torch.nn.RNN`` with tanh and torch's default initialisation,
  :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})` for every weight and bias;
* ``"relu"``: ``torch.nn.RNN`` with ReLU and the same default initialisation (the
  naive "use ReLU instead of tanh" fix);
* ``"irnn"``: ReLU units with :math:`W_{hh} = I`, zero biases and input weights
  :math:`\mathcal{N}(0, 0.001^2)`, the IRNN of Le, Jaitly and Hinton (2015);
* ``"orthogonal"``: tanh units with an orthogonal :math:`W_{hh}` and zero biases;
* ``"lstm"``: ``torch.nn.LSTM`` with torch's default initialisation, or with the
  forget-gate bias set to ``forget_bias`` (Gers et al., 2000; Jozefowicz et al., 2015);
* ``"gru"``: ``torch.nn.GRU`` with torch's default initialisation.

All weights are drawn from a ``torch.Generator`` seeded by ``seed``, never from torch's
global generator, so a model is the same whatever ran before it. Training is
:func:`rnnbook.training.adding.train_adding`.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.initialization import init_recurrent_

CELLS = ("tanh", "relu", "irnn", "orthogonal", "lstm", "gru")


class AddingRegressor(torch.nn.Module):
    r"""One recurrent layer and a linear head: :math:`\hat y = V h_T + c`.

    Parameters
    ----------
    cell : {"tanh", "relu", "irnn", "orthogonal", "lstm", "gru"}
        The recurrent layer; see the module docstring for each one's initialisation.
    hidden_size : int
        H.
    input_size : int
        D; 2 for the adding problem (value, marker).
    seed : int
        Seeds the generator that draws every weight.
    forget_bias : float, optional
        LSTM only: set the forget gate's bias, :math:`b_{if} + b_{hf}`, to this value
        (``bias_ih_l0[H:2H]`` = ``forget_bias``, ``bias_hh_l0[H:2H]`` = 0). A large value
        opens the gate, :math:`f_t = \sigma(\cdot) \approx 1`, at the start of training.

    Attributes
    ----------
    rnn : torch.nn.RNN, LSTM or GRU
        ``batch_first=True``; torch's parameter names (``weight_hh_l0`` ...).
    head : torch.nn.Linear
        ``Linear(H, 1)``.
    """

    def __init__(
        self,
        cell: str,
        hidden_size: int = 32,
        input_size: int = 2,
        seed: int = 0,
        forget_bias: float | None = None,
    ):
        super().__init__()
        self.cell = check_choice(cell, "cell", CELLS)
        H = check_positive_int(hidden_size, "hidden_size")
        D = check_positive_int(input_size, "input_size")
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
        if forget_bias is not None:
            if cell != "lstm":
                raise ValueError(f"forget_bias: expected None for cell={cell!r}, got {forget_bias}")
            if isinstance(forget_bias, bool) or not np.isfinite(forget_bias):
                raise ValueError(f"forget_bias: expected a finite number, got {forget_bias!r}")
        self.forget_bias = forget_bias
        if cell == "lstm":
            self.rnn = torch.nn.LSTM(D, H, batch_first=True)
        elif cell == "gru":
            self.rnn = torch.nn.GRU(D, H, batch_first=True)
        else:
            nonlinearity = "relu" if cell in ("relu", "irnn") else "tanh"
            self.rnn = torch.nn.RNN(D, H, nonlinearity=nonlinearity, batch_first=True)
        self.head = torch.nn.Linear(H, 1)
        self._init_weights(torch.Generator().manual_seed(seed))

    @torch.no_grad()
    def _init_weights(self, gen: torch.Generator) -> None:
        H = self.rnn.hidden_size
        bound = 1.0 / np.sqrt(H)
        for p in self.parameters():  # torch's default scheme, from our own generator
            p.uniform_(-bound, bound, generator=gen)
        if self.cell == "irnn":
            init_recurrent_(self.rnn, "identity", gen)
            self.rnn.weight_ih_l0.normal_(0.0, 0.001, generator=gen)
            self.rnn.bias_ih_l0.zero_()
            self.rnn.bias_hh_l0.zero_()
        elif self.cell == "orthogonal":
            init_recurrent_(self.rnn, "orthogonal", gen)
            self.rnn.bias_ih_l0.zero_()
            self.rnn.bias_hh_l0.zero_()
        elif self.cell == "lstm" and self.forget_bias is not None:
            self.rnn.bias_ih_l0[H : 2 * H] = self.forget_bias  # gate order i, f, g, o
            self.rnn.bias_hh_l0[H : 2 * H] = 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Predict one number per sequence.

        Parameters
        ----------
        x : Tensor, shape (B, T, D)

        Returns
        -------
        Tensor, shape (B,)
        """
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[-1] != self.rnn.input_size:
            shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(
                f"x: expected a tensor of shape (B, T, {self.rnn.input_size}) (B, T, D), "
                f"got {shape}"
            )
        B, T, D = x.shape
        out, _ = self.rnn(x)  # (B, T, H)
        return self.head(out[:, -1]).squeeze(-1)  # (B,)

    def extra_repr(self) -> str:
        return f"cell={self.cell!r}"
