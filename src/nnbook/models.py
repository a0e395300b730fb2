"""PyTorch model builders: a multilayer perceptron and a small CNN.

Both return a plain :class:`torch.nn.Sequential`, so everything PyTorch
offers (``.parameters()``, ``.state_dict()``, indexing layers) works as usual.
Weights are initialised for the chosen activation, from a seed, without
touching PyTorch's global random state.

:func:`export_mlp_json` writes a trained MLP to a JSON file that a program in
any language (the book's in-browser digit demo, in JavaScript) can read and
run without PyTorch.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

__all__ = ["ACTIVATIONS", "MLP_JSON_ACTIVATIONS", "MNIST_INPUT", "count_parameters", "export_mlp_json", "mlp", "small_cnn"]

#: Activation names accepted by the builders, and the module each one makes.
ACTIVATIONS: dict[str, type[nn.Module]] = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "sigmoid": nn.Sigmoid,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "identity": nn.Identity,
}


def _activation(name: str) -> nn.Module:
    if not isinstance(name, str) or name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]()


def _init(layer: nn.Linear | nn.Conv2d, activation: str, generator: torch.Generator) -> None:
    """Initialise ``layer`` so that signals keep their scale through ``activation``.

    He (Kaiming) initialisation suits the ReLU family, whose outputs are zero
    for half of the inputs; Glorot (Xavier) initialisation suits activations
    that are roughly linear around zero. Biases start at zero.
    """
    if activation in ("relu", "leaky_relu", "gelu", "softplus"):
        nn.init.kaiming_uniform_(layer.weight, nonlinearity="relu", generator=generator)
    else:
        gain = nn.init.calculate_gain("sigmoid" if activation == "sigmoid" else "tanh" if activation == "tanh" else "linear")
        nn.init.xavier_uniform_(layer.weight, gain=gain, generator=generator)
    nn.init.zeros_(layer.bias)


def _check_sizes(sizes: Sequence[int], name: str, minimum: int) -> list[int]:
    sizes = list(sizes)
    if len(sizes) < minimum or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in sizes):
        raise ValueError(f"{name} must be at least {minimum} positive integers, got {sizes!r}")
    return sizes


def mlp(sizes: Sequence[int], activation: str = "relu", seed: int = 0) -> nn.Sequential:
    """Build a fully connected network with the given layer sizes.

    Parameters
    ----------
    sizes
        Neurons per layer, input first and output last: ``[784, 30, 10]`` is
        Nielsen's network for MNIST. ``[784, 10]`` is softmax regression.
    activation
        The non-linearity after every hidden layer (a name from
        :data:`ACTIVATIONS`). The output layer has none: it returns logits,
        which :class:`torch.nn.CrossEntropyLoss` expects.
    seed
        Seed of the initial weights.

    Returns
    -------
    torch.nn.Sequential
        ``Flatten`` (so images of shape ``(N, 1, 28, 28)`` and flat inputs both
        work), then ``Linear`` layers with the activation between them.
    """
    sizes = _check_sizes(sizes, "sizes", 2)
    _activation(activation)  # reject a bad name even when there is no hidden layer
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        linear = nn.Linear(n_in, n_out)
        is_output = i == len(sizes) - 2
        _init(linear, "identity" if is_output else activation, generator)
        layers.append(linear)
        if not is_output:
            layers.append(_activation(activation))
    return nn.Sequential(*layers)


def small_cnn(
    channels: Sequence[int] = (1, 16, 32),
    n_classes: int = 10,
    image_size: int = 28,
    kernel_size: int = 5,
    activation: str = "relu",
    seed: int = 0,
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
        A name from :data:`ACTIVATIONS`.
    seed
        Seed of the initial weights.
    """
    channels = _check_sizes(channels, "channels", 2)
    if not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
        raise ValueError(f"kernel_size must be an odd positive integer, got {kernel_size!r}")
    blocks = len(channels) - 1
    if image_size % (2**blocks) != 0:
        raise ValueError(
            f"image_size {image_size} must be divisible by 2**{blocks} = {2**blocks} "
            f"so that {blocks} 2x2 poolings divide it evenly"
        )
    generator = torch.Generator().manual_seed(seed)
    layers: list[nn.Module] = []
    for c_in, c_out in zip(channels[:-1], channels[1:]):
        conv = nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2)
        _init(conv, activation, generator)
        layers += [conv, _activation(activation), nn.MaxPool2d(2)]
    side = image_size // 2**blocks
    classifier = nn.Linear(channels[-1] * side * side, n_classes)
    _init(classifier, "identity", generator)
    layers += [nn.Flatten(), classifier]
    return nn.Sequential(*layers)


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Return the number of (trainable) numbers in ``model``'s parameters."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


