"""nnbook.widgets: the element a widget is built in carries the chapter's values."""

from __future__ import annotations

import html
import json
import re

import numpy as np
import pytest

from nnbook.widgets import KINDS, widget, widget_html


def _attributes(markup: str) -> dict[str, str]:
    return {
        k: html.unescape(v)
        for k, v in re.findall(r' data-([a-z0-9-]+)="([^"]*)"', markup)
    }


def test_values_round_trip_through_the_attributes() -> None:
    image = np.arange(6).reshape(2, 3)
    markup = widget_html(
        "conv-stepper",
        title='Try "it" <now>',
        image=image.tolist(),
        stride=1,
        grid_names=["a", "b"],
    )
    attributes = _attributes(markup)
    assert attributes["nnbook-widget"] == "conv-stepper"
    assert (
        attributes["title"] == 'Try "it" <now>'
    )  # strings as they are, escaped in the markup
    assert json.loads(attributes["image"]) == image.tolist()
    assert json.loads(attributes["grid-names"]) == ["a", "b"]
    assert markup.startswith('<div class="nnbook-widget"') and markup.endswith(
        " hidden></div>"
    )
    assert "<now>" not in markup


def test_widget_is_displayable_html() -> None:
    assert widget("sigmoid-neuron", bias=1.5).data == widget_html(
        "sigmoid-neuron", bias=1.5
    )


@pytest.mark.parametrize(
    ("kind", "data", "error", "match"),
    [
        ("slider", {}, ValueError, "kind must be one of"),
        ("conv-stepper", {"Bad-Name": 1}, ValueError, "lower-case identifiers"),
        ("conv-stepper", {"x": float("nan")}, TypeError, "cannot be written as JSON"),
        ("conv-stepper", {"x": object()}, TypeError, "cannot be written as JSON"),
    ],
)
def test_bad_widgets_are_refused(kind, data, error, match) -> None:
    with pytest.raises(error, match=match):
        widget_html(kind, **data)


def test_every_kind_is_built_by_the_script() -> None:
    from conftest import ROOT

    script = (ROOT / "book" / "_static" / "widgets" / "nnbook-widgets.js").read_text()
    for kind in KINDS:
        assert f'"{kind}"' in script or f"'{kind}'" in script, (
            f"nnbook-widgets.js does not build {kind!r}"
        )
