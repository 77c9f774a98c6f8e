r"""Optimizers on dicts of numpy arrays: SGD (with momentum), Adagrad and Adam.

Each optimizer holds a reference to a parameter dict, such as ``RNN.params``, and updates
its arrays **in place** on :meth:`Optimizer.step`, given a gradient dict with the same
keys. The update rules are those of ``torch.optim`` with default options, written so
that the two agree step by step (the tests check it). For a parameter :math:`\theta`, its
gradient :math:`g` and the step count :math:`s = 1, 2, \dots`:

* **SGD** with momentum :math:`\mu` (plain SGD when :math:`\mu = 0`):

  .. math::

      m \leftarrow \mu m + g \quad (m = g \text{ at } s = 1), \qquad
      \theta \leftarrow \theta - \eta\, m.

* **Adagrad** (Duchi, Hazan and Singer, 2011), as in min-char-rnn:

  .. math::

      G \leftarrow G + g \odot g, \qquad
      \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{G} + \epsilon}.

* **Adam** (Kingma and Ba, 2015):

  .. math::

      m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
      v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \\
      \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^s}\,
          \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^s} + \epsilon}.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array_dict, check_positive_float
from rnnbook.training.history import TrainingDiverged


def _check_unit_interval(value: object, name: str) -> float:
    value = check_positive_float(value, name, allow_zero=True)
    if value >= 1.0:
        raise ValueError(f"{name}: expected a number in [0, 1), got {value}")
    return value


class Optimizer:
    """Base class: validates gradients and counts steps; subclasses define :meth:`_update`.

    Parameters
    ----------
    params : dict[str, ndarray]
        The arrays to train; they are modified in place.
    lr : float
        The learning rate :math:`\\eta > 0`.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float) -> None:
        self.params = check_array_dict(params, "params")
        self.lr = check_positive_float(lr, "lr")
        self.steps = 0
        self.state: dict[str, dict[str, np.ndarray]] = {name: {} for name in params}

    def step(self, grads: dict[str, np.ndarray]) -> None:
        """Apply one update with ``grads`` (same keys and shapes as ``params``)."""
        if not isinstance(grads, dict):
            raise TypeError(f"grads: expected a dict of arrays, got {type(grads).__name__}")
        if grads.keys() != self.params.keys():
            raise ValueError(f"grads: expected the keys {sorted(self.params)}, got {sorted(grads)}")
        for name, g in grads.items():
            p = self.params[name]
            if not isinstance(g, np.ndarray) or g.shape != p.shape:
                shape = getattr(g, "shape", type(g).__name__)
                raise ValueError(f"grads[{name!r}]: expected shape {p.shape}, got {shape}")
            if not np.isfinite(g).all():
                raise TrainingDiverged(
                    f"grads[{name!r}]: expected finite values, got NaN or infinity "
                    f"at step {self.steps + 1}: training diverged"
                )
        self.steps += 1
        for name, g in grads.items():
            self._update(self.params[name], g, self.state[name])

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        raise NotImplementedError


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional (heavy-ball) momentum.

    Matches ``torch.optim.SGD(params, lr, momentum)``.

    .. math::

        m \leftarrow \mu m + g \quad (m = g \text{ at the first step}), \qquad
        \theta \leftarrow \theta - \eta\, m

    Parameters
    ----------
    params : dict[str, ndarray]
    lr : float
        :math:`\eta > 0`.
    momentum : float
        :math:`\mu \in [0, 1)`; 0 gives plain SGD, :math:`\theta \leftarrow \theta - \eta g`.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float, momentum: float = 0.0) -> None:
        super().__init__(params, lr)
        self.momentum = _check_unit_interval(momentum, "momentum")

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr}, momentum={self.momentum})"

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        if self.momentum:
            if "m" not in state:
                state["m"] = g.copy()  # the first step starts the buffer at g
            else:
                state["m"] *= self.momentum
                state["m"] += g  # m <- mu m + g
            g = state["m"]
        p -= self.lr * g  # theta <- theta - eta m


class Adagrad(Optimizer):
    r"""Adagrad: each entry's step is divided by the root of its summed squared gradients.

    Matches ``torch.optim.Adagrad(params, lr, eps=eps)``.

    .. math::

        G \leftarrow G + g \odot g, \qquad
        \theta \leftarrow \theta - \eta\, \frac{g}{\sqrt{G} + \epsilon}

    Parameters
    ----------
    params : dict[str, ndarray]
    lr : float
        :math:`\eta > 0` (min-char-rnn uses 0.1).
    eps : float
        :math:`\epsilon > 0`, added to the root for stability.
    """

    def __init__(self, params: dict[str, np.ndarray], lr: float = 0.01, eps: float = 1e-10) -> None:
        super().__init__(params, lr)
        self.eps = check_positive_float(eps, "eps")

    def __repr__(self) -> str:
        return f"Adagrad(lr={self.lr}, eps={self.eps})"

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        G = state.setdefault("sum", np.zeros_like(p))
        G += g * g  # G <- G + g^2
        p -= self.lr * g / (np.sqrt(G) + self.eps)  # theta <- theta - eta g / (sqrt(G) + eps)


class Adam(Optimizer):
    r"""Adam: momentum on the gradient and on its square, with bias correction.

    Matches ``torch.optim.Adam(params, lr, betas, eps)``.

    .. math::

        m &\leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2)\, g \odot g, \\
        \theta &\leftarrow \theta - \frac{\eta}{1 - \beta_1^s}\,
            \frac{m}{\sqrt{v} / \sqrt{1 - \beta_2^s} + \epsilon}

    Parameters
    ----------
    params : dict[str, ndarray]
    lr : float
        :math:`\eta > 0`.
    betas : tuple of float
        :math:`(\beta_1, \beta_2)`, each in [0, 1).
    eps : float
        :math:`\epsilon > 0`.
    """

    def __init__(
        self,
        params: dict[str, np.ndarray],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
    ) -> None:
        super().__init__(params, lr)
        if not isinstance(betas, tuple | list) or len(betas) != 2:
            raise TypeError(f"betas: expected a pair of numbers, got {betas!r}")
        self.betas = (
            _check_unit_interval(betas[0], "betas[0]"),
            _check_unit_interval(betas[1], "betas[1]"),
        )
        self.eps = check_positive_float(eps, "eps")

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr}, betas={self.betas}, eps={self.eps})"

    def _update(self, p: np.ndarray, g: np.ndarray, state: dict[str, np.ndarray]) -> None:
        beta1, beta2 = self.betas
        m = state.setdefault("m", np.zeros_like(p))
        v = state.setdefault("v", np.zeros_like(p))
        m += (1.0 - beta1) * (g - m)  # m <- beta1 m + (1 - beta1) g
        v *= beta2
        v += (1.0 - beta2) * g * g  # v <- beta2 v + (1 - beta2) g^2
        s = self.steps
        step_size = self.lr / (1.0 - beta1**s)  # bias correction of m
        denom = np.sqrt(v) / np.sqrt(1.0 - beta2**s) + self.eps  # bias correction of v
        p -= step_size * m / denom
