"""The finite-difference checker, the argument checks and the notebook setup helper."""

import os
import random

import myst_nb
import numpy as np
import pytest
import torch

from rnnbook.checks import check_array, check_positive_float, check_positive_int
from rnnbook.gradcheck import numerical_gradient, relative_error
from rnnbook.notebook import CPU_REPRODUCIBILITY_ENV, glue, setup


def test_numerical_gradient_of_a_known_function():
    a = np.array([[1.0, -2.0], [0.5, 3.0]])
    grad = numerical_gradient(lambda: float(np.sum(np.sin(a) * a)), a)
    np.testing.assert_allclose(grad, np.cos(a) * a + np.sin(a), rtol=1e-8)
    np.testing.assert_array_equal(a, [[1.0, -2.0], [0.5, 3.0]])  # restored exactly


def test_numerical_gradient_needs_float64():
    with pytest.raises(
        TypeError, match="array: expected float64 for a finite-difference check, got float32"
    ):
        numerical_gradient(lambda: 0.0, np.ones(3, dtype=np.float32))


def test_relative_error():
    assert relative_error(np.ones(3), np.ones(3)) == 0.0
    assert relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert relative_error(np.ones(3), -np.ones(3)) == pytest.approx(1.0)
    with pytest.raises(ValueError, match=r"expected equal shapes, got \(3,\) and \(2,\)"):
        relative_error(np.ones(3), np.ones(2))


def test_checks():
    assert check_positive_int(np.int64(3), "n") == 3
    with pytest.raises(TypeError, match="n: expected a positive integer, got bool True"):
        check_positive_int(True, "n")
    assert check_positive_float(0, "lr", allow_zero=True) == 0.0
    with pytest.raises(TypeError, match="lr: expected a positive number, got str"):
        check_positive_float("0.1", "lr")
    with pytest.raises(TypeError, match="x: expected a floating-point array, got dtype bool"):
        check_array(np.ones(2, dtype=bool), "x")


def test_setup_is_deterministic():
    draws = []
    for _ in range(2):
        rng = setup(3)
        legacy = np.random.rand()  # noqa: NPY002 - the legacy global generator is seeded too
        draws.append((rng.standard_normal(), random.random(), torch.randn(1).item(), legacy))
    assert draws[0] == draws[1]
    assert torch.get_num_threads() == 1
    assert torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_setup_rejects_bad_seeds(bad):
    with pytest.raises(ValueError, match="seed: expected a non-negative integer"):
        setup(bad)


def test_setup_pins_the_cpu_code_path(monkeypatch):
    for name in CPU_REPRODUCIBILITY_ENV:
        monkeypatch.delenv(name, raising=False)
    setup()
    for name, value in CPU_REPRODUCIBILITY_ENV.items():
        assert os.environ[name] == value
    monkeypatch.setenv("MKL_CBWR", "AVX2")  # a reader's explicit choice wins
    setup()
    assert os.environ["MKL_CBWR"] == "AVX2"


@pytest.fixture
def glued(monkeypatch):
    store = {}

    def fake_glue(name, value, display=True):
        store[name] = (value, display)

    monkeypatch.setattr(myst_nb, "glue", fake_glue)
    return store


def test_glue_rounds_floats_and_passes_the_rest(glued):
    glue("f", 0.1 + 0.2)  # 0.30000000000000004: its last bits must not be stored
    glue("g", np.float32(1.0) / 3)
    glue("big", 64508600780.15596)
    glue("n", np.int64(7))
    glue("s", "lstm, gru")
    glue("b", np.bool_(True))
    assert glued["f"] == (0.3, False)
    assert glued["g"] == (0.333333, False)
    assert glued["big"] == (64508600000.0, False)
    assert glued["n"] == (7, False) and type(glued["n"][0]) is int
    assert glued["s"] == ("lstm, gru", False)
    assert glued["b"] == (True, False) and type(glued["b"][0]) is bool
    glue("loss", 0.00225352, digits=2)  # a trained number keeps only the digits it deserves
    assert glued["loss"] == (0.0023, False)


def test_glue_rejects_what_the_prose_cannot_show(glued):
    with pytest.raises(TypeError, match="value: expected a float, int, str or bool, got list"):
        glue("xs", [1.0, 2.0])
    with pytest.raises(ValueError, match="name: expected a non-empty string, got ''"):
        glue("", 1.0)
    with pytest.raises(ValueError, match="digits: expected an integer from 1 to 17, got 0"):
        glue("x", 1.0, digits=0)
    assert glued == {}
