"""Argument checks for the public boundary of ``rnnbook``.

Every public function validates what it is given with these helpers, so that a bad
shape, dtype, NaN or hyperparameter fails at once with a message of the form
``"<name>: expected <what>, got <what>"`` instead of deep inside a matrix product.
``assert`` is kept for internal invariants only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from numbers import Integral, Real

import numpy as np


def check_positive_int(value: object, name: str) -> int:
    """Return ``value`` as an ``int`` if it is an integer >= 1, else raise."""
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"{name}: expected a positive integer, got {type(value).__name__} {value!r}"
        )
    if value < 1:
        raise ValueError(f"{name}: expected a positive integer, got {value}")
    return int(value)


def check_positive_float(value: object, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as a ``float`` if it is finite and > 0 (or >= 0), else raise."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a positive number, got {type(value).__name__} {value!r}")
    value = float(value)
    bound_ok = value >= 0 if allow_zero else value > 0
    if not (np.isfinite(value) and bound_ok):
        expected = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name}: expected {expected}, got {value}")
    return value


def check_choice(value: object, name: str, choices: Iterable[str]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise ``ValueError``."""
    choices = tuple(choices)
    if value not in choices:
        raise ValueError(f"{name}: expected one of {choices}, got {value!r}")
    return value  # type: ignore[return-value]


def check_array(
    x: object,
    name: str,
    *,
    shape: Sequence[int | None] | None = None,
    legend: str = "",
    dtype: np.dtype | type | None = None,
) -> np.ndarray:
    """Validate a floating-point array and return it as an ``np.ndarray``.

    Parameters
    ----------
    x : array_like
        The value to check. Integer, boolean and object arrays are rejected with
        ``TypeError``: silently casting token ids to floats hides real bugs.
    name : str
        The argument's name, used in error messages.
    shape : sequence of int or None, optional
        Expected shape; ``None`` entries match any size. The number of entries is the
        expected number of dimensions.
    legend : str, optional
        The shape in letters, for example ``"(B, T, D)"``, quoted in error messages.
    dtype : numpy dtype, optional
        If given, the returned array is converted to it.

    Raises
    ------
    TypeError
        If ``x`` is not a real floating-point array.
    ValueError
        If the shape does not match, or ``x`` contains NaN or infinity.
    """
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.floating):
        raise TypeError(f"{name}: expected a floating-point array, got dtype {arr.dtype}")
    if shape is not None:
        described = f"{len(shape)} dimensions {legend}".rstrip()
        if arr.ndim != len(shape):
            raise ValueError(f"{name}: expected {described}, got shape {arr.shape}")
        for axis, (want, got) in enumerate(zip(shape, arr.shape, strict=True)):
            if want is not None and want != got:
                expected = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
                raise ValueError(
                    f"{name}: expected shape {expected} {legend}, got {arr.shape} "
                    f"(axis {axis} should be {want}, is {got})".replace("  ", " ")
                )
    if arr.size and not np.isfinite(arr).all():
        bad = int(np.size(arr) - np.count_nonzero(np.isfinite(arr)))
        raise ValueError(f"{name}: expected finite values, got {bad} NaN or infinite entries")
    if dtype is not None:
        arr = arr.astype(dtype, copy=False)
    return arr


def check_ids(
    ids: object, name: str, num_classes: int | None = None, *, ndim: int | None = None
) -> np.ndarray:
    """Validate an integer array of token ids (or class labels) and return it.

    Parameters
    ----------
    ids : array_like of int
        Booleans and floats are rejected with ``TypeError``: a float "id" is a bug.
    name : str
        The argument's name, used in error messages.
    num_classes : int, optional
        If given, every id must lie in ``[0, num_classes)``.
    ndim : int, optional
        If given, the expected number of dimensions; each axis must then be non-empty.

    >>> check_ids([[0, 2]], "ids", 3, ndim=2).shape
    (1, 2)
    >>> check_ids([0, 3], "ids", 3)
    Traceback (most recent call last):
    ...
    ValueError: ids: expected ids in [0, 3), got values in [0, 3]
    """
    arr = np.asarray(ids)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError(f"{name}: expected an integer array of token ids, got dtype {arr.dtype}")
    if ndim is not None and (arr.ndim != ndim or 0 in arr.shape):
        raise ValueError(f"{name}: expected {ndim} non-empty dimensions, got shape {arr.shape}")
    if num_classes is not None and arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name}: expected ids in [0, {num_classes}), got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_lengths(lengths: object, B: int, T: int) -> np.ndarray:
    """Validate the real lengths of a padded batch: integers of shape (B,), each in 1..T.

    >>> check_lengths([3, 1], B=2, T=3).tolist()
    [3, 1]
    >>> check_lengths([4, 1], B=2, T=3)
    Traceback (most recent call last):
    ...
    ValueError: lengths: expected every length in 1..T = 1..3, got values in [1, 4]
    """
    arr = check_ids(lengths, "lengths")
    if arr.shape != (B,):
        raise ValueError(f"lengths: expected shape ({B},) (B,), got {arr.shape}")
    if arr.min() < 1 or arr.max() > T:
        raise ValueError(
            f"lengths: expected every length in 1..T = 1..{T}, "
            f"got values in [{arr.min()}, {arr.max()}]"
        )
    return arr


def check_rng(rng: object) -> np.random.Generator:
    """Accept a ``numpy.random.Generator`` or an int seed and return a Generator."""
    if not isinstance(rng, np.random.Generator | int) or isinstance(rng, bool):
        raise TypeError(f"rng: expected a numpy Generator or an int seed, got {type(rng).__name__}")
    return np.random.default_rng(rng)


def check_array_dict(arrays: object, name: str) -> dict[str, np.ndarray]:
    """Accept a non-empty dict of floating-point arrays (parameters or their gradients)."""
    if not isinstance(arrays, dict) or not arrays:
        raise TypeError(f"{name}: expected a non-empty dict of arrays, got {type(arrays).__name__}")
    for key, a in arrays.items():
        if not isinstance(a, np.ndarray) or not np.issubdtype(a.dtype, np.floating):
            raise TypeError(
                f"{name}[{key!r}]: expected a floating-point ndarray, got {type(a).__name__}"
            )
    return arrays
