"""The elements that the book's in-page widgets build themselves in.

A chapter's hidden cell calls :func:`widget` with the chapter's own Python
objects (a neuron's weights, a loss's parameters, an image and a filter).
The result is an empty, hidden ``<div>`` whose data attributes carry those
values as JSON; the site's script (``book/_static/widgets/nnbook-widgets.js``)
turns it into sliders and plots. Because the numbers come from the executed
chapter, the page and the Python cannot drift apart. Without JavaScript the
element stays hidden and the chapter's static figure stands in.

The digit-drawing widget runs networks the book trained (the MNIST lab's
MLP, the CNN chapter's CNN): :func:`export_network_json` writes a PyTorch
network, layer by layer, to a JSON file that a program in any language (here
the widget's JavaScript) can read and run without PyTorch. This module
imports PyTorch only when that function is called.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnbook._checks import as_real_array, check_choice, check_path, check_sizes
from nnbook._optional import needs

if TYPE_CHECKING:
    import torch

__all__ = [
    "KINDS",
    "MNIST_INPUT",
    "NETWORK_JSON_LAYERS",
    "export_network_json",
    "widget",
    "widget_html",
]

#: The widgets nnbook-widgets.js knows how to build.
KINDS = ("sigmoid-neuron", "gradient-descent", "conv-stepper", "draw-digit")


def widget_html(kind: str, **data: Any) -> str:
    """Return the HTML of the element the script builds a ``kind`` widget in.

    Parameters
    ----------
    kind
        One of :data:`KINDS`.
    **data
        The widget's parameters. Each becomes an attribute ``data-<name>``
        (underscores turn into hyphens): strings as they are, everything else
        as JSON (no NaN or infinity, which JSON cannot carry).
    """
    check_choice(kind, "kind", KINDS)
    attributes = []
    for name, value in data.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(
                f"widget parameter names must be lower-case identifiers, got {name!r}"
            )
        text = (
            value
            if isinstance(value, str)
            else _json_text(value, f"widget parameter {name!r}")
        )
        attributes.append(f' data-{name.replace("_", "-")}="{html.escape(text)}"')
    return f'<div class="nnbook-widget" data-nnbook-widget="{kind}"{"".join(attributes)} hidden></div>'


def _json_text(value: Any, what: str) -> str:
    """``value`` as JSON text, or a TypeError saying that ``what`` cannot be written as JSON."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{what} cannot be written as JSON ({error}); use plain numbers, strings, lists and dicts"
        ) from None


def widget(kind: str, **data: Any) -> Any:
    """Return the widget's element for display in a notebook (an IPython ``HTML``)."""
    with needs("nnbook.widgets.widget"):
        from IPython.display import HTML

    return HTML(widget_html(kind, **data))


# --- the digit widget's networks ----------------------------------------------------

#: The layers :func:`export_network_json` can write, by the name the file gives
#: them, with what a reader of the file computes for each. ``a`` is the layer's
#: input: a vector, or an array of shape ``[channels, height, width]``.
NETWORK_JSON_LAYERS: dict[str, str] = {
    "linear": "z[i] = bias[i] + sum over j of weight[i, j] * a[j]; weight has shape [n_out, n_in]",
    "conv2d": (
        "z[o, r, c] = bias[o] + sum over i, p, q of weight[o, i, p, q] * x[i, stride[0] * r + p, stride[1] * c + q], "
        "where x is a with padding[0] rows and padding[1] columns of zeros added on each side; "
        "weight has shape [c_out, c_in, kernel height, kernel width]"
    ),
    "maxpool2d": (
        "z[c, r, s] = the largest a[c, stride[0] * r + p, stride[1] * s + q] "
        "over 0 <= p < kernel_size[0], 0 <= q < kernel_size[1]"
    ),
    "flatten": "z = the values of a in row-major order: [channels, height, width] becomes one vector",
    "relu": "max(0, a), value by value",
    "sigmoid": "1 / (1 + exp(-a)), value by value",
    "tanh": "tanh(a), value by value",
    "identity": "a, unchanged",
}

#: The input an MNIST model of this book expects, as :func:`export_network_json`
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

