"""Activation functions and their derivatives, in NumPy.

A neuron computes a weighted input ``z = w·x + b`` and passes it through an
*activation function* ``f``; training needs the derivative ``f'(z)`` as
well. This module holds the usual choices as pairs of plain functions
(``sigmoid`` and ``sigmoid_prime``, ``relu`` and ``relu_prime`` ...), and
bundles each pair into an :class:`Activation` so that a model can be told
its activation by name:

>>> from nnbook.activations import get_activation
>>> act = get_activation("sigmoid")
>>> float(act(0.0)), float(act.derivative(0.0))
(0.5, 0.25)

Every function works element-wise on arrays of any shape, and on scalars
(returning a NumPy scalar, as NumPy's own functions do). Integer and boolean
inputs are computed in ``float64``; ``float32`` inputs stay ``float32``.
NaN in gives NaN out, as in NumPy, and infinities give the limits.

All of them are numerically safe for inputs of any size: ``sigmoid(-1000)``
is 0 and ``sigmoid(1000)`` is 1 without a floating-point warning. Where an
intermediate overflows (``exp(1000)`` in the sigmoid), the infinity it gives
leads to the right limit, and the function silences the warning. Results
below the smallest floating-point number are rounded to 0 silently (an
*underflow*), the correct answer to the precision available.

Conventions at the kinks, where a derivative does not exist, follow
PyTorch: ``relu_prime(0) = 0``, ``leaky_relu_prime(0) = slope``. The step
function's derivative is 0 everywhere, including at 0 where it is undefined
(see :func:`step_prime`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Union

import numpy as np

from nnbook._checks import as_real_array, check_callable, check_interval

__all__ = [
    "ACTIVATIONS",
    "SOFTMAX",
    "Activation",
    "get_activation",
    "leaky_relu_activation",
    "gelu",
    "gelu_prime",
    "identity",
    "identity_prime",
    "leaky_relu",
    "leaky_relu_prime",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "softmax",
    "softplus",
    "softplus_prime",
    "step",
    "step_prime",
    "tanh",
    "tanh_prime",
]

#: What the functions accept: a number or an array-like of numbers.
ArrayLike = Union[float, int, np.ndarray, Any]

#: The slope of the leaky ReLU for negative inputs when none is given
#: (PyTorch's default).
DEFAULT_LEAKY_SLOPE = 0.01

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)

# Python's math.erfc on every element: exact to double precision. NumPy has
# no erf and SciPy is not a dependency; an element-wise loop is fast enough
# for the array sizes of the book.
_erfc = np.frompyfunc(math.erfc, 1, 1)


def _as_float(z: ArrayLike, name: str = "z") -> np.ndarray:
    """Return ``z`` as a float array (float32 stays float32; NaN and infinity pass)."""
    if isinstance(z, np.ndarray) and z.dtype.kind == "f":
        # nothing to convert: the common case, once per layer and mini-batch in training
        return z
    return as_real_array(z, name, finite=False)


def _result(array: np.ndarray) -> np.ndarray:
    """Return a 0-d array as a NumPy scalar, like NumPy's own functions do."""
    return array[()] if array.ndim == 0 else array


