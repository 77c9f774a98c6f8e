"""The torch sequence tagger: causality, packing, the masked loss, seeding, one training run."""

import matplotlib
import numpy as np
import pytest
import torch

from rnnbook.models.sequence_tagger import (
    IGNORE_INDEX,
    SequenceTagger,
    masked_accuracy,
    masked_cross_entropy,
)
from rnnbook.plots.bidirectional import draw_bidirectional, draw_concatenated
from rnnbook.tasks.next_smaller import next_smaller
from rnnbook.training.sequence_tagging import train_tagger

matplotlib.use("Agg")


def _ids(B=3, T=6, V=10, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, V, (B, T)))


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_only_the_bidirectional_tagger_reads_the_future(cell, bidirectional):
    tagger = SequenceTagger(10, 2, hidden_size=5, bidirectional=bidirectional, cell=cell)
    x = _ids()
    changed = x.clone()
    changed[:, 4] = (changed[:, 4] + 1) % 10
    with torch.no_grad():
        a, b = tagger(x), tagger(changed)
    assert torch.equal(a[:, 4:] == b[:, 4:], torch.zeros_like(a[:, 4:], dtype=bool))
    assert torch.equal(a[:, :4], b[:, :4]) is (not bidirectional)


@pytest.mark.parametrize("num_layers", [1, 2])
def test_lengths_give_each_sequence_its_own_run(num_layers):
    tagger = SequenceTagger(10, 3, hidden_size=4, bidirectional=True, num_layers=num_layers)
    x, lengths = _ids(3, 7), torch.tensor([7, 2, 5])
    with torch.no_grad():
        out = tagger(x, lengths)
        for b, n in enumerate(lengths.tolist()):
            alone = tagger(x[b : b + 1, :n])
            assert torch.allclose(out[b, :n], alone[0], atol=1e-6)
        unpacked = tagger(x)
    assert not torch.allclose(out[1, :2], unpacked[1, :2], atol=1e-3)  # padding leaks in


def test_seeded_weights_leave_the_global_generator_alone():
    state = torch.get_rng_state()
    a, b = SequenceTagger(10, 2, seed=1), SequenceTagger(10, 2, seed=1)
    assert torch.equal(torch.get_rng_state(), state)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    c = SequenceTagger(10, 2, seed=2)
    assert not torch.equal(a.head.weight, c.head.weight)


def test_parameter_count_of_the_second_direction():
    H, V, C = 8, 10, 2
    uni = SequenceTagger(V, C, hidden_size=H).num_parameters()
    bi = SequenceTagger(V, C, hidden_size=H, bidirectional=True).num_parameters()
    assert bi - uni == 3 * (H * H + H * H + 2 * H) + H * C  # one more GRU, a wider head


def test_masked_loss_and_accuracy_skip_ignored_steps():
    logits = torch.tensor([[[2.0, 0.0], [0.0, 5.0], [9.0, -9.0]]])
    y = torch.tensor([[0, 1, IGNORE_INDEX]])
    expected = torch.nn.functional.cross_entropy(logits[0, :2], y[0, :2])
    assert torch.allclose(masked_cross_entropy(logits, y), expected)
    assert masked_accuracy(logits, torch.tensor([[1, 1, IGNORE_INDEX]])) == 0.5
    with pytest.raises(ValueError, match="scored"):
        masked_accuracy(logits, torch.full((1, 3), IGNORE_INDEX))


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"dropout": 0.5}, ValueError, "num_layers"),
        ({"dropout": 1.0, "num_layers": 2}, ValueError, "probability"),
        ({"cell": "rnn"}, ValueError, "cell"),
        ({"seed": 1.0}, TypeError, "seed"),
        ({"hidden_size": 0}, ValueError, "hidden_size"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        SequenceTagger(10, 2, **kwargs)


def test_bad_ids():
    tagger = SequenceTagger(10, 2)
    with pytest.raises(TypeError, match="int64"):
        tagger(torch.zeros(2, 3))
    with pytest.raises(ValueError, match="ids in"):
        tagger(torch.full((2, 3), 10))


def test_train_tagger_is_deterministic_and_learns_the_bidirectional_task():
    train, test = next_smaller(256, 8, rng=0), next_smaller(256, 8, rng=1)
    kwargs = dict(vocab_size=10, num_classes=2, data_seed=0, weight_seed=100, steps=60)
    a = train_tagger(train, test, bidirectional=True, hidden_size=12, **kwargs)
    b = train_tagger(train, test, bidirectional=True, hidden_size=12, **kwargs)
    assert a["accuracy"] == b["accuracy"] and a["history"].loss == b["history"].loss
    assert a["accuracy"] > 0.8 and a["parameters"] == a["model"].num_parameters()


@pytest.mark.parametrize("draw", [draw_bidirectional, draw_concatenated])
def test_diagrams(draw):
    fig = draw(4)
    assert fig.axes[0].patches
    with pytest.raises(ValueError, match=r"2\.\.6"):
        draw(7)
    with pytest.raises(TypeError, match="Axes"):
        draw(3, ax="ax")
    matplotlib.pyplot.close("all")
