r"""A sequence-to-sequence task: reverse a string of digits.

The source is :math:`L` random digits, :math:`L` uniform in ``[min_len, max_len]``; the
target is the same digits reversed, then ``<eos>``::

    source  3 1 4 1 5 <pad> <pad>        target  5 1 4 1 3 <eos> <pad> <pad>

The first target digit is the *last* source digit, so a plain encoder-decoder must carry
the whole string in its final state and read it out backwards; with attention, each
output step can look at the one source position it needs. Exact-match accuracy of a
model that ignores the source is at most :math:`10^{-L}`.

This module also holds what the seq2seq tasks share: :class:`Vocab` (token ids with
``<pad>`` = 0, ``<bos>`` = 1, ``<eos>`` = 2 first) and :class:`SequencePairs` (padded
source and target arrays with their lengths).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from rnnbook.checks import check_ids, check_positive_int, check_rng

PAD, BOS, EOS = "<pad>", "<bos>", "<eos>"
SPECIALS = (PAD, BOS, EOS)
PAD_ID, BOS_ID, EOS_ID = 0, 1, 2
DIGITS = tuple("0123456789")


@dataclass(frozen=True)
class Vocab:
    """Token ids for a tuple of symbols, after the three special tokens.

    Attributes
    ----------
    symbols : tuple of str
        The ordinary symbols; ``symbols[i]`` has id ``i + 3``.

    Examples
    --------
    >>> vocab = Vocab(tuple("ab"))
    >>> vocab.encode("ba").tolist(), vocab.to_text([4, 3, 2, 0])
    ([4, 3], 'ba')
    """

    symbols: tuple[str, ...]

    pad_id = PAD_ID
    bos_id = BOS_ID
    eos_id = EOS_ID

    def __post_init__(self) -> None:
        if not isinstance(self.symbols, tuple) or not all(isinstance(s, str) for s in self.symbols):
            raise TypeError(f"symbols: expected a tuple of str, got {self.symbols!r}")
        if len(set(self.symbols)) != len(self.symbols) or set(self.symbols) & set(SPECIALS):
            raise ValueError(
                f"symbols: expected distinct symbols other than {SPECIALS}, got {self.symbols}"
            )

    @property
    def tokens(self) -> tuple[str, ...]:
        """Every token in id order, the specials first."""
        return SPECIALS + self.symbols

    def __len__(self) -> int:
        return len(SPECIALS) + len(self.symbols)

    def encode(self, symbols: Iterable[str]) -> np.ndarray:
        """The ids of ``symbols`` (a string is a sequence of one-character symbols), int64."""
        index = {s: i for i, s in enumerate(self.tokens)}
        symbols = list(symbols)
        unknown = [s for s in symbols if s not in index]
        if unknown:
            raise ValueError(f"symbols: expected symbols of the vocabulary, got {unknown[0]!r}")
        return np.array([index[s] for s in symbols], dtype=np.int64)

    def decode(self, ids: Iterable[int]) -> list[str]:
        """The symbols of ``ids``, read up to the first ``<eos>``, with ``<pad>`` and
        ``<bos>`` dropped."""
        ids = np.asarray(ids)
        if ids.size == 0:
            return []
        ids = check_ids(ids, "ids", len(self), ndim=1)
        out = []
        for i in ids.tolist():
            if i == EOS_ID:
                break
            if i >= len(SPECIALS):
                out.append(self.symbols[i - len(SPECIALS)])
        return out

    def to_text(self, ids: Iterable[int], sep: str = "") -> str:
        """:meth:`decode`, joined with ``sep``."""
        return sep.join(self.decode(ids))


@dataclass(frozen=True)
class SequencePairs:
    """Padded source and target sequences, as a seq2seq task returns them.

    Attributes
    ----------
    src : ndarray of int64, shape (N, T_src)
        Source ids, ``<pad>`` after ``src_lengths[i]``. No ``<bos>`` or ``<eos>``.
    src_lengths : ndarray of int64, shape (N,)
        Real source lengths, each in ``1..T_src``.
    tgt : ndarray of int64, shape (N, T_tgt)
        Target ids: the output symbols, then ``<eos>``, then ``<pad>``. The decoder's
        input is this shifted right behind ``<bos>``.
    tgt_lengths : ndarray of int64, shape (N,)
        Real target lengths, ``<eos>`` included.
    src_vocab, tgt_vocab : Vocab
    """

    src: np.ndarray
    src_lengths: np.ndarray
    tgt: np.ndarray
    tgt_lengths: np.ndarray
    src_vocab: Vocab
    tgt_vocab: Vocab

    def __post_init__(self) -> None:
        for name, arr, vocab in (
            ("src", self.src, self.src_vocab),
            ("tgt", self.tgt, self.tgt_vocab),
        ):
            check_ids(arr, name, len(vocab), ndim=2)
            lengths = check_ids(getattr(self, f"{name}_lengths"), f"{name}_lengths", ndim=1)
            if (
                lengths.shape != (len(self.src),)
                or lengths.min() < 1
                or lengths.max() > arr.shape[1]
            ):
                raise ValueError(
                    f"{name}_lengths: expected shape ({len(self.src)},) with values in "
                    f"1..{arr.shape[1]}, got shape {lengths.shape}, values {lengths.min()}.."
                    f"{lengths.max()}"
                )
            padded = np.arange(arr.shape[1])[None, :] >= lengths[:, None]  # (N, T)
            if np.any(arr[padded] != PAD_ID) or np.any(arr[~padded] == PAD_ID):
                raise ValueError(f"{name}: expected <pad> exactly after each length, got otherwise")

    def __len__(self) -> int:
        return len(self.src)

    def subset(self, index: Sequence[int] | np.ndarray | slice) -> SequencePairs:
        """The pairs at ``index`` (an index array or a slice), vocabularies shared."""
        return SequencePairs(
            self.src[index],
            self.src_lengths[index],
            self.tgt[index],
            self.tgt_lengths[index],
            self.src_vocab,
            self.tgt_vocab,
        )


def pad_sequences(sequences: Sequence[np.ndarray], length: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack 1-D id arrays into ``(N, length)`` int64, ``<pad>`` on the right; return the
    array and the lengths (N,)."""
    length = check_positive_int(length, "length")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    if lengths.size and lengths.max() > length:
        raise ValueError(f"sequences: expected lengths <= {length}, got {lengths.max()}")
    out = np.full((len(sequences), length), PAD_ID, dtype=np.int64)  # (N, length)
    for i, s in enumerate(sequences):
        out[i, : len(s)] = s
    return out, lengths


