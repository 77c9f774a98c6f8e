"""The numpy character LM against its torch twin: gradients, one training step, TBPTT training."""

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import numerical_gradient, relative_error
from rnnbook.models.char_rnn import CharRNN
from rnnbook.optim import SGD, Adagrad, Adam
from rnnbook.scratch.char_lm import CharLM
from rnnbook.scratch.clipping import clip_by_global_norm
from rnnbook.scratch.one_hot import one_hot
from rnnbook.scratch.softmax_cross_entropy import IGNORE_INDEX
from rnnbook.text import CharVocab
from rnnbook.training.char_rnn import train_tbptt_torch
from rnnbook.training.history import TrainingDiverged
from rnnbook.training.tbptt import train_tbptt

V, H = 7, 5


def _data(rng, B=3, T=6):
    ids = rng.integers(0, V, size=(B, T))
    targets = rng.integers(0, V, size=(B, T))
    return ids, targets


def _torch_loss_and_grads(module, ids, targets, h0):
    logits, h_n = module(torch.tensor(ids), torch.tensor(h0))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.tensor(targets).ravel())
    loss.backward()
    grads = {name: p.grad.numpy().copy() for name, p in module.named_parameters()}
    return loss.item(), grads, h_n.detach().numpy(), logits.detach().numpy()


def test_parameters_are_named_and_shaped_like_torch():
    model = CharLM(V, H, rng=0)
    module = CharRNN(V, H)
    assert {k: v.shape for k, v in model.params.items()} == {
        k: tuple(p.shape) for k, p in module.named_parameters()
    }
    assert model.num_parameters() == sum(p.numel() for p in module.parameters())
    assert all(np.abs(p).max() <= 1 / np.sqrt(H) for p in model.params.values())


def test_forward_loss_and_grads_match_torch_autograd():
    rng = np.random.default_rng(0)
    model = CharLM(V, H, rng=rng)
    ids, targets = _data(rng)
    h0 = rng.standard_normal((1, 3, H))
    loss, grads, h_T = model.loss_and_grads(ids, targets, h0)
    logits, h_T2 = model.forward(ids, h0)
    t_loss, t_grads, t_h_T, t_logits = _torch_loss_and_grads(model.to_torch(), ids, targets, h0)
    assert relative_error(logits, t_logits) <= 1e-9
    assert relative_error(h_T, t_h_T) <= 1e-9
    np.testing.assert_array_equal(h_T, h_T2)
    assert loss == pytest.approx(t_loss, rel=1e-12)
    assert grads.keys() == t_grads.keys()
    for name, g in grads.items():
        assert relative_error(g, t_grads[name]) <= 1e-7, name


@pytest.mark.parametrize("reduction", ["mean", "sum"])
def test_finite_differences(reduction):
    rng = np.random.default_rng(1)
    model = CharLM(V, H, rng=rng)
    ids, targets = _data(rng, B=2, T=5)
    targets[0, 1] = IGNORE_INDEX
    h0 = rng.standard_normal((1, 2, H))
    _, grads, _ = model.loss_and_grads(ids, targets, h0, reduction)
    grads = {k: g.copy() for k, g in grads.items()}

    def loss():
        return model.loss(ids, targets, h0, reduction)[0]

    for name, p in model.params.items():
        assert relative_error(grads[name], numerical_gradient(loss, p)) < 1e-6, name


def test_one_training_step_equals_torch_to_1e_8():
    # Same weights in, same weights out: forward, mean cross-entropy, backward, clipping by
    # global norm, one Adam step.
    rng = np.random.default_rng(2)
    model = CharLM(V, H, rng=rng)
    module = model.to_torch()
    ids, targets = _data(rng, B=4, T=8)
    h0 = rng.standard_normal((1, 4, H))
    for name, p in module.named_parameters():
        np.testing.assert_array_equal(p.detach().numpy(), model.params[name])

    opt = Adam(model.params, lr=0.05)
    _, grads, _ = model.loss_and_grads(ids, targets, h0)
    norm = clip_by_global_norm(grads, 0.1)
    opt.step(grads)

    t_opt = torch.optim.Adam(module.parameters(), lr=0.05)
    logits, _ = module(torch.tensor(ids), torch.tensor(h0))
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), torch.tensor(targets).ravel())
    loss.backward()
    t_norm = torch.nn.utils.clip_grad_norm_(module.parameters(), 0.1)
    t_opt.step()

    assert norm > 0.1  # clipping was active, so it was tested too
    assert norm == pytest.approx(float(t_norm), rel=1e-12)
    for name, p in module.named_parameters():
        np.testing.assert_allclose(model.params[name], p.detach().numpy(), rtol=0, atol=1e-8)
        assert relative_error(model.params[name], p.detach().numpy()) <= 1e-12


@pytest.mark.parametrize("stateful", [True, False])
def test_tbptt_training_matches_torch(stateful):
    # A whole pass of TBPTT(k, k) with carried, detached state: numpy against the torch idiom.
    rng = np.random.default_rng(3)
    model = CharLM(V, H, rng=rng)
    module = model.to_torch()
    ids, targets = _data(rng, B=3, T=23)  # 23 = 4 chunks of 5 and one of 3
    result = train_tbptt(
        model, ids, targets, 5, 5, SGD(model.params, lr=0.5), clip_norm=1.0, stateful=stateful
    )
    t_history = train_tbptt_torch(
        module,
        ids,
        targets,
        5,
        torch.optim.SGD(module.parameters(), lr=0.5),
        clip_norm=1.0,
        stateful=stateful,
    )
    assert len(result.loss) == len(t_history.loss) == 5
    np.testing.assert_allclose(result.loss, t_history.loss, rtol=1e-10)
    np.testing.assert_allclose(result.grad_norm, t_history.grad_norm, rtol=1e-10)
    for name, p in module.named_parameters():
        assert relative_error(model.params[name], p.detach().numpy()) <= 1e-10, name


