"""rnnbook.training.seq2seq_experiments: training runs, decoding with and without the mask,
free-running and teacher-forced accuracy, per-length averages, the toy bigram decoder."""

import numpy as np
import pytest
import torch

from rnnbook.models.decoding import DecodeResult, beam_search, greedy_decode
from rnnbook.models.seq2seq import Seq2Seq, seq2seq_tensors
from rnnbook.tasks.reversal import reversal
from rnnbook.training.seq2seq_experiments import (
    Seq2SeqRun,
    bigram_step,
    build_model,
    by_length,
    decode,
    free_running_accuracy,
    length_profile,
    reference_log_probs,
    references,
    reversal_trial,
    teacher_forced_accuracy,
    train_seq2seq,
)

TINY = Seq2SeqRun(min_len=2, max_len=4, n_train=40, embed_size=4, hidden_size=8, steps=2)


def test_training_is_deterministic_and_leaves_eval_mode():
    m1, h1 = train_seq2seq(TINY, 0, 100)
    m2, h2 = train_seq2seq(TINY, 0, 100)
    m3, _ = train_seq2seq(TINY, 0, 101)
    assert not m1.training and h1.steps == 2 and h1.loss == h2.loss
    for (n, p), (_, q) in zip(m1.named_parameters(), m2.named_parameters(), strict=True):
        assert torch.equal(p, q), n
    pairs = zip(m1.parameters(), m3.parameters(), strict=True)
    assert any(not torch.equal(p, r) for p, r in pairs)


def test_build_model_sizes_and_dates_task():
    model = build_model(Seq2SeqRun(task="dates", attention="general", hidden_size=8), 0)
    data = Seq2SeqRun(task="dates").data(3, 0)
    assert model.src_vocab_size == len(data.src_vocab) and model.tgt_vocab_size == 14
    assert model.attention_kind == "general"
    additive = build_model(Seq2SeqRun(hidden_size=8, attention_size=5), 0)
    assert additive.attention.hidden_size == 5


def test_run_checks_its_arguments():
    with pytest.raises(ValueError, match="attention"):
        Seq2SeqRun(attention="cosine")
    with pytest.raises(ValueError, match="task"):
        Seq2SeqRun(task="sorting")
    with pytest.raises(TypeError, match="expected a Seq2SeqRun"):
        train_seq2seq({"steps": 1}, 0, 100)


def test_data_lengths_can_go_beyond_training():
    data = TINY.data(50, 3, max_len=9)
    assert data.src_lengths.min() >= 2 and data.src_lengths.max() <= 9
    assert data.src.shape[1] == 9


def test_free_running_accuracy_counts_positions():
    data = reversal(3, rng=0, min_len=4, max_len=4)
    refs = references(data)
    outs = [refs[0], refs[1][:2], np.concatenate([refs[2], [5]])]  # exact, short, long
    result = DecodeResult(outs, np.zeros(3), np.array([True, True, False]))
    acc = free_running_accuracy(data, result)
    np.testing.assert_allclose(acc.token, [1.0, 0.5, 1.0])
    assert acc.exact.tolist() == [True, False, False]
    assert acc.lengths.tolist() == [4, 2, -1]
    with pytest.raises(ValueError, match="expected 3 outputs, got 1"):
        free_running_accuracy(data, DecodeResult(outs[:1], np.zeros(1), np.ones(1, bool)))


def test_decode_masked_equals_translate_and_unmasked_differs():
    torch.manual_seed(0)
    model = Seq2Seq(13, 13, 4, 8, attention="dot").eval()
    data = reversal(6, rng=1, min_len=2, max_len=7)
    (src, lengths, _), _ = seq2seq_tensors(data)
    ours = decode(model, data, max_len=5)
    theirs = model.translate(src, lengths, 5)
    assert all(np.array_equal(a, b) for a, b in zip(ours.tokens, theirs.tokens, strict=True))
    unmasked = decode(model, data, masked=False, max_len=5)
    assert not np.allclose(unmasked.log_probs, ours.log_probs)
    beam = decode(model, data, beam_size=2, masked=False, max_len=5)
    assert len(beam.tokens) == 6
    with pytest.raises(TypeError, match="expected a Seq2Seq"):
        decode(object(), data)


def test_teacher_forced_accuracy_and_reference_log_probs_by_hand():
    torch.manual_seed(0)
    model = Seq2Seq(13, 13, 4, 8, attention="additive").double()
    data = reversal(4, rng=2, min_len=2, max_len=5)
    (src, lengths, tgt_in), tgt = seq2seq_tensors(data)
    with torch.no_grad():
        log_p = model(src, lengths, tgt_in).logits.log_softmax(-1)
    acc = teacher_forced_accuracy(model, data)
    ref = reference_log_probs(model, data)
    for b in range(4):
        n = int(data.tgt_lengths[b])
        picks = log_p[b, :n].argmax(-1)[: n - 1]
        assert acc[b] == pytest.approx(float((picks == tgt[b, : n - 1]).double().mean()))
        lp = sum(float(log_p[b, t, tgt[b, t]]) for t in range(n))  # <eos> included
        assert ref[b] == pytest.approx(lp, rel=1e-12)


def test_by_length_and_profile():
    assert by_length(np.array([1.0, 0.0, 1.0]), np.array([5, 5, 3])) == {3: 1.0, 5: 0.5}
    with pytest.raises(ValueError, match="two"):
        by_length(np.zeros(3), np.zeros(2))
    torch.manual_seed(0)
    model = Seq2Seq(13, 13, 4, 8, attention="dot").eval()
    data = reversal(20, rng=0, min_len=2, max_len=4)
    profile = length_profile(model, data)
    assert set(profile) == {"token", "exact", "teacher_forced"}
    assert set(profile["token"]) == {2, 3, 4}


def test_reversal_trial_record():
    record = reversal_trial(TINY, 0, 100, test_max_len=6, n_test=30)
    assert record["value"] == record["token"][4]
    assert set(record["token"]) <= set(range(2, 7))
    assert isinstance(record["model"], Seq2Seq) and record["history"].steps == 2


def test_bigram_step_beam_beats_greedy():
    probs = np.zeros((5, 5))
    probs[1, 3], probs[1, 4] = 0.6, 0.4
    probs[3, [2, 3, 4]] = 0.4, 0.3, 0.3
    probs[4, [2, 3]] = 0.95, 0.05
    probs[[0, 2], 2] = 1.0
    step = bigram_step(probs)
    greedy = greedy_decode(step, np.zeros(1), 1, 2, 5)
    beam = beam_search(step, np.zeros(1), 1, 2, 5, beam_size=2)
    assert greedy.tokens[0].tolist() == [3] and beam.tokens[0].tolist() == [4]
    assert np.exp(greedy.log_probs[0]) == pytest.approx(0.24)
    assert np.exp(beam.log_probs[0]) == pytest.approx(0.38)
    with pytest.raises(ValueError, match="rows summing to 1"):
        bigram_step(np.ones((2, 2)))
    with pytest.raises(ValueError, match=r"\(V, V\)"):
        bigram_step(np.ones((2, 3)) / 3)
