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

The module also draws graphs (:func:`trace`, :func:`draw_graph`, with
matplotlib, imported only when drawing) and holds a tiny multilayer
perceptron made of values (:class:`MLP`), which the tests compare with
PyTorch and with :class:`nnbook.network.Network`.

Everything is plain Python floats: this engine is for understanding, not
for speed. A network written with it builds one node per multiplication,
which is why real frameworks (and :class:`nnbook.network.Network`) work with
whole matrices instead.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Union

import numpy as np

__all__ = ["MLP", "Value", "draw_graph", "topological_order", "trace"]

#: What the operators accept besides a :class:`Value`: a plain number.
Number = Union[int, float]

#: The activation functions of :class:`MLP`, by name.
MLP_ACTIVATIONS = ("tanh", "sigmoid", "relu", "identity")


def _check_number(x: object, name: str) -> float:
    """Return ``x`` as a float, or raise if it is not a real number or is NaN."""
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name} must be a real number (int or float), got {type(x).__name__}")
    x = float(x)
    if math.isnan(x):
        raise ValueError(f"{name} must be a number, got NaN")
    return x


class Value:
    """One number in a computation, with the gradient that flows back to it.

    Parameters
    ----------
    data
        The number, a Python or NumPy real number (not NaN).
    label
        An optional name, shown when the graph is drawn.
    parents, op
        For the result of an operation: the values it was computed from, and
        the operation's name. Leave them out for an input.

    Attributes
    ----------
    data : float
        The number.
    grad : float
        The derivative of the root of the last :meth:`backward` call with
        respect to this value; 0 before any call.
    label : str
        The name given, or ``""``.

    Notes
    -----
    The operators ``+ - * / **`` and unary ``-`` accept values and plain
    numbers on either side (``2 * x`` works as well as ``x * 2``), and so do
    the methods :meth:`exp`, :meth:`log`, :meth:`tanh`, :meth:`sigmoid` and
    :meth:`relu`. Each result is a new :class:`Value` whose parents are the
    operands; a plain number becomes a parent too, as a constant leaf.

    To add an operation, compute the result as
    ``out = Value(result, parents=(self,), op="name")`` and set
    ``out._backward`` to a function without arguments that adds the local
    derivative times ``out.grad`` to the ``grad`` of each parent; the
    methods of this class all follow that pattern.
    """

    def __init__(
        self, data: Number, label: str = "", *, parents: tuple[Value, ...] = (), op: str = ""
    ) -> None:
        self.data = _check_number(data, "data")
        self.grad = 0.0
        self.label = str(label)
        self._parents = tuple(parents)
        self._op = str(op)
        # Adds this node's contribution to the grads of its parents. A leaf
        # has no parents, so there is nothing to do.
        self._backward: Callable[[], None] = lambda: None

    # -- what the graph knows about a node -----------------------------------

    @property
    def parents(self) -> tuple[Value, ...]:
        """The values this one was computed from (empty for an input, a *leaf*)."""
        return self._parents

    @property
    def op(self) -> str:
        """The name of the operation that made this value (``"+"``, ``"exp"`` ...), ``""`` for a leaf."""
        return self._op

    def __repr__(self) -> str:
        name = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data:.6g}, grad={self.grad:.6g}{name})"

    # -- arithmetic ---------------------------------------------------------------

    @staticmethod
    def _lift(other: object) -> Value | None:
        """Return ``other`` as a Value (numbers become constant leaves), or None if it is neither."""
        if isinstance(other, Value):
            return other
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return Value(other)
        return None

    def __add__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        if other is None:
            return NotImplemented
        out = Value(self.data + other.data, parents=(self, other), op="+")

        def _backward() -> None:
            # d(a + b)/da = d(a + b)/db = 1: the sum passes its gradient on unchanged.
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        if other is None:
            return NotImplemented
        out = Value(self.data * other.data, parents=(self, other), op="*")

        def _backward() -> None:
            # d(ab)/da = b and d(ab)/db = a: each factor gets the other one.
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __sub__(self, other: Value | Number) -> Value:
        other = self._lift(other)
        if other is None:
            return NotImplemented
        out = Value(self.data - other.data, parents=(self, other), op="-")

        def _backward() -> None:
            self.grad += out.grad
            other.grad -= out.grad

        out._backward = _backward
        return out

    def __pow__(self, exponent: Number) -> Value:
        """Return ``self ** exponent`` for a fixed number ``exponent``.

        Raises
        ------
        TypeError
            If the exponent is a :class:`Value` (write ``(y * x.log()).exp()``
            for ``x ** y`` with a variable ``y``, and ``x > 0``).
        ValueError
            If a negative number is raised to a non-integer power (the
            result would not be real).
        ZeroDivisionError
            If 0 is raised to a negative power.
        """
        if isinstance(exponent, Value):
            raise TypeError(
                "the exponent of ** must be a number, not a Value; for x ** y with a "
                "variable y > 0 write (y * x.log()).exp()"
            )
        p = _check_number(exponent, "the exponent")
        x = self.data
        if x < 0 and not p.is_integer():
            raise ValueError(
                f"a negative number cannot be raised to the non-integer power {p:g}, got {x:g} ** {p:g}"
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

    def __truediv__(self, other: Value | Number) -> Value:
        # a / b = a * b^-1: no new rule is needed.
        other = self._lift(other)
        if other is None:
            return NotImplemented
        if other.data == 0:
            raise ZeroDivisionError("division by a Value equal to 0")
        return self * other**-1

    def __neg__(self) -> Value:
        return self * -1

    def __radd__(self, other: Number) -> Value:  # other + self
        return self + other

    def __rmul__(self, other: Number) -> Value:  # other * self
        return self * other

    def __rsub__(self, other: Number) -> Value:  # other - self
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return other - self

    def __rtruediv__(self, other: Number) -> Value:  # other / self
        other = self._lift(other)
        if other is None:
            return NotImplemented
        return other / self

    # -- functions of one value -----------------------------------------------

    def exp(self) -> Value:
        """Return ``e ** self``; its derivative is itself."""
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp({self.data:g}) is too large for a float") from None
        out = Value(e, parents=(self,), op="exp")

        def _backward() -> None:
            self.grad += e * out.grad

        out._backward = _backward
        return out

    def log(self) -> Value:
        """Return the natural logarithm; its derivative is ``1 / self``.

        Raises
        ------
        ValueError
            If the value is not positive.
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
        """Return the logistic sigmoid ``1 / (1 + e**-self)``; its derivative is ``s (1 - s)``."""
        # Only ever exp of a number <= 0, so nothing overflows.
        x = self.data
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))
        out = Value(s, parents=(self,), op="sigmoid")

        def _backward() -> None:
            self.grad += s * (1.0 - s) * out.grad

        out._backward = _backward
        return out

    def relu(self) -> Value:
        """Return ``max(0, self)``; its derivative is 1 for positive values, else 0 (0 at 0, as in PyTorch)."""
        out = Value(max(0.0, self.data), parents=(self,), op="relu")

        def _backward() -> None:
            self.grad += (self.data > 0) * out.grad

        out._backward = _backward
        return out

    # -- the backward pass -------------------------------------------------------

    def backward(self) -> None:
        """Compute the derivative of this value with respect to every value in its graph.

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

    Parameters
    ----------
    root
        The value at the end of the computation.

    Returns
    -------
    list of Value
    """
    if not isinstance(root, Value):
        raise TypeError(f"root must be a Value, got {type(root).__name__}")
    # A depth-first search without recursion, so that long chains (a sum of
    # thousands of terms) do not hit Python's recursion limit. A node is put
    # on the stack twice: first to visit its parents, then, once they are
    # all listed, to be listed itself.
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


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Return the graph of ``root``: its nodes and its edges.

    Returns
    -------
    nodes : list of Value
        Every value ``root`` depends on, in :func:`topological_order`.
    edges : list of tuple
        One ``(parent, child)`` pair for each use of a value in an
        operation; a value used twice by the same operation (``x * x``)
        gives two equal pairs.
    """
    nodes = topological_order(root)
    edges = [(parent, node) for node in nodes for parent in node.parents]
    return nodes, edges


#: How operations are written in the drawings.
_OP_SYMBOLS = {"+": "+", "-": "−", "*": "×", "exp": "exp", "log": "log", "tanh": "tanh",
               "sigmoid": "σ", "relu": "ReLU"}


def _op_symbol(op: str) -> str:
    if op.startswith("**"):
        return "^" + op[2:].replace("-", "−")
    return _OP_SYMBOLS.get(op, op)


def _layout(nodes: list[Value]) -> dict[Value, tuple[float, float]]:
    """Place each node in a column by its depth and spread each column in y.

    An operation's depth is the length of the longest path to it from a
    leaf; a leaf sits one column before the first operation that uses it, so
    that a constant used late is drawn next to where it is used.
    """
    depth: dict[Value, int] = {}
    for node in nodes:  # parents come first
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    first_use: dict[Value, int] = {}
    for node in nodes:
        for parent in node.parents:
            first_use[parent] = min(first_use.get(parent, depth[node]), depth[node])
    for node in nodes:
        if not node.parents and node in first_use:
            depth[node] = first_use[node] - 1
    columns: dict[int, list[Value]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    position: dict[Value, tuple[float, float]] = {}
    for d in sorted(columns):
        column = columns[d]
        # Operations first, ordered by the mean height of their parents (which
        # keeps edges from crossing in small graphs), then the leaves.
        column.sort(key=lambda n: (not n.parents, -np.mean([position[p][1] for p in n.parents] or [0.0])))
        heights = np.linspace((len(column) - 1) / 2, -(len(column) - 1) / 2, len(column))
        for node, y in zip(column, heights):
            position[node] = (float(d), float(y))
    return position


def draw_graph(root: Value, ax: Any = None, fmt: str = ".3g", node_color: str = "#DCEBF7") -> Any:
    """Draw the computational graph of ``root`` with matplotlib.

    Every value is a box that shows its label (if it has one), its ``data``
    and its ``grad``; every operation is a small circle between the values it
    combines and the value it makes. The inputs are on the left, ``root`` on
    the right. Call :meth:`Value.backward` first to show gradients.

    Parameters
    ----------
    root
        The value at the end of the computation.
    ax
        The axes to draw on; default: a new figure's, sized to the graph.
    fmt
        The format of the numbers (a format spec such as ``".3g"``).
    node_color
        The fill colour of the boxes.

    Returns
    -------
    matplotlib.axes.Axes
    """
    import matplotlib.pyplot as plt

    nodes, _ = trace(root)
    position = _layout(nodes)
    n_columns = 1 + max(x for x, _ in position.values())
    tallest = max(sum(1 for x, _ in position.values() if x == c) for c in range(int(n_columns)))
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * n_columns + 0.4, 0.9 * tallest + 0.6))
    ax.set_xlim(-0.6, n_columns - 0.4)
    ax.set_ylim(-tallest / 2, tallest / 2)
    ax.set_axis_off()

    boxes = {}
    for node in nodes:
        lines = [node.label] if node.label else []
        lines += [f"data {node.data:{fmt}}", f"grad {node.grad:{fmt}}"]
        boxes[node] = ax.text(
            *position[node], "\n".join(lines), ha="center", va="center", fontsize=8, zorder=3,
            bbox={"boxstyle": "round,pad=0.35", "fc": node_color, "ec": "0.3", "lw": 0.8},
        )
    arrow = {"arrowstyle": "-|>", "color": "0.35", "lw": 0.8, "shrinkA": 1, "shrinkB": 1}
    for node in nodes:
        if not node.parents:
            continue
        x, y = position[node]
        op = ax.text(x - 0.45, y, _op_symbol(node.op), ha="center", va="center", fontsize=8, zorder=3,
                     bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "0.3", "lw": 0.8})
        ax.annotate("", xy=(0, 0.5), xycoords=boxes[node], xytext=(1, 0.5), textcoords=op,
                    arrowprops=arrow, zorder=2)
        for k, parent in enumerate(node.parents):
            # A value used twice by one operation (x * x) gets two curved
            # edges; an edge that skips columns bends so as not to run
            # behind the boxes in between.
            if node.parents.count(parent) > 1:
                bend = 0.3 if k == 0 else -0.3
            else:
                bend = 0.25 if x - position[parent][0] > 1 else 0.0
            ax.annotate("", xy=(0, 0.5), xycoords=op, xytext=(1, 0.5), textcoords=boxes[parent],
                        arrowprops={**arrow, "connectionstyle": f"arc3,rad={bend}"}, zorder=2)
    return ax