def reversal(
    n: int, rng: np.random.Generator | int, min_len: int = 3, max_len: int = 8
) -> SequencePairs:
    r"""Generate ``n`` digit strings and their reversals.

    .. math::

        x = (x_1, \dots, x_L), \quad L \sim \mathcal{U}\{L_{min}, \dots, L_{max}\}, \qquad
        y = (x_L, \dots, x_1, \langle eos \rangle)

    Parameters
    ----------
    n : int
        Number of pairs N.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    min_len, max_len : int
        The range of source lengths, ``1 <= min_len <= max_len``.

    Returns
    -------
    SequencePairs
        ``src`` (N, max_len), ``tgt`` (N, max_len + 1); one :class:`Vocab` of the ten
        digits for both sides.

    Examples
    --------
    >>> data = reversal(2, rng=0, min_len=3, max_len=5)
    >>> data.src.shape, data.tgt.shape
    ((2, 5), (2, 6))
    >>> text = data.src_vocab.to_text
    >>> text(data.src[0]) == text(data.tgt[0])[::-1]
    True
    """
    n = check_positive_int(n, "n")
    min_len = check_positive_int(min_len, "min_len")
    max_len = check_positive_int(max_len, "max_len")
    if max_len < min_len:
        raise ValueError(f"max_len: expected an integer >= min_len = {min_len}, got {max_len}")
    rng = check_rng(rng)
    vocab = Vocab(DIGITS)
    lengths = rng.integers(min_len, max_len + 1, size=n)  # (N,)
    sources = [rng.integers(len(SPECIALS), len(vocab), size=L) for L in lengths]
    targets = [np.append(s[::-1], EOS_ID) for s in sources]
    src, src_lengths = pad_sequences(sources, max_len)  # (N, max_len)
    tgt, tgt_lengths = pad_sequences(targets, max_len + 1)  # (N, max_len + 1)
    return SequencePairs(src, src_lengths, tgt, tgt_lengths, vocab, vocab)
