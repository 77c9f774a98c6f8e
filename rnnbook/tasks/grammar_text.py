r"""Text generated in code from a small grammar: training text for a character-level model.

Nothing is downloaded. A probabilistic context-free grammar writes short English sentences
in which the verb agrees with its subject ("the old cat sees a dog." but "two cats see
a dog."), so that a character model has a dependency to learn that spans a few words.

The grammar (:data:`GRAMMAR`) maps each nonterminal to its alternatives, chosen uniformly;
every symbol that is not a key is a word. :func:`is_grammatical` parses a sentence with the
same rules, which turns "does the model write valid sentences?" into a number.
"""

from __future__ import annotations

from functools import cache, lru_cache

import numpy as np

from rnnbook.checks import check_positive_int, check_rng

#: Nonterminal -> alternatives; each alternative is a tuple of symbols.
GRAMMAR: dict[str, tuple[tuple[str, ...], ...]] = {
    "S": (("NP_sg", "VP_sg"), ("NP_pl", "VP_pl")),
    "NP_sg": (("Det_sg", "N_sg"), ("Det_sg", "Adj", "N_sg")),
    "NP_pl": (("Det_pl", "N_pl"), ("Det_pl", "Adj", "N_pl")),
    "NP": (("NP_sg",), ("NP_pl",)),
    "VP_sg": (("Vt_sg", "NP"), ("Vi_sg",)),
    "VP_pl": (("Vt_pl", "NP"), ("Vi_pl",)),
    "Det_sg": (("the",), ("a",), ("one",)),
    "Det_pl": (("the",), ("two",), ("some",)),
    "Adj": (("small",), ("red",), ("old",), ("happy",), ("quiet",)),
    "N_sg": (("cat",), ("dog",), ("bird",), ("child",), ("farmer",)),
    "N_pl": (("cats",), ("dogs",), ("birds",), ("children",), ("farmers",)),
    "Vt_sg": (("sees",), ("chases",), ("likes",), ("finds",)),
    "Vt_pl": (("see",), ("chase",), ("like",), ("find",)),
    "Vi_sg": (("sleeps",), ("runs",), ("sings",)),
    "Vi_pl": (("sleep",), ("run",), ("sing",)),
}

#: What ends every sentence; sentences are joined by single spaces.
END = "."


def _expand(symbol: str, rng: np.random.Generator, words: list[str]) -> None:
    if symbol not in GRAMMAR:
        words.append(symbol)
        return
    options = GRAMMAR[symbol]
    for child in options[int(rng.integers(len(options)))]:
        _expand(child, rng, words)


def sentence(rng: np.random.Generator) -> str:
    """One sentence drawn from :data:`GRAMMAR`, ending in a full stop."""
    words: list[str] = []
    _expand("S", rng, words)
    return " ".join(words) + END


def grammar_text(n_chars: int, rng: np.random.Generator | int) -> str:
    """Sentences from :data:`GRAMMAR`, joined by spaces, until at least ``n_chars`` characters.

    Parameters
    ----------
    n_chars : int
        Minimum length; the text stops after the sentence that reaches it.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.

    Returns
    -------
    str
        Lower-case words, spaces and full stops.

    Examples
    --------
    >>> text = grammar_text(200, rng=0)
    >>> len(text) >= 200 and text.endswith(".")
    True
    """
    n_chars = check_positive_int(n_chars, "n_chars")
    rng = check_rng(rng)
    parts, length = [], -1
    while length < n_chars:
        parts.append(sentence(rng))
        length += len(parts[-1]) + 1
    return " ".join(parts)


@lru_cache(maxsize=65536)
def _ends(symbol: str, words: tuple[str, ...], i: int) -> frozenset[int]:
    """Positions j such that ``symbol`` derives ``words[i:j]``."""
    if symbol not in GRAMMAR:
        return frozenset({i + 1}) if i < len(words) and words[i] == symbol else frozenset()
    out: set[int] = set()
    for option in GRAMMAR[symbol]:
        positions = {i}
        for child in option:
            positions = {j for p in positions for j in _ends(child, words, p)}
        out |= positions
    return frozenset(out)


def is_grammatical(text: str) -> bool:
    """Whether ``text`` is one sentence the grammar can produce, full stop included.

    Examples
    --------
    >>> is_grammatical("two old cats see a dog."), is_grammatical("two old cats sees a dog.")
    (True, False)
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    if not text.endswith(END):
        return False
    words = tuple(text[: -len(END)].split(" "))
    return len(words) in _ends("S", words, 0)


def split_sentences(text: str) -> list[str]:
    """Cut generated text into sentences at each full stop (the last piece may be partial).

    Leading spaces are removed; the full stop stays with its sentence.
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    pieces = [p.lstrip(" ") + END for p in text.split(END)[:-1]]
    return [p for p in pieces if p != END]


@cache
def _entropy_and_length(symbol: str) -> tuple[float, float]:
    """Expected -log p (nats) of the choices under ``symbol``, and expected characters."""
    if symbol not in GRAMMAR:
        return 0.0, float(len(symbol))
    options = GRAMMAR[symbol]
    entropy, length = np.log(len(options)), 0.0
    for option in options:
        children = [_entropy_and_length(c) for c in option]
        entropy += sum(e for e, _ in children) / len(options)
        length += (sum(n for _, n in children) + len(option) - 1) / len(options)  # + spaces
    return float(entropy), float(length)


def entropy_per_char() -> float:
    r"""The entropy rate of :func:`grammar_text`, in nats per character, computed exactly.

    Every sentence has exactly one derivation and each choice is uniform, so a sentence's
    information is the sum of :math:`\log(\text{number of alternatives})` over its choices.
    Dividing the expected information of a sentence by its expected length, full stop and
    separating space included, gives the cross-entropy per character of a perfect model of
    the stream: no language model can have a lower expected loss on this text.
    """
    entropy, length = _entropy_and_length("S")
    return entropy / (length + len(END) + 1)
