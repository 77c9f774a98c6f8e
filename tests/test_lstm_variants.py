"""rnnbook.models.lstm_variants: parity of "full" with torch.nn.LSTM, each variant's equation,
the forget-bias helper, and errors."""

import pytest
import torch

from rnnbook.models.lstm_variants import VARIANTS, LSTMVariant, set_forget_bias_

FORWARD_TOL, GRADIENT_TOL = 1e-9, 1e-7


def rel(a, b):
    """max|a - b| / max|b|: the parity measure."""
    a, b = a.detach(), b.detach()
    assert a.shape == b.shape, (a.shape, b.shape)
    return float((a - b).abs().max() / (b.abs().max().clamp_min(1e-300)))


def run(module, x, state, g_out, g_h, g_c):
    """Forward and backward; returns outputs and the gradients of x, h0, c0 and params."""
    x = x.clone().requires_grad_(True)
    state = tuple(s.clone().requires_grad_(True) for s in state)
    module.zero_grad()
    out, (h_n, c_n) = module(x, state)
    ((out * g_out).sum() + (h_n * g_h).sum() + (c_n * g_c).sum()).backward()
    grads = {"x": x.grad, "h0": state[0].grad, "c0": state[1].grad}
    grads |= {name: p.grad for name, p in module.named_parameters()}
    return (out, h_n, c_n), grads


@pytest.mark.parametrize(("B", "T", "D", "H"), [(1, 1, 1, 1), (1, 5, 3, 4), (3, 7, 5, 2)])
def test_full_matches_nn_lstm(B, T, D, H):
    gen = torch.Generator().manual_seed(B + T + D + H)
    lstm = torch.nn.LSTM(D, H, batch_first=True, dtype=torch.float64)
    model = LSTMVariant(D, H, variant="full").double()
    model.load_state_dict(lstm.state_dict())  # same names, same layout
    x = torch.randn(B, T, D, generator=gen, dtype=torch.float64)
    state = tuple(torch.randn(1, B, H, generator=gen, dtype=torch.float64) for _ in range(2))
    g = [torch.randn(s, generator=gen, dtype=torch.float64) for s in [(B, T, H), *[(1, B, H)] * 2]]
    ours, our_grads = run(model, x, state, *g)
    theirs, their_grads = run(lstm, x, state, *g)
    for a, b in zip(ours, theirs, strict=True):
        assert rel(a, b) <= FORWARD_TOL
    assert our_grads.keys() == their_grads.keys()
    for name, grad in our_grads.items():
        assert rel(grad, their_grads[name]) <= GRADIENT_TOL, name


