"""A sequence-to-sequence task: rewrite a date written by a person as an ISO date.

Character by character, a date in one of several human formats becomes ``YYYY-MM-DD``::

    "3 march 2021"                ->  "2021-03-03"
    "march 3, 2021"               ->  "2021-03-03"
    "wednesday, 3 march 2021"     ->  "2021-03-03"
    "the 3rd of mar 2021"         ->  "2021-03-03"
    "03.03.2021"                  ->  "2021-03-03"

The output order differs from the input order (the year moves to the front), the month
name must be mapped to two digits, and the weekday is noise: the alignment that an
attention map should show is visible but not diagonal. Dates are drawn uniformly from
``years``; the calendar is real (``datetime.date``).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence

import numpy as np

from rnnbook.checks import check_choice, check_positive_int, check_rng
from rnnbook.tasks.reversal import EOS_ID, SequencePairs, Vocab, pad_sequences

MONTHS = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


#: Every source format, by name: a function of a ``datetime.date``.
FORMATS: dict[str, Callable[[datetime.date], str]] = {
    "day_month_year": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "month_day_year": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "day_mon_year": lambda d: f"{d.day} {MONTHS[d.month - 1][:3]} {d.year}",
    "weekday": lambda d: f"{WEEKDAYS[d.weekday()]}, {d.day} {MONTHS[d.month - 1]} {d.year}",
    "ordinal": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1][:3]} {d.year}",
    "dotted": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
}

#: Source characters: digits, punctuation and the letters of every word above.
SRC_VOCAB = Vocab(
    tuple(sorted(set("0123456789 ,.") | set("".join(MONTHS + WEEKDAYS)) | set("thendrdof")))
)
#: Target characters: digits and the hyphen.
TGT_VOCAB = Vocab(tuple("0123456789-"))
#: Padded source length: the longest rendering of any date (years have four digits).
SRC_LEN = max(
    len(fmt(datetime.date(2021, 1, 1) + datetime.timedelta(days=k)))
    for fmt in FORMATS.values()
    for k in range(365)
)
TGT_LEN = len("yyyy-mm-dd") + 1  # with <eos>


def dates(
    n: int,
    rng: np.random.Generator | int,
    years: tuple[int, int] = (1950, 2049),
    formats: Sequence[str] | None = None,
) -> SequencePairs:
    """Generate ``n`` dates written in random human formats and their ISO forms.

    Parameters
    ----------
    n : int
        Number of pairs N.
    rng : numpy.random.Generator or int
        Source of randomness, or a seed for one.
    years : (int, int)
        First and last year, inclusive, both in 1000..9999 (four digits).
    formats : sequence of str, optional
        Names from :data:`FORMATS` to draw from uniformly; all of them by default.

    Returns
    -------
    SequencePairs
        Character ids: ``src`` (N, SRC_LEN) over :data:`SRC_VOCAB`, ``tgt`` (N, 11) over
        :data:`TGT_VOCAB` (ten characters and ``<eos>``).

    Examples
    --------
    >>> data = dates(2, rng=0, formats=["day_month_year"])
    >>> [data.src_vocab.to_text(s) for s in data.src]
    ['24 january 2035', '12 september 2013']
    >>> [data.tgt_vocab.to_text(t) for t in data.tgt]
    ['2035-01-24', '2013-09-12']
    """
    n = check_positive_int(n, "n")
    if (
        not isinstance(years, tuple)
        or len(years) != 2
        or not all(isinstance(y, int) and not isinstance(y, bool) for y in years)
    ):
        raise TypeError(f"years: expected a tuple of two ints (first, last), got {years!r}")
    if not 1000 <= years[0] <= years[1] <= 9999:
        raise ValueError(f"years: expected 1000 <= first <= last <= 9999, got {years}")
    if formats is None:
        formats = tuple(FORMATS)
    if isinstance(formats, str) or not isinstance(formats, Sequence) or not formats:
        raise TypeError(f"formats: expected a non-empty sequence of format names, got {formats!r}")
    for name in formats:
        check_choice(name, "formats", FORMATS)
    rng = check_rng(rng)
    first = datetime.date(years[0], 1, 1).toordinal()
    last = datetime.date(years[1], 12, 31).toordinal()
    days = rng.integers(first, last + 1, size=n)  # (N,) proleptic Gregorian ordinals
    chosen = rng.integers(len(formats), size=n)  # (N,)
    sources, targets = [], []
    for day, k in zip(days.tolist(), chosen.tolist(), strict=True):
        date = datetime.date.fromordinal(day)
        sources.append(SRC_VOCAB.encode(FORMATS[formats[k]](date)))
        targets.append(np.append(TGT_VOCAB.encode(date.isoformat()), EOS_ID))
    src, src_lengths = pad_sequences(sources, SRC_LEN)  # (N, SRC_LEN)
    tgt, tgt_lengths = pad_sequences(targets, TGT_LEN)  # (N, 11)
    return SequencePairs(src, src_lengths, tgt, tgt_lengths, SRC_VOCAB, TGT_VOCAB)
