"""Chapter 1's pieces: featurizers, the STEEP and periodic tasks, the Elman, Jordan and
current-input models, the per-step training helpers and the diagrams."""

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from matplotlib.patches import FancyArrowPatch

from rnnbook.analysis.baselines import average, bag_of_words, fixed_window
from rnnbook.gradcheck import relative_error
from rnnbook.models.elman_jordan import CurrentInputNet, ElmanNet, JordanNet
from rnnbook.plots.diagrams import draw_folded, draw_unrolled
from rnnbook.scratch import RNN
from rnnbook.scratch.one_hot import one_hot
from rnnbook.tasks.periodic import make_periodic
from rnnbook.tasks.steep import (
    STEEP_WORDS,
    context_ceiling,
    context_entropy,
    decode,
    encode,
    make_steep,
    make_steep_spelling,
    steep_vocabulary,
)
from rnnbook.training import TrainConfig
from rnnbook.training.per_step import (
    per_step_accuracy,
    per_step_loss,
    per_step_losses,
    per_step_predictions,
    train_per_step,
)

# --------------------------------------------------------------------------- featurizers


def test_one_hot():
    ids = np.array([[0, 2], [1, 1]])
    x = one_hot(ids, 3)
    assert x.shape == (2, 2, 3) and x.dtype == np.float64
    assert np.array_equal(x.argmax(-1), ids)
    assert np.array_equal(x.sum(-1), np.ones((2, 2)))
    with pytest.raises(TypeError, match="ids: expected an integer array of token ids, got dtype"):
        one_hot(np.array([0.0, 1.0]), 3)
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 3\), got values in \[0, 3\]"):
        one_hot(np.array([0, 3]), 3)
    with pytest.raises(ValueError, match="num_classes: expected a positive integer, got 0"):
        one_hot(ids, 0)


def test_bag_of_words_and_average_ignore_order():
    rng = np.random.default_rng(0)
    ids = rng.integers(0, 5, size=(3, 7))
    x = one_hot(ids, 5)  # (3, 7, 5)
    counts = bag_of_words(x)
    assert counts.shape == (3, 5)
    assert np.array_equal(counts, np.stack([np.bincount(row, minlength=5) for row in ids]))
    for _ in range(5):
        perm = rng.permutation(7)
        assert not np.array_equal(perm, np.arange(7))
        assert np.array_equal(bag_of_words(x[:, perm]), counts)
        np.testing.assert_allclose(average(x[:, perm]), average(x), rtol=0, atol=1e-15)
    np.testing.assert_allclose(average(x), counts / 7)


def test_bag_of_words_of_reordered_sentences():
    vocab = ["dog", "bites", "man"]
    a = one_hot(np.array([[0, 1, 2]]), 3)  # dog bites man
    b = one_hot(np.array([[2, 1, 0]]), 3)  # man bites dog
    assert not np.array_equal(a, b)
    assert np.array_equal(bag_of_words(a), bag_of_words(b))
    assert np.array_equal(average(a), average(b))
    assert not np.array_equal(fixed_window(a, 2), fixed_window(b, 2))
    assert len(vocab) == bag_of_words(a).shape[1]


def test_fixed_window_keeps_order_and_pads():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 5, 3))
    w = fixed_window(x, 2)
    assert w.shape == (2, 6)
    assert np.array_equal(w, np.concatenate([x[:, 3], x[:, 4]], axis=1))
    padded = fixed_window(x, 7)  # longer than the sequence: zeros on the left
    assert padded.shape == (2, 21)
    assert np.array_equal(padded[:, :6], np.zeros((2, 6)))
    assert np.array_equal(padded[:, 6:], x.reshape(2, 15))
    assert not np.array_equal(fixed_window(x[:, ::-1], 5), fixed_window(x, 5))


@pytest.mark.parametrize("fn", [bag_of_words, average, lambda x: fixed_window(x, 2)])
def test_featurizer_errors(fn):
    with pytest.raises(ValueError, match=r"x: expected 3 dimensions \(B, T, D\), got shape"):
        fn(np.ones((2, 3)))
    with pytest.raises(TypeError, match="x: expected a floating-point array, got dtype int"):
        fn(np.ones((2, 3, 4), dtype=int))
    with pytest.raises(ValueError, match="x: expected finite values, got 1 NaN"):
        fn(np.array([[[np.nan, 1.0]]]))
    with pytest.raises(ValueError, match="x: expected at least one sequence, step and feature"):
        fn(np.ones((2, 0, 4)))
    with pytest.raises(TypeError, match="n: expected a positive integer, got float"):
        fixed_window(np.ones((1, 2, 3)), 2.0)


