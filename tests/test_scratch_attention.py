"""rnnbook.scratch.attention: masked softmax and the four score layers, by finite differences.

Parity with the torch twins is in test_torch_attention.py.
"""

import numpy as np
import pytest
import torch

from rnnbook.gradcheck import check_function
from rnnbook.scratch.attention import (
    AdditiveAttention,
    DotAttention,
    GeneralAttention,
    ScaledDotAttention,
    masked_softmax,
    masked_softmax_backward,
)

B, T_SRC, H_Q, H_K, H_V, A = 3, 5, 4, 6, 2, 7


def make_layer(name, rng=0):
    """A layer whose query and key sizes differ whenever the score allows it."""
    if name == "additive":
        return AdditiveAttention(H_Q, H_K, A, rng=rng)
    if name == "general":
        return GeneralAttention(H_Q, H_K, rng=rng)
    return DotAttention() if name == "dot" else ScaledDotAttention()


def make_inputs(name, rng):
    H_k = H_K if name in ("additive", "general") else H_Q
    return {
        "query": rng.standard_normal((B, H_Q)),
        "keys": rng.standard_normal((B, T_SRC, H_k)),
        "values": rng.standard_normal((B, T_SRC, H_V)),
    }


def ragged_mask():
    """Source lengths 5, 3 and 1: the last row may attend to one position only."""
    return np.arange(T_SRC)[None, :] < np.array([5, 3, 1])[:, None]  # (B, T_src)


LAYERS = ["additive", "dot", "general", "scaled_dot"]


# --- masked softmax -----------------------------------------------------------------------


def test_softmax_without_mask_matches_torch():
    scores = np.random.default_rng(0).standard_normal((2, 3, 7)) * 5
    expected = torch.softmax(torch.tensor(scores), dim=-1).numpy()
    np.testing.assert_allclose(masked_softmax(scores), expected, rtol=1e-13, atol=0)


def test_masked_positions_get_exactly_zero_and_rows_sum_to_one():
    rng = np.random.default_rng(1)
    scores = rng.standard_normal((B, T_SRC))
    mask = ragged_mask()
    weights = masked_softmax(scores, mask)
    assert np.all(weights[~mask] == 0.0)
    assert np.all(weights[mask] > 0.0)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=0, atol=1e-15)
    # The allowed part is the ordinary softmax of the allowed scores.
    np.testing.assert_allclose(weights[1, :3], masked_softmax(scores[1, :3]), rtol=1e-15)
    assert weights[2, 0] == 1.0


def test_masked_scores_do_not_matter_even_when_huge():
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((B, T_SRC))
    mask = ragged_mask()
    changed = scores.copy()
    changed[~mask] = 1e300
    assert np.array_equal(masked_softmax(scores, mask), masked_softmax(changed, mask))


def test_softmax_is_stable_for_large_scores():
    weights = masked_softmax(np.array([[1000.0, 1001.0, -1000.0]]))
    np.testing.assert_allclose(weights, [[1 / (1 + np.e), np.e / (1 + np.e), 0.0]], rtol=1e-14)


@pytest.mark.parametrize("mask_shape", [(T_SRC,), (1, T_SRC), (B, 1, T_SRC)])
def test_mask_broadcasts(mask_shape):
    rng = np.random.default_rng(3)
    scores = rng.standard_normal((B, 2, T_SRC))
    mask = np.ones(mask_shape, dtype=bool)
    mask[..., 1] = False
    weights = masked_softmax(scores, mask)
    assert weights.shape == scores.shape
    assert np.all(weights[..., 1] == 0.0)


def test_a_row_with_no_allowed_position_is_an_error():
    mask = ragged_mask()
    mask[2] = False
    with pytest.raises(ValueError, match=r"mask: expected at least one allowed position per row"):
        masked_softmax(np.zeros((B, T_SRC)), mask)


@pytest.mark.parametrize(
    ("scores", "mask", "error", "message"),
    [
        (np.zeros((2, 3)), np.ones((2, 3)), TypeError, "mask: expected a boolean array"),
        (np.zeros((2, 3)), np.ones((3, 2), bool), ValueError, r"mask: expected a shape .*\(2, 3\)"),
        (np.zeros((2, 3)), np.ones((1, 2, 3), bool), ValueError, "broadcastable"),
        (np.zeros((2, 3), int), None, TypeError, "scores: expected a floating-point array"),
        (np.array([[0.0, np.nan]]), None, ValueError, "scores: expected finite values"),
        (np.zeros((2, 0)), None, ValueError, "scores: expected at least one position"),
    ],
)
def test_softmax_bad_arguments(scores, mask, error, message):
    with pytest.raises(error, match=message):
        masked_softmax(scores, mask)


@pytest.mark.parametrize("use_mask", [False, True])
def test_softmax_backward_by_finite_differences(use_mask):
    rng = np.random.default_rng(4)
    mask = ragged_mask() if use_mask else None
    last = {}

    def f(scores):
        last["weights"] = masked_softmax(scores, mask)
        return last["weights"]

    def backward(d_weights):  # called right after the first f(), as check_function promises
        return {"scores": masked_softmax_backward(d_weights, last["weights"])}

    errors = check_function(f, {"scores": rng.standard_normal((B, T_SRC))}, backward, rng=rng)
    assert errors["scores"] < 1e-6, errors


