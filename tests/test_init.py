"""Tests of nnbook.init and of the ``init=`` of Network, models.mlp and models.small_cnn.

``init.std`` is compared with ``torch.nn.init`` twice: its formula against
torch's own fan counting and gains (to the last bits), and its value against
the spread of a large tensor that torch's initialiser fills. PyTorch's default
``nn.Linear`` initialisation is identified as U(±1/sqrt(fan_in)), and the
builders' ``init="pytorch"`` and ``init="auto"`` are reproduced bit for bit.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn

from nnbook import init, models
from nnbook.network import Network

#: Each scheme as torch.nn.init draws it (on a weight of shape (fan_out, fan_in)).
TORCH_INIT = {
    "standard": lambda w, g: nn.init.normal_(w, 0.0, 1.0, generator=g),
    "scaled": lambda w, g: nn.init.kaiming_normal_(
        w, nonlinearity="linear", generator=g
    ),  # LeCun
    "xavier": lambda w, g: nn.init.xavier_normal_(w, gain=1.0, generator=g),
    "he": lambda w, g: nn.init.kaiming_normal_(
        w, mode="fan_in", nonlinearity="relu", generator=g
    ),
}

#: Each scheme's standard deviation written with torch's gains.
TORCH_STD = {
    "standard": lambda fi, fo: 1.0,
    "scaled": lambda fi, fo: nn.init.calculate_gain("linear") / math.sqrt(fi),
    "xavier": lambda fi, fo: (
        nn.init.calculate_gain("linear") * math.sqrt(2.0 / (fi + fo))
    ),
    "he": lambda fi, fo: nn.init.calculate_gain("relu") / math.sqrt(fi),
}


def test_the_schemes():
    assert init.SCHEMES == ("standard", "scaled", "xavier", "he")


# ---------------------------------------------------------------------------
# init.std against torch.nn.init
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", init.SCHEMES)
def test_a_large_tensor_drawn_by_torch_has_the_standard_deviation_of_std(scheme):
    """The weight of a Linear(800, 1000), shape (1000, 800), filled by torch: sample std within 1%."""
    g = torch.Generator().manual_seed(0)
    w = TORCH_INIT[scheme](torch.empty(1000, 800, dtype=torch.float64), g)
    assert w.std().item() == pytest.approx(init.std(scheme, 800, 1000), rel=0.01)
    assert abs(w.mean().item()) < 0.01 * init.std(scheme, 800, 1000)


@pytest.mark.parametrize("scheme", init.SCHEMES)
@pytest.mark.parametrize(
    "shape",
    [(1000, 800), (10, 784), (3, 5), (16, 1, 5, 5), (32, 16, 3, 3)],
    ids=[
        "linear-800-1000",
        "linear-784-10",
        "linear-5-3",
        "conv-1-16-5x5",
        "conv-16-32-3x3",
    ],
)
def test_std_is_torchs_formula_with_torchs_fans(scheme, shape):
    """With torch's fan-in and fan-out (a convolution's include the kernel area), std is torch's formula."""
    fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(torch.empty(shape))
    assert init.std(scheme, fan_in, fan_out) == pytest.approx(
        TORCH_STD[scheme](fan_in, fan_out), rel=0, abs=1e-15
    )


def test_a_convolutions_fan_in_is_channels_times_kernel_area():
    """Conv2d(16, 32, 3): fan_in = 16 * 3 * 3 = 144, fan_out = 32 * 3 * 3 = 288."""
    assert nn.init._calculate_fan_in_and_fan_out(nn.Conv2d(16, 32, 3).weight) == (
        144,
        288,
    )
    assert init.std("he", 144, 288) == pytest.approx(math.sqrt(2 / 144), rel=1e-15)


@pytest.mark.parametrize("fan_in, fan_out", [(1, 1), (3, 7), (784, 30), (800, 1000)])
def test_the_four_formulas(fan_in, fan_out):
    assert init.std("standard", fan_in, fan_out) == 1.0
    assert init.std("scaled", fan_in, fan_out) == pytest.approx(
        1 / math.sqrt(fan_in), rel=1e-15
    )
    assert init.std("xavier", fan_in, fan_out) == pytest.approx(
        math.sqrt(2 / (fan_in + fan_out)), rel=1e-15
    )
    assert init.std("he", fan_in, fan_out) == pytest.approx(
        math.sqrt(2 / fan_in), rel=1e-15
    )