# --------------------------------------------------------------------------- STEEP


def test_make_steep_shapes_and_shift():
    data = make_steep()
    vocab = steep_vocabulary()
    N, T1 = len(STEEP_WORDS), len(STEEP_WORDS[0])
    assert data.x.shape == data.y.shape == (N, T1 - 1)
    assert data.x.dtype == data.y.dtype == np.int64
    assert np.array_equal(data.y[:, :-1], data.x[:, 1:])  # the target is the next input
    for n, word in enumerate(STEEP_WORDS):
        assert decode(data.x[n], vocab) + decode(data.y[n, -1:], vocab) == word
    assert vocab == "".join(sorted(set("".join(STEEP_WORDS))))
    assert "steep" in STEEP_WORDS and data.metric == "accuracy"


def _majority_rule_accuracy(x, y):
    """Independent check: predict, for each current letter, its most frequent successor."""
    correct = 0
    for letter in np.unique(x):
        correct += np.bincount(y[x == letter]).max()
    return correct / x.size


def test_steep_baseline_is_the_current_letter_ceiling():
    data = make_steep()
    assert data.baseline == pytest.approx(_majority_rule_accuracy(data.x, data.y), abs=0)
    assert data.baseline < 1.0
    # No lookup table from the current letter to a prediction beats the ceiling.
    rng = np.random.default_rng(2)
    V = len(steep_vocabulary())
    best_random = max((rng.integers(0, V, size=V)[data.x] == data.y).mean() for _ in range(2000))
    assert best_random <= data.baseline


def test_context_ceiling_grows_with_the_window_and_reaches_one():
    data = make_steep()
    T = data.x.shape[1]
    ceilings = [context_ceiling(data.x, data.y, w) for w in range(1, T + 1)]
    assert all(a <= b for a, b in itertools.pairwise(ceilings))
    # Every word starts with its own letter, so the whole prefix determines the next one.
    assert len({w[0] for w in STEEP_WORDS}) == len(STEEP_WORDS)
    assert ceilings[-1] == 1.0
    assert ceilings[0] == data.baseline < ceilings[1] < 1.0


def test_context_entropy_is_the_loss_floor():
    data = make_steep()
    T = data.x.shape[1]
    V = len(steep_vocabulary())
    # Independent computation for window 1: entropy of the successors of each letter.
    expected = 0.0
    for letter in np.unique(data.x):
        counts = np.bincount(data.y[data.x == letter])
        p = counts[counts > 0] / counts.sum()
        expected -= counts.sum() * (p * np.log(p)).sum()
    floor = context_entropy(data.x, data.y, 1)
    assert floor == pytest.approx(expected / data.x.size, rel=1e-12)
    assert context_entropy(data.x, data.y, T) == 0.0
    # No distribution per current letter gets a lower cross-entropy.
    rng = np.random.default_rng(4)
    for _ in range(200):
        table = rng.dirichlet(np.ones(V), size=V)  # (V letters, V successors)
        loss = -np.log(table[data.x, data.y]).mean()
        assert loss >= floor


def test_context_ceiling_on_a_word_with_a_repeated_prefix():
    # "abab" then "abac": after "aba" the full context cannot decide b vs c.
    vocab = "abc"
    x = np.stack([encode("aba", vocab), encode("aba", vocab)])
    y = np.stack([encode("bab", vocab), encode("bac", vocab)])
    assert context_ceiling(x, y, 3) == pytest.approx(5 / 6)
    assert context_ceiling(x, y, 1) == pytest.approx(_majority_rule_accuracy(x, y))


def test_steep_errors():
    with pytest.raises(ValueError, match=r"words: expected words of one length >= 2, got lengths"):
        make_steep(["steep", "tea"])
    with pytest.raises(TypeError, match="words: expected a sequence of str, got str"):
        make_steep("steep")
    with pytest.raises(ValueError, match="words: expected a non-empty sequence of str"):
        make_steep([])
    with pytest.raises(ValueError, match="word: expected letters from 'ept', got 'x'"):
        encode("text", "ept")
    with pytest.raises(ValueError, match=r"ids: expected 1 dimension \(T,\), got shape \(1, 2\)"):
        decode(np.array([[0, 1]]), "ab")
    x = make_steep().x
    with pytest.raises(ValueError, match="y: expected the shape of x"):
        context_ceiling(x, x[:, 1:], 1)
    with pytest.raises(
        TypeError, match="x: expected an integer array of token ids, got dtype float64"
    ):
        context_ceiling(x.astype(float), x, 1)
    with pytest.raises(ValueError, match="window: expected a positive integer, got 0"):
        context_ceiling(x, x, 0)


