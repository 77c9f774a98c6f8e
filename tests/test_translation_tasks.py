"""The seq2seq tasks (digit reversal, dates), what they share (Vocab, SequencePairs), and BLEU."""

import datetime
import math

import numpy as np
import pytest

from rnnbook.analysis.bleu import corpus_bleu, ngrams
from rnnbook.tasks.dates import FORMATS, SRC_LEN, SRC_VOCAB, TGT_VOCAB, dates
from rnnbook.tasks.reversal import (
    BOS_ID,
    EOS_ID,
    PAD_ID,
    SequencePairs,
    Vocab,
    pad_sequences,
    reversal,
)

# --- Vocab and SequencePairs --------------------------------------------------------------


def test_vocab_round_trip_and_specials():
    vocab = Vocab(("x", "y", "z"))
    assert vocab.tokens == ("<pad>", "<bos>", "<eos>", "x", "y", "z") and len(vocab) == 6
    assert (vocab.pad_id, vocab.bos_id, vocab.eos_id) == (PAD_ID, BOS_ID, EOS_ID) == (0, 1, 2)
    ids = vocab.encode(["z", "x", "y"])
    assert ids.dtype == np.int64 and ids.tolist() == [5, 3, 4]
    assert vocab.decode([BOS_ID, *ids, EOS_ID, 3, PAD_ID]) == ["z", "x", "y"]  # stops at <eos>
    assert vocab.to_text([4, 0, 5], sep="-") == "y-z"  # <pad> dropped
    assert vocab.decode([]) == [] and vocab.decode(np.array([EOS_ID, 3])) == []


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: Vocab(["a"]), TypeError, "symbols: expected a tuple of str"),
        (lambda: Vocab(("a", "a")), ValueError, "symbols: expected distinct symbols"),
        (lambda: Vocab(("a", "<eos>")), ValueError, "symbols: expected distinct symbols"),
        (lambda: Vocab(("a",)).encode("ab"), ValueError, "expected symbols of the vocab.*'b'"),
        (lambda: Vocab(("a",)).decode([4]), ValueError, r"ids: expected ids in \[0, 4\)"),
        (lambda: Vocab(("a",)).decode([1.0]), TypeError, "ids: expected an integer array"),
        (lambda: Vocab(("a",)).decode([[3]]), ValueError, "ids: expected 1 non-empty dim"),
    ],
)
def test_vocab_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_pad_sequences():
    out, lengths = pad_sequences([np.array([5, 6]), np.array([7]), np.array([3, 4, 5])], 4)
    assert out.tolist() == [[5, 6, 0, 0], [7, 0, 0, 0], [3, 4, 5, 0]]
    assert lengths.tolist() == [2, 1, 3] and out.dtype == lengths.dtype == np.int64
    with pytest.raises(ValueError, match="sequences: expected lengths <= 2, got 3"):
        pad_sequences([np.array([3, 4, 5])], 2)


def test_sequence_pairs_checks_its_padding():
    data = reversal(5, rng=0, min_len=2, max_len=4)
    assert len(data.subset([0, 3])) == 2 and data.subset(slice(1, 3)).src.shape == (2, 4)
    bad_src = data.src.copy()
    bad_src[0, data.src_lengths[0] - 1] = PAD_ID  # a hole inside the real part
    with pytest.raises(ValueError, match="src: expected <pad> exactly after each length"):
        SequencePairs(
            bad_src,
            *(
                getattr(data, k)
                for k in ("src_lengths", "tgt", "tgt_lengths", "src_vocab", "tgt_vocab")
            ),
        )
    with pytest.raises(ValueError, match=r"tgt_lengths: expected shape \(5,\) with values in 1..5"):
        SequencePairs(
            data.src,
            data.src_lengths,
            data.tgt,
            data.tgt_lengths + 1,
            data.src_vocab,
            data.tgt_vocab,
        )
    with pytest.raises(ValueError, match=r"tgt: expected ids in \[0, 13\)"):
        SequencePairs(
            data.src,
            data.src_lengths,
            data.tgt + 20,
            data.tgt_lengths,
            data.src_vocab,
            data.tgt_vocab,
        )


# --- reversal -------------------------------------------------------------------------------


