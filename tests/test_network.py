"""nnbook.network: the forward pass against torch.nn.Sequential, back-propagation
against torch.autograd and central differences, SGD, shapes and errors."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.activations import SOFTMAX, get_activation, leaky_relu_activation
from nnbook.gradcheck import gradient_check, numerical_gradient
from nnbook.history import History
from nnbook.network import ForwardPass, Gradients, Network, collapse_linear
from nnbook.optim import DivergenceWarning

#: The torch module of each activation.
TORCH_MODULES = {
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "relu": nn.ReLU,
    "leaky_relu": lambda: nn.LeakyReLU(0.01),
    "softplus": lambda: nn.Softplus(threshold=1000.0),  # the exact log(1 + e^z)
    "gelu": nn.GELU,
    "identity": nn.Identity,
}

SIZES = (4, 7, 5, 3)


def _torch_copy(net: Network, dtype: torch.dtype) -> nn.Sequential:
    """Build the same network with torch.nn layers, independently of nnbook."""
    layers: list[nn.Module] = []
    for w, b, f in zip(net.weights, net.biases, net.layer_activations):
        linear = nn.Linear(w.shape[0], w.shape[1], dtype=dtype)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(w.T.copy()))  # torch stores (out, in)
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear, TORCH_MODULES[f.name]()]
    return nn.Sequential(*layers)


def _batch(n: int = 64, d: int = SIZES[0], seed: int = 1) -> np.ndarray:
    return 2.0 * np.random.default_rng(seed).standard_normal((n, d))


# --- construction -------------------------------------------------------------------------


def test_shapes_follow_sizes() -> None:
    net = Network(SIZES, seed=0)
    assert net.sizes == SIZES and net.num_layers == 4
    assert [w.shape for w in net.weights] == [(4, 7), (7, 5), (5, 3)]
    assert [b.shape for b in net.biases] == [(7,), (5,), (3,)]
    assert net.num_parameters == 4 * 7 + 7 + 7 * 5 + 5 + 5 * 3 + 3
    assert net.dtype == np.float64
    assert net.activation is get_activation("sigmoid") is net.output_activation


def test_same_seed_same_network() -> None:
    a, b, c = Network(SIZES, seed=3), Network(SIZES, seed=3), Network(SIZES, seed=4)
    for wa, wb, wc in zip(a.weights, b.weights, c.weights):
        np.testing.assert_array_equal(wa, wb)
        assert not np.array_equal(wa, wc)


def test_seed_may_be_a_generator() -> None:
    rng = np.random.default_rng(5)
    first, second = Network(SIZES, seed=rng), Network(SIZES, seed=rng)
    assert not np.array_equal(first.weights[0], second.weights[0])
    np.testing.assert_array_equal(
        first.weights[0], Network(SIZES, seed=np.random.default_rng(5)).weights[0]
    )


@pytest.mark.parametrize(
    ("init", "expected_std"), [("scaled", 1 / np.sqrt(400)), ("standard", 1.0)]
)
def test_initial_weight_scale(init: str, expected_std: float) -> None:
    net = Network([400, 300, 1], seed=0, init=init)
    assert abs(net.weights[0].std() / expected_std - 1) < 0.01
    assert abs(net.weights[0].mean()) < 0.02 * expected_std  # about 7 standard errors
    assert abs(net.biases[0].std() - 1) < 0.15


def test_float32_network() -> None:
    net = Network(SIZES, seed=0, dtype=np.float32)
    assert all(w.dtype == np.float32 for w in net.weights + net.biases)
    assert net.forward(_batch()).dtype == np.float32


def test_repr() -> None:
    assert repr(Network([2, 3, 1], "relu", output_activation="sigmoid")) == (
        "Network(sizes=(2, 3, 1), activation='relu', output_activation='sigmoid', loss='cross_entropy', dtype=float64)"
    )
    assert repr(Network([2, 1], loss="quadratic")) == (
        "Network(sizes=(2, 1), activation='sigmoid', loss='quadratic', dtype=float64)"
    )


def test_layer_activations() -> None:
    net = Network(SIZES, "tanh", output_activation="identity")
    assert [f.name for f in net.layer_activations] == ["tanh", "tanh", "identity"]
    # Fixed when the network is built: its loss was checked against them, and
    # training keeps their kernels.
    with pytest.raises(AttributeError):
        net.activation = get_activation("relu")  # type: ignore[misc]
    with pytest.raises(AttributeError):
        net.output_activation = get_activation("sigmoid")  # type: ignore[misc]


# --- the forward pass against PyTorch -----------------------------------------------------------


@pytest.mark.parametrize("activation", list(TORCH_MODULES))
def test_forward_matches_torch_in_float32(activation: str) -> None:
    net = Network(SIZES, activation, seed=2, dtype=np.float32)
    X = _batch().astype(np.float32)
    expected = _torch_copy(net, torch.float32)(torch.from_numpy(X)).detach().numpy()
    output = net.forward(X)
    assert output.dtype == np.float32 and output.shape == (64, 3)
    assert np.max(np.abs(output - expected)) < 1e-6


@pytest.mark.parametrize("activation", list(TORCH_MODULES))
def test_forward_matches_torch_in_float64(activation: str) -> None:
    net = Network(SIZES, activation, seed=2)
    X = _batch()
    expected = _torch_copy(net, torch.float64)(torch.from_numpy(X)).detach().numpy()
    assert np.max(np.abs(net.forward(X) - expected)) < 1e-12


@pytest.mark.parametrize(
    ("hidden", "output"),
    [("relu", "identity"), ("tanh", "sigmoid"), ("gelu", "softplus")],
)
def test_separate_output_activation_matches_torch(hidden: str, output: str) -> None:
    net = Network(SIZES, hidden, output_activation=output, seed=6, dtype=np.float32)
    X = _batch(seed=7).astype(np.float32)
    expected = _torch_copy(net, torch.float32)(torch.from_numpy(X)).detach().numpy()
    assert np.max(np.abs(net(X) - expected)) < 1e-6


def test_from_parameters_copies_a_torch_model() -> None:
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 2), nn.Tanh())
    linears = [model[0], model[2]]
    net = Network.from_parameters(
        [layer.weight.T for layer in linears], [layer.bias for layer in linears], "tanh"
    )
    assert net.sizes == (4, 6, 2) and net.dtype == np.float32
    X = _batch(10).astype(np.float32)
    expected = model(torch.from_numpy(X)).detach().numpy()
    assert np.max(np.abs(net.forward(X) - expected)) < 1e-6


def test_leaky_relu_with_its_own_slope() -> None:
    net = Network(SIZES, leaky_relu_activation(0.2), seed=0)
    model = _torch_copy(Network(SIZES, "identity", seed=0), torch.float64)
    for i in (1, 3):
        model[i] = nn.LeakyReLU(0.2)
    model[5] = nn.LeakyReLU(0.2)
    X = _batch()
    assert (
        np.max(np.abs(net.forward(X) - model(torch.from_numpy(X)).detach().numpy()))
        < 1e-12
    )


# --- forward_layers -------------------------------------------------------------------------------


def test_forward_layers_keeps_every_layer() -> None:
    net = Network(SIZES, "tanh", output_activation="sigmoid", seed=0)
    X = _batch(5)
    result = net.forward_layers(X)
    assert isinstance(result, ForwardPass)
    zs, activations = result
    assert len(zs) == 3 and len(activations) == 4
    np.testing.assert_array_equal(activations[0], X)
    assert [a.shape for a in activations] == [(5, 4), (5, 7), (5, 5), (5, 3)]
    for l, (w, b, f) in enumerate(zip(net.weights, net.biases, net.layer_activations)):
        np.testing.assert_allclose(zs[l], activations[l] @ w + b, rtol=1e-15)
        np.testing.assert_array_equal(activations[l + 1], f(zs[l]))
    np.testing.assert_array_equal(activations[-1], net.forward(X))


def test_examples_are_independent_rows() -> None:
    net = Network(SIZES, seed=0)
    X = _batch(8)
    whole = net.forward(X)
    for i in range(8):
        np.testing.assert_allclose(net.forward(X[i : i + 1])[0], whole[i], rtol=1e-14)


def test_torch_tensor_input_is_accepted() -> None:
    net = Network(SIZES, seed=0)
    X = _batch(3)
    np.testing.assert_array_equal(net.forward(torch.from_numpy(X)), net.forward(X))


def test_input_is_converted_to_the_network_dtype() -> None:
    net = Network(SIZES, seed=0, dtype=np.float32)
    assert net.forward(np.ones((2, 4), dtype=np.int64)).dtype == np.float32


# --- from_parameters ------------------------------------------------------------------------------


def test_from_parameters_copies_its_arrays() -> None:
    w = [np.ones((2, 3)), np.ones((3, 1))]
    b = [np.zeros(3), np.zeros(1)]
    net = Network.from_parameters(w, b, "identity")
    net.weights[0][0, 0] = 5.0
    assert w[0][0, 0] == 1.0
    assert net.sizes == (2, 3, 1)


def test_from_parameters_dtype() -> None:
    w32 = [np.ones((2, 3), np.float32)]
    b32 = [np.zeros(3, np.float32)]
    assert Network.from_parameters(w32, b32).dtype == np.float32
    assert Network.from_parameters(w32, [np.zeros(3)]).dtype == np.float64
    assert Network.from_parameters([[[1, 2]]], [[0, 0]]).dtype == np.float64
    assert Network.from_parameters(w32, b32, dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize(
    ("weights", "biases", "error", "match"),
    [
        ([], [], ValueError, "one entry per layer \\(at least one\\)"),
        ([np.ones((2, 3))], [], ValueError, "1 weight matrices and 0 bias vectors"),
        (
            [np.ones(3)],
            [np.zeros(3)],
            ValueError,
            r"weights\[0\] must have 2 dimension\(s\), got shape \(3,\)",
        ),
        (
            [np.ones((2, 4)), np.ones((3, 1))],
            [np.zeros(4), np.zeros(1)],
            ValueError,
            r"weights\[1\] must have 4 rows to follow weights\[0\] of shape \(2, 4\), got shape \(3, 1\)",
        ),
        (
            [np.ones((2, 3))],
            [np.zeros(2)],
            ValueError,
            r"biases\[0\] must have shape \(3,\)",
        ),
        ([np.ones((2, 3))], [np.zeros((1, 3))], ValueError, r"got shape \(1, 3\)"),
        ([np.full((2, 3), np.nan)], [np.zeros(3)], ValueError, "must not contain NaN"),
        (np.ones((2, 3)), [np.zeros(3)], TypeError, "weights must be a list"),
        ([np.ones((2, 3))], np.zeros(3), TypeError, "biases must be a list"),
        (
            [np.array([["a"]])],
            [np.zeros(1)],
            TypeError,
            r"weights\[0\] must hold real numbers",
        ),
    ],
)
def test_from_parameters_rejects_bad_parameters(weights, biases, error, match) -> None:
    with pytest.raises(error, match=match):
        Network.from_parameters(weights, biases)


def test_torch_weight_without_transpose_is_explained() -> None:
    layers = [nn.Linear(3, 5), nn.Linear(5, 2)]
    with pytest.raises(
        ValueError, match=r"is weights\[0\] transposed\? .* pass weight\.T"
    ):
        Network.from_parameters(
            [layer.weight for layer in layers], [layer.bias for layer in layers]
        )
    with pytest.raises(ValueError, match=r"must have 5 rows .* pass weight\.T"):
        Network.from_parameters(
            [layer.weight.T for layer in layers[:1]] + [layers[1].weight],
            [layers[0].bias, torch.zeros(5)],
        )


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (
            np.zeros(4),
            r"X must have shape \(n, 4\): one example per row.*pass X.reshape\(1, -1\)",
        ),
        (
            np.zeros((5, 3)),
            r"X must have shape \(n, 4\): one example per row, 4 input\(s\) each, got shape \(5, 3\)",
        ),
        (np.zeros((2, 2, 4)), r"got shape \(2, 2, 4\)"),
        (np.full((2, 4), np.inf), "X must not contain NaN or infinite values"),
    ],
)
def test_bad_input_shapes(X, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Network(SIZES).forward(X)
    with pytest.raises(ValueError, match=match):
        Network(SIZES).forward_layers(X)


def test_non_numeric_input() -> None:
    with pytest.raises(TypeError, match="X must hold real numbers"):
        Network(SIZES).forward(np.array([["a", "b", "c", "d"]]))


@pytest.mark.parametrize(
    ("sizes", "error", "match"),
    [
        ([3], ValueError, r"sizes must list at least 2 layer sizes, got \[3\]"),
        ([3, 0, 1], ValueError, "every layer size must be a positive integer"),
        ([3, 2.5, 1], ValueError, "every layer size must be a positive integer"),
        ("3,1", TypeError, "sizes must be a sequence of layer sizes"),
        (3, TypeError, "sizes must be a sequence of layer sizes"),
    ],
)
def test_bad_sizes(sizes, error, match: str) -> None:
    with pytest.raises(error, match=match):
        Network(sizes)


def test_bad_options() -> None:
    with pytest.raises(
        ValueError,
        match="init must be one of .standard., .scaled., .xavier., .he., got .lecun.",
    ):
        Network([2, 1], init="lecun")
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        Network([2, 1], dtype=np.int64)
    with pytest.raises(
        TypeError, match="seed must be an int or a numpy.random.Generator"
    ):
        Network([2, 1], seed=0.5)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown activation 'sigmoyd'"):
        Network([2, 1], "sigmoyd")


# --- a network without activation functions is one matrix ------------------------------------------


def test_identity_network_collapses_to_one_affine_map() -> None:
    net = Network([3, 8, 8, 8, 2], "identity", seed=0)
    W, b = collapse_linear(net)
    assert W.shape == (3, 2) and b.shape == (2,)
    X = _batch(50, 3)
    assert np.max(np.abs(net.forward(X) - (X @ W + b))) < 1e-12


def test_a_narrow_layer_limits_the_rank() -> None:
    net = Network([4, 1, 4], "identity", seed=0)
    W, _ = collapse_linear(net)
    assert np.linalg.matrix_rank(W) == 1


def test_collapse_refuses_non_linear_networks() -> None:
    with pytest.raises(ValueError, match="layer 2 uses 'sigmoid'"):
        collapse_linear(Network([2, 3, 1], "identity", output_activation="sigmoid"))
    with pytest.raises(TypeError, match="network must be a Network"):
        collapse_linear("net")  # type: ignore[arg-type]


# --- back-propagation against torch.autograd ---------------------------------------------------

#: (sizes, hidden activation, output activation, loss): several depths, widths,
#: activations and every loss with the output layers it supports.
BACKPROP_CASES = [
    ((4, 3), "sigmoid", "softmax", "cross_entropy"),
    ((4, 7, 3), "sigmoid", "sigmoid", "cross_entropy"),
    ((4, 7, 5, 3), "tanh", "softmax", "cross_entropy"),
    ((3, 16, 16, 16, 2), "relu", "sigmoid", "cross_entropy"),
    ((5, 8, 1), "leaky_relu", "sigmoid", "cross_entropy"),
    ((4, 7, 5, 3), "sigmoid", "sigmoid", "quadratic"),
    ((4, 9, 3), "relu", "identity", "quadratic"),
    ((2, 12, 12, 12, 12, 4), "gelu", "tanh", "quadratic"),
    ((4, 6, 3), "softplus", "softmax", "quadratic"),
    ((6, 30, 10), "identity", "identity", "quadratic"),
]


def _torch_loss_and_gradients(
    net: Network, X: np.ndarray, Y: np.ndarray
) -> tuple[float, list, list]:
    """The loss of the same weights written with torch, and torch.autograd's gradients.

    The losses are written from their definitions with torch's own functions,
    independently of nnbook: the mean over the examples of the cross-entropy
    (categorical for a softmax, binary and summed over the outputs for
    sigmoids) or of 1/2 ||a - y||^2.
    """
    dtype = torch.float64 if net.dtype == np.float64 else torch.float32
    ws = [torch.tensor(w, dtype=dtype, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, dtype=dtype, requires_grad=True) for b in net.biases]
    a = torch.from_numpy(X.astype(net.dtype))
    Y_t = torch.from_numpy(Y.astype(net.dtype))
    n = len(X)
    for l, (w, b) in enumerate(zip(ws, bs)):
        z = a @ w + b
        if l < len(ws) - 1:
            a = TORCH_MODULES[net.activation.name]()(z)
    out = net.output_activation.name
    if net.loss_name == "cross_entropy" and out == "softmax":
        loss = torch.nn.functional.cross_entropy(z, Y_t)
    elif net.loss_name == "cross_entropy":
        loss = (
            torch.nn.functional.binary_cross_entropy_with_logits(
                z, Y_t, reduction="sum"
            )
            / n
        )
    else:
        a = torch.softmax(z, dim=1) if out == "softmax" else TORCH_MODULES[out]()(z)
        loss = 0.5 * ((a - Y_t) ** 2).sum() / n
    loss.backward()
    return loss.item(), [w.grad.numpy() for w in ws], [b.grad.numpy() for b in bs]


def _problem(
    net: Network, n: int = 32, seed: int = 1
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A batch, integer labels and their one-hot targets (0/1 for a single output)."""
    rng = np.random.default_rng(seed)
    X = 1.5 * rng.standard_normal((n, net.sizes[0]))
    k = net.sizes[-1]
    labels = rng.integers(0, max(k, 2), n)
    Y = labels[:, None].astype(float) if k == 1 else np.eye(k)[labels]
    return X, labels, Y


