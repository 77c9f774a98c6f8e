"""rnnbook.models.seq2seq: the attention encoder-decoder, its padding, its loss and its batches."""

import numpy as np
import pytest
import torch

from rnnbook.models.decoding import DecodeResult
from rnnbook.models.seq2seq import (
    ATTENTION,
    Seq2Seq,
    seq2seq_batches,
    seq2seq_loss,
    seq2seq_tensors,
    sequence_loss,
    teacher_forcing_input,
)
from rnnbook.tasks.reversal import BOS_ID, EOS_ID, PAD_ID, reversal

V_SRC, V_TGT = 13, 13


def make_model(attention="additive", seed=0, **kwargs):
    torch.manual_seed(seed)
    return Seq2Seq(V_SRC, V_TGT, 8, 16, attention=attention, **kwargs).double()


def batch(seed=0, n=4, min_len=2, max_len=6):
    data = reversal(n, rng=seed, min_len=min_len, max_len=max_len)
    return data, *seq2seq_tensors(data)


# --- the loss -------------------------------------------------------------------------------


def test_sequence_loss_ignores_padding_and_averages_real_tokens():
    gen = torch.Generator().manual_seed(0)
    logits = torch.randn(3, 5, 7, generator=gen, dtype=torch.float64)
    targets = torch.tensor([[3, 4, 2, 0, 0], [5, 2, 0, 0, 0], [6, 6, 6, 6, 2]])
    loss = sequence_loss(logits, targets, pad_id=0)

    changed = logits.clone()
    changed[targets == 0] = 100 * torch.randn(int((targets == 0).sum()), 7, dtype=torch.float64)
    assert sequence_loss(changed, targets, pad_id=0) == loss  # padded logits do not matter

    log_p = np.log(np.exp(logits.numpy()) / np.exp(logits.numpy()).sum(-1, keepdims=True))
    real = targets.numpy() != 0
    per_token = -np.take_along_axis(log_p, targets.numpy()[..., None], axis=-1)[..., 0]
    assert real.sum() == 10
    np.testing.assert_allclose(loss.item(), per_token[real].sum() / 10, rtol=1e-12)
    assert abs(loss.item() - per_token.mean()) > 1e-3  # averaging over all 15 would differ


def test_sequence_loss_bad_arguments():
    logits, targets = torch.zeros(2, 3, 4), torch.ones(2, 3, dtype=torch.int64)
    with pytest.raises(ValueError, match=r"logits: expected shape \(B, T, V\), got \(3, 4\)"):
        sequence_loss(logits[0], targets, 0)
    with pytest.raises(TypeError, match="logits: expected a floating-point tensor, got ndarray"):
        sequence_loss(logits.numpy(), targets, 0)
    with pytest.raises(TypeError, match=r"targets: expected an int64 tensor, got torch\.float32"):
        sequence_loss(logits, targets.float(), 0)
    with pytest.raises(ValueError, match=r"targets: expected shape \(2, 3\), got \(2, 2\)"):
        sequence_loss(logits, targets[:, :2], 0)
    with pytest.raises(ValueError, match="targets: expected at least one non-padding token"):
        sequence_loss(logits, torch.zeros(2, 3, dtype=torch.int64), 0)


def test_teacher_forcing_input():
    tgt = torch.tensor([[5, 6, 2, 0], [7, 2, 0, 0]])
    assert teacher_forcing_input(tgt, BOS_ID).tolist() == [[1, 5, 6, 2], [1, 7, 2, 0]]


# --- the model ------------------------------------------------------------------------------


@pytest.mark.parametrize("attention", ATTENTION)
def test_shapes_and_attention_weights(attention):
    model = make_model(attention)
    data, (src, lengths, tgt_in), tgt = batch()
    out = model(src, lengths, tgt_in)
    B, T_src = src.shape
    assert out.logits.shape == (B, tgt.shape[1], V_TGT)
    if attention == "none":
        assert out.attention is None
        return
    assert out.attention.shape == (B, tgt.shape[1], T_src)
    np.testing.assert_allclose(out.attention.sum(-1).detach().numpy(), 1.0, atol=1e-12)
    padded = torch.arange(T_src)[None, None, :] >= lengths[:, None, None]  # (B, 1, T_src)
    assert torch.all(out.attention.masked_select(padded) == 0)


@pytest.mark.parametrize("attention", ATTENTION)
def test_source_padding_is_invisible(attention):
    """Garbage in the padded source positions, or extra padding columns, change nothing."""
    model = make_model(attention)
    data, (src, lengths, tgt_in), _ = batch(seed=1, n=6)
    reference = model(src, lengths, tgt_in).logits
    assert (src == PAD_ID).any()
    garbage = torch.where(src == PAD_ID, torch.randint(3, V_SRC, src.shape), src)
    torch.testing.assert_close(
        model(garbage, lengths, tgt_in).logits, reference, rtol=0, atol=1e-12
    )
    wider = torch.cat([src, torch.zeros(src.shape[0], 3, dtype=torch.int64)], dim=1)
    torch.testing.assert_close(model(wider, lengths, tgt_in).logits, reference, rtol=0, atol=1e-12)
    # Without the lengths, the padding does show: the test can fail.
    full = torch.full_like(lengths, src.shape[1])
    assert not torch.allclose(model(src, full, tgt_in).logits, reference)


def test_decoder_is_causal_under_teacher_forcing():
    model = make_model("general")
    _, (src, lengths, tgt_in), _ = batch(seed=2)
    reference = model(src, lengths, tgt_in).logits
    changed = tgt_in.clone()
    changed[:, 3:] = torch.randint(3, V_TGT, changed[:, 3:].shape)
    logits = model(src, lengths, changed).logits
    torch.testing.assert_close(logits[:, :3], reference[:, :3], rtol=0, atol=0)
    assert not torch.allclose(logits[:, 3:], reference[:, 3:])


