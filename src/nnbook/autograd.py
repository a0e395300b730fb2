"""A scalar reverse-mode automatic differentiation engine, small enough to read.

A :class:`Value` wraps one number. Arithmetic on values builds a graph as it
goes: every result remembers the values it was computed from (its
*parents*), the operation that made it, and a small function that knows the
local derivative of that operation. Calling :meth:`Value.backward` on the
final result (the *root*, usually a loss) visits the graph from the root
back to the inputs and applies the chain rule at every node, so that each
value's ``grad`` ends up holding the derivative of the root with respect to
that value.

>>> from nnbook.autograd import Value
>>> x, y = Value(2.0), Value(-3.0)
>>> z = x * y + x            # z = xy + x
>>> z.backward()
>>> z.data, x.grad, y.grad   # dz/dx = y + 1, dz/dy = x
(-4.0, -2.0, 2.0)

Two rules make this work:

* **Local rules.** Each operation knows only its own derivative. If
  ``out = a * b``, then ``d out / d a = b``; the multiplication passes
  ``b * out.grad`` back to ``a``, which is the chain rule: the derivative of
  the root with respect to ``a`` *through this path* is the derivative with
  respect to ``out`` times the local derivative.
* **Gradients add up.** A value used in several places (``x`` above is used
  twice) influences the root along several paths; its derivative is the sum
  of the contributions of all paths. That is why every local rule *adds* to
  ``grad`` (``+=``) instead of setting it.

The order matters: a node may pass its gradient on only after every node
that uses it has added its contribution. :func:`topological_order` lists
the nodes so that every node comes after its parents; :meth:`Value.backward`
walks that list from the end.

:class:`MLP` is a multilayer perceptron made of values; :mod:`nnbook.graph`
draws the graphs. Everything is plain Python floats, one node per
multiplication: this engine is for understanding, not for speed, which is
why real frameworks (and :class:`nnbook.network.Network`) work with whole
matrices instead.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

import numpy as np

from nnbook._checks import as_real_array, check_choice, check_real

__all__ = ["MLP", "MLP_ACTIVATIONS", "Value", "topological_order"]

#: What the operators accept besides a :class:`Value`: a plain number.
Number = Union[int, float]

#: The activation functions of :class:`MLP`, by name.
MLP_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")


def _accepts_numbers(
    operator: Callable[[Value, Value], Value],
) -> Callable[[Value, object], Value]:
    """Let a binary operator of :class:`Value` take a plain number as its other operand.

    The number becomes a constant leaf of the graph. Any other type gives
    ``NotImplemented``, so that Python raises its usual TypeError.
    """

    @functools.wraps(operator)
    def with_numbers(self: Value, other: object) -> Value:
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            other = Value(other)
        if not isinstance(other, Value):
            return NotImplemented
        return operator(self, other)

    return with_numbers


class Value:
    """One number in a computation, with the gradient that flows back to it.

    Parameters
    ----------
    data
        The number, a finite Python or NumPy real number (not NaN or an
        infinity). An operation whose result overflows raises an OverflowError.
    label
        An optional name (a string), shown when the graph is drawn.
    parents, op
        For the result of an operation (see below); leave them out for an input.

    Attributes
    ----------
    data : float
        The number.
    grad : float
        The derivative of the root of the last :meth:`backward` call with
        respect to this value; 0 before any call.
    label : str
        The name given, or ``""``.
    parents : tuple of Value
        The values this one was computed from (none for an input, a *leaf*).
    op : str
        The name of the operation that made it (``"+"``, ``"exp"`` ...), ``""`` for a
        leaf.

    Notes
    -----
    The operators ``+ - * / **`` and unary ``-`` accept plain numbers on
    either side (``2 * x`` works as well as ``x * 2``); a number becomes a
    constant leaf. Each operation makes a new :class:`Value` whose
    ``_backward``, a function without arguments, adds the local derivative
    times ``out.grad`` to the ``grad`` of each parent: the pattern to follow
    to add an operation.
    """

    def __init__(
        self,
        data: Number,
        label: str = "",
        *,
        parents: tuple[Value, ...] = (),
        op: str = "",
    ) -> None:
        self.data = check_real(data, "data")
        if not math.isfinite(self.data):
            if parents:  # the result of an operation on finite values: it overflowed
                raise OverflowError(
                    f"the result of {op} is too large for a float, got {self.data}"
                )
            raise ValueError(f"data must be a finite number, got {self.data}")
        if not isinstance(label, str):
            raise TypeError(f"label must be a string, got {type(label).__name__}")
        self.grad = 0.0
        self.label = label
        self.parents = tuple(parents)
        self.op = str(op)
        # Adds this node's contribution to the grads of its parents. A leaf
        # has no parents, so there is nothing to do.
        self._backward: Callable[[], None] = lambda: None

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"

    # -- arithmetic ---------------------------------------------------------------

    @_accepts_numbers
    def __add__(self, other: Value) -> Value:
        out = Value(self.data + other.data, parents=(self, other), op="+")

        def _backward() -> None:
            # d(a + b)/da = d(a + b)/db = 1: the sum passes its gradient on unchanged.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    @_accepts_numbers
    def __mul__(self, other: Value) -> Value:
        out = Value(self.data * other.data, parents=(self, other), op="*")

        def _backward() -> None:
            # d(ab)/da = b and d(ab)/db = a: each factor gets the other one.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    @_accepts_numbers
    def __sub__(self, other: Value) -> Value:
        out = Value(self.data - other.data, parents=(self, other), op="-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        """Return ``self ** exponent`` for a fixed number ``exponent``.

        Raises a TypeError if the exponent is a :class:`Value` (write
        ``(y * x.log()).exp()`` for ``x ** y`` with a variable ``y`` and
        ``x > 0``), a ValueError for a negative number to a non-integer power
        (not real) and a ZeroDivisionError for 0 to a negative power.
        """
        if isinstance(exponent, Value):
            raise TypeError(
                "the exponent of ** must be a number, not a Value; for x ** y with a "
                "variable y > 0 write (y * x.log()).exp()"
            )
        p, x = check_real(exponent, "the exponent"), self.data
        if x < 0 and not p.is_integer():
            raise ValueError(
                f"a negative number cannot be raised to the non-integer power {p:g}, "
                f"got {x:g} ** {p:g}"
            )
        if x == 0 and p < 0:
            raise ZeroDivisionError(f"0 cannot be raised to the negative power {p:g}")
        out = Value(x**p, parents=(self,), op=f"**{p:g}")
        # d(x^p)/dx = p x^(p-1); at x = 0 it is 0 for p = 0 or p >= 1 and
        # infinite for 0 < p < 1 (the slope of the square root at 0).
        if p == 0:
            local = 0.0
        elif x == 0 and p < 1:
            local = math.inf
        else:
            local = p * x ** (p - 1)

        def _backward() -> None:
            self.grad += local * out.grad

        out._backward = _backward
        return out

    @_accepts_numbers
    def __truediv__(self, other: Value) -> Value:
        # a / b = a * b^-1: no new rule is needed.
        if other.data == 0:
            raise ZeroDivisionError("division by a Value equal to 0")
        return self * other**-1

    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    @_accepts_numbers
    def __rsub__(self, other: Value) -> Value:  # other - self
        return other - self

    @_accepts_numbers
    def __rtruediv__(self, other: Value) -> Value:  # other / self
        return other / self

    # -- functions of one value -----------------------------------------------

    def exp(self) -> Value:
        """Return ``e ** self``; its derivative is itself."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(
                f"exp({self.data:g}) is too large for a float"
            ) from None
        out = Value(e, parents=(self,), op="exp")

        def _backward() -> None:
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Return the natural logarithm; its derivative is ``1 / self``.

        The value must be positive.
        """
        x = self.data
        if x <= 0:
            raise ValueError(f"log needs a positive number, got {x:g}")
        out = Value(math.log(x), parents=(self,), op="log")

        def _backward() -> None:
            self.grad += out.grad / x

        out._backward = _backward
        return out

    def tanh(self) -> Value:
        """Return the hyperbolic tangent; its derivative is ``1 - tanh**2``."""
        t = math.tanh(self.data)
        out = Value(t, parents=(self,), op="tanh")

        def _backward() -> None:
            self.grad += (1.0 - t * t) * out.grad

        out._backward = _backward
        return out

    def sigmoid(self) -> Value:
        """Return the logistic sigmoid ``s``; its derivative is ``s (1 - s)``.

        ``s = 1 / (1 + e**-self)``.
        """
        # Only ever exp of a number <= 0, so nothing overflows.
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, parents=(self,), op="sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """Return ``max(0, self)``; its derivative is 1 for positive values, else 0.

        At 0 the derivative is 0, as in PyTorch.
        """
        out = Value(max(0.0, self.data), parents=(self,), op="relu")

        def _backward() -> None:
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    # -- the backward pass -------------------------------------------------------

    def backward(self) -> None:
        """Compute the derivative of this value with respect to each value in its graph.

        Sets ``grad`` of every node the root depends on (itself included,
        where the derivative is 1). The gradients of an earlier call are
        reset first, so calling it twice gives the same result. (PyTorch
        instead *accumulates* into the ``.grad`` of its leaves until they
        are zeroed.)
        """
        order = topological_order(self)
        for node in order:
            node.grad = 0.0
        self.grad = 1.0
        # From the root back to the leaves: each node is reached only after
        # every node that uses it has added its share to its grad.
        for node in reversed(order):
            node._backward()


def topological_order(root: Value) -> list[Value]:
    """List every value that ``root`` depends on, each after all of its parents.

    The root comes last and the leaves (inputs and constants) early. A value
    used several times appears once.
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    # A depth-first search without recursion, which long chains (a sum of
    # thousands of terms) would take beyond Python's limit. A node goes on the
    # stack twice: to visit its parents, then, once they are listed, to be listed.
    order: list[Value] = []
    visited: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in reversed(node.parents))
    return order