@pytest.mark.parametrize(("sizes", "activation", "output", "loss"), BACKPROP_CASES)
def test_backprop_matches_torch_autograd_in_float64(
    sizes, activation, output, loss
) -> None:
    net = Network(sizes, activation, output_activation=output, loss=loss, seed=5)
    X, labels, Y = _problem(net)
    if loss == "quadratic" and output in ("identity", "tanh"):
        Y = np.random.default_rng(2).standard_normal(Y.shape)  # real-valued targets
        labels = Y
    expected_loss, expected_w, expected_b = _torch_loss_and_gradients(net, X, Y)
    nabla_w, nabla_b = net.backprop(X, labels)
    assert abs(net.loss(X, labels) - expected_loss) < 1e-12 * max(1.0, expected_loss)
    assert [g.shape for g in nabla_w] == [w.shape for w in net.weights]
    assert [g.shape for g in nabla_b] == [b.shape for b in net.biases]
    for ours, theirs in zip(nabla_w + nabla_b, expected_w + expected_b):
        assert ours.dtype == np.float64
        assert np.max(np.abs(ours - theirs)) < 1e-12


@pytest.mark.parametrize(("sizes", "activation", "output", "loss"), BACKPROP_CASES[:6])
def test_backprop_matches_torch_autograd_in_float32(
    sizes, activation, output, loss
) -> None:
    net = Network(
        sizes, activation, output_activation=output, loss=loss, seed=5, dtype=np.float32
    )
    X, labels, Y = _problem(net)
    _, expected_w, expected_b = _torch_loss_and_gradients(net, X, Y)
    nabla_w, nabla_b = net.backprop(X.astype(np.float32), labels)
    for ours, theirs in zip(nabla_w + nabla_b, expected_w + expected_b):
        assert ours.dtype == np.float32
        assert np.max(np.abs(ours - theirs)) < 1e-6


