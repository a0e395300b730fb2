"""The elements that the book's in-page widgets build themselves in.

A chapter's hidden cell calls :func:`widget` with the chapter's own Python
objects (a neuron's weights, a loss's parameters, an image and a filter).
The result is an empty, hidden ``<div>`` whose data attributes carry those
values as JSON; the site's script (``book/_static/widgets/nnbook-widgets.js``)
turns it into sliders and plots. Because the numbers come from the executed
chapter, the page and the Python cannot drift apart. Without JavaScript the
element stays hidden and the chapter's static figure stands in.

The digit-drawing widget runs a network the MNIST lab trained:
:func:`export_mlp_json` writes a PyTorch MLP to a JSON file that a program
in any language (here the widget's JavaScript) can read and run without
PyTorch. This module imports PyTorch only when that function is called.
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

from nnbook._checks import as_real_array, check_choice, check_path
from nnbook._optional import needs

if TYPE_CHECKING:
    import torch

__all__ = ["KINDS", "MLP_JSON_ACTIVATIONS", "MNIST_INPUT", "export_mlp_json", "widget", "widget_html"]

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
            raise ValueError(f"widget parameter names must be lower-case identifiers, got {name!r}")
        text = value if isinstance(value, str) else _json_text(value, f"widget parameter {name!r}")
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


# --- the digit widget's network -----------------------------------------------------

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


def _mlp_structure(model: torch.nn.Module) -> tuple[list[torch.nn.Linear], str]:
    """Return the Linear layers of ``model`` and the name of its activation.

    ``model`` must be an MLP as :func:`nnbook.models.mlp` builds it.
    """
    with needs("nnbook.widgets.export_mlp_json"):
        from torch import nn

        from nnbook.models import ACTIVATION_MODULES

    expected = "an MLP as nnbook.models.mlp builds it (Flatten, then Linear layers with one activation between them)"
    if not isinstance(model, nn.Sequential):
        raise TypeError(f"model must be an nn.Sequential: export_mlp_json needs {expected}, got {type(model).__name__}")
    modules = list(model)
    if modules and isinstance(modules[0], nn.Flatten):
        modules = modules[1:]
    linears, between = modules[0::2], modules[1::2]
    if not linears or len(between) != len(linears) - 1 or not all(isinstance(m, nn.Linear) for m in linears):
        layers = ", ".join(type(m).__name__ for m in model)
        raise ValueError(f"export_mlp_json needs {expected}; this model has the layers {layers}")
    names = {cls: name for name, cls in ACTIVATION_MODULES.items()}
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
    model: torch.nn.Module,
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
        An MLP as :func:`nnbook.models.mlp` builds it: an ``nn.Sequential``
        of an optional ``Flatten``, then ``Linear`` layers with the same
        activation (one of :data:`MLP_JSON_ACTIVATIONS`) between them.
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
    check_path(path, "path")
    if input_description is not None and not isinstance(input_description, dict):
        raise TypeError(f"input_description must be a dict, got {type(input_description).__name__}")
    _json_text(input_description, "input_description")
    sizes = [linears[0].in_features] + [linear.out_features for linear in linears]
    for key, value in metadata.items():
        _json_text(value, f"metadata {key}={value!r}")
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


def _examples(model: torch.nn.Module, examples: Any, n_inputs: int) -> dict[str, Any]:
    """The ``examples`` entry of :func:`export_mlp_json`: inputs, labels and PyTorch's logits."""
    with needs("nnbook.widgets.export_mlp_json"):
        import torch

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
    flat = torch.from_numpy(as_real_array(inputs.reshape(len(inputs), n_inputs), "examples", dtype=np.float32))
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
