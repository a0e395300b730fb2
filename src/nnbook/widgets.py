"""The elements that the book's in-page widgets build themselves in.

A chapter's hidden cell calls :func:`widget` with the chapter's own Python
objects (a neuron's weights, a loss's parameters, an image and a filter).
The result is an empty, hidden ``<div>`` whose data attributes carry those
values as JSON; the site's script (``book/_static/widgets/nnbook-widgets.js``)
turns it into sliders and plots. Because the numbers come from the executed
chapter, the page and the Python cannot drift apart. Without JavaScript the
element stays hidden and the chapter's static figure stands in.

The self-check questions at the end of a chapter work the other way round:
:func:`self_check` writes them as a plain list that reads well without
JavaScript (each answer and its explanation behind "Show the answer"), and
the site's ``book/_static/selfcheck/nnbook-selfcheck.js`` turns each question
into a small form that checks the reader's answer. A number to compute is
given as the value the chapter's own code computed, so the checked answer
cannot drift from the text either.

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
import math
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnbook._checks import (
    as_real_array,
    check_choice,
    check_finite,
    check_int,
    check_nonnegative,
    check_path,
    check_sizes,
    check_text,
)
from nnbook._optional import needs

if TYPE_CHECKING:
    import torch

__all__ = [
    "KINDS",
    "MNIST_INPUT",
    "NETWORK_JSON_LAYERS",
    "Choice",
    "Number",
    "export_network_json",
    "self_check",
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
    return (
        f'<div class="nnbook-widget" data-nnbook-widget="{kind}"'
        f"{''.join(attributes)} hidden></div>"
    )


def _json_text(value: Any, what: str) -> str:
    """``value`` as JSON text, or a TypeError saying that ``what`` cannot be JSON."""
    try:
        return json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{what} cannot be written as JSON ({error}); "
            "use plain numbers, strings, lists and dicts"
        ) from None


def widget(kind: str, **data: Any) -> Any:
    """Return the widget's element for display in a notebook (an IPython ``HTML``)."""
    with needs("nnbook.widgets.widget"):
        from IPython.display import HTML

    return HTML(widget_html(kind, **data))


# --- self-check questions -----------------------------------------------------------

#: A ``$`` that opens or closes inline math (``\$`` is a dollar sign).
_DOLLAR = re.compile(r"(?<!\\)\$")
#: The letters of the options, as the list without JavaScript numbers them.
_LETTERS = "abcdefghijklmnopqrstuvwxyz"


def _math_text(value: object, name: str) -> str:
    """``value`` as question text, or raise: a non-empty str whose ``$`` pair up."""
    text = check_text(value, name)
    assert text is not None
    parts = _DOLLAR.split(text)
    if len(parts) % 2 == 0:
        raise ValueError(
            f"{name} has an unmatched $ (write math as $...$ and a dollar sign "
            f"as \\$), got {text!r}"
        )
    if any(not part.strip() for part in parts[1::2]):
        raise ValueError(f"{name} has empty math ($$ or $ $), got {text!r}")
    return text


def _inline_html(text: str) -> str:
    """Plain text as HTML, each ``$...$`` as the inline math MathJax typesets."""
    pieces = []
    for i, part in enumerate(_DOLLAR.split(text)):
        if i % 2:
            # The markup of Sphinx's own inline math, which MathJax typesets.
            tex = html.escape(f"\\({part}\\)")
            pieces.append(f'<span class="math notranslate nohighlight">{tex}</span>')
        else:
            pieces.append(html.escape(part.replace("\\$", "$")))
    return "".join(pieces)


def _plain_number(value: float, decimals: int | None = None) -> str:
    """A number as a reader writes it: no exponent, a real minus sign.

    With ``decimals`` it is rounded to that many places (trailing zeros
    dropped), numbers from 10,000 on get thousands separators.
    """
    if decimals is None:
        text = np.format_float_positional(value, trim="-")
    else:
        grouping = "," if abs(value) >= 10_000 else ""
        text = f"{value:{grouping}.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    return text.replace("-", "\N{MINUS SIGN}")


