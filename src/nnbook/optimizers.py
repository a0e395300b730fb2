"""The optimisers of ``torch.optim``, written from their equations in NumPy.

Each class holds a list of parameter arrays and changes them in place when
:meth:`Optimizer.step` is given their gradients, as a ``torch.optim``
optimiser changes its tensors after ``loss.backward()``::

    optimizer = Adam([W, b], eta=0.01)
    for _ in range(100):
        optimizer.step(gradients(W, b))   # [dC/dW, dC/db]

The arithmetic follows PyTorch's own (its documentation states each rule),
so that with the same hyper-parameters every class takes the same steps as
its namesake to rounding (the tests compare them over 200 steps). In the
equations, ``g`` is the gradient, ``t`` counts the steps from 1, and
``eta`` is the learning rate (``lr`` in PyTorch):

* :class:`SGD`: ``b = gamma b + (1 - dampening) g`` (``b = g`` at the first step),
  ``w -= eta b`` (Nesterov: ``w -= eta (g + gamma b)``);
* :class:`Adagrad`: ``s += g**2``, ``w -= eta g / (sqrt(s) + eps)``;
* :class:`RMSprop`: ``s = alpha s + (1 - alpha) g**2``,
  ``w -= eta g / (sqrt(s) + eps)``;
* :class:`Adam`: moving averages ``m`` of ``g`` and ``v`` of ``g**2``, corrected
  for starting at zero, and ``w -= eta m_hat / (sqrt(v_hat) + eps)``;
* :class:`AdamW`: Adam whose weight decay shrinks ``w`` directly.

``weight_decay`` (``lambda``) adds ``lambda w`` to the gradient first (an L2
penalty ``lambda/2 |w|**2``), except in :class:`AdamW`, which decouples it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from nnbook._checks import (
    as_real_array,
    check_bool,
    check_interval,
    check_nonnegative,
    check_positive,
)

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop"]


class Optimizer:
    """What every optimiser shares: parameters, learning rate ``eta``, step count ``t``.

    Parameters
    ----------
    params
        The parameters: a list of float arrays, changed in place by :meth:`step`.
    eta
        The learning rate, > 0. A schedule may change ``optimizer.eta``
        between steps, as it changes ``param_group["lr"]`` in PyTorch.
    weight_decay
        ``lambda`` >= 0 of the L2 penalty ``lambda/2 |w|**2`` (0: none).
    """

    def __init__(
        self, params: Sequence[np.ndarray], eta: float, weight_decay: float = 0.0
    ) -> None:
        self.params = _checked_params(params)
        self.eta = eta
        self.weight_decay = check_nonnegative(weight_decay, "weight_decay")
        self.t = 0  # the number of steps taken

    @property
    def eta(self) -> float:
        """The learning rate used by the next step."""
        return self._eta

    @eta.setter
    def eta(self, value: float) -> None:
        self._eta = check_positive(value, "eta")

    def step(self, grads: Sequence[Any]) -> None:
        """Update every parameter in place from its gradient.

        ``grads[i]`` is ``dC/dparams[i]``.
        """
        grads = self._checked_grads(grads)
        self.t += 1
        for i, (w, g) in enumerate(zip(self.params, grads)):
            self._update(i, w, self._decay(w, g))

    def _decay(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Return the gradient with the weight decay's share, ``g + lambda w``.

        The share is the gradient of ``lambda/2 |w|**2``.
        """
        return g + self.weight_decay * w if self.weight_decay else g

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        """Change parameter ``i``, the array ``w``, in place from its gradient ``g``."""
        raise NotImplementedError

    def _zeros(self) -> list[np.ndarray]:
        """One zero array per parameter: the start of a running sum or average."""
        return [np.zeros_like(w) for w in self.params]

    def _checked_grads(self, grads: Sequence[Any]) -> list[np.ndarray]:
        if isinstance(grads, np.ndarray) or not isinstance(grads, Sequence):
            raise TypeError(
                "grads must be a list with one gradient array per parameter"
            )
        if len(grads) != len(self.params):
            raise ValueError(
                f"grads must hold {len(self.params)} arrays, one per parameter, "
                f"got {len(grads)}"
            )
        checked = []
        for i, (g, w) in enumerate(zip(grads, self.params)):
            g = as_real_array(g, f"grads[{i}]", dtype=w.dtype)
            if g.shape != w.shape:
                raise ValueError(
                    f"grads[{i}] must have the shape of params[{i}], {w.shape}, "
                    f"got {g.shape}"
                )
            checked.append(g)
        return checked


