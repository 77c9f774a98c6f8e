r"""Measuring a character-level language model: streams, probes, sampling and costs.

The pieces the character-model chapter measures with, kept out of the notebook:

* :func:`to_streams` cuts one long text into :math:`B` parallel streams for stateful TBPTT;
* :func:`next_char_probs` reads a model's distribution of the next character after a
  context, optionally from a *warm* state (after running the model over other text first),
  and :func:`exact_next_char_probs` gives the same distribution exactly from the grammar
  of :mod:`rnnbook.tasks.grammar_text`;
* :func:`perplexity` and :func:`bits_per_char` convert a cross-entropy in nats;
* :func:`filter_logits`, :func:`sample_filtered` and :func:`generate_filtered` sample with
  top-:math:`k` and nucleus (top-:math:`p`) truncation as well as a temperature;
* :func:`sample_quality` scores generated text against the grammar;
* :func:`rnn_num_parameters` and :func:`rnn_step_multiply_adds` count an Elman layer's
  parameters, :math:`H D + H^2 + 2H`, and the work of one step, :math:`H D + H^2`.

For a cross-entropy :math:`L` in nats per character,

.. math::

    \mathrm{PPL} = e^{L}, \qquad \mathrm{bpc} = L / \ln 2 .

Every sampler takes a ``numpy.random.Generator``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rnnbook.checks import (
    check_array,
    check_ids,
    check_positive_float,
    check_positive_int,
    check_rng,
)
from rnnbook.tasks.grammar_text import END, GRAMMAR, is_grammatical, split_sentences
from rnnbook.text import CharVocab, StepFn, softmax_with_temperature

#: A large negative logit for excluded tokens: exp() of it is exactly 0 in float64.
EXCLUDED = -1e30


def to_streams(ids: np.ndarray, batch_size: int) -> tuple[np.ndarray, np.ndarray]:
    """Cut one id sequence into ``batch_size`` contiguous streams, with next-id targets.

    Stream ``b`` is piece ``b`` of the text; column ``t`` holds step ``t`` of every stream.
    The target of each id is the id after it in the same stream; the ragged end is dropped.

    Parameters
    ----------
    ids : ndarray of int, shape (N,)
    batch_size : int
        B, with ``N - 1 >= B``.

    Returns
    -------
    inputs, targets : ndarray of int, shape (B, n) with ``n = (N - 1) // B``

    >>> x, y = to_streams(np.arange(9), 2)
    >>> x.tolist(), y.tolist()
    ([[0, 1, 2, 3], [4, 5, 6, 7]], [[1, 2, 3, 4], [5, 6, 7, 8]])
    """
    ids = check_ids(ids, "ids", ndim=1)
    B = check_positive_int(batch_size, "batch_size")
    n = (len(ids) - 1) // B  # steps per stream
    if n < 1:
        raise ValueError(f"ids: expected at least batch_size + 1 = {B + 1} ids, got {len(ids)}")
    return ids[: n * B].reshape(B, n), ids[1 : n * B + 1].reshape(B, n)  # (B, n), (B, n)


def warm_state(model, ids: np.ndarray) -> np.ndarray:
    """The state (1, 1, H) of ``model`` after reading ``ids`` (T,) from a zero state.

    ``model`` is anything with ``forward(ids (B, T), h0) -> (logits, h_n)``, such as
    :class:`~rnnbook.scratch.char_lm.CharLM`.
    """
    ids = check_ids(ids, "ids", ndim=1)
    _, h_n = model.forward(ids[None])  # (1, T, V), (1, 1, H)
    return h_n


def next_char_probs(
    model,
    vocab: CharVocab,
    context: str,
    temperature: float = 1.0,
    h0: np.ndarray | None = None,
) -> np.ndarray:
    r"""The model's distribution :math:`\mathrm{softmax}(o_T / \tau)` after ``context``.

    Parameters
    ----------
    model : CharLM or alike
        ``forward(ids (1, T), h0) -> (logits (1, T, V), h_n)``.
    vocab : CharVocab
    context : str
    temperature : float
    h0 : ndarray, shape (1, 1, H), optional
        The state before the context: zeros if omitted (a *cold* start), or a state from
        :func:`warm_state` (the state the model is in when reading a long text).

    Returns
    -------
    ndarray, shape (V,)
    """
    logits, _ = model.forward(vocab.encode(context)[None], h0)  # (1, T, V)
    return softmax_with_temperature(logits[0, -1], temperature)  # (V,)


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

    Returns
    -------
    ndarray, shape (T,)
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
    return np.where(allowed, 0.0, probs).sum(axis=1)  # (T,)


# --------------------------------------------------------------------------------------
# Perplexity and bits per character
# --------------------------------------------------------------------------------------


def perplexity(loss_nats: float) -> float:
    """:math:`e^L`: the number of equally likely choices with the same cross-entropy.

    >>> round(perplexity(np.log(4.0)), 6)
    4.0
    """
    return float(np.exp(check_positive_float(loss_nats, "loss_nats", allow_zero=True)))


def bits_per_char(loss_nats: float) -> float:
    """:math:`L / \\ln 2`: the cross-entropy in bits.

    >>> bits_per_char(np.log(2.0))
    1.0
    """
    return float(check_positive_float(loss_nats, "loss_nats", allow_zero=True) / np.log(2.0))


# --------------------------------------------------------------------------------------
# Top-k and nucleus sampling
# --------------------------------------------------------------------------------------


def filter_logits(
    logits: np.ndarray, top_k: int | None = None, top_p: float | None = None
) -> np.ndarray:
    r"""Exclude unlikely tokens: keep the ``top_k`` largest logits and/or the nucleus.

    The nucleus is the smallest set of most likely tokens whose probability
    :math:`\mathrm{softmax}(z)` reaches ``top_p`` (Holtzman et al., 2020). Excluded entries
    are set to :data:`EXCLUDED`, so a softmax gives them probability 0. The most likely
    token is always kept. Ties at the cut are broken by the token order.

    Parameters
    ----------
    logits : ndarray, shape (..., V)
    top_k : int, optional
        1 <= top_k; ``top_k >= V`` keeps everything.
    top_p : float, optional
        0 < top_p <= 1.

    Returns
    -------
    ndarray, shape (..., V)

    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_k=2).round(3).tolist()
    [-0.693, -1.204, -1e+30]
    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_p=0.8).round(3).tolist()
    [-0.693, -1.204, -1e+30]
    >>> filter_logits(np.log([0.5, 0.3, 0.2]), top_p=0.81).round(3).tolist()
    [-0.693, -1.204, -1.609]
    """
    logits = check_array(logits, "logits")
    if logits.ndim < 1 or logits.shape[-1] == 0:
        raise ValueError(f"logits: expected shape (..., V) with V >= 1, got {logits.shape}")
    keep = np.ones(logits.shape, dtype=bool)
    order = np.argsort(-logits, axis=-1, kind="stable")  # (..., V): most likely first
    rank = np.argsort(order, axis=-1, kind="stable")  # (..., V): 0 for the most likely
    if top_k is not None:
        top_k = check_positive_int(top_k, "top_k")
        keep &= rank < top_k
    if top_p is not None:
        top_p = check_positive_float(top_p, "top_p")
        if top_p > 1:
            raise ValueError(f"top_p: expected a number in (0, 1], got {top_p}")
        p_sorted = np.take_along_axis(softmax_with_temperature(logits), order, axis=-1)
        before = np.cumsum(p_sorted, axis=-1) - p_sorted  # mass of the tokens ranked above
        in_nucleus = before < top_p - 1e-12  # still short of top_p before this token
        keep &= np.take_along_axis(in_nucleus, rank, axis=-1)
    return np.where(keep, logits, EXCLUDED)


def sample_filtered(
    logits: np.ndarray,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Draw one id per row from :func:`filter_logits` of ``logits / temperature``.

    The temperature is applied first, then the truncation (the order used by common
    text-generation libraries). Returns int64 ids of shape (...).
    """
    rng = check_rng(rng)
    temperature = check_positive_float(temperature, "temperature")
    z = filter_logits(check_array(logits, "logits") / temperature, top_k, top_p)
    p = softmax_with_temperature(z)  # (..., V)
    cdf = np.cumsum(p, axis=-1)
    u = rng.random((*p.shape[:-1], 1)) * cdf[..., -1:]  # (..., 1)
    idx = (cdf < u).sum(axis=-1)
    return np.minimum(idx, p.shape[-1] - 1).astype(np.int64)


