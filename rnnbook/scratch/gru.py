r"""The GRU in numpy, with its backward pass written by hand, in two variants.

Shapes use the book's letters: ``B`` batch, ``T`` time steps, ``D`` input features,
``H`` hidden units. Sequences are batch-first, as ``torch.nn.GRU(batch_first=True)``.

``variant="torch"`` computes torch's equations (one row of the batch at a time, in
column-vector form):

.. math::

    r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}) \\
    z_t &= \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}) \\
    n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn})) \\
    h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}

``variant="cho"`` is the original of Cho et al. (2014), where the reset gate multiplies
:math:`h_{t-1}` *before* the matrix product; :math:`r_t, z_t, h_t` are as above and

.. math::

    n_t = \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn}).

Torch (and cuDNN) apply :math:`r_t` after the product, so that :math:`W_{hn} h_{t-1}` can
be computed for all three gates in one matrix product; torch's documentation notes the
departure. The two agree when :math:`r_t \equiv 1` or :math:`W_{hn} = 0`, and not otherwise.
Some texts (Chung et al. 2014, for one) swap :math:`z_t` and :math:`1 - z_t` in the last
line, so that :math:`z_t = 1` takes the new candidate; the two conventions differ only in
the sign of :math:`z`'s pre-activation. We follow Cho et al. and torch.

The three gate blocks are stacked in torch's order ``r, z, n``:
``weight_ih_l0 = W_ir|W_iz|W_in`` (3H, D), ``weight_hh_l0 = W_hr|W_hz|W_hn`` (3H, H),
``bias_ih_l0`` and ``bias_hh_l0`` (3H,), in both variants. The input part
:math:`x_t W_{ih}^\top + b_{ih}` is computed for all steps at once (see
:mod:`rnnbook.scratch.recurrent`); the hidden part is computed inside the step, since
:math:`b_{hn}` sits inside the reset gate's product.

Two levels, as in :mod:`rnnbook.scratch.rnn`: the pure per-step functions
:func:`gru_step_forward` and :func:`gru_step_backward`, and the layer :class:`GRU`.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from rnnbook.checks import check_choice
from rnnbook.scratch.activations import activation, sigmoid
from rnnbook.scratch.recurrent import SingleStateLayer, State

VARIANTS = ("torch", "cho")


class GRUStepCache(NamedTuple):
    """What :func:`gru_step_forward` keeps for :func:`gru_step_backward`.

    Attributes
    ----------
    h_prev : ndarray, shape (B, H)
    r, z, n : ndarray, shape (B, H)
        Reset gate, update gate and candidate, after their nonlinearities.
    hn : ndarray, shape (B, H)
        The hidden part of :math:`n`'s pre-activation: :math:`h_{t-1} W_{hn}^\\top + b_{hn}`
        (torch), or :math:`(r \\odot h_{t-1}) W_{hn}^\\top + b_{hn}` (Cho).
    h : ndarray, shape (B, H)
    variant : str
    """

    h_prev: np.ndarray
    r: np.ndarray
    z: np.ndarray
    n: np.ndarray
    hn: np.ndarray
    h: np.ndarray
    variant: str


def gru_step_forward(
    params: dict[str, np.ndarray], xw_t: np.ndarray, h_prev: np.ndarray, variant: str = "torch"
) -> tuple[np.ndarray, GRUStepCache]:
    r"""One step of the GRU cell.

    With :math:`[x_r | x_z | x_n] = \texttt{xw\_t} = x_t W_{ih}^\top + b_{ih}` and
    :math:`W_{hh} = [W_{hr} | W_{hz} | W_{hn}]` (blocks of rows), :math:`b_{hh}` likewise:

    .. math::

        r &= \sigma(x_r + h_{t-1} W_{hr}^\top + b_{hr}), \qquad
        z = \sigma(x_z + h_{t-1} W_{hz}^\top + b_{hz}), \\
        \text{torch:}\quad n &= \tanh(x_n + r \odot (h_{t-1} W_{hn}^\top + b_{hn})), \\
        \text{Cho:}\quad n &= \tanh(x_n + (r \odot h_{t-1}) W_{hn}^\top + b_{hn}), \\
        h_t &= (1 - z) \odot n + z \odot h_{t-1}.

    Parameters
    ----------
    params : dict
        Needs ``weight_hh_l0`` (3H, H); uses ``bias_hh_l0`` (3H,) if present.
    xw_t : ndarray, shape (B, 3H)
        The input part of the three pre-activations, :math:`b_{ih}` included.
    h_prev : ndarray, shape (B, H)
    variant : {"torch", "cho"}

    Returns
    -------
    h : ndarray, shape (B, H)
    cache : GRUStepCache
    """
    check_choice(variant, "variant", VARIANTS)
    H = h_prev.shape[1]
    W_hh = params["weight_hh_l0"]
    b_hh = params.get("bias_hh_l0", np.zeros(3 * H, dtype=h_prev.dtype))
    x_r, x_z, x_n = np.split(xw_t, 3, axis=1)  # each (B, H), torch's order
    hw_rz = h_prev @ W_hh[: 2 * H].T + b_hh[: 2 * H]  # (B, 2H)
    r = sigmoid(x_r + hw_rz[:, :H])  # (B, H)
    z = sigmoid(x_z + hw_rz[:, H:])  # (B, H)
    if variant == "torch":
        hn = h_prev @ W_hh[2 * H :].T + b_hh[2 * H :]  # (B, H)
        n = np.tanh(x_n + r * hn)  # reset after the product
    else:
        hn = (r * h_prev) @ W_hh[2 * H :].T + b_hh[2 * H :]  # (B, H)
        n = np.tanh(x_n + hn)  # reset before the product
    h = (1.0 - z) * n + z * h_prev  # (B, H)
    return h, GRUStepCache(h_prev, r, z, n, hn, h, variant)


def gru_step_backward(
    params: dict[str, np.ndarray], d_h: np.ndarray, cache: GRUStepCache
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    r"""Back through one step of :func:`gru_step_forward`.

    With :math:`\bar h = \partial L / \partial h_t` (everything that reaches :math:`h_t`),
    :math:`\bar n = \bar h \odot (1 - z)`, :math:`\bar z = \bar h \odot (h_{t-1} - n)`, the
    direct path :math:`\bar h \odot z` into :math:`h_{t-1}`, and
    :math:`\bar a_n = \bar n \odot (1 - n^2)`. Then, torch variant:
    :math:`\bar r = \bar a_n \odot \mathrm{hn}` and the hidden part of :math:`n` gets
    :math:`\bar a_n \odot r`; Cho variant: the hidden part gets :math:`\bar a_n`, and
    :math:`\bar u = \bar a_n W_{hn}` reaches :math:`u = r \odot h_{t-1}`, so
    :math:`\bar r = \bar u \odot h_{t-1}` and :math:`h_{t-1}` gets :math:`\bar u \odot r`.

    Returns
    -------
    d_xw : ndarray, shape (B, 3H)
        Gradient of ``xw_t``: the three input pre-activations.
    d_h_prev : ndarray, shape (B, H)
    d_weight_hh : ndarray, shape (3H, H)
    d_bias_hh : ndarray, shape (3H,)
        Differs from ``d_xw.sum(0)`` in the ``n`` block of the torch variant.
    """
    sig, tanh = activation("sigmoid"), activation("tanh")
    h_prev, r, z, n, hn, _, variant = cache
    H = h_prev.shape[1]
    W_hh = params["weight_hh_l0"]
    d_n = d_h * (1.0 - z)  # ∂h/∂n = 1 − z
    d_z = d_h * (h_prev - n)  # ∂h/∂z = h_{t-1} − n
    d_h_prev = d_h * z  # ∂h/∂h_{t-1} along the direct path = z
    d_an = d_n * tanh.grad_from_output(n)  # through tanh: 1 − n²
    if variant == "torch":
        d_hn = d_an * r  # ∂(r ⊙ hn)/∂hn = r
        d_r = d_an * hn  # ∂(r ⊙ hn)/∂r = hn
        d_weight_n = d_hn.T @ h_prev  # (H, H)
        d_h_prev += d_hn @ W_hh[2 * H :]  # ∂hn/∂h_{t-1} = W_hn
    else:
        d_hn = d_an  # hn enters n's pre-activation with slope 1
        d_u = d_an @ W_hh[2 * H :]  # ∂hn/∂u = W_hn, with u = r ⊙ h_{t-1}
        d_weight_n = d_an.T @ (r * h_prev)  # (H, H)
        d_r = d_u * h_prev  # ∂u/∂r = h_{t-1}
        d_h_prev += d_u * r  # ∂u/∂h_{t-1} = r
    d_ar = d_r * sig.grad_from_output(r)  # through σ: r(1 − r)
    d_az = d_z * sig.grad_from_output(z)  # through σ: z(1 − z)
    d_rz = np.concatenate([d_ar, d_az], axis=1)  # (B, 2H)
    d_h_prev += d_rz @ W_hh[: 2 * H]  # ∂a_{r,z}/∂h_{t-1} = W_{hr}, W_{hz}
    d_weight_hh = np.concatenate([d_rz.T @ h_prev, d_weight_n], axis=0)  # (3H, H)
    d_bias_hh = np.concatenate([d_rz.sum(axis=0), d_hn.sum(axis=0)])  # (3H,)
    d_xw = np.concatenate([d_rz, d_an], axis=1)  # (B, 3H): x_n enters with slope 1
    return d_xw, d_h_prev, d_weight_hh, d_bias_hh


class GRU(SingleStateLayer):
    r"""A one-layer GRU in numpy, shaped like ``torch.nn.GRU(batch_first=True)``.

    .. math::

        r_t &= \sigma(W_{ir} x_t + b_{ir} + W_{hr} h_{t-1} + b_{hr}), \quad
        z_t = \sigma(W_{iz} x_t + b_{iz} + W_{hz} h_{t-1} + b_{hz}), \\
        n_t &= \tanh(W_{in} x_t + b_{in} + r_t \odot (W_{hn} h_{t-1} + b_{hn}))
        \quad \text{(torch)}, \\
        n_t &= \tanh(W_{in} x_t + b_{in} + W_{hn} (r_t \odot h_{t-1}) + b_{hn})
        \quad \text{(Cho et al. 2014)}, \\
        h_t &= (1 - z_t) \odot n_t + z_t \odot h_{t-1}.

    Some texts swap :math:`z_t` and :math:`1 - z_t` in the last line; see the module
    docstring. Follows the layer protocol of :mod:`rnnbook.scratch.recurrent`; the state
    is ``h`` of shape (1, B, H), and torch's keyword names ``h0`` and ``d_h_n`` work too.

    Parameters
    ----------
    input_size : int
        D.
    hidden_size : int
        H.
    bias : bool
    rng : numpy.random.Generator or int, optional
    dtype : numpy dtype
    variant : {"torch", "cho"}
        Where the reset gate acts. ``"cho"`` has no ``torch.nn`` twin, so
        :meth:`from_torch` and :meth:`to_torch` refuse it (``load_torch_parameters``
        still copies torch's weights in, on purpose).

    Attributes
    ----------
    params : dict[str, ndarray]
        ``weight_ih_l0`` (3H, D), ``weight_hh_l0`` (3H, H), ``bias_ih_l0`` (3H,),
        ``bias_hh_l0`` (3H,); gate blocks in the order ``r, z, n``.

    Examples
    --------
    >>> import numpy as np
    >>> layer = GRU(input_size=3, hidden_size=4, rng=0)
    >>> out, h_n = layer.forward(np.ones((2, 5, 3)))
    >>> out.shape, h_n.shape
    ((2, 5, 4), (1, 2, 4))
    >>> cho = GRU(3, 4, rng=0, variant="cho")
    >>> bool(np.allclose(cho.forward(np.ones((2, 5, 3)))[0], out))
    False
    """

    gates = 3
    torch_name = "GRU"

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        rng: np.random.Generator | int | None = None,
        dtype: type = np.float64,
        variant: str = "torch",
    ) -> None:
        self.variant = check_choice(variant, "variant", VARIANTS)
        super().__init__(input_size, hidden_size, bias=bias, rng=rng, dtype=dtype)

    def __repr__(self) -> str:
        return (
            f"GRU(input_size={self.input_size}, hidden_size={self.hidden_size}, "
            f"bias={self.bias}, dtype={self.dtype}, variant={self.variant!r})"
        )

    def step_forward(self, xw_t: np.ndarray, state: State) -> tuple[State, GRUStepCache]:
        h, cache = gru_step_forward(self.params, xw_t, state[0], self.variant)
        return (h,), cache

    def step_backward(
        self, d_state: State, cache: GRUStepCache, grads: dict[str, np.ndarray]
    ) -> tuple[np.ndarray, State]:
        d_xw, d_h_prev, d_weight_hh, d_bias_hh = gru_step_backward(self.params, d_state[0], cache)
        grads["weight_hh_l0"] += d_weight_hh
        if self.bias:
            grads["bias_hh_l0"] += d_bias_hh
        return d_xw, (d_h_prev,)

    @classmethod
    def from_torch(cls, module: object, dtype: type = np.float64, variant: str = "torch") -> GRU:
        """Copy a one-layer ``torch.nn.GRU(batch_first=True)`` into a numpy GRU.

        ``variant="cho"`` raises ``ValueError``: torch's GRU is the torch variant, and a
        Cho layer with its weights computes something else. To do that on purpose, build
        ``GRU(..., variant="cho")`` and call ``load_torch_parameters``.
        """
        if check_choice(variant, "variant", VARIANTS) != "torch":
            raise ValueError(_NO_TWIN.format(what="from_torch", variant=variant))
        return super().from_torch(module, dtype=dtype)

    def to_torch(self) -> object:
        """An equivalent ``torch.nn.GRU(batch_first=True)``; only for ``variant="torch"``."""
        if self.variant != "torch":
            raise ValueError(_NO_TWIN.format(what="to_torch", variant=self.variant))
        return super().to_torch()


_NO_TWIN = (
    "{what}: expected variant='torch', got variant={variant!r}, which has no torch.nn twin "
    "(torch.nn.GRU applies the reset gate after W_hn h, Cho et al. 2014 before it)"
)