class SGD(Optimizer):
    """Stochastic gradient descent with momentum ``gamma``, as ``torch.optim.SGD``.

    ``b = gamma b + (1 - dampening) g`` (``b = g`` at the first step), then
    ``w -= eta b``, or with ``nesterov=True`` ``w -= eta (g + gamma b)``.
    ``gamma = 0`` is plain gradient descent, ``w -= eta g``. The book's
    velocity (``nnbook.optim.momentum``) is ``v = -eta b``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        eta: float,
        gamma: float = 0.0,
        dampening: float = 0.0,
        nesterov: bool = False,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, eta, weight_decay)
        self.gamma = check_interval(gamma, "gamma", 0.0, 1.0, high_open=True)
        self.dampening = check_interval(dampening, "dampening", 0.0, 1.0)
        self.nesterov = check_bool(nesterov, "nesterov")
        if self.nesterov and (self.gamma == 0 or self.dampening != 0):
            raise ValueError("nesterov=True needs a momentum gamma > 0 and dampening=0")
        self.b = self._zeros()

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        if self.gamma:
            self.b[i] = (
                g.copy()
                if self.t == 1
                else self.gamma * self.b[i] + (1 - self.dampening) * g
            )
            g = g + self.gamma * self.b[i] if self.nesterov else self.b[i]
        w -= self.eta * g


class Adagrad(Optimizer):
    """AdaGrad, as ``torch.optim.Adagrad``: rates shrink with summed squared gradients.

    ``s += g**2``, then ``w -= eta_t g / (sqrt(s) + eps)``, where
    ``eta_t = eta / (1 + (t - 1) eta_decay)``. ``s`` starts at
    ``initial_accumulator_value``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        eta: float = 0.01,
        eta_decay: float = 0.0,
        weight_decay: float = 0.0,
        initial_accumulator_value: float = 0.0,
        eps: float = 1e-10,
    ) -> None:
        super().__init__(params, eta, weight_decay)
        self.eta_decay = check_nonnegative(eta_decay, "eta_decay")
        self.eps = check_nonnegative(eps, "eps")
        start = check_nonnegative(
            initial_accumulator_value, "initial_accumulator_value"
        )
        self.s = [np.full_like(w, start) for w in self.params]

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        eta_t = self.eta / (1 + (self.t - 1) * self.eta_decay)
        self.s[i] += g * g
        w -= eta_t * g / (np.sqrt(self.s[i]) + self.eps)


