"""Tests for rnnbook.analysis.language_model: streams, probes, perplexity, counts."""

import numpy as np
import pytest
import torch

from rnnbook.analysis.grammar_oracle import LEXICON
from rnnbook.analysis.language_model import (
    bits_per_char,
    grammar_streams,
    next_char_probs,
    perplexity,
    rnn_num_parameters,
    rnn_step_multiply_adds,
    to_streams,
    warm_state,
)
from rnnbook.scratch.char_lm import CharLM
from rnnbook.text import CharVocab, softmax_with_temperature


def test_to_streams_reads_each_piece_in_order_with_next_char_targets():
    ids = np.arange(23)
    x, y = to_streams(ids, 4)
    assert x.shape == y.shape == (4, 5)
    np.testing.assert_array_equal(y, x + 1)
    np.testing.assert_array_equal(x[1], np.arange(5, 10))  # stream 1 is the second piece


def test_to_streams_rejects_bad_input():
    with pytest.raises(ValueError, match="at least"):
        to_streams(np.arange(3), 3)
    with pytest.raises(TypeError):
        to_streams(np.arange(5.0), 2)
    with pytest.raises(TypeError):
        to_streams(np.arange(5), 2.0)


def test_grammar_streams_are_seeded_and_shaped():
    vocab = CharVocab(" ".join(sorted(LEXICON)) + ".")
    a = grammar_streams(vocab, 3, 2000, 500, 4)
    b = grammar_streams(vocab, 3, 2000, 500, 4)
    c = grammar_streams(vocab, 4, 2000, 500, 4)
    assert a.inputs.shape[0] == 4 and a.val_inputs.shape[0] == 4
    assert (a.inputs == b.inputs).all() and a.val_text == b.val_text
    assert not (a.inputs[:, :50] == c.inputs[:, :50]).all()
    assert vocab.decode(a.val_inputs[0, :20]) == a.val_text[:20]
    with pytest.raises(ValueError):
        grammar_streams(vocab, -1, 2000, 500, 4)


def test_warm_state_and_next_char_probs():
    vocab = CharVocab("abc")
    model = CharLM(len(vocab), 5, rng=0)
    h = warm_state(model, vocab.encode("abcab"))
    assert h.shape == (1, 1, 5)
    p = next_char_probs(model, vocab, "c", h0=h)
    assert p.shape == (3,) and abs(p.sum() - 1) < 1e-12
    # warm start = reading the warm-up text and the context in one go
    logits, _ = model.forward(vocab.encode("abcabc")[None])
    np.testing.assert_allclose(p, softmax_with_temperature(logits[0, -1]), atol=1e-12)


def test_perplexity_and_bits_per_char():
    assert perplexity(0.0) == 1.0
    assert abs(perplexity(np.log(27)) - 27) < 1e-9
    assert abs(bits_per_char(np.log(8.0)) - 3.0) < 1e-12
    with pytest.raises(ValueError):
        perplexity(-1.0)


@pytest.mark.parametrize("D, H", [(1, 1), (27, 64), (5, 3)])
def test_rnn_num_parameters_matches_torch(D, H):
    layer = torch.nn.RNN(D, H)
    assert rnn_num_parameters(D, H) == sum(p.numel() for p in layer.parameters())
    layer = torch.nn.RNN(D, H, bias=False)
    assert rnn_num_parameters(D, H, bias=False) == sum(p.numel() for p in layer.parameters())
    assert rnn_step_multiply_adds(D, H) == H * D + H * H
