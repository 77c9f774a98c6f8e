r"""A character-level language model in numpy: one-hot, Elman RNN, linear readout, softmax.

The model of min-char-rnn, rebuilt from the book's tested pieces. For ids
:math:`c_1, \dots, c_T` and targets :math:`y_1, \dots, y_T` (for a language model,
:math:`y_t = c_{t+1}`),

.. math::

    x_t = e_{c_t}, \qquad
    h_t = \tanh(x_t W_{ih}^\top + b_{ih} + h_{t-1} W_{hh}^\top + b_{hh}), \qquad
    o_t = h_t V^\top + c, \qquad
    L = \frac{1}{BT} \sum_{b, t} -\log \mathrm{softmax}(o_{b,t})_{y_{b,t}},

with :math:`e_c` the one-hot vector of id :math:`c` (so :math:`x_t W_{ih}^\top` picks column
:math:`c_t` of :math:`W_{ih}`: a one-hot input is an embedding lookup). The parameters are
named as in :class:`rnnbook.models.char_rnn.CharRNN`, the same model in torch:
``rnn.weight_ih_l0`` (H, V), ``rnn.weight_hh_l0`` (H, H), ``rnn.bias_ih_l0`` (H,),
``rnn.bias_hh_l0`` (H,), ``linear.weight`` (V, H), ``linear.bias`` (V,).

The model is composed of the book's layers: :class:`~rnnbook.scratch.rnn.RNN` (its
parameters appear here with the prefix ``rnn.``) and the readout of
:mod:`~rnnbook.scratch.linear` (prefix ``linear.``). Its state ``h`` has the RNN's layout,
(1, B, H).

Nothing here is specific to characters: any task that reads one token per step and
predicts one class per step (the delayed-recall task of the BPTT chapter, for instance)
is this model with another vocabulary.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_choice, check_ids, check_positive_int
from rnnbook.scratch.linear import linear_backward, linear_forward
from rnnbook.scratch.one_hot import one_hot
from rnnbook.scratch.rnn import RNN
from rnnbook.scratch.softmax_cross_entropy import cross_entropy_backward, cross_entropy_forward
from rnnbook.text import generate


class CharLMCache(NamedTuple):
    """What :meth:`CharLM.forward` keeps for :meth:`CharLM.backward`: the states (B, T, H)."""

    hs: np.ndarray


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
    rnn : RNN
        The recurrent layer.
    params : dict[str, ndarray]
        ``rnn.weight_ih_l0`` (H, V), ``rnn.weight_hh_l0`` (H, H), ``rnn.bias_ih_l0`` (H,),
        ``rnn.bias_hh_l0`` (H,), ``linear.weight`` (V, H), ``linear.bias`` (V,). The
        ``rnn.`` arrays are the layer's own, so in-place optimizer updates reach it.
    grads : dict[str, ndarray]
        Filled by :meth:`backward`; same keys as ``params``.

    >>> model = CharLM(vocab_size=5, hidden_size=8, rng=0)
    >>> logits, h_n = model.forward(np.array([[0, 1, 2]]))
    >>> logits.shape, h_n.shape
    ((1, 3, 5), (1, 1, 8))
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
        rng = np.random.default_rng(rng)
        V, H = self.vocab_size, self.hidden_size
        self.rnn = RNN(V, H, rng=rng, dtype=dtype)
        self.dtype = self.rnn.dtype
        bound = 1.0 / np.sqrt(H)
        readout = {
            "weight": rng.uniform(-bound, bound, size=(V, H)).astype(self.dtype),  # V
            "bias": rng.uniform(-bound, bound, size=(V,)).astype(self.dtype),  # c
        }
        self.params = {f"rnn.{k}": p for k, p in self.rnn.params.items()}
        self.params |= {f"linear.{k}": p for k, p in readout.items()}
        self.grads: dict[str, np.ndarray] = {}
        self.cache: CharLMCache | None = None

    def __repr__(self) -> str:
        return f"CharLM(vocab_size={self.vocab_size}, hidden_size={self.hidden_size})"

    def num_parameters(self) -> int:
        """The number of scalars in :attr:`params`."""
        return sum(p.size for p in self.params.values())

    @property
    def linear_params(self) -> dict[str, np.ndarray]:
        """``weight`` (V, H) and ``bias`` (V,) of the readout (the same arrays)."""
        return {"weight": self.params["linear.weight"], "bias": self.params["linear.bias"]}

    def forward(
        self, ids: np.ndarray, h0: np.ndarray | None = None, *, lengths: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Logits for every step.

        Parameters
        ----------
        ids : ndarray of int, shape (B, T)
        h0 : ndarray, shape (1, B, H), optional
            Zeros if omitted.
        lengths : ndarray of int, shape (B,), optional
            As for :class:`~rnnbook.scratch.rnn.RNN`.

        Returns
        -------
        logits : ndarray, shape (B, T, V)
        h_n : ndarray, shape (1, B, H)
            The last state, to carry into the next chunk of a stream.
        """
        ids = check_ids(ids, "ids", self.vocab_size, ndim=2)
        x = one_hot(ids, self.vocab_size, self.dtype)  # (B, T, V)
        hs, h_n = self.rnn.forward(x, h0, lengths=lengths)  # (B, T, H), (1, B, H)
        self.cache = CharLMCache(hs=hs)
        return linear_forward(self.linear_params, hs), h_n  # (B, T, V)

    __call__ = forward

    def backward(self, d_logits: np.ndarray, d_h_n: np.ndarray | None = None) -> np.ndarray:
        """Backpropagate through the last :meth:`forward`; fills :attr:`grads`.

        Parameters
        ----------
        d_logits : ndarray, shape (B, T, V)
        d_h_n : ndarray, shape (1, B, H), optional

        Returns
        -------
        d_h0 : ndarray, shape (1, B, H)
            (The input is one-hot ids: there is no input gradient to return.)
        """
        if self.cache is None:
            raise RuntimeError(
                "backward() called before forward(): there is nothing to differentiate"
            )
        d_hs, lin_grads = linear_backward(self.linear_params, self.cache.hs, d_logits)  # (B, T, H)
        _, d_h0 = self.rnn.backward(d_hs, d_h_n)  # BPTT through the chunk
        grads = {f"rnn.{k}": g for k, g in self.rnn.grads.items()}
        grads |= {f"linear.{k}": g for k, g in lin_grads.items()}
        self.grads = {k: grads[k] for k in self.params}
        return d_h0

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
        """The loss of a chunk and its last state (1, B, H), without gradients.

        ``reduction="none"`` gives the loss of every step, shape (B, T).
        """
        logits, h_n = self.forward(ids, h0)
        loss, _ = cross_entropy_forward(logits, targets, reduction)
        return loss, h_n

    def loss_and_grads(
        self,
        ids: np.ndarray,
        targets: np.ndarray,
        h0: np.ndarray | None = None,
        reduction: str = "mean",
    ) -> tuple[float, dict[str, np.ndarray], np.ndarray]:
        """Full BPTT over one chunk: the loss, the gradient of every parameter, the last state.

        ``h0`` (1, B, H) is a constant: its gradient is not returned.

        Returns
        -------
        loss : float
        grads : dict
            Same keys and shapes as :attr:`params`.
        h_n : ndarray, shape (1, B, H)
        """
        logits, h_n = self.forward(ids, h0)
        loss, ce_cache = cross_entropy_forward(logits, targets, reduction)
        if reduction == "none":
            raise ValueError("reduction: expected 'mean' or 'sum' for gradients, got 'none'")
        self.backward(cross_entropy_backward(ce_cache))
        return float(loss), self.grads, h_n

    def step(self, ids: np.ndarray, h: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One step for sampling: ids (B,) and state (1, B, H) to logits (B, V) and new state."""
        logits, h_next = self.forward(np.asarray(ids)[:, None], h)
        return logits[:, 0], h_next  # (B, V), (1, B, H)

    def sample(
        self,
        prime: np.ndarray,
        n: int,
        temperature: float,
        rng: np.random.Generator,
        h0: np.ndarray | None = None,
    ) -> np.ndarray:
        """Condition on ``prime`` (B, P) and sample ``n`` ids per row; returns (B, n)."""
        prime = check_ids(prime, "prime", self.vocab_size, ndim=2)
        if h0 is None:
            h0 = np.zeros((1, prime.shape[0], self.hidden_size), dtype=self.dtype)
        return generate(self.step, h0, prime, n, temperature, rng)

    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64) -> CharLM:
        """Copy a :class:`rnnbook.models.char_rnn.CharRNN` into a numpy model."""
        from rnnbook.models.char_rnn import CharRNN

        if not isinstance(module, CharRNN):
            raise TypeError(f"module: expected CharRNN, got {type(module).__name__}")
        model = cls(module.vocab_size, module.hidden_size, rng=0, dtype=dtype)
        for name, p in module.named_parameters():
            model.params[name][...] = p.detach().cpu().numpy()  # in place: shared with rnn
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
