"""GatedSequenceModel (cores, readouts, seeds, forget bias), parameter counts and matching,
and the task runner train_task used by the LSTM/GRU chapter."""

import numpy as np
import pytest
import torch

from rnnbook.models.gated import (
    CORES,
    GatedSequenceModel,
    count_parameters,
    matched_hidden_size,
    recurrent_parameters,
)
from rnnbook.models.lstm_variants import LSTMVariant
from rnnbook.training.gated_experiments import TaskBudget, solved, task_data, train_task

TINY = TaskBudget(T=6, hidden_size=4, steps=3, batch_size=4, eval_every=1, n_test=8, delay=2)


@pytest.mark.parametrize("core", CORES)
def test_recurrent_parameter_formula_matches_the_modules(core):
    model = GatedSequenceModel(core, input_size=3, hidden_size=5)
    assert count_parameters(model.rnn) == recurrent_parameters(core, 3, 5)
    assert count_parameters(model) == recurrent_parameters(core, 3, 5) + 5 + 1


def test_matched_hidden_size_is_the_closest_count():
    H = matched_hidden_size("gru", "lstm", input_size=2, hidden_size=16)
    target = recurrent_parameters("lstm", 2, 16)
    gap = abs(recurrent_parameters("gru", 2, H) - target)
    for other in (H - 1, H + 1):
        assert gap <= abs(recurrent_parameters("gru", 2, other) - target)


def test_same_seed_same_model_and_full_variant_matches_nn_lstm():
    a = GatedSequenceModel("lstm", 2, 4, seed=3)
    b = GatedSequenceModel("lstm", 2, 4, seed=3)
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    full = GatedSequenceModel("full", 2, 4, seed=3)
    x = torch.randn(3, 5, 2)
    with torch.no_grad():  # the same weights give the same function
        for name, p in full.rnn.named_parameters():
            p.copy_(getattr(a.rnn, name))
        full.head.load_state_dict(a.head.state_dict())
    assert torch.allclose(full(x), a(x), atol=1e-6)


def test_forget_bias_and_readouts():
    model = GatedSequenceModel("coupled", 4, 3, output_size=4, readout="every", forget_bias=1.0)
    rows = model.rnn.gate_rows("f")
    assert torch.equal(model.rnn.bias_ih_l0[rows] + model.rnn.bias_hh_l0[rows], torch.ones(3))
    ids = torch.zeros(2, 5, dtype=torch.int64)
    assert tuple(model(ids).shape) == (2, 5, 4)
    assert isinstance(model.rnn, LSTMVariant)
    assert tuple(GatedSequenceModel("gru", 2, 3)(torch.ones(2, 5, 2)).shape) == (2,)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="core"):
        GatedSequenceModel("rnn", 2, 3)
    with pytest.raises(ValueError, match="forget_bias"):
        GatedSequenceModel("gru", 2, 3, forget_bias=1.0)
    with pytest.raises(ValueError, match="seed"):
        GatedSequenceModel("lstm", 2, 3, seed=-1)
    with pytest.raises(ValueError, match="x: expected"):
        GatedSequenceModel("lstm", 2, 3)(torch.ones(5))
    with pytest.raises(ValueError, match="task"):
        train_task("copy", "lstm", 0, 100, TINY)
    with pytest.raises(ValueError, match="data_seed"):
        train_task("adding", "lstm", -1, 100, TINY)


@pytest.mark.parametrize("task", ["adding", "recall"])
@pytest.mark.parametrize("n_train", [None, 8])
def test_train_task_is_deterministic_and_reports_its_metric(task, n_train):
    first = train_task(task, "gru", 0, 100, TINY, n_train=n_train)
    again = train_task(task, "gru", 0, 100, TINY, n_train=n_train)
    assert first["metric"] == again["metric"]
    assert len(first["curve"]) == TINY.steps
    assert first["curve"][-1] == pytest.approx(first["metric"])
    assert first["solved"] == solved(task, first["metric"])
    other = train_task(task, "gru", 0, 101, TINY, n_train=n_train)
    assert other["metric"] != first["metric"]


def test_task_data_shapes():
    x, y = task_data("adding", 3, TINY, seed=0)
    assert tuple(x.shape) == (3, 6, 2) and tuple(y.shape) == (3,)
    x, y = task_data("recall", 3, TINY, seed=0)
    assert tuple(x.shape) == (3, 6) and (y[:, :2] == -100).all()
    assert np.array_equal(y[:, 2:].numpy(), x[:, :-2].numpy())