def test_one_hot_targets_and_labels_give_the_same_gradients() -> None:
    net = Network([4, 5, 3], output_activation="softmax", seed=0)
    X, labels, Y = _problem(net)
    by_labels, by_targets = net.backprop(X, labels), net.backprop(X, Y)
    np.testing.assert_array_equal(by_labels.flat(), by_targets.flat())


def test_the_loss_agrees_with_nnbook_losses() -> None:
    from nnbook import losses

    for output, loss in (
        ("softmax", "cross_entropy"),
        ("sigmoid", "cross_entropy"),
        ("sigmoid", "quadratic"),
    ):
        net = Network([4, 6, 3], "tanh", output_activation=output, loss=loss, seed=1)
        X, labels, Y = _problem(net)
        z = net.forward_layers(X).zs[-1]
        expected = {
            ("softmax", "cross_entropy"): losses.cross_entropy(z, labels),
            ("sigmoid", "cross_entropy"): losses.binary_cross_entropy_with_logits(
                z, Y, "sum"
            )
            / len(X),
            ("sigmoid", "quadratic"): 3
            / 2
            * losses.mse(net.forward(X), Y),  # mean over 3 outputs
        }[output, loss]
        assert abs(net.loss(X, labels) - expected) < 1e-12


def test_gradients_flatten_in_parameter_order() -> None:
    net = Network([2, 3, 1], seed=0)
    X, labels, _ = _problem(net, 4)
    nabla_w, nabla_b = grads = net.backprop(X, labels)
    flat = grads.flat()
    assert flat.shape == (net.num_parameters,)
    np.testing.assert_array_equal(flat[:6], nabla_w[0].ravel())
    np.testing.assert_array_equal(flat[6:9], nabla_b[0])
    np.testing.assert_array_equal(flat[9:12], nabla_w[1].ravel())


