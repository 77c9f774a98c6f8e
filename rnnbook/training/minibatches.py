"""Random minibatches for :func:`rnnbook.training.fit`, from a seeded numpy generator."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from rnnbook.checks import check_positive_int

Batch = tuple[torch.Tensor, torch.Tensor]


def batches(x: torch.Tensor, y: torch.Tensor, batch_size: int, seed: int) -> Callable[[int], Batch]:
    """A ``get_batch(step) -> (x[idx], y[idx])`` that samples rows with replacement.

    The rows come from ``numpy.random.default_rng(seed)``: the n-th call returns the same
    batch on every run, whatever else has used a random generator. (The ``step`` argument
    is accepted for :func:`~rnnbook.training.fit` and ignored: the stream advances one
    batch per call.)

    Parameters
    ----------
    x, y : torch.Tensor
        Inputs and targets, with the same first axis N.
    batch_size : int
        B, the rows per batch.
    seed : int
        Seeds the sampler.

    Returns
    -------
    callable
        ``get_batch(step) -> (x_batch, y_batch)``, each with first axis B.

    >>> get_batch = batches(torch.arange(10), torch.arange(10) * 2, batch_size=4, seed=0)
    >>> xb, yb = get_batch(0)
    >>> xb.shape, bool((yb == 2 * xb).all())
    (torch.Size([4]), True)
    """
    for value, name in ((x, "x"), (y, "y")):
        if not isinstance(value, torch.Tensor) or value.dim() == 0:
            got = "a 0-d tensor" if isinstance(value, torch.Tensor) else type(value).__name__
            raise TypeError(f"{name}: expected a torch.Tensor with a batch axis, got {got}")
    if len(x) != len(y) or len(x) == 0:
        raise ValueError(
            f"x, y: expected the same non-zero number of rows, got {len(x)} and {len(y)}"
        )
    batch_size = check_positive_int(batch_size, "batch_size")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed: expected an int, got {type(seed).__name__}")
    gen = np.random.default_rng(seed)
    n = len(x)

    def get_batch(step: int) -> Batch:
        idx = torch.as_tensor(gen.integers(0, n, batch_size))  # (B,) rows, with replacement
        return x[idx], y[idx]

    return get_batch