def _keep_nan(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    """``out`` with NaN wherever ``z`` is NaN.

    A test such as ``z > 0`` is False for NaN and would hide it.
    """
    nan = np.isnan(z)
    return _result(
        np.where(nan, z, out) if nan.any() else np.asarray(out)
    )  # no copy in the usual case


# ---------------------------------------------------------------------------
# The functions and their derivatives
# ---------------------------------------------------------------------------


def sigmoid(z: ArrayLike) -> np.ndarray:
    """The logistic sigmoid, ``σ(z) = 1 / (1 + exp(-z))``.

    It squashes any real number into (0, 1): large positive ``z`` give
    nearly 1, large negative ``z`` nearly 0, and ``σ(0) = 1/2``.

    Computed as written, which keeps full relative accuracy: ``exp(-z)``,
    ``1 + exp(-z)`` and the reciprocal are each correctly rounded. For very
    negative ``z`` (below about -709 in float64, -88 in float32) ``exp(-z)``
    overflows to infinity and the result is 0, where the exact value is
    smaller than the smallest normal float anyway. Four array operations
    and no branch: the sigmoid runs once per layer and mini-batch in
    training, so its cost counts.
    """
    z = _as_float(z)
    with np.errstate(over="ignore", under="ignore"):
        a = 1 / (1 + np.exp(-z))
    return a if a.ndim else a[()]


def sigmoid_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of the sigmoid, ``σ'(z) = σ(z) (1 - σ(z))``.

    It is at most 1/4 (at ``z = 0``) and falls off like ``exp(-|z|)``: a
    saturated sigmoid passes almost no gradient back. Computed as
    ``e / (1 + e)^2`` with ``e = exp(-|z|)``, which is symmetric in ``z`` and
    keeps full relative accuracy for large ``|z|`` (where ``1 - σ(z)`` would
    round to 0).
    """
    z = _as_float(z)
    with np.errstate(under="ignore"):
        e = np.exp(-np.abs(z))
        out = (e / (1.0 + e) ** 2).astype(z.dtype, copy=False)
    return _result(out)


def tanh(z: ArrayLike) -> np.ndarray:
    """The hyperbolic tangent, ``tanh(z) = 2 σ(2z) - 1``, with values in (-1, 1).

    A sigmoid stretched to (-1, 1) and centred at 0, so that a layer of them
    passes on outputs of both signs.
    """
    z = _as_float(z)
    return _result(np.tanh(z))


def tanh_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of tanh, ``1 - tanh(z)^2 = 1 / cosh(z)^2``.

    At most 1 (at ``z = 0``); like the sigmoid's it vanishes for large
    ``|z|``. Computed as ``4e / (1 + e)^2`` with ``e = exp(-2|z|)``, which
    keeps full relative accuracy where ``1 - tanh(z)^2`` would round to 0.
    """
    z = _as_float(z)
    with np.errstate(under="ignore", over="ignore"):
        # 2|z| may overflow to inf for |z| > 8.9e307; exp(-inf) = 0 is right.
        e = np.exp(-2.0 * np.abs(z))
        out = (4.0 * e / (1.0 + e) ** 2).astype(z.dtype, copy=False)
    return _result(out)


def relu(z: ArrayLike) -> np.ndarray:
    """The rectified linear unit, ``max(0, z)``."""
    z = _as_float(z)
    return _result(np.maximum(z, 0).astype(z.dtype, copy=False))


def relu_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of ReLU: 1 for ``z > 0``, 0 for ``z <= 0``.

    At ``z = 0`` the derivative does not exist; like PyTorch we use 0.
    """
    z = _as_float(z)
    return _result(
        np.heaviside(z, 0.0).astype(z.dtype, copy=False)
    )  # the step function, which keeps NaN


def leaky_relu(z: ArrayLike, slope: float = DEFAULT_LEAKY_SLOPE) -> np.ndarray:
    """The leaky ReLU: ``z`` for ``z > 0`` and ``slope * z`` otherwise.

    The small slope for negative inputs keeps a little gradient flowing
    where a ReLU would pass none. ``slope`` is in [0, 1]: 0 gives the ReLU,
    1 the identity.
    """
    slope = check_interval(slope, "slope", 0.0, 1.0)
    z = _as_float(z)
    with np.errstate(under="ignore"):  # slope * z for tiny z
        out = np.where(z > 0, z, slope * z).astype(z.dtype, copy=False)
    return _result(out)


def leaky_relu_prime(z: ArrayLike, slope: float = DEFAULT_LEAKY_SLOPE) -> np.ndarray:
    """The derivative of the leaky ReLU: 1 for ``z > 0``, ``slope`` for ``z <= 0``.

    At ``z = 0`` the derivative does not exist; like PyTorch we use ``slope``.
    """
    slope = check_interval(slope, "slope", 0.0, 1.0)
    z = _as_float(z)
    return _keep_nan(z, np.where(z > 0, 1.0, slope).astype(z.dtype))


def softplus(z: ArrayLike) -> np.ndarray:
    """The softplus, ``log(1 + exp(z))``: a smooth ReLU.

    Computed as ``logaddexp(0, z)``, which never forms ``exp`` of a large
    number: ``softplus(1000)`` is 1000, not infinity.
    """
    z = _as_float(z)
    with np.errstate(under="ignore"):
        out = np.logaddexp(np.zeros((), dtype=z.dtype), z)
    return _result(out)


def softplus_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of the softplus, which is the sigmoid ``σ(z)``."""
    return sigmoid(z)


def _gaussian_cdf(z: np.ndarray) -> np.ndarray:
    """The standard normal distribution function ``Φ(z)``, in float64.

    Written with ``erfc`` of ``-z/√2`` rather than ``1 + erf(z/√2)``, so that
    the tiny values far in the left tail are not lost to cancellation.
    """
    return 0.5 * np.asarray(_erfc(-z / _SQRT2), dtype=np.float64)


def gelu(z: ArrayLike) -> np.ndarray:
    """The Gaussian error linear unit, ``z Φ(z)``, in its exact form.

    ``Φ`` is the standard normal distribution function. GELU weighs its input
    by the probability that a standard normal variable is smaller: close to
    ``z`` for large ``z``, close to 0 for very negative ``z``, and smooth
    everywhere. This is the exact form (PyTorch's ``approximate='none'``),
    not the tanh approximation.
    """
    z = _as_float(z)
    # Φ(z) is 0 to double precision below -40; clipping there keeps -inf · 0
    # from giving NaN.
    z64 = np.maximum(z.astype(np.float64), -40.0)
    with np.errstate(under="ignore"):
        out = (z64 * _gaussian_cdf(z64)).astype(z.dtype)
    return _result(out)


def gelu_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of GELU, ``Φ(z) + z φ(z)`` with ``φ`` the normal density.

    It dips below 0 for negative ``z`` (its minimum, about -0.13, is at
    ``z = -√2``) and rises above 1 for positive ``z`` (its maximum, about
    1.13, is at ``z = √2``).
    """
    z = _as_float(z)
    z64 = z.astype(np.float64)
    # φ(z) is 0 to double precision for |z| > 40; clipping keeps z² finite.
    clipped = np.clip(z64, -40.0, 40.0)
    with np.errstate(under="ignore"):
        density = _INV_SQRT_2PI * np.exp(-0.5 * clipped**2)
        out = (_gaussian_cdf(z64) + clipped * density).astype(z.dtype)
    return _result(out)


def step(z: ArrayLike) -> np.ndarray:
    """The step (Heaviside) function of the perceptron: 1 for ``z > 0``, else 0.

    ``step(0)`` is 0: a perceptron fires only when its weighted input is
    strictly above its threshold.
    """
    z = _as_float(z)
    return _result(np.heaviside(z, 0.0).astype(z.dtype, copy=False))


def step_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of the step function: 0 everywhere.

    Away from 0 the step is flat, so its derivative is 0. At 0 it jumps and
    has no derivative at all; we return 0 there too. Either way a gradient
    passed back through a step is 0, so gradient descent learns nothing
    through it: this is why networks of perceptrons are not trained by
    back-propagation, and why the smooth sigmoid replaced the step.
    """
    z = _as_float(z)
    return _keep_nan(z, np.zeros_like(z))


def identity(z: ArrayLike) -> np.ndarray:
    """The identity, ``f(z) = z``: a neuron with no activation function at all."""
    z = _as_float(z)
    return _result(z.copy())


def identity_prime(z: ArrayLike) -> np.ndarray:
    """The derivative of the identity: 1 everywhere."""
    z = _as_float(z)
    return _keep_nan(z, np.ones_like(z))


# ---------------------------------------------------------------------------
# Activations as objects, and the registry
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Activation:
    """An activation function together with its derivative.

    Calling the object applies ``f``; :meth:`derivative` applies ``df``.

    Parameters
    ----------
    name
        A short name, such as ``"sigmoid"``; the key in :data:`ACTIVATIONS`.
    f
        The function, applied element-wise to an array.
    df
        Its derivative, applied element-wise to the same input ``z`` (not to
        ``f(z)``).
    formula
        The function in LaTeX, for figure titles and tables.
    df_of_output
        Optional: the same derivative written as a function of the output
        ``a = f(z)``, such as ``a (1 - a)`` for the sigmoid. Back-propagation
        has ``a`` at hand from the forward pass, so this saves evaluating
        ``f`` a second time (see :meth:`derivative_from_output`).
    """

    name: str
    f: Callable[[ArrayLike], np.ndarray] = field(repr=False)
    df: Callable[[ArrayLike], np.ndarray] = field(repr=False)
    formula: str = field(default="", repr=False, compare=False)
    df_of_output: Callable[[np.ndarray], np.ndarray] | None = field(
        default=None, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name:
            raise TypeError(f"name must be a non-empty string, got {self.name!r}")
        check_callable(self.f, "f")
        check_callable(self.df, "df")
        check_callable(self.df_of_output, "df_of_output", allow_none=True)

    def __call__(self, z: ArrayLike) -> np.ndarray:
        """Return ``f(z)``."""
        return self.f(z)

    def derivative(self, z: ArrayLike) -> np.ndarray:
        """Return ``f'(z)``, the derivative at the weighted input ``z``."""
        return self.df(z)

    def derivative_from_output(self, z: ArrayLike, a: ArrayLike) -> np.ndarray:
        """Return ``f'(z)`` given both ``z`` and the output ``a = f(z)`` (same shape).

        Uses ``df_of_output(a)`` when the activation has one (a few
        multiplications instead of another exponential), else ``df(z)``.
        NaN in either ``z`` or ``a`` gives NaN out.
        """
        z, a = _as_float(z), _as_float(a, "a")
        if z.shape != a.shape:
            raise ValueError(
                f"a must have the shape of z, {z.shape}, got shape {a.shape}"
            )
        if self.df_of_output is None:
            return _keep_nan(a, self.df(z))
        return _keep_nan(z, self.df_of_output(a))


def leaky_relu_activation(slope: float = DEFAULT_LEAKY_SLOPE) -> Activation:
    """Return the leaky ReLU with negative ``slope`` as an :class:`Activation`.

    The registry's ``"leaky_relu"`` has slope 0.01; use this for another in [0, 1].
    """
    slope = check_interval(slope, "slope", 0.0, 1.0)
    name = (
        "leaky_relu" if slope == DEFAULT_LEAKY_SLOPE else f"leaky_relu(slope={slope:g})"
    )
    return Activation(
        name,
        partial(leaky_relu, slope=slope),
        partial(leaky_relu_prime, slope=slope),
        rf"$\max(z, {slope:g}\,z)$",
    )


def _sigmoid_prime_of_output(a: np.ndarray) -> np.ndarray:
    """σ'(z) from a = σ(z): ``a (1 - a)``."""
    return a * (1 - a)


def _tanh_prime_of_output(a: np.ndarray) -> np.ndarray:
    """tanh'(z) from a = tanh(z): ``1 - a^2``."""
    return 1 - a * a


def _relu_prime_of_output(a: np.ndarray) -> np.ndarray:
    """ReLU'(z) from a = max(0, z): 1 where a > 0 (exactly where z > 0), else 0.

    NaN stays NaN.
    """
    return np.heaviside(a, 0.0).astype(a.dtype, copy=False)


def softmax(z: ArrayLike) -> np.ndarray:
    """The softmax of each row (last axis) of ``z``: ``exp(z_j) / sum_k exp(z_k)``.

    Unlike the functions above it is not element-wise: every output depends
    on the whole row, and the outputs of a row are probabilities that add up
    to 1. Subtracting the row's largest value first changes nothing but keeps
    every ``exp`` at most 1, so it cannot overflow.
    """
    z = _as_float(z)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return _result(e / e.sum(axis=-1, keepdims=True))


def _no_elementwise_derivative(z: ArrayLike) -> np.ndarray:
    raise TypeError(
        "the softmax has no element-wise derivative: each output depends on the whole "
        "row; back-propagation multiplies by its Jacobian instead"
    )


#: The softmax as an output layer's activation. It is not element-wise, so it
#: is not in :data:`ACTIVATIONS` and its ``derivative`` raises a TypeError;
#: :class:`nnbook.network.Network` handles it as a whole.
SOFTMAX = Activation(
    "softmax", softmax, _no_elementwise_derivative, r"$e^{z_j} / \sum_k e^{z_k}$"
)

#: The activation functions known by name.
ACTIVATIONS: dict[str, Activation] = {
    a.name: a
    for a in (
        Activation(
            "sigmoid",
            sigmoid,
            sigmoid_prime,
            r"$\sigma(z) = 1/(1+e^{-z})$",
            _sigmoid_prime_of_output,
        ),
        Activation("tanh", tanh, tanh_prime, r"$\tanh(z)$", _tanh_prime_of_output),
        Activation("relu", relu, relu_prime, r"$\max(0, z)$", _relu_prime_of_output),
        leaky_relu_activation(DEFAULT_LEAKY_SLOPE),
        Activation("softplus", softplus, softplus_prime, r"$\log(1+e^{z})$"),
        Activation("gelu", gelu, gelu_prime, r"$z\,\Phi(z)$"),
        Activation("step", step, step_prime, r"$[z > 0]$"),
        Activation("identity", identity, identity_prime, r"$z$"),
    )
}


def get_activation(activation: str | Activation) -> Activation:
    """Return the :class:`Activation` named ``activation`` (or ``activation`` itself).

    Parameters
    ----------
    activation
        A name from :data:`ACTIVATIONS` (``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"leaky_relu"``, ``"softplus"``, ``"gelu"``, ``"step"``,
        ``"identity"``; case does not matter), or an :class:`Activation`,
        which is returned unchanged.

    Raises
    ------
    ValueError
        If the name is not known; the message lists the known names.
    TypeError
        If ``activation`` is neither a string nor an :class:`Activation`.
    """
    if isinstance(activation, Activation):
        return activation
    if not isinstance(activation, str):
        raise TypeError(
            "activation must be a name (str) or an Activation, "
            f"got {type(activation).__name__}"
        )
    key = activation.strip().lower()
    if key not in ACTIVATIONS:
        raise ValueError(
            f"unknown activation {activation!r}; "
            f"known activations: {', '.join(ACTIVATIONS)}"
        )
    return ACTIVATIONS[key]