@dataclass(frozen=True)
class Choice:
    """A multiple-choice question of a chapter's self-check (see :func:`self_check`).

    Parameters
    ----------
    question
        The question, plain text (no Markdown), in which ``$...$`` encloses
        inline TeX math and ``\\$`` is a dollar sign.
    options
        The possible answers, written like the question: at least two, at
        most 26, all different.
    answer
        The index of the right option in ``options``, counted from 0.
    explanation
        Why the right option is right, written like the question; the
        reader sees it after answering.

    Raises
    ------
    TypeError
        If a text is not a str, ``options`` is not a list or tuple, or
        ``answer`` is not an int.
    ValueError
        If a text is empty or has an unmatched ``$``, ``options`` has fewer
        than two or repeated entries, or ``answer`` is not an index of it.
    """

    question: str
    options: Sequence[str]
    answer: int
    explanation: str

    def __post_init__(self) -> None:
        _math_text(self.question, "question")
        if not isinstance(self.options, (list, tuple)):
            raise TypeError(
                "options must be a list or tuple of str, "
                f"got {type(self.options).__name__}"
            )
        options = tuple(
            _math_text(option, f"options[{i}]") for i, option in enumerate(self.options)
        )
        if not 2 <= len(options) <= len(_LETTERS):
            raise ValueError(
                f"options must hold 2 to {len(_LETTERS)} answers, got {len(options)}"
            )
        if len(set(options)) < len(options):
            raise ValueError(f"options must all be different, got {list(options)}")
        object.__setattr__(self, "options", options)
        answer = check_int(self.answer, "answer", minimum=0, maximum=len(options) - 1)
        object.__setattr__(self, "answer", answer)
        _math_text(self.explanation, "explanation")

    def _html(self) -> str:
        options = "".join(
            f'<li class="nnbook-selfcheck-option">{_inline_html(option)}</li>'
            for option in self.options
        )
        letter = _LETTERS[self.answer]
        letter = f'<span class="nnbook-selfcheck-letter">({letter})</span>'
        return _question_html(
            self,
            f'data-kind="choice" data-answer="{self.answer}"',
            f'<ol class="nnbook-selfcheck-options" type="a">{options}</ol>',
            f"{letter} {_inline_html(self.options[self.answer])}",
        )


@dataclass(frozen=True)
class Number:
    """A self-check question whose answer is a number (see :func:`self_check`).

    Parameters
    ----------
    question
        The question, plain text (no Markdown), in which ``$...$`` encloses
        inline TeX math and ``\\$`` is a dollar sign.
    answer
        The right answer: a finite real number, best the value the chapter's
        own code computed.
    tolerance
        How far (absolutely) a reader's answer may be from ``answer`` and
        still count as right: ``abs(given - answer) <= tolerance``. It also
        sets how many decimals the answer is shown with. 0 only for a whole
        number.
    explanation
        How to get the answer, written like the question; the reader sees it
        after answering.
    unit
        The unit of the answer, shown after it (``"%"``, ``"s"``), or None.

    Raises
    ------
    TypeError
        If a text is not a str (the unit not a str or None), or ``answer`` or
        ``tolerance`` is not a real number.
    ValueError
        If a text is empty or has an unmatched ``$``, ``answer`` is not
        finite, or ``tolerance`` is negative, not finite, or 0 for an
        answer that is not a whole number.
    """

    question: str
    answer: float
    tolerance: float
    explanation: str
    unit: str | None = None

    def __post_init__(self) -> None:
        _math_text(self.question, "question")
        answer = check_finite(self.answer, "answer")
        tolerance = check_nonnegative(self.tolerance, "tolerance")
        if tolerance == 0 and answer != round(answer):
            raise ValueError(
                "tolerance must be > 0 unless the answer is a whole number, "
                f"got 0 for the answer {answer!r}"
            )
        object.__setattr__(self, "answer", answer)
        object.__setattr__(self, "tolerance", tolerance)
        _math_text(self.explanation, "explanation")
        check_text(self.unit, "unit", allow_none=True)

    def _html(self) -> str:
        # Enough decimals that the answer shown is itself within the tolerance.
        decimals = 0
        if self.tolerance:
            decimals = max(0, math.ceil(-math.log10(self.tolerance)))
        unit = f" {html.escape(self.unit)}" if self.unit else ""
        if self.tolerance:
            hint = (
                f"Any answer within \N{PLUS-MINUS SIGN}"
                f"{_plain_number(self.tolerance)}{unit} of the right value counts."
            )
        else:
            hint = "Give the exact whole number."
        data = (
            f'data-kind="number" data-answer="{self.answer!r}" '
            f'data-tolerance="{self.tolerance!r}"'
        )
        if self.unit:
            data += f' data-unit="{html.escape(self.unit)}"'
        return _question_html(
            self,
            data,
            f'<p class="nnbook-selfcheck-hint">{hint}</p>',
            f"{_plain_number(self.answer, decimals)}{unit}",
        )


