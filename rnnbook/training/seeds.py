"""Run one experiment over several seeds and summarise the spread.

A single training run is one draw from a distribution: a different data order or a
different initialisation can turn "solved" into "stuck". Every chapter that reports a
trained result runs it over ``n`` seed pairs, with run ``i`` using data seed ``i`` and
weight seed ``100 + i`` (so the data and the weights never share a stream), and reports
how many runs met the bar and the median with its range. numpy only: no torch import.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from numbers import Real

import numpy as np

from rnnbook.checks import check_choice, check_positive_int

WEIGHT_SEED_OFFSET = 100


@dataclass(frozen=True)
class SeedResults:
    """The outcome of :func:`run_seeds`.

    Attributes
    ----------
    values : tuple of float
        The metric of each run, in seed order.
    records : tuple of dict
        What each run returned, when it returned a dict (else empty dicts).
    threshold : float or None
        The bar a run must meet to count as solved.
    better : {"lower", "higher"}
        Which direction is better; a run meets the bar if its value is ``<= threshold``
        (lower) or ``>= threshold`` (higher).
    """

    values: tuple[float, ...]
    records: tuple[dict, ...]
    threshold: float | None
    better: str

    @property
    def n(self) -> int:
        """The number of runs."""
        return len(self.values)

    @property
    def k(self) -> int:
        """The number of runs that met the threshold (0 without a threshold)."""
        if self.threshold is None:
            return 0
        v = np.asarray(self.values)
        met = v <= self.threshold if self.better == "lower" else v >= self.threshold
        return int(met.sum())

    @property
    def median(self) -> float:
        return float(np.median(self.values))

    @property
    def min(self) -> float:
        return float(np.min(self.values))

    @property
    def max(self) -> float:
        return float(np.max(self.values))

    def summary(self, digits: int = 2) -> str:
        """One line for the prose, e.g. ``"4/5 solved, median 0.0031 (0.0009–0.17)"``."""
        digits = check_positive_int(digits, "digits")

        def fmt(v: float) -> str:
            return f"{v:.{digits}g}"

        spread = f"median {fmt(self.median)} ({fmt(self.min)}\u2013{fmt(self.max)})"
        if self.threshold is None:
            return f"{spread} over {self.n} runs"
        return f"{self.k}/{self.n} solved, {spread}"


def run_seeds(
    train_one: Callable[[int, int], float | dict],
    n: int = 5,
    *,
    threshold: float | None = None,
    better: str = "lower",
    metric: str = "value",
) -> SeedResults:
    """Call ``train_one(data_seed, weight_seed)`` for ``n`` seed pairs and collect the results.

    Parameters
    ----------
    train_one : callable
        ``train_one(data_seed, weight_seed) -> float`` (the metric), or ``-> dict`` holding
        the metric under the key ``metric`` plus anything else worth keeping.
        Run ``i`` gets ``data_seed = i`` and ``weight_seed = 100 + i``.
    n : int
        The number of runs.
    threshold : float, optional
        The bar for "solved" (see :class:`SeedResults`).
    better : {"lower", "higher"}
        Lower for a loss or an error, higher for an accuracy.
    metric : str
        The key of the metric when ``train_one`` returns a dict.

    Returns
    -------
    SeedResults

    >>> results = run_seeds(lambda data, weights: 10.0 ** -data, n=4, threshold=0.05)
    >>> results.values, results.k
    ((1.0, 0.1, 0.01, 0.001), 2)
    >>> results.summary()
    '2/4 solved, median 0.055 (0.001–1)'
    """
    if not callable(train_one):
        raise TypeError(f"train_one: expected a callable, got {type(train_one).__name__}")
    n = check_positive_int(n, "n")
    better = check_choice(better, "better", ("lower", "higher"))
    if threshold is not None and (isinstance(threshold, bool) or not isinstance(threshold, Real)):
        raise TypeError(f"threshold: expected a number or None, got {type(threshold).__name__}")
    values, records = [], []
    for i in range(n):
        result = train_one(i, WEIGHT_SEED_OFFSET + i)
        record = result if isinstance(result, dict) else {}
        value = record.get(metric) if isinstance(result, dict) else result
        if isinstance(value, bool) or not isinstance(value, Real):
            raise TypeError(
                f"train_one: expected a number (or a dict with key {metric!r}) from run {i}, "
                f"got {type(result).__name__} {result!r}"
            )
        values.append(float(value))
        records.append(record)
    threshold = None if threshold is None else float(threshold)
    return SeedResults(tuple(values), tuple(records), threshold, better)
