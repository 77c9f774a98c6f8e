"""rnnbook.training.delayed_recall: the BPTT chapter's truncation runs."""

import numpy as np
import pytest

from rnnbook.training import delayed_recall as recall
from rnnbook.training.seeds import run_seeds

SMALL = recall.RecallConfig(streams=8, train_steps=1200, test_streams=4, test_steps=144)


def test_verdict_thresholds():
    assert recall.verdict(recall.CHANCE_BELOW - 1e-9) == "chance"
    assert recall.verdict(recall.CHANCE_BELOW) == "partial"
    assert recall.verdict(recall.LEARNED_ABOVE) == "partial"
    assert recall.verdict(recall.LEARNED_ABOVE + 1e-9) == "learned"


def test_streams_are_seeded_and_differ_between_train_and_test():
    train, test = recall.recall_streams(3, SMALL)
    again, _ = recall.recall_streams(3, SMALL)
    other, _ = recall.recall_streams(4, SMALL)
    np.testing.assert_array_equal(train.x, again.x)
    assert not np.array_equal(train.x, other.x)
    assert train.x.shape == (8, 1200) and test.x.shape == (4, 144)
    assert not np.array_equal(train.x[:4, :144], test.x)


def test_train_recall_is_reproducible_and_returns_the_record():
    a = recall.train_recall(12, 12, 0, 100, config=SMALL)
    b = recall.train_recall(12, 12, 0, 100, config=SMALL)
    assert a["accuracy"] == b["accuracy"] and a["loss"] == b["loss"]
    assert a["by_position"].shape == (12,)
    assert 0.0 <= a["accuracy"] <= 1.0


def test_truncation_below_the_delay_stays_at_chance():
    # k2 <= L: no gradient ever reaches the input a loss depends on.
    config = recall.RecallConfig(delay=4, streams=8, train_steps=1200, test_steps=144)
    res = run_seeds(
        lambda d, w: recall.train_recall(4, 4, d, w, config=config), n=2, metric="accuracy"
    )
    assert all(v < recall.CHANCE_BELOW for v in res.values)


def test_truncation_above_the_delay_learns():
    config = recall.RecallConfig(delay=4, train_steps=3000, test_steps=144)
    res = run_seeds(
        lambda d, w: recall.train_recall(8, 8, d, w, config=config), n=2, metric="accuracy"
    )
    assert all(v > recall.LEARNED_ABOVE for v in res.values)


def test_stateless_runs_reset_the_state_every_chunk():
    out = recall.train_recall(8, 8, 0, 100, stateful=False, config=SMALL)
    model = out["model"]
    test = recall.recall_streams(0, SMALL)[1]
    chunked = recall.recall_logits(model, test.x, 8)
    first_chunk = model.forward(test.x[:, 8:16])[0]  # from zeros
    np.testing.assert_allclose(chunked[:, 8:16], first_chunk)
    with pytest.raises(ValueError, match="reset_every"):
        recall.recall_logits(model, test.x, 7)
    with pytest.raises(ValueError, match="k2 == k1"):
        recall.train_recall(4, 8, 0, 100, stateful=False, config=SMALL)


def test_accuracy_by_position():
    targets = np.array([[0, 1, 0, 1, 1, 1]])
    logits = np.zeros((1, 6, 2))
    logits[..., 1] = 1.0  # always predicts 1
    np.testing.assert_array_equal(recall.accuracy_by_position(logits, targets, 2), [0.5, 1.0])
    with pytest.raises(ValueError, match="divisor"):
        recall.accuracy_by_position(logits, targets, 4)