# --- the gradient check -------------------------------------------------------------------------


@pytest.mark.parametrize(("sizes", "activation", "output", "loss"), BACKPROP_CASES)
def test_gradient_check_passes(sizes, activation, output, loss) -> None:
    net = Network(sizes, activation, output_activation=output, loss=loss, seed=7)
    X, labels, _ = _problem(net, 8)
    before = [w.copy() for w in net.weights + net.biases]
    assert gradient_check(net, X, labels) < 1e-7
    for p, q in zip(before, net.weights + net.biases):
        np.testing.assert_array_equal(p, q)  # the parameters are put back exactly


def test_gradient_check_of_a_float32_network_runs_in_float64() -> None:
    net = Network(
        [3, 5, 2], "tanh", output_activation="softmax", seed=0, dtype=np.float32
    )
    X, labels, _ = _problem(net, 6)
    assert gradient_check(net, X, labels) < 1e-7
    assert net.dtype == np.float32


class _ForgetsTheSlope(Network):
    """Back-propagation with a classic mistake: BP2 without the factor f'(z)."""

    def backprop(self, X, y):
        activations = self.forward_layers(X).activations
        delta = (activations[-1] - self._targets(y, len(X))) / len(X)
        nabla_w, nabla_b = [None] * len(self.weights), [None] * len(self.weights)
        for l in range(len(self.weights) - 1, -1, -1):
            nabla_b[l] = delta.sum(axis=0)
            nabla_w[l] = activations[l].T @ delta
            delta = delta @ self.weights[l].T
        return Gradients(nabla_w, nabla_b)


