"""The chapter-2 task generators: shapes, determinism, baselines, and their errors."""

import numpy as np
import pytest

from rnnbook.analysis.baselines import bag_of_words
from rnnbook.scratch.one_hot import one_hot
from rnnbook.tasks.negation import (
    BAG_OF_WORDS_CEILING,
    FILLERS,
    NEGATIVE,
    POSITIVE,
    negation,
    negation_groups,
    negation_vocabulary,
)
from rnnbook.tasks.number_words import (
    BOS,
    EOS,
    PAD,
    SOURCE_VOCAB,
    T_SRC,
    T_TGT,
    decode_source,
    decode_target,
    number_words,
    to_words,
)
from rnnbook.tasks.tagging import (
    AMBIGUOUS,
    NOUN,
    TAGS,
    VERB,
    VOCAB,
    ambiguous_mask,
    most_frequent_tag_accuracy,
    tagging,
)
from rnnbook.tasks.waveform import waveform

GENERATORS = {
    "waveform": lambda rng: waveform(50, 12, rng),
    "negation": lambda rng: negation(50, 7, rng),
    "tagging": lambda rng: tagging(50, 9, rng),
    "number_words": lambda rng: number_words(50, rng),
}


@pytest.mark.parametrize("name", GENERATORS)
def test_same_seed_same_data_and_generator_accepted(name):
    make = GENERATORS[name]
    a, b = make(3), make(np.random.default_rng(3))
    c = make(4)
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert not np.array_equal(a.x, c.x)
    assert a.baseline == b.baseline


@pytest.mark.parametrize("name", GENERATORS)
def test_rng_must_be_generator_or_int(name):
    with pytest.raises(TypeError, match="rng: expected a numpy Generator or an int seed, got"):
        GENERATORS[name]("seed")


# --- waveform -------------------------------------------------------------------------


def test_waveform_shapes_values_and_baseline():
    data = waveform(200, 15, rng=0, omega_range=(0.3, 0.5))
    assert data.x.shape == (200, 1) and data.y.shape == (200, 15)
    assert data.x.dtype == data.y.dtype == np.float32
    assert data.metric == "mse"
    assert np.all((data.x >= 0.3) & (data.x <= 0.5))
    t = np.arange(1, 16)
    np.testing.assert_allclose(data.y, np.sin(data.x * t), atol=1e-6)
    # the baseline is the MSE of the per-step mean wave, and nothing input-blind beats it
    mean_wave = data.y.mean(axis=0)
    assert data.baseline == pytest.approx(float(((data.y - mean_wave) ** 2).mean()), rel=1e-5)
    assert float(((data.y - 0.0) ** 2).mean()) > data.baseline


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n: expected a positive integer, got 0"),
        ({"T": -3}, ValueError, "T: expected a positive integer, got -3"),
        ({"T": 2.5}, TypeError, "T: expected a positive integer, got float"),
        ({"omega_range": (0.5, 0.2)}, ValueError, r"omega_range: expected 0 < low < high <= pi"),
        ({"omega_range": (0.0, 1.0)}, ValueError, r"omega_range: expected 0 < low < high"),
        ({"omega_range": (0.1, 4.0)}, ValueError, r"high <= pi, got \(0.1, 4.0\)"),
        ({"omega_range": 0.3}, TypeError, "omega_range: expected a pair of numbers"),
        ({"dtype": np.int32}, TypeError, "dtype: expected a floating-point dtype, got int32"),
    ],
)
def test_waveform_errors(kwargs, error, message):
    args = {"n": 4, "T": 5, "rng": 0, **kwargs}
    with pytest.raises(error, match=message):
        waveform(**args)


# --- negation -------------------------------------------------------------------------