def test_training_lowers_the_loss_on_a_predictable_stream():
    text = "abcabcabdabcabcabd" * 30
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    x, y = ids[:-1].reshape(1, -1), ids[1:].reshape(1, -1)
    model = CharLM(len(vocab), 16, rng=0)
    before, _ = model.loss(x, y)
    opt = Adagrad(model.params, lr=0.1)
    for _ in range(5):
        result = train_tbptt(model, x, y, 10, 10, opt, clip_norm=5.0)
    after, _ = model.loss(x, y)
    assert after < 0.4 * before
    assert len(result.loss) == len(result.grad_norm) == 54  # ceil(539 / 10)


def test_sampling_is_reproducible_and_valid():
    model = CharLM(V, H, rng=0)
    prime = np.array([[1, 2], [3, 4]])
    a = model.sample(prime, 30, 1.0, np.random.default_rng(0))
    b = model.sample(prime, 30, 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(a, b)
    assert a.shape == (2, 30) and a.min() >= 0 and a.max() < V
    # The torch twin with the same weights samples the same ids from the same generator.
    c = __import__("rnnbook.text", fromlist=["generate"]).generate(
        model.to_torch().step, None, prime, 30, 1.0, np.random.default_rng(0)
    )
    np.testing.assert_array_equal(a, c)


def test_from_torch_round_trip():
    torch.manual_seed(0)
    module = CharRNN(V, H, dtype=torch.float64)
    model = CharLM.from_torch(module)
    ids = np.arange(12).reshape(2, 6) % V
    logits, _ = model.forward(ids)
    t_logits, _ = module(torch.tensor(ids))
    assert relative_error(logits, t_logits.detach().numpy()) <= 1e-9


def test_one_hot():
    out = one_hot(np.array([[0, 2]]), 3)
    np.testing.assert_array_equal(out, [[[1, 0, 0], [0, 0, 1]]])


def test_errors():
    model = CharLM(V, H, rng=0)
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 7\), got values in \[0, 7\]"):
        model.forward(np.array([[0, 7]]))
    with pytest.raises(TypeError, match="ids: expected an integer array of token ids, got dtype"):
        model.forward(np.zeros((1, 3)))
    with pytest.raises(ValueError, match=r"ids: expected 2 non-empty dimensions, got shape \(3,\)"):
        model.forward(np.zeros(3, dtype=int))
    with pytest.raises(
        ValueError, match=r"h0: expected 3 dimensions \(1, B, H\), got shape \(1, 4\)"
    ):
        model.forward(np.zeros((1, 3), dtype=int), np.zeros((1, 4)))
    with pytest.raises(ValueError, match="vocab_size: expected a positive integer, got 0"):
        CharLM(0, 3)
    with pytest.raises(
        ValueError, match=r"optimizer: expected an optimizer built on model\.params"
    ):
        train_tbptt(
            model,
            np.zeros((1, 4), dtype=int),
            np.zeros((1, 4), dtype=int),
            2,
            2,
            Adam({"w": np.zeros(1)}),
        )
    with pytest.raises(ValueError, match=r"targets: expected shape \(1, 4\) \(B, T\)"):
        train_tbptt(
            model,
            np.zeros((1, 4), dtype=int),
            np.zeros((1, 3), dtype=int),
            2,
            2,
            Adam(model.params),
        )
    with pytest.raises(TypeError, match="module: expected CharRNN, got RNN"):
        CharLM.from_torch(torch.nn.RNN(2, 3))
    with pytest.raises(TypeError, match=r"ids: expected an int64 tensor of shape \(B, T\)"):
        CharRNN(V, H)(torch.zeros(2, 3))


def test_diverging_training_raises_before_updating():
    model = CharLM(V, H, rng=0)
    ids = np.zeros((1, 6), dtype=int)
    model.params["rnn.weight_hh_l0"][0, 0] = np.nan  # the state turns NaN at step 2
    before = {k: p.copy() for k, p in model.params.items()}
    with pytest.raises(TrainingDiverged, match="the hidden state is not finite") as info:
        train_tbptt(model, ids, ids, 3, 3, SGD(model.params, lr=0.1))
    assert info.value.history is not None and info.value.history.steps == 0
    for k, p in model.params.items():
        np.testing.assert_array_equal(p, before[k])  # nothing reached the weights


def test_a_non_finite_gradient_stops_training():
    model = CharLM(V, H, rng=0)
    ids = np.zeros((1, 6), dtype=int)
    grads = {"w": np.array([np.inf])}
    with pytest.raises(TrainingDiverged, match="gradient norm is inf"):
        clip_by_global_norm(grads, 1.0)
    history = train_tbptt(model, ids, ids, 3, 3, SGD(model.params, lr=0.1))
    assert history.steps == 2  # finite runs record every window


def test_backward_matches_loss_and_grads():
    rng = np.random.default_rng(4)
    model = CharLM(V, H, rng=rng)
    ids, targets = _data(rng)
    _, grads, _ = model.loss_and_grads(ids, targets)
    grads = {k: g.copy() for k, g in grads.items()}
    logits, _ = model.forward(ids)
    model.backward(np.zeros_like(logits))
    assert all(not g.any() for g in model.grads.values())  # no upstream, no gradient
    assert set(grads) == set(model.params)
