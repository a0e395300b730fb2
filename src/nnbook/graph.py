"""Drawing the computational graph of a :class:`nnbook.autograd.Value`.

:func:`trace` lists the nodes and edges of the graph that a computation with
values has built, and :func:`draw_graph` draws it with matplotlib (imported
only when drawing): every value is a box with its ``data`` and ``grad``,
every operation a small circle, the inputs on the left and the result on
the right (or the inputs at the top and the result at the bottom). Drawing
after :meth:`Value.backward <nnbook.autograd.Value.backward>` shows how the
gradient flows back through the graph.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nnbook._checks import check_choice, check_positive
from nnbook.autograd import Value, topological_order

__all__ = ["draw_graph", "trace"]


def trace(root: Value) -> tuple[list[Value], list[tuple[Value, Value]]]:
    """Return the graph of ``root``: its nodes and its edges.

    Returns
    -------
    nodes : list of Value
        Every value ``root`` depends on, in
        :func:`~nnbook.autograd.topological_order`.
    edges : list of tuple
        One ``(parent, child)`` pair for each use of a value in an
        operation; a value used twice by the same operation (``x * x``)
        gives two equal pairs.
    """
    nodes = topological_order(root)
    edges = [(parent, node) for node in nodes for parent in node.parents]
    return nodes, edges


#: How operations are written in the drawings.
_OP_SYMBOLS = {
    "+": "+",
    "-": "−",
    "*": "×",
    "exp": "exp",
    "log": "log",
    "tanh": "tanh",
    "sigmoid": "σ",
    "relu": "ReLU",
}


def _op_symbol(op: str) -> str:
    if op.startswith("**"):
        return "^" + op[2:].replace("-", "−")
    return _OP_SYMBOLS.get(op, op)


def _layout(nodes: list[Value]) -> dict[Value, tuple[float, float]]:
    """Place each node in a column by its depth and spread each column in y.

    An operation's depth is the length of the longest path to it from a
    leaf; a leaf sits one column before the first operation that uses it, so
    that a constant used late is drawn next to where it is used.
    """
    depth: dict[Value, int] = {}
    for node in nodes:  # parents come first
        depth[node] = 1 + max((depth[p] for p in node.parents), default=-1)
    first_use: dict[Value, int] = {}
    for node in nodes:
        for parent in node.parents:
            first_use[parent] = min(first_use.get(parent, depth[node]), depth[node])
    for node in nodes:
        if not node.parents and node in first_use:
            depth[node] = first_use[node] - 1
    columns: dict[int, list[Value]] = {}
    for node in nodes:
        columns.setdefault(depth[node], []).append(node)
    position: dict[Value, tuple[float, float]] = {}
    for d in sorted(columns):
        column = columns[d]
        # Operations first, ordered by the mean height of their parents (which
        # keeps edges from crossing in small graphs), then the leaves.
        column.sort(
            key=lambda n: (
                not n.parents,
                -np.mean([position[p][1] for p in n.parents] or [0.0]),
            )
        )
        heights = np.linspace(
            (len(column) - 1) / 2, -(len(column) - 1) / 2, len(column)
        )
        for node, y in zip(column, heights):
            position[node] = (float(d), float(y))
    return position


def _check_format(fmt: object) -> str:
    """Return ``fmt`` if it formats a float (``".3g"``, ``"+.2f"`` ...), or raise."""
    if not isinstance(fmt, str):
        raise TypeError(
            "fmt must be a format spec such as '.3g' (a string), "
            f"got {type(fmt).__name__}"
        )
    try:
        format(0.5, fmt)
    except ValueError:
        raise ValueError(
            f"fmt must be a format spec for numbers such as '.3g', got {fmt!r}"
        ) from None
    return fmt


def draw_graph(
    root: Value,
    ax: Any = None,
    fmt: str = ".3g",
    node_color: str = "#DCEBF7",
    direction: str = "right",
    fontsize: float | None = None,
) -> Any:
    """Draw the computational graph of ``root`` with matplotlib.

    Every value is a box that shows its label (if it has one), its ``data``
    and its ``grad``; every operation is a small circle between the values it
    combines and the value it makes. Call
    :meth:`Value.backward <nnbook.autograd.Value.backward>` first to show
    gradients.

    Parameters
    ----------
    root
        The value at the end of the computation.
    ax
        The axes to draw on; default: a new figure's, sized to the graph.
    fmt
        The format of the numbers (a format spec such as ``".3g"``).
    node_color
        The fill colour of the boxes.
    direction
        ``"right"``: the inputs on the left, ``root`` on the right.
        ``"down"``: the inputs at the top, ``root`` at the bottom; a long
        chain of operations then fits a narrow column (or a phone).
    fontsize
        The size of the text, in points; default: matplotlib's ``font.size``.

    Returns
    -------
    matplotlib.axes.Axes
    """
    fmt = _check_format(fmt)
    direction = check_choice(direction, "direction", ("right", "down"))
    if fontsize is not None:
        fontsize = check_positive(fontsize, "fontsize")
    import matplotlib.pyplot as plt

    if fontsize is None:
        fontsize = float(plt.rcParams["font.size"])
    # Layout sizes (inches per step of the layout) grow with the text.
    scale = fontsize / 10
    down = direction == "down"

    nodes, _ = trace(root)
    position = _layout(nodes)
    n_columns = 1 + max(x for x, _ in position.values())
    tallest = max(
        sum(1 for x, _ in position.values() if x == c) for c in range(int(n_columns))
    )
    if down:
        # Depth runs down the page; the first node of a level is on the left.
        position = {node: (-y, -x) for node, (x, y) in position.items()}
    if ax is None:
        if down:
            size = (1.6 * scale * tallest + 0.4, scale * n_columns + 0.2)
        else:
            size = (1.6 * scale * n_columns + 0.4, 0.9 * scale * tallest + 0.6)
        _, ax = plt.subplots(figsize=size)
    if down:
        ax.set_xlim(-tallest / 2, tallest / 2)
        ax.set_ylim(-n_columns + 0.6, 0.4)
    else:
        ax.set_xlim(-0.6, n_columns - 0.4)
        ax.set_ylim(-tallest / 2, tallest / 2)
    ax.set_axis_off()

    # Where an arrow leaves a box or circle, and where it arrives (fractions of
    # the text's bounding box).
    leave, arrive = ((0.5, 0.0), (0.5, 1.0)) if down else ((1.0, 0.5), (0.0, 0.5))
    boxes = {}
    for node in nodes:
        lines = [node.label] if node.label else []
        lines += [f"data {node.data:{fmt}}", f"grad {node.grad:{fmt}}"]
        boxes[node] = ax.text(
            *position[node],
            "\n".join(lines),
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=3,
            bbox={
                "boxstyle": "round,pad=0.35",
                "fc": node_color,
                "ec": "0.3",
                "lw": 0.8,
            },
        )
    arrow = {
        "arrowstyle": "-|>",
        "color": "0.35",
        "lw": 0.8,
        "shrinkA": 1,
        "shrinkB": 1,
    }
    for node in nodes:
        if not node.parents:
            continue
        x, y = position[node]
        op = ax.text(
            *((x, y + 0.5) if down else (x - 0.45, y)),
            _op_symbol(node.op),
            ha="center",
            va="center",
            fontsize=fontsize,
            zorder=3,
            bbox={"boxstyle": "circle,pad=0.25", "fc": "white", "ec": "0.3", "lw": 0.8},
        )
        ax.annotate(
            "",
            xy=arrive,
            xycoords=boxes[node],
            xytext=leave,
            textcoords=op,
            arrowprops=arrow,
            zorder=2,
        )
        for k, parent in enumerate(node.parents):
            # A value used twice by one operation (x * x) gets two curved
            # edges; an edge that skips a level bends so as not to run
            # behind the boxes in between.
            skip = abs(y - position[parent][1]) if down else x - position[parent][0]
            if node.parents.count(parent) > 1:
                bend = (0.3 if k == 0 else -0.3) * (2.5 if down else 1.0)
            else:
                bend = 0.25 if skip > 1 else 0.0
            ax.annotate(
                "",
                xy=arrive,
                xycoords=op,
                xytext=leave,
                textcoords=boxes[parent],
                arrowprops={**arrow, "connectionstyle": f"arc3,rad={bend}"},
                zorder=2,
            )
    return ax