def test_gradient_check_catches_a_wrong_gradient() -> None:
    net = _ForgetsTheSlope([3, 5, 2], output_activation="softmax", seed=0)
    X, labels, _ = _problem(net, 6)
    assert gradient_check(net, X, labels) > 0.1


def test_numerical_gradient_costs_two_forward_passes_per_parameter() -> None:
    net = Network([3, 4, 2], seed=0)
    X, labels, _ = _problem(net, 5)
    calls = []

    def loss() -> float:
        calls.append(1)
        return net.loss(X, labels)

    numeric = [
        numerical_gradient(loss, p, eps=1e-6)
        for w, b in zip(net.weights, net.biases)
        for p in (w, b)
    ]
    assert len(calls) == 2 * net.num_parameters
    flat = np.concatenate([g.ravel() for g in numeric])
    assert np.max(np.abs(flat - net.backprop(X, labels).flat())) < 1e-8


def test_gradient_check_errors() -> None:
    net = Network([2, 1], seed=0)
    with pytest.raises(ValueError, match="eps must be a positive finite number, got 0"):
        numerical_gradient(
            lambda: net.loss(np.zeros((1, 2)), [0]), net.weights[0], eps=0
        )
    with pytest.raises(TypeError, match="x must be a float numpy array"):
        numerical_gradient(lambda: 0.0, [1.0, 2.0])
    with pytest.raises(TypeError, match="f must be a function, got str"):
        numerical_gradient("f", net.weights[0])


# --- the loss and the targets -------------------------------------------------------------------


def test_default_loss_follows_the_output_layer() -> None:
    assert Network([2, 3, 2]).loss_name == "cross_entropy"
    assert Network([2, 3, 2], output_activation="softmax").loss_name == "cross_entropy"
    assert Network([2, 3, 2], "relu").loss_name == "quadratic"
    assert Network([2, 3, 2], output_activation="identity").loss_name == "quadratic"
    net = Network.from_parameters([np.ones((2, 1))], [np.zeros(1)], loss="quadratic")
    assert net.loss_name == "quadratic"
    assert (
        repr(net)
        == "Network(sizes=(2, 1), activation='sigmoid', loss='quadratic', dtype=float64)"
    )


