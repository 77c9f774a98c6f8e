"""rnnbook.analysis.bptt_memory and projection: what BPTT stores, checkpointing exactly."""

import numpy as np
import pytest
import torch

from rnnbook.analysis import bptt_memory as memory
from rnnbook.analysis.projection import projection_loss
from rnnbook.gradcheck import relative_error
from rnnbook.scratch.char_lm import CharLM
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.truncated_bptt import truncated_bptt
from rnnbook.tasks.delayed_recall import delayed_recall


def test_stored_nbytes_counts_shared_arrays_once():
    a, b = np.zeros((2, 3)), np.zeros(5)
    assert memory.stored_nbytes({"x": a, "y": [a, (b, a)]}) == a.nbytes + b.nbytes
    layer = RNN(2, 4, rng=0)
    layer.forward(np.ones((3, 7, 2)))
    B, T, D, H = 3, 7, 2, 4
    expected = 8 * (B * T * (D + H) + B * H) + B * T  # x, states, h0, bool mask
    assert memory.stored_nbytes(layer.cache) == expected


@pytest.mark.parametrize(("T", "segment"), [(17, None), (17, 4), (16, 16), (5, 1)])
def test_checkpointed_bptt_is_full_bptt(T, segment):
    rng = np.random.default_rng(0)
    layer = RNN(3, 5, rng=1)
    x, G = rng.standard_normal((2, T, 3)), rng.standard_normal((2, T, 5))
    h0 = rng.standard_normal((1, 2, 5))
    layer.forward(x, h0)
    _, d_h0 = layer.backward(G)
    full = {n: g.copy() for n, g in layer.grads.items()}
    full_bytes = memory.stored_nbytes(layer.cache)
    grads, d_h0_ckpt, peak = memory.checkpointed_bptt(layer, x, G, segment, h0)
    for n in full:
        assert relative_error(grads[n], full[n]) < 1e-12
    assert relative_error(d_h0_ckpt, d_h0) < 1e-12
    if segment is None:
        assert peak < full_bytes / 2


def test_checkpointed_memory_grows_like_sqrt_T():
    layer = RNN(2, 8, rng=0)
    peaks = {}
    for T in (100, 10000):
        x = np.zeros((1, T, 2))
        _, _, peaks[T] = memory.checkpointed_bptt(layer, x, np.zeros((1, T, 8)))
    assert 5 < peaks[10000] / peaks[100] < 20


def test_checkpointed_bptt_checks_arguments():
    layer = RNN(2, 3, rng=0)
    with pytest.raises(TypeError, match="RecurrentLayer"):
        memory.checkpointed_bptt(object(), np.zeros((1, 4, 2)), np.zeros((1, 4, 3)))
    with pytest.raises(ValueError, match="d_out"):
        memory.checkpointed_bptt(layer, np.zeros((1, 4, 2)), np.zeros((1, 5, 3)))


def test_tbptt_largest_window_does_not_grow_with_T():
    model = CharLM(2, 8, rng=0)
    sizes = []
    for T in (50, 500):
        data = delayed_recall(2, T, 3, rng=0)
        sizes.append(memory.tbptt_largest_window(model, data.x, data.y, 10))
    assert sizes[0] == sizes[1] > 0
    with pytest.raises(TypeError, match="CharLM"):
        memory.tbptt_largest_window(RNN(2, 3), data.x, data.y, 10)


def test_autograd_graph_size_grows_without_detach():
    rnn = torch.nn.RNN(2, 3, batch_first=True)
    h, sizes = torch.zeros(1, 1, 3), []
    for _ in range(3):
        out, h = rnn(torch.ones(1, 4, 2), h)
        sizes.append(memory.autograd_graph_size(out))
    assert sizes[0] < sizes[1] < sizes[2]
    assert memory.autograd_graph_size(h.detach()) == 0


def test_projection_loss_gives_G_as_the_gradient():
    rng = np.random.default_rng(0)
    layer = RNN(3, 4, rng=0)
    x, G = rng.standard_normal((2, 9, 3)), rng.standard_normal((2, 9, 4))
    out, _ = layer.forward(x)
    layer.backward(G)
    full = dict(layer.grads)
    (update,) = truncated_bptt(layer, x, 9, 9, projection_loss(G))
    assert update.loss == pytest.approx(float(np.sum(out * G)))
    for n in full:
        np.testing.assert_array_equal(update.grads[n], full[n])
    with pytest.raises(ValueError, match="out: expected shape"):
        projection_loss(G)(np.zeros((2, 3, 4)), 0, 2)
