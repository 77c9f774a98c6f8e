r"""How much gradient reaches each hidden state, depending on where the loss is computed.

A network that emits an output :math:`o_t` at every step can be trained on a loss at
every step or only at the last one, and the per-step losses can be summed or averaged
over time. With :math:`L_t` the cross-entropy at step :math:`t`, averaged over the batch,

.. math::

    L^{\text{every, sum}} = \sum_{t=1}^{T} L_t, \qquad
    L^{\text{every, mean}} = \frac{1}{T} \sum_{t=1}^{T} L_t, \qquad
    L^{\text{last}} = L_T.

:func:`rnnbook.training.objectives.sequence_loss` computes these;
:func:`state_gradient_norms` measures, for each step, the size of
:math:`\partial L / \partial h_t`, the gradient signal that reaches the hidden state there.
"""

from __future__ import annotations

import torch

from rnnbook.models.io_shapes import ManyToManyAligned
from rnnbook.training.objectives import sequence_loss


def state_gradient_norms(
    model: ManyToManyAligned,
    x: torch.Tensor,
    y: torch.Tensor,
    where: str = "every",
    reduction: str = "mean",
) -> torch.Tensor:
    r"""How much gradient reaches each hidden state: :math:`\|\partial L / \partial h_t\|`.

    The model's recurrent layer is run one step at a time, so that each :math:`h_t` is a
    tensor of its own that feeds both the output head and the next step. Its gradient is
    then the total derivative

    .. math::

        \frac{\partial L}{\partial h_t} =
        \underbrace{\frac{\partial L_t}{\partial h_t}}_{\text{direct, if } L_t \in L}
        + \frac{\partial L}{\partial h_{t+1}} \frac{\partial h_{t+1}}{\partial h_t}.

    Parameters
    ----------
    model : ManyToManyAligned
        Its parameters are not changed; their ``.grad`` is left untouched.
    x : torch.Tensor, int64, shape (B, T)
    y : torch.Tensor, int64, shape (B, T)
    where, reduction
        As in :func:`rnnbook.training.objectives.sequence_loss`.

    Returns
    -------
    torch.Tensor, shape (T,)
        :math:`\|\partial L / \partial h_t\|_2` for each example's own loss, averaged over
        the batch. (``L`` averages over the batch, so the raw gradient of one example's
        state is ``1 / B`` of its own; the result multiplies that back.)
    """
    if not isinstance(model, ManyToManyAligned):
        raise TypeError(f"model: expected a ManyToManyAligned, got {type(model).__name__}")
    logits = model(x)  # validates x; (B, T, V)
    B, T, V = logits.shape
    emb = model.embed(x)  # (B, T, D)
    states, h = [], None
    for t in range(T):
        out, _ = model.rnn(emb[:, t : t + 1], h)  # (B, 1, H)
        state = out[:, 0]  # (B, H): feeds the head and the next step
        states.append(state)
        h = state[None]  # (1, B, H)
    hs = torch.stack(states, dim=1)  # (B, T, H)
    loss = sequence_loss(model.head(hs), y, where=where, reduction=reduction)
    grads = torch.autograd.grad(loss, states)  # T tensors of shape (B, H)
    return torch.stack([(B * g).norm(dim=1).mean() for g in grads]).detach()  # (T,)
