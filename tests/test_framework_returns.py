"""keras_returns: the four Keras flag combinations, rebuilt from torch outputs."""

import pytest
import torch
from torch import nn

from rnnbook.analysis.framework_returns import keras_returns

B, T, D, H = 3, 5, 2, 4


def _run(layer_cls, **kwargs):
    torch.manual_seed(0)
    layer = layer_cls(D, H, batch_first=True, **kwargs)
    return layer(torch.randn(B, T, D))


@pytest.mark.parametrize("layer_cls", [nn.RNN, nn.GRU])
def test_rnn_and_gru(layer_cls):
    output, h_n = _run(layer_cls)
    last = keras_returns(output, h_n)
    assert last.shape == (B, H)
    assert torch.equal(last, output[:, -1])
    assert torch.equal(keras_returns(output, h_n, return_sequences=True), output)
    seq_last, state = keras_returns(output, h_n, return_state=True)
    assert torch.equal(seq_last, output[:, -1]) and torch.equal(state, h_n[0])
    seq, state = keras_returns(output, h_n, return_sequences=True, return_state=True)
    assert seq.shape == (B, T, H) and state.shape == (B, H)


def test_lstm_hidden_state_appears_twice_and_cell_state_last():
    output, (h_n, c_n) = _run(nn.LSTM)
    first, h_last, c_last = keras_returns(output, (h_n, c_n), return_state=True)
    # the "again!": the last output of an LSTM is its last hidden state
    assert torch.equal(first, h_last)
    assert torch.equal(h_last, h_n[0]) and torch.equal(c_last, c_n[0])
    assert not torch.allclose(h_last, c_last)
    seq, h_last, c_last = keras_returns(
        output, (h_n, c_n), return_sequences=True, return_state=True
    )
    assert seq.shape == (B, T, H)
    assert torch.equal(seq[:, -1], h_last)
    assert isinstance(keras_returns(output, (h_n, c_n)), torch.Tensor)


@pytest.mark.parametrize(
    ("kwargs", "axis"),
    [({"bidirectional": True}, 2), ({"num_layers": 2}, 2)],
)
def test_refuses_stacked_or_bidirectional_states(kwargs, axis):
    output, h_n = _run(nn.GRU, **kwargs)
    with pytest.raises(
        ValueError, match=f"h_n: expected one layer and one direction .* got {axis}"
    ):
        keras_returns(output, h_n, return_state=True)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        (
            (torch.zeros(B, H), torch.zeros(1, B, H)),
            {},
            ValueError,
            r"output: expected a tensor of 3",
        ),
        (
            (torch.zeros(B, T, H), torch.zeros(1, B, H + 1)),
            {},
            ValueError,
            r"h_n: expected shape \(1, 3, 4\), got \(1, 3, 5\)",
        ),
        ((torch.zeros(B, T, H), "h"), {}, TypeError, "h_n: expected a torch.Tensor, got str"),
        (
            (torch.zeros(B, T, H), (torch.zeros(1, B, H),) * 3),
            {},
            ValueError,
            r"state: expected h_n or \(h_n, c_n\), got 3 tensors",
        ),
        (
            (torch.zeros(B, T, H), torch.zeros(1, B, H)),
            {"return_state": 1},
            TypeError,
            "return_state: expected a bool, got int 1",
        ),
    ],
)
def test_errors(args, kwargs, error, message):
    with pytest.raises(error, match=message):
        keras_returns(*args, **kwargs)
