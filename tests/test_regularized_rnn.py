"""rnnbook.models.regularized_rnn: parity with torch.nn.LSTM/GRU without dropout, the masks
(rate, values, constant over time or not) and that forward applies them where it says."""

import pytest
import torch

from rnnbook.models.regularized_rnn import (
    NaiveDropoutRNN,
    RegularizedRNN,
    VariationalDropoutRNN,
    WeightDropRNN,
    between_layer_dropout,
)

B, T, D, H = 3, 7, 4, 5
F64 = torch.float64
CELLS = ["lstm", "gru"]


def make(kind, cell, p=0.0, seed=0):
    if kind == "variational":
        return VariationalDropoutRNN(cell, D, H, p, p, seed=seed, dtype=F64)
    if kind == "naive":
        return NaiveDropoutRNN(cell, D, H, p, p, seed=seed, dtype=F64)
    return WeightDropRNN(cell, D, H, p, seed=seed, dtype=F64)


def reference(model):
    """torch.nn.LSTM/GRU holding the same weights."""
    module = getattr(torch.nn, model.cell.upper())(D, H, batch_first=True, dtype=F64)
    module.load_state_dict(model.state_dict())
    return module


def inputs(cell, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(B, T, D, generator=gen, dtype=F64)
    h0 = torch.randn(1, B, H, generator=gen, dtype=F64)
    state = (h0, torch.randn(1, B, H, generator=gen, dtype=F64)) if cell == "lstm" else h0
    return x, state


def flat(state):
    return state if isinstance(state, tuple) else (state,)


def run_with_grads(module, x, state):
    x = x.clone().requires_grad_()
    out, state_n = module(x, state)
    loss = (out * torch.linspace(-1, 1, out.numel(), dtype=F64).view_as(out)).sum()
    loss = loss + sum(s.sum() for s in flat(state_n))
    loss.backward()
    return out.detach(), [s.detach() for s in flat(state_n)], x.grad, module


KINDS = ["variational", "naive", "weight_drop"]


@pytest.mark.parametrize("mode", ["train_p0", "eval_p05"])
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("cell", CELLS)
def test_without_dropout_it_is_torch(cell, kind, mode):
    model = make(kind, cell, p=0.0 if mode == "train_p0" else 0.5)
    if mode == "eval_p05":
        model.eval()
    module = reference(model)
    x, state = inputs(cell)
    out, state_n, dx, _ = run_with_grads(model, x, state)
    t_out, t_state_n, t_dx, _ = run_with_grads(module, x, state)
    assert torch.allclose(out, t_out, rtol=0, atol=1e-13)
    for a, b in zip(state_n, t_state_n, strict=True):
        assert torch.allclose(a, b, rtol=0, atol=1e-13)
    assert torch.allclose(dx, t_dx, rtol=0, atol=1e-12)
    t_params = dict(module.named_parameters())
    for name, p in model.named_parameters():
        assert torch.allclose(p.grad, t_params[name].grad, rtol=0, atol=1e-12), name


@pytest.mark.parametrize("kind", KINDS)
def test_eval_mode_is_deterministic(kind):
    model = make(kind, "lstm", p=0.5).eval()
    x, _ = inputs("lstm")
    first, _ = model(x)
    second, _ = model(x)
    assert torch.equal(first, second)
    train_out, _ = model.train()(x)
    assert not torch.allclose(train_out, first)  # and training mode is not


@pytest.mark.parametrize("kind", ["variational", "naive"])
def test_activation_masks_rate_and_values(kind):
    p = 0.3
    model = make(kind, "gru", p=p)
    masks = model.sample_masks(B=400, T=50)
    assert set(masks) == {"input", "hidden"}
    for m in masks.values():
        assert m.unique().tolist() == pytest.approx([0.0, 1 / (1 - p)])
    hidden = masks["hidden"]
    per_sequence = hidden[:, 0] if kind == "variational" else hidden
    assert abs((per_sequence == 0).double().mean().item() - p) < 0.02
    constant = bool((hidden == hidden[:, :1]).all())
    assert constant == (kind == "variational")  # the one difference between (b) and (d)
    assert not torch.equal(hidden[0, 0], hidden[1, 0])  # but one mask per sequence


def test_weight_mask_rate_and_shape():
    model = WeightDropRNN("lstm", D, 40, weight_dropout=0.4, dtype=F64)
    masks = model.sample_masks(B, T)
    assert set(masks) == {"weight_hh"} and masks["weight_hh"].shape == (4 * 40, 40)
    assert abs((masks["weight_hh"] == 0).double().mean().item() - 0.4) < 0.02
    assert not torch.equal(masks["weight_hh"], model.sample_masks(B, T)["weight_hh"])


def test_zero_probability_draws_no_mask():
    assert make("variational", "lstm").sample_masks(B, T) == {}
    assert make("weight_drop", "gru").sample_masks(B, T) == {}


@pytest.mark.parametrize("cell", CELLS)
def test_weight_drop_is_the_plain_layer_with_masked_weights(cell):
    model = make("weight_drop", cell, p=0.5)
    masks = model.sample_masks(B, T)
    module = reference(model)
    with torch.no_grad():
        module.weight_hh_l0.mul_(masks["weight_hh"])
    x, state = inputs(cell, seed=1)
    out, _ = model(x, state, masks=masks)
    t_out, _ = module(x, state)
    assert torch.allclose(out, t_out, rtol=0, atol=1e-13)
    out.sum().backward()  # the gradient reaches the raw weights through the mask
    dropped = masks["weight_hh"] == 0
    assert not model.weight_hh_l0.grad[dropped].any() and model.weight_hh_l0.grad[~dropped].all()


@pytest.mark.parametrize("cell", CELLS)
def test_input_mask_is_applied_to_x(cell):
    model = VariationalDropoutRNN(cell, D, H, dropout_input=0.5, dtype=F64)
    masks = model.sample_masks(B, T)
    x, state = inputs(cell, seed=2)
    out, _ = model(x, state, masks=masks)
    t_out, _ = reference(model)(x * masks["input"], state)
    assert torch.allclose(out, t_out, rtol=0, atol=1e-13)


def manual_loop(model, x, state, hidden_mask):
    """The cell equations written out once more, with h̃_{t-1} = h_{t-1} ⊙ m_t in products."""
    W_ih, W_hh = model.weight_ih_l0, model.weight_hh_l0
    b_ih, b_hh = model.bias_ih_l0, model.bias_hh_l0
    h, c = (state[0][0], state[1][0]) if model.cell == "lstm" else (state[0], None)
    outs = []
    for t in range(x.shape[1]):
        u, g = x[:, t] @ W_ih.T + b_ih, (h * hidden_mask[:, t]) @ W_hh.T + b_hh
        if model.cell == "lstm":
            i, f, gg, o = (u + g).chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
        else:
            (u_r, u_z, u_n), (g_r, g_z, g_n) = u.chunk(3, dim=1), g.chunk(3, dim=1)
            r, z = torch.sigmoid(u_r + g_r), torch.sigmoid(u_z + g_z)
            h = (1 - z) * torch.tanh(u_n + r * g_n) + z * h
        outs.append(h)
    return torch.stack(outs, dim=1)


@pytest.mark.parametrize("kind", ["variational", "naive"])
@pytest.mark.parametrize("cell", CELLS)
def test_hidden_mask_enters_the_recurrent_product_only(cell, kind):
    model = (VariationalDropoutRNN if kind == "variational" else NaiveDropoutRNN)(
        cell, D, H, dropout_hidden=0.5, dtype=F64
    )
    masks = model.sample_masks(B, T)
    x, state = inputs(cell, seed=3)
    with torch.no_grad():
        out, _ = model(x, state, masks=masks)
        expected = manual_loop(model, x, state, masks["hidden"])
    assert torch.allclose(out, expected, rtol=0, atol=1e-13)


def test_seeded_models_are_reproducible():
    x, _ = inputs("gru")
    a, _ = make("naive", "gru", p=0.5, seed=4)(x)
    b, _ = make("naive", "gru", p=0.5, seed=4)(x)
    c, _ = make("naive", "gru", p=0.5, seed=5)(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_between_layer_dropout():
    module = between_layer_dropout("lstm", D, H, num_layers=3, dropout=0.5, seed=1, dtype=F64)
    assert isinstance(module, torch.nn.LSTM) and module.batch_first
    assert module.num_layers == 3 and module.dropout == 0.5
    again = between_layer_dropout("lstm", D, H, num_layers=3, dropout=0.5, seed=1, dtype=F64)
    assert all(
        torch.equal(p, q) for p, q in zip(module.parameters(), again.parameters(), strict=True)
    )
    assert all(p.abs().max() <= 1 / H**0.5 for p in module.parameters())
    x, _ = inputs("lstm")
    first, _ = module.eval()(x)
    assert torch.equal(first, module(x)[0])
    torch.manual_seed(0)
    assert not torch.allclose(module.train()(x)[0], first)


# --- errors at the boundary -----------------------------------------------------------------


def test_bad_constructor_arguments():
    with pytest.raises(ValueError, match=r"cell: expected one of \('lstm', 'gru'\), got 'rnn'"):
        VariationalDropoutRNN("rnn", D, H)
    with pytest.raises(ValueError, match=r"dropout_hidden: expected a probability in \[0, 1\)"):
        VariationalDropoutRNN("lstm", D, H, dropout_hidden=1.0)
    with pytest.raises(TypeError, match="weight_dropout: expected a probability"):
        WeightDropRNN("lstm", D, H, weight_dropout="0.5")
    with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
        RegularizedRNN("gru", D, 0)
    with pytest.raises(TypeError, match="seed: expected an int, got float"):
        RegularizedRNN("gru", D, H, seed=1.5)
    with pytest.raises(ValueError, match=r"num_layers: expected at least 2 for dropout=0\.5"):
        between_layer_dropout("gru", D, H, num_layers=1, dropout=0.5)


def test_bad_forward_arguments():
    model = make("variational", "lstm", p=0.5)
    x, (h0, c0) = inputs("lstm")
    with pytest.raises(TypeError, match=r"x: expected dtype torch\.float64"):
        model(x.float())
    with pytest.raises(ValueError, match=r"x: expected shape \(B, T, 4\)"):
        model(x[..., :2])
    with pytest.raises(TypeError, match=r"state: expected a tuple \(h0, c0\), got Tensor"):
        model(x, h0)
    with pytest.raises(ValueError, match=r"state: expected shape \(1, 3, 5\) \(1, B, H\)"):
        model(x, (h0[0], c0[0]))
    with pytest.raises(ValueError, match=r"masks\['hidden'\]: expected shape \(3, 7, 5\)"):
        model(x, masks={"hidden": torch.ones(B, 1, H, dtype=F64)})
    with pytest.raises(ValueError, match="masks: expected keys among"):
        model(x, masks={"output": torch.ones(B, T, H, dtype=F64)})
    with pytest.raises(ValueError, match="masks: expected None in eval mode"):
        model.eval()(x, masks={})
