"""nnbook.autograd: values and gradients against torch.autograd, the graph, the MLP, errors."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from nnbook.autograd import MLP, Value, topological_order
from nnbook.gradcheck import numerical_gradient, relative_error
from nnbook.network import Network

TOL = 1e-6  # the bound; in float64 the differences are about 1e-15


def _both(
    f: Callable[..., object], xs: list[float]
) -> tuple[float, list[float], float, list[float]]:
    """Evaluate ``f`` on Values and on float64 tensors; return both results and gradients.

    ``f`` is written once and only uses operators and the methods that
    both Value and torch.Tensor have (exp, log, tanh, sigmoid, relu).
    """
    values = [Value(x) for x in xs]
    out = f(*values)
    out.backward()
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    expected = f(*tensors)
    expected.backward()
    return (
        out.data,
        [v.grad for v in values],
        expected.item(),
        [t.grad.item() for t in tensors],
    )


def _assert_matches_torch(f: Callable[..., object], xs: list[float]) -> None:
    data, grads, expected, expected_grads = _both(f, xs)
    assert abs(data - expected) <= TOL * max(1.0, abs(expected))
    for g, e in zip(grads, expected_grads):
        assert abs(g - e) <= TOL * max(1.0, abs(e)), (grads, expected_grads)


def _shared(e, a):
    """An expression that uses the sub-expression ``e`` three times."""
    return e * e + e.tanh() * a


EXPRESSIONS: dict[str, tuple[Callable[..., object], list[float]]] = {
    "sum and product": (lambda a, b, c: a * b + c, [2.0, -3.0, 10.0]),
    "shared sub-expression": (lambda a, b: _shared(a * b + 1.0, a), [0.7, -1.3]),
    "a value used many times": (lambda x: x * x * x + x / (x + 3.0) - x, [1.7]),
    "difference and negation": (lambda a, b: -(a - b) * (b - a) - 5.0, [0.3, 2.2]),
    "numbers on the left": (lambda a: 2.0 * a + 1.0 - 3.0 / a + (4.0 - a) / 2.0, [1.5]),
    "powers": (lambda a, b: a**2 + a**-1.5 + b**3 + b**0.5 + a**1, [1.3, 0.4]),
    "negative base, integer power": (lambda a: a**3 + a**-2, [-1.7]),
    "division": (lambda a, b: a / b + b / a / b, [2.5, -0.8]),
    "exp and log": (lambda a, b: (a * b).exp() + (a + b).log() * a, [0.6, 1.9]),
    "tanh": (lambda a, b: (a * b - 0.3).tanh() * a, [0.9, -1.1]),
    "sigmoid": (lambda a, b: (a * 3.0 + b).sigmoid() * (b - a).sigmoid(), [0.4, -2.0]),
    "relu, both sides": (
        lambda a, b: (a * b).relu() + (a - b).relu() * 2.0,
        [1.5, 2.0],
    ),
    "a neuron and its cross-entropy": (
        lambda w1, w2, b: -(((w1 * 0.5 + w2 * -1.2 + b).sigmoid()).log()),
        [0.3, -0.7, 0.1],
    ),
    "log-sum-exp": (
        lambda a, b, c: (a.exp() + b.exp() + c.exp()).log() - b,
        [0.2, -1.0, 1.5],
    ),
}


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_expressions_match_torch(name: str) -> None:
    f, xs = EXPRESSIONS[name]
    _assert_matches_torch(f, xs)


def _engine_gradient_and_central_differences(
    f: Callable[..., Value], xs: list[float]
) -> tuple[list, np.ndarray]:
    """The gradient of ``f`` by backward(), and by central differences of its forward pass."""
    values = [Value(x) for x in xs]
    f(*values).backward()
    x = np.array(xs, dtype=np.float64)
    return [v.grad for v in values], numerical_gradient(
        lambda: f(*map(Value, x)).data, x
    )


@pytest.mark.parametrize("name", list(EXPRESSIONS))
def test_expressions_match_central_differences(name: str) -> None:
    grads, numeric = _engine_gradient_and_central_differences(*EXPRESSIONS[name])
    assert relative_error(grads, numeric) < 1e-7


def test_shared_sub_expression_adds_the_gradients_of_both_paths() -> None:
    x = Value(3.0)
    d = x - 1.0
    loss = d * d  # d is used twice: d(d^2)/dd = d + d
    loss.backward()
    assert d.grad == 4.0 and x.grad == 4.0
    y = Value(2.0)
    z = y + y  # both parents are the same value
    z.backward()
    assert y.grad == 2.0


@settings(max_examples=60, deadline=None)
@given(
    a=st.floats(-3, 3, allow_nan=False),
    b=st.floats(0.1, 3, allow_nan=False),
    c=st.floats(-3, 3, allow_nan=False),
)
def test_random_inputs_match_torch(a: float, b: float, c: float) -> None:
    def f(a, b, c):
        h = (a * b + c).tanh()
        return (
            h * h.sigmoid()
            + (b.log() - a) ** 2 / (1.0 + b)
            + (c * h).exp() * 0.1
            + (a - c).relu()
        )

    _assert_matches_torch(f, [a, b, c])
    if (
        abs(a - c) > 1e-4
    ):  # away from the kink of relu(a - c), where central differences mislead
        grads, numeric = _engine_gradient_and_central_differences(f, [a, b, c])
        assert relative_error(grads, numeric) < 1e-6


def test_backward_of_the_root_itself_and_of_a_leaf() -> None:
    x = Value(5.0)
    x.backward()
    assert x.grad == 1.0
    y = x * 2.0
    y.backward()
    assert (y.grad, x.grad) == (1.0, 2.0)


def test_backward_twice_gives_the_same_gradients() -> None:
    a, b = Value(1.5), Value(-0.5)
    out = (a * b).exp() + a * a
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == first


def test_relu_and_sqrt_at_zero_follow_torch() -> None:
    _assert_matches_torch(lambda a: a.relu(), [0.0])  # the kink: 0, as torch
    x = Value(0.0)
    root = x**0.5
    root.backward()
    assert x.grad == math.inf
    t = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    (t**0.5).backward()
    assert t.grad.item() == math.inf
    x0 = Value(0.0)
    (x0**0).backward()
    assert x0.grad == 0.0


def test_sigmoid_is_safe_for_large_inputs() -> None:
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    _assert_matches_torch(lambda a: a.sigmoid(), [-30.0])


def test_a_long_chain_does_not_hit_the_recursion_limit() -> None:
    x = Value(1.0)
    total = sum((x * float(i) for i in range(5000)), Value(0.0))
    total.backward()
    assert x.grad == sum(range(5000))


# --- the graph ------------------------------------------------------------------------------


def test_topological_order_puts_parents_first() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert order[-1] is e and len(order) == 5 and len(set(order)) == 5
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        assert all(position[p] < position[node] for p in node.parents)


# --- a multilayer perceptron of Values ----------------------------------------------------------


def _torch_mlp_loss(weights, biases, X, Y, activation, output_activation):
    """The quadratic loss of the same network in torch, and the parameter tensors."""
    params = [
        torch.tensor(p, dtype=torch.float64, requires_grad=True)
        for p in [*weights, *biases]
    ]
    ws, bs = params[: len(weights)], params[len(weights) :]
    a = torch.from_numpy(X)
    for l, (w, b) in enumerate(zip(ws, bs)):
        name = output_activation if l == len(ws) - 1 else activation
        z = a @ w + b
        a = z if name == "identity" else getattr(torch, name)(z)
    loss = 0.5 * ((a - torch.from_numpy(Y)) ** 2).sum() / len(X)
    loss.backward()
    return loss.item(), [p.grad.numpy() for p in ws], [p.grad.numpy() for p in bs]


@pytest.mark.parametrize(
    ("sizes", "activation", "output_activation"),
    [
        ((3, 4, 2), "tanh", "identity"),
        ((2, 5, 3, 1), "sigmoid", "sigmoid"),
        ((4, 6, 2), "relu", "tanh"),
    ],
)
def test_mlp_of_values_matches_torch_and_the_network(
    sizes, activation, output_activation
) -> None:
    net = Network(
        sizes, activation, output_activation=output_activation, loss="quadratic", seed=3
    )
    rng = np.random.default_rng(4)
    X = rng.standard_normal((5, sizes[0]))
    Y = rng.standard_normal((5, sizes[-1]))
    mlp = MLP(net.weights, net.biases, activation, output_activation)
    assert mlp.sizes == net.sizes
    assert len(mlp.parameters()) == net.num_parameters
    squared = [(a - t) ** 2 for x, y in zip(X, Y) for a, t in zip(mlp(x), y)]
    loss = sum(squared, Value(0.0)) * (0.5 / len(X))
    loss.backward()

    expected_loss, expected_w, expected_b = _torch_mlp_loss(
        net.weights, net.biases, X, Y, activation, output_activation
    )
    assert abs(loss.data - expected_loss) < TOL
    assert abs(loss.data - net.loss(X, Y)) < 1e-12
    nabla_w, nabla_b = net.backprop(X, Y)
    for l in range(len(net.weights)):
        grads_w = np.array([[v.grad for v in row] for row in mlp.weights[l]])
        grads_b = np.array([v.grad for v in mlp.biases[l]])
        assert np.max(np.abs(grads_w - expected_w[l])) < TOL
        assert np.max(np.abs(grads_b - expected_b[l])) < TOL
        assert np.max(np.abs(grads_w - nabla_w[l])) < 1e-12
        assert np.max(np.abs(grads_b - nabla_b[l])) < 1e-12

    # Central differences of the same loss as a function of the first layer's weights.
    w0 = np.array(net.weights[0], dtype=np.float64)

    def loss_of_w0() -> float:
        other = MLP([w0, *net.weights[1:]], net.biases, activation, output_activation)
        return (
            sum(
                ((a - t) ** 2 for x, y in zip(X, Y) for a, t in zip(other(x), y)),
                Value(0.0),
            ).data
            * 0.5
            / len(X)
        )

    grads_w0 = [[v.grad for v in row] for row in mlp.weights[0]]
    assert relative_error(grads_w0, numerical_gradient(loss_of_w0, w0)) < 1e-7


def test_mlp_outputs_equal_the_network_forward_pass() -> None:
    net = Network([3, 4, 2], "tanh", output_activation="sigmoid", seed=0)
    x = np.array([0.5, -1.0, 2.0])
    mlp = MLP(net.weights, net.biases, "tanh", "sigmoid")
    np.testing.assert_allclose(
        [v.data for v in mlp(x)], net.forward(x[None])[0], rtol=1e-14
    )


def test_mlp_rejects_bad_input() -> None:
    with pytest.raises(
        ValueError,
        match="activation must be one of 'tanh', 'sigmoid', 'relu', 'identity', got 'softmax'",
    ):
        MLP([np.ones((2, 1))], [np.zeros(1)], "softmax")
    with pytest.raises(ValueError, match="output_activation must be one of"):
        MLP([np.ones((2, 1))], [np.zeros(1)], "tanh", "softmax")
    with pytest.raises(ValueError, match="one entry per layer"):
        MLP([np.ones((2, 1))], [])
    with pytest.raises(
        ValueError, match=r"layer 1: expected weights of shape \(3, n_out\)"
    ):
        MLP([np.ones((2, 3)), np.ones((2, 1))], [np.zeros(3), np.zeros(1)])
    with pytest.raises(ValueError, match="x must hold 2 inputs, got 3"):
        MLP([np.ones((2, 1))], [np.zeros(1)])([1.0, 2.0, 3.0])


# --- errors ---------------------------------------------------------------------------------------


def test_value_needs_a_real_number() -> None:
    with pytest.raises(TypeError, match="data must be a real number"):
        Value("2")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="data must be a real number"):
        Value(True)
    with pytest.raises(ValueError, match="data must be a finite number, got nan"):
        Value(float("nan"))
    with pytest.raises(ValueError, match="data must be a finite number, got inf"):
        Value(float("inf"))
    with pytest.raises(ValueError, match="data must be a finite number, got -inf"):
        Value(np.float64(-np.inf))
    assert Value(np.float32(1.5)).data == 1.5 and isinstance(
        Value(np.int64(2)).data, float
    )


def test_an_operation_that_overflows_raises() -> None:
    big = Value(1e308)
    with pytest.raises(
        OverflowError, match=r"the result of \* is too large for a float, got inf"
    ):
        big * 10
    with pytest.raises(OverflowError, match=r"the result of \+ is too large"):
        big + big


@pytest.mark.parametrize("label", [None, 3, b"x"])
def test_a_label_must_be_a_string(label) -> None:
    with pytest.raises(
        TypeError, match=f"label must be a string, got {type(label).__name__}"
    ):
        Value(1.0, label)
    assert Value(1.0, "x").label == "x" and Value(1.0).label == ""


@pytest.mark.parametrize("argument", ["weights", "biases"])
@pytest.mark.parametrize("bad", [None, 3, "ab"])
def test_mlp_needs_one_array_per_layer(argument: str, bad) -> None:
    kwargs = {"weights": [np.ones((2, 1))], "biases": [np.zeros(1)], argument: bad}
    with pytest.raises(
        TypeError, match=f"{argument} must be a sequence with one array per layer, got"
    ):
        MLP(**kwargs)


def test_operators_with_other_types_raise() -> None:
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(1.0) + "a"  # type: ignore[operator]
    with pytest.raises(TypeError, match="unsupported operand"):
        "a" - Value(2.0)  # type: ignore[operator]
    with pytest.raises(TypeError, match="unsupported operand"):
        Value(2.0) / None  # type: ignore[operator]


def test_exponent_must_be_a_number() -> None:
    with pytest.raises(
        TypeError, match=r"the exponent of \*\* must be a number, not a Value"
    ):
        Value(2.0) ** Value(3.0)  # type: ignore[operator]


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda: Value(0.0).log(), ValueError, "log needs a positive number, got 0"),
        (lambda: Value(-2.0).log(), ValueError, "log needs a positive number, got -2"),
        (
            lambda: Value(-8.0) ** (1 / 3),
            ValueError,
            "cannot be raised to the non-integer power",
        ),
        (
            lambda: Value(0.0) ** -1,
            ZeroDivisionError,
            "0 cannot be raised to the negative power -1",
        ),
        (
            lambda: Value(1.0) / Value(0.0),
            ZeroDivisionError,
            "division by a Value equal to 0",
        ),
        (lambda: 1.0 / Value(0.0), ZeroDivisionError, "division by a Value equal to 0"),
        (
            lambda: Value(1000.0).exp(),
            OverflowError,
            "exp.1000. is too large for a float",
        ),
    ],
)
def test_undefined_operations_raise_clear_errors(make, error, match: str) -> None:
    with pytest.raises(error, match=match):
        make()


def test_topological_order_needs_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        topological_order(1.0)  # type: ignore[arg-type]


def test_repr() -> None:
    assert repr(Value(2.0, "x")) == "Value(data=2, grad=0, label='x')"
    assert repr(Value(0.5) * 3) == "Value(data=1.5, grad=0)"
