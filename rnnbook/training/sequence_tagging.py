"""Train a :class:`~rnnbook.models.sequence_tagger.SequenceTagger` once, for :func:`run_seeds`.

One call is one run of a seeded experiment: the weights come from ``weight_seed`` (which
also seeds torch's global generator, used by between-layer dropout), the minibatches from
``data_seed``, and the model is scored on held-out data in eval mode.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import torch

from rnnbook.checks import check_positive_int
from rnnbook.models.sequence_tagger import (
    SequenceTagger,
    masked_accuracy,
    masked_cross_entropy,
)
from rnnbook.tasks.base import TaskData
from rnnbook.training.loop import TrainConfig, fit
from rnnbook.training.minibatches import batches


def train_tagger(
    train: TaskData,
    test: TaskData,
    *,
    vocab_size: int,
    num_classes: int,
    data_seed: int,
    weight_seed: int,
    steps: int = 300,
    batch_size: int = 32,
    lr: float = 0.01,
    model_class: type[torch.nn.Module] = SequenceTagger,
    **model_kwargs: object,
) -> dict:
    """Train a tagger with Adam (gradients clipped to norm 1) and score it.

    Parameters
    ----------
    train, test : TaskData
        ``x`` int64 ids (N, T), ``y`` int64 labels (N, T), ``IGNORE_INDEX`` where unscored.
    vocab_size, num_classes : int
    data_seed, weight_seed : int
        Seed the minibatch order and the weights.
    steps, batch_size : int
    lr : float
    model_class : type
        Built as ``model_class(vocab_size, num_classes, seed=weight_seed, **model_kwargs)``:
        :class:`SequenceTagger` or
        :class:`~rnnbook.models.regularized_tagger.RegularizedTagger`.
    **model_kwargs
        Passed to the model (for :class:`SequenceTagger`: ``hidden_size``,
        ``bidirectional``, ``num_layers``, ``dropout``, ``cell``).

    Returns
    -------
    dict
        ``accuracy`` (held out), ``train_accuracy``, ``seconds`` (training wall time),
        ``parameters``, ``history`` and ``model``.

    >>> from rnnbook.tasks.next_smaller import next_smaller
    >>> run = train_tagger(next_smaller(64, 6, rng=0), next_smaller(64, 6, rng=1),
    ...                    vocab_size=10, num_classes=2, data_seed=0, weight_seed=100,
    ...                    steps=5)
    >>> sorted(run)
    ['accuracy', 'history', 'model', 'parameters', 'seconds', 'train_accuracy']
    """
    check_positive_int(steps, "steps")
    model = model_class(vocab_size, num_classes, seed=weight_seed, **model_kwargs)
    x, y = torch.from_numpy(train.x), torch.from_numpy(train.y)
    torch.manual_seed(weight_seed)  # between-layer dropout draws from the global generator
    start = time.perf_counter()
    history = fit(
        model,
        batches(x, y, batch_size, seed=data_seed),
        lambda m, xb, yb: masked_cross_entropy(m(xb), yb),
        TrainConfig(steps=steps, lr=lr, clip_norm=1.0),
    )
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        accuracy = masked_accuracy(model(torch.from_numpy(test.x)), torch.from_numpy(test.y))
        train_accuracy = masked_accuracy(model(x), y)
    return {
        "accuracy": accuracy,
        "train_accuracy": train_accuracy,
        "seconds": seconds,
        "parameters": model.num_parameters(),
        "history": history,
        "model": model,
    }


def seed_runner(
    make_train: Callable[[int], TaskData], test: TaskData, **kwargs: object
) -> Callable[[int, int], dict]:
    """A ``train_one(data_seed, weight_seed)`` for :func:`~rnnbook.training.run_seeds`:
    it trains :func:`train_tagger` on ``make_train(data_seed)`` and scores it on ``test``.

    >>> from rnnbook.tasks.next_smaller import next_smaller
    >>> one = seed_runner(lambda seed: next_smaller(32, 5, rng=seed), next_smaller(32, 5, rng=9),
    ...                   vocab_size=10, num_classes=2, steps=2)
    >>> 0.0 <= one(0, 100)["accuracy"] <= 1.0
    True
    """
    if not callable(make_train):
        raise TypeError(f"make_train: expected a callable, got {type(make_train).__name__}")
    return lambda data_seed, weight_seed: train_tagger(
        make_train(data_seed), test, data_seed=data_seed, weight_seed=weight_seed, **kwargs
    )
