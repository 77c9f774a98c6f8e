r"""A loss with a chosen gradient, for checking backward passes and TBPTT schedules.

.. math::

    L = \sum_{t} \langle h_t, G_t \rangle, \qquad
    \frac{\partial L}{\partial h_t} = G_t .

Every output of a layer then receives a different, known upstream gradient, so a backward
pass cannot pass a check by accident. :func:`projection_loss` has the ``loss_fn``
signature of :func:`rnnbook.scratch.truncated_bptt.truncated_bptt`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from rnnbook.checks import check_array


def projection_loss(
    G: np.ndarray,
) -> Callable[[np.ndarray, int, int], tuple[float, np.ndarray, dict]]:
    r"""A TBPTT ``loss_fn`` for :math:`L_t = \langle h_t, G_t \rangle` on the new steps.

    Parameters
    ----------
    G : ndarray, shape (B, T, H)
        The upstream gradient of every output of the whole stream.

    Returns
    -------
    callable
        ``loss_fn(out, loss_start, stop) -> (loss, d_out, {})`` with ``out`` of shape
        (B, stop - loss_start, H) and ``d_out = G[:, loss_start:stop]``.

    >>> G = np.ones((1, 3, 2))
    >>> loss, d_out, extra = projection_loss(G)(np.full((1, 2, 2), 0.5), 1, 3)
    >>> loss, d_out.shape, extra
    (2.0, (1, 2, 2), {})
    """
    G = check_array(G, "G", shape=(None, None, None), legend="(B, T, H)")

    def loss_fn(out: np.ndarray, loss_start: int, stop: int) -> tuple[float, np.ndarray, dict]:
        g = G[:, loss_start:stop]  # (B, n, H): dL_t/dh_t
        if np.shape(out) != g.shape:
            raise ValueError(f"out: expected shape {g.shape}, got {np.shape(out)}")
        return float(np.sum(out * g)), g.copy(), {}

    return loss_fn
