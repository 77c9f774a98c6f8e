r"""Initialise the recurrent weights of a torch ``RNN``/``LSTM``/``GRU`` with a named scheme.

The schemes, and their numpy versions, are described in :mod:`rnnbook.initialization`;
here they are applied in place with ``torch.nn.init`` and a ``torch.Generator``.
"""

from __future__ import annotations

import numpy as np
import torch

from rnnbook.checks import check_choice, check_positive_float
from rnnbook.initialization import SCHEMES


def _generator(generator: torch.Generator | int) -> torch.Generator:
    if isinstance(generator, torch.Generator):
        return generator
    if isinstance(generator, bool) or not isinstance(generator, int):
        raise TypeError(
            f"generator: expected a torch.Generator or an int seed, got {type(generator).__name__}"
        )
    return torch.Generator().manual_seed(generator)


@torch.no_grad()
def init_recurrent_(
    module: torch.nn.Module,
    scheme: str,
    generator: torch.Generator | int,
    gain: float | None = None,
) -> torch.nn.Module:
    r"""Re-initialise every ``weight_hh_l*`` of a torch RNN, LSTM or GRU, in place.

    The scheme is applied to each ``(H, H)`` gate block separately (LSTM: i, f, g, o;
    GRU: r, z, n), so that each block, the matrix that multiplies :math:`h_{t-1}` for
    one gate, has the scheme's properties (for example, is orthogonal). Input weights and
    biases are left alone. Uses ``torch.nn.init`` with the given generator.

    Parameters
    ----------
    module : torch.nn.RNN, torch.nn.LSTM or torch.nn.GRU
    scheme : one of :data:`SCHEMES`
    generator : torch.Generator or int
        Source of randomness (a seed makes a fresh generator).
    gain : float, optional
        Defaults to 1 (:math:`\sqrt{2}` for ``"he_normal"``).

    Returns
    -------
    The module, for chaining.
    """
    if not isinstance(module, torch.nn.RNNBase):
        raise TypeError(f"module: expected torch.nn.RNN, LSTM or GRU, got {type(module).__name__}")
    scheme = check_choice(scheme, "scheme", SCHEMES)
    gen = _generator(generator)
    if gain is None:
        gain = float(np.sqrt(2.0)) if scheme == "he_normal" else 1.0
    gain = check_positive_float(gain, "gain")
    H = module.hidden_size
    for name, weight in module.named_parameters():
        if not name.startswith("weight_hh"):
            continue
        for block in weight.split(H, dim=0):  # (H, H) per gate, a view into weight
            if scheme == "xavier_uniform":
                torch.nn.init.xavier_uniform_(block, gain=gain, generator=gen)
            elif scheme == "xavier_normal":
                torch.nn.init.xavier_normal_(block, gain=gain, generator=gen)
            elif scheme == "he_normal":
                block.normal_(0.0, gain / np.sqrt(H), generator=gen)
            elif scheme == "orthogonal":
                torch.nn.init.orthogonal_(block, gain=gain, generator=gen)
            else:
                block.copy_(gain * torch.eye(H, dtype=block.dtype))
    return module
