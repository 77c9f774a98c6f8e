"""The five input-output shapes: output shapes, errors, and each reaches its target fast."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from rnnbook.analysis.baselines import bag_of_words
from rnnbook.models.io_shapes import (
    EncoderDecoder,
    ManyToManyAligned,
    ManyToOne,
    OneToMany,
    OneToOne,
)
from rnnbook.scratch.one_hot import one_hot
from rnnbook.tasks.negation import BAG_OF_WORDS_CEILING, negation, negation_vocabulary
from rnnbook.tasks.number_words import BOS, PAD, SOURCE_VOCAB, TARGET_VOCAB, number_words
from rnnbook.tasks.tagging import TAGS, VOCAB, ambiguous_mask, tagging
from rnnbook.tasks.waveform import waveform
from rnnbook.training import TrainConfig, fit


@pytest.fixture(autouse=True)
def _one_thread():
    # Tiny models run fastest on one thread; more threads only add contention.
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def _batches(x, y, batch_size, seed=0):
    gen = np.random.default_rng(seed)

    def get_batch(step):
        idx = torch.as_tensor(gen.integers(0, len(x), batch_size))
        return x[idx], y[idx]

    return get_batch


def _tensors(data):
    return torch.as_tensor(data.x), torch.as_tensor(data.y)


def _decoder_input(y):
    return torch.cat([torch.full((len(y), 1), BOS), y[:, :-1]], dim=1)  # (B, T_tgt)


# --- shapes ---------------------------------------------------------------------------


@pytest.mark.parametrize("cell", ["rnn", "gru"])
def test_output_shapes(cell):
    torch.manual_seed(0)
    B, T, D, V = 3, 5, 2, 4
    assert OneToOne(D, 8, V)(torch.randn(B, D)).shape == (B, V)
    assert OneToOne(D, 8, V)(torch.randn(B, T, D)).shape == (B, T, V)  # per step
    assert OneToMany(D, 8, V, T=T, cell=cell)(torch.randn(B, D)).shape == (B, T, V)
    tokens = torch.randint(0, 7, (B, T))
    assert ManyToOne(7, 4, 8, V, cell=cell)(tokens).shape == (B, V)
    assert ManyToManyAligned(7, 4, 8, V, cell=cell)(tokens).shape == (B, T, V)
    model = EncoderDecoder(7, 9, 4, 8, cell=cell)
    tgt_in = torch.randint(0, 9, (B, 2))
    assert model(tokens, tgt_in).shape == (B, 2, 9)  # T_tgt != T_src
    assert model.generate(tokens, bos=0, steps=6).shape == (B, 6)


def test_many_to_many_aligned_is_causal():
    torch.manual_seed(0)
    model = ManyToManyAligned(7, 4, 8, 3)
    x = torch.randint(0, 7, (2, 6))
    full = model(x)  # (B, T, V)
    for t in range(1, 7):
        torch.testing.assert_close(model(x[:, :t]), full[:, :t])


def test_many_to_one_reads_the_last_state_of_the_same_recurrence():
    torch.manual_seed(0)
    many_to_one = ManyToOne(7, 4, 8, 3)
    aligned = ManyToManyAligned(7, 4, 8, 3)
    aligned.load_state_dict(many_to_one.state_dict())
    x = torch.randint(0, 7, (2, 6))
    torch.testing.assert_close(many_to_one(x), aligned(x)[:, -1])


def test_greedy_generate_matches_teacher_forcing_on_its_own_output():
    torch.manual_seed(0)
    model = EncoderDecoder(7, 9, 4, 8)
    src = torch.randint(0, 7, (3, 4))
    out = model.generate(src, bos=8, steps=5)  # (B, 5)
    tgt_in = torch.cat([torch.full((3, 1), 8), out[:, :-1]], dim=1)
    torch.testing.assert_close(model(src, tgt_in).argmax(-1), out)


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: ManyToOne(5, 4, 8, 2)(torch.zeros(2, 3)), TypeError, "x: expected int64 token"),
        (
            lambda: ManyToOne(5, 4, 8, 2)(torch.full((2, 3), 5)),
            ValueError,
            r"x: expected ids in \[0, 5\), got values in \[5, 5\]",
        ),
        (
            lambda: ManyToManyAligned(5, 4, 8, 2)(torch.zeros(2, 3, 1, dtype=torch.int64)),
            ValueError,
            r"x: expected 2 non-empty dimensions, got shape \(2, 3, 1\)",
        ),
        (lambda: ManyToOne(5, 4, 8, 2)([[1, 2]]), TypeError, "x: expected a torch.Tensor, got"),
        (
            lambda: OneToMany(2, 8, 1, T=4)(torch.zeros(3, 5)),
            ValueError,
            r"x: expected at least 2 dimensions ending in D=2, got shape \(3, 5\)",
        ),
        (
            lambda: OneToOne(2, 8, 1)(torch.zeros(3, 2, dtype=torch.int64)),
            TypeError,
            "x: expected a floating-point tensor, got dtype torch.int64",
        ),
        (lambda: OneToMany(2, 8, 1, T=0), ValueError, "T: expected a positive integer, got 0"),
        (lambda: ManyToOne(5, 4, 8, 2, cell="lstm"), ValueError, "cell: expected one of"),
        (lambda: OneToOne(0, 8, 1), ValueError, "input_size: expected a positive integer"),
        (
            lambda: EncoderDecoder(5, 6, 4, 8)(
                torch.zeros(2, 3, dtype=torch.int64), torch.zeros(3, 2, dtype=torch.int64)
            ),
            ValueError,
            "tgt_in: expected batch size 2 like src, got 3",
        ),
        (
            lambda: EncoderDecoder(5, 6, 4, 8).generate(torch.zeros(2, 3, dtype=torch.int64), 6, 3),
            ValueError,
            r"bos: expected a token id in \[0, 6\), got 6",
        ),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()


# --- each shape learns its task on a tiny budget --------------------------------------


def test_one_to_many_draws_the_wave():
    torch.manual_seed(0)
    train, test = waveform(256, 16, rng=1), waveform(128, 16, rng=2)
    (x, y), (x_test, y_test) = _tensors(train), _tensors(test)
    model = OneToMany(1, 24, 1, T=16)
    fit(
        model,
        _batches(x, y, 64),
        lambda m, xb, yb: F.mse_loss(m(xb)[..., 0], yb),
        TrainConfig(steps=300, lr=1e-2),
    )
    with torch.no_grad():
        mse = F.mse_loss(model(x_test)[..., 0], y_test).item()
    assert mse < 0.1 * test.baseline


def test_many_to_one_solves_negation_and_bag_of_words_cannot():
    vocab_size = len(negation_vocabulary())
    train, test = negation(1500, 7, rng=1), negation(600, 7, rng=2)
    (x, y), (x_test, y_test) = _tensors(train), _tensors(test)
    torch.manual_seed(0)
    rnn = ManyToOne(vocab_size, 8, 16, 2)
    fit(rnn, _batches(x, y, 64), lambda m, xb, yb: F.cross_entropy(m(xb), yb), TrainConfig(300))
    bow = torch.as_tensor(bag_of_words(one_hot(train.x, vocab_size)), dtype=torch.float32)
    bow_test = torch.as_tensor(bag_of_words(one_hot(test.x, vocab_size)), dtype=torch.float32)
    mlp = OneToOne(vocab_size, 32, 2)
    fit(mlp, _batches(bow, y, 64), lambda m, xb, yb: F.cross_entropy(m(xb), yb), TrainConfig(300))
    with torch.no_grad():
        rnn_acc = (rnn(x_test).argmax(-1) == y_test).float().mean().item()
        bow_acc = (mlp(bow_test).argmax(-1) == y_test).float().mean().item()
    assert rnn_acc > 0.95
    assert bow_acc < BAG_OF_WORDS_CEILING + 0.05
    assert bow_acc > test.baseline + 0.1  # it does learn what it can


def test_many_to_many_aligned_tags_and_per_token_baseline_cannot():
    train, test = tagging(600, 10, rng=1), tagging(300, 10, rng=2)
    (x, y), (x_test, y_test) = _tensors(train), _tensors(test)
    amb = torch.as_tensor(ambiguous_mask(test.x))
    torch.manual_seed(0)
    rnn = ManyToManyAligned(len(VOCAB), 8, 16, len(TAGS))
    loss = lambda m, xb, yb: F.cross_entropy(m(xb).transpose(1, 2), yb)  # noqa: E731
    fit(rnn, _batches(x, y, 32), loss, TrainConfig(150))
    one_hot_x = torch.as_tensor(one_hot(train.x, len(VOCAB)), dtype=torch.float32)
    one_hot_test = torch.as_tensor(one_hot(test.x, len(VOCAB)), dtype=torch.float32)
    ff = OneToOne(len(VOCAB), 16, len(TAGS))
    fit(ff, _batches(one_hot_x, y, 32), loss, TrainConfig(150))
    with torch.no_grad():
        rnn_ok = rnn(x_test).argmax(-1) == y_test
        ff_ok = ff(one_hot_test).argmax(-1) == y_test
    assert rnn_ok.float().mean().item() > 0.99
    assert ff_ok.float().mean().item() <= test.baseline + 0.01
    assert ff_ok[amb].float().mean().item() < 0.7 < rnn_ok[amb].float().mean().item()


def test_encoder_decoder_translates_held_out_numbers():
    data = number_words(1000, rng=1)
    x, y = _tensors(data)
    x_train, y_train, x_test, y_test = x[:800], y[:800], x[800:], y[800:]
    torch.manual_seed(0)
    model = EncoderDecoder(len(SOURCE_VOCAB), len(TARGET_VOCAB), 16, 64)
    fit(
        model,
        _batches(x_train, y_train, 64),
        lambda m, xb, yb: F.cross_entropy(
            m(xb, _decoder_input(yb)).transpose(1, 2), yb, ignore_index=PAD
        ),
        TrainConfig(steps=400),
    )
    out = model.generate(x_test, bos=BOS, steps=y_test.shape[1])
    exact = ((out == y_test) | (y_test == PAD)).all(dim=1).float().mean().item()
    assert exact > 0.85
