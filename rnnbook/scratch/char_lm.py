r"""A character-level language model in numpy: one-hot, Elman RNN, linear readout, softmax.

The model of min-char-rnn, rebuilt from the book's tested pieces. For ids
:math:`c_1, \dots, c_T` and targets :math:`y_1, \dots, y_T` (for a language model,
:math:`y_t = c_{t+1}`),

.. math::

    x_t = e_{c_t}, \qquad
    h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}), \qquad
    z_t = h_t W^\top + b, \qquad
    L = \frac{1}{BT} \sum_{b, t} -\log \mathrm{softmax}(z_{b,t})_{y_{b,t}},

with :math:`e_c` the one-hot vector of id :math:`c` (so :math:`x_t W_{ih}^\top` picks column
:math:`c_t` of :math:`W_{ih}`: a one-hot input is an embedding lookup). The parameters are
named as in :class:`rnnbook.models.char_rnn.CharRNN`, the same model in torch:
``rnn.weight_ih_l0`` (H, V), ``rnn.weight_hh_l0`` (H, H), ``rnn.bias_ih_l0`` (H,),
``rnn.bias_hh_l0`` (H,), ``linear.weight`` (V, H), ``linear.bias`` (V,).

Nothing here is specific to characters: any task that reads one token per step and
predicts one class per step (the delayed-recall task of the BPTT chapter, for instance)
is this model with another vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_array, check_choice, check_positive_float, check_positive_int
from rnnbook.clipping import clip_by_global_norm, global_norm
from rnnbook.optim import Optimizer
from rnnbook.scratch.linear import linear_backward, linear_forward
from rnnbook.scratch.rnn import RNNCache, rnn_backward, rnn_forward
from rnnbook.scratch.softmax_cross_entropy import (
    IGNORE_INDEX,
    cross_entropy_backward,
    cross_entropy_forward,
)
from rnnbook.scratch.truncated_bptt import TBPTTUpdate, truncated_bptt
from rnnbook.text import generate

__all__ = ["IGNORE_INDEX", "CharLM", "TrainResult", "check_ids", "one_hot", "train_tbptt"]


def check_ids(ids: object, name: str, vocab_size: int) -> np.ndarray:
    """Validate a (B, T) integer array of ids in ``[0, vocab_size)``."""
    ids = np.asarray(ids)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{name}: expected integer ids, got dtype {ids.dtype}")
    if ids.ndim != 2 or ids.shape[0] == 0 or ids.shape[1] == 0:
        raise ValueError(f"{name}: expected shape (B, T) with B, T >= 1, got {ids.shape}")
    if ids.min() < 0 or ids.max() >= vocab_size:
        bad = ids[(ids < 0) | (ids >= vocab_size)][0]
        raise ValueError(f"{name}: expected ids in [0, {vocab_size}), got {int(bad)}")
    return ids


def one_hot(ids: np.ndarray, vocab_size: int, dtype: type = np.float64) -> np.ndarray:
    """One-hot vectors: shape ``ids.shape + (vocab_size,)``, a single 1 per position."""
    out = np.zeros((*np.shape(ids), vocab_size), dtype=dtype)
    np.put_along_axis(out, np.asarray(ids)[..., None], 1.0, axis=-1)
    return out


class CharLM:
    r"""The character-level language model of the module docstring.

    Parameters
    ----------
    vocab_size : int
        V, the number of distinct tokens (input and output).
    hidden_size : int
        H.
    rng : numpy.random.Generator or int, optional
        Source of the initial weights; like torch, every weight starts uniform on
        :math:`[-1/\sqrt{H}, 1/\sqrt{H}]`.
    dtype : numpy dtype
        float64 by default.

    Attributes
    ----------
    params : dict[str, ndarray]
        Keys and shapes as in the module docstring; optimizers update them in place.
    """

    def __init__(
        self,
        vocab_size: int,
        hidden_size: int,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
    ) -> None:
        self.vocab_size = check_positive_int(vocab_size, "vocab_size")
        self.hidden_size = check_positive_int(hidden_size, "hidden_size")
        if not np.issubdtype(np.dtype(dtype), np.floating):
            raise TypeError(f"dtype: expected a floating-point dtype, got {np.dtype(dtype)}")
        self.dtype = np.dtype(dtype)
        rng = np.random.default_rng(rng)
        V, H = self.vocab_size, self.hidden_size
        bound = 1.0 / np.sqrt(H)
        shapes = {
            "rnn.weight_ih_l0": (H, V),
            "rnn.weight_hh_l0": (H, H),
            "rnn.bias_ih_l0": (H,),
            "rnn.bias_hh_l0": (H,),
            "linear.weight": (V, H),
            "linear.bias": (V,),
        }
        self.params = {
            name: rng.uniform(-bound, bound, size=shape).astype(self.dtype)
            for name, shape in shapes.items()
        }

    def __repr__(self) -> str:
        return f"CharLM(vocab_size={self.vocab_size}, hidden_size={self.hidden_size})"

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`."""
        return sum(p.size for p in self.params.values())

    def _part(self, prefix: str) -> dict[str, np.ndarray]:
        # Views: the same array objects, so in-place updates reach self.params.
        return {k[len(prefix) :]: v for k, v in self.params.items() if k.startswith(prefix)}

    @property
    def rnn_params(self) -> dict[str, np.ndarray]:
        """The RNN's parameters without the ``rnn.`` prefix, for :func:`rnn_forward`."""
        return self._part("rnn.")

    @property
    def linear_params(self) -> dict[str, np.ndarray]:
        """``weight`` and ``bias`` of the readout."""
        return self._part("linear.")

    def _h0(self, h0: np.ndarray | None, B: int) -> np.ndarray:
        H = self.hidden_size
        if h0 is None:
            return np.zeros((B, H), dtype=self.dtype)
        return check_array(h0, "h0", shape=(B, H), legend="(B, H)", dtype=self.dtype)

    def forward(
        self, ids: np.ndarray, h0: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, RNNCache]:
        """Logits for every step.

        Parameters
        ----------
        ids : ndarray of int, shape (B, T)
        h0 : ndarray, shape (B, H), optional
            Zeros if omitted.

        Returns
        -------
        logits : ndarray, shape (B, T, V)
        h_T : ndarray, shape (B, H)
            The last state, to carry into the next chunk of a stream.
        cache : RNNCache
            The RNN's stored activations.
        """
        ids = check_ids(ids, "ids", self.vocab_size)
        B, T = ids.shape
        x = one_hot(ids, self.vocab_size, self.dtype)  # (B, T, V)
        hs, cache = rnn_forward(self.rnn_params, x, self._h0(h0, B))  # (B, T, H)
        logits = linear_forward(self.linear_params, hs)  # (B, T, V)
        return logits, hs[:, -1].copy(), cache

    def head_loss(
        self, hs: np.ndarray, targets: np.ndarray, reduction: str = "mean"
    ) -> tuple[float, np.ndarray, dict[str, np.ndarray]]:
        """Readout and cross-entropy on given hidden states, with their gradients.

        Parameters
        ----------
        hs : ndarray, shape (B, T, H)
        targets : ndarray of int, shape (B, T)
            Class ids, or ``IGNORE_INDEX`` where a step has no target.
        reduction : {"mean", "sum"}

        Returns
        -------
        loss : float
        d_hs : ndarray, shape (B, T, H)
        grads : dict
            ``linear.weight`` and ``linear.bias``.
        """
        check_choice(reduction, "reduction", ("mean", "sum"))
        logits = linear_forward(self.linear_params, hs)  # (B, T, V)
        loss, ce_cache = cross_entropy_forward(logits, targets, reduction)
        d_logits = cross_entropy_backward(ce_cache)  # (B, T, V): p - e_y, scaled
        d_hs, lin_grads = linear_backward(self.linear_params, hs, d_logits)  # (B, T, H)
        return float(loss), d_hs, {f"linear.{k}": g for k, g in lin_grads.items()}

    def loss(
        self,
        ids: np.ndarray,
        targets: np.ndarray,
        h0: np.ndarray | None = None,
        reduction: str = "mean",
    ) -> tuple[float | np.ndarray, np.ndarray]:
        """The loss of a chunk and its last state, without gradients.

        ``reduction="none"`` gives the loss of every step, shape (B, T).
        """
        logits, h_T, _ = self.forward(ids, h0)
        loss, _ = cross_entropy_forward(logits, targets, reduction)
        return loss, h_T

    def loss_and_grads(
        self,
        ids: np.ndarray,
        targets: np.ndarray,
        h0: np.ndarray | None = None,
        reduction: str = "mean",
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Full BPTT over one chunk: the loss, the gradient of every parameter, the last state.

        ``h0`` is a constant: no gradient flows into it.

        Returns
        -------
        loss : float
        grads : dict
            Same keys and shapes as :attr:`params`.
        h_T : ndarray, shape (B, H)
        """
        ids = check_ids(ids, "ids", self.vocab_size)
        B, T = ids.shape
        x = one_hot(ids, self.vocab_size, self.dtype)  # (B, T, V)
        hs, cache = rnn_forward(self.rnn_params, x, self._h0(h0, B))  # (B, T, H)
        loss, d_hs, grads = self.head_loss(hs, targets, reduction)
        _, _, rnn_grads = rnn_backward(self.rnn_params, cache, d_hs)  # BPTT through the chunk
        grads |= {f"rnn.{k}": g for k, g in rnn_grads.items()}
        return loss, {k: grads[k] for k in self.params}, hs[:, -1].copy()

    def step(self, ids: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step for sampling: ids (B,) and state (B, H) to logits (B, V) and new state."""
        logits, h_next, _ = self.forward(np.asarray(ids)[:, None], h)
        return logits[:, 0], h_next  # (B, V), (B, H)

    def sample(
        self,
        prime: np.ndarray,
        n: int,
        temperature: float,
        rng: np.random.Generator,
        h0: np.ndarray | None = None,
    ) -> np.ndarray:
        """Condition on ``prime`` (B, P) and sample ``n`` ids per row; returns (B, n)."""
        prime = check_ids(prime, "prime", self.vocab_size)
        return generate(self.step, self._h0(h0, prime.shape[0]), prime, n, temperature, rng)

    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64) -> CharLM:
        """Copy a :class:`rnnbook.models.char_rnn.CharRNN` into a numpy model."""
        from rnnbook.models.char_rnn import CharRNN

        if not isinstance(module, CharRNN):
            raise TypeError(f"module: expected CharRNN, got {type(module).__name__}")
        model = cls(module.vocab_size, module.hidden_size, rng=0, dtype=dtype)
        model.params = {
            name: p.detach().cpu().numpy().astype(model.dtype, copy=True)
            for name, p in module.named_parameters()
        }
        return model

    def to_torch(self) -> object:
        """An equivalent :class:`rnnbook.models.char_rnn.CharRNN` with copied weights."""
        import torch

        from rnnbook.models.char_rnn import CharRNN

        dtype = torch.float64 if self.dtype == np.float64 else torch.float32
        module = CharRNN(self.vocab_size, self.hidden_size, dtype=dtype)
        with torch.no_grad():
            for name, p in module.named_parameters():
                p.copy_(torch.from_numpy(self.params[name]))
        return module


