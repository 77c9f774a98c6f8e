"""rnnbook.optim against torch.optim, step by step, in float64; and its errors."""

import numpy as np
import pytest
import torch

from rnnbook.optim import SGD, Adagrad, Adam

STEPS = 6


def _params(seed=0):
    rng = np.random.default_rng(seed)
    return {"w": rng.standard_normal((4, 3)), "b": rng.standard_normal(4)}


def _grad_sequence(seed=1):
    rng = np.random.default_rng(seed)
    # Gradients of very different scales, so that the adaptive methods differ from SGD.
    return [
        {"w": rng.standard_normal((4, 3)) * 10.0 ** (s % 3 - 1), "b": rng.standard_normal(4)}
        for s in range(STEPS)
    ]


CASES = [
    (lambda p: SGD(p, lr=0.1), lambda t: torch.optim.SGD(t, lr=0.1)),
    (
        lambda p: SGD(p, lr=0.05, momentum=0.9),
        lambda t: torch.optim.SGD(t, lr=0.05, momentum=0.9),
    ),
    (lambda p: Adagrad(p, lr=0.1), lambda t: torch.optim.Adagrad(t, lr=0.1)),
    (
        lambda p: Adagrad(p, lr=0.3, eps=1e-6),
        lambda t: torch.optim.Adagrad(t, lr=0.3, eps=1e-6),
    ),
    (lambda p: Adam(p, lr=1e-2), lambda t: torch.optim.Adam(t, lr=1e-2)),
    (
        lambda p: Adam(p, lr=3e-3, betas=(0.8, 0.99), eps=1e-6),
        lambda t: torch.optim.Adam(t, lr=3e-3, betas=(0.8, 0.99), eps=1e-6),
    ),
]


@pytest.mark.parametrize(("make_ours", "make_torch"), CASES, ids=lambda f: "")
def test_matches_torch_step_by_step(make_ours, make_torch):
    params = _params()
    t_params = {k: torch.nn.Parameter(torch.tensor(v)) for k, v in params.items()}
    ours, theirs = make_ours(params), make_torch(list(t_params.values()))
    start = {k: v.copy() for k, v in params.items()}
    for step, grads in enumerate(_grad_sequence(), start=1):
        for k, p in t_params.items():
            p.grad = torch.tensor(grads[k])
        theirs.step()
        ours.step({k: g.copy() for k, g in grads.items()})
        assert ours.steps == step
        for k, p in t_params.items():
            np.testing.assert_allclose(params[k], p.detach().numpy(), rtol=1e-12, atol=1e-14)
    # The parameters really moved: a no-op optimizer would fail above only by luck.
    assert all(not np.allclose(params[k], start[k]) for k in params)


def test_updates_in_place():
    params = _params()
    w = params["w"]
    opt = Adam(params, lr=0.1)
    opt.step({k: np.ones_like(v) for k, v in params.items()})
    assert params["w"] is w
    np.testing.assert_allclose(w, _params()["w"] - 0.1, rtol=1e-6)  # Adam's first step is lr


def test_sgd_is_plain_gradient_descent():
    params = _params()
    grads = _grad_sequence()[0]
    expected = {k: params[k] - 0.5 * grads[k] for k in params}
    SGD(params, lr=0.5).step(grads)
    for k in params:
        np.testing.assert_array_equal(params[k], expected[k])


def test_momentum_accumulates():
    params = {"w": np.zeros(1)}
    opt = SGD(params, lr=1.0, momentum=0.5)
    for _ in range(3):
        opt.step({"w": np.ones(1)})
    # Buffers 1, 1.5, 1.75: the parameter moves by their sum.
    np.testing.assert_allclose(params["w"], [-(1 + 1.5 + 1.75)])


def test_adagrad_steps_shrink_for_a_constant_gradient():
    params = {"w": np.zeros(1)}
    opt = Adagrad(params, lr=1.0)
    positions = []
    for _ in range(4):
        opt.step({"w": np.full(1, 3.0)})
        positions.append(params["w"][0])
    steps = -np.diff([0.0, *positions])
    np.testing.assert_allclose(steps, 1 / np.sqrt([1, 2, 3, 4]), rtol=1e-9)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: SGD({"w": np.zeros(2)}, lr=0), ValueError, "lr: expected a finite number > 0"),
        (lambda: SGD({"w": np.zeros(2)}, lr=-1.0), ValueError, "lr: expected a finite number > 0"),
        (
            lambda: SGD({"w": np.zeros(2)}, lr=0.1, momentum=1.0),
            ValueError,
            r"momentum: expected a number in \[0, 1\), got 1.0",
        ),
        (
            lambda: Adam({"w": np.zeros(2)}, betas=(0.9, 1.5)),
            ValueError,
            r"betas\[1\]: expected a number in \[0, 1\)",
        ),
        (lambda: Adam({"w": np.zeros(2)}, betas=0.9), TypeError, "betas: expected a pair"),
        (lambda: Adagrad({"w": np.zeros(2)}, eps=0.0), ValueError, "eps: expected"),
        (lambda: Adam({}), TypeError, "params: expected a non-empty dict of arrays"),
        (
            lambda: Adam({"w": np.zeros(2, dtype=int)}),
            TypeError,
            r"params\['w'\]: expected a floating-point ndarray",
        ),
    ],
)
def test_bad_hyperparameters(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_bad_gradients():
    opt = Adam({"w": np.zeros((2, 3)), "b": np.zeros(2)})
    with pytest.raises(ValueError, match=r"grads: expected the keys \['b', 'w'\], got \['w'\]"):
        opt.step({"w": np.zeros((2, 3))})
    with pytest.raises(ValueError, match=r"grads\['w'\]: expected shape \(2, 3\), got \(3, 2\)"):
        opt.step({"w": np.zeros((3, 2)), "b": np.zeros(2)})
    with pytest.raises(FloatingPointError, match=r"grads\['b'\]: expected finite values.*step 1"):
        opt.step({"w": np.zeros((2, 3)), "b": np.array([0.0, np.nan])})
    with pytest.raises(TypeError, match="grads: expected a dict"):
        opt.step([np.zeros((2, 3))])
    assert opt.steps == 0  # a rejected step changes nothing
