"""PyTorch model builders: a multilayer perceptron and a small CNN.

Both return a plain :class:`torch.nn.Sequential`, so everything PyTorch
offers (``.parameters()``, ``.state_dict()``, indexing layers) works as usual.
Weights are initialised for the chosen activation, from a seed, without
touching PyTorch's global random state. (:func:`nnbook.widgets.export_network_json`
writes a network built here to a file the book's in-browser demo runs.)
"""

from __future__ import annotations

from collections.abc import Sequence

import math

from nnbook import init as schemes
from nnbook._checks import (
    check_bool,
    check_choice,
    check_int,
    check_interval,
    check_sizes,
    torch_generator,
)
from nnbook._optional import needs

with needs("nnbook.models"):
    import torch
    from torch import nn

__all__ = ["ACTIVATION_MODULES", "INITS", "count_parameters", "mlp", "small_cnn"]

#: Activation names accepted by the builders, and the PyTorch module each one
#: makes. (The book's own NumPy activations are :data:`nnbook.activations.ACTIVATIONS`.)
ACTIVATION_MODULES: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}

#: The ways the builders can draw the initial weights (see :func:`mlp`).
INITS = ("auto", *schemes.SCHEMES, "pytorch")

#: The activations whose outputs are zero (or nearly) for negative inputs,
#: for which He initialisation keeps the signal's scale.
_RELU_LIKE = ("relu", "leaky_relu", "gelu", "softplus")


def _init(
    layer: nn.Linear | nn.Conv2d, activation: str, init: str, generator: torch.Generator
) -> None:
    """Draw the initial weights and biases of ``layer`` the way ``init`` names.

    The names are those of :func:`mlp`. The builders make their layers with
    ``skip_init``, so that PyTorch's own initialisation, which draws from the
    global generator, does not run first.
    """
    weight, bias = layer.weight, layer.bias
    if (
        init == "pytorch"
    ):  # what nn.Linear and nn.Conv2d do by default: U(±1/sqrt(fan_in)) for both
        nn.init.kaiming_uniform_(weight, a=math.sqrt(5), generator=generator)
        bound = 1 / math.sqrt(_fans(weight)[0])
        nn.init.uniform_(bias, -bound, bound, generator=generator)
        return
    if init == "auto":
        _init_for_activation(weight, activation, generator)
    else:
        nn.init.normal_(
            weight, 0.0, schemes.std(init, *_fans(weight)), generator=generator
        )
    nn.init.zeros_(bias)


def _fans(weight: torch.Tensor) -> tuple[int, int]:
    """Return a layer's fan-in and fan-out as PyTorch counts them.

    Each is a number of channels times the kernel's area.
    """
    receptive_field = weight[0, 0].numel()  # 1 for a linear layer
    return weight.shape[1] * receptive_field, weight.shape[0] * receptive_field


def _init_for_activation(
    weight: torch.Tensor, activation: str, generator: torch.Generator
) -> None:
    """Draw ``weight`` so that signals keep their scale through ``activation``.

    This is ``init="auto"``.

    He (Kaiming) initialisation suits the ReLU family, whose outputs are zero
    for half of the inputs; Glorot (Xavier) initialisation suits activations
    that are roughly linear around zero. Both draw from a uniform distribution.
    """
    if activation in _RELU_LIKE:
        nn.init.kaiming_uniform_(weight, nonlinearity="relu", generator=generator)
    else:
        gain = nn.init.calculate_gain(
            activation if activation in ("sigmoid", "tanh") else "linear"
        )
        nn.init.xavier_uniform_(weight, gain=gain, generator=generator)


