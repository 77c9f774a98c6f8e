"""rnnbook.training.char_rnn.train_tbptt_torch: a History per chunk, and a clean stop on NaN."""

import numpy as np
import pytest
import torch

from rnnbook.models.char_rnn import CharRNN
from rnnbook.training.char_rnn import train_tbptt_torch
from rnnbook.training.history import History, TrainingDiverged

V, H = 5, 8


def _stream(B=2, T=40, seed=0):
    ids = np.tile(np.arange(V), (B, T // V + 1))[:, :T]  # 0 1 2 3 4 0 1 ...: predictable
    return ids, (ids + 1) % V


def test_returns_a_history_per_chunk_and_learns():
    torch.manual_seed(0)
    model = CharRNN(V, H)
    ids, targets = _stream()
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    history = train_tbptt_torch(model, ids, targets, k=8, optimizer=opt, clip_norm=1.0)
    assert isinstance(history, History)
    assert history.steps == len(history.grad_norm) == 5  # 40 steps in chunks of 8
    for _ in range(10):
        history = history.concat(train_tbptt_torch(model, ids, targets, 8, opt))
    assert history.steps == 55
    assert history.final_loss < 0.1 * history.loss[0]


def test_divergence_stops_before_the_update():
    torch.manual_seed(0)
    model = CharRNN(V, H)
    with torch.no_grad():
        model.linear.weight[0, 0] = float("inf")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    ids, targets = _stream()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(
        TrainingDiverged, match=r"training diverged at step 0: loss is (nan|inf)"
    ) as err:
        train_tbptt_torch(model, ids, targets, 8, opt)
    assert err.value.history.steps == 0
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k


def test_errors():
    model = CharRNN(V, H)
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    ids, targets = _stream()
    with pytest.raises(ValueError, match=r"ids, targets: expected equal shapes \(B, T\)"):
        train_tbptt_torch(model, ids, targets[:, :-1], 8, opt)
    with pytest.raises(ValueError, match=r"ids: expected ids in \[0, 5\), got values in \[1, 5\]"):
        train_tbptt_torch(model, ids + 1, targets, 8, opt)
    with pytest.raises(TypeError, match="targets: expected an integer array of token ids"):
        train_tbptt_torch(model, ids, targets.astype(float), 8, opt)
    with pytest.raises(ValueError, match="k: expected a positive integer, got 0"):
        train_tbptt_torch(model, ids, targets, 0, opt)
    with pytest.raises(TypeError, match="model: expected a CharRNN, got Linear"):
        train_tbptt_torch(torch.nn.Linear(2, 2), ids, targets, 8, opt)
