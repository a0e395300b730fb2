"""nnbook.graph: the nodes and edges of a Value's graph, and its drawing."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pytest

from nnbook.autograd import Value
from nnbook.graph import draw_graph, trace


def test_trace_lists_nodes_and_edges() -> None:
    x = Value(2.0, "x")
    y = x * x + 1.0
    nodes, edges = trace(y)
    assert len(nodes) == 4  # x, the constant 1, x*x, the sum
    assert len(edges) == 4  # x twice into *, then * and 1 into +
    assert edges.count((x, y.parents[0])) == 2
    assert {node.op for node in nodes} == {"", "*", "+"}


def test_draw_graph_writes_data_and_grad_in_every_node() -> None:
    w, x, b = Value(-0.8, "w"), Value(1.5, "x"), Value(0.4, "b")
    d = (w * x + b).sigmoid() - 1.0
    loss = d * d
    loss.backward()
    ax = draw_graph(loss)
    texts = [t.get_text() for t in ax.texts]
    nodes, _ = trace(loss)
    for node in nodes:
        assert any(
            f"data {node.data:.3g}" in t and f"grad {node.grad:.3g}" in t for t in texts
        )
    for symbol in ("×", "+", "σ", "−"):
        assert symbol in texts
    assert any(t.startswith("w\n") for t in texts)
    ax.figure.canvas.draw()  # the arrows attach to the boxes when drawn
    plt.close(ax.figure)


def test_draw_graph_on_given_axes() -> None:
    fig, ax = plt.subplots()
    assert draw_graph(Value(1.0) ** 2, ax=ax) is ax
    plt.close(fig)


def test_trace_needs_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value, got float"):
        trace(1.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fmt", "error", "match"),
    [
        (
            None,
            TypeError,
            "fmt must be a format spec such as '.3g' \\(a string\\), got NoneType",
        ),
        (3, TypeError, "fmt must be a format spec .* got int"),
        (
            "abc",
            ValueError,
            "fmt must be a format spec for numbers such as '.3g', got 'abc'",
        ),
        (
            "d",
            ValueError,
            "fmt must be a format spec for numbers",
        ),  # integers only: the data are floats
    ],
)
def test_draw_graph_checks_the_format(fmt, error, match) -> None:
    with pytest.raises(error, match=match):
        draw_graph(Value(1.0) * 2, fmt=fmt)
    assert not plt.get_fignums()  # refused before any figure was made


def test_draw_graph_with_another_format() -> None:
    ax = draw_graph(Value(1.0, "x") * 2, fmt="+.2f")
    assert any("data +2.00" in t.get_text() for t in ax.texts)
    plt.close(ax.figure)


def test_draw_graph_needs_a_value() -> None:
    with pytest.raises(TypeError, match="root must be a Value, got str"):
        draw_graph("x")  # type: ignore[arg-type]


def test_draw_graph_downwards_puts_the_result_below_its_inputs() -> None:
    x, w = Value(1.5, "x"), Value(-0.8, "w")
    out = (w * x).tanh()
    out.label = "out"
    ax = draw_graph(out, direction="down", fontsize=12)
    boxes = {t.get_text().split("\n")[0]: t.get_position() for t in ax.texts}
    # Inputs on one level, side by side; each operation one level further down.
    assert boxes["x"][1] == boxes["w"][1] > boxes["out"][1]
    assert boxes["x"][0] != boxes["w"][0]
    assert {t.get_fontsize() for t in ax.texts if t.get_text()} == {12}
    # Three levels of at most two values: narrower than drawn to the right.
    across = draw_graph(out, fontsize=12)
    assert ax.figure.get_figwidth() < across.figure.get_figwidth()
    assert ax.figure.get_figheight() > across.figure.get_figheight()
    plt.close("all")


def test_draw_graph_text_follows_the_style() -> None:
    with matplotlib.rc_context({"font.size": 13}):
        ax = draw_graph(Value(1.0, "x") * 2)
    assert {t.get_fontsize() for t in ax.texts if t.get_text()} == {13}
    plt.close(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"direction": "up"}, ValueError, "direction must be one of 'right', 'down'"),
        ({"fontsize": 0}, ValueError, "fontsize must be a positive finite number"),
        ({"fontsize": "big"}, TypeError, "fontsize"),
    ],
)
def test_draw_graph_checks_direction_and_fontsize(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        draw_graph(Value(1.0) * 2, **kwargs)
    assert not plt.get_fignums()