class TrainResult(NamedTuple):
    """What :func:`train_tbptt` returns.

    Attributes
    ----------
    losses : list of float
        The loss of each window, before its update.
    grad_norms : list of float
        The global gradient norm of each window, before clipping.
    h_T : ndarray, shape (B, H)
        The state after the last step of the stream.
    """

    losses: list[float]
    grad_norms: list[float]
    h_T: np.ndarray


def train_tbptt(
    model: CharLM,
    ids: np.ndarray,
    targets: np.ndarray,
    k1: int,
    k2: int,
    optimizer: Optimizer,
    clip_norm: float | None = None,
    h0: np.ndarray | None = None,
    stateful: bool = True,
) -> TrainResult:
    """One pass of TBPTT(k1, k2) over a stream, updating ``model.params`` after every window.

    For each window of :func:`~rnnbook.scratch.truncated_bptt.tbptt_windows`: forward from the
    window's constant start state, mean cross-entropy of the window's new steps, backward
    through the window, clip the global norm, one optimizer step.

    Parameters
    ----------
    model : CharLM
    ids : ndarray of int, shape (B, T)
        B parallel streams of T tokens.
    targets : ndarray of int, shape (B, T)
        The class to predict at each step (``IGNORE_INDEX`` for none).
    k1, k2 : int
        The TBPTT schedule.
    optimizer : rnnbook.optim.Optimizer
        Built on ``model.params``.
    clip_norm : float, optional
        Clip the global gradient norm to this before each step.
    h0 : ndarray, shape (B, H), optional
    stateful : bool
        Carry the state from window to window (True), or start each window from ``h0``.

    Raises
    ------
    FloatingPointError
        If a loss or gradient becomes NaN or infinite (training diverged).
    """
    if not isinstance(model, CharLM):
        raise TypeError(f"model: expected a CharLM, got {type(model).__name__}")
    if not isinstance(optimizer, Optimizer) or optimizer.params is not model.params:
        raise ValueError("optimizer: expected an optimizer built on model.params")
    if clip_norm is not None:
        clip_norm = check_positive_float(clip_norm, "clip_norm")
    ids = check_ids(ids, "ids", model.vocab_size)
    B, T = ids.shape
    targets = np.asarray(targets)
    if targets.shape != (B, T):
        raise ValueError(f"targets: expected shape {(B, T)} (B, T), got {targets.shape}")
    x = one_hot(ids, model.vocab_size, model.dtype)  # (B, T, V)

    def loss_fn(hs: np.ndarray, loss_start: int, stop: int):
        return model.head_loss(hs, targets[:, loss_start:stop])

    losses, norms = [], []
    update: TBPTTUpdate | None = None
    h0 = model._h0(h0, B)
    for update in truncated_bptt(model.rnn_params, x, k1, k2, loss_fn, h0, stateful=stateful):
        if not np.isfinite(update.loss):
            raise FloatingPointError(
                f"training diverged at window {len(losses)}: loss is {update.loss}"
            )
        grads = update.loss_grads | {f"rnn.{k}": g for k, g in update.grads.items()}
        grads = {k: grads[k] for k in model.params}
        if clip_norm is not None:
            norm = clip_by_global_norm(grads, clip_norm)  # returns the norm before clipping
        else:
            norm = global_norm(grads)
        optimizer.step(grads)  # updates model.params in place; the next window sees it
        losses.append(update.loss)
        norms.append(norm)
    assert update is not None
    return TrainResult(losses=losses, grad_norms=norms, h_T=update.h_stop)