def generate_filtered(
    step: StepFn,
    state: object,
    prime: np.ndarray,
    n: int,
    rng: np.random.Generator,
    temperature: float = 1.0,
    top_k: int | None = None,
    top_p: float | None = None,
) -> np.ndarray:
    """Like :func:`rnnbook.text.generate`, sampling with :func:`sample_filtered`.

    ``step(ids (B,), state) -> (logits (B, V), state)``; ``prime`` (B, P). Returns (B, n).
    """
    rng = check_rng(rng)
    n = check_positive_int(n, "n")
    prime = check_ids(prime, "prime", ndim=2)  # (B, P)
    for t in range(prime.shape[1]):  # condition on the prime
        logits, state = step(prime[:, t], state)
    out = np.empty((prime.shape[0], n), dtype=np.int64)
    for t in range(n):  # then feed each sample back in
        out[:, t] = sample_filtered(np.asarray(logits), rng, temperature, top_k, top_p)
        if t + 1 < n:
            logits, state = step(out[:, t], state)
    return out


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


# --------------------------------------------------------------------------------------
# Counting parameters and work
# --------------------------------------------------------------------------------------


def rnn_num_parameters(input_size: int, hidden_size: int, bias: bool = True) -> int:
    """Parameters of one Elman layer as in ``torch.nn.RNN``: :math:`HD + H^2 + 2H`.

    ``weight_ih`` (H, D), ``weight_hh`` (H, H) and, with ``bias``, ``bias_ih`` and
    ``bias_hh`` (H,) each (torch keeps two bias vectors where one would do).

    >>> rnn_num_parameters(10, 4)
    64
    """
    D = check_positive_int(input_size, "input_size")
    H = check_positive_int(hidden_size, "hidden_size")
    return H * D + H * H + (2 * H if bias else 0)


def rnn_step_multiply_adds(input_size: int, hidden_size: int) -> int:
    """Multiply-adds of one step of one sequence: :math:`HD + H^2` (dense input).

    >>> rnn_step_multiply_adds(10, 4)
    56
    """
    D = check_positive_int(input_size, "input_size")
    H = check_positive_int(hidden_size, "hidden_size")
    return H * D + H * H
