"""The regularised tagger: every method is a plain GRU tagger in eval mode, masks only in
training, and the right-context tagging data."""

import numpy as np
import pytest
import torch

from rnnbook.models.regularized_tagger import METHODS, RegularizedTagger
from rnnbook.tasks.right_context import IGNORE_INDEX, ambiguous_only, right_context_tagging
from rnnbook.tasks.tagging import ambiguous_mask, tagging


def _ids(B=4, T=6):
    return torch.from_numpy(np.random.default_rng(0).integers(0, 10, (B, T)))


@pytest.mark.parametrize("method", METHODS)
def test_eval_mode_is_a_plain_gru_tagger(method):
    tagger = RegularizedTagger(10, 3, hidden_size=5, method=method, p=0.5, seed=1).eval()
    x = _ids()
    gru = torch.nn.GRU(
        5, 5, num_layers=2 if "2" in method or "between" in method else 1, batch_first=True
    )
    gru.load_state_dict(tagger.rnn.state_dict())
    with torch.no_grad():
        expected = tagger.head(gru(tagger.embed(x))[0])
        assert torch.allclose(tagger(x), expected, atol=1e-6)


@pytest.mark.parametrize("method", ["between_layers", "variational", "weight_drop", "naive"])
def test_training_mode_drops_something(method):
    tagger = RegularizedTagger(10, 3, hidden_size=5, method=method, p=0.5, seed=1)
    x = _ids()
    torch.manual_seed(0)
    with torch.no_grad():
        assert not torch.allclose(tagger.train()(x), tagger.eval()(x))


def test_no_dropout_methods_are_deterministic_in_training():
    for method in ("none", "none_2_layers"):
        tagger = RegularizedTagger(10, 3, hidden_size=5, method=method, seed=1).train()
        with torch.no_grad():
            assert torch.equal(tagger(_ids()), tagger.eval()(_ids()))


def test_seeded_and_counted():
    a, b = (RegularizedTagger(10, 2, hidden_size=4, method="naive", seed=3) for _ in range(2))
    for p, q in zip(a.parameters(), b.parameters(), strict=True):
        assert torch.equal(p, q)
    one = RegularizedTagger(10, 2, hidden_size=4).num_parameters()
    two = RegularizedTagger(10, 2, hidden_size=4, method="between_layers").num_parameters()
    assert two - one == 3 * 4 * (4 + 4) + 6 * 4  # one more GRU layer


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"method": "zoneout"}, ValueError, "method"),
        ({"p": 1.0}, ValueError, "probability"),
        ({"seed": "0"}, TypeError, "seed"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        RegularizedTagger(10, 2, **kwargs)


def test_bad_ids():
    with pytest.raises(TypeError, match="int64"):
        RegularizedTagger(10, 2)(torch.zeros(2, 3))


def test_right_context_tagging_is_the_tagging_task_reversed():
    data, original = right_context_tagging(20, 9, rng=5), tagging(20, 9, rng=5)
    assert np.array_equal(data.x, original.x[:, ::-1])
    assert np.array_equal(data.y, original.y[:, ::-1])
    assert data.baseline == original.baseline
    scored = ambiguous_only(data)
    assert np.array_equal(scored != IGNORE_INDEX, ambiguous_mask(data.x))
    assert np.array_equal(scored[scored != IGNORE_INDEX], data.y[ambiguous_mask(data.x)])
