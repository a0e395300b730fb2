"""nnbook.models: the PyTorch MLP and CNN builders and count_parameters."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from nnbook.models import count_parameters, mlp, small_cnn


def test_mlp_layers_and_parameter_count() -> None:
    model = mlp([784, 30, 10], activation="sigmoid")
    kinds = [type(m).__name__ for m in model]
    assert kinds == ["Flatten", "Linear", "Sigmoid", "Linear"]
    assert count_parameters(model) == 784 * 30 + 30 + 30 * 10 + 10
    assert model(torch.zeros(5, 1, 28, 28)).shape == (5, 10)
    assert model(torch.zeros(5, 784)).shape == (5, 10)


def test_mlp_initialisation_is_seeded_and_scaled() -> None:
    a, b, c = (
        mlp([100, 50, 10], seed=1),
        mlp([100, 50, 10], seed=1),
        mlp([100, 50, 10], seed=2),
    )
    for p, q in zip(a.parameters(), b.parameters()):
        assert torch.equal(p, q)
    assert not torch.equal(a[1].weight, c[1].weight)
    # He-uniform for ReLU layers: bound sqrt(6 / fan_in); biases zero.
    bound = math.sqrt(6 / 100)
    assert a[1].weight.abs().max() <= bound
    assert a[1].weight.std().item() == pytest.approx(bound / math.sqrt(3), rel=0.05)
    assert torch.count_nonzero(a[1].bias) == 0


def test_a_torch_generator_is_a_seed_too() -> None:
    """An int seed and a generator seeded with it give the same weights; the global generator is untouched."""
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    from_generator = mlp([6, 4, 2], seed=torch.Generator().manual_seed(3))
    assert torch.equal(torch.rand(2), expected)
    for p, q in zip(from_generator.parameters(), mlp([6, 4, 2], seed=3).parameters()):
        assert torch.equal(p, q)
    cnn = small_cnn(
        channels=(1, 2), image_size=4, seed=torch.Generator().manual_seed(3)
    )
    assert torch.equal(
        cnn[0].weight, small_cnn(channels=(1, 2), image_size=4, seed=3)[0].weight
    )


def test_small_cnn_shapes() -> None:
    model = small_cnn()
    assert model(torch.zeros(2, 1, 28, 28)).shape == (2, 10)
    convs = [m for m in model if isinstance(m, nn.Conv2d)]
    assert [c.out_channels for c in convs] == [16, 32]
    expected = (1 * 16 * 25 + 16) + (16 * 32 * 25 + 32) + (32 * 7 * 7 * 10 + 10)
    assert count_parameters(model) == expected


@pytest.mark.parametrize(
    ("builder", "kwargs", "error", "match"),
    [
        (
            mlp,
            {"sizes": [784]},
            ValueError,
            r"sizes must list at least 2 layer sizes, got \[784\]",
        ),
        (
            mlp,
            {"sizes": [784, 0, 10]},
            ValueError,
            r"every layer size must be a positive integer, got sizes=\[784, 0, 10\]",
        ),
        (
            mlp,
            {"sizes": [784, 2.5, 10]},
            ValueError,
            r"every layer size must be a positive integer, got sizes=\[784, 2.5",
        ),
        (
            mlp,
            {"sizes": None},
            TypeError,
            "sizes must be a sequence of layer sizes such as .* got NoneType",
        ),
        (
            mlp,
            {"sizes": "23"},
            TypeError,
            "sizes must be a sequence of layer sizes .* got str",
        ),
        (
            mlp,
            {"sizes": [4, 2], "activation": "swish"},
            ValueError,
            "activation must be one of",
        ),
        (
            mlp,
            {"sizes": [4, 2], "seed": -1},
            ValueError,
            "seed must be an integer >= 0",
        ),
        (
            mlp,
            {"sizes": [4, 2], "seed": None},
            TypeError,
            "seed must be an int or a torch.Generator, got NoneType",
        ),
        (
            small_cnn,
            {"channels": (1,)},
            ValueError,
            "channels must list at least 2 layer sizes",
        ),
        (
            small_cnn,
            {"channels": None},
            TypeError,
            "channels must be a sequence .* got NoneType",
        ),
        (small_cnn, {"kernel_size": 4}, ValueError, "odd positive integer"),
        (
            small_cnn,
            {"kernel_size": 0},
            ValueError,
            "kernel_size must be an integer >= 1",
        ),
        # The cases: a Linear(1568, 0) classifier, and a failure inside string formatting.
        (
            small_cnn,
            {"n_classes": 0},
            ValueError,
            "n_classes must be an integer >= 1, got 0",
        ),
        (
            small_cnn,
            {"image_size": "28"},
            TypeError,
            "image_size must be an integer, got str",
        ),
        (small_cnn, {"activation": "swish"}, ValueError, "activation must be one of"),
        (small_cnn, {"image_size": 30}, ValueError, "divisible by 2\\*\\*2"),
        (
            small_cnn,
            {"seed": 2.5},
            TypeError,
            "seed must be an int or a torch.Generator, got float",
        ),
    ],
)
def test_builders_reject_bad_arguments(builder, kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        builder(**kwargs)


def test_count_parameters_of_frozen_layers_and_bad_arguments() -> None:
    model = mlp([3, 2])
    model[1].bias.requires_grad_(False)
    assert (
        count_parameters(model) == 6
        and count_parameters(model, trainable_only=False) == 8
    )
    assert count_parameters(nn.ReLU()) == 0
    with pytest.raises(TypeError, match="model must be a torch.nn.Module, got str"):
        count_parameters("model")  # type: ignore[arg-type]
    with pytest.raises(
        TypeError, match="trainable_only must be True or False, got str"
    ):
        count_parameters(model, trainable_only="no")  # type: ignore[arg-type]


def test_mlp_dropout_adds_a_dropout_layer_after_each_hidden_activation() -> None:
    plain, dropped = (
        mlp([784, 30, 20, 10], seed=4),
        mlp([784, 30, 20, 10], seed=4, dropout=0.3),
    )
    layers = [type(layer).__name__ for layer in dropped]
    assert layers == [
        "Flatten",
        "Linear",
        "ReLU",
        "Dropout",
        "Linear",
        "ReLU",
        "Dropout",
        "Linear",
    ]
    assert all(layer.p == 0.3 for layer in dropped if isinstance(layer, nn.Dropout))
    # The same weights as without dropout, and the same function in evaluation mode.
    assert all(
        torch.equal(p, q) for p, q in zip(plain.parameters(), dropped.parameters())
    )
    x = torch.rand(5, 784)
    assert torch.equal(plain(x), dropped.eval()(x))
    # In training mode, 30 % of the active hidden neurons are switched off, the others scaled by 1 / 0.7.
    x = torch.rand(2000, 784, generator=torch.Generator().manual_seed(0))
    torch.manual_seed(0)
    active, hidden = plain[:3](x), dropped.train()[:4](x)
    on = active > 0
    kept = hidden[on] != 0
    assert abs(float(1 - kept.float().mean()) - 0.3) < 0.01
    assert torch.allclose(hidden[on][kept], active[on][kept] / 0.7)
