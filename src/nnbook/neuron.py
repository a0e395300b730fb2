"""A single neuron: the perceptron, the sigmoid neuron and a decision it makes.

A neuron weighs its inputs ``x`` with weights ``w``, adds a bias ``b`` and
passes the *weighted input* ``z = w·x + b`` through an activation function.
With the step function it is a *perceptron*, which answers 0 or 1; with the
sigmoid ``σ`` it is a *sigmoid neuron*, whose answer ``a = σ(w·x + b)`` is
graded between 0 and 1.

:class:`PartyDecision` is the book's running example: should I go to the
party? Each factor (the weather, whether my friends go, how far away it is)
gets a weight, and the bias is minus a threshold that the weighted evidence
must exceed.

>>> party = PartyDecision()
>>> x = {"good_weather": 1, "friends_going": 1, "far_away": 0}
>>> float(party.weighted_input(x)), int(party.perceptron(x))
(3.5, 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from nnbook._checks import as_real_array, check_finite
from nnbook.activations import Activation, get_activation

__all__ = ["PartyDecision", "neuron", "perceptron", "sigmoid_neuron", "weighted_input"]


def weighted_input(x: Any, w: Any, b: float) -> np.ndarray:
    """Return the weighted input ``z = w·x + b`` of a neuron.

    Parameters
    ----------
    x
        One input of shape ``(k,)``, or a batch of shape ``(n, k)`` with one
        input per row (at least one).
    w
        The ``k`` weights, shape ``(k,)``.
    b
        The bias, one number.

    Returns
    -------
    numpy.ndarray
        A scalar for one input, shape ``(n,)`` for a batch.

    Raises
    ------
    ValueError
        If the shapes do not fit or a value is not finite.
    """
    w = as_real_array(w, "w", dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise ValueError(
            f"w must be a non-empty 1-D array of weights, got shape {w.shape}"
        )
    x = as_real_array(x, "x", dtype=np.float64, nonempty=True)
    k = w.size
    if x.ndim not in (1, 2) or x.shape[-1] != k:
        raise ValueError(
            f"x must have shape ({k},) or (n, {k}) to match the {k} weight(s), "
            f"got shape {x.shape}"
        )
    b = check_finite(b, "b")
    z = x @ w + b
    return z[()] if z.ndim == 0 else z


def neuron(
    x: Any, w: Any, b: float, activation: str | Activation = "sigmoid"
) -> np.ndarray:
    """Return the output ``f(w·x + b)`` of a neuron with activation ``f``.

    ``x``, ``w`` and ``b`` are as for :func:`weighted_input`; ``activation``
    is a name from :data:`nnbook.activations.ACTIVATIONS` or an
    :class:`~nnbook.activations.Activation`.
    """
    f = get_activation(activation)
    return f(weighted_input(x, w, b))


def sigmoid_neuron(x: Any, w: Any, b: float) -> np.ndarray:
    """Return the output ``σ(w·x + b)`` of a sigmoid neuron, a number in (0, 1)."""
    return neuron(x, w, b, "sigmoid")


def perceptron(x: Any, w: Any, b: float) -> np.ndarray:
    """Return the output of a perceptron: 1 if ``w·x + b > 0``, else 0."""
    return neuron(x, w, b, "step")


@dataclass(frozen=True)
class PartyDecision:
    """Should I go to the party? A neuron whose inputs have names.

    Each input is a number, by convention between 0 (no) and 1 (yes):
    ``good_weather`` (1 = a fine evening), ``friends_going`` (1 = all my
    friends go) and ``far_away`` (1 = a long trip, 0 = next door). A
    positive weight makes a factor speak for going, a negative one against,
    and its size says how much it counts. The evidence ``w·x`` must exceed
    the ``threshold`` for a perceptron to say yes; written as a bias,
    ``b = -threshold`` and the perceptron says yes when ``w·x + b > 0``.

    Inputs ``x`` to the methods are either a mapping from every factor's
    name to its value, an array of shape ``(k,)`` in the order of
    ``factors``, or a batch of shape ``(n, k)``.

    Parameters
    ----------
    factors
        The names of the inputs, in order.
    weights
        One weight per factor.
    threshold
        How much weighted evidence it takes to go.
    """

    factors: tuple[str, ...] = ("good_weather", "friends_going", "far_away")
    weights: tuple[float, ...] = (2.0, 4.0, -3.0)
    threshold: float = 2.5

    def __post_init__(self) -> None:
        factors = tuple(self.factors)
        if not factors or not all(isinstance(f, str) and f for f in factors):
            raise TypeError(
                f"factors must be a non-empty sequence of names, got {self.factors!r}"
            )
        if "bias" in factors:
            raise ValueError(
                "'bias' cannot be a factor's name: contributions() uses it for the bias"
            )
        if len(set(factors)) != len(factors):
            raise ValueError(f"factors must have distinct names, got {factors!r}")
        weights = as_real_array(self.weights, "weights", dtype=np.float64)
        if weights.shape != (len(factors),):
            raise ValueError(
                f"weights must hold one number per factor ({len(factors)}), "
                f"got shape {weights.shape}"
            )
        threshold = check_finite(self.threshold, "threshold")
        object.__setattr__(self, "factors", factors)
        object.__setattr__(self, "weights", tuple(float(v) for v in weights))
        object.__setattr__(self, "threshold", threshold)

    @property
    def w(self) -> np.ndarray:
        """The weights as an array, in the order of ``factors``."""
        return np.array(self.weights)

    @property
    def bias(self) -> float:
        """The bias, ``-threshold``."""
        return -self.threshold

    def inputs(
        self, x: Mapping[str, float] | Sequence[float] | np.ndarray
    ) -> np.ndarray:
        """Return ``x`` as an array in the order of ``factors``.

        Raises
        ------
        ValueError
            If a mapping misses a factor or names an unknown one, or an array
            does not have one value per factor.
        """
        if isinstance(x, Mapping):
            missing = [f for f in self.factors if f not in x]
            unknown = [str(k) for k in x if k not in self.factors]
            if missing or unknown:
                parts = []
                if missing:
                    parts.append(f"missing: {', '.join(missing)}")
                if unknown:
                    parts.append(f"unknown: {', '.join(unknown)}")
                raise ValueError(
                    f"x must give a value for each factor ({', '.join(self.factors)}); "
                    + "; ".join(parts)
                )
            x = [x[f] for f in self.factors]
        array = as_real_array(x, "x", dtype=np.float64)
        k = len(self.factors)
        if array.ndim not in (1, 2) or array.shape[-1] != k:
            raise ValueError(
                f"x must have shape ({k},) or (n, {k}), one value per factor "
                f"({', '.join(self.factors)}), got shape {array.shape}"
            )
        return array

    def weighted_input(self, x: Any) -> np.ndarray:
        """Return the weighted input ``z = w·x + b``."""
        return weighted_input(self.inputs(x), self.w, self.bias)

    def output(self, x: Any) -> np.ndarray:
        """Return the sigmoid neuron's graded answer ``σ(w·x + b)``, in (0, 1)."""
        return sigmoid_neuron(self.inputs(x), self.w, self.bias)

    def perceptron(self, x: Any) -> np.ndarray:
        """Return the perceptron's answer: 1 (go) if ``w·x + b > 0``, else 0."""
        return perceptron(self.inputs(x), self.w, self.bias)

    def contributions(self, x: Any) -> dict[str, Any]:
        """Return how much each factor, and the bias, adds to ``z``.

        The values are ``w_i x_i`` for each factor and ``b`` under the key
        ``"bias"``; they sum to :meth:`weighted_input`. For a batch, each
        value is an array with one entry per example.
        """
        array = self.inputs(x)
        # Adding 0.0 turns the -0.0 of a negative weight times 0 into 0.0.
        parts = {
            f: array[..., i] * w + 0.0
            for i, (f, w) in enumerate(zip(self.factors, self.weights))
        }
        parts = {f: (float(v) if np.ndim(v) == 0 else v) for f, v in parts.items()}
        parts["bias"] = self.bias
        return parts