@pytest.mark.parametrize("attention", ["none", "additive"])
def test_step_matches_forward(attention):
    model = make_model(attention)
    _, (src, lengths, tgt_in), _ = batch(seed=3)
    expected = model(src, lengths, tgt_in).logits.log_softmax(-1)
    state = model.encode(src, lengths)
    for t in range(tgt_in.shape[1]):
        log_probs, state = model.step(state, tgt_in[:, t].numpy())
        torch.testing.assert_close(log_probs, expected[:, t], rtol=0, atol=1e-12)


def test_the_model_learns_to_reverse():
    from rnnbook.training import TrainConfig, fit

    train = reversal(500, rng=4, min_len=2, max_len=4)
    torch.manual_seed(0)
    model = Seq2Seq(13, 13, 16, 32, attention="additive")
    history = fit(model, seq2seq_batches(train, 32, seed=0), seq2seq_loss, TrainConfig(steps=150))
    assert history.loss[0] > 2.0  # about log(13) at the start
    assert history.final_loss < 0.25 * history.loss[0]
    test = reversal(50, rng=5, min_len=2, max_len=4)
    (src, lengths, _), _ = seq2seq_tensors(test)
    result = model.translate(src, lengths, max_len=6)
    assert isinstance(result, DecodeResult) and model.training  # translate restores the mode
    correct = [
        test.tgt_vocab.to_text(t) == test.tgt_vocab.to_text(y)
        for t, y in zip(test.tgt, result.tokens, strict=True)
    ]
    assert np.mean(correct) > 0.6, np.mean(correct)


def test_translate_respects_max_len_and_beam():
    model = make_model("dot")
    _, (src, lengths, _), _ = batch(seed=6)
    for beam_size in (1, 3):
        result = model.translate(src, lengths, max_len=4, beam_size=beam_size, alpha=0.5)
        assert len(result.tokens) == src.shape[0]
        assert all(len(t) <= 4 for t in result.tokens)
        assert np.all(result.log_probs <= 0)
        assert all(
            len(t) == 4 for t, f in zip(result.tokens, result.finished, strict=True) if not f
        )


# --- batches --------------------------------------------------------------------------------


def test_tensors_and_batches():
    data = reversal(30, rng=7, min_len=2, max_len=9)
    (src, lengths, tgt_in), tgt = seq2seq_tensors(data, [0, 1, 2])
    assert src.shape == (3, int(data.src_lengths[:3].max()))  # padding no row needs is cut
    assert tgt.shape == (3, int(data.tgt_lengths[:3].max())) and tgt_in.shape == tgt.shape
    assert src.dtype == tgt.dtype == lengths.dtype == torch.int64
    assert torch.all(tgt_in[:, 0] == BOS_ID) and torch.equal(tgt_in[:, 1:], tgt[:, :-1])
    assert (tgt == EOS_ID).sum() == 3
    a, b = seq2seq_batches(data, 8, seed=1), seq2seq_batches(data, 8, seed=1)
    for step in range(3):
        (xa, ya), (xb, yb) = a(step), b(step)
        assert torch.equal(xa[0], xb[0]) and torch.equal(ya, yb) and len(ya) == 8
    with pytest.raises(TypeError, match="seed: expected an int, got float"):
        seq2seq_batches(data, 8, seed=1.0)
    with pytest.raises(ValueError, match="batch_size: expected a positive integer, got 0"):
        seq2seq_batches(data, 0, seed=1)


# --- errors at the boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"attention": "luong"}, ValueError, r"attention: expected one of \('none', 'dot'"),
        ({"hidden_size": 0}, ValueError, "hidden_size: expected a positive integer, got 0"),
        ({"attention_size": 2.0}, TypeError, "attention_size: expected a positive integer"),
        ({"pad_id": 13}, ValueError, r"pad_id: expected a token id in \[0, 13\), got 13"),
        ({"eos_id": True}, ValueError, r"eos_id: expected a token id in \[0, 13\), got True"),
    ],
)
def test_bad_constructor_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        Seq2Seq(V_SRC, V_TGT, **({"embed_size": 8, "hidden_size": 16} | kwargs))


def test_bad_forward_arguments():
    model = make_model()
    _, (src, lengths, tgt_in), _ = batch(seed=8)
    with pytest.raises(ValueError, match=r"src_lengths: expected shape \(4,\) with values in 1.."):
        model(src, lengths + src.shape[1], tgt_in)
    with pytest.raises(ValueError, match=r"src_lengths: expected shape \(4,\)"):
        model(src, lengths[:2], tgt_in)
    with pytest.raises(TypeError, match="src_lengths: expected an int64 tensor"):
        model(src, lengths.numpy(), tgt_in)
    with pytest.raises(
        TypeError, match=r"src: expected an int64 tensor of token ids, got torch\.fl"
    ):
        model(src.float(), lengths, tgt_in)
    bad = src.clone()
    bad[0, 0] = V_SRC
    with pytest.raises(ValueError, match=r"src: expected ids in \[0, 13\), got \[0, 13\]"):
        model(bad, lengths, tgt_in)
    with pytest.raises(ValueError, match="tgt_in: expected batch size 4, got 2"):
        model(src, lengths, tgt_in[:2])
    with pytest.raises(ValueError, match=r"tgt_in: expected 2 non-empty dimensions \(B, T\)"):
        model(src, lengths, tgt_in[:, :0])