def test_softmax_output() -> None:
    net = Network([3, 4, 5], "tanh", output_activation="softmax", seed=0)
    out = net.forward(_batch(6, 3))
    np.testing.assert_allclose(out.sum(axis=1), 1.0, rtol=1e-14)
    assert (out > 0).all()
    big = Network.from_parameters(
        [np.full((1, 2), 1e4)], [np.array([0.0, 1.0])], output_activation="softmax"
    )
    assert np.isfinite(big.forward(np.array([[1e3]]))).all()  # no overflow
    assert SOFTMAX.name == "softmax" and net.output_activation is SOFTMAX
    with pytest.raises(TypeError, match="the softmax has no element-wise derivative"):
        SOFTMAX.derivative(np.zeros(3))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"activation": "softmax"},
            "the softmax can only be the output layer's activation: pass output_activation='softmax'",
        ),
        (
            {"loss": "mse"},
            "loss must be one of 'cross_entropy', 'quadratic', got 'mse'",
        ),
        (
            {"output_activation": "relu", "loss": "cross_entropy"},
            r"needs outputs in \(0, 1\).*got 'relu'",
        ),
    ],
)
def test_bad_loss_or_softmax(kwargs, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Network([2, 3, 2], **kwargs)


@pytest.mark.parametrize(
    ("sizes", "output", "y", "error", "match"),
    [
        ((2, 3), "softmax", [0, 1], ValueError, "X has 4 rows, y has 2 labels"),
        (
            (2, 3),
            "softmax",
            [0, 1, 2, 3],
            ValueError,
            r"y must hold class labels in 0..2 .* got the label 3",
        ),
        (
            (2, 1),
            "sigmoid",
            [0, 1, 2, 1],
            ValueError,
            r"y must hold class labels in 0..1 .* got the label 2",
        ),
        ((2, 3), "softmax", [-1, 0, 1, 2], ValueError, "got the label -1"),
        (
            (2, 3),
            "softmax",
            [0.0, 1.0, 2.0, 1.0],
            ValueError,
            r"integer class labels of shape \(4,\) or targets of shape \(4, 3\), got float64 values of shape \(4,\)",
        ),
        ((2, 3), "softmax", np.zeros((4, 2)), ValueError, r"targets of shape \(4, 3\)"),
        (
            (2, 3),
            "softmax",
            np.full((4, 3), 0.5),
            ValueError,
            "probability distributions",
        ),
        ((2, 3), "sigmoid", np.full((4, 3), 2.0), ValueError, r"must lie in \[0, 1\]"),
        (
            (2, 3),
            "identity",
            np.full((4, 3), np.nan),
            ValueError,
            "y must not contain NaN",
        ),
        (
            (2, 3),
            "softmax",
            np.array(["a", "b", "c", "d"]),
            TypeError,
            "y must hold real numbers",
        ),
    ],
)
def test_bad_targets(sizes, output, y, error, match: str) -> None:
    net = Network(sizes, output_activation=output, seed=0)
    with pytest.raises(error, match=match):
        net.backprop(np.zeros((4, 2)), y)
    with pytest.raises(error, match=match):
        net.loss(np.zeros((4, 2)), y)


def test_backprop_checks_the_input_shape() -> None:
    net = Network([4, 3, 2], seed=0)
    with pytest.raises(ValueError, match=r"X must have shape \(n, 4\)"):
        net.backprop(np.zeros((5, 3)), np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match=r"pass X.reshape\(1, -1\)"):
        net.sgd_step(np.zeros(4), [1], eta=0.1)


# --- SGD -------------------------------------------------------------------------------------------


def test_sgd_step_is_the_update_rule() -> None:
    net = Network([4, 6, 3], "tanh", output_activation="softmax", seed=0)
    X, labels, _ = _problem(net, 10)
    before_w, before_b = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    nabla_w, nabla_b = net.backprop(X, labels)
    used = net.sgd_step(X, labels, eta=0.3)
    for l in range(2):
        # The step is computed as eta times the gradient and divided back: equal up to
        # rounding, relative to the size of the gradient.
        for used_part, part in (
            (used.nabla_w[l], nabla_w[l]),
            (used.nabla_b[l], nabla_b[l]),
        ):
            np.testing.assert_allclose(
                used_part, part, rtol=0, atol=1e-14 * np.abs(part).max()
            )
        np.testing.assert_allclose(
            net.weights[l], before_w[l] - 0.3 * nabla_w[l], rtol=0, atol=1e-15
        )
        np.testing.assert_allclose(
            net.biases[l], before_b[l] - 0.3 * nabla_b[l], rtol=0, atol=1e-15
        )


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_sgd_step_with_a_weight_penalty(penalty: str) -> None:
    net = Network([4, 6, 3], output_activation="softmax", seed=0)
    X, labels, _ = _problem(net, 10)
    before_w, before_b = [w.copy() for w in net.weights], [b.copy() for b in net.biases]
    nabla_w, nabla_b = net.backprop(X, labels)
    lmbda, n, eta = 5.0, 1000, 0.5
    net.sgd_step(X, labels, eta, lmbda=lmbda, n=n, penalty=penalty)
    for l in range(2):
        shrink = before_w[l] if penalty == "l2" else np.sign(before_w[l])
        expected = before_w[l] - eta * (nabla_w[l] + lmbda / n * shrink)
        np.testing.assert_allclose(net.weights[l], expected, rtol=0, atol=1e-15)
        np.testing.assert_allclose(
            net.biases[l], before_b[l] - eta * nabla_b[l], rtol=0, atol=1e-15
        )  # biases: no penalty


@pytest.mark.parametrize("penalty", ["l2", "l1"])
def test_penalised_loss_and_its_gradient_match_torch(penalty: str) -> None:
    net = Network([3, 5, 2], "tanh", output_activation="softmax", seed=2)
    X, labels, _ = _problem(net, 7)
    lmbda, n = 3.0, 50
    ws = [torch.tensor(w, requires_grad=True) for w in net.weights]
    bs = [torch.tensor(b, requires_grad=True) for b in net.biases]
    z = torch.tanh(torch.from_numpy(X) @ ws[0] + bs[0]) @ ws[1] + bs[1]
    size = sum((w**2).sum() / 2 if penalty == "l2" else w.abs().sum() for w in ws)
    loss = (
        torch.nn.functional.cross_entropy(z, torch.from_numpy(labels))
        + lmbda / n * size
    )
    loss.backward()
    assert (
        abs(net.loss(X, labels, lmbda=lmbda, n=n, penalty=penalty) - loss.item())
        < 1e-12
    )
    used = net.sgd_step(X, labels, 1e-3, lmbda=lmbda, n=n, penalty=penalty)
    for ours, w in zip(used.nabla_w, ws):
        assert np.max(np.abs(ours - w.grad.numpy())) < 1e-12


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"eta": 0.0}, ValueError, r"eta must be a positive finite number, got 0.0"),
        ({"eta": "0.1"}, TypeError, "eta must be a real number, got str"),
        (
            {"eta": 0.1, "lmbda": -1.0},
            ValueError,
            r"lmbda must be a finite number >= 0, got -1.0",
        ),
        (
            {"eta": 0.1, "lmbda": 1.0, "penalty": "l3"},
            ValueError,
            "penalty must be one of 'l1', 'l2', got 'l3'",
        ),
        (
            {"eta": 0.1, "penalty": 2},
            ValueError,
            "penalty must be one of 'l1', 'l2', got 2",
        ),
        (
            {"eta": 0.1, "penalty": (len, len)},
            ValueError,
            r"penalty must be one of 'l1', 'l2', got \(<built-in",
        ),
        ({"eta": 0.1, "n": 0}, ValueError, "n must be an integer >= 1, got 0"),
    ],
)
def test_bad_sgd_arguments(kwargs, error, match: str) -> None:
    net = Network([4, 3, 2], seed=0)
    X, labels, _ = _problem(net, 4)
    with pytest.raises(error, match=match):
        net.sgd_step(X, labels, **kwargs)