def test_steep_spelling():
    data = make_steep_spelling()
    vocab = steep_vocabulary()
    N, T1, V = len(STEEP_WORDS), len(STEEP_WORDS[0]), len(vocab)
    assert data.x.shape == (N, T1, V) and data.y.shape == (N, T1)
    assert np.array_equal(data.x[:, 0], np.zeros((N, V)))  # nothing seen yet
    assert np.array_equal(data.x[:, 1:].argmax(-1), data.y[:, :-1])  # then the previous letter
    assert np.array_equal(data.x[:, 1:].sum(-1), np.ones((N, T1 - 1)))
    assert [decode(row, vocab) for row in data.y] == list(STEEP_WORDS)
    assert 0 < data.baseline < 1


def test_periodic():
    data = make_periodic(3, 7)
    assert data.x.shape == (1, 7, 1) and not data.x.any()
    assert data.y.tolist() == [[0, 1, 2, 0, 1, 2, 0]]
    assert data.baseline == pytest.approx(_majority_rule_accuracy(np.zeros_like(data.y), data.y))
    with pytest.raises(ValueError, match="period: expected at least 2, got 1"):
        make_periodic(1, 5)
    with pytest.raises(ValueError, match="T: expected at least period=4, got 3"):
        make_periodic(4, 3)


# --------------------------------------------------------------------------- models

MODELS = {
    "elman": lambda D, H, V: ElmanNet(D, H, V),
    "elman_h0": lambda D, H, V: ElmanNet(D, H, V, learn_h0=True),
    "jordan": lambda D, H, V: JordanNet(D, H, V),
    "jordan_logits": lambda D, H, V: JordanNet(D, H, V, feedback="logits"),
    "current": lambda D, H, V: CurrentInputNet(D, H, V),
}


@pytest.mark.parametrize("name", MODELS)
@pytest.mark.parametrize("shape", [(1, 1, 2, 3, 4), (3, 5, 4, 2, 6)])
def test_model_shapes_and_determinism(name, shape):
    B, T, D, H, V = shape
    torch.manual_seed(0)
    model = MODELS[name](D, H, V)
    x = torch.randn(B, T, D)
    logits, states = model(x)
    assert logits.shape == (B, T, V) and states.shape == (B, T, H)
    torch.manual_seed(0)
    again = MODELS[name](D, H, V)
    for (n1, p1), (n2, p2) in zip(model.named_parameters(), again.named_parameters(), strict=True):
        assert n1 == n2 and torch.equal(p1, p2)
    assert torch.equal(again(x)[0], logits)
    torch.manual_seed(1)
    other = MODELS[name](D, H, V)
    assert not torch.equal(other(x)[0], logits)


def test_elman_matches_the_scratch_rnn():
    torch.manual_seed(0)
    model = ElmanNet(3, 4, 5).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    logits, states = model(x)
    scratch = RNN.from_torch(model.rnn)
    hs, _ = scratch.forward(x.numpy())
    assert relative_error(states.detach().numpy(), hs) <= 1e-9
    V, c = model.out.weight.detach().numpy(), model.out.bias.detach().numpy()
    assert relative_error(logits.detach().numpy(), hs @ V.T + c) <= 1e-9


def test_learned_h0():
    torch.manual_seed(3)
    zero = ElmanNet(3, 4, 5)
    torch.manual_seed(3)
    learned = ElmanNet(3, 4, 5, learn_h0=True)
    n_zero = sum(p.numel() for p in zero.parameters())
    assert sum(p.numel() for p in learned.parameters()) == n_zero + 4
    x = torch.randn(2, 5, 3)
    assert torch.equal(zero(x)[0], learned(x)[0])  # h0 starts at zeros
    per_step_loss(learned, x, torch.zeros(2, 5, dtype=torch.int64)).backward()
    assert learned.h0.grad is not None and learned.h0.grad.abs().sum() > 0
    with torch.no_grad():
        learned.h0.fill_(0.5)
    out_learned = learned(x)[0]
    assert not torch.equal(zero(x)[0], out_learned)
    # An explicit h0 overrides the learned one.
    assert torch.equal(learned(x, torch.full((1, 2, 4), 0.5))[0], out_learned)
    assert torch.equal(learned(x, torch.zeros(1, 2, 4))[0], zero(x)[0])
    with pytest.raises(ValueError, match=r"h0: expected a tensor of shape \(1, 2, 4\) \(1, B, H\)"):
        learned(x, torch.zeros(2, 4))