class MLP:
    """A fully connected network: every weight, bias and neuron is a :class:`Value`.

    The same computation as :class:`nnbook.network.Network`, one number at a
    time, so that :meth:`Value.backward` can differentiate it. It is slow and
    builds a large graph (one node per multiplication), which makes it a
    good illustration and a good test, not a way to train.

    Parameters
    ----------
    weights, biases
        One matrix of shape ``(n_in, n_out)`` and one vector of length
        ``n_out`` per layer, as in :class:`nnbook.network.Network`.
    activation
        The activation of the hidden layers, one of :data:`MLP_ACTIVATIONS`.
    output_activation
        The activation of the output layer; ``None``: as the hidden layers.

    Attributes
    ----------
    weights : list of list of list of Value
        ``weights[l][i][j]`` connects neuron ``i`` of layer ``l`` to neuron
        ``j`` of layer ``l + 1``.
    biases : list of list of Value
    """

    def __init__(
        self,
        weights: Sequence[Any],
        biases: Sequence[Any],
        activation: str = "tanh",
        output_activation: str | None = None,
    ) -> None:
        output_activation = (
            activation if output_activation is None else output_activation
        )
        self.activation = check_choice(activation, "activation", MLP_ACTIVATIONS)
        self.output_activation = check_choice(
            output_activation, "output_activation", MLP_ACTIVATIONS
        )
        for name, value in (("weights", weights), ("biases", biases)):
            if isinstance(value, str) or not isinstance(value, (Sequence, np.ndarray)):
                raise TypeError(
                    f"{name} must be a sequence with one array per layer, "
                    f"got {type(value).__name__}"
                )
        if len(weights) == 0 or len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must hold one entry per layer (at least one), got "
                f"{len(weights)} and {len(biases)}"
            )
        self.weights: list[list[list[Value]]] = []
        self.biases: list[list[Value]] = []
        for l, (w, b) in enumerate(zip(weights, biases)):
            w = as_real_array(w, f"weights[{l}]", dtype=np.float64)
            b = as_real_array(b, f"biases[{l}]", dtype=np.float64)
            n_in = self.sizes[-1] if self.weights else w.shape[0] if w.ndim == 2 else -1
            if w.ndim != 2 or w.shape[0] != n_in or b.shape != (w.shape[1],):
                raise ValueError(
                    f"layer {l}: expected weights of shape ({n_in}, n_out) and biases "
                    f"of shape (n_out,), got {w.shape} and {b.shape}"
                )
            self.weights.append(
                [
                    [Value(w[i, j], f"w{l}[{i},{j}]") for j in range(w.shape[1])]
                    for i in range(w.shape[0])
                ]
            )
            self.biases.append([Value(b[j], f"b{l}[{j}]") for j in range(w.shape[1])])

    @property
    def sizes(self) -> tuple[int, ...]:
        """The number of neurons in each layer, input layer first."""
        return (len(self.weights[0]), *(len(b) for b in self.biases))

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer (weights row by row, then biases)."""
        params: list[Value] = []
        for w, b in zip(self.weights, self.biases):
            params += [v for row in w for v in row] + b
        return params

    def __call__(self, x: Iterable[Value | Number]) -> list[Value]:
        """Return the outputs for one input ``x``: ``sizes[0]`` numbers or values."""
        a = [v if isinstance(v, Value) else Value(v) for v in x]
        if len(a) != self.sizes[0]:
            raise ValueError(f"x must hold {self.sizes[0]} inputs, got {len(a)}")
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            activation = self.output_activation if l == last else self.activation
            # z_j = sum_i a_i w_ij + b_j for each neuron j of the next layer.
            zs = [
                sum((a_i * w[i][j] for i, a_i in enumerate(a)), b[j])
                for j in range(len(b))
            ]
            a = (
                zs
                if activation == "identity"
                else [getattr(z, activation)() for z in zs]
            )
        return a
