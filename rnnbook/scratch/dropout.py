r"""Inverted dropout in numpy: one mask, sampled from a Generator, reused by the backward pass.

During training each unit is kept with probability :math:`1 - p` and the kept units are
scaled up so that the expected value does not change:

.. math::

    m = \frac{[u \ge p]}{1 - p}, \quad u \sim \mathcal{U}[0, 1), \qquad
    y = x \odot m, \qquad \frac{\partial L}{\partial x} = \frac{\partial L}{\partial y} \odot m.

At evaluation time nothing is dropped and nothing is scaled (:math:`y = x`). This is what
``torch.nn.Dropout`` does, and what ``torch.nn.LSTM(dropout=p)`` applies between layers.

>>> import numpy as np
>>> m = dropout_mask((2, 1000), p=0.25, rng=np.random.default_rng(0))
>>> sorted(set(m.ravel().round(4).tolist()))
[0.0, 1.3333]
>>> round(float((m == 0).mean()), 2)
0.25
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_positive_float


def check_dropout(p: object, name: str = "dropout") -> float:
    """Return ``p`` as a float if it is a probability in [0, 1), else raise."""
    p = check_positive_float(p, name, allow_zero=True)
    if p >= 1.0:
        raise ValueError(f"{name}: expected a probability in [0, 1), got {p}")
    return p


def dropout_mask(
    shape: tuple[int, ...], p: float, rng: np.random.Generator, dtype: type = np.float64
) -> np.ndarray:
    r"""An inverted-dropout mask: :math:`0` with probability ``p``, else :math:`1/(1-p)`.

    Parameters
    ----------
    shape : tuple of int
        The shape of the array the mask multiplies, for example (B, T, H).
    p : float
        The drop probability, in [0, 1).
    rng : numpy.random.Generator
        The only source of randomness.
    dtype : numpy dtype

    Returns
    -------
    ndarray, shape ``shape``
    """
    p = check_dropout(p, "p")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy Generator, got {type(rng).__name__}")
    keep = rng.random(shape) >= p  # kept with probability 1 - p
    return (keep / (1.0 - p)).astype(dtype)