def _moons() -> tuple[np.ndarray, np.ndarray]:
    from nnbook.synthetic import two_moons

    return two_moons(200, noise=0.1, seed=0)


def test_training_reduces_the_loss_and_learns_the_moons() -> None:
    X, y = _moons()
    net = Network([2, 16, 1], "tanh", output_activation="sigmoid", seed=0)
    start = net.loss(X, y)
    history = net.train_sgd(X, y, epochs=60, batch_size=10, eta=0.5, seed=0)
    assert (
        isinstance(history, History) and history.epochs == 60 and not history.diverged
    )
    assert history.train_loss[-1] < start / 4
    assert history.train_loss[-1] == pytest.approx(net.loss(X, y), rel=1e-12)
    assert history.train_accuracy[-1] == net.accuracy(X, y) > 0.95
    assert history.val_loss == [] and set(history.as_dict()) == {
        "train_loss",
        "train_accuracy",
        "val_loss",
        "val_accuracy",
        "best_epoch",
        "stopped_early",
        "diverged",
    }


def test_training_is_mini_batch_sgd() -> None:
    """One epoch of train_sgd is one sgd_step per batch of nnbook.optim.minibatch_indices."""
    from nnbook.optim import minibatch_indices

    X, y = _moons()
    net, twin = Network([2, 5, 2], seed=1), Network([2, 5, 2], seed=1)
    net.train_sgd(
        X, y, epochs=1, batch_size=30, eta=0.7, seed=3, lmbda=0.5, monitor=False
    )
    for idx in minibatch_indices(len(X), 30, 3):
        twin.sgd_step(X[idx], y[idx], 0.7, lmbda=0.5, n=len(X))
    for w, v in zip(net.weights + net.biases, twin.weights + twin.biases):
        np.testing.assert_array_equal(w, v)


def test_training_with_validation_data_and_seeds() -> None:
    X, y = _moons()
    runs = []
    for _ in range(2):
        net = Network([2, 8, 2], "relu", output_activation="softmax", seed=4)
        history = net.train_sgd(
            X[:150], y[:150], 3, 15, 0.2, seed=9, validation_data=(X[150:], y[150:])
        )
        runs.append((net, history))
    (a, ha), (b, hb) = runs
    np.testing.assert_array_equal(a.weights[0], b.weights[0])
    assert ha.val_loss == hb.val_loss and len(ha.val_accuracy) == 3
    assert ha.val_loss[-1] == pytest.approx(a.loss(X[150:], y[150:]), rel=1e-12)
    assert ha.val_accuracy[-1] == a.accuracy(X[150:], y[150:])


def test_saturated_sigmoids_train_without_floating_point_warnings() -> None:
    """The sigmoid's exp(-z) overflows for z < -709 (float64), -88 (float32): no warning, no error.

    Every public method must give finite results without a warning, even when
    overflows raise. (Underflows are ignored, NumPy's default.)
    """
    X = np.array([[-3000.0, 0.5], [3000.0, -0.5], [800.0, 200.0], [-90.0, 0.0]])
    y = np.array([0, 1, 1, 0])
    for dtype in (np.float64, np.float32):
        net = Network([2, 3, 2], seed=0, dtype=dtype)
        with (
            np.errstate(over="raise", divide="raise", invalid="raise"),
            warnings.catch_warnings(),
        ):
            warnings.simplefilter("error")
            assert np.all(np.isfinite(net.forward(X)))
            assert np.all(np.isfinite(net.forward_layers(X).activations[-1]))
            assert np.all(np.isfinite(net.backprop(X, y).flat()))
            net.sgd_step(X, y, 0.5)
            net.train_sgd(X, y, epochs=2, batch_size=2, eta=0.5, validation_data=(X, y))
            assert math.isfinite(net.loss(X, y))
            assert net.accuracy(X, y) == np.mean(np.argmax(net.forward(X), axis=1) == y)
            assert gradient_check(net, X[:2], y[:2]) < 1e-6