# --- export ------------------------------------------------------------------------

#: The hidden-layer activations :func:`export_mlp_json` can write, with the
#: formula (applied to each number ``z``) that a reader of the file computes.
MLP_JSON_ACTIVATIONS: dict[str, str] = {
    "relu": "max(0, z)",
    "sigmoid": "1 / (1 + exp(-z))",
    "tanh": "tanh(z)",
    "identity": "z",
}

#: The input an MNIST model of this book expects, as :func:`export_mlp_json`
#: records it: what ``torchvision.transforms.ToTensor`` makes of an MNIST digit.
MNIST_INPUT: dict[str, Any] = {
    "image_shape": [28, 28],
    "order": "row by row: value 28 * row + column, row 0 at the top",
    "range": [0.0, 1.0],
    "background": 0.0,
    "ink": 1.0,
    "description": (
        "grey levels divided by 255: white background 0, black ink 1. MNIST digits are "
        "scaled to fit a 20 x 20 box, keeping their proportions, and centred by their "
        "centre of mass in the 28 x 28 image; a drawn digit should be prepared the same way."
    ),
}

_FORMAT = "nnbook-mlp"
_ENCODING = (
    "every array is an object {shape, dtype, data}: data is base64 of the array's "
    "little-endian float32 bytes, in row-major order (the last index varies fastest)"
)
_COMPUTATION = (
    "a = the flattened input; for each layer in order: z = weight @ a + bias "
    "(weight has shape [n_out, n_in]); a = activation(z) for every layer but the last, "
    "whose z are the logits. softmax(logits) gives the class probabilities."
)


def _encode(array: Any) -> dict[str, Any]:
    """An array as ``{shape, dtype, data}``, ``data`` the base64 of its float32 bytes."""
    values = np.ascontiguousarray(array, dtype="<f4")
    return {"shape": list(values.shape), "dtype": "float32", "data": base64.b64encode(values.tobytes()).decode("ascii")}


def _mlp_structure(model: nn.Module) -> tuple[list[nn.Linear], str]:
    """Return the Linear layers of an MLP as :func:`mlp` builds it, and its activation's name."""
    expected = "an MLP as nnbook.models.mlp builds it (Flatten, then Linear layers with one activation between them)"
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"export_mlp_json needs {expected}, got {type(model).__name__}")
    modules = list(model)
    if modules and isinstance(modules[0], nn.Flatten):
        modules = modules[1:]
    linears, between = modules[0::2], modules[1::2]
    if not linears or len(between) != len(linears) - 1 or not all(isinstance(m, nn.Linear) for m in linears):
        layers = ", ".join(type(m).__name__ for m in model)
        raise ValueError(f"export_mlp_json needs {expected}; this model has the layers {layers}")
    names = {cls: name for name, cls in ACTIVATIONS.items()}
    kinds = {names.get(type(m), type(m).__name__) for m in between} or {"identity"}
    if len(kinds) > 1:
        raise ValueError(f"export_mlp_json needs one activation for all hidden layers, got {sorted(kinds)}")
    activation = kinds.pop()
    if activation not in MLP_JSON_ACTIVATIONS:
        raise ValueError(
            f"export_mlp_json can write the activations {sorted(MLP_JSON_ACTIVATIONS)}, got {activation!r}"
        )
    for i, linear in enumerate(linears):
        if linear.bias is None:
            raise ValueError(f"export_mlp_json needs a bias in every layer; Linear layer {i} has none")
        if i > 0 and linear.in_features != linears[i - 1].out_features:
            raise ValueError(
                f"Linear layer {i} takes {linear.in_features} inputs but layer {i - 1} "
                f"gives {linears[i - 1].out_features}"
            )
    return linears, activation