_FORMAT = "nnbook-network"
_ENCODING = (
    "every array is an object {shape, dtype, data}: data is base64 of the array's "
    "little-endian float32 bytes, in row-major order (the last index varies fastest)"
)
_COMPUTATION = (
    "a = the input, of shape input_shape (its values in row-major order); for each entry of "
    "sequence in order, a = that layer applied to a, as the operations field says; a layer "
    "with weights uses layers[entry.layer]; output_shape is the shape of its result. "
    "The last a are the logits; softmax(logits) gives the class probabilities."
)


def _encode(array: Any) -> dict[str, Any]:
    """An array as ``{shape, dtype, data}``, ``data`` the base64 of its float32 bytes."""
    values = np.ascontiguousarray(array, dtype="<f4")
    return {
        "shape": list(values.shape),
        "dtype": "float32",
        "data": base64.b64encode(values.tobytes()).decode("ascii"),
    }


def _pair(value: int | tuple[int, ...]) -> list[int]:
    return [int(value)] * 2 if isinstance(value, int) else [int(v) for v in value]


def _sequence(
    model: Any, image_shape: Any
) -> tuple[list[int], list[dict[str, Any]], list[Any]]:
    """Describe ``model`` layer by layer: its input shape, the file's ``sequence``, and its weighted layers.

    ``image_shape`` (height, width) gives the input of a network that starts
    with a convolution; a network that starts with a Linear layer takes a vector.
    """
    with needs("nnbook.widgets.export_network_json"):
        from torch import nn

    # Dropout passes its input on unchanged when the network is used (model.eval()).
    elementwise = {
        nn.ReLU: "relu",
        nn.Sigmoid: "sigmoid",
        nn.Tanh: "tanh",
        nn.Identity: "identity",
        nn.Dropout: "identity",
    }
    known = (
        "Linear, Conv2d, MaxPool2d, Flatten, ReLU, Sigmoid, Tanh, Identity and Dropout"
    )
    if not isinstance(model, nn.Sequential):
        raise TypeError(
            f"model must be an nn.Sequential of the layers {known}, got {type(model).__name__}"
        )
    weighted = [m for m in model if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not weighted:
        raise ValueError("model must have a Linear or a Conv2d layer, got none")
    if isinstance(weighted[0], nn.Linear):
        shape = [weighted[0].in_features]
    else:
        image_shape = check_sizes(
            image_shape, "input_description['image_shape']", minimum=2
        )
        if len(image_shape) != 2:
            raise ValueError(
                f"input_description['image_shape'] must be [height, width], got {image_shape}"
            )
        shape = [weighted[0].in_channels, *image_shape]
    input_shape, sequence, layers = list(shape), [], []
    for i, m in enumerate(model):
        where = f"layer {i} ({type(m).__name__})"
        if type(m) in elementwise:
            entry: dict[str, Any] = {"type": elementwise[type(m)]}
        elif isinstance(m, nn.Flatten):
            if (m.start_dim, m.end_dim) != (1, -1):
                raise ValueError(
                    f"{where} must flatten all but the batch dimension (start_dim=1, end_dim=-1)"
                )
            entry, shape = {"type": "flatten"}, [int(np.prod(shape))]
        elif isinstance(m, nn.Linear):
            if shape != [m.in_features]:
                hint = " (put an nn.Flatten before it)" if len(shape) > 1 else ""
                raise ValueError(
                    f"{where} takes {m.in_features} inputs but gets values of shape {shape}{hint}"
                )
            entry, shape = {"type": "linear", "layer": len(layers)}, [m.out_features]
        elif isinstance(m, nn.Conv2d):
            if len(shape) != 3 or shape[0] != m.in_channels:
                raise ValueError(
                    f"{where} takes {m.in_channels} channels but gets values of shape {shape}"
                )
            if (
                m.groups != 1
                or _pair(m.dilation) != [1, 1]
                or m.padding_mode != "zeros"
            ):
                raise ValueError(
                    f"{where}: the format knows convolutions with groups=1, dilation=1 and zero padding"
                )
            kernel, stride = _pair(m.kernel_size), _pair(m.stride)
            padding = (
                [0, 0]
                if m.padding == "valid"
                else [k // 2 for k in kernel]
                if m.padding == "same"
                else _pair(m.padding)
            )
            if m.padding == "same" and any(k % 2 == 0 for k in kernel):
                raise ValueError(
                    f"{where}: padding='same' with an even kernel pads unevenly, which the format cannot say"
                )
            entry = {
                "type": "conv2d",
                "layer": len(layers),
                "kernel_size": kernel,
                "stride": stride,
                "padding": padding,
            }
            shape = [m.out_channels] + [
                (n + 2 * p - k) // s + 1
                for n, p, k, s in zip(shape[1:], padding, kernel, stride)
            ]
        elif isinstance(m, nn.MaxPool2d):
            if len(shape) != 3:
                raise ValueError(
                    f"{where} needs values of shape [channels, height, width], gets {shape}"
                )
            if (
                _pair(m.padding) != [0, 0]
                or _pair(m.dilation) != [1, 1]
                or m.ceil_mode
                or m.return_indices
            ):
                raise ValueError(
                    f"{where}: the format knows max pooling without padding, dilation or ceil_mode"
                )
            kernel, stride = _pair(m.kernel_size), _pair(m.stride or m.kernel_size)
            entry = {"type": "maxpool2d", "kernel_size": kernel, "stride": stride}
            shape = shape[:1] + [
                (n - k) // s + 1 for n, k, s in zip(shape[1:], kernel, stride)
            ]
        else:
            raise ValueError(
                f"cannot export {where}: the format knows the layers {known}"
            )
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            if m.bias is None:
                raise ValueError(
                    f"{where} has no bias; the format needs one in every Linear and Conv2d layer"
                )
            layers.append(m)
        if min(shape) < 1:
            raise ValueError(
                f"{where} gets an input too small for it: its output would have shape {shape}"
            )
        entry["output_shape"] = list(shape)
        sequence.append(entry)
    if len(shape) != 1:
        raise ValueError(
            f"model must end with a vector of logits; its last layer gives shape {shape}"
        )
    return input_shape, sequence, layers


def export_network_json(
    model: torch.nn.Module,
    path: str | os.PathLike[str],
    *,
    examples: torch.Tensor | tuple[torch.Tensor, torch.Tensor] | None = None,
    input_description: dict[str, Any] | None = None,
    **metadata: Any,
) -> dict[str, Any]:
    """Write a network's weights, and how to run it, to a JSON file.

    The file is meant for programs without PyTorch, such as the book's
    in-browser digit demo. It holds (the exact schema is in the returned
    dictionary's ``"computation"`` and ``"encoding"`` fields too):

    * ``format`` (``"nnbook-network"``) and ``version`` (1);
    * ``input_shape``: ``[n]`` for a network that starts with a Linear
      layer, ``[channels, height, width]`` for one that starts with a
      convolution; ``sizes``: the number of input values, then the number of
      outputs of each Linear and Conv2d layer; ``activation``: the name of the
      one activation between them (``"identity"`` if there is none,
      ``None`` if there are several kinds); ``output``: ``"logits"``;
    * ``sequence``: the layers in order, each ``{"type", "output_shape"}``
      (a type of :data:`NETWORK_JSON_LAYERS`), a layer with weights with
      ``"layer"``, the index of its arrays in ``layers``, a convolution with
      ``kernel_size``, ``stride`` and ``padding``, a max pooling with
      ``kernel_size`` and ``stride``; ``operations``: the formula of each
      type used;
    * ``layers``: one ``{"weight", "bias"}`` per Linear and Conv2d layer, the
      weight of shape ``[n_out, n_in]`` or ``[c_out, c_in, height, width]``
      as in PyTorch;
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
        An ``nn.Sequential`` of the layers ``Linear``, ``Conv2d`` (zero
        padding, no groups or dilation), ``MaxPool2d`` (no padding),
        ``Flatten``, ``ReLU``, ``Sigmoid``, ``Tanh``, ``Identity`` and
        ``Dropout`` (written as ``"identity"``: the file describes the network
        in use, where dropout passes its input on), such as
        :func:`nnbook.models.mlp` and :func:`nnbook.models.small_cnn` build,
        ending in a vector of logits.
    path
        The file to write; missing folders are created.
    examples
        Optional inputs (a tensor of shape ``(k, ...)`` whose rows have as
        many values as the network's input), or a pair ``(inputs, labels)``.
    input_description
        What the input must look like; default :data:`MNIST_INPUT`. Its
        ``image_shape`` (height, width) sets the input of a network that
        starts with a convolution.
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
        If the model has a layer the format cannot describe (named in the
        message), its layers do not fit together, or the examples do not fit
        its input.
    """
    if input_description is not None and not isinstance(input_description, dict):
        raise TypeError(
            f"input_description must be a dict, got {type(input_description).__name__}"
        )
    description = dict(MNIST_INPUT if input_description is None else input_description)
    input_shape, sequence, layers = _sequence(model, description.get("image_shape"))
    check_path(path, "path")
    _json_text(description, "input_description")
    for key, value in metadata.items():
        _json_text(value, f"metadata {key}={value!r}")
    activations = {e["type"] for e in sequence} - {
        "linear",
        "conv2d",
        "maxpool2d",
        "flatten",
    }
    if len(activations) > 1:
        activations.discard(
            "identity"
        )  # a Dropout beside the activation changes nothing
    document: dict[str, Any] = {
        "format": _FORMAT,
        "version": 1,
        "input_shape": input_shape,
        "sizes": [int(np.prod(input_shape))]
        + [int(np.prod(e["output_shape"])) for e in sequence if "layer" in e],
        "activation": activations.pop()
        if len(activations) == 1
        else "identity"
        if not activations
        else None,
        "output": "logits",
        "computation": _COMPUTATION,
        "encoding": _ENCODING,
        "input": description,
        "sequence": sequence,
        "operations": {
            kind: NETWORK_JSON_LAYERS[kind]
            for kind in dict.fromkeys(e["type"] for e in sequence)
        },
        "layers": [
            {
                "weight": _encode(m.weight.detach().cpu()),
                "bias": _encode(m.bias.detach().cpu()),
            }
            for m in layers
        ],
    }
    if examples is not None:
        document["examples"] = _examples(model, examples, input_shape)
    document["metadata"] = metadata
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, separators=(",", ":"), allow_nan=False))
    return document