def test_reversal_shapes_and_content():
    data = reversal(200, rng=1, min_len=2, max_len=6)
    assert data.src.shape == (200, 6) and data.tgt.shape == (200, 7)
    assert data.src.dtype == data.tgt.dtype == np.int64
    assert set(data.src_lengths.tolist()) == {2, 3, 4, 5, 6}  # every length occurs
    np.testing.assert_array_equal(data.tgt_lengths, data.src_lengths + 1)
    for s, L, t in zip(data.src, data.src_lengths, data.tgt, strict=True):
        np.testing.assert_array_equal(t[:L], s[:L][::-1])
        assert t[L] == EOS_ID and np.all(t[L + 1 :] == PAD_ID) and np.all(s[L:] == PAD_ID)
        assert np.all(s[:L] >= 3)  # digits only, no specials
    text = data.src_vocab.to_text
    assert text(data.tgt[0]) == text(data.src[0])[::-1] and text(data.src[0]).isdigit()


def test_reversal_is_deterministic_under_its_seed():
    a, b, c = reversal(20, rng=5), reversal(20, rng=5), reversal(20, rng=6)
    assert np.array_equal(a.src, b.src) and np.array_equal(a.tgt, b.tgt)
    assert not np.array_equal(a.src, c.src)
    gen = np.random.default_rng(5)
    assert np.array_equal(reversal(20, rng=gen).src, a.src)


def test_reversal_fixed_length():
    data = reversal(4, rng=0, min_len=3, max_len=3)
    assert np.all(data.src_lengths == 3) and np.all(data.src != PAD_ID)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0}, ValueError, "n: expected a positive integer, got 0"),
        ({"min_len": 0}, ValueError, "min_len: expected a positive integer, got 0"),
        ({"max_len": 2.5}, TypeError, "max_len: expected a positive integer, got float"),
        (
            {"min_len": 5, "max_len": 4},
            ValueError,
            "max_len: expected an integer >= min_len = 5, got 4",
        ),
        ({"rng": None}, TypeError, "rng: expected a numpy Generator or an int seed, got NoneType"),
    ],
)
def test_reversal_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        reversal(**({"n": 3, "rng": 0} | kwargs))


# --- dates ----------------------------------------------------------------------------------


def test_dates_are_real_and_correct():
    data = dates(300, rng=2)
    assert data.src.shape == (300, SRC_LEN) and data.tgt.shape == (300, 11)
    assert np.all(data.tgt_lengths == 11)
    seen_formats = set()
    for s, t in zip(data.src, data.tgt, strict=True):
        iso = TGT_VOCAB.to_text(t)
        date = datetime.date.fromisoformat(iso)  # a real calendar date
        assert 1950 <= date.year <= 2049
        matches = [name for name, fmt in FORMATS.items() if fmt(date) == SRC_VOCAB.to_text(s)]
        assert matches, (SRC_VOCAB.to_text(s), iso)
        seen_formats.update(matches)
    assert seen_formats == set(FORMATS)


def test_dates_formats_by_hand():
    day = datetime.date(2021, 3, 3)  # a Wednesday
    rendered = {name: fmt(day) for name, fmt in FORMATS.items()}
    assert rendered == {
        "day_month_year": "3 march 2021",
        "month_day_year": "march 3, 2021",
        "day_mon_year": "3 mar 2021",
        "weekday": "wednesday, 3 march 2021",
        "ordinal": "the 3rd of mar 2021",
        "dotted": "03.03.2021",
    }
    ordinals = [
        FORMATS["ordinal"](datetime.date(2021, 1, d)).split()[1]
        for d in (1, 2, 11, 12, 13, 21, 22, 23, 31)
    ]
    assert ordinals == ["1st", "2nd", "11th", "12th", "13th", "21st", "22nd", "23rd", "31st"]
    assert len("wednesday, 29 september 2021") == SRC_LEN


def test_dates_options_and_determinism():
    data = dates(50, rng=3, years=(2000, 2000), formats=["dotted"])
    texts = [SRC_VOCAB.to_text(s) for s in data.src]
    assert all(t.endswith(".2000") and len(t) == 10 for t in texts)
    a, b = dates(30, rng=4), dates(30, rng=4)
    assert np.array_equal(a.src, b.src) and np.array_equal(a.tgt, b.tgt)
    assert not np.array_equal(a.src, dates(30, rng=5).src)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": -1}, ValueError, "n: expected a positive integer, got -1"),
        ({"years": (2000,)}, TypeError, r"years: expected a tuple of two ints .*got \(2000,\)"),
        ({"years": (2001, 2000)}, ValueError, r"years: expected 1000 <= first <= last <= 9999"),
        ({"years": (999, 2000)}, ValueError, r"years: expected 1000 <= first"),
        ({"formats": []}, TypeError, "formats: expected a non-empty sequence"),
        ({"formats": "dotted"}, TypeError, "formats: expected a non-empty sequence"),
        ({"formats": ["iso"]}, ValueError, r"formats: expected one of \('day_month_year'"),
        ({"rng": 1.0}, TypeError, "rng: expected a numpy Generator or an int seed, got float"),
    ],
)
def test_dates_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        dates(**({"n": 3, "rng": 0} | kwargs))