def test_default_state_is_zero():
    model = LSTMVariant(3, 4).double()
    x = torch.randn(2, 5, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    zeros = torch.zeros(1, 2, 4, dtype=torch.float64)
    assert torch.equal(model(x)[0], model(x, (zeros, zeros))[0])


def _copy_gates(src, dst):
    """Copy the rows of every gate ``dst`` has from ``src``."""
    with torch.no_grad():
        for gate in dst.gates:
            rows_src, rows_dst = src.gate_rows(gate), dst.gate_rows(gate)
            for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"):
                getattr(dst, name)[rows_dst] = getattr(src, name)[rows_src]


@pytest.mark.parametrize(
    ("variant", "gate", "bias"),
    [("no_forget_gate", "f", 1e3), ("no_input_gate", "i", 1e3), ("no_output_gate", "o", 1e3)],
)
def test_a_removed_gate_is_a_gate_held_open(variant, gate, bias):
    # Removing gate X (X = 1) equals the full LSTM with X's bias so large that σ = 1.
    full = LSTMVariant(3, 4, seed=1).double()
    with torch.no_grad():
        full.bias_ih_l0[full.gate_rows(gate)] = bias
    ablated = LSTMVariant(3, 4, variant=variant).double()
    _copy_gates(full, ablated)
    gen = torch.Generator().manual_seed(2)
    x = torch.randn(2, 6, 3, dtype=torch.float64, generator=gen)
    state = tuple(torch.randn(1, 2, 4, dtype=torch.float64, generator=gen) for _ in range(2))
    a, b = ablated(x, state), full(x, state)
    assert torch.equal(a[0], b[0]) and torch.equal(a[1][1], b[1][1])
    assert not torch.allclose(LSTMVariant(3, 4, seed=1).double()(x, state)[0], b[0])


def one_step_reference(model, x, h, c):
    """One step of the module docstring's equations, written out gate by gate."""
    H = model.hidden_size
    a = x @ model.weight_ih_l0.T + model.bias_ih_l0 + h @ model.weight_hh_l0.T + model.bias_hh_l0
    blocks = {gate: a[:, model.gate_rows(gate)] for gate in model.gates}
    assert all(b.shape[1] == H for b in blocks.values())
    if model.variant == "coupled":
        f = torch.sigmoid(blocks["f"])
        c_new = f * c + (1 - f) * torch.tanh(blocks["g"])
        return torch.sigmoid(blocks["o"]) * torch.tanh(c_new), c_new
    assert model.variant == "peephole"
    i = torch.sigmoid(blocks["i"] + model.peephole_i * c)
    f = torch.sigmoid(blocks["f"] + model.peephole_f * c)
    c_new = f * c + i * torch.tanh(blocks["g"])
    o = torch.sigmoid(blocks["o"] + model.peephole_o * c_new)  # the new cell
    return o * torch.tanh(c_new), c_new


@pytest.mark.parametrize("variant", ["coupled", "peephole"])
def test_coupled_and_peephole_equations(variant):
    model = LSTMVariant(3, 4, variant=variant, seed=3).double()
    gen = torch.Generator().manual_seed(4)
    x = torch.randn(2, 1, 3, dtype=torch.float64, generator=gen)
    h0, c0 = (torch.randn(1, 2, 4, dtype=torch.float64, generator=gen) for _ in range(2))
    with torch.no_grad():
        out, (h_n, c_n) = model(x, (h0, c0))
        h_ref, c_ref = one_step_reference(model, x[:, 0], h0[0], c0[0])
    assert rel(h_n[0], h_ref) <= 1e-14 and rel(c_n[0], c_ref) <= 1e-14
    assert torch.equal(out[:, 0], h_n[0])


def test_peephole_with_zero_peepholes_is_the_full_lstm():
    full = LSTMVariant(3, 4, seed=5).double()
    peep = LSTMVariant(3, 4, variant="peephole", seed=5).double()
    x = torch.randn(2, 6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(6))
    assert torch.equal(peep.weight_hh_l0, full.weight_hh_l0)  # drawn first, from one seed
    assert not torch.allclose(peep(x)[0], full(x)[0])
    with torch.no_grad():
        for name in ("peephole_i", "peephole_f", "peephole_o"):
            getattr(peep, name).zero_()
    assert torch.equal(peep(x)[0], full(x)[0])


@pytest.mark.parametrize("variant", VARIANTS)
def test_layout_and_parameter_count(variant):
    D, H = 3, 5
    model = LSTMVariant(D, H, variant=variant)
    G = len(model.gates)
    assert len(model.gates) == (4 if variant in ("full", "peephole") else 3)
    shapes = {name: tuple(p.shape) for name, p in model.named_parameters()}
    expected = {
        "weight_ih_l0": (G * H, D),
        "weight_hh_l0": (G * H, H),
        "bias_ih_l0": (G * H,),
        "bias_hh_l0": (G * H,),
    }
    if variant == "peephole":
        expected |= {"peephole_i": (H,), "peephole_f": (H,), "peephole_o": (H,)}
    assert shapes == expected
    if variant == "full":
        lstm = torch.nn.LSTM(D, H, batch_first=True)
        assert shapes == {name: tuple(p.shape) for name, p in lstm.named_parameters()}


def test_every_variant_trains_one_step():
    gen = torch.Generator().manual_seed(7)
    x, y = torch.randn(4, 10, 2, generator=gen), torch.randn(4, 10, 8, generator=gen)
    for variant in VARIANTS:
        model = LSTMVariant(2, 8, variant=variant)
        out, _ = model(x)
        ((out - y) ** 2).mean().backward()
        assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())


def test_seeded_init_ignores_the_global_generator():
    torch.manual_seed(0)
    a = LSTMVariant(3, 4, seed=11)
    torch.manual_seed(1)
    b = LSTMVariant(3, 4, seed=11)
    c = LSTMVariant(3, 4, seed=12)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters(), strict=True))
    assert not torch.equal(a.weight_hh_l0, c.weight_hh_l0)
    assert all(p.abs().max() <= 0.5 for p in a.parameters())


# --- forget-gate bias -------------------------------------------------------------------


