"""rnnbook.models.decoding on hand-made next-token tables, where the right answer is known."""

import numpy as np
import pytest
import torch

from rnnbook.models.decoding import beam_search, greedy_decode, index_state
from rnnbook.models.seq2seq import Seq2Seq, seq2seq_tensors
from rnnbook.tasks.reversal import reversal

PAD, BOS, EOS, A, B, C = range(6)
V = 6


class Bigram:
    """A "model" whose next-token distribution depends on the previous token only.

    The state is a step counter per row, so that beam search has something to reorder.
    Rows not given (such as the one after <eos>, which greedy decoding feeds to finished
    sequences) are uniform.
    """

    def __init__(self, rows):
        self.table = np.full((V, V), 1 / V)
        for prev, dist in rows.items():
            self.table[prev] = 0.0
            for token, p in dist.items():
                self.table[prev, token] = p
        assert np.allclose(self.table[list(rows)].sum(axis=1), 1.0)
        self.calls = 0

    def step(self, state, prev_tokens):
        self.calls += 1
        with np.errstate(divide="ignore"):
            return np.log(self.table[prev_tokens]), state + 1  # (B, V), (B,)


def random_bigram(seed):
    rng = np.random.default_rng(seed)
    rows = {}
    for prev in (BOS, A, B, C):
        p = rng.dirichlet(np.ones(V - 2))  # over EOS, A, B, C
        rows[prev] = dict(zip((EOS, A, B, C), p, strict=True))
    return Bigram(rows)


def start(batch_size):
    return np.zeros(batch_size, dtype=np.int64)


def test_beam_search_finds_a_more_probable_sequence_than_greedy():
    model = Bigram(
        {
            BOS: {A: 0.6, B: 0.4},
            A: {EOS: 0.4, B: 0.3, C: 0.3},
            B: {EOS: 0.95, C: 0.05},
            C: {EOS: 1.0},
        }
    )
    greedy = greedy_decode(model.step, start(1), BOS, EOS, max_len=5)
    assert greedy.tokens[0].tolist() == [A] and greedy.finished[0]
    np.testing.assert_allclose(greedy.log_probs[0], np.log(0.6 * 0.4), rtol=1e-14)
    beam = beam_search(model.step, start(1), BOS, EOS, max_len=5, beam_size=2)
    assert beam.tokens[0].tolist() == [B] and beam.finished[0]
    np.testing.assert_allclose(beam.log_probs[0], np.log(0.4 * 0.95), rtol=1e-14)
    assert beam.log_probs[0] > greedy.log_probs[0]


