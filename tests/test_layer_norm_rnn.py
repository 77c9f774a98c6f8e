"""Tests for the layer-normalised tanh RNN."""

import pytest
import torch

from rnnbook.models.layer_norm_rnn import LayerNormRNN


def _x(B=3, T=6, D=2, seed=0):
    return torch.randn(B, T, D, generator=torch.Generator().manual_seed(seed))


def test_without_layer_norm_it_is_torch_rnn():
    ours = LayerNormRNN(2, 5, layer_norm=False, seed=1)
    with torch.no_grad():
        ours.bias.copy_(torch.linspace(-0.5, 0.5, 5))
    ref = torch.nn.RNN(2, 5, batch_first=True)
    with torch.no_grad():
        ref.weight_ih_l0.copy_(ours.weight_ih_l0)
        ref.weight_hh_l0.copy_(ours.weight_hh_l0)
        ref.bias_ih_l0.copy_(ours.bias)
        ref.bias_hh_l0.zero_()
    x, h0 = _x(), torch.randn(1, 3, 5, generator=torch.Generator().manual_seed(2))
    out, h_n = ours(x, h0)
    out_ref, h_ref = ref(x, h0)
    torch.testing.assert_close(out, out_ref)
    torch.testing.assert_close(h_n, h_ref)


def test_layer_norm_matches_the_equations_written_out():
    rnn = LayerNormRNN(2, 4, seed=3)
    with torch.no_grad():
        rnn.gain.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0]))
        rnn.bias.copy_(torch.tensor([0.1, 0.0, -0.2, 0.3]))
    x = _x(B=2, T=4)
    out, _ = rnn(x)
    h = torch.zeros(2, 4)
    for t in range(4):
        a = x[:, t] @ rnn.weight_ih_l0.T + h @ rnn.weight_hh_l0.T
        mu = a.mean(dim=1, keepdim=True)
        var = a.var(dim=1, unbiased=False, keepdim=True)
        h = torch.tanh(rnn.gain * (a - mu) / torch.sqrt(var + 1e-5) + rnn.bias)
        torch.testing.assert_close(out[:, t], h)


def test_layer_norm_makes_the_layer_blind_to_the_weight_scale():
    rnn = LayerNormRNN(2, 8, seed=4)
    x = _x(D=2)
    out, _ = rnn(x)
    with torch.no_grad():
        rnn.weight_ih_l0.mul_(7.0)
        rnn.weight_hh_l0.mul_(7.0)
    out_scaled, _ = rnn(x)
    torch.testing.assert_close(out_scaled, out, rtol=0, atol=1e-3)  # up to epsilon


def test_gradients_flow_to_every_parameter():
    rnn = LayerNormRNN(2, 4, seed=5)
    out, _ = rnn(_x())
    out.sum().backward()
    for name, p in rnn.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), name


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match=r"\(B, T, 2\)"):
        LayerNormRNN(2, 4)(torch.zeros(3, 5, 3))
    with pytest.raises(ValueError):
        LayerNormRNN(0, 4)
    with pytest.raises(TypeError):
        LayerNormRNN(2, 4, layer_norm="yes")
