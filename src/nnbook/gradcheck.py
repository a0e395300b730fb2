"""Gradient checking: is an analytic gradient right?

Back-propagation, the Value engine and every hand-derived gradient in the
book are checked the same way: estimate each partial derivative by central
differences,

.. math::

   \\frac{\\partial f}{\\partial x_i} \\approx
   \\frac{f(x + \\varepsilon e_i) - f(x - \\varepsilon e_i)}{2\\varepsilon},

and compare with the analytic gradient by a relative error. The estimate is
slow (two evaluations of ``f`` per coordinate) but so simple that it is hard
to get wrong. Its error is of order ``eps**2`` plus the rounding error of
the difference, about ``1e-16 |f| / eps`` in float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnbook._checks import as_real_array, check_callable, check_positive
from nnbook.network import Network

__all__ = ["gradient_check", "numerical_gradient", "relative_error"]


def numerical_gradient(
    f: Callable[[], float], x: np.ndarray, eps: float = 1e-6
) -> np.ndarray:
    """Estimate the gradient of ``f`` with respect to ``x`` by central differences.

    ``f`` takes no arguments: it reads ``x``, which is changed in place, one
    entry at a time, and put back exactly. That lets one function check the
    gradient of any parameter of a model, not only of a function's argument.

    Parameters
    ----------
    f
        A function of no arguments returning a real number that depends on ``x``.
    x
        A non-empty float array of finite numbers, any shape (modified during
        the call, restored afterwards).
    eps
        The step, a positive number.

    Returns
    -------
    numpy.ndarray
        An array of the shape of ``x``: the estimate of ``df/dx``.
    """
    check_callable(f, "f")
    eps = check_positive(eps, "eps")
    if not isinstance(x, np.ndarray) or x.dtype.kind != "f":
        raise TypeError(
            "x must be a float numpy array (it is changed in place), "
            f"got {type(x).__name__}"
        )
    as_real_array(x, "x", nonempty=True)  # finite: x ± eps must be a different number
    grad = np.zeros(x.shape)
    for i in np.ndindex(x.shape):
        old = x[i]
        x[i] = old + eps
        up = float(f())
        x[i] = old - eps
        down = float(f())
        x[i] = old
        grad[i] = (up - down) / (2 * eps)
    return grad


def relative_error(analytic: Any, numeric: Any) -> float:
    """Return ``max |analytic - numeric| / max(max |analytic|, max |numeric|)``.

    Dividing by the largest partial derivative, rather than by each one,
    keeps tiny derivatives (which central differences cannot resolve) from
    raising false alarms. A correct gradient gives about ``1e-8`` or less in
    float64; a wrong formula gives errors of order 1. Both arrays must have
    the same shape and hold finite numbers (a NaN gradient is refused rather
    than compared).
    """
    a = as_real_array(analytic, "analytic", dtype=np.float64)
    b = as_real_array(numeric, "numeric", dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(
            "analytic and numeric must have the same shape, "
            f"got {a.shape} and {b.shape}"
        )
    if a.size == 0:
        return 0.0
    error = float(np.max(np.abs(a - b)))
    scale = float(max(np.max(np.abs(a)), np.max(np.abs(b))))
    if scale == 0:
        return 0.0 if error == 0 else float("inf")
    return error / scale


def gradient_check(network: Network, X: Any, y: Any, eps: float = 1e-6) -> float:
    """Compare a network's back-propagation with central differences: relative error.

    ``network`` is a :class:`nnbook.network.Network` (or a subclass, such as
    one with a deliberately wrong ``backprop``). Every weight and bias
    is moved in turn by ``±eps`` (:func:`numerical_gradient`), which costs two
    forward passes per parameter; the result is :func:`relative_error` of
    ``backprop``'s gradient against that estimate. A float32 network is
    checked on a float64 copy, so that rounding does not hide a mistake.
    """
    if not isinstance(network, Network):
        raise TypeError(
            f"network must be a nnbook.network.Network, got {type(network).__name__}"
        )
    eps = check_positive(eps, "eps")
    if network.dtype != np.float64:
        network = type(network).from_parameters(
            network.weights,
            network.biases,
            network.activation,
            output_activation=network.output_activation,
            loss=network.loss_name,
            dtype=np.float64,
        )
    analytic = network.backprop(X, y).flat()
    numeric = [
        numerical_gradient(lambda: network.loss(X, y), p, eps).ravel()
        for w, b in zip(network.weights, network.biases)
        for p in (w, b)
    ]
    return relative_error(analytic, np.concatenate(numeric))
