r"""Recurrent regressors for the adding problem: six ways to carry a number over T steps.

Every model reads a sequence ``x`` of shape ``(B, T, D)``, runs one recurrent layer, and
maps the last hidden state to one number with a linear head:

.. math::

    h_T = \operatorname{RNN}(x_1, \dots, x_T), \qquad \hat y = v^\top h_T + c.

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
global generator, so a model is the same whatever ran before it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from rnnbook.checks import check_choice, check_positive_int
from rnnbook.initialization import init_recurrent_
from rnnbook.tasks.adding import adding_problem
from rnnbook.training import History, TrainConfig, fit

CELLS = ("tanh", "relu", "irnn", "orthogonal", "lstm", "gru")


class AddingRegressor(torch.nn.Module):
    r"""One recurrent layer and a linear head: :math:`\hat y = v^\top h_T + c`.

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


@dataclass
class AddingRun:
    """One model trained on the adding problem by :func:`train_adding`.

    Attributes
    ----------
    cell : str
    T : int
    history : rnnbook.training.History
        Training loss and gradient norm per step; ``eval_metric`` is the test MSE.
    test_mse : float
        Mean squared error on the held-out set after training.
    baseline : float
        The task's baseline MSE (1/6: always predict 1).
    model : AddingRegressor
        The trained model, in eval mode.
    """

    cell: str
    T: int
    history: History
    test_mse: float
    baseline: float
    model: AddingRegressor


def train_adding(
    cell: str,
    T: int,
    steps: int = 800,
    batch_size: int = 32,
    hidden_size: int = 32,
    lr: float = 1e-2,
    optimizer: str = "adam",
    clip_norm: float | None = 1.0,
    eval_every: int = 50,
    n_test: int = 1000,
    seed: int = 0,
    model: AddingRegressor | None = None,
) -> AddingRun:
    r"""Train an :class:`AddingRegressor` on fresh adding-problem batches.

    Every model trained with the same ``T``, ``steps``, ``batch_size`` and ``seed`` sees
    exactly the same batches and is scored on the same test set, so runs compare fairly.
    The loss is the mean squared error, :math:`\frac{1}{B} \sum_b (\hat y_b - y_b)^2`.

    Parameters
    ----------
    cell : str
        One of :data:`CELLS`.
    T : int
        Sequence length.
    steps, batch_size, hidden_size, lr, optimizer, clip_norm, eval_every
        The budget; passed to :class:`rnnbook.training.TrainConfig`.
    n_test : int
        Size of the held-out set.
    seed : int
        Seeds the data (training stream ``seed``, test set ``seed + 1``) and the weights.
    model : AddingRegressor, optional
        Train this model instead of a new one (its ``cell`` must match), for example one
        with a :class:`rnnbook.diagnostics.GradientMonitor` attached.

    Returns
    -------
    AddingRun

    Raises
    ------
    rnnbook.training.TrainingDiverged
        If the loss or the gradients stop being finite.
    """
    cell = check_choice(cell, "cell", CELLS)
    T = check_positive_int(T, "T")
    batch_size = check_positive_int(batch_size, "batch_size")
    steps = check_positive_int(steps, "steps")
    if model is None:
        model = AddingRegressor(cell, hidden_size=hidden_size, seed=seed)
    elif not isinstance(model, AddingRegressor) or model.cell != cell:
        raise ValueError(f"model: expected an AddingRegressor with cell={cell!r}, got {model!r}")
    config = TrainConfig(
        steps=steps, lr=lr, optimizer=optimizer, clip_norm=clip_norm, eval_every=eval_every
    )
    train = adding_problem(steps * batch_size, T, rng=seed)
    x_train, y_train = torch.from_numpy(train.x), torch.from_numpy(train.y)
    test = adding_problem(n_test, T, rng=seed + 1)
    x_test, y_test = torch.from_numpy(test.x), torch.from_numpy(test.y)

    def get_batch(step: int) -> tuple[torch.Tensor, torch.Tensor]:
        rows = slice(step * batch_size, (step + 1) * batch_size)
        return x_train[rows], y_train[rows]

    def mse(m: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.mse_loss(m(x), y)

    history = fit(model, get_batch, mse, config, evaluate=lambda m: mse(m, x_test, y_test).item())
    model.eval()
    with torch.no_grad():
        test_mse = mse(model, x_test, y_test).item()
    return AddingRun(
        cell=cell, T=T, history=history, test_mse=test_mse, baseline=train.baseline, model=model
    )