def test_softmax_backward_is_zero_at_masked_positions():
    rng = np.random.default_rng(6)
    weights = masked_softmax(rng.standard_normal((B, T_SRC)), ragged_mask())
    d_scores = masked_softmax_backward(rng.standard_normal((B, T_SRC)), weights)
    assert np.all(d_scores[~ragged_mask()] == 0.0)
    np.testing.assert_allclose(d_scores.sum(axis=-1), 0.0, atol=1e-14)  # softmax is shift-free


# --- check_function itself ------------------------------------------------------------------


def test_check_function_on_a_known_function():
    rng = np.random.default_rng(7)
    a, b = rng.standard_normal((3, 2)), rng.standard_normal((3, 2))
    a_before = a.copy()

    def f(a, b):
        return np.sin(a) * b, a + b  # a tuple output

    def backward(grads):
        g1, g2 = grads
        return {"a": g1 * np.cos(a) * b + g2, "b": g1 * np.sin(a) + g2}

    errors = check_function(f, {"a": a, "b": b}, backward)
    assert set(errors) == {"a", "b"} and max(errors.values()) < 1e-9, errors
    assert np.array_equal(a, a_before)  # the inputs are copied, never perturbed


def test_check_function_catches_a_wrong_backward():
    rng = np.random.default_rng(8)
    layer = make_layer("additive")
    inputs = make_inputs("additive", rng)

    def f(query, keys, values):
        return layer.forward(query, keys, values)[0]

    def backward(g):
        d_query, d_keys, d_values = layer.backward(g)
        return {"query": d_query, "keys": 1.5 * d_keys, "values": d_values}

    errors = check_function(f, inputs, backward, rng=rng)
    assert errors["keys"] == pytest.approx(0.5 / 2.5, rel=1e-4)  # |1.5g - g| / (1.5|g| + |g|)
    assert errors["query"] < 1e-6 and errors["values"] < 1e-6


def test_check_function_bad_arguments():
    def f(x):
        return 2 * x

    with pytest.raises(ValueError, match=r"backward: expected a dict with keys \['x'\], got \[\]"):
        check_function(f, {"x": np.ones(2)}, lambda g: {})
    with pytest.raises(TypeError, match=r"inputs\['x'\]: expected float64 .*got float32"):
        check_function(f, {"x": np.ones(2, np.float32)}, lambda g: {"x": 2 * g})
    with pytest.raises(TypeError, match="inputs: expected a non-empty dict of arrays, got list"):
        check_function(f, [np.ones(2)], lambda g: {"x": 2 * g})


# --- the four layers, by finite differences -------------------------------------------------


@pytest.mark.parametrize("use_mask", [False, True])
@pytest.mark.parametrize("name", LAYERS)
def test_layer_gradients_by_finite_differences(name, use_mask):
    """Every parameter, the query, keys and values, through both outputs."""
    rng = np.random.default_rng(LAYERS.index(name))
    layer = make_layer(name, rng)
    mask = ragged_mask() if use_mask else None
    inputs = make_inputs(name, rng) | layer.params

    def f(query, keys, values, **params):
        layer.params = params  # the copies check_function perturbs
        return layer.forward(query, keys, values, mask)  # (context, weights)

    def backward(grads):
        d_context, d_weights = grads
        d_query, d_keys, d_values = layer.backward(d_context, d_weights)
        return {"query": d_query, "keys": d_keys, "values": d_values, **layer.grads}

    errors = check_function(f, inputs, backward, rng=rng)
    assert set(errors) == {"query", "keys", "values", *layer.params}
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("name", LAYERS)
def test_padding_is_invisible(name):
    """Keys and values at masked positions change nothing and get zero gradient."""
    rng = np.random.default_rng(10)
    layer = make_layer(name, rng)
    inputs, mask = make_inputs(name, rng), ragged_mask()
    context, weights = layer.forward(**inputs, mask=mask)
    d_query, d_keys, d_values = layer.backward(rng.standard_normal((B, H_V)))
    assert np.all(weights[~mask] == 0.0)
    assert np.all(d_keys[~mask] == 0.0) and np.all(d_values[~mask] == 0.0)
    garbage = {k: v.copy() for k, v in inputs.items()}
    garbage["keys"][~mask] = 1e6
    garbage["values"][~mask] = -1e6
    context_garbage, _ = layer.forward(**garbage, mask=mask)
    np.testing.assert_allclose(context_garbage, context, rtol=1e-12, atol=1e-12)
    assert not np.allclose(layer.forward(**garbage)[0], context)  # without the mask it shows


