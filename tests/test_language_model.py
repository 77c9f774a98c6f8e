"""Tests for rnnbook.analysis.language_model: streams, grammar probes, sampling, counts."""

from collections import Counter

import numpy as np
import pytest
import torch

from rnnbook.analysis.language_model import (
    EXCLUDED,
    LEXICON,
    bits_per_char,
    exact_next_char_probs,
    filter_logits,
    generate_filtered,
    impossible_mass,
    next_char_probs,
    perplexity,
    rnn_num_parameters,
    rnn_step_multiply_adds,
    sample_filtered,
    sample_quality,
    sentence_prefixes,
    to_streams,
    warm_state,
)
from rnnbook.scratch.char_lm import CharLM
from rnnbook.tasks.grammar_text import grammar_text
from rnnbook.text import CharVocab, softmax_with_temperature


def test_to_streams_reads_each_piece_in_order_with_next_char_targets():
    ids = np.arange(23)
    x, y = to_streams(ids, 4)
    assert x.shape == y.shape == (4, 5)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[1], np.arange(5, 10))  # stream 1 is the second piece


def test_to_streams_rejects_bad_input():
    with pytest.raises(ValueError, match="at least"):
        to_streams(np.arange(3), 3)
    with pytest.raises(TypeError):
        to_streams(np.arange(5.0), 2)
    with pytest.raises(TypeError):
        to_streams(np.arange(5), 2.0)


def test_exact_next_char_probs_match_the_generator():
    # Empirical next-character frequencies after a few prefixes agree with the exact ones.
    text = grammar_text(100_000, rng=3)
    prefixes = sentence_prefixes(text[:-1])
    for probe in ("the old cat", "two ", "a ", "the dog "):
        nxt = Counter(
            text[t + 1] for t, p in enumerate(prefixes) if p == probe or (p.endswith(". " + probe))
        )
        total = sum(nxt.values())
        assert total > 20
        exact = exact_next_char_probs(probe)
        assert set(nxt) <= set(exact)
        for c, p in exact.items():
            assert abs(nxt[c] / total - p) < 4 * np.sqrt(p * (1 - p) / total) + 1e-9


def test_exact_next_char_probs_edge_cases():
    assert exact_next_char_probs("two old cat") == {"s": 1.0}
    assert exact_next_char_probs("one old cats") == {}  # no sentence starts like this
    assert exact_next_char_probs("a cat runs.") == {" ": 1.0}
    start = exact_next_char_probs("")
    assert abs(sum(start.values()) - 1) < 1e-12 and set(start) == {"a", "o", "s", "t"}
    with pytest.raises(TypeError):
        exact_next_char_probs(3)


def test_sentence_prefixes_restart_after_each_full_stop():
    assert sentence_prefixes("a b. c") == ["a", "a ", "a b", "a b.", "a b. ", "c"]


def test_impossible_mass_is_zero_for_the_exact_distribution():
    text = grammar_text(300, rng=1)
    vocab = CharVocab(text + "abcdefghijklmnopqrstuvwxyz")
    prefixes = sentence_prefixes(text)
    probs = np.zeros((len(text), len(vocab)))
    for t, p in enumerate(prefixes):
        exact = exact_next_char_probs("" if p.endswith(". ") else p)
        for c, q in exact.items():
            probs[t, vocab.encode(c)[0]] = q
    np.testing.assert_allclose(impossible_mass(probs, prefixes, vocab), 0.0, atol=1e-12)
    uniform = np.full((len(text), len(vocab)), 1 / len(vocab))
    assert (impossible_mass(uniform, prefixes, vocab) > 0.5).all()
    with pytest.raises(ValueError, match="expected shape"):
        impossible_mass(uniform[:-1], prefixes, vocab)


def test_warm_state_and_next_char_probs():
    vocab = CharVocab("abc")
    model = CharLM(len(vocab), 5, rng=0)
    h = warm_state(model, vocab.encode("abcab"))
    assert h.shape == (1, 1, 5)
    p = next_char_probs(model, vocab, "c", h0=h)
    assert p.shape == (3,) and abs(p.sum() - 1) < 1e-12
    # warm start = reading the warm-up text and the context in one go
    logits, _ = model.forward(vocab.encode("abcabc")[None])
    np.testing.assert_allclose(p, softmax_with_temperature(logits[0, -1]), atol=1e-12)


def test_perplexity_and_bits_per_char():
    assert perplexity(0.0) == 1.0
    assert abs(perplexity(np.log(27)) - 27) < 1e-9
    assert abs(bits_per_char(np.log(8.0)) - 3.0) < 1e-12
    with pytest.raises(ValueError):
        perplexity(-1.0)


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


def test_sample_quality_and_lexicon():
    q = sample_quality("two cats see a dog. two cats sees a dgo. two cats see a dog. x")
    assert q.n_sentences == 3
    assert abs(q.grammatical - 2 / 3) < 1e-12
    assert abs(q.in_lexicon - 14 / 15) < 1e-12
    assert abs(q.distinct - 2 / 3) < 1e-12
    assert {"cats", "sees", "the"} <= LEXICON and "S" not in LEXICON
    with pytest.raises(ValueError):
        sample_quality("no full stop")


@pytest.mark.parametrize("D, H", [(1, 1), (27, 64), (5, 3)])
def test_rnn_num_parameters_matches_torch(D, H):
    layer = torch.nn.RNN(D, H)
    assert rnn_num_parameters(D, H) == sum(p.numel() for p in layer.parameters())
    layer = torch.nn.RNN(D, H, bias=False)
    assert rnn_num_parameters(D, H, bias=False) == sum(p.numel() for p in layer.parameters())
    assert rnn_step_multiply_adds(D, H) == H * D + H * H