def test_negation_shapes_labels_and_rule():
    vocab = negation_vocabulary()
    data = negation(3000, 8, rng=1)
    assert data.x.shape == (3000, 8) and data.y.shape == (3000,)
    assert data.x.dtype == data.y.dtype == np.int64
    assert data.x.min() >= 0 and data.x.max() < len(vocab)
    n_sent = len(POSITIVE) + len(NEGATIVE)
    is_sentiment = (data.x >= 1) & (data.x <= n_sent)
    assert np.all(is_sentiment.sum(axis=1) == 1)  # exactly one sentiment word
    assert np.all((data.x == 0).sum(axis=1) <= 1)  # at most one "not"
    # recompute every label from the words, by the documented rule
    for row, label in zip(data.x, data.y, strict=True):
        pos = int(np.flatnonzero((row >= 1) & (row <= n_sent))[0])
        polarity = int(vocab[row[pos]] in POSITIVE)
        flipped = 0 in row[:pos]
        assert label == (1 - polarity if flipped else polarity)


def test_negation_groups_and_baseline():
    data = negation(4000, 8, rng=2)
    groups = negation_groups(data.x)
    share = np.bincount(groups, minlength=3) / len(groups)
    np.testing.assert_allclose(share, [0.5, 0.25, 0.25], atol=0.03)
    assert data.baseline == max(data.y.mean(), 1 - data.y.mean())
    assert 0.5 <= data.baseline < 0.53


def test_bag_of_words_cannot_separate_the_negated_groups():
    # Among sentences with "not", the two orders have the same words and opposite labels:
    # the best any function of the bag can do is the majority label per bag.
    vocab = negation_vocabulary(n_fillers=1)  # one filler: bags repeat often
    data = negation(6000, 4, rng=3, n_fillers=1)
    bags = bag_of_words(one_hot(data.x, len(vocab)))
    _, which = np.unique(bags, axis=0, return_inverse=True)
    which = which.ravel()
    best = sum(max(np.sum(data.y[which == k]), np.sum(1 - data.y[which == k])) for k in set(which))
    ceiling = best / len(data.y)
    assert ceiling == pytest.approx(BAG_OF_WORDS_CEILING, abs=0.02)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"T": 2}, ValueError, "T: expected at least 3"),
        ({"T": 0}, ValueError, "T: expected a positive integer, got 0"),
        ({"n": -1}, ValueError, "n: expected a positive integer, got -1"),
        ({"n_fillers": 0}, ValueError, "n_fillers: expected a positive integer, got 0"),
        ({"n_fillers": len(FILLERS) + 1}, ValueError, "n_fillers: expected at most"),
    ],
)
def test_negation_errors(kwargs, error, message):
    args = {"n": 4, "T": 5, "rng": 0, **kwargs}
    with pytest.raises(error, match=message):
        negation(**args)


def test_negation_groups_errors():
    with pytest.raises(
        TypeError, match="x: expected an integer array of token ids, got dtype float64"
    ):
        negation_groups(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"x: expected 2 non-empty dimensions, got shape \(3,\)"):
        negation_groups(np.zeros(3, dtype=np.int64))


# --- tagging --------------------------------------------------------------------------


def test_tagging_shapes_and_unambiguous_words_have_one_tag():
    data = tagging(500, 12, rng=0)
    assert data.x.shape == data.y.shape == (500, 12)
    assert data.x.dtype == data.y.dtype == np.int64
    assert data.x.max() < len(VOCAB) and data.y.max() < len(TAGS)
    amb = ambiguous_mask(data.x)
    for word in np.unique(data.x[~amb]):
        assert len(np.unique(data.y[data.x == word])) == 1, VOCAB[word]
    # ambiguous words are nouns or verbs, and both occur
    assert set(np.unique(data.y[amb])) == {NOUN, VERB}


def test_tagging_ambiguous_tag_is_set_by_the_previous_token():
    data = tagging(500, 12, rng=1)
    det_or_adj = {VOCAB.index(w) for w in ("the", "a", "big", "old", "red")}
    amb = ambiguous_mask(data.x)
    rows, cols = np.nonzero(amb[:, 1:])
    cols = cols + 1
    for r, c in zip(rows, cols, strict=True):
        expected = NOUN if data.x[r, c - 1] in det_or_adj else VERB
        assert data.y[r, c] == expected