def _question_html(
    question: Choice | Number, data: str, middle: str, solution: str
) -> str:
    """One question as a list item: the question, ``middle``, and the answer."""
    return (
        f'<li class="nnbook-selfcheck-question" {data}>'
        f'<p class="nnbook-selfcheck-text">{_inline_html(question.question)}</p>'
        f"{middle}"
        '<details class="nnbook-selfcheck-answer"><summary>Show the answer</summary>'
        f'<p class="nnbook-selfcheck-solution">The answer: {solution}</p>'
        '<p class="nnbook-selfcheck-explanation">'
        f"{_inline_html(question.explanation)}</p>"
        "</details></li>"
    )


def _self_check_html(
    questions: Sequence[Choice | Number], title: str | None = "Check yourself"
) -> str:
    """The HTML that :func:`self_check` displays."""
    if not isinstance(questions, (list, tuple)):
        raise TypeError(
            "questions must be a list or tuple of Choice and Number questions, "
            f"got {type(questions).__name__}"
        )
    if not questions:
        raise ValueError("questions must hold at least one question, got none")
    for i, question in enumerate(questions):
        if not isinstance(question, (Choice, Number)):
            raise TypeError(
                f"questions[{i}] must be a Choice or a Number, "
                f"got {type(question).__name__}"
            )
    title = check_text(title, "title", allow_none=True)
    heading = (
        f'<p class="nnbook-selfcheck-title">{html.escape(title)}</p>' if title else ""
    )
    items = "".join(question._html() for question in questions)
    return (
        f'<div class="nnbook-selfcheck" data-nnbook-selfcheck="{len(questions)}">'
        f'{heading}<ol class="nnbook-selfcheck-questions">{items}</ol></div>'
    )


def self_check(
    questions: Sequence[Choice | Number], title: str | None = "Check yourself"
) -> None:
    """Show a chapter's self-check questions (in a notebook, or on the book's page).

    Without JavaScript (and in Jupyter) the questions are a numbered list,
    each with its options and a "Show the answer" that reveals the answer and
    its explanation. On the book's site, ``nnbook-selfcheck.js`` turns every
    question into a small form: radio buttons or a number field, a "Check"
    button, and the verdict ("Correct" or "Not quite") with the explanation.

    Parameters
    ----------
    questions
        The questions, in order: a list or tuple of :class:`Choice` and
        :class:`Number`.
    title
        A line above the questions, or None for none (below a heading that
        says it already).

    Raises
    ------
    TypeError
        If ``questions`` is not a list or tuple of questions, or ``title`` is
        not a str or None.
    ValueError
        If ``questions`` is empty or ``title`` is an empty str.

    Examples
    --------
    In a chapter's hidden cell (tag ``remove-input``), with numbers the
    chapter computed::

        self_check([
            Choice("Which set chooses the learning rate?",
                   options=["the training set", "the validation set",
                            "the test set"],
                   answer=1, explanation="The test set is used once, at the end."),
            Number("How many parameters has a 784-30-10 network?",
                   answer=net.num_parameters, tolerance=0,
                   explanation="784 × 30 weights and 30 biases, 30 × 10 and 10."),
        ])
    """
    markup = _self_check_html(questions, title)
    with needs("nnbook.widgets.self_check"):
        from IPython.display import HTML, display

    display(HTML(markup))


# --- the digit widget's networks ----------------------------------------------------