def export_mlp_json(
    model: nn.Module,
    path: str | os.PathLike[str],
    *,
    examples: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None,
    input_description: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """Write an MLP's weights, and how to run it, to a JSON file.

    The file is meant for programs without PyTorch, such as the book's
    in-browser digit demo. It holds (the exact schema is in the returned
    dictionary's ``"computation"`` and ``"encoding"`` fields too):

    * ``format`` (``"nnbook-mlp"``) and ``version`` (1);
    * ``sizes``, the neurons per layer, input first; ``activation``, the name
      of the hidden layers' activation, and ``activation_formula``;
      ``output``: ``"logits"`` (the last layer has no activation);
    * ``layers``: one ``{"weight", "bias"}`` per Linear layer, the weight of
      shape ``[n_out, n_in]`` as in PyTorch, so that ``z = weight @ a + bias``;
    * ``input``: the preprocessing the model expects (default
      :data:`MNIST_INPUT`: 28 × 28 values in [0, 1], background 0, ink 1);
    * ``examples`` (if given): ``inputs`` (flattened), ``labels`` (if given)
      and the ``logits`` PyTorch computes for them, so that a reader of the
      file can test its own forward pass;
    * ``metadata``: the keyword arguments, plain JSON values.

    Every array is an object ``{"shape", "dtype": "float32", "data"}`` whose
    ``data`` is the base64 encoding of the little-endian float32 values in
    row-major order: compact (a 784-100-10 network takes about 320 kB) and
    exact.

    Parameters
    ----------
    model
        An MLP as :func:`mlp` builds it: an ``nn.Sequential`` of an optional
        ``Flatten``, then ``Linear`` layers with the same activation (one of
        :data:`MLP_JSON_ACTIVATIONS`) between them.
    path
        The file to write; missing folders are created.
    examples
        Optional inputs (a tensor of shape ``(k, ...)`` whose rows flatten to
        ``sizes[0]`` values), or a pair ``(inputs, labels)``.
    input_description
        What the input must look like; default :data:`MNIST_INPUT`.
    **metadata
        Plain JSON values (numbers, strings, lists, dictionaries) to store,
        such as the test accuracy or the training recipe.

    Returns
    -------
    dict
        The document written to ``path``.

    Raises
    ------
    TypeError
        If ``model`` is not an ``nn.Sequential``, ``examples`` is not a tensor
        or a pair of tensors, or a metadata value is not plain JSON.
    ValueError
        If the model is not an MLP that the format can describe, or the
        examples do not fit its input.
    """
    linears, activation = _mlp_structure(model)
    sizes = [linears[0].in_features] + [linear.out_features for linear in linears]
    for key, value in metadata.items():
        try:
            json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"metadata must hold plain JSON values (numbers, strings, lists, dicts); "
                f"{key}={value!r} is not one ({error})"
            ) from None
    document: dict[str, Any] = {
        "format": _FORMAT,
        "version": 1,
        "sizes": sizes,
        "activation": activation,
        "activation_formula": MLP_JSON_ACTIVATIONS[activation],
        "output": "logits",
        "computation": _COMPUTATION,
        "encoding": _ENCODING,
        "input": dict(MNIST_INPUT if input_description is None else input_description),
        "layers": [
            {"weight": _encode(linear.weight.detach().cpu()), "bias": _encode(linear.bias.detach().cpu())}
            for linear in linears
        ],
    }
    if examples is not None:
        document["examples"] = _examples(model, examples, sizes[0])
    document["metadata"] = metadata
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, separators=(",", ":"), allow_nan=False))
    return document


def _examples(model: nn.Module, examples: Any, n_inputs: int) -> dict[str, Any]:
    """The ``examples`` entry of :func:`export_mlp_json`: inputs, labels and PyTorch's logits."""
    inputs, labels = examples if isinstance(examples, tuple) else (examples, None)
    if not isinstance(inputs, torch.Tensor) or (labels is not None and not isinstance(labels, torch.Tensor)):
        raise TypeError("examples must be a tensor of inputs or a pair (inputs, labels) of tensors")
    if inputs.ndim < 2 or inputs[0].numel() != n_inputs or not inputs.is_floating_point():
        raise ValueError(
            f"examples must be floating-point inputs of shape (k, ...) with {n_inputs} values each, "
            f"got {inputs.dtype} of shape {tuple(inputs.shape)}"
        )
    if labels is not None and labels.shape != (len(inputs),):
        raise ValueError(f"examples: expected one label per input ({len(inputs)}), got shape {tuple(labels.shape)}")
    flat = inputs.detach().reshape(len(inputs), n_inputs).to("cpu", torch.float32)
    if not torch.isfinite(flat).all():
        raise ValueError("examples must not contain NaN or infinite values")
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(flat.to(device)).cpu()
    finally:
        model.train(was_training)
    entry: dict[str, Any] = {"inputs": _encode(flat), "logits": _encode(logits)}
    if labels is not None:
        entry["labels"] = [int(label) for label in labels]
    return entry