@pytest.mark.parametrize("variant", ["full", "no_input_gate", "coupled", "peephole"])
def test_forget_bias_argument(variant):
    H = 4
    model = LSTMVariant(3, H, variant=variant, forget_bias=1.0)
    rows = model.gate_rows("f")
    assert torch.equal(model.bias_ih_l0[rows], torch.ones(H))
    assert torch.equal(model.bias_hh_l0[rows], torch.zeros(H))
    plain = LSTMVariant(3, H, variant=variant)
    others = torch.ones(len(model.gates) * H, dtype=torch.bool)
    others[rows] = False
    assert torch.equal(model.bias_ih_l0[others], plain.bias_ih_l0[others])  # the rest as drawn


def test_set_forget_bias_on_nn_lstm_sets_every_layer_and_direction():
    H = 3
    lstm = torch.nn.LSTM(2, H, num_layers=2, bidirectional=True, batch_first=True)
    before = {name: p.detach().clone() for name, p in lstm.named_parameters()}
    assert set_forget_bias_(lstm, 2.0) is lstm
    for name, p in lstm.named_parameters():
        if name.startswith("bias_"):
            want = 2.0 if name.startswith("bias_ih") else 0.0
            assert torch.equal(p[H : 2 * H], torch.full((H,), want)), name
            assert torch.equal(p[:H], before[name][:H]) and torch.equal(
                p[2 * H :], before[name][2 * H :]
            )
        else:
            assert torch.equal(p, before[name]), name


def test_forget_bias_of_variant_and_nn_lstm_agree():
    lstm = set_forget_bias_(torch.nn.LSTM(3, 4, batch_first=True), 1.0)
    model = LSTMVariant(3, 4, forget_bias=1.0)
    assert torch.equal(lstm.bias_ih_l0[4:8], model.bias_ih_l0[4:8])
    assert torch.equal(lstm.bias_hh_l0[4:8], model.bias_hh_l0[4:8])


# --- errors -----------------------------------------------------------------------------


def test_bad_hyperparameters():
    with pytest.raises(ValueError, match=r"variant: expected one of \('full', .*got 'gru'"):
        LSTMVariant(3, 4, variant="gru")
    with pytest.raises(ValueError, match="hidden_size: expected a positive integer, got 0"):
        LSTMVariant(3, 0)
    with pytest.raises(ValueError, match="forget_bias: expected None for variant='no_forget_gate'"):
        LSTMVariant(3, 4, variant="no_forget_gate", forget_bias=1.0)
    with pytest.raises(ValueError, match="forget_bias: expected a finite number, got nan"):
        LSTMVariant(3, 4, forget_bias=float("nan"))
    with pytest.raises(ValueError, match="seed: expected a non-negative integer, got -1"):
        LSTMVariant(3, 4, seed=-1)


def test_bad_set_forget_bias():
    with pytest.raises(ValueError, match="lstm: expected an LSTM with biases, got bias=False"):
        set_forget_bias_(torch.nn.LSTM(2, 3, bias=False), 1.0)
    with pytest.raises(TypeError, match=r"lstm: expected torch\.nn\.LSTM or LSTMVariant, got GRU"):
        set_forget_bias_(torch.nn.GRU(2, 3), 1.0)
    with pytest.raises(ValueError, match=r"gate: expected one of \('i', 'g', 'o'\), got 'f'"):
        set_forget_bias_(LSTMVariant(2, 3, variant="no_forget_gate"), 1.0)
    with pytest.raises(ValueError, match="value: expected a finite number, got True"):
        set_forget_bias_(torch.nn.LSTM(2, 3), True)


def test_bad_input():
    model = LSTMVariant(3, 4)
    with pytest.raises(TypeError, match=r"x: expected a torch\.Tensor of shape"):
        model(torch.zeros(2, 5, 3).numpy())
    with pytest.raises(
        ValueError, match=r"x: expected shape \(B, T, 3\) \(B, T, D\), .*got \(2, 5, 4\)"
    ):
        model(torch.zeros(2, 5, 4))
    with pytest.raises(ValueError, match=r"x: expected shape .*got \(5, 3\)"):
        model(torch.zeros(5, 3))
    with pytest.raises(TypeError, match=r"x: expected dtype torch\.float32 .*got torch\.float64"):
        model(torch.zeros(2, 5, 3, dtype=torch.float64))
    with pytest.raises(
        TypeError, match=r"state: expected a tuple \(h0, c0\) of two tensors, got Tensor"
    ):
        model(torch.zeros(2, 5, 3), torch.zeros(1, 2, 4))
    with pytest.raises(
        ValueError, match=r"state: expected c0 of shape \(1, 2, 4\) \(1, B, H\), got \(2, 4\)"
    ):
        model(torch.zeros(2, 5, 3), (torch.zeros(1, 2, 4), torch.zeros(2, 4)))
