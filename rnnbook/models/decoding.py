r"""Greedy decoding and beam search over any step function.

A decoder is seen through one function,

.. code-block:: text

    step(state, prev_tokens) -> (log_probs, new_state)
    prev_tokens: int64 ndarray (B,)     log_probs: (B, V), log p(y_t | y_<t, x)

where ``state`` is whatever the model carries from step to step: an ndarray, a torch
tensor, or a tuple / NamedTuple / dict of them, every leaf with the batch on its first
axis (beam search reorders it with :func:`index_state`). A hand-made ``step`` with fixed
next-token tables is enough to test the search; :meth:`rnnbook.models.seq2seq.Seq2Seq.step`
plugs a trained model in.

A hypothesis :math:`y_{1:n}` has log-probability :math:`\log p(y_{1:n}) = \sum_t \log
p(y_t \mid y_{<t})`, ``<eos>`` included when it was produced. Beam search ranks finished
hypotheses by the length-normalised score

.. math::

    \mathrm{score}(y_{1:n}) = \frac{\log p(y_{1:n})}{n^\alpha},

where :math:`n` counts the generated tokens, ``<eos>`` included: :math:`\alpha = 0` is no
normalisation (short outputs are favoured, since every token multiplies in a probability
below 1); :math:`\alpha = 1` is the mean log-probability per token. (Wu et al. 2016 use
:math:`((5 + n)/6)^\alpha` instead; the idea is the same.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import numpy as np

from rnnbook.checks import check_positive_float, check_positive_int

Step = Callable[[Any, np.ndarray], tuple[Any, Any]]


class DecodeResult(NamedTuple):
    """What a search returns, one entry per source sequence.

    Attributes
    ----------
    tokens : list of ndarray of int64
        The output tokens of each sequence, without ``<bos>`` and without ``<eos>``.
    log_probs : ndarray of float64, shape (B,)
        :math:`\\log p` of each output, the ``<eos>`` token's included when produced.
    finished : ndarray of bool, shape (B,)
        Whether ``<eos>`` was produced within ``max_len`` steps.
    """

    tokens: list[np.ndarray]
    log_probs: np.ndarray
    finished: np.ndarray


def index_state(state: Any, index: np.ndarray) -> Any:
    """Select (and repeat or reorder) rows of every leaf of ``state`` along the first axis.

    Leaves are ndarrays or torch tensors; containers are tuples, NamedTuples, lists and
    dicts; ``None`` stays ``None``.
    """
    if state is None:
        return None
    if isinstance(state, np.ndarray):
        return state[index]
    if type(state).__module__.startswith("torch") and hasattr(state, "index_select"):
        import torch

        return state.index_select(0, torch.as_tensor(index, dtype=torch.int64))
    if isinstance(state, tuple) and hasattr(state, "_fields"):  # a NamedTuple
        return type(state)(*(index_state(s, index) for s in state))
    if isinstance(state, tuple | list):
        return type(state)(index_state(s, index) for s in state)
    if isinstance(state, dict):
        return {k: index_state(s, index) for k, s in state.items()}
    raise TypeError(
        "state: expected ndarrays or tensors, possibly in tuples, lists or dicts, "
        f"got {type(state).__name__}"
    )


def _batch_size(state: Any) -> int:
    if isinstance(state, dict):
        state = list(state.values())
    if isinstance(state, tuple | list):
        sizes = {_batch_size(s) for s in state if s is not None}
        if len(sizes) != 1:
            raise ValueError(f"state: expected one batch size on every leaf, got {sorted(sizes)}")
        return sizes.pop()
    if getattr(state, "ndim", 0) < 1:
        raise TypeError(f"state: expected arrays with a batch axis, got {type(state).__name__}")
    return int(state.shape[0])


def _check_token_id(value: object, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name}: expected a non-negative int token id, got {value!r}")
    if value < 0:
        raise ValueError(f"{name}: expected a non-negative int token id, got {value}")
    return int(value)


def _call_step(step: Step, state: Any, prev: np.ndarray, eos_id: int) -> tuple[np.ndarray, Any]:
    log_probs, state = step(state, prev)
    if hasattr(log_probs, "detach"):  # a torch tensor
        log_probs = log_probs.detach().cpu().double().numpy()
    log_probs = np.asarray(log_probs, dtype=np.float64)
    if log_probs.ndim != 2 or log_probs.shape[0] != len(prev) or log_probs.shape[1] <= eos_id:
        raise ValueError(
            f"step: expected log-probabilities of shape ({len(prev)}, V) with V > eos_id = "
            f"{eos_id}, got {log_probs.shape}"
        )
    with np.errstate(divide="ignore"):
        total = np.log(np.exp(log_probs).sum(axis=1))  # (B,) 0 for normalised rows
    if np.isnan(log_probs).any() or (log_probs > 0).any() or np.abs(total).max() > 1e-4:
        raise ValueError(
            "step: expected log-probabilities (each row's exp summing to 1), got rows whose "
            f"log-sum-exp is up to {np.abs(total).max():.3g} away from 0"
        )
    return log_probs, state


def _check_common(bos_id: object, eos_id: object, max_len: object) -> tuple[int, int, int]:
    return (
        _check_token_id(bos_id, "bos_id"),
        _check_token_id(eos_id, "eos_id"),
        check_positive_int(max_len, "max_len"),
    )


def greedy_decode(step: Step, state: Any, bos_id: int, eos_id: int, max_len: int) -> DecodeResult:
    r"""Pick the most probable next token at every step, for a whole batch at once.

    .. math::

        y_t = \arg\max_v \log p(v \mid y_{<t}, x), \qquad y_0 = \langle bos \rangle,

    until ``<eos>`` or ``max_len`` tokens. Ties go to the lowest token id.

    Parameters
    ----------
    step : callable
        ``step(state, prev_tokens (B,)) -> (log_probs (B, V), new_state)``.
    state : state of batch size B
        The decoder's initial state.
    bos_id, eos_id : int
        Start and end tokens.
    max_len : int
        The most tokens generated per sequence, ``<eos>`` included.

    Returns
    -------
    DecodeResult
    """
    bos_id, eos_id, max_len = _check_common(bos_id, eos_id, max_len)
    B = _batch_size(state)
    out = np.zeros((B, max_len), dtype=np.int64)  # (B, max_len)
    log_probs = np.zeros(B)  # (B,)
    lengths = np.zeros(B, dtype=np.int64)  # (B,)
    finished = np.zeros(B, dtype=bool)  # (B,)
    prev = np.full(B, bos_id, dtype=np.int64)  # (B,)
    for t in range(max_len):
        step_log_probs, state = _call_step(step, state, prev, eos_id)  # (B, V)
        choice = step_log_probs.argmax(axis=1)  # (B,)
        alive = ~finished
        log_probs[alive] += step_log_probs[alive, choice[alive]]
        out[alive, t] = choice[alive]
        lengths[alive] += 1
        finished |= alive & (choice == eos_id)
        if finished.all():
            break
        prev = np.where(finished, eos_id, choice)  # finished rows are fed <eos>, ignored
    tokens = [out[b, : lengths[b] - finished[b]] for b in range(B)]  # drop <eos>
    return DecodeResult(tokens, log_probs, finished)


def beam_search(
    step: Step,
    state: Any,
    bos_id: int,
    eos_id: int,
    max_len: int,
    beam_size: int = 4,
    alpha: float = 0.0,
) -> DecodeResult:
    r"""Keep the ``beam_size`` most probable prefixes at every step; one sequence at a time.

    Each alive prefix is extended by every token; of all extensions, the ``k`` with the
    highest :math:`\log p` survive, where ``k`` is ``beam_size`` minus the number of
    hypotheses already finished (a finished hypothesis keeps its place: the beam
    shrinks). An extension by ``<eos>`` is finished. The search stops when no prefix is
    alive or after ``max_len`` tokens, when the alive prefixes join the finished ones
    unfinished. The winner maximises :math:`\log p(y_{1:n}) / n^\alpha`. With
    ``beam_size=1`` this is :func:`greedy_decode`.

    Parameters
    ----------
    step, state, bos_id, eos_id, max_len
        As in :func:`greedy_decode`; ``state`` is reordered with :func:`index_state`.
    beam_size : int
        The number of hypotheses kept.
    alpha : float
        Length-normalisation exponent, >= 0; 0 ranks by :math:`\log p` alone.

    Returns
    -------
    DecodeResult
        The best hypothesis of each sequence.
    """
    bos_id, eos_id, max_len = _check_common(bos_id, eos_id, max_len)
    beam_size = check_positive_int(beam_size, "beam_size")
    alpha = check_positive_float(alpha, "alpha", allow_zero=True)
    B = _batch_size(state)
    tokens, log_probs, finished = [], np.zeros(B), np.zeros(B, dtype=bool)
    for b in range(B):
        one = index_state(state, np.array([b]))  # batch size 1
        best = _beam_one(step, one, bos_id, eos_id, max_len, beam_size, alpha)
        tokens.append(np.array(best[0], dtype=np.int64))
        log_probs[b], finished[b] = best[1], best[2]
    return DecodeResult(tokens, log_probs, finished)


def _beam_one(
    step: Step, state: Any, bos_id: int, eos_id: int, max_len: int, beam_size: int, alpha: float
) -> tuple[tuple[int, ...], float, bool]:
    """Beam search for one sequence (``state`` of batch size 1): (tokens, log p, finished)."""
    prefixes: list[tuple[int, ...]] = [()]  # alive prefixes, without <bos>
    scores = np.zeros(1)  # (n_alive,) log p of each prefix
    prev = np.array([bos_id], dtype=np.int64)
    done: list[tuple[tuple[int, ...], float, bool]] = []  # (tokens without <eos>, log p, eos?)
    for _ in range(max_len):
        step_log_probs, state = _call_step(step, state, prev, eos_id)  # (n_alive, V)
        V = step_log_probs.shape[1]
        candidates = (scores[:, None] + step_log_probs).ravel()  # (n_alive * V,)
        keep = beam_size - len(done)
        order = np.argsort(-candidates, kind="stable")[:keep]  # best first, ties by index
        alive_prefixes, alive_scores, parents = [], [], []
        for flat in order.tolist():
            if candidates[flat] == -np.inf:
                break  # impossible extensions (probability 0) never enter the beam
            parent, token = divmod(flat, V)
            if token == eos_id:
                done.append((prefixes[parent], float(candidates[flat]), True))
            else:
                alive_prefixes.append((*prefixes[parent], token))
                alive_scores.append(candidates[flat])
                parents.append(parent)
        if not alive_prefixes:
            break
        prefixes, scores = alive_prefixes, np.array(alive_scores)
        state = index_state(state, np.array(parents))
        prev = np.array([p[-1] for p in prefixes], dtype=np.int64)
    else:  # max_len reached with prefixes still alive: they compete unfinished
        done += [(p, float(s), False) for p, s in zip(prefixes, scores, strict=True)]

    def normalised(hyp: tuple[tuple[int, ...], float, bool]) -> float:
        n = len(hyp[0]) + hyp[2]  # generated tokens, <eos> included
        return hyp[1] / n**alpha

    return max(done, key=normalised)  # the first of equals wins
