"""nnbook.network: the forward pass against torch.nn.Sequential, shapes and errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from nnbook.activations import get_activation, leaky_relu_activation
from nnbook.network import ForwardPass, Network, collapse_linear

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
    np.testing.assert_array_equal(first.weights[0], Network(SIZES, seed=np.random.default_rng(5)).weights[0])


@pytest.mark.parametrize(("init", "expected_std"), [("scaled", 1 / np.sqrt(400)), ("standard", 1.0)])
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
        "Network(sizes=(2, 3, 1), activation='relu', output_activation='sigmoid', dtype=float64)"
    )
    assert repr(Network([2, 1])) == "Network(sizes=(2, 1), activation='sigmoid', dtype=float64)"


def test_layer_activations() -> None:
    net = Network(SIZES, "tanh", output_activation="identity")
    assert [f.name for f in net.layer_activations] == ["tanh", "tanh", "identity"]


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


@pytest.mark.parametrize(("hidden", "output"), [("relu", "identity"), ("tanh", "sigmoid"), ("gelu", "softplus")])
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
    assert np.max(np.abs(net.forward(X) - model(torch.from_numpy(X)).detach().numpy())) < 1e-12


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
        ([], [], ValueError, "at least one layer"),
        ([np.ones((2, 3))], [], ValueError, "1 weight matrices and 0 bias vectors"),
        ([np.ones(3)], [np.zeros(3)], ValueError, r"weights\[0\] must be a matrix of shape \(n_in, n_out\)"),
        (
            [np.ones((2, 4)), np.ones((3, 1))],
            [np.zeros(4), np.zeros(1)],
            ValueError,
            r"weights\[1\] must have 4 rows to follow weights\[0\] of shape \(2, 4\), got shape \(3, 1\)",
        ),
        ([np.ones((2, 3))], [np.zeros(2)], ValueError, r"biases\[0\] must have shape \(3,\)"),
        ([np.ones((2, 3))], [np.zeros((1, 3))], ValueError, r"got shape \(1, 3\)"),
        ([np.full((2, 3), np.nan)], [np.zeros(3)], ValueError, "must not contain NaN"),
        (np.ones((2, 3)), [np.zeros(3)], TypeError, "weights must be a list"),
        ([np.ones((2, 3))], np.zeros(3), TypeError, "biases must be a list"),
        ([np.array([["a"]])], [np.zeros(1)], TypeError, r"weights\[0\] must hold real numbers"),
    ],
)
def test_from_parameters_rejects_bad_parameters(weights, biases, error, match) -> None:
    with pytest.raises(error, match=match):
        Network.from_parameters(weights, biases)


def test_torch_weight_without_transpose_is_explained() -> None:
    layers = [nn.Linear(3, 5), nn.Linear(5, 2)]
    with pytest.raises(ValueError, match=r"is weights\[0\] transposed\? .* pass weight\.T"):
        Network.from_parameters([layer.weight for layer in layers], [layer.bias for layer in layers])
    with pytest.raises(ValueError, match=r"must have 5 rows .* pass weight\.T"):
        Network.from_parameters([layer.weight.T for layer in layers[:1]] + [layers[1].weight], [layers[0].bias, torch.zeros(5)])


# --- errors -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("X", "match"),
    [
        (np.zeros(4), r"X must be a batch of shape \(n, 4\).*pass X.reshape\(1, -1\)"),
        (np.zeros((5, 3)), r"X must have shape \(n, 4\): one example per row, 4 input\(s\) each, got shape \(5, 3\)"),
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
        ([3], ValueError, r"at least two layer sizes \(inputs and outputs\), got \[3\]"),
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
    with pytest.raises(ValueError, match="init must be one of 'scaled', 'standard', got 'xavier'"):
        Network([2, 1], init="xavier")
    with pytest.raises(TypeError, match="dtype must be float32 or float64, got int64"):
        Network([2, 1], dtype=np.int64)
    with pytest.raises(TypeError, match="seed must be an int or a numpy.random.Generator"):
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