def test_zero_epochs_change_nothing() -> None:
    X, y = _moons()
    net = Network([2, 3, 1], seed=0)
    before = net.weights[0].copy()
    assert net.train_sgd(X, y, 0, 10, 1.0).epochs == 0
    np.testing.assert_array_equal(net.weights[0], before)


def test_regression_targets_have_no_accuracy() -> None:
    X = np.linspace(-1, 1, 40)[:, None]
    net = Network([1, 8, 1], "tanh", output_activation="identity", seed=0)
    history = net.train_sgd(X, np.sin(3 * X), 5, 8, 0.1)
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(math.isnan(a) for a in history.train_accuracy)


def test_an_exploding_loss_stops_training_while_the_weights_are_finite() -> None:
    """Linear regression with too large a step: the loss grows fourfold per epoch; stopped at 100 times
    the loss before training, in the first epoch that passes it."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((50, 2))
    y = X @ np.array([[1.0], [-2.0]])
    net = Network([2, 1], "identity", seed=0)
    start = net.loss(X, y)
    with pytest.warns(
        DivergenceWarning, match="training diverged in epoch 4: the loss has exploded"
    ):
        history = net.train_sgd(X, y, epochs=20, batch_size=50, eta=2.5)
    assert history.diverged and history.epochs == 4
    assert (
        history.train_loss[-1] > 100 * start >= history.train_loss[-2]
    )  # stopped at the first
    assert all(np.isfinite(w).all() for w in net.weights)


def test_a_learning_rate_that_explodes_at_once_is_caught_in_the_first_epoch() -> None:
    """The issue's case: eta = 1e6 gave a loss around 1e6 from the first epoch on, and diverged=False."""
    from nnbook.synthetic import xor_blobs

    X, y = xor_blobs(100, seed=0)
    net = Network((2, 8, 2), seed=0)
    with pytest.warns(DivergenceWarning, match="epoch 1: the loss has exploded"):
        history = net.train_sgd(X, y, epochs=5, batch_size=10, eta=1e6)
    assert history.diverged and history.epochs == 1


def test_training_without_monitoring_still_stops_on_non_finite_weights() -> None:
    X = np.linspace(-1, 1, 40)[:, None] * 100
    net = Network([1, 8, 8, 1], "identity", seed=0)
    with pytest.warns(DivergenceWarning, match="no longer finite"):
        history = net.train_sgd(X, X, epochs=50, batch_size=10, eta=1.0, monitor=False)
    assert history.diverged and history.train_loss == []


def test_divergence_stops_training_with_a_warning() -> None:
    X = np.linspace(-1, 1, 40)[:, None] * 100
    net = Network([1, 8, 8, 1], "identity", seed=0)
    with pytest.warns(DivergenceWarning, match="training diverged in epoch 1"):
        history = net.train_sgd(X, 100 * X, 5, 8, 10.0)
    assert history.diverged and history.epochs == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((-1, 10, 0.1), {}, ValueError, "epochs must be an integer >= 0, got -1"),
        ((1, 0, 0.1), {}, ValueError, "batch_size must be an integer >= 1, got 0"),
        (
            (1, 201, 0.1),
            {},
            ValueError,
            "batch_size must be an integer <= 200, got 201",
        ),
        (
            (1, 10, -0.1),
            {},
            ValueError,
            r"eta must be a positive finite number, got -0.1",
        ),
        ((1.5, 10, 0.1), {}, TypeError, "epochs must be an integer, got float"),
        (
            (1, 10, 0.1),
            {"validation_data": [1, 2, 3]},
            TypeError,
            r"validation_data must be a pair \(X_val, y_val\)",
        ),
        (
            (1, 10, 0.1),
            {"seed": "x"},
            TypeError,
            "seed must be an int or a numpy.random.Generator",
        ),
    ],
)
def test_bad_training_arguments(args, kwargs, error, match: str) -> None:
    X, y = _moons()
    with pytest.raises(error, match=match):
        Network([2, 3, 2], seed=0).train_sgd(X, y, *args, **kwargs)


# --- predictions ---------------------------------------------------------------------------------


def test_predict_and_accuracy() -> None:
    net = Network.from_parameters(
        [np.eye(3)], [np.zeros(3)], "identity", output_activation="softmax"
    )
    X = np.array([[3.0, 1.0, 0.0], [0.0, 0.0, 2.0], [0.0, 5.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_array_equal(net.predict(X), [0, 2, 1, 0])
    assert net.accuracy(X, [0, 2, 1, 1]) == 0.75
    assert net.accuracy(X, np.eye(3)[[0, 2, 1, 1]]) == 0.75  # one-hot rows work too
    single = Network.from_parameters(
        [[[1.0]]], [[0.0]], "identity", output_activation="sigmoid"
    )
    np.testing.assert_array_equal(
        single.predict(np.array([[-2.0], [0.5], [3.0]])), [0, 1, 1]
    )
    with pytest.raises(ValueError, match="accuracy needs class labels"):
        Network([2, 2], output_activation="identity").accuracy(
            np.zeros((2, 2)), np.full((2, 2), 0.3)
        )
