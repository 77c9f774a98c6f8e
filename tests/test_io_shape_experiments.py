"""io_shape_experiments: one seeded run of each chapter-2 task, tiny budgets."""

import numpy as np
import pytest
import torch

from rnnbook.training import io_shape_experiments as E
from rnnbook.training import run_seeds

TINY = {"n_train": 64, "n_test": 32, "steps": 3}


@pytest.mark.parametrize("model", E.NEGATION_MODELS)
def test_negation_run(model):
    r = E.negation_run(0, 100, model, **TINY)
    assert 0 <= r["accuracy"] <= 1 and 0 <= r["negated"] <= 1
    assert r["correct"].shape == r["groups"].shape == (32,)
    assert r["accuracy"] == pytest.approx(r["correct"].mean())
    assert r["history"].steps == 3 and r["history"].eval_step == [3]


def test_same_seeds_same_result_other_weight_seed_other_model():
    a = E.negation_run(1, 101, "rnn", **TINY)
    b = E.negation_run(1, 101, "rnn", **TINY)
    c = E.negation_run(1, 102, "rnn", **TINY)
    assert a["history"].loss == b["history"].loss
    assert a["history"].loss != c["history"].loss
    pa, pc = (next(r["model"].parameters()) for r in (a, c))
    assert not torch.equal(pa, pc)


def test_data_seed_changes_the_data():
    a = E.negation_run(0, 100, "bow", **TINY)
    b = E.negation_run(1, 100, "bow", **TINY)
    assert not np.array_equal(a["groups"], b["groups"])


def test_waveform_run():
    r = E.waveform_run(0, 100, n_train=32, n_test=16, fast_steps=50, slow_steps=10)
    assert r["mse"] > 0 and r["baseline"] > 0
    assert r["history"].steps == 60 and 50 in r["history"].eval_step
    assert r["x_test"].shape == (16, 1) and r["y_test"].shape == (16, 20)


@pytest.mark.parametrize("model", E.TAGGING_MODELS)
def test_tagging_run(model):
    r = E.tagging_run(0, 100, model, **TINY)
    assert r["gap"] == pytest.approx(abs(r["accuracy"] - r["baseline"]))
    assert 0 <= r["ambiguous"] <= 1


def test_per_token_tagger_never_beats_the_lookup():
    # the lookup is the best per-word rule on the held-out set itself
    r = E.tagging_run(0, 100, "per_token", n_train=200, n_test=50, steps=60)
    assert r["accuracy"] <= r["baseline"] + 1e-9


def test_next_word_run():
    r = E.next_word_run(0, 100, **TINY)
    assert r["margin"] == pytest.approx(r["accuracy"] - r["unigram"])
    assert 0 < r["unigram"] < r["oracle"] < 1
    assert r["x_test"].shape == (32, 12)


def test_number_words_run_holds_out_unseen_numbers():
    r = E.number_words_run(0, 100, n_train=900, steps=2, hidden_size=8)
    assert r["baseline"] == pytest.approx(1 / 100)
    train = {tuple(row) for row in r["x_train"].tolist()}
    assert not any(tuple(row) in train for row in r["x_test"].tolist())
    assert 0 <= r["exact_match"] <= 1


def test_with_run_seeds():
    res = run_seeds(
        lambda d, w: E.negation_run(d, w, "bow", **TINY),
        n=2,
        metric="accuracy",
        threshold=0.0,
        better="higher",
    )
    assert res.n == 2 and res.k == 2 and "history" in res.records[0]


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: E.negation_run(-1, 100), ValueError, "data_seed: expected a non-negative"),
        (lambda: E.negation_run(0, True), ValueError, "weight_seed: expected a non-negative"),
        (lambda: E.negation_run(0, 100, "cnn"), ValueError, "model"),
        (lambda: E.tagging_run(0, 100, "lstm"), ValueError, "model"),
        (lambda: E.number_words_run(0, 100, n_train=1000), ValueError, "n_train"),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
