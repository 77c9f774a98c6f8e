"""One-hot vectors: the numpy input encoding of every token model in the book.

Multiplying a one-hot row :math:`e_c` by a weight matrix picks one of its columns, so a
one-hot input followed by :math:`W_{ih}` is an embedding lookup whose table is
:math:`W_{ih}^\\top`.

>>> one_hot([2, 0], 3).tolist()
[[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
"""

from __future__ import annotations

import numpy as np

from rnnbook.checks import check_ids, check_positive_int


def one_hot(ids: object, num_classes: int, dtype: type = np.float64) -> np.ndarray:
    """Shape ``ids.shape + (num_classes,)``, with a single 1 per position.

    Parameters
    ----------
    ids : array_like of int, any shape
        Every id in ``[0, num_classes)``.
    num_classes : int
        The vocabulary size.
    dtype : numpy dtype
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    ids = check_ids(ids, "ids", num_classes)
    out = np.zeros((*ids.shape, num_classes), dtype=dtype)
    np.put_along_axis(out, ids[..., None], 1.0, axis=-1)
    return out
