"""rnnbook.tasks.grammar_text: generated text, the recognizer, and the exact entropy rate."""

import numpy as np
import pytest

from rnnbook.tasks.grammar_text import (
    GRAMMAR,
    entropy_per_char,
    grammar_text,
    is_grammatical,
    sentence,
    split_sentences,
)


def test_text_is_long_enough_and_reproducible():
    text = grammar_text(1000, rng=0)
    assert len(text) >= 1000 and text.endswith(".")
    assert text == grammar_text(1000, rng=0) != grammar_text(1000, rng=1)
    assert set(text) <= set("abcdefghijklmnopqrstuvwxyz .")


def test_every_generated_sentence_parses():
    sentences = split_sentences(grammar_text(5000, rng=2))
    assert len(sentences) > 100
    assert all(is_grammatical(s) for s in sentences)


@pytest.mark.parametrize(
    "bad",
    [
        "two old cats sees a dog.",  # agreement
        "the cat sees.",  # transitive verb without object
        "the cat sleeps",  # no full stop
        "the  cat sleeps.",  # double space
        "the cat sleeps the dog.",  # intransitive verb with object
        "a cats run.",  # singular determiner, plural noun
        "",
    ],
)
def test_ungrammatical_sentences_are_rejected(bad):
    assert not is_grammatical(bad)


def test_split_sentences():
    assert split_sentences("a cat runs. two dogs sing. the ca") == [
        "a cat runs.",
        "two dogs sing.",
    ]


def test_entropy_per_char_matches_a_monte_carlo_estimate():
    # -log p(sentence) is the sum of log(number of alternatives) over the choices made.
    rng = np.random.default_rng(0)
    info, chars = 0.0, 0
    for _ in range(4000):
        s = sentence(rng)
        words = s[:-1].split(" ")
        info += np.log(2)  # S: singular or plural
        n_adj = sum(w in {"small", "red", "old", "happy", "quiet"} for w in words)
        n_np = 1 + (len(words) - n_adj > 3)  # a subject, and maybe an object
        info += n_np * np.log(2) + n_adj * np.log(5)  # with or without adjective, which one
        info += (n_np - 1) * np.log(2)  # object: singular or plural
        info += np.log(2)  # transitive or intransitive
        info += n_np * (np.log(3) + np.log(5))  # determiner and noun
        info += np.log(4) if n_np == 2 else np.log(3)  # the verb
        chars += len(s) + 1
    assert entropy_per_char() == pytest.approx(info / chars, rel=0.02)
    assert GRAMMAR["S"]  # the grammar is public, for the book to print


def test_errors():
    with pytest.raises(ValueError, match="n_chars: expected a positive integer"):
        grammar_text(0, rng=0)
    with pytest.raises(TypeError, match="rng: expected a numpy Generator or an int seed"):
        grammar_text(10, rng="x")
    with pytest.raises(TypeError, match="text: expected a str"):
        is_grammatical(3)
