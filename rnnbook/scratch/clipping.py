r"""Gradient clipping of numpy gradient dicts (torch twins: :mod:`rnnbook.training.clipping`).

Two different operations share the name "clipping":

* **by value** (element-wise, as in min-char-rnn's ``np.clip(g, -5, 5)``):
  :math:`g_i \leftarrow \min(\max(g_i, -c), c)`. Each entry is cut on its own, so the
  direction of the gradient changes whenever some entries are cut and others are not.
* **by global norm** (Pascanu, Mikolov and Bengio, 2013), what some notes call
  "gradient scaling": with :math:`n = \lVert g \rVert_2` over all parameters together,

  .. math::

      g \leftarrow g \cdot \min\!\left(1, \frac{c}{n + 10^{-6}}\right),

  which shortens the gradient but keeps its direction. The :math:`10^{-6}` is torch's.

The functions modify the dict's arrays in place and mirror
``torch.nn.utils.clip_grad_value_`` and ``clip_grad_norm_``.
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_array_dict, check_positive_float
from rnnbook.training.history import TrainingDiverged


def global_norm(grads: dict[str, np.ndarray]) -> float:
    r"""The L2 norm of all gradients together, :math:`\sqrt{\sum_p \lVert g_p \rVert_2^2}`."""
    check_array_dict(grads, "grads")
    return float(np.sqrt(sum(np.sum(g.astype(np.float64) ** 2) for g in grads.values())))


def clip_by_value(grads: dict[str, np.ndarray], clip_value: float) -> dict[str, np.ndarray]:
    """Clip every entry of every gradient to ``[-clip_value, clip_value]``, in place.

    Returns ``grads`` for chaining. Matches ``torch.nn.utils.clip_grad_value_``.
    """
    check_array_dict(grads, "grads")
    clip_value = check_positive_float(clip_value, "clip_value")
    for g in grads.values():
        np.clip(g, -clip_value, clip_value, out=g)
    return grads


def clip_by_global_norm(grads: dict[str, np.ndarray], max_norm: float) -> float:
    """Rescale all gradients together so their global norm is at most ``max_norm``, in place.

    Returns the global norm *before* clipping, as ``torch.nn.utils.clip_grad_norm_`` does.
    A non-finite norm raises :class:`~rnnbook.training.history.TrainingDiverged` before
    anything is scaled: rescaling NaN gradients cannot help.
    """
    check_array_dict(grads, "grads")
    max_norm = check_positive_float(max_norm, "max_norm")
    total = global_norm(grads)
    if not np.isfinite(total):
        raise TrainingDiverged(
            f"training diverged: gradient norm is {total} (the gradients hold NaN or infinity)"
        )
    scale = min(1.0, max_norm / (total + 1e-6))
    for g in grads.values():
        g *= scale
    return total