class RMSprop(Optimizer):
    """RMSProp, as ``torch.optim.RMSprop``: AdaGrad with a moving average, not a sum.

    ``s = alpha s + (1 - alpha) g**2``; with ``centered=True`` the moving
    average ``gbar`` of ``g`` is subtracted, ``s - gbar**2`` (an estimate of
    the variance). The step divides by ``d = sqrt(s) + eps``: ``w -= eta g / d``,
    or with momentum ``b = gamma b + g / d``, ``w -= eta b``.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        eta: float = 0.01,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        gamma: float = 0.0,
        centered: bool = False,
    ) -> None:
        super().__init__(params, eta, weight_decay)
        self.alpha = check_interval(alpha, "alpha", 0.0, 1.0)
        self.eps = check_nonnegative(eps, "eps")
        self.gamma = check_interval(gamma, "gamma", 0.0, 1.0, high_open=True)
        self.centered = check_bool(centered, "centered")
        self.s, self.gbar, self.b = self._zeros(), self._zeros(), self._zeros()

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        alpha = self.alpha
        self.s[i] = alpha * self.s[i] + (1 - alpha) * g * g
        variance = self.s[i]
        if self.centered:
            self.gbar[i] = alpha * self.gbar[i] + (1 - alpha) * g
            variance = self.s[i] - self.gbar[i] ** 2
        d = np.sqrt(variance) + self.eps
        if self.gamma:
            self.b[i] = self.gamma * self.b[i] + g / d
            w -= self.eta * self.b[i]
        else:
            w -= self.eta * g / d


class Adam(Optimizer):
    """Adam, as ``torch.optim.Adam`` (Kingma and Ba): momentum and RMSProp.

    Both moving averages are corrected for their start at 0:

    ``m = beta1 m + (1 - beta1) g`` and ``v = beta2 v + (1 - beta2) g**2``;
    ``m_hat = m / (1 - beta1**t)``, ``v_hat = v / (1 - beta2**t)``; then
    ``w -= eta m_hat / (sqrt(v_hat) + eps)``. With ``amsgrad=True`` the
    largest ``v`` seen so far replaces ``v``, so that the steps never grow
    because the squared gradients have shrunk.
    ``weight_decay`` adds ``lambda w`` to ``g`` (L2), which the division by
    ``sqrt(v_hat)`` then rescales; :class:`AdamW` does not.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        eta: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, eta, weight_decay)
        if (
            isinstance(betas, (str, bytes))
            or not isinstance(betas, Sequence)
            or len(betas) != 2
        ):
            raise TypeError(
                "betas must be a pair (beta1, beta2) such as (0.9, 0.999), "
                f"got {betas!r}"
            )
        self.beta1 = check_interval(betas[0], "betas[0]", 0.0, 1.0, high_open=True)
        self.beta2 = check_interval(betas[1], "betas[1]", 0.0, 1.0, high_open=True)
        self.eps = check_nonnegative(eps, "eps")
        self.amsgrad = check_bool(amsgrad, "amsgrad")
        self.m, self.v, self.v_max = self._zeros(), self._zeros(), self._zeros()

    def _update(self, i: int, w: np.ndarray, g: np.ndarray) -> None:
        beta1, beta2, t = self.beta1, self.beta2, self.t
        self.m[i] = beta1 * self.m[i] + (1 - beta1) * g
        self.v[i] = beta2 * self.v[i] + (1 - beta2) * g * g
        v = self.v[i]
        if self.amsgrad:
            self.v_max[i] = v = np.maximum(self.v_max[i], v)
        m_hat = self.m[i] / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w -= self.eta * m_hat / (np.sqrt(v_hat) + self.eps)


class AdamW(Adam):
    """AdamW, as ``torch.optim.AdamW`` (Loshchilov and Hutter): decoupled weight decay.

    Each step first shrinks the weights, ``w *= 1 - eta lambda``, then takes
    Adam's step on the gradient of the loss alone, so that the decay is the
    same for every weight whatever its gradients. The default ``weight_decay``
    is 0.01, as in PyTorch.
    """

    def __init__(
        self,
        params: Sequence[np.ndarray],
        eta: float = 0.001,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.01,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(params, eta, betas, eps, weight_decay, amsgrad)

    def _decay(self, w: np.ndarray, g: np.ndarray) -> np.ndarray:
        """Shrink ``w`` in place by ``1 - eta lambda``; return ``g`` unchanged."""
        w *= 1 - self.eta * self.weight_decay
        return g


def _checked_params(params: Sequence[np.ndarray]) -> list[np.ndarray]:
    """Return ``params`` as a list of the same writable float arrays, or raise."""
    if (
        isinstance(params, np.ndarray)
        or not isinstance(params, Sequence)
        or len(params) == 0
    ):
        raise TypeError(
            "params must be a non-empty list of float arrays, updated in place"
        )
    for i, w in enumerate(params):
        if not isinstance(w, np.ndarray) or w.dtype.kind != "f":
            raise TypeError(
                f"params[{i}] must be a float array (changed in place), got "
                f"{type(w).__name__}"
                f"{'' if not isinstance(w, np.ndarray) else f' of dtype {w.dtype}'}"
            )
        if not w.flags.writeable:
            raise ValueError(
                f"params[{i}] must be writable: the optimiser changes it in place"
            )
        as_real_array(w, f"params[{i}]")  # finite
    return list(params)
