"""The adding problem (rnnbook.tasks.adding) and its models (rnnbook.models.adding_models)."""

import numpy as np
import pytest
import torch

from rnnbook.models.adding import CELLS, AddingRegressor
from rnnbook.tasks.adding import BASELINE_MSE, adding_problem
from rnnbook.tasks.base import TaskData
from rnnbook.training.adding import AddingRun, train_adding

# --- the task ---------------------------------------------------------------------------


@pytest.mark.parametrize("T", [2, 3, 10, 51])
def test_shapes_markers_and_target(T):
    data = adding_problem(500, T, rng=0)
    assert isinstance(data, TaskData)
    assert data.x.shape == (500, T, 2) and data.y.shape == (500,)
    assert data.x.dtype == np.float32 and data.y.dtype == np.float32
    values, markers = data.x[..., 0], data.x[..., 1]
    assert np.all((values >= 0) & (values < 1))
    assert set(np.unique(markers)) <= {0.0, 1.0}
    np.testing.assert_array_equal(markers.sum(axis=1), 2)
    half = (T + 1) // 2
    np.testing.assert_array_equal(markers[:, :half].sum(axis=1), 1)  # one in the first half
    np.testing.assert_array_equal(markers[:, half:].sum(axis=1), 1)  # one in the second half
    np.testing.assert_allclose(data.y, (values * markers).sum(axis=1), rtol=1e-6)
    assert data.metric == "mse" and data.baseline == BASELINE_MSE == 1 / 6


def test_marker_positions_cover_both_halves():
    data = adding_problem(4000, 10, rng=1)
    first = data.x[:, :5, 1].argmax(axis=1)
    second = data.x[:, 5:, 1].argmax(axis=1) + 5
    assert set(first) == {0, 1, 2, 3, 4} and set(second) == {5, 6, 7, 8, 9}


def test_predicting_one_scores_the_baseline():
    data = adding_problem(200_000, 5, rng=2, dtype=np.float64)
    mse = np.mean((data.y - 1.0) ** 2)
    assert mse == pytest.approx(1 / 6, abs=3e-3)
    assert data.y.mean() == pytest.approx(1.0, abs=3e-3)


def test_seeded_and_dtype():
    a, b, c = (
        adding_problem(10, 6, rng=3),
        adding_problem(10, 6, rng=3),
        adding_problem(10, 6, rng=4),
    )
    np.testing.assert_array_equal(a.x, b.x)
    assert not np.array_equal(a.x, c.x)
    assert (
        adding_problem(3, 4, rng=np.random.default_rng(0), dtype=np.float64).x.dtype == np.float64
    )


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"n": 0, "T": 5}, ValueError, "n: expected a positive integer, got 0"),
        (
            {"n": 3, "T": 1},
            ValueError,
            r"T: expected at least 2 \(one marker in each half\), got 1",
        ),
        ({"n": 3, "T": 2.5}, TypeError, "T: expected a positive integer, got float"),
        ({"n": 3, "T": 5, "dtype": np.int32}, TypeError, "dtype: expected a floating-point dtype"),
        ({"n": 3, "T": 5, "rng": "seed"}, TypeError, "rng: expected a numpy Generator or an int"),
    ],
)
def test_task_errors(kwargs, error, message):
    kwargs = {"rng": 0, **kwargs}
    with pytest.raises(error, match=message):
        adding_problem(**kwargs)


# --- the models -------------------------------------------------------------------------


@pytest.mark.parametrize("cell", CELLS)
def test_models_predict_one_number_per_sequence(cell):
    model = AddingRegressor(cell, hidden_size=8, seed=0)
    x = torch.from_numpy(adding_problem(5, 7, rng=0).x)
    y = model(x)
    assert y.shape == (5,) and y.dtype == torch.float32
    y.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in model.parameters())


def test_initialisations():
    H = 8
    irnn = AddingRegressor("irnn", hidden_size=H, seed=0).rnn
    assert irnn.nonlinearity == "relu"
    assert torch.equal(irnn.weight_hh_l0, torch.eye(H))
    assert torch.count_nonzero(irnn.bias_ih_l0) == 0 and torch.count_nonzero(irnn.bias_hh_l0) == 0
    assert irnn.weight_ih_l0.abs().max() < 0.01
    orth = AddingRegressor("orthogonal", hidden_size=H, seed=0).rnn
    assert orth.nonlinearity == "tanh"
    W = orth.weight_hh_l0.detach().double()
    torch.testing.assert_close(W.T @ W, torch.eye(H, dtype=torch.float64), atol=1e-6, rtol=0)
    assert AddingRegressor("relu", hidden_size=H, seed=0).rnn.nonlinearity == "relu"
    for cell in ("tanh", "relu", "lstm", "gru"):
        model = AddingRegressor(cell, hidden_size=H, seed=0)
        bound = 1 / np.sqrt(H)
        assert all(p.abs().max() <= bound for p in model.parameters())