def _jordan_reference(model, x):
    """Step by step, straight from the equations, in float64."""
    p = {k: v.detach().double() for k, v in model.named_parameters()}
    B, T, _ = x.shape
    o = torch.zeros(B, model.output_size, dtype=torch.float64)
    hs, zs = [], []
    for t in range(T):
        h = torch.tanh(
            x[:, t] @ p["weight_ih"].T + p["bias_ih"] + o @ p["weight_oh"].T + p["bias_oh"]
        )
        z = h @ p["out.weight"].T + p["out.bias"]
        o = torch.softmax(z, -1) if model.feedback == "probs" else z
        hs.append(h)
        zs.append(z)
    return torch.stack(zs, 1), torch.stack(hs, 1)


@pytest.mark.parametrize("feedback", ["probs", "logits"])
def test_jordan_recurrence_uses_the_previous_output(feedback):
    torch.manual_seed(0)
    model = JordanNet(3, 4, 5, feedback=feedback).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64)
    logits, states = model(x)
    ref_logits, ref_states = _jordan_reference(model, x)
    assert relative_error(logits.detach().numpy(), ref_logits.numpy()) <= 1e-12
    assert relative_error(states.detach().numpy(), ref_states.numpy()) <= 1e-12
    # The output bias c is part of o_1, so it reaches h_2 and later, but never h_1.
    with torch.no_grad():
        model.out.bias.add_(torch.arange(5, dtype=torch.float64))
    _, shifted = model(x)
    assert torch.equal(shifted[:, 0], states[:, 0])
    assert (shifted[:, 1:] - states[:, 1:]).abs().min() > 0
    # With W = 0 nothing is fed back: the net becomes the current-input-only network.
    with torch.no_grad():
        model.weight_oh.zero_()
    ff = CurrentInputNet(3, 4, 5).double()
    with torch.no_grad():
        ff.hidden.weight.copy_(model.weight_ih)
        ff.hidden.bias.copy_(model.bias_ih + model.bias_oh)
        ff.out.load_state_dict(model.out.state_dict())
    torch.testing.assert_close(model(x)[0], ff(x)[0], rtol=1e-12, atol=1e-12)


def test_elman_hidden_states_do_not_see_the_output_layer():
    torch.manual_seed(0)
    model = ElmanNet(3, 4, 5)
    x = torch.randn(2, 6, 3)
    _, states = model(x)
    with torch.no_grad():
        model.out.bias.add_(1.0)
    assert torch.equal(model(x)[1], states)


def test_current_input_net_sees_only_the_current_step():
    torch.manual_seed(0)
    model = CurrentInputNet(3, 4, 5)
    x = torch.randn(2, 6, 3)
    logits, _ = model(x)
    x2 = x.clone()
    x2[:, 0] += 1.0
    logits2, _ = model(x2)
    assert torch.equal(logits2[:, 1:], logits[:, 1:])
    assert not torch.equal(logits2[:, 0], logits[:, 0])
    # An Elman net, in contrast, carries the change forward to the last step.
    torch.manual_seed(0)
    elman = ElmanNet(3, 4, 5)
    assert not torch.equal(elman(x2)[0][:, -1], elman(x)[0][:, -1])


def test_model_errors():
    with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
        ElmanNet(3, 0, 5)
    with pytest.raises(TypeError, match="learn_h0: expected a bool, got int"):
        ElmanNet(3, 4, 5, learn_h0=1)
    with pytest.raises(ValueError, match=r"feedback: expected one of \('probs', 'logits'\)"):
        JordanNet(3, 4, 5, feedback="targets")
    with pytest.raises(TypeError, match="output_size: expected a positive integer, got float"):
        CurrentInputNet(3, 4, 5.0)
    for model in (ElmanNet(3, 4, 5), JordanNet(3, 4, 5), CurrentInputNet(3, 4, 5)):
        with pytest.raises(TypeError, match=r"x: expected a torch\.Tensor of shape"):
            model(np.zeros((1, 2, 3), dtype=np.float32))
        with pytest.raises(TypeError, match=r"x: expected dtype torch.float32 \(the model's\)"):
            model(torch.zeros(1, 2, 3, dtype=torch.float64))
        with pytest.raises(ValueError, match=r"x: expected shape \(B, T, 3\) \(B, T, D\)"):
            model(torch.zeros(1, 2, 4))
        with pytest.raises(ValueError, match="x: expected finite values"):
            model(torch.full((1, 2, 3), float("nan")))


# --------------------------------------------------------------------------- training on STEEP


def _steep_tensors():
    data = make_steep()
    V = len(steep_vocabulary())
    return data, V, one_hot(data.x, V)