def test_tagging_baseline_is_the_most_frequent_tag_lookup():
    data = tagging(1000, 12, rng=2)
    assert data.baseline == most_frequent_tag_accuracy(data.x, data.y)
    amb = ambiguous_mask(data.x)
    # the lookup is perfect off the ambiguous words and about half right on them
    assert 1 - amb.mean() < data.baseline < 1 - 0.3 * amb.mean()
    none = tagging(200, 12, rng=2, p_ambiguous=0.0)
    assert none.baseline == 1.0 and not ambiguous_mask(none.x).any()
    assert len(AMBIGUOUS) == int(np.sum([w in AMBIGUOUS for w in VOCAB]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"T": 0}, ValueError, "T: expected a positive integer, got 0"),
        ({"n": 0}, ValueError, "n: expected a positive integer, got 0"),
        ({"p_ambiguous": 1.5}, ValueError, r"p_ambiguous: expected a number in \[0, 1\], got 1.5"),
        ({"p_ambiguous": "half"}, TypeError, "p_ambiguous: expected a number in"),
    ],
)
def test_tagging_errors(kwargs, error, message):
    args = {"n": 4, "T": 5, "rng": 0, **kwargs}
    with pytest.raises(error, match=message):
        tagging(**args)


def test_tagging_helpers_errors():
    x = np.zeros((2, 3), dtype=np.int64)
    with pytest.raises(ValueError, match=r"y: expected the shape of x \(2, 3\), got \(2, 4\)"):
        most_frequent_tag_accuracy(x, np.zeros((2, 4), dtype=np.int64))
    with pytest.raises(
        TypeError, match="x: expected an integer array of token ids, got dtype float64"
    ):
        ambiguous_mask(np.zeros((2, 3)))


# --- number words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("k", "words"),
    [
        (0, "zero"),
        (7, "seven"),
        (13, "thirteen"),
        (40, "forty"),
        (42, "forty two"),
        (100, "one hundred"),
        (110, "one hundred ten"),
        (342, "three hundred forty two"),
        (999, "nine hundred ninety nine"),
    ],
)
def test_to_words(k, words):
    assert " ".join(to_words(k)) == words


def test_number_words_encoding_round_trips():
    data = number_words(1000, rng=0)
    assert data.x.shape == (1000, T_SRC) and data.y.shape == (1000, T_TGT)
    numbers = [int(decode_target(row)) for row in data.y]
    assert sorted(numbers) == list(range(1000))  # distinct, all of them
    for src, k in zip(data.x, numbers, strict=True):
        assert decode_source(src) == " ".join(to_words(k))
        first = int(np.argmax(src != 0))
        assert np.all(src[:first] == 0) and np.all(src[first:] != 0)  # left-padded
    for row in data.y:
        end = int(np.flatnonzero(row == EOS)[0])
        assert np.all(row[:end] < 10) and np.all(row[end + 1 :] == PAD)
    assert BOS not in data.y
    assert data.baseline == 1 / 1000


def test_number_words_lengths_differ_both_ways():
    data = number_words(1000, rng=0)
    src_len = (data.x != 0).sum(axis=1)
    tgt_len = (data.y < 10).sum(axis=1)
    assert np.any(src_len < tgt_len) and np.any(src_len > tgt_len)
    assert len(SOURCE_VOCAB) == 1 + 20 + 8 + 1


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: number_words(0, 0), ValueError, "n: expected a positive integer, got 0"),
        (lambda: number_words(20, 0, max_value=9), ValueError, "n: expected at most max_value"),
        (lambda: number_words(5, 0, max_value=1000), ValueError, "max_value: expected at most"),
        (lambda: number_words(5, 0, max_value=0), ValueError, "max_value: expected a positive"),
        (lambda: to_words(1000), ValueError, r"k: expected an integer in \[0, 999\], got 1000"),
        (lambda: to_words(2.0), TypeError, "k: expected an integer, got float"),
    ],
)
def test_number_words_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
