r"""The book's one table of elementwise nonlinearities, each with its derivative.

Every numpy layer and analysis looks its nonlinearity up here, so there is one place where
:math:`\tanh'` is written, and an unknown name fails at once instead of silently running
something else.

Each derivative is written in terms of the function's **output** :math:`y = f(a)`, which is
what a forward pass keeps anyway:

.. math::

    \tanh'(a) = 1 - y^2, \qquad \sigma'(a) = y (1 - y), \qquad
    \mathrm{ReLU}'(a) = [a > 0] = [y > 0], \qquad \mathrm{id}'(a) = 1.

>>> import numpy as np
>>> act = activation("tanh")
>>> y = act.f(np.array([0.0, 1.0]))
>>> act.grad_from_output(y).round(4).tolist()
[1.0, 0.42]
>>> activation("Tanh")
Traceback (most recent call last):
...
ValueError: nonlinearity: expected one of ('tanh', 'relu', 'sigmoid', 'identity'), got 'Tanh'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_choice


def sigmoid(a: np.ndarray) -> np.ndarray:
    r""":math:`\sigma(a) = 1 / (1 + e^{-a})`, computed without overflow for large :math:`|a|`."""
    e = np.exp(-np.abs(a))  # in (0, 1]: never overflows
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def relu(a: np.ndarray) -> np.ndarray:
    r""":math:`\max(a, 0)`."""
    return np.maximum(a, 0.0)


def _identity(a: np.ndarray) -> np.ndarray:
    return a


class Activation(NamedTuple):
    """An elementwise function and its derivative as a function of the output."""

    name: str
    f: Callable[[np.ndarray], np.ndarray]
    grad_from_output: Callable[[np.ndarray], np.ndarray]


ACTIVATIONS: dict[str, Activation] = {
    "tanh": Activation("tanh", np.tanh, lambda y: 1.0 - y**2),
    "relu": Activation("relu", relu, lambda y: (y > 0).astype(y.dtype)),
    "sigmoid": Activation("sigmoid", sigmoid, lambda y: y * (1.0 - y)),
    "identity": Activation("identity", _identity, np.ones_like),
}


def activation(name: object) -> Activation:
    """Look a nonlinearity up by name; an unknown name raises ``ValueError``."""
    return ACTIVATIONS[check_choice(name, "nonlinearity", ACTIVATIONS)]
