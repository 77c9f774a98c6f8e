r"""A tanh RNN with layer normalisation of the summed inputs (Ba, Kiros and Hinton, 2016).

At every step the pre-activation is normalised over its H units, with a learned gain
:math:`g` and bias :math:`b`, before the nonlinearity:

.. math::

    a_t = W h_{t-1} + U x_t, \qquad
    \mu_t = \frac{1}{H} \sum_i a_{t,i}, \qquad
    \sigma_t^2 = \frac{1}{H} \sum_i (a_{t,i} - \mu_t)^2,

    h_t = \tanh\!\Big(g \odot \frac{a_t - \mu_t}{\sqrt{\sigma_t^2 + \epsilon}} + b\Big).

The statistics come from one example at one step, so they need no batch, work the same
in training and at test time, and are recomputed at every step of any length. Scaling
:math:`W` and :math:`U` by the same :math:`c > 0` scales :math:`a_t - \mu_t` and
:math:`\sigma_t` alike and leaves :math:`h_t` unchanged (up to :math:`\epsilon`).

With ``layer_norm=False`` the layer is the plain tanh RNN
:math:`h_t = \tanh(W h_{t-1} + U x_t + b)`, with the same weights. Weight names and
layouts follow ``torch.nn.RNN``: :math:`U` = ``weight_ih_l0`` (H, D), :math:`W` =
``weight_hh_l0`` (H, H).
"""

from __future__ import annotations

import math

import torch

from rnnbook.checks import check_positive_int


class LayerNormRNN(torch.nn.Module):
    r"""One tanh RNN layer, optionally with layer normalisation (see the module docstring).

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    layer_norm : bool
        Normalise :math:`a_t` before the tanh (True) or add a bias only (False).
    seed : int
        Seeds the generator that draws :math:`U` and :math:`W` from
        :math:`\mathcal{U}(-1/\sqrt{H}, 1/\sqrt{H})`, torch's RNN default. The gain starts
        at 1 and the bias at 0.

    Shapes: ``forward(x: (B, T, D), h0: (1, B, H) | None) -> (out (B, T, H), h_n (1, B, H))``.

    >>> rnn = LayerNormRNN(2, 4, seed=0)
    >>> out, h_n = rnn(torch.zeros(3, 5, 2))
    >>> tuple(out.shape), tuple(h_n.shape)
    ((3, 5, 4), (1, 3, 4))
    """

    def __init__(
        self, input_size: int, hidden_size: int, layer_norm: bool = True, seed: int = 0
    ) -> None:
        super().__init__()
        D = check_positive_int(input_size, "input_size")
        H = check_positive_int(hidden_size, "hidden_size")
        if not isinstance(layer_norm, bool):
            raise TypeError(f"layer_norm: expected a bool, got {type(layer_norm).__name__}")
        self.input_size, self.hidden_size, self.layer_norm = D, H, layer_norm
        gen = torch.Generator().manual_seed(seed)
        bound = 1.0 / math.sqrt(H)

        def uniform(*shape: int) -> torch.nn.Parameter:
            w = (torch.rand(*shape, generator=gen, dtype=torch.float64) * 2 - 1) * bound
            return torch.nn.Parameter(w.float())

        self.weight_ih_l0 = uniform(H, D)  # U
        self.weight_hh_l0 = uniform(H, H)  # W
        self.gain = torch.nn.Parameter(torch.ones(H))  # g (unused without layer norm)
        self.bias = torch.nn.Parameter(torch.zeros(H))  # b

    def forward(
        self, x: torch.Tensor, h0: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(x, torch.Tensor) or x.dim() != 3 or x.shape[2] != self.input_size:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x: expected shape (B, T, {self.input_size}), got {got}")
        B, T, _ = x.shape
        h = x.new_zeros(B, self.hidden_size) if h0 is None else h0[0]  # (B, H)
        xu = x @ self.weight_ih_l0.T  # (B, T, H): U x_t for every step
        outs = []
        for t in range(T):
            a = xu[:, t] + h @ self.weight_hh_l0.T  # (B, H): a_t = W h_{t-1} + U x_t
            if self.layer_norm:  # normalise over the H units of each example
                a = torch.nn.functional.layer_norm(a, (self.hidden_size,), self.gain, self.bias)
            else:
                a = a + self.bias
            h = torch.tanh(a)
            outs.append(h)
        return torch.stack(outs, dim=1), h[None]  # (B, T, H), (1, B, H)
