"""Tests for rnnbook.sampling: top-k and nucleus truncation, sampling, generation."""

import numpy as np
import pytest

from rnnbook.sampling import EXCLUDED, filter_logits, generate_filtered, sample_filtered
from rnnbook.scratch.char_lm import CharLM
from rnnbook.text import CharVocab, softmax_with_temperature


def test_filter_logits_top_k_keeps_the_k_largest():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((4, 10))
    out = filter_logits(z, top_k=3)
    kept = out > EXCLUDED
    assert (kept.sum(axis=1) == 3).all()
    np.testing.assert_array_equal(out[kept], z[kept])
    assert (z[kept].reshape(4, 3).min(axis=1) >= np.where(kept, -np.inf, z).max(axis=1)).all()
    assert (filter_logits(z, top_k=50) == z).all()


def test_filter_logits_nucleus_is_the_smallest_set_reaching_p():
    rng = np.random.default_rng(1)
    z = rng.standard_normal((20, 12)) * 2
    for top_p in (0.1, 0.5, 0.9, 1.0):
        kept = filter_logits(z, top_p=top_p) > EXCLUDED
        p = softmax_with_temperature(z)
        for row in range(len(z)):
            mass = p[row, kept[row]].sum()
            assert mass >= top_p - 1e-9  # reaches p ...
            smallest = p[row, kept[row]].min()
            assert mass - smallest < top_p  # ... and is the smallest such set
    assert (filter_logits(z, top_p=1e-6) > EXCLUDED).sum(axis=1).tolist() == [1] * 20


def test_filter_logits_rejects_bad_arguments():
    with pytest.raises(ValueError, match="top_p"):
        filter_logits(np.zeros(3), top_p=1.5)
    with pytest.raises(ValueError):
        filter_logits(np.zeros(3), top_k=0)
    with pytest.raises(ValueError):
        filter_logits(np.array([0.0, np.nan]))


def test_sample_filtered_matches_the_renormalised_distribution():
    p = np.array([0.4, 0.3, 0.2, 0.1])
    draws = sample_filtered(np.tile(np.log(p), (40_000, 1)), np.random.default_rng(0), top_k=2)
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [4 / 7, 3 / 7, 0, 0], atol=0.01)
    draws = sample_filtered(np.tile(np.log(p), (40_000, 1)), np.random.default_rng(0), top_p=0.85)
    freq = np.bincount(draws, minlength=4) / len(draws)
    np.testing.assert_allclose(freq, [4 / 9, 3 / 9, 2 / 9, 0], atol=0.01)
    with pytest.raises(TypeError):
        sample_filtered(np.log(p), "seed")


def test_generate_filtered_top_k_one_is_greedy():
    vocab = CharVocab("abcd")
    model = CharLM(len(vocab), 6, rng=0)
    prime = vocab.encode("ab")[None]
    out = generate_filtered(model.step, None, prime, 8, np.random.default_rng(0), top_k=1)
    greedy = []
    logits, h = model.forward(prime)
    nxt = int(logits[0, -1].argmax())
    for _ in range(8):
        greedy.append(nxt)
        logits, h = model.forward(np.array([[nxt]]), h)
        nxt = int(logits[0, -1].argmax())
    assert out[0].tolist() == greedy
    again = generate_filtered(model.step, None, prime, 8, np.random.default_rng(5), top_k=1)
    assert (again == out).all()
