r"""What a Keras recurrent layer returns, rebuilt from what ``torch.nn`` returns.

A torch recurrent layer always returns everything: ``output`` (the top layer's hidden
state at every step) and the final state (``h_n``, plus ``c_n`` for an LSTM). A Keras
layer (``SimpleRNN``, ``GRU``, ``LSTM``) returns a subset chosen by two flags:

=================  ================  ==========================================
return_sequences   return_state      Keras returns (torch equivalent)
=================  ================  ==========================================
False              False             ``output[:, -1]``
True               False             ``output``
False              True              ``[output[:, -1], h_n[-1], c_n[-1]]``
True               True              ``[output, h_n[-1], c_n[-1]]``
=================  ================  ==========================================

(``c_n[-1]`` only for an LSTM.) With ``return_state=True`` the list is always
*output first, then the states*. Without ``return_sequences`` the output is the last
step's output, and an LSTM's output at a step *is* its hidden state there,
:math:`o_t = h_t`; so for a one-layer, one-direction LSTM the first two entries hold the
same numbers. They are two different things that coincide: the first is what the layer
hands to the next layer, the second is the state it hands to another recurrent layer
(for example an encoder's state that starts a decoder).

Keras is not a dependency: this module only reproduces the four combinations from
torch tensors, for a one-layer, one-direction, batch-first layer (Keras's default
layout), which is the case where the mapping is exact.
"""

from __future__ import annotations

import torch

State = torch.Tensor | tuple[torch.Tensor, torch.Tensor]


def keras_returns(
    output: torch.Tensor,
    state: State,
    return_sequences: bool = False,
    return_state: bool = False,
) -> torch.Tensor | list[torch.Tensor]:
    r"""Reproduce a Keras layer's return value from a torch layer's ``(output, state)``.

    .. math::

        \text{seq} = \begin{cases} (h_1, \dots, h_T) & \text{return\_sequences} \\
                                   h_T & \text{otherwise} \end{cases},
        \qquad
        \text{result} = \begin{cases} [\text{seq}, h_T, (c_T)] & \text{return\_state} \\
                                      \text{seq} & \text{otherwise} \end{cases}

    Parameters
    ----------
    output : torch.Tensor, shape (B, T, H)
        The first value returned by a one-layer, one-direction ``nn.RNN``/``nn.GRU``/
        ``nn.LSTM`` built with ``batch_first=True``.
    state : torch.Tensor of shape (1, B, H), or a pair of them
        The second value: ``h_n`` for ``nn.RNN``/``nn.GRU``, ``(h_n, c_n)`` for ``nn.LSTM``.
    return_sequences : bool
    return_state : bool

    Returns
    -------
    torch.Tensor or list of torch.Tensor
        ``(B, H)`` or ``(B, T, H)`` when ``return_state`` is False; otherwise a list:
        the output, then ``h_T`` of shape (B, H), then ``c_T`` of shape (B, H) for an LSTM.
    """
    for flag, name in ((return_sequences, "return_sequences"), (return_state, "return_state")):
        if not isinstance(flag, bool):
            raise TypeError(f"{name}: expected a bool, got {type(flag).__name__} {flag!r}")
    if not isinstance(output, torch.Tensor) or output.dim() != 3:
        got = tuple(output.shape) if isinstance(output, torch.Tensor) else type(output).__name__
        raise ValueError(f"output: expected a tensor of 3 dimensions (B, T, H), got {got}")
    B, T, H = output.shape
    states = list(state) if isinstance(state, tuple | list) else [state]
    if len(states) not in (1, 2):
        raise ValueError(f"state: expected h_n or (h_n, c_n), got {len(states)} tensors")
    for s, name in zip(states, ("h_n", "c_n"), strict=False):
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(s).__name__}")
        if s.dim() != 3 or s.shape[1] != B:
            raise ValueError(
                f"{name}: expected shape (num_layers * num_directions, {B}, {H}), "
                f"got {tuple(s.shape)}"
            )
        if s.shape[0] != 1:
            raise ValueError(
                f"{name}: expected one layer and one direction (leading axis 1), got "
                f"{s.shape[0]}; Keras layers are single, so the mapping is only exact then"
            )
        if s.shape[2] != H:
            raise ValueError(f"{name}: expected shape (1, {B}, {H}), got {tuple(s.shape)}")
    seq = output if return_sequences else output[:, -1]  # (B, T, H) or (B, H)
    if not return_state:
        return seq
    return [seq, *(s[-1] for s in states)]  # seq, h_T (B, H)[, c_T (B, H)]