def _examples(
    model: torch.nn.Module, examples: Any, input_shape: list[int]
) -> dict[str, Any]:
    """The ``examples`` entry of :func:`export_network_json`: inputs, labels and PyTorch's logits."""
    with needs("nnbook.widgets.export_network_json"):
        import torch

    inputs, labels = (
        examples
        if isinstance(examples, tuple) and len(examples) == 2
        else (examples, None)
    )
    if not isinstance(inputs, torch.Tensor) or (
        labels is not None and not isinstance(labels, torch.Tensor)
    ):
        raise TypeError(
            "examples must be a tensor of inputs or a pair (inputs, labels) of tensors"
        )
    n = int(np.prod(input_shape))
    if (
        inputs.ndim < 2
        or len(inputs) == 0
        or inputs[0].numel() != n
        or not inputs.is_floating_point()
    ):
        raise ValueError(
            f"examples must be floating-point inputs of shape (k, ...), k >= 1, with {n} values each, "
            f"got {inputs.dtype} of shape {tuple(inputs.shape)}"
        )
    if labels is not None and labels.shape != (len(inputs),):
        raise ValueError(
            f"examples: expected one label per input ({len(inputs)}), got shape {tuple(labels.shape)}"
        )
    flat = torch.from_numpy(
        as_real_array(inputs.reshape(len(inputs), n), "examples", dtype=np.float32)
    )
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            logits = model(flat.reshape(len(flat), *input_shape).to(device)).cpu()
    finally:
        model.train(was_training)
    entry: dict[str, Any] = {"inputs": _encode(flat), "logits": _encode(logits)}
    if labels is not None:
        entry["labels"] = [int(label) for label in labels]
    return entry