# --- BLEU, on cases computed by hand --------------------------------------------------------


def test_bleu_of_identical_corpus_is_one():
    corpus = [list("abcdef"), list("the cat"), [3, 4, 5, 6]]
    score = corpus_bleu(corpus, corpus)
    assert score.bleu == 1.0 and score.precisions == (1.0,) * 4 and score.brevity_penalty == 1.0


def test_bleu_with_no_overlap_is_zero():
    score = corpus_bleu([list("abcd")], [list("wxyz")])
    assert score.bleu == 0.0 and score.precisions[0] == 0.0
    assert corpus_bleu([list("abcd")], [list("wxyz")], smooth=True).bleu == 0.0  # p_1 not smoothed


def test_bleu_brevity_penalty():
    ref = list("abcdefgh")  # 8 distinct tokens
    score = corpus_bleu([ref], [ref[:6]])  # every n-gram matches, but 6 < 8
    assert score.precisions == (1.0, 1.0, 1.0, 1.0)
    assert score.brevity_penalty == pytest.approx(math.exp(1 - 8 / 6), rel=1e-15)
    assert score.bleu == pytest.approx(math.exp(-1 / 3), rel=1e-15)
    assert (score.hypothesis_length, score.reference_length) == (6, 8)
    assert corpus_bleu([ref[:6]], [ref]).brevity_penalty == 1.0  # longer: no penalty


def test_bleu_clips_repeated_ngrams():
    # Papineni et al.'s example: "the" occurs twice in the reference, so 2 of 7 count.
    ref = ["the", "cat", "is", "on", "the", "mat"]
    score = corpus_bleu([ref], [["the"] * 7], max_n=1)
    assert score.bleu == pytest.approx(2 / 7, rel=1e-15)


def test_bleu_by_hand_with_bigrams():
    # Unigrams a b c d all match (4/4); bigrams ab bc cd vs ab bd dc ce: 1/3; c = 4 < r = 5.
    score = corpus_bleu([list("abdce")], [list("abcd")], max_n=2)
    assert score.precisions == (1.0, pytest.approx(1 / 3, rel=1e-15))
    assert score.bleu == pytest.approx(math.exp(1 - 5 / 4) * math.sqrt(1 / 3), rel=1e-14)


def test_bleu_smoothing():
    # Bigrams ab bc vs ac cb: none match. Unsmoothed 0; smoothed p_2 = (0 + 1) / (2 + 1).
    assert corpus_bleu([list("acb")], [list("abc")], max_n=2).bleu == 0.0
    score = corpus_bleu([list("acb")], [list("abc")], max_n=2, smooth=True)
    assert score.bleu == pytest.approx(math.sqrt(1 / 3), rel=1e-14)


def test_bleu_pools_counts_over_the_corpus():
    # Pair 1 is perfect; pair 2 matches x and z only. Corpus p_1 = 6/8, p_2 = 3/6,
    # so BLEU-2 = sqrt(0.375), not the mean of the sentence scores (1 + 0) / 2.
    refs, hyps = [list("abcd"), list("xqzr")], [list("abcd"), list("xyzw")]
    score = corpus_bleu(refs, hyps, max_n=2)
    assert score.precisions == (0.75, 0.5)
    assert score.bleu == pytest.approx(math.sqrt(0.375), rel=1e-14)


def test_bleu_takes_token_id_arrays():
    data = reversal(20, rng=0)
    refs = [data.tgt_vocab.decode(t) for t in data.tgt]
    assert corpus_bleu(refs, [np.array(list(r)) for r in refs]).bleu == 1.0
    assert ngrams([1, 2, 1, 2], 2) == {(1, 2): 2, (2, 1): 1}


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (([["a"]], [["a"], ["b"]]), {}, ValueError, "expected the same non-zero number"),
        (([], []), {}, ValueError, "expected the same non-zero number of sequences, got 0 and 0"),
        (([["a"]], "a"), {}, TypeError, "hypotheses: expected a sequence of token sequences"),
        (([["a"]], [3]), {}, TypeError, r"hypotheses\[0\]: expected a sequence of tokens"),
        (([["a"]], [["a"]]), {"max_n": 0}, ValueError, "max_n: expected a positive integer"),
        (([["a"]], [["a"]]), {"smooth": 1}, TypeError, "smooth: expected a bool, got int"),
    ],
)
def test_bleu_bad_arguments(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        corpus_bleu(*args, **kwargs)