def mlp(
    sizes: Sequence[int],
    activation: str = "relu",
    seed: int | torch.Generator = 0,
    init: str = "auto",
    dropout: float = 0.0,
) -> nn.Sequential:
    """Build a fully connected network with the given layer sizes.

    Parameters
    ----------
    sizes
        Neurons per layer, input first and output last: ``[784, 30, 10]`` is
        Nielsen's network for MNIST. ``[784, 10]`` is softmax regression.
    activation
        The non-linearity after every hidden layer (a name from
        :data:`ACTIVATION_MODULES`). The output layer has none: it returns
        logits, which :class:`torch.nn.CrossEntropyLoss` expects.
    seed
        Seed of the initial weights: an int >= 0, or a ``torch.Generator``
        to draw from.
    init
        How to draw the initial weights (one of :data:`INITS`). ``"auto"``
        suits the activation: He's uniform distribution for the ReLU family,
        Glorot's (with PyTorch's gain) for the others and the output layer.
        A scheme of :mod:`nnbook.init` (``"standard"``, ``"scaled"``,
        ``"xavier"``, ``"he"``) draws every layer from a normal distribution
        with :func:`nnbook.init.std`. With both, biases start at 0.
        ``"pytorch"`` is PyTorch's own default: weights and biases uniform in
        ``±1/sqrt(fan_in)``.
    dropout
        The probability, in [0, 1), with which :class:`torch.nn.Dropout`
        zeroes each hidden neuron's output in training; 0 (the default)
        adds no dropout layers.

    Returns
    -------
    torch.nn.Sequential
        ``Flatten`` (so images of shape ``(N, 1, 28, 28)`` and flat inputs both
        work), then ``Linear`` layers with the activation between them, each
        activation followed by ``Dropout`` when ``dropout > 0``.
    """
    sizes = check_sizes(sizes, "sizes", minimum=2)  # the input and the output at least
    # Checked even when there is no hidden layer to use it.
    check_choice(activation, "activation", ACTIVATION_MODULES)
    check_choice(init, "init", INITS)
    dropout = check_interval(dropout, "dropout", 0.0, 1.0, high_open=True)
    generator = torch_generator(seed, "seed")
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.utils.skip_init(nn.Linear, n_in, n_out)
        is_output = i == len(sizes) - 2
        _init(linear, "identity" if is_output else activation, init, generator)
        layers.append(linear)
        if not is_output:
            layers.append(ACTIVATION_MODULES[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
    return nn.Sequential(*layers)


def small_cnn(
    channels: Sequence[int] = (1, 16, 32),
    n_classes: int = 10,
    image_size: int = 28,
    kernel_size: int = 5,
    activation: str = "relu",
    seed: int | torch.Generator = 0,
    init: str = "auto",
) -> nn.Sequential:
    """Build a CNN of convolution–pooling blocks followed by a linear classifier.

    Each block is a ``kernel_size`` convolution (padded so that it keeps the
    image size), the activation, and 2×2 max pooling (which halves it).

    Parameters
    ----------
    channels
        Input channels, then the output channels of each block:
        ``(1, 16, 32)`` gives two blocks for grey-scale images.
    n_classes
        Outputs of the classifier (logits).
    image_size
        Height and width of the (square) input images.
    kernel_size
        An odd kernel width.
    activation
        A name from :data:`ACTIVATION_MODULES`.
    seed
        Seed of the initial weights: an int >= 0, or a ``torch.Generator``.
    init
        How to draw the initial weights, as for :func:`mlp`.
    """
    channels = check_sizes(channels, "channels", minimum=2)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    image_size = check_int(image_size, "image_size", minimum=1)
    kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
    check_choice(activation, "activation", ACTIVATION_MODULES)
    check_choice(init, "init", INITS)
    # An odd kernel has a centre, so the padding keeps the image size.
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be an odd positive integer, got {kernel_size!r}"
        )
    blocks = len(channels) - 1
    if image_size % (2**blocks) != 0:
        raise ValueError(
            f"image_size {image_size} must be divisible by 2**{blocks} = {2**blocks} "
            f"so that {blocks} 2x2 poolings divide it evenly"
        )
    generator = torch_generator(seed, "seed")
    layers: list[nn.Module] = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        conv = nn.utils.skip_init(
            nn.Conv2d, c_in, c_out, kernel_size, padding=kernel_size // 2
        )
        _init(conv, activation, init, generator)
        layers += [conv, ACTIVATION_MODULES[activation](), nn.MaxPool2d(2)]
    side = image_size // 2**blocks
    classifier = nn.utils.skip_init(nn.Linear, channels[-1] * side * side, n_classes)
    _init(classifier, "identity", init, generator)
    layers += [nn.Flatten(), classifier]
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Return the number of (trainable) numbers in ``model``'s parameters."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    trainable_only = check_bool(trainable_only, "trainable_only")
    return sum(
        p.numel() for p in model.parameters() if p.requires_grad or not trainable_only
    )
