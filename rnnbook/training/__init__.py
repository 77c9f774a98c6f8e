"""Training: one torch loop (:func:`fit`), one record (:class:`History`), one way to fail.

* :mod:`rnnbook.training.history` - :class:`History` and :class:`TrainingDiverged`
  (no torch import: the numpy loops use them too);
* :mod:`rnnbook.training.loop` - :class:`TrainConfig` and :func:`fit`;
* :mod:`rnnbook.training.minibatches` - :func:`batches`, seeded random minibatches;
* :mod:`rnnbook.training.objectives` - losses and held-out metrics for chapter 2;
* :mod:`rnnbook.training.per_step` - training and scoring the chapter-1 models;
* :mod:`rnnbook.training.char_rnn` - truncated BPTT for the torch character model;
* :mod:`rnnbook.training.adding` - the adding-problem runs;
* :mod:`rnnbook.training.clipping` - gradient clipping for torch parameters;
* :mod:`rnnbook.training.seeds` - :func:`run_seeds`, one experiment over several seeds.

The names below are re-exported lazily (PEP 562): ``from rnnbook.training import fit``
imports torch, while ``import rnnbook.training.history`` or ``rnnbook.training.seeds``
(which the numpy side uses) does not.
"""

from importlib import import_module

_EXPORTS = {
    "History": "rnnbook.training.history",
    "TrainingDiverged": "rnnbook.training.history",
    "SeedResults": "rnnbook.training.seeds",
    "run_seeds": "rnnbook.training.seeds",
    "TrainConfig": "rnnbook.training.loop",
    "fit": "rnnbook.training.loop",
    "batches": "rnnbook.training.minibatches",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'rnnbook.training' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])