def test_scaled_dot_is_dot_over_sqrt_h():
    rng = np.random.default_rng(11)
    inputs = make_inputs("dot", rng)
    scaled = {**inputs, "query": inputs["query"] * np.sqrt(H_Q)}
    _, w_scaled = ScaledDotAttention().forward(**scaled)
    _, w_dot = DotAttention().forward(**inputs)
    np.testing.assert_allclose(w_scaled, w_dot, rtol=1e-12)


def test_context_is_the_weighted_sum_of_values():
    rng = np.random.default_rng(12)
    inputs = make_inputs("general", rng)
    context, weights = make_layer("general").forward(**inputs)
    np.testing.assert_allclose(
        context, (weights[:, :, None] * inputs["values"]).sum(axis=1), rtol=1e-13
    )
    assert context.shape == (B, H_V) and weights.shape == (B, T_SRC)


def test_parameters_shapes_seeds_and_dtype():
    a, b, c = (AdditiveAttention(3, 4, 5, rng=s) for s in (7, 7, 8))
    assert {k: v.shape for k, v in a.params.items()} == {
        "weight_query": (5, 3),
        "weight_key": (5, 4),
        "v": (5,),
    }
    assert all(np.array_equal(a.params[k], b.params[k]) for k in a.params)
    assert not np.array_equal(a.params["v"], c.params["v"])
    assert GeneralAttention(3, 4).params["weight"].shape == (3, 4)
    assert DotAttention().params == {} and ScaledDotAttention().params == {}
    assert np.abs(a.params["weight_key"]).max() <= 1 / np.sqrt(4)
    layer = GeneralAttention(2, 3, dtype=np.float32)
    context, weights = layer.forward(np.ones((1, 2)), np.ones((1, 4, 3)), np.ones((1, 4, 2)))
    assert layer.params["weight"].dtype == context.dtype == weights.dtype == np.float32


def test_parameter_free_layers_have_empty_grads():
    rng = np.random.default_rng(13)
    layer = DotAttention()
    layer.forward(**make_inputs("dot", rng))
    layer.backward(np.ones((B, H_V)))
    assert layer.grads == {}


# --- errors at the boundary -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "change", "error", "message"),
    [
        ("additive", {"query": np.ones((B, H_Q + 1))}, ValueError, r"query: expected shape"),
        ("additive", {"query": np.ones((B, 1, H_Q))}, ValueError, r"query: expected 2 dim"),
        ("general", {"keys": np.ones((B, T_SRC, H_Q))}, ValueError, r"keys: expected shape"),
        ("dot", {"keys": np.ones((B, T_SRC, H_Q + 1))}, ValueError, r"keys: expected shape"),
        ("dot", {"keys": np.ones((B + 1, T_SRC, H_Q))}, ValueError, r"axis 0 should be 3"),
        ("dot", {"keys": np.ones((B, 0, H_Q))}, ValueError, r"keys: expected B >= 1"),
        ("dot", {"values": np.ones((B, T_SRC + 1, 2))}, ValueError, r"values: expected shape"),
        ("additive", {"values": np.ones((B, T_SRC, 2), int)}, TypeError, "values: expected a fl"),
        ("scaled_dot", {"query": np.full((B, H_Q), np.nan)}, ValueError, "query: expected finite"),
        ("general", {"mask": np.zeros((B, T_SRC), bool)}, ValueError, "mask: expected at least"),
        ("general", {"mask": np.ones((B, T_SRC), int)}, TypeError, "mask: expected a boolean"),
        ("general", {"mask": np.ones((B, T_SRC + 1), bool)}, ValueError, "mask: expected a shape"),
    ],
)
def test_bad_forward_arguments(name, change, error, message):
    inputs = make_inputs(name, np.random.default_rng(14)) | change
    with pytest.raises(error, match=message):
        make_layer(name).forward(**inputs)


def test_bad_backward_arguments():
    layer = make_layer("additive")
    with pytest.raises(RuntimeError, match=r"backward\(\) called before forward\(\)"):
        layer.backward(np.ones((B, H_V)))
    layer.forward(**make_inputs("additive", np.random.default_rng(15)))
    with pytest.raises(ValueError, match=r"d_context: expected shape \(3, 2\) \(B, H_v\)"):
        layer.backward(np.ones((B, H_V + 1)))
    with pytest.raises(ValueError, match=r"d_weights: expected shape \(3, 5\)"):
        layer.backward(np.ones((B, H_V)), np.ones((B, T_SRC - 1)))


@pytest.mark.parametrize(
    ("build", "error", "message"),
    [
        (lambda: AdditiveAttention(0, 2, 3), ValueError, "query_size: expected a positive int"),
        (lambda: AdditiveAttention(2, 2, 1.5), TypeError, "hidden_size: expected a positive int"),
        (lambda: GeneralAttention(2, -1), ValueError, "key_size: expected a positive integer"),
        (lambda: GeneralAttention(2, 2, rng=None), TypeError, "rng: expected a numpy Generator"),
        (lambda: DotAttention(dtype=np.int32), TypeError, "dtype: expected a floating-point"),
    ],
)
def test_bad_constructor_arguments(build, error, message):
    with pytest.raises(error, match=message):
        build()
