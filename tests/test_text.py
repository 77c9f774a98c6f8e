"""rnnbook.text: the character vocabulary, temperature and sampling, and their errors."""

import numpy as np
import pytest

from rnnbook.text import CharVocab, generate, sample_index, softmax_with_temperature


def test_vocab_is_sorted_and_round_trips():
    text = "the cat sat. the dog ran."
    vocab = CharVocab(text)
    assert vocab.chars == tuple(sorted(set(text)))
    assert len(vocab) == len(set(text))
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert ids.min() == 0 and ids.max() == len(vocab) - 1
    assert vocab.decode(ids) == text
    assert vocab.decode(list(ids)) == text
    assert vocab.encode("a")[0] == vocab.chars.index("a")
    assert repr(vocab).startswith(f"CharVocab(size={len(vocab)}")


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [("", ValueError, "text: expected a non-empty string, got ''"), (42, TypeError, "got int")],
)
def test_vocab_bad_text(text, error, message):
    with pytest.raises(error, match=message):
        CharVocab(text)


def test_encode_unknown_character_names_it():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"unknown character 'z' at position 2"):
        vocab.encode("abzc")
    with pytest.raises(ValueError, match="text: expected a non-empty string"):
        vocab.encode("")


def test_decode_errors():
    vocab = CharVocab("abc")
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 3\), got 3 at position 1"):
        vocab.decode([0, 3])
    with pytest.raises(
        TypeError, match="ids: expected an integer array of token ids, got dtype float64"
    ):
        vocab.decode(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"expected 1 dimension \(T,\)"):
        vocab.decode(np.zeros((2, 2), dtype=int))


def test_temperature_sharpens_and_flattens():
    logits = np.array([2.0, 1.0, 0.0])
    p1 = softmax_with_temperature(logits, 1.0)
    np.testing.assert_allclose(p1, np.exp(logits) / np.exp(logits).sum(), rtol=1e-12)
    cold, hot = softmax_with_temperature(logits, 0.1), softmax_with_temperature(logits, 10.0)
    assert cold[0] > p1[0] > hot[0]
    assert np.ptp(hot) < np.ptp(p1)
    np.testing.assert_allclose(cold.sum(), 1.0)
    assert cold[0] > 1 - 1e-4
    # Huge logits do not overflow.
    assert np.isfinite(softmax_with_temperature(np.array([1e4, 0.0]), 0.5)).all()


@pytest.mark.parametrize("temperature", [0, 0.0, -1.0, np.inf, np.nan])
def test_temperature_must_be_positive(temperature):
    with pytest.raises(ValueError, match="temperature: expected a finite number > 0"):
        sample_index(np.zeros(3), temperature, np.random.default_rng(0))


def test_samples_follow_the_distribution():
    logits = np.log(np.array([0.5, 0.3, 0.2]))
    draws = sample_index(np.tile(logits, (20000, 1)), 1.0, np.random.default_rng(0))
    assert draws.shape == (20000,) and draws.dtype == np.int64
    freq = np.bincount(draws, minlength=3) / draws.size
    np.testing.assert_allclose(freq, [0.5, 0.3, 0.2], atol=0.015)
    cold = sample_index(np.tile(logits, (200, 1)), 0.01, np.random.default_rng(1))
    assert (cold == 0).all()


def test_sampling_needs_a_generator_or_a_seed():
    with pytest.raises(TypeError, match=r"rng: expected a numpy Generator or an int seed, got str"):
        sample_index(np.zeros(3), 1.0, "0")


def _counter_model(V=5):
    # A toy "model": always predicts (last id + 1) mod V with high confidence.
    def step(ids, state):
        logits = np.full((len(ids), V), -20.0)
        logits[np.arange(len(ids)), (ids + 1) % V] = 20.0
        return logits, state + 1

    return step


def test_generate_feeds_samples_back():
    out = generate(
        _counter_model(), 0, np.array([[0, 1], [3, 3]]), 6, 1.0, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(out, [[2, 3, 4, 0, 1, 2], [4, 0, 1, 2, 3, 4]])


def test_generate_is_reproducible_with_a_seeded_generator():
    rng_logits = np.random.default_rng(5).standard_normal((1, 7))

    def step(ids, state):
        return np.repeat(rng_logits, len(ids), axis=0), state

    a = generate(step, None, np.zeros((2, 1), dtype=int), 50, 1.0, np.random.default_rng(3))
    b = generate(step, None, np.zeros((2, 1), dtype=int), 50, 1.0, np.random.default_rng(3))
    c = generate(step, None, np.zeros((2, 1), dtype=int), 50, 1.0, np.random.default_rng(4))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_generate_errors():
    step = _counter_model()
    rng = np.random.default_rng(0)
    with pytest.raises(
        ValueError, match=r"prime: expected 2 non-empty dimensions, got shape \(2,\)"
    ):
        generate(step, 0, np.array([1, 2]), 3, 1.0, rng)
    with pytest.raises(TypeError, match="prime: expected an integer array of token ids"):
        generate(step, 0, np.array([[1.0]]), 3, 1.0, rng)
    with pytest.raises(ValueError, match="n: expected a positive integer, got 0"):
        generate(step, 0, np.array([[1]]), 0, 1.0, rng)
    with pytest.raises(ValueError, match=r"temperature: expected a finite number > 0, got -0\.5"):
        generate(step, 0, np.array([[1]]), 3, -0.5, rng)
    with pytest.raises(TypeError, match=r"rng: expected a numpy Generator or an int seed"):
        generate(step, 0, np.array([[1]]), 3, 1.0, 7.0)
