r"""What the backward pass keeps: stored activations under full, truncated and checkpointed BPTT.

Backpropagating through :math:`T` steps needs every step's activations. Three ways to
hold them, for any layer of :mod:`rnnbook.scratch`:

* **full BPTT** keeps all :math:`T` steps: memory :math:`O(T)`;
* **truncated BPTT**, TBPTT(k, k), keeps one window of :math:`k` steps: memory :math:`O(k)`,
  but the gradient is a different (truncated) one (:func:`tbptt_largest_window`);
* **checkpointed BPTT** (Chen et al., 2016; Gruslys et al., 2016) keeps only the state
  at the start of every segment of :math:`c` steps during the forward pass, then, segment
  by segment from the last, runs the segment forward again from its checkpoint and
  backpropagates through it. The gradient is the full one, exactly; the memory is
  :math:`O(T/c + c)`, which is :math:`O(\sqrt{T})` for :math:`c = \sqrt{T}`, at the
  price of a second forward pass (:func:`checkpointed_bptt`).

In torch, autograd keeps the activations in its graph; :func:`autograd_graph_size` counts
the graph's nodes, which is how one sees a graph grow when a state is never detached.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from rnnbook.checks import check_array, check_positive_int
from rnnbook.scratch.char_lm import CharLM
from rnnbook.scratch.one_hot import one_hot
from rnnbook.scratch.recurrent import RecurrentLayer
from rnnbook.scratch.truncated_bptt import truncated_bptt


def stored_nbytes(obj: Any) -> int:
    """Bytes held by the distinct arrays in a cache (a NamedTuple, tuple, list or dict).

    An array referenced twice (a step's ``h`` is the next step's ``h_prev``) counts once.

    >>> h = np.zeros((2, 3))
    >>> stored_nbytes([h, (h, np.zeros(4))])
    80
    """
    seen: dict[int, int] = {}
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, np.ndarray):
            seen[id(item)] = int(item.nbytes)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, tuple | list):
            stack.extend(item)
    return sum(seen.values())


def tbptt_largest_window(model: CharLM, ids: np.ndarray, targets: np.ndarray, k: int) -> int:
    """One pass of TBPTT(k, k) over a stream, without updates: the bytes of the largest window.

    Each window's stored activations are dropped once its gradient is computed, so this is
    what the pass needs to keep at any one time.

    Parameters
    ----------
    model : CharLM
    ids, targets : ndarray of int, shape (B, T)
    k : int
    """
    if not isinstance(model, CharLM):
        raise TypeError(f"model: expected a CharLM, got {type(model).__name__}")
    k = check_positive_int(k, "k")
    x = one_hot(ids, model.vocab_size, model.dtype)  # (B, T, V)

    def loss_fn(hs: np.ndarray, loss_start: int, stop: int):
        return model.head_loss(hs, targets[:, loss_start:stop])

    largest = 0
    for update in truncated_bptt(model.rnn, x, k, k, loss_fn):
        largest = max(largest, stored_nbytes(update.cache))
    return largest


def checkpointed_bptt(
    layer: RecurrentLayer,
    x: np.ndarray,
    d_out: np.ndarray,
    segment: int | None = None,
    state0: Any = None,
) -> tuple[dict[str, np.ndarray], Any, int]:
    r"""Full BPTT with :math:`O(T/c + c)` stored activations: checkpoints every ``segment`` steps.

    Forward: run the stream segment by segment, keeping only the state at each segment's
    start (the checkpoints). Backward: for the segments from last to first, run the
    segment forward again from its checkpoint (this stores its activations) and
    backpropagate through it, carrying :math:`\partial L / \partial s` into the segment
    before. The gradient equals ``layer.backward`` after one ``layer.forward`` over the
    whole stream, up to float rounding.

    Parameters
    ----------
    layer : RecurrentLayer
    x : ndarray, shape (B, T, D)
    d_out : ndarray, shape (B, T, H)
        Gradient of the loss with respect to every output.
    segment : int, optional
        Steps per segment, c; :math:`\lceil \sqrt{T} \rceil` if omitted.
    state0 : the layer's state, optional

    Returns
    -------
    grads : dict
        Same keys as ``layer.params``.
    d_state0 : like the layer's state
    peak_bytes : int
        The most bytes stored at once: the checkpoints plus one segment's activations.
    """
    if not isinstance(layer, RecurrentLayer):
        raise TypeError(f"layer: expected a numpy RecurrentLayer, got {type(layer).__name__}")
    x = check_array(x, "x", shape=(None, None, layer.input_size), legend="(B, T, D)")
    B, T, D = x.shape
    d_out = check_array(
        d_out, "d_out", shape=(B, T, layer.hidden_size), legend="(B, T, H)", dtype=x.dtype
    )
    c = math.isqrt(T - 1) + 1 if segment is None else check_positive_int(segment, "segment")
    starts = list(range(0, T, c))
    checkpoints, state = [], state0
    for s in starts:  # forward: keep only the state at each segment's start
        checkpoints.append(state)
        _, state = layer.forward(x[:, s : s + c], state)
        layer.cache = None  # the segment's activations are dropped
    kept = stored_nbytes(checkpoints)
    grads = {name: np.zeros_like(p) for name, p in layer.params.items()}
    d_state, peak = None, 0
    for s, ckpt in zip(reversed(starts), reversed(checkpoints), strict=True):
        layer.forward(x[:, s : s + c], ckpt)  # recompute this segment's activations
        peak = max(peak, kept + stored_nbytes(layer.cache))
        _, d_state = layer.backward(d_out[:, s : s + c], d_state)  # back to its checkpoint
        for name, g in layer.grads.items():
            grads[name] += g
    layer.grads = grads
    return grads, d_state, peak


def autograd_graph_size(tensor: Any) -> int:
    """The number of nodes in the autograd graph behind a torch tensor (0 if it has none).

    >>> import torch
    >>> w = torch.ones(2, requires_grad=True)
    >>> autograd_graph_size((2 * w).sum()), autograd_graph_size(w.detach())
    (3, 0)
    """
    root = getattr(tensor, "grad_fn", None)
    seen, stack = set(), [root] if root is not None else []
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.extend(n for n, _ in node.next_functions if n is not None)
    return len(seen)
