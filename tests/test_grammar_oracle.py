"""Tests for rnnbook.analysis.grammar_oracle: exact next characters, impossible mass, scores."""

from collections import Counter

import numpy as np
import pytest

from rnnbook.analysis.grammar_oracle import (
    LEXICON,
    exact_next_char_probs,
    impossible_mass,
    sample_quality,
    sentence_prefixes,
)
from rnnbook.tasks.grammar_text import grammar_text
from rnnbook.text import CharVocab


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
    bad = impossible_mass(np.full((3, len(vocab)), 1 / len(vocab)), ["t", "tw", "twx"], vocab)
    assert np.isnan(bad[2]) and not np.isnan(bad[:2]).any()


def test_sample_quality_and_lexicon():
    q = sample_quality("two cats see a dog. two cats sees a dgo. two cats see a dog. x")
    assert q.n_sentences == 3
    assert abs(q.grammatical - 2 / 3) < 1e-12
    assert abs(q.in_lexicon - 14 / 15) < 1e-12
    assert abs(q.distinct - 2 / 3) < 1e-12
    assert {"cats", "sees", "the"} <= LEXICON and "S" not in LEXICON
    with pytest.raises(ValueError):
        sample_quality("no full stop")
