r"""Diagnosing vanishing and exploding gradients while a network trains.

* :class:`GradientMonitor` records the norm of every parameter's gradient (and of the
  parameter itself) at every backward pass. On a torch module it attaches hooks, so it
  works with any training loop, :func:`rnnbook.training.fit` included; for numpy models,
  call :meth:`GradientMonitor.record` with the gradient dict.
* :func:`input_gradient_norms` measures :math:`\lVert \partial L / \partial x_t \rVert`
  for every time step :math:`t`: how much each step of the input can still move the
  loss. Exponential decay towards early steps is the signature of vanishing gradients.
* :func:`find_spikes` flags loss or gradient-norm spikes;
  :func:`clip_threshold` turns recorded norms into a clipping threshold.

:func:`rnnbook.plots.gradients.plot_gradient_norms` draws what a monitor recorded.

The signatures, and what produces them:

============================  ==========================================================
signature                     typical cause
============================  ==========================================================
gradient norm grows by        exploding gradients; next comes a non-finite loss and
orders of magnitude, then     NaN weights (``fit`` stops first, raising
inf/NaN                       ``TrainingDiverged``)
loss spikes that coincide     a step taken from a huge gradient (a "cliff")
with gradient-norm spikes
loss flat at the baseline,    vanishing gradients: early steps (or early layers)
tiny :math:`\partial L /      receive almost no gradient and do not learn
\partial x_t` at early t
============================  ==========================================================
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from rnnbook.checks import check_positive_float, check_positive_int


class GradientMonitor:
    r"""Record gradient norms :math:`\lVert \nabla_\theta L \rVert` and weight norms, per parameter.

    With a torch module, a hook on every trainable parameter fires once per backward
    pass, after the gradient has been accumulated, and appends both norms. The weight
    norm is that of the parameter *before* the optimizer step that uses the gradient.

    Parameters
    ----------
    model : torch.nn.Module, optional
        Attach to this module's trainable parameters. Leave out for numpy models and
        call :meth:`record` yourself.

    Attributes
    ----------
    grad_norms : dict[str, list[float]]
        Per parameter name, one entry per backward pass (NaN and inf are kept).
    weight_norms : dict[str, list[float]]
        Per parameter name, the parameter's norm at the same moments.

    Examples
    --------
    >>> model = torch.nn.Linear(3, 1)
    >>> with GradientMonitor(model) as monitor:
    ...     model(torch.ones(2, 3)).sum().backward()
    >>> sorted(monitor.grad_norms)
    ['bias', 'weight']
    """

    def __init__(self, model: torch.nn.Module | None = None) -> None:
        self.grad_norms: dict[str, list[float]] = {}
        self.weight_norms: dict[str, list[float]] = {}
        self._handles: list[object] = []
        if model is None:
            return
        if not isinstance(model, torch.nn.Module):
            raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
        named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
        if not named:
            raise ValueError("model: expected trainable parameters, got none")
        for name, p in named:
            self.grad_norms[name] = []
            self.weight_norms[name] = []
            self._handles.append(p.register_post_accumulate_grad_hook(self._hook(name)))

    def _hook(self, name: str) -> Callable[[torch.Tensor], None]:
        def hook(p: torch.Tensor) -> None:
            self.grad_norms[name].append(float(torch.linalg.vector_norm(p.grad)))
            self.weight_norms[name].append(float(torch.linalg.vector_norm(p.detach())))

        return hook

    def record(
        self, grads: dict[str, np.ndarray], params: dict[str, np.ndarray] | None = None
    ) -> None:
        """Record one step of a numpy model: gradient norms (and parameter norms, if given).

        Parameters
        ----------
        grads : dict[str, ndarray]
            For example ``RNN.grads`` after ``backward``.
        params : dict[str, ndarray], optional
            Same keys; for example ``RNN.params``.
        """
        if not isinstance(grads, dict) or not grads:
            raise TypeError(
                f"grads: expected a non-empty dict of arrays, got {type(grads).__name__}"
            )
        if params is not None and (not isinstance(params, dict) or params.keys() != grads.keys()):
            raise ValueError("params: expected a dict with the same keys as grads")
        for name, g in grads.items():
            g = np.asarray(g)
            if not np.issubdtype(g.dtype, np.floating):
                raise TypeError(f"grads[{name!r}]: expected a floating-point array, got {g.dtype}")
            self.grad_norms.setdefault(name, []).append(float(np.linalg.norm(g)))
            if params is not None:
                self.weight_norms.setdefault(name, []).append(float(np.linalg.norm(params[name])))

    def global_norms(self) -> np.ndarray:
        r"""The global norm :math:`\sqrt{\sum_p \lVert g_p \rVert^2}` per step, shape (steps,)."""
        return np.sqrt(np.sum(self.as_array() ** 2, axis=1))

    def as_array(self, which: str = "grad") -> np.ndarray:
        """All recorded norms as an array of shape (steps, P), columns in :attr:`names` order.

        Parameters
        ----------
        which : {"grad", "weight"}
        """
        if which not in ("grad", "weight"):
            raise ValueError(f"which: expected 'grad' or 'weight', got {which!r}")
        table = self.grad_norms if which == "grad" else self.weight_norms
        lengths = {len(v) for v in table.values()}
        if len(lengths) > 1:
            raise ValueError(
                f"{which} norms: expected the same number of records per parameter, got {lengths}"
            )
        if not table or lengths == {0}:
            return np.zeros((0, len(table)))
        return np.array([table[name] for name in self.names]).T

    @property
    def names(self) -> list[str]:
        """The parameter names, in recording order."""
        return list(self.grad_norms)

    def remove(self) -> None:
        """Detach the hooks (the records stay)."""
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def __enter__(self) -> GradientMonitor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def input_gradient_norms(
    model: torch.nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
) -> np.ndarray:
    r"""How strongly each input step moves the loss, :math:`\lVert \partial L/\partial x_t \rVert`.

    .. math::

        n_t = \frac{1}{B} \sum_{b=1}^{B}
              \left\lVert \frac{\partial L}{\partial x_{b,t}} \right\rVert_2,
              \qquad t = 1, \dots, T

    The gradient reaching :math:`x_t` has passed through every recurrent step from
    :math:`t` to the loss (for a loss on the last state), so :math:`n_t` falls
    exponentially towards early :math:`t` when gradients vanish. The model's parameters
    get no gradient from this call.

    Parameters
    ----------
    model : torch.nn.Module
        Maps ``x`` of shape (B, T, D) to predictions.
    x : Tensor, shape (B, T, D)
    y : Tensor
        Targets, whatever ``loss_fn`` expects.
    loss_fn : callable
        ``loss_fn(prediction, y) -> scalar``.

    Returns
    -------
    ndarray, shape (T,)
    """
    if not isinstance(x, torch.Tensor) or x.dim() != 3 or not x.is_floating_point():
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"x: expected a float tensor of shape (B, T, D), got {got}")
    B, T, D = x.shape
    x = x.detach().clone().requires_grad_(True)
    loss = loss_fn(model(x), y)
    (dx,) = torch.autograd.grad(loss, x)  # (B, T, D), leaves parameter .grad untouched
    return torch.linalg.vector_norm(dx, dim=2).mean(dim=0).double().numpy()  # (T,)


def find_spikes(values: np.ndarray, factor: float = 10.0, window: int = 20) -> np.ndarray:
    r"""Indices where a recorded series jumps far above its recent typical value.

    .. math::

        \text{spike at } i \iff v_i > \text{factor} \cdot
        \operatorname{median}(v_{i-w}, \dots, v_{i-1}) \quad \text{or } v_i \text{ is not finite}

    Parameters
    ----------
    values : array_like, shape (N,)
        A loss or gradient-norm history.
    factor : float
        How many times the running median counts as a spike.
    window : int
        w, the number of previous values in the median (the first w values are never spikes,
        unless they are not finite).

    Returns
    -------
    ndarray of int
    """
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1:
        raise ValueError(f"values: expected a 1-D series, got shape {values.shape}")
    factor = check_positive_float(factor, "factor")
    window = check_positive_int(window, "window")
    spikes = []
    for i, v in enumerate(values):
        if not np.isfinite(v):
            spikes.append(i)
        elif i >= window:
            recent = values[i - window : i]
            recent = recent[np.isfinite(recent)]
            if recent.size and v > factor * np.median(recent):
                spikes.append(i)
    return np.array(spikes, dtype=int)


def clip_threshold(norms: np.ndarray, quantile: float = 0.9) -> float:
    """A clipping threshold from recorded gradient norms: their ``quantile`` (finite ones only).

    Pascanu et al. (2013) suggest a threshold around the typical norm seen in training;
    a high quantile of a healthy run's norms clips only the rare outsized steps.

    Parameters
    ----------
    norms : array_like, shape (N,)
    quantile : float
        In (0, 1].

    Returns
    -------
    float
    """
    norms = np.asarray(norms, dtype=np.float64)
    if norms.ndim != 1:
        raise ValueError(f"norms: expected a 1-D series, got shape {norms.shape}")
    if isinstance(quantile, bool) or not (0.0 < float(quantile) <= 1.0):
        raise ValueError(f"quantile: expected a number in (0, 1], got {quantile!r}")
    finite = norms[np.isfinite(norms)]
    if finite.size == 0:
        raise ValueError("norms: expected at least one finite value, got none")
    return float(np.quantile(finite, quantile))
