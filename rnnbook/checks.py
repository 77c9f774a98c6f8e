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
