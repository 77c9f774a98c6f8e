"""sequence_loss and state_gradient_norms: the reductions, and the per-step gradients."""

import pytest
import torch
import torch.nn.functional as F

from rnnbook.analysis.state_gradients import state_gradient_norms
from rnnbook.models.io_shapes import ManyToManyAligned, ManyToOne
from rnnbook.training.objectives import sequence_loss

B, T, V = 4, 6, 3


def _data(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, V, generator=gen), torch.randint(0, V, (B, T), generator=gen)


def test_reductions_follow_their_definitions():
    logits, y = _data()
    per_step = [F.cross_entropy(logits[:, t], y[:, t]) for t in range(T)]
    total = sum(per_step)
    torch.testing.assert_close(sequence_loss(logits, y, "every", "sum"), total)
    torch.testing.assert_close(sequence_loss(logits, y, "every", "mean"), total / T)
    for reduction in ("sum", "mean"):
        torch.testing.assert_close(sequence_loss(logits, y, "last", reduction), per_step[-1])


def test_gradient_of_sum_is_sum_of_per_step_gradients():
    # Backpropagating each step's loss on its own and adding up gives the same gradient.
    logits, y = _data(1)
    logits.requires_grad_(True)
    (g_total,) = torch.autograd.grad(sequence_loss(logits, y, "every", "sum"), logits)
    g_steps = sum(
        torch.autograd.grad(F.cross_entropy(logits[:, t], y[:, t]), logits)[0] for t in range(T)
    )
    torch.testing.assert_close(g_total, g_steps)


def _manual_state_grads(model, x, y, where, reduction):
    """An independent unroll of the tanh recurrence, written from the equation."""
    rnn = model.rnn
    w_ih, w_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    emb = model.embed(x)
    h = torch.zeros(x.shape[0], rnn.hidden_size, dtype=emb.dtype)
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(emb[:, t] @ w_ih.T + h @ w_hh.T + b)
        states.append(h)
    loss = sequence_loss(model.head(torch.stack(states, 1)), y, where, reduction)
    grads = torch.autograd.grad(loss, states)
    return torch.stack([(x.shape[0] * g).norm(dim=1).mean() for g in grads])


@pytest.mark.parametrize(
    ("where", "reduction"), [("every", "sum"), ("every", "mean"), ("last", "sum")]
)
def test_state_gradient_norms_match_an_independent_unroll(where, reduction):
    torch.manual_seed(0)
    model = ManyToManyAligned(7, 4, 5, V).double()
    x = torch.randint(0, 7, (B, T))
    y = torch.randint(0, V, (B, T))
    got = state_gradient_norms(model, x, y, where, reduction)
    want = _manual_state_grads(model, x, y, where, reduction)
    assert got.shape == (T,)
    torch.testing.assert_close(got, want, rtol=1e-9, atol=1e-12)
    assert all(p.grad is None for p in model.parameters())


def test_sum_is_t_times_mean_and_last_only_has_no_direct_signal_early():
    torch.manual_seed(0)
    model = ManyToManyAligned(7, 4, 5, V).double()
    x, y = torch.randint(0, 7, (B, T)), torch.randint(0, V, (B, T))
    total = state_gradient_norms(model, x, y, "every", "sum")
    mean = state_gradient_norms(model, x, y, "every", "mean")
    last = state_gradient_norms(model, x, y, "last")
    torch.testing.assert_close(total, T * mean)
    # with the loss at the end only, the signal at step t arrives through T - t Jacobians
    assert last[0] < last[-1]
    assert torch.all(last[:-1] < total[:-1])


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (lambda: sequence_loss(*_data(), where="first"), ValueError, "where: expected one of"),
        (lambda: sequence_loss(*_data(), reduction="max"), ValueError, "reduction: expected one"),
        (
            lambda: sequence_loss(torch.zeros(B, V), torch.zeros(B, dtype=torch.int64)),
            ValueError,
            r"logits: expected a tensor of 3 dimensions \(B, T, V\), got \(4, 3\)",
        ),
        (
            lambda: sequence_loss(torch.zeros(B, T, V), torch.zeros(B, T)),
            ValueError,
            r"y: expected an int64 tensor of shape \(4, 6\), got torch.float32",
        ),
        (
            lambda: state_gradient_norms(
                ManyToOne(7, 4, 5, V), torch.zeros(B, T, dtype=torch.int64), torch.zeros(B, T)
            ),
            TypeError,
            "model: expected a ManyToManyAligned, got ManyToOne",
        ),
    ],
)
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