def test_per_step_loss_and_accuracy():
    torch.manual_seed(0)
    data, V, X = _steep_tensors()
    model = ElmanNet(V, 5, V)
    xt, yt = torch.tensor(X, dtype=torch.float32), torch.tensor(data.y)
    logits, _ = model(xt)
    log_p = torch.log_softmax(logits, -1)
    manual = -log_p.gather(-1, yt[..., None]).mean()
    torch.testing.assert_close(per_step_loss(model, xt, yt), manual)
    losses = per_step_losses(model, X, data.y)
    assert losses.shape == (data.x.shape[1],)
    assert losses.mean() == pytest.approx(manual.item(), rel=1e-6)
    pred = per_step_predictions(model, xt)
    assert per_step_accuracy(model, X, data.y) == pytest.approx(
        (logits.argmax(-1) == yt).double().mean().item()
    )
    assert pred.shape == data.y.shape


def test_feed_forward_cannot_beat_the_ceiling_and_the_rnn_can():
    data, V, X = _steep_tensors()
    torch.manual_seed(0)
    ff = CurrentInputNet(V, 8, V)
    history, ff_acc = train_per_step(ff, X, data.y, TrainConfig(steps=150, lr=0.05))
    assert history.final_loss < history.loss[0]
    assert ff_acc <= data.baseline
    assert history.final_loss >= context_entropy(data.x, data.y, 1) - 1e-6
    # Why: its prediction is a function of the current letter alone.
    pred = per_step_predictions(ff, torch.tensor(X, dtype=torch.float32)).numpy()
    for letter in np.unique(data.x):
        assert len(np.unique(pred[data.x == letter])) == 1
    torch.manual_seed(0)
    rnn = ElmanNet(V, 8, V)
    _, rnn_acc = train_per_step(rnn, X, data.y, TrainConfig(steps=200, lr=0.05))
    assert rnn_acc == 1.0 > data.baseline


def test_train_per_step_errors():
    data, V, X = _steep_tensors()
    model = ElmanNet(V, 4, V)
    with pytest.raises(ValueError, match=r"y: expected shape \(6, 4\) \(N, T\), got \(6, 3\)"):
        train_per_step(model, X, data.y[:, 1:], TrainConfig(steps=1))
    with pytest.raises(ValueError, match=r"y: expected ids in \[0, 16\)"):
        per_step_accuracy(model, X, data.y + 16)
    with pytest.raises(TypeError, match="model: expected an `output_size` attribute"):
        per_step_accuracy(torch.nn.Linear(2, 2), X, data.y)
    with pytest.raises(TypeError, match=r"model: expected a torch\.nn\.Module, got str"):
        per_step_losses("rnn", X, data.y)


# --------------------------------------------------------------------------- figures


def _texts(fig):
    return [t.get_text() for ax in fig.axes for t in ax.texts]


def _arrows(fig):
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, FancyArrowPatch)]


@pytest.mark.parametrize("kind", ["elman", "jordan"])
@pytest.mark.parametrize("T", [1, 4])
def test_draw_unrolled(T, kind):
    fig = draw_unrolled(T, kind=kind)
    texts = _texts(fig)
    for t in range(1, T + 1):
        assert {f"$x_{{{t}}}$", f"$h_{{{t}}}$", f"$o_{{{t}}}$"} <= set(texts)
    assert ("$h_0$" in texts) == (kind == "elman") and ("$o_0$" in texts) == (kind == "jordan")
    assert len(_arrows(fig)) == 3 * T  # U, V and W at every step: shared, drawn T times
    assert texts.count("W") == texts.count("U") == texts.count("V") == T
    plt.close(fig)


@pytest.mark.parametrize("kind", ["elman", "jordan"])
def test_draw_folded_uses_the_given_axes(kind):
    fig, axes = plt.subplots(1, 2)
    returned = draw_folded(kind, ax=axes[1])
    assert returned is fig
    assert not axes[0].patches and axes[1].patches
    assert len(_arrows(fig)) == 3 and {"U", "V", "W"} <= set(_texts(fig))
    assert ("$h_{t-1}$" in _texts(fig)) == (kind == "elman")
    plt.close(fig)


def test_figure_errors():
    with pytest.raises(ValueError, match=r"kind: expected one of \('elman', 'jordan'\)"):
        draw_folded("lstm")
    with pytest.raises(ValueError, match="T: expected a positive integer, got 0"):
        draw_unrolled(0)
    with pytest.raises(TypeError, match="ax: expected a matplotlib Axes or None, got str"):
        draw_unrolled(2, ax="left")