def test_without_length_normalisation_short_outputs_win():
    # Stopping at once: p = 0.4. Writing "A B C": p = 0.6 * 0.8 * 0.8 * 0.8 = 0.3072.
    model = Bigram(
        {
            BOS: {EOS: 0.4, A: 0.6},
            A: {B: 0.8, EOS: 0.2},
            B: {C: 0.8, EOS: 0.2},
            C: {EOS: 0.8, A: 0.2},
        }
    )
    plain = beam_search(model.step, start(1), BOS, EOS, max_len=8, beam_size=2, alpha=0.0)
    assert plain.tokens[0].tolist() == [] and plain.finished[0]
    np.testing.assert_allclose(plain.log_probs[0], np.log(0.4), rtol=1e-14)
    # Per token, the long output is better: log(0.3072) / 4 > log(0.4) / 1.
    normalised = beam_search(model.step, start(1), BOS, EOS, max_len=8, beam_size=2, alpha=1.0)
    assert normalised.tokens[0].tolist() == [A, B, C] and normalised.finished[0]
    np.testing.assert_allclose(normalised.log_probs[0], np.log(0.6 * 0.8**3), rtol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_beam_of_one_is_greedy(seed):
    model = random_bigram(seed)
    greedy = greedy_decode(model.step, start(4), BOS, EOS, max_len=7)
    beam = beam_search(model.step, start(4), BOS, EOS, max_len=7, beam_size=1, alpha=0.7)
    for g, b in zip(greedy.tokens, beam.tokens, strict=True):
        assert np.array_equal(g, b)
    assert np.array_equal(greedy.log_probs, beam.log_probs)
    assert np.array_equal(greedy.finished, beam.finished)


def test_beam_of_one_is_greedy_for_the_seq2seq_model():
    torch.manual_seed(0)
    model = Seq2Seq(13, 13, 8, 16, attention="additive").double().eval()
    data = reversal(6, rng=0, min_len=2, max_len=5)
    (src, lengths, _), _ = seq2seq_tensors(data)
    state = model.encode(src, lengths)
    greedy = greedy_decode(model.step, state, model.bos_id, model.eos_id, max_len=6)
    beam = beam_search(model.step, state, model.bos_id, model.eos_id, max_len=6, beam_size=1)
    for g, b in zip(greedy.tokens, beam.tokens, strict=True):
        assert np.array_equal(g, b)
    np.testing.assert_allclose(beam.log_probs, greedy.log_probs, rtol=1e-9)
    wider = beam_search(model.step, state, model.bos_id, model.eos_id, max_len=6, beam_size=4)
    assert np.all(wider.log_probs >= greedy.log_probs - 1e-9)  # never worse at alpha = 0


@pytest.mark.parametrize("seed", range(3))
def test_wider_beams_never_score_worse_here(seed):
    model = random_bigram(10 + seed)
    scores = [
        beam_search(model.step, start(1), BOS, EOS, max_len=6, beam_size=k).log_probs[0]
        for k in (1, 2, 4, 8)
    ]
    assert scores[-1] >= scores[0]


def test_eos_stops_a_hypothesis():
    model = Bigram({BOS: {A: 0.7, B: 0.3}, A: {EOS: 0.9, A: 0.1}, B: {B: 0.8, EOS: 0.2}})
    result = greedy_decode(model.step, start(1), BOS, EOS, max_len=10)
    assert result.tokens[0].tolist() == [A] and result.finished[0]
    assert model.calls == 2  # nothing is computed after <eos>
    np.testing.assert_allclose(result.log_probs[0], np.log(0.7 * 0.9), rtol=1e-14)


def test_finished_rows_stop_accumulating_in_a_batch():
    short = Bigram({BOS: {A: 1.0}, A: {EOS: 0.9, A: 0.1}})
    long = Bigram({BOS: {B: 1.0}, B: {C: 1.0}, C: {EOS: 0.7, A: 0.3}, A: {EOS: 1.0}})
    tables = np.stack([short.table, long.table])  # the state says which table a row uses

    def step(state, prev):
        with np.errstate(divide="ignore"):
            return np.log(tables[state, prev]), state

    result = greedy_decode(step, np.array([0, 1]), BOS, EOS, max_len=10)
    assert [t.tolist() for t in result.tokens] == [[A], [B, C]]
    assert result.finished.tolist() == [True, True]
    np.testing.assert_allclose(result.log_probs, np.log([0.9, 0.7]), rtol=1e-14)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_max_len_is_respected(beam_size):
    model = Bigram({BOS: {A: 0.6, B: 0.4}, A: {A: 1.0}, B: {B: 1.0}})  # never <eos>
    for decode in (greedy_decode, beam_search):
        kwargs = {"beam_size": beam_size} if decode is beam_search else {}
        result = decode(model.step, start(2), BOS, EOS, max_len=5, **kwargs)
        assert [t.tolist() for t in result.tokens] == [[A] * 5, [A] * 5]
        assert not result.finished.any()
        np.testing.assert_allclose(result.log_probs, np.log(0.6), rtol=1e-14)


def test_beam_search_treats_each_row_on_its_own():
    model = random_bigram(20)
    state = np.array([0, 3, 1], dtype=np.int64)
    together = beam_search(model.step, state, BOS, EOS, max_len=6, beam_size=3, alpha=0.5)
    for b in range(3):
        alone = beam_search(model.step, state[b : b + 1], BOS, EOS, 6, beam_size=3, alpha=0.5)
        assert np.array_equal(alone.tokens[0], together.tokens[b])
        assert alone.log_probs[0] == together.log_probs[b]


def test_index_state_on_nested_states():
    state = {
        "h": (np.arange(6).reshape(3, 2), torch.arange(3)),
        "keys": [torch.zeros(3, 4, 5)],
        "none": None,
    }
    picked = index_state(state, np.array([2, 2, 0]))
    assert picked["h"][0].tolist() == [[4, 5], [4, 5], [0, 1]]
    assert picked["h"][1].tolist() == [2, 2, 0] and picked["keys"][0].shape == (3, 4, 5)
    assert picked["none"] is None
    with pytest.raises(TypeError, match=r"state: expected ndarrays or tensors.*got int"):
        index_state((np.zeros(2), 3), np.array([0]))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"max_len": 0}, ValueError, "max_len: expected a positive integer, got 0"),
        ({"beam_size": 0}, ValueError, "beam_size: expected a positive integer, got 0"),
        ({"alpha": -0.5}, ValueError, r"alpha: expected a finite number >= 0, got -0.5"),
        ({"bos_id": 1.0}, TypeError, "bos_id: expected a non-negative int token id, got 1.0"),
        ({"eos_id": -2}, ValueError, "eos_id: expected a non-negative int token id, got -2"),
        (
            {"eos_id": 6},
            ValueError,
            r"step: expected .* shape \(1, V\) with V > eos_id = 6, got \(1, 6\)",
        ),
        ({"state": np.float64(0.0)}, TypeError, "state: expected arrays with a batch axis"),
        ({"state": (np.zeros(2), np.zeros(3))}, ValueError, "state: expected one batch size"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    model = Bigram({BOS: {A: 1.0}, A: {EOS: 1.0}})
    arguments = {"state": start(2), "bos_id": BOS, "eos_id": EOS, "max_len": 3} | kwargs
    with pytest.raises(error, match=message):
        beam_search(model.step, **arguments)


def test_step_must_return_log_probabilities():
    def logits_step(state, prev):
        return np.ones((len(prev), V)), state

    with pytest.raises(ValueError, match=r"step: expected log-probabilities .*log-sum-exp"):
        greedy_decode(logits_step, start(2), BOS, EOS, max_len=3)