def test_pytorchs_default_linear_initialisation_is_uniform_in_plus_minus_one_over_sqrt_fan_in():
    """nn.Linear(800, 1000)'s weights and biases lie in ±1/sqrt(800), fill it, and have std 1/sqrt(3*800)."""
    torch.manual_seed(0)
    layer = nn.Linear(800, 1000)
    bound = 1 / math.sqrt(800)
    w, b = layer.weight.detach().double(), layer.bias.detach().double()
    for values in (w, b):
        assert values.abs().max().item() <= bound * (
            1 + 1e-7
        )  # float32 rounding of the bound
        assert values.abs().max().item() > 0.99 * bound
    assert w.std().item() == pytest.approx(1 / math.sqrt(3 * 800), rel=0.02)
    # kaiming_uniform_(a=sqrt(5)) has bound gain * sqrt(3 / fan_in) with gain sqrt(2 / (1 + 5)): 1/sqrt(fan_in).
    gain = nn.init.calculate_gain("leaky_relu", math.sqrt(5))
    assert gain * math.sqrt(3 / 800) == pytest.approx(bound, rel=1e-15)


# ---------------------------------------------------------------------------
# models.mlp and models.small_cnn
# ---------------------------------------------------------------------------

SIZES = [784, 512, 512, 10]


def linears(model: nn.Module) -> list[nn.Module]:
    return [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]


@pytest.mark.parametrize("seed", [0, 7])
def test_mlp_pytorch_init_is_nn_linears_default(seed):
    """mlp(init="pytorch", seed=s) is bit for bit torch.manual_seed(s) followed by plain nn.Linear layers."""
    model = models.mlp([20, 16, 12, 5], seed=seed, init="pytorch")
    torch.manual_seed(seed)
    reference = [nn.Linear(20, 16), nn.Linear(16, 12), nn.Linear(12, 5)]
    for ours, theirs in zip(linears(model), reference, strict=True):
        assert torch.equal(ours.weight, theirs.weight) and torch.equal(
            ours.bias, theirs.bias
        )


def test_small_cnn_pytorch_init_is_nn_conv2ds_default():
    """small_cnn(init="pytorch") is bit for bit nn.Conv2d's and nn.Linear's own initialisation."""
    model = models.small_cnn(channels=(1, 4, 8), seed=3, init="pytorch")
    torch.manual_seed(3)
    reference = [
        nn.Conv2d(1, 4, 5, padding=2),
        nn.Conv2d(4, 8, 5, padding=2),
        nn.Linear(8 * 7 * 7, 10),
    ]
    for ours, theirs in zip(linears(model), reference, strict=True):
        assert torch.equal(ours.weight, theirs.weight) and torch.equal(
            ours.bias, theirs.bias
        )


def test_mlp_pytorch_init_draws_from_a_given_generator():
    """With a torch.Generator as seed: kaiming_uniform_(a=sqrt(5)) then the bias, layer by layer, from it."""
    model = models.mlp(
        [20, 16, 5], seed=torch.Generator().manual_seed(11), init="pytorch"
    )
    g = torch.Generator().manual_seed(11)
    for layer in linears(model):
        w, b = torch.empty_like(layer.weight), torch.empty_like(layer.bias)
        nn.init.kaiming_uniform_(w, a=math.sqrt(5), generator=g)
        bound = 1 / math.sqrt(layer.in_features)
        nn.init.uniform_(b, -bound, bound, generator=g)
        assert torch.equal(layer.weight, w) and torch.equal(layer.bias, b)


@pytest.mark.parametrize("scheme", init.SCHEMES)
def test_mlp_layers_have_the_schemes_standard_deviation_and_zero_biases(scheme):
    """mlp(784-512-512-10, init=scheme): each layer's sample std within 3% of init.std; biases 0."""
    model = models.mlp(SIZES, seed=0, init=scheme)
    for layer, (n_in, n_out) in zip(
        linears(model), zip(SIZES[:-1], SIZES[1:]), strict=True
    ):
        assert layer.weight.shape == (n_out, n_in)
        assert layer.weight.std().item() == pytest.approx(
            init.std(scheme, n_in, n_out), rel=0.03
        )
        assert not layer.bias.any()


@pytest.mark.parametrize("scheme", init.SCHEMES)
def test_small_cnn_layers_have_the_schemes_standard_deviation_and_zero_biases(scheme):
    """small_cnn(init=scheme): a convolution's fans are channels times kernel area; std within 3%."""
    model = models.small_cnn(channels=(3, 64, 64), seed=0, init=scheme)
    for layer in linears(model):
        fan_in, fan_out = nn.init._calculate_fan_in_and_fan_out(layer.weight)
        assert layer.weight.std().item() == pytest.approx(
            init.std(scheme, fan_in, fan_out), rel=0.03
        )
        assert not layer.bias.any()
    first = linears(model)[0]
    assert init.std(scheme, 3 * 25, 64 * 25) == TORCH_STD[scheme](
        *nn.init._calculate_fan_in_and_fan_out(first.weight)
    )


