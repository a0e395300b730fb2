"""The elements that the book's in-page widgets build themselves in.

A chapter's hidden cell calls :func:`widget` with the chapter's own Python
objects (a neuron's weights, a loss's parameters, an image and a filter).
The result is an empty, hidden ``<div>`` whose data attributes carry those
values as JSON; the site's script (``book/_static/widgets/nnbook-widgets.js``)
turns it into sliders and plots. Because the numbers come from the executed
chapter, the page and the Python cannot drift apart. Without JavaScript the
element stays hidden and the chapter's static figure stands in.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["KINDS", "widget", "widget_html"]

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
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    attributes = []
    for name, value in data.items():
        if not re.fullmatch(r"[a-z][a-z0-9_]*", name):
            raise ValueError(f"widget parameter names must be lower-case identifiers, got {name!r}")
        try:
            text = value if isinstance(value, str) else json.dumps(value, allow_nan=False)
        except (TypeError, ValueError) as error:
            raise TypeError(f"widget parameter {name!r} cannot be written as JSON: {error}") from error
        attributes.append(f' data-{name.replace("_", "-")}="{html.escape(text)}"')
    return f'<div class="nnbook-widget" data-nnbook-widget="{kind}"{"".join(attributes)} hidden></div>'


def widget(kind: str, **data: Any) -> Any:
    """Return the widget's element for display in a notebook (an IPython ``HTML``)."""
    from IPython.display import HTML

    return HTML(widget_html(kind, **data))
