"""What a computation costs: wall time and peak traced memory.

Wall time varies from run to run and machine to machine; peak memory as traced by
``tracemalloc`` is reproducible to about a kilobyte. (The exact bytes of a stored cache are
counted by :func:`rnnbook.analysis.bptt_memory.stored_nbytes`.)
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_positive_int


class Measurement(NamedTuple):
    """Wall time (seconds, best of the repeats) and peak traced memory (bytes)."""

    seconds: float
    peak_bytes: int


def measure(fn: Callable[[], object], repeat: int = 1) -> Measurement:
    """Time ``fn()`` (the best of ``repeat`` runs), then trace its peak memory in one more run.

    Memory is traced separately because ``tracemalloc`` slows every allocation down. The
    peak is the most memory Python and numpy held at once during the call, above what was
    held before it. The time varies from run to run and machine to machine: print it only
    in cells whose output is not compared. The peak moves by under a kilobyte between runs
    (the kernel's own allocations), so it can be printed rounded to 0.1 MB.
    """
    if not callable(fn):
        raise TypeError(f"fn: expected a callable, got {type(fn).__name__}")
    repeat = check_positive_int(repeat, "repeat")
    best = np.inf
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    if not was_tracing:
        tracemalloc.stop()
    return Measurement(seconds=float(best), peak_bytes=int(peak - before))
