r"""Corpus BLEU (Papineni et al. 2002), small enough to read, for one reference per output.

For hypotheses :math:`h^{(i)}` and references :math:`r^{(i)}` (token sequences), the
clipped n-gram precision counts each n-gram of a hypothesis at most as often as it
occurs in its reference, summed over the corpus before dividing:

.. math::

    p_n = \frac{\sum_i \sum_{g \in \text{n-grams}(h^{(i)})}
                \min\big(\#_{h^{(i)}}(g), \#_{r^{(i)}}(g)\big)}
               {\sum_i \sum_{g \in \text{n-grams}(h^{(i)})} \#_{h^{(i)}}(g)},

    \mathrm{BP} = \begin{cases} 1 & c > r \\ e^{1 - r/c} & c \le r \end{cases}, \qquad
    \mathrm{BLEU} = \mathrm{BP} \cdot \exp\Big(\frac{1}{N} \sum_{n=1}^{N} \log p_n\Big),

with :math:`c` and :math:`r` the total hypothesis and reference lengths. One :math:`p_n = 0`
makes BLEU 0; ``smooth=True`` adds one to the numerator and denominator of
:math:`p_n` for :math:`n \ge 2` (Lin and Och 2004), which matters for short outputs.
Scores are in [0, 1] (multiply by 100 for the usual scale). Tokenisation is the caller's:
pass lists of words, of characters, or of token ids.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Sequence
from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_positive_int


class BleuScore(NamedTuple):
    """``bleu`` in [0, 1], the (smoothed) ``precisions`` :math:`p_1, \\dots, p_N`, the
    ``brevity_penalty`` and the total ``hypothesis_length`` c and ``reference_length`` r."""

    bleu: float
    precisions: tuple[float, ...]
    brevity_penalty: float
    hypothesis_length: int
    reference_length: int


def ngrams(tokens: Sequence[Hashable], n: int) -> Counter:
    """How often each n-gram (a tuple of ``n`` tokens) occurs in ``tokens``."""
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _as_corpus(sequences: object, name: str) -> list[tuple[Hashable, ...]]:
    if isinstance(sequences, str | bytes) or not isinstance(sequences, Sequence | np.ndarray):
        raise TypeError(f"{name}: expected a sequence of token sequences, got {sequences!r:.60}")
    corpus = []
    for i, seq in enumerate(sequences):
        if isinstance(seq, np.ndarray):
            seq = seq.tolist()
        if not isinstance(seq, Sequence):
            raise TypeError(f"{name}[{i}]: expected a sequence of tokens, got {seq!r:.60}")
        corpus.append(tuple(seq))
    return corpus


def corpus_bleu(
    references: Sequence[Sequence[Hashable]],
    hypotheses: Sequence[Sequence[Hashable]],
    max_n: int = 4,
    smooth: bool = False,
) -> BleuScore:
    """BLEU of a corpus of hypotheses against one reference each (see the module docstring).

    Parameters
    ----------
    references, hypotheses : sequences of token sequences, same length
        ``references[i]`` is the reference for ``hypotheses[i]``.
    max_n : int
        N, the longest n-gram, with uniform weights :math:`1/N`.
    smooth : bool
        Add-one smoothing of :math:`p_n` for :math:`n \\ge 2`.

    Returns
    -------
    BleuScore

    Examples
    --------
    >>> corpus_bleu([["the", "cat", "is", "on", "the", "mat"]], [["the"] * 7], max_n=1).bleu
    0.2857142857142857
    """
    refs, hyps = _as_corpus(references, "references"), _as_corpus(hypotheses, "hypotheses")
    if len(refs) != len(hyps) or not hyps:
        raise ValueError(
            "references, hypotheses: expected the same non-zero number of sequences, "
            f"got {len(refs)} and {len(hyps)}"
        )
    max_n = check_positive_int(max_n, "max_n")
    if not isinstance(smooth, bool):
        raise TypeError(f"smooth: expected a bool, got {type(smooth).__name__}")
    matches, totals = [0] * max_n, [0] * max_n
    for ref, hyp in zip(refs, hyps, strict=True):
        for n in range(1, max_n + 1):
            hyp_counts, ref_counts = ngrams(hyp, n), ngrams(ref, n)
            matches[n - 1] += sum(min(k, ref_counts[g]) for g, k in hyp_counts.items())  # clipped
            totals[n - 1] += sum(hyp_counts.values())
    extra = [1 if smooth and n >= 2 else 0 for n in range(1, max_n + 1)]
    precisions = tuple(
        (m + e) / (t + e) if t + e > 0 else 0.0
        for m, t, e in zip(matches, totals, extra, strict=True)
    )
    c, r = sum(len(h) for h in hyps), sum(len(ref) for ref in refs)
    brevity_penalty = 1.0 if c > r else (math.exp(1 - r / c) if c > 0 else 0.0)
    if min(precisions) == 0.0:
        bleu = 0.0
    else:
        bleu = brevity_penalty * math.exp(sum(math.log(p) for p in precisions) / max_n)
    return BleuScore(bleu, precisions, brevity_penalty, c, r)
