r"""One training run of each chapter-2 task, in the form :func:`~rnnbook.training.run_seeds` takes.

Every function here is ``run(data_seed, weight_seed, **budget) -> dict``: it draws the
task's training and held-out data from ``numpy.random.default_rng(data_seed)`` (the
minibatch order too), seeds torch with ``weight_seed`` just before building the model,
trains it with :func:`~rnnbook.training.fit` and scores it on the held-out data.

* :func:`negation_run` - a bag of words (``"bow"``, one-to-one on word counts) or a
  many-to-one RNN (``"rnn"``); keys ``accuracy``, ``negated``, ``baseline``.
* :func:`waveform_run` - a one-to-many RNN; keys ``mse``, ``mse_at_switch``, ``baseline``.
* :func:`tagging_run` - one-to-one per token (``"per_token"``) or an aligned many-to-many
  RNN (``"rnn"``); keys ``accuracy``, ``ambiguous``, ``baseline``, ``gap``.
* :func:`next_word_run` - an aligned many-to-many language model; keys ``accuracy``,
  ``unigram``, ``margin``, ``oracle``.
* :func:`number_words_run` - an encoder-decoder; keys ``exact_match``, ``baseline``.

Each dict also holds the trained ``model``, its ``history`` and the held-out data, so
that a chapter can look closer at one run. The defaults are the chapter's budget
(hidden size 16, a few hundred Adam steps): small enough for five seeds of every task to
run in well under a minute on one CPU thread.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch

from rnnbook.analysis.baselines import bag_of_words
from rnnbook.checks import check_choice, check_positive_int
from rnnbook.models.io_shapes import (
    EncoderDecoder,
    ManyToManyAligned,
    ManyToOne,
    OneToMany,
    OneToOne,
)
from rnnbook.scratch.one_hot import one_hot
from rnnbook.tasks import negation, number_words, tagging, waveform
from rnnbook.training.loop import TrainConfig, fit
from rnnbook.training.minibatches import batches
from rnnbook.training.objectives import (
    accuracy_on,
    classification_loss,
    every_step_loss,
    exact_match,
    loss_on,
    regression_loss,
    translation_loss,
)

NEGATION_MODELS = ("bow", "rnn")
TAGGING_MODELS = ("per_token", "rnn")


def _check_seeds(data_seed: int, weight_seed: int) -> None:
    for value, name in ((data_seed, "data_seed"), (weight_seed, "weight_seed")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"{name}: expected a non-negative int, got {value!r}")


def _fit_classifier(make_net, train, test, loss_fn, config, batch_size, data_seed, weight_seed):
    """Build a classifier from ``weight_seed``, train it on ``train`` with minibatches drawn
    by ``data_seed``, and return it, its history and which held-out predictions are right."""
    (x_train, y_train), (x_test, y_test) = train, test
    torch.manual_seed(weight_seed)
    net = make_net()
    history = fit(
        net,
        batches(x_train, y_train, batch_size, seed=data_seed),
        loss_fn,
        config,
        evaluate=accuracy_on(x_test, y_test),
    )
    net.eval()
    with torch.no_grad():
        correct = (net(x_test).argmax(-1) == y_test).numpy()  # (N,) or (N, T)
    return net, history, correct


def negation_run(
    data_seed: int,
    weight_seed: int,
    model: str = "rnn",
    *,
    T: int = 8,
    n_train: int = 2000,
    n_test: int = 1000,
    hidden_size: int = 16,
    steps: int = 600,
    lr: float = 1e-2,
) -> dict:
    """Order-dependent sentiment: a bag of words (``"bow"``) or a many-to-one RNN (``"rnn"``).

    Returns
    -------
    dict
        ``accuracy`` on the held-out set, ``negated`` (the accuracy on sentences that
        contain *not*), ``correct`` (bool array (N,)), ``groups`` (0 no negator, 1 before,
        2 after), ``baseline`` (the majority label's share), ``model``, ``history``.
    """
    _check_seeds(data_seed, weight_seed)
    model = check_choice(model, "model", NEGATION_MODELS)
    rng = np.random.default_rng(data_seed)
    train = negation.negation(n_train, T, rng)
    test = negation.negation(n_test, T, rng)
    V = len(negation.negation_vocabulary())
    if model == "bow":  # counts of each word: the order is gone
        x_train = torch.tensor(bag_of_words(one_hot(train.x, V)), dtype=torch.float32)
        x_test = torch.tensor(bag_of_words(one_hot(test.x, V)), dtype=torch.float32)
    else:
        x_train, x_test = torch.tensor(train.x), torch.tensor(test.x)
    y_train, y_test = torch.tensor(train.y), torch.tensor(test.y)
    if model == "bow":
        make_net = partial(OneToOne, V, hidden_size, 2)
    else:
        make_net = partial(ManyToOne, V, embed_size=8, hidden_size=hidden_size, num_classes=2)
    net, history, correct = _fit_classifier(
        make_net,
        (x_train, y_train),
        (x_test, y_test),
        classification_loss,
        TrainConfig(steps=steps, lr=lr, eval_every=50),
        64,
        data_seed,
        weight_seed,
    )  # correct: (N,)
    groups = negation.negation_groups(test.x)  # (N,)
    return {
        "accuracy": float(correct.mean()),
        "negated": float(correct[groups > 0].mean()),
        "correct": correct,
        "groups": groups,
        "baseline": test.baseline,
        "model": net,
        "history": history,
    }


def waveform_run(
    data_seed: int,
    weight_seed: int,
    *,
    T: int = 20,
    n_train: int = 512,
    n_test: int = 256,
    hidden_size: int = 16,
    fast_steps: int = 600,
    slow_steps: int = 200,
    fast_lr: float = 2e-2,
    slow_lr: float = 1e-3,
) -> dict:
    """A sine wave from its frequency: one-to-many, trained at ``fast_lr`` then ``slow_lr``.

    Returns
    -------
    dict
        ``mse`` on the held-out waves, ``mse_at_switch`` (before the smaller learning
        rate), ``baseline`` (the MSE of the mean wave), ``x_test``, ``y_test`` (tensors),
        ``model``, ``history``.
    """
    _check_seeds(data_seed, weight_seed)
    rng = np.random.default_rng(data_seed)
    train = waveform.waveform(n_train, T, rng)
    test = waveform.waveform(n_test, T, rng)
    x_train, y_train = torch.tensor(train.x), torch.tensor(train.y)
    x_test, y_test = torch.tensor(test.x), torch.tensor(test.y)
    torch.manual_seed(weight_seed)
    net = OneToMany(1, hidden_size=hidden_size, output_size=1, T=T)
    config = TrainConfig(
        steps=fast_steps + slow_steps,
        lr=fast_lr,
        eval_every=50,
        lr_schedule=((fast_steps, slow_lr),),
    )
    evaluate = loss_on(regression_loss, x_test, y_test)
    history = fit(
        net,
        batches(x_train, y_train, 64, seed=data_seed),
        regression_loss,
        config,
        evaluate=evaluate,
    )
    net.eval()
    with torch.no_grad():
        mse = evaluate(net)
    at_switch = history.eval_metric[history.eval_step.index(fast_steps)]
    return {
        "mse": mse,
        "mse_at_switch": at_switch,
        "baseline": test.baseline,
        "x_test": x_test,
        "y_test": y_test,
        "model": net,
        "history": history,
    }


def tagging_run(
    data_seed: int,
    weight_seed: int,
    model: str = "rnn",
    *,
    T: int = 12,
    n_train: int = 1000,
    n_test: int = 500,
    hidden_size: int = 16,
    steps: int = 300,
    lr: float = 1e-2,
) -> dict:
    """Toy part-of-speech tagging: one-to-one per token (``"per_token"``) or an aligned RNN.

    Returns
    -------
    dict
        ``accuracy`` over all held-out tokens, ``ambiguous`` (over the words whose tag
        depends on context), ``baseline`` (tag each word with its most frequent tag),
        ``gap`` = ``|accuracy - baseline|``, ``model``, ``history``.
    """
    _check_seeds(data_seed, weight_seed)
    model = check_choice(model, "model", TAGGING_MODELS)
    rng = np.random.default_rng(data_seed)
    train = tagging.tagging(n_train, T, rng)
    test = tagging.tagging(n_test, T, rng)
    V, n_tags = len(tagging.VOCAB), len(tagging.TAGS)
    if model == "per_token":  # one-hot of the current word only: no context
        x_train = torch.tensor(one_hot(train.x, V), dtype=torch.float32)  # (N, T, V)
        x_test = torch.tensor(one_hot(test.x, V), dtype=torch.float32)
    else:
        x_train, x_test = torch.tensor(train.x), torch.tensor(test.x)
    y_train, y_test = torch.tensor(train.y), torch.tensor(test.y)
    if model == "per_token":
        make_net = partial(OneToOne, V, hidden_size, n_tags)
    else:
        make_net = partial(
            ManyToManyAligned, V, embed_size=8, hidden_size=hidden_size, num_classes=n_tags
        )
    net, history, ok = _fit_classifier(
        make_net,
        (x_train, y_train),
        (x_test, y_test),
        every_step_loss,
        TrainConfig(steps=steps, lr=lr, eval_every=25),
        32,
        data_seed,
        weight_seed,
    )  # ok: (N, T)
    ambiguous = tagging.ambiguous_mask(test.x)  # (N, T)
    accuracy = float(ok.mean())
    return {
        "accuracy": accuracy,
        "ambiguous": float(ok[ambiguous].mean()),
        "baseline": test.baseline,
        "gap": abs(accuracy - test.baseline),
        "model": net,
        "history": history,
    }


def next_word_run(
    data_seed: int,
    weight_seed: int,
    *,
    T: int = 12,
    n_train: int = 1000,
    n_test: int = 500,
    hidden_size: int = 16,
    steps: int = 300,
    lr: float = 1e-2,
) -> dict:
    """A next-word language model on the tagging sentences: input x_1..x_{T-1}, target x_2..x_T.

    Returns
    -------
    dict
        ``accuracy`` (the held-out next-word accuracy), ``unigram`` (always guess the
        most frequent word), ``margin`` = ``accuracy - unigram``, ``oracle`` (told the
        next word's tag, guess that tag's most frequent word: a ceiling, since the
        grammar draws each word at random from its kind), ``x_test`` (tensor (N, T)),
        ``model``, ``history``.
    """
    _check_seeds(data_seed, weight_seed)
    rng = np.random.default_rng(data_seed)
    train = tagging.tagging(n_train, T, rng)
    test = tagging.tagging(n_test, T, rng)
    V, n_tags = len(tagging.VOCAB), len(tagging.TAGS)
    x_train, x_test = torch.tensor(train.x), torch.tensor(test.x)
    torch.manual_seed(weight_seed)
    net = ManyToManyAligned(V, embed_size=8, hidden_size=hidden_size, num_classes=V)
    history = fit(
        net,
        batches(x_train[:, :-1], x_train[:, 1:], 32, seed=data_seed),  # shift by one
        every_step_loss,
        TrainConfig(steps=steps, lr=lr),
    )
    net.eval()
    with torch.no_grad():
        accuracy = accuracy_on(x_test[:, :-1], x_test[:, 1:])(net)
    unigram = np.bincount(train.x[:, 1:].ravel(), minlength=V).argmax()
    counts = np.zeros((n_tags, V), dtype=np.int64)  # (tags, V)
    np.add.at(counts, (train.y[:, 1:].ravel(), train.x[:, 1:].ravel()), 1)
    best_word = counts.argmax(axis=1)  # (tags,) the commonest word of each tag
    unigram_accuracy = float((test.x[:, 1:] == unigram).mean())
    return {
        "accuracy": accuracy,
        "unigram": unigram_accuracy,
        "margin": accuracy - unigram_accuracy,
        "oracle": float((best_word[test.y[:, 1:]] == test.x[:, 1:]).mean()),
        "x_test": x_test,
        "model": net,
        "history": history,
    }


def number_words_run(
    data_seed: int,
    weight_seed: int,
    *,
    n_train: int = 800,
    embed_size: int = 16,
    hidden_size: int = 32,
    steps: int = 600,
    lr: float = 1e-2,
) -> dict:
    """English number words to digits with an encoder-decoder; the held-out numbers are unseen.

    The numbers 0..999 are shuffled by ``data_seed``; the first ``n_train`` train, the
    rest are held out.

    Returns
    -------
    dict
        ``exact_match`` on the held-out numbers, ``baseline`` (one over their count: a
        model that ignores the words can get at most one of them right), ``x_train``,
        ``x_test``, ``y_test`` (tensors), ``model``, ``history``.
    """
    _check_seeds(data_seed, weight_seed)
    n_train = check_positive_int(n_train, "n_train")
    rng = np.random.default_rng(data_seed)
    data = number_words.number_words(number_words.MAX_VALUE + 1, rng)
    if not n_train < len(data.x):
        raise ValueError(f"n_train: expected fewer than {len(data.x)}, got {n_train}")
    x, y = torch.tensor(data.x), torch.tensor(data.y)
    x_train, y_train, x_test, y_test = x[:n_train], y[:n_train], x[n_train:], y[n_train:]
    bos, pad = number_words.BOS, number_words.PAD
    torch.manual_seed(weight_seed)
    net = EncoderDecoder(
        len(number_words.SOURCE_VOCAB),
        len(number_words.TARGET_VOCAB),
        embed_size=embed_size,
        hidden_size=hidden_size,
    )
    history = fit(
        net,
        batches(x_train, y_train, 64, seed=data_seed),
        translation_loss(bos=bos, pad=pad),
        TrainConfig(steps=steps, lr=lr, eval_every=50),
        evaluate=lambda m: exact_match(m, x_test, y_test, bos=bos, pad=pad),
    )
    net.eval()
    return {
        "exact_match": exact_match(net, x_test, y_test, bos=bos, pad=pad),
        "baseline": 1.0 / len(x_test),
        "x_train": x_train,
        "x_test": x_test,
        "y_test": y_test,
        "model": net,
        "history": history,
    }