def auto_reference(
    sizes: list[int], activation: str, seed: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """What mlp built before init= existed: He uniform for ReLU hidden layers, else Glorot uniform; zero biases."""
    g = torch.Generator().manual_seed(seed)
    layers = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        w = torch.empty(n_out, n_in)
        if i < len(sizes) - 2 and activation == "relu":
            nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
        else:
            hidden = i < len(sizes) - 2
            nn.init.xavier_uniform_(
                w,
                gain=nn.init.calculate_gain(activation if hidden else "linear"),
                generator=g,
            )
        layers.append((w, torch.zeros(n_out)))
    return layers


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid"])
def test_mlp_auto_init_is_unchanged(activation):
    """init="auto" (the default) draws exactly what mlp drew before, by the same nn.init calls."""
    sizes = [20, 16, 12, 5]
    model = models.mlp(sizes, activation=activation, seed=3)
    same = models.mlp(sizes, activation=activation, seed=3, init="auto")
    for ours, again, (w, b) in zip(
        linears(model), linears(same), auto_reference(sizes, activation, 3), strict=True
    ):
        assert torch.equal(ours.weight, w) and torch.equal(ours.bias, b)
        assert torch.equal(again.weight, w)


def test_small_cnn_auto_init_is_unchanged():
    """small_cnn's default draws He uniform for the convolutions and Glorot uniform for the classifier."""
    model = models.small_cnn(channels=(1, 4, 8), seed=4)
    g = torch.Generator().manual_seed(4)
    for layer in linears(model):
        w = torch.empty_like(layer.weight)
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_uniform_(w, nonlinearity="relu", generator=g)
        else:
            nn.init.xavier_uniform_(w, generator=g)
        assert torch.equal(layer.weight, w) and not layer.bias.any()


# ---------------------------------------------------------------------------
# The NumPy Network
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", init.SCHEMES)
def test_network_weights_have_the_schemes_standard_deviation(scheme):
    """Network(784-300-300, init=scheme): each layer's sample std within 2% of init.std."""
    net = Network([784, 300, 300], init=scheme, seed=0)
    for W, (n_in, n_out) in zip(net.weights, [(784, 300), (300, 300)], strict=True):
        assert W.shape == (n_in, n_out)
        assert W.std() == pytest.approx(init.std(scheme, n_in, n_out), rel=0.02)


@pytest.mark.parametrize("scheme", ["scaled", "standard"])
@pytest.mark.parametrize("seed", [0, 5])
def test_network_scaled_and_standard_are_unchanged(scheme, seed):
    """The book's two original schemes draw sigma * rng.standard_normal((n_in, n_out)), then the biases."""
    sizes = [6, 4, 3]
    net = Network(sizes, init=scheme, seed=seed)
    rng = np.random.default_rng(seed)
    for W, b, (n_in, n_out) in zip(
        net.weights, net.biases, zip(sizes[:-1], sizes[1:]), strict=True
    ):
        sigma = 1 / np.sqrt(n_in) if scheme == "scaled" else 1.0
        np.testing.assert_array_equal(W, sigma * rng.standard_normal((n_in, n_out)))
        np.testing.assert_array_equal(b, rng.standard_normal(n_out))


def test_network_default_init_is_scaled():
    a, b = Network([5, 4, 2], seed=1), Network([5, 4, 2], seed=1, init="scaled")
    for x, y in zip(a.weights + a.biases, b.weights + b.biases, strict=True):
        np.testing.assert_array_equal(x, y)


# ---------------------------------------------------------------------------
# Bad input
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("scheme", ["glorot", "He", "", "pytorch", "auto"])
def test_an_unknown_scheme_is_refused(scheme):
    with pytest.raises(ValueError, match="scheme"):
        init.std(scheme, 10, 10)


@pytest.mark.parametrize("scheme", init.SCHEMES)
def test_fans_must_be_positive(scheme):
    with pytest.raises(ValueError, match="fan_in"):
        init.std(scheme, 0, 10)
    with pytest.raises(ValueError, match="fan_out"):
        init.std(scheme, 10, 0)


def test_fans_must_be_integers():
    with pytest.raises(TypeError, match="fan_in"):
        init.std("he", 2.5, 10)


def test_the_builders_refuse_an_unknown_init():
    with pytest.raises(ValueError, match="init"):
        models.mlp([4, 3], init="glorot")
    with pytest.raises(ValueError, match="init"):
        models.small_cnn(init="kaiming")
    with pytest.raises(ValueError, match="init"):
        Network([4, 3], init="pytorch")