#: The layers :func:`export_network_json` can write, by the name the file gives
#: them, with what a reader of the file computes for each. ``a`` is the layer's
#: input: a vector, or an array of shape ``[channels, height, width]``.
NETWORK_JSON_LAYERS: dict[str, str] = {
    "linear": (
        "z[i] = bias[i] + sum over j of weight[i, j] * a[j]; "
        "weight has shape [n_out, n_in]"
    ),
    "conv2d": (
        "z[o, r, c] = bias[o] + sum over i, p, q of weight[o, i, p, q] * "
        "x[i, stride[0] * r + p, stride[1] * c + q], "
        "where x is a with padding[0] rows and padding[1] columns of zeros "
        "added on each side; "
        "weight has shape [c_out, c_in, kernel height, kernel width]"
    ),
    "maxpool2d": (
        "z[c, r, s] = the largest a[c, stride[0] * r + p, stride[1] * s + q] "
        "over 0 <= p < kernel_size[0], 0 <= q < kernel_size[1]"
    ),
    "flatten": (
        "z = the values of a in row-major order: "
        "[channels, height, width] becomes one vector"
    ),
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
        "centre of mass in the 28 x 28 image; a drawn digit should be prepared the "
        "same way."
    ),
}

_FORMAT = "nnbook-network"
_ENCODING = (
    "every array is an object {shape, dtype, data}: data is base64 of the array's "
    "little-endian float32 bytes, in row-major order (the last index varies fastest)"
)
_COMPUTATION = (
    "a = the input, of shape input_shape (its values in row-major order); "
    "for each entry of sequence in order, a = that layer applied to a, as the "
    "operations field says; a layer with weights uses layers[entry.layer]; "
    "output_shape is the shape of its result. "
    "The last a are the logits; softmax(logits) gives the class probabilities."
)


def _encode(array: Any) -> dict[str, Any]:
    """An array as ``{shape, dtype, data}``, ``data`` the base64 of its float32s."""
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
    """Describe ``model`` layer by layer.

    Return its input shape, the file's ``sequence``, and its weighted layers.

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
            f"model must be an nn.Sequential of the layers {known}, "
            f"got {type(model).__name__}"
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
                "input_description['image_shape'] must be [height, width], "
                f"got {image_shape}"
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
                    f"{where} must flatten all but the batch dimension "
                    "(start_dim=1, end_dim=-1)"
                )
            entry, shape = {"type": "flatten"}, [int(np.prod(shape))]
        elif isinstance(m, nn.Linear):
            if shape != [m.in_features]:
                hint = " (put an nn.Flatten before it)" if len(shape) > 1 else ""
                raise ValueError(
                    f"{where} takes {m.in_features} inputs but gets values of "
                    f"shape {shape}{hint}"
                )
            entry, shape = {"type": "linear", "layer": len(layers)}, [m.out_features]
        elif isinstance(m, nn.Conv2d):
            if len(shape) != 3 or shape[0] != m.in_channels:
                raise ValueError(
                    f"{where} takes {m.in_channels} channels but gets values of "
                    f"shape {shape}"
                )
            if (
                m.groups != 1
                or _pair(m.dilation) != [1, 1]
                or m.padding_mode != "zeros"
            ):
                raise ValueError(
                    f"{where}: the format knows convolutions with groups=1, "
                    "dilation=1 and zero padding"
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
                    f"{where}: padding='same' with an even kernel pads unevenly, "
                    "which the format cannot say"
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
                    f"{where} needs values of shape [channels, height, width], "
                    f"gets {shape}"
                )
            if (
                _pair(m.padding) != [0, 0]
                or _pair(m.dilation) != [1, 1]
                or m.ceil_mode
                or m.return_indices
            ):
                raise ValueError(
                    f"{where}: the format knows max pooling without padding, "
                    "dilation or ceil_mode"
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
                    f"{where} has no bias; the format needs one in every Linear "
                    "and Conv2d layer"
                )
            layers.append(m)
        if min(shape) < 1:
            raise ValueError(
                f"{where} gets an input too small for it: its output would have "
                f"shape {shape}"
            )
        entry["output_shape"] = list(shape)
        sequence.append(entry)
    if len(shape) != 1:
        raise ValueError(
            "model must end with a vector of logits; its last layer gives "
            f"shape {shape}"
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
      file can test its own forward pass (the digit widget also offers
      labelled 28 × 28 examples as test digits to load and edit);
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
    """The ``examples`` entry of :func:`export_network_json`.

    The inputs, the labels and the logits PyTorch computes for them.
    """
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
            "examples must be floating-point inputs of shape (k, ...), k >= 1, "
            f"with {n} values each, got {inputs.dtype} of shape {tuple(inputs.shape)}"
        )
    if labels is not None and labels.shape != (len(inputs),):
        raise ValueError(
            f"examples: expected one label per input ({len(inputs)}), "
            f"got shape {tuple(labels.shape)}"
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