def test_lstm_forget_bias_opens_the_forget_gate():
    H = 5
    model = AddingRegressor("lstm", hidden_size=H, seed=0, forget_bias=3.0)
    assert torch.all(model.rnn.bias_ih_l0[H : 2 * H] == 3.0)
    assert torch.all(model.rnn.bias_hh_l0[H : 2 * H] == 0.0)
    default = AddingRegressor("lstm", hidden_size=H, seed=0)
    torch.testing.assert_close(model.rnn.bias_ih_l0[:H], default.rnn.bias_ih_l0[:H])
    # With f close to 1 the gradient reaches the early inputs; with the default it fades.
    x = torch.from_numpy(adding_problem(16, 40, rng=0).x).requires_grad_(True)
    ratios = []
    for m in (default, model):
        (dx,) = torch.autograd.grad(m(x).sum(), x)
        norms = dx.norm(dim=2).mean(dim=0)
        ratios.append((norms[0] / norms[-1]).item())
    assert ratios[1] > 1e3 * ratios[0]


def test_models_do_not_depend_on_the_global_rng():
    torch.manual_seed(0)
    a = AddingRegressor("lstm", hidden_size=6, seed=3)
    torch.manual_seed(99)
    b = AddingRegressor("lstm", hidden_size=6, seed=3)
    c = AddingRegressor("lstm", hidden_size=6, seed=4)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.rnn.weight_hh_l0, c.rnn.weight_hh_l0)


def test_model_errors():
    with pytest.raises(ValueError, match=r"cell: expected one of \('tanh', 'relu', 'irnn'"):
        AddingRegressor("lru")
    with pytest.raises(ValueError, match=r"hidden_size: expected a positive integer, got 0"):
        AddingRegressor("lstm", hidden_size=0)
    with pytest.raises(ValueError, match=r"seed: expected a non-negative integer, got -1"):
        AddingRegressor("lstm", seed=-1)
    with pytest.raises(ValueError, match=r"forget_bias: expected None for cell='gru', got 1.0"):
        AddingRegressor("gru", forget_bias=1.0)
    with pytest.raises(ValueError, match=r"forget_bias: expected a finite number, got nan"):
        AddingRegressor("lstm", forget_bias=float("nan"))
    model = AddingRegressor("gru", hidden_size=4)
    with pytest.raises(
        ValueError,
        match=r"x: expected a tensor of shape \(B, T, 2\) \(B, T, D\), got \(3, 2\)",
    ):
        model(torch.ones(3, 2))
    with pytest.raises(ValueError, match=r"got ndarray"):
        model(np.ones((3, 4, 2), dtype=np.float32))


def test_train_adding_is_reproducible_and_learns_a_short_task():
    a = train_adding("gru", T=5, steps=150, hidden_size=16, lr=0.02, eval_every=50, n_test=200)
    b = train_adding("gru", T=5, steps=150, hidden_size=16, lr=0.02, eval_every=50, n_test=200)
    assert isinstance(a, AddingRun) and a.cell == "gru" and a.T == 5
    assert len(a.history.loss) == 150 and a.history.eval_step == [50, 100, 150]
    assert a.history.loss == b.history.loss
    assert a.test_mse == b.test_mse == a.history.eval_metric[-1]
    assert a.baseline == BASELINE_MSE
    assert isinstance(a.model, AddingRegressor) and not a.model.training
    assert a.test_mse < 0.2 * a.baseline


def test_train_adding_errors():
    with pytest.raises(ValueError, match=r"model: expected an AddingRegressor with cell='lstm'"):
        train_adding("lstm", T=5, steps=2, model=AddingRegressor("gru", hidden_size=4))
    with pytest.raises(ValueError, match=r"T: expected a positive integer, got 0"):
        train_adding("lstm", T=0, steps=2)


def test_data_seed_and_weight_seed_are_separate():
    kwargs = {"steps": 3, "batch_size": 8, "hidden_size": 4, "eval_every": 3, "n_test": 20}
    for data_seed, weight_seed in [(0, 0), (0, 1), (1, 0)]:
        run = train_adding("tanh", T=5, data_seed=data_seed, weight_seed=weight_seed, **kwargs)
        # the first loss is the untrained weight_seed model on the first data_seed batch
        train = adding_problem(3 * 8, 5, rng=data_seed)
        fresh = AddingRegressor("tanh", hidden_size=4, seed=weight_seed)
        with torch.no_grad():
            expected = torch.nn.functional.mse_loss(
                fresh(torch.from_numpy(train.x[:8])), torch.from_numpy(train.y[:8])
            )
        assert run.history.loss[0] == pytest.approx(expected.item(), rel=1e-6)
    with pytest.raises(ValueError, match=r"data_seed: expected a non-negative integer, got -1"):
        train_adding("tanh", T=5, data_seed=-1, **kwargs)
    with pytest.raises(ValueError, match=r"weight_seed: expected a non-negative integer, got 1.5"):
        train_adding("tanh", T=5, weight_seed=1.5, **kwargs)