# ---------------------------------------------------------------------------
# A multilayer perceptron made of values
# ---------------------------------------------------------------------------


def _apply(activation: str, z: Value) -> Value:
    return z if activation == "identity" else getattr(z, activation)()


class MLP:
    """A fully connected network whose every weight, bias and neuron is a :class:`Value`.

    The same computation as :class:`nnbook.network.Network`, one number at a
    time, so that :meth:`Value.backward` can differentiate it. It is slow and
    builds a large graph (one node per multiplication), which makes it a
    good illustration and a good test, not a way to train.

    Parameters
    ----------
    weights
        One matrix per layer, of shape ``(n_in, n_out)`` as in
        :class:`nnbook.network.Network` (nested lists or arrays of numbers).
    biases
        One vector per layer, of length ``n_out``.
    activation
        The activation of the hidden layers: ``"tanh"``, ``"sigmoid"``,
        ``"relu"`` or ``"identity"``.
    output_activation
        The activation of the output layer; ``None`` means the same as
        ``activation``.

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
        output_activation = activation if output_activation is None else output_activation
        for name in (activation, output_activation):
            if name not in MLP_ACTIVATIONS:
                raise ValueError(f"unknown activation {name!r}; MLP knows {', '.join(MLP_ACTIVATIONS)}")
        if len(weights) == 0 or len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must hold one entry per layer (at least one), got "
                f"{len(weights)} and {len(biases)}"
            )
        self.activation, self.output_activation = activation, output_activation
        self.weights: list[list[list[Value]]] = []
        self.biases: list[list[Value]] = []
        for l, (w, b) in enumerate(zip(weights, biases)):
            w, b = np.asarray(w, dtype=float), np.asarray(b, dtype=float)
            n_in = self.sizes[-1] if self.weights else w.shape[0] if w.ndim == 2 else -1
            if w.ndim != 2 or w.shape[0] != n_in or b.shape != (w.shape[1],):
                raise ValueError(
                    f"layer {l}: expected weights of shape ({n_in}, n_out) and biases of shape "
                    f"(n_out,), got {w.shape} and {b.shape}"
                )
            self.weights.append([[Value(w[i, j], f"w{l}[{i},{j}]") for j in range(w.shape[1])]
                                 for i in range(w.shape[0])])
            self.biases.append([Value(b[j], f"b{l}[{j}]") for j in range(w.shape[1])])

    @property
    def sizes(self) -> tuple[int, ...]:
        """The number of neurons in each layer, input layer first."""
        return (len(self.weights[0]), *(len(b) for b in self.biases))

    def parameters(self) -> list[Value]:
        """Every weight and bias, layer by layer (each layer's weights row by row, then its biases)."""
        params: list[Value] = []
        for w, b in zip(self.weights, self.biases):
            params += [v for row in w for v in row] + b
        return params

    def __call__(self, x: Iterable[Value | Number]) -> list[Value]:
        """Return the outputs for one input ``x`` (a sequence of ``sizes[0]`` numbers or values)."""
        a = [v if isinstance(v, Value) else Value(v) for v in x]
        if len(a) != self.sizes[0]:
            raise ValueError(f"x must hold {self.sizes[0]} inputs, got {len(a)}")
        last = len(self.weights) - 1
        for l, (w, b) in enumerate(zip(self.weights, self.biases)):
            activation = self.output_activation if l == last else self.activation
            # z_j = sum_i a_i w_ij + b_j for each neuron j of the next layer.
            a = [_apply(activation, sum((a_i * w[i][j] for i, a_i in enumerate(a)), b[j]))
                 for j in range(len(b))]
        return a
