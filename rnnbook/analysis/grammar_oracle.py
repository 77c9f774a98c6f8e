r"""The grammar as an oracle: the exact next-character distribution, and scores for samples.

The text of :mod:`rnnbook.tasks.grammar_text` comes from a known grammar, so the right
answer to "what comes next?" is known exactly: :func:`exact_next_char_probs` parses a
sentence prefix with the grammar's own probabilities. :func:`impossible_mass` then
measures how much probability a model puts on characters the grammar rules out, and
:func:`sample_quality` scores generated text.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rnnbook.checks import check_array
from rnnbook.tasks.grammar_text import END, GRAMMAR, is_grammatical, split_sentences
from rnnbook.text import CharVocab

# --------------------------------------------------------------------------------------
# The grammar's exact next-character distribution
# --------------------------------------------------------------------------------------


@lru_cache(maxsize=1 << 16)
def _prefix_parse(
    symbol: str, words: tuple[str, ...], i: int
) -> tuple[dict[int, float], dict[str, float]]:
    """Derivations of ``symbol`` from position ``i`` that agree with ``words[i:]``.

    Returns ``ends`` (j -> probability that ``symbol`` derives exactly ``words[i:j]``) and
    ``nexts`` (word -> probability that it derives ``words[i:]`` followed by that word).
    """
    if symbol not in GRAMMAR:  # a word
        if i == len(words):
            return {}, {symbol: 1.0}
        return ({i + 1: 1.0} if words[i] == symbol else {}), {}
    options = GRAMMAR[symbol]
    ends: dict[int, float] = defaultdict(float)
    nexts: dict[str, float] = defaultdict(float)
    for option in options:
        states = {i: 1.0 / len(options)}  # position -> probability so far
        for child in option:
            new: dict[int, float] = defaultdict(float)
            for p, q in states.items():
                child_ends, child_nexts = _prefix_parse(child, words, p)
                for j, r in child_ends.items():
                    new[j] += q * r
                for w, r in child_nexts.items():
                    nexts[w] += q * r
            states = new
        for j, q in states.items():
            ends[j] += q
    return dict(ends), dict(nexts)


def _word_continuations(words: tuple[str, ...]) -> tuple[float, dict[str, float]]:
    """P(the sentence is exactly ``words``) and P(it continues with each next word)."""
    ends, nexts = _prefix_parse("S", words, 0)
    return ends.get(len(words), 0.0), nexts


def exact_next_char_probs(prefix: str) -> dict[str, float]:
    """The grammar's distribution of the character after ``prefix``, exactly.

    Parameters
    ----------
    prefix : str
        The current sentence so far (what follows the last ``". "`` of the stream).

    Returns
    -------
    dict
        Character -> probability, only the possible characters; empty if no sentence of
        the grammar starts with ``prefix``.

    >>> exact_next_char_probs("two old cat")
    {'s': 1.0}
    >>> exact_next_char_probs("the old cat")
    {' ': 0.5, 's': 0.5}
    """
    if not isinstance(prefix, str):
        raise TypeError(f"prefix: expected a str, got {type(prefix).__name__}")
    if prefix.endswith(END):
        return {" ": 1.0} if is_grammatical(prefix) else {}
    *complete, partial = prefix.split(" ")
    _, nexts = _word_continuations(tuple(complete))
    out: dict[str, float] = defaultdict(float)
    for word, mass in nexts.items():
        if not word.startswith(partial):
            continue
        if len(word) > len(partial):
            out[word[len(partial)]] += mass
        else:  # the word is complete: a space or the full stop comes next
            stop, after = _word_continuations((*complete, word))
            out[END] += stop
            out[" "] += sum(after.values())
    total = sum(out.values())
    return {c: p / total for c, p in sorted(out.items()) if p > 0} if total > 0 else {}


def sentence_prefixes(text: str) -> list[str]:
    """For each position ``t`` of a stream of sentences, the sentence prefix ``text[:t+1]``.

    The prefix is what follows the last sentence boundary ``". "`` at or before ``t``;
    the stream is assumed to start at the beginning of a sentence.

    >>> sentence_prefixes("a. b")
    ['a', 'a.', 'a. ', 'b']
    """
    out, start = [], 0
    for t in range(len(text)):
        out.append(text[start : t + 1])
        if text[t] == " " and t > 0 and text[t - 1] == END:
            start = t + 1  # the next character starts a sentence
    return out


def impossible_mass(probs: np.ndarray, prefixes: list[str], vocab: CharVocab) -> np.ndarray:
    """The probability each prediction puts on characters the grammar rules out.

    Parameters
    ----------
    probs : ndarray, shape (T, V)
        The model's next-character distribution after each prefix.
    prefixes : list of str, length T
        The sentence so far at each step (see :func:`sentence_prefixes`); a prefix ending
        in ``". "`` starts a new sentence.
    vocab : CharVocab

    Returns
    -------
    ndarray, shape (T,)
        NaN where the prefix itself is already outside the grammar (no character is
        allowed after it), so that only predictions from a valid prefix are scored.
    """
    probs = check_array(probs, "probs")
    if probs.ndim != 2 or probs.shape != (len(prefixes), len(vocab)):
        raise ValueError(
            f"probs: expected shape ({len(prefixes)}, {len(vocab)}) (T, V), got {probs.shape}"
        )
    allowed = np.zeros(probs.shape, dtype=bool)
    cache: dict[str, np.ndarray] = {}
    for t, prefix in enumerate(prefixes):
        sentence = "" if prefix.endswith(END + " ") else prefix
        if sentence not in cache:
            mask = np.zeros(len(vocab), dtype=bool)
            for c in exact_next_char_probs(sentence):
                mask[vocab.encode(c)[0]] = True
            cache[sentence] = mask
        allowed[t] = cache[sentence]
    mass = np.where(allowed, 0.0, probs).sum(axis=1)  # (T,)
    return np.where(allowed.any(axis=1), mass, np.nan)


# --------------------------------------------------------------------------------------
# Scoring generated text
# --------------------------------------------------------------------------------------

#: Every word the grammar can produce.
LEXICON: frozenset[str] = frozenset(
    w for options in GRAMMAR.values() for option in options for w in option if w not in GRAMMAR
)


@dataclass(frozen=True)
class SampleQuality:
    """How well generated text follows the grammar.

    Attributes
    ----------
    grammatical : float
        Share of the complete sentences that the grammar can produce.
    in_lexicon : float
        Share of their words that exist in the grammar.
    n_sentences : int
        Complete sentences in the text.
    distinct : float
        Share of the sentences that are distinct.
    """

    grammatical: float
    in_lexicon: float
    n_sentences: int
    distinct: float


def sample_quality(text: str) -> SampleQuality:
    """Score generated text: grammatical sentences, known words, variety.

    >>> q = sample_quality("a cat runs. a cat runs. two cat run.")
    >>> q.grammatical, q.in_lexicon, q.n_sentences, q.distinct
    (0.6666666666666666, 1.0, 3, 0.6666666666666666)
    """
    sentences = split_sentences(text)
    if not sentences:
        raise ValueError("text: expected at least one complete sentence, got none")
    words = [w for s in sentences for w in s[: -len(END)].split(" ")]
    return SampleQuality(
        grammatical=float(np.mean([is_grammatical(s) for s in sentences])),
        in_lexicon=float(np.mean([w in LEXICON for w in words])),
        n_sentences=len(sentences),
        distinct=len(set(sentences)) / len(sentences),
    )
