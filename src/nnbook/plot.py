"""The book's figure style and the figures that several chapters draw.

Call :func:`use_book_style` once at the top of a chapter; every figure after
it shares the same fonts, sizes and colours. The style is drawn for the
book's pages: a figure at most :data:`FIGURE_WIDTH` inches wide is shown at
its natural size in the text column of a desktop browser, where text of
:data:`MIN_FONT_SIZE` points is as large as the body text (16 CSS pixels).
In a Jupyter kernel, figures are shown as SVG with their text kept as text.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from nnbook._checks import (
    as_real_array,
    check_bool,
    check_callable,
    check_int,
    check_nonnegative,
    check_positive,
    check_same_length,
    to_numpy,
)
from nnbook._optional import needs
from nnbook.history import History

__all__ = [
    "BOOK_STYLE",
    "COLORS",
    "FIGURE_WIDTH",
    "MIN_FONT_SIZE",
    "WARNING_TEXT",
    "confusion_counts",
    "confusion_matrix",
    "decision_boundary",
    "image_grid",
    "learning_curves",
    "most_confident_mistakes",
    "network_diagram",
    "use_book_style",
]

#: The book's colour cycle (Okabe–Ito, readable by colour-blind readers).
COLORS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#F0E442",
    "#000000",
)

#: Text in the book's warning colour, COLORS[1] darkened until it contrasts with
#: white by 5.2 to 1 (COLORS[1] itself reaches 3.9 to 1, too little for text).
WARNING_TEXT = "#B34E00"

#: Width, in inches, of a figure that fills the book's text column. The column
#: shows images up to 688 CSS pixels wide at desktop width (1280 pixels); an
#: SVG figure of 6.8 inches (653 pixels, 96 to the inch) is shown at its
#: natural size there, even in dark mode, which frames it with 8 more pixels
#: on each side. Wider figures are scaled down, and their text with them. A
#: box (an exercise's solution) leaves about 650 pixels: 6.4 inches fit there.
FIGURE_WIDTH = 6.8

#: The smallest font size of the book's figures, in points. It is 16 CSS pixels,
#: the size of the body text, in a figure shown at its natural size.
MIN_FONT_SIZE = 12

#: Matplotlib settings of every figure in the book.
BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (FIGURE_WIDTH, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    # Figures are cropped to what they draw (as Jupyter does) with a thin margin,
    # so a figure FIGURE_WIDTH wide stays within the column.
    "savefig.pad_inches": 0.04,
    "figure.autolayout": False,
    "figure.constrained_layout.use": True,
    "font.size": MIN_FONT_SIZE,
    "axes.titlesize": MIN_FONT_SIZE,
    "axes.labelsize": MIN_FONT_SIZE,
    "xtick.labelsize": MIN_FONT_SIZE,
    "ytick.labelsize": MIN_FONT_SIZE,
    "legend.fontsize": MIN_FONT_SIZE,
    "legend.title_fontsize": MIN_FONT_SIZE,
    "figure.titlesize": MIN_FONT_SIZE + 1,
    "figure.labelsize": MIN_FONT_SIZE,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS)),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "gray_r",
    # Images keep their pixels: an SVG embeds them unresampled, and the browser
    # draws each pixel as a sharp square at any zoom.
    "image.interpolation": "none",
    # SVG text stays text: sharp at any size, searchable, read by screen readers.
    "svg.fonttype": "none",
    # Fixed salt and no dates, so two builds write identical SVG/PDF files.
    "svg.hashsalt": "nnbook",
    "pdf.compression": 6,
}


def use_book_style() -> None:
    """Apply the book's figure style to all figures drawn from now on.

    In a Jupyter kernel it also shows figures as SVG, without a date in the
    file (so two builds write the same file), instead of as PNG.
    """
    mpl.rcParams.update(BOOK_STYLE)
    _show_figures_as_svg()


def _show_figures_as_svg() -> None:
    """Make IPython's inline backend show figures as SVG; outside IPython, nothing."""
    ipython = sys.modules.get("IPython")
    shell = None if ipython is None else ipython.get_ipython()
    if shell is None:
        return
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # an IPython without Jupyter's inline backend
        return
    set_matplotlib_formats("svg")  # SVG only: no PNG copy of each figure
    shell.display_formatter.formatters["image/svg+xml"].for_type(Figure, _figure_svg)


#: A font name alone in a style: matplotlib writes formulas' glyphs this way.
_LONE_FONT = re.compile(r"(font-family: '[^',;\"]+')(?=[;\"])")


def _figure_svg(fig: Figure) -> str | None:
    """The figure as Jupyter shows it (cropped to what it draws), as SVG text.

    The file has no date, so the same figure gives the same file; the glyphs
    of formulas, which matplotlib gives a single font, fall back to the
    reader's sans-serif font where that one is missing. ``None`` for an empty
    figure, as in Jupyter.
    """
    with needs("nnbook.plot.use_book_style"):
        from IPython.core.pylabtools import print_figure

    svg = print_figure(fig, "svg", metadata={"Date": None})
    return None if svg is None else _LONE_FONT.sub(r"\1, sans-serif", svg)


def _as_images(images: Any) -> np.ndarray:
    """Return ``images`` as a float array of shape ``(N, H, W)``.

    Accepts NumPy arrays, PyTorch tensors and nested sequences, with or
    without a singleton channel axis (``(N, 1, H, W)``).
    """
    array = as_real_array(images, "images", dtype=np.float64, nonempty=True)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(
            f"images must have shape (N, H, W) or (N, 1, H, W), got shape {array.shape}"
        )
    return array


def image_grid(
    images: Any,
    labels: Sequence[Any] | None = None,
    predictions: Sequence[Any] | None = None,
    ncols: int = 10,
    size: float | None = None,
) -> Figure:
    """Draw images in a grid, each titled with its label.

    Parameters
    ----------
    images
        ``N`` grey-scale images, shape ``(N, H, W)`` or ``(N, 1, H, W)``, as a
        NumPy array or PyTorch tensor. Each image is scaled on its own.
    labels
        Optional, one per image: shown as the image's title.
    predictions
        Optional, one per image: shown after the label; a prediction that
        differs from the label is drawn in :data:`WARNING_TEXT`.
    ncols
        Images per row.
    size
        Width and height of one image, in inches; default: a row as wide as
        :data:`FIGURE_WIDTH`, at most one inch per image.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axis per image (without ticks).
    """
    array = _as_images(images)
    n = array.shape[0]
    ncols = check_int(ncols, "ncols", minimum=1)
    if size is not None:
        size = check_positive(size, "size")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and not hasattr(values, "__len__"):
            raise TypeError(
                f"{name} must be a sequence with one entry per image, "
                f"got {type(values).__name__}"
            )
        if values is not None and len(values) != n:
            raise ValueError(
                f"{name} must have one entry per image ({n}), got {len(values)}"
            )
    if predictions is not None and labels is None:
        raise ValueError("predictions need labels to compare with; pass labels too")

    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)  # ceiling division
    if size is None:
        size = min(1.0, FIGURE_WIDTH / ncols)
    title_space = 0.3 if labels is not None else 0.0
    fig, axes = plt.subplots(
        nrows,
        ncols,
        figsize=(ncols * size, nrows * (size + title_space)),
        squeeze=False,
        layout="constrained",
    )
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i >= n:
            continue
        ax.imshow(array[i], cmap="gray_r", interpolation="none")
        if labels is None:
            continue
        label = _plain(labels[i])
        if predictions is None:
            ax.set_title(str(label), fontsize=MIN_FONT_SIZE)
        else:
            predicted = _plain(predictions[i])
            color = WARNING_TEXT if predicted != label else "black"
            ax.set_title(f"{label} → {predicted}", fontsize=MIN_FONT_SIZE, color=color)
    return fig


def _plain(value: Any) -> Any:
    """Turn 0-d tensors and NumPy scalars into plain Python values."""
    return value.item() if hasattr(value, "item") else value


def learning_curves(history: Any, title: str | None = None) -> Figure:
    """Plot loss and accuracy per epoch, for training and validation.

    Parameters
    ----------
    history
        A :class:`nnbook.history.History`, or a mapping with the lists
        ``train_loss`` and optionally ``val_loss``, ``train_accuracy``,
        ``val_accuracy``.
    title
        Optional title above both panels.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: loss (left) and accuracy (right), against the epoch.
    """
    if not isinstance(history, (History, Mapping)):
        raise TypeError(
            "history must be a nnbook.history.History or a dict of lists, "
            f"got {type(history).__name__}"
        )
    data = history.as_dict() if isinstance(history, History) else history
    # NaN (the accuracy of a regression) and infinity (a diverged loss) are
    # allowed: they are not drawn.
    curves = {
        key: as_real_array(data.get(key, []), f"history['{key}']", ndim=1, finite=False)
        for key in ("train_loss", "val_loss", "train_accuracy", "val_accuracy")
    }
    if curves["train_loss"].size == 0:
        raise ValueError("history must contain a non-empty 'train_loss' list")
    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(FIGURE_WIDTH, 3.2))
    for ax, metric in ((ax_loss, "loss"), (ax_accuracy, "accuracy")):
        for split, style in (("train", "-"), ("val", "--")):
            values = curves[f"{split}_{metric}"]
            if values.size and not np.isnan(values).all():
                epochs = np.arange(1, values.size + 1)
                ax.plot(
                    epochs,
                    values,
                    style,
                    marker="o",
                    markersize=3,
                    label="training" if split == "train" else "validation",
                )
        ax.set_xlabel("epoch")
        ax.set_ylabel(metric)
        if ax.lines:
            ax.legend()
    if title:
        fig.suptitle(title)
    return fig


def _class_labels(values: Any, name: str) -> np.ndarray:
    """``values`` as a 1-D array of class labels (integers >= 0), or a clear error."""
    labels = to_numpy(values)
    if labels.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer class labels, got dtype {labels.dtype}"
        )
    if labels.ndim != 1:
        raise ValueError(
            f"{name} must be 1-D (one label per example), got shape {labels.shape}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(f"{name} must be class labels >= 0, got {labels.min()}")
    return labels.astype(np.int64, copy=False)


def confusion_counts(
    y_true: Any, y_pred: Any, n_classes: int | None = None
) -> np.ndarray:
    """Count how often each true class (row) was predicted as each class (column).

    Parameters
    ----------
    y_true, y_pred
        Integer class labels, one per example.
    n_classes
        Number of classes; default: one more than the largest label seen.

    Returns
    -------
    numpy.ndarray
        An ``(n_classes, n_classes)`` integer matrix whose diagonal holds the
        correct predictions.
    """
    true, pred = _class_labels(y_true, "y_true"), _class_labels(y_pred, "y_pred")
    check_same_length(true, pred, "y_true", "y_pred")
    largest = int(max(true.max(initial=-1), pred.max(initial=-1)))
    n_classes = (
        largest + 1
        if n_classes is None
        else check_int(n_classes, "n_classes", minimum=1)
    )
    if largest >= n_classes:
        raise ValueError(f"labels must be below n_classes={n_classes}, got {largest}")
    return np.bincount(
        true * n_classes + pred, minlength=n_classes * n_classes
    ).reshape(n_classes, n_classes)


def confusion_matrix(
    y_true: Any, y_pred: Any, n_classes: int | None = None, normalize: bool = True
) -> Figure:
    """Draw the confusion matrix of a classifier.

    Parameters
    ----------
    y_true, y_pred, n_classes
        As in :func:`confusion_counts`.
    normalize
        If true, each row is divided by the number of examples of its class,
        so a cell reads "the fraction of class *i* predicted as *j*"; the cells
        are still annotated with counts.

    Returns
    -------
    matplotlib.figure.Figure
    """
    normalize = check_bool(normalize, "normalize")
    counts = confusion_counts(y_true, y_pred, n_classes)
    k = counts.shape[0]
    shown = (
        counts / np.maximum(counts.sum(axis=1, keepdims=True), 1)
        if normalize
        else counts
    )
    fig, ax = plt.subplots(figsize=(0.5 * k + 1.8, 0.5 * k + 1.2))
    image = ax.imshow(shown, cmap="Blues", vmin=0)
    ax.grid(False)
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    threshold = shown.max() / 2
    for i in range(k):
        for j in range(k):
            if counts[i, j]:
                ax.text(
                    j,
                    i,
                    str(counts[i, j]),
                    ha="center",
                    va="center",
                    fontsize=MIN_FONT_SIZE,
                    color="white" if shown[i, j] > threshold else "black",
                )
    fig.colorbar(
        image, ax=ax, label="fraction of the true class" if normalize else "count"
    )
    return fig


def most_confident_mistakes(probabilities: Any, labels: Any, k: int = 20) -> np.ndarray:
    """Return the indices of the ``k`` wrong predictions made with most confidence.

    Parameters
    ----------
    probabilities
        Predicted class probabilities (or logits: the order is the same),
        shape ``(N, n_classes)``, finite.
    labels
        True class labels, shape ``(N,)``.
    k
        How many to return at most.

    Returns
    -------
    numpy.ndarray
        Indices into the N examples, most confident mistake first.
    """
    scores = as_real_array(probabilities, "probabilities", ndim=2)
    truth = _class_labels(labels, "labels")
    check_same_length(scores, truth, "probabilities", "labels")
    if truth.size and truth.max() >= scores.shape[1]:
        raise ValueError(
            f"labels must be below the number of classes ({scores.shape[1]}), "
            f"got {truth.max()}"
        )
    k = check_int(k, "k", minimum=1)
    predicted = scores.argmax(axis=1)
    wrong = np.flatnonzero(predicted != truth)
    confidence = scores[wrong, predicted[wrong]]
    return wrong[np.argsort(-confidence, kind="stable")[:k]]


def _check_axes(ax: Any) -> None:
    if ax is not None and not isinstance(ax, Axes):
        raise TypeError(
            "ax must be matplotlib axes (or None for a new figure), "
            f"got {type(ax).__name__}"
        )


def decision_boundary(
    predict: Any,
    X: Any,
    y: Any,
    ax: Any = None,
    resolution: int = 200,
    padding: float = 0.5,
) -> Any:
    """Shade the plane by a binary classifier's output and draw its boundary.

    Parameters
    ----------
    predict
        A function from points of shape ``(m, 2)`` to the probability of
        class 1, shape ``(m,)`` or ``(m, 1)``.
    X, y
        The labelled points to show: shape ``(n, 2)`` and labels 0 or 1.
    ax
        The axes to draw on; default: a new figure's.
    resolution
        Grid points along each axis, 2 to 2000.
    padding
        Margin around the points, in data units.

    Returns
    -------
    matplotlib.axes.Axes
        With the shaded probability, the 0.5 contour in black, and the points.
    """
    from matplotlib.colors import LinearSegmentedColormap

    check_callable(predict, "predict")
    points = as_real_array(X, "X", dtype=np.float64, nonempty=True)
    if points.ndim != 2 or points.shape[1] != 2:
        raise ValueError(f"X must have shape (n, 2), got {points.shape}")
    labels = as_real_array(y, "y", ndim=1)
    check_same_length(points, labels, "X", "y")
    if not np.isin(labels, (0, 1)).all():
        raise ValueError(f"y must hold the labels 0 and 1, got {np.unique(labels)[:5]}")
    resolution = check_int(resolution, "resolution", minimum=2, maximum=2000)
    padding = check_nonnegative(padding, "padding")
    _check_axes(ax)
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    low, high = points.min(axis=0) - padding, points.max(axis=0) + padding
    g0, g1 = np.meshgrid(
        np.linspace(low[0], high[0], resolution),
        np.linspace(low[1], high[1], resolution),
    )
    probability = as_real_array(
        predict(np.column_stack([g0.ravel(), g1.ravel()])),
        "predict's result",
        finite=False,
    )
    if probability.size != g0.size:
        raise ValueError(
            "predict must return one probability per point, "
            f"got shape {probability.shape}"
        )
    probability = probability.reshape(g0.shape)
    colours = LinearSegmentedColormap.from_list(
        "two classes", [COLORS[0], "white", COLORS[1]]
    )
    # The shading is drawn as an image (small in an SVG), lines and points as lines.
    ax.contourf(
        g0,
        g1,
        probability,
        levels=np.linspace(0, 1, 11),
        cmap=colours,
        alpha=0.6,
        rasterized=True,
    )
    ax.contour(g0, g1, probability, levels=[0.5], colors="black", linewidths=1.2)
    for label, colour in ((0, COLORS[0]), (1, COLORS[1])):
        ax.scatter(
            *points[labels == label].T,
            s=10,
            color=colour,
            edgecolors="white",
            linewidths=0.3,
        )
    ax.set(xlim=(low[0], high[0]), ylim=(low[1], high[1]), aspect="equal")
    ax.grid(False)
    return ax


def network_diagram(
    network: Any, x: Any, ax: Any = None, max_width: float = 4.0
) -> Any:
    """Draw a small network as it processes one input.

    Each neuron is a circle shaded by its activation (the value is written in
    it); each connection is blue for a positive weight and orange for a
    negative one, as thick as the weight is large.

    Parameters
    ----------
    network
        An :class:`nnbook.network.Network` (anything with ``sizes``,
        ``weights`` of shape ``(n_in, n_out)`` and ``forward_layers``).
    x
        One input, shape ``(sizes[0],)``.
    ax
        The axes to draw on; default: a new figure's.
    max_width
        Line width of the largest weight.

    Returns
    -------
    matplotlib.axes.Axes
    """
    if not all(hasattr(network, a) for a in ("sizes", "weights", "forward_layers")):
        raise TypeError(
            "network must be an nnbook.network.Network "
            "(with sizes, weights and forward_layers), "
            f"got {type(network).__name__}"
        )
    max_width = check_positive(max_width, "max_width")
    _check_axes(ax)
    sizes = list(network.sizes)
    point = np.atleast_2d(as_real_array(x, "x", dtype=np.float64))
    if point.shape != (1, sizes[0]):
        raise ValueError(
            f"x must be one input of {sizes[0]} values, got shape {np.shape(x)}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(1.6 * len(sizes), 0.9 * max(sizes) + 0.6))
    _, activations = network.forward_layers(point)
    # Neuron 0 of each layer at the top, layers from left to right.
    positions = [
        np.column_stack([np.full(n, layer), np.linspace((n - 1) / 2, -(n - 1) / 2, n)])
        for layer, n in enumerate(sizes)
    ]
    largest = max(float(np.abs(w).max()) for w in network.weights) or 1.0
    for layer, w in enumerate(network.weights):
        for i in range(w.shape[0]):
            for j in range(w.shape[1]):
                ax.plot(
                    *np.transpose([positions[layer][i], positions[layer + 1][j]]),
                    zorder=1,
                    color=COLORS[0] if w[i, j] > 0 else COLORS[1],
                    lw=max_width * abs(w[i, j]) / largest,
                    alpha=0.7,
                )
    for where, values in zip(positions, activations):
        for (px, py), value in zip(where, np.asarray(values)[0]):
            ax.scatter(
                px,
                py,
                s=1300,
                c=[[value]],
                cmap="Greys",
                vmin=0,
                vmax=1.3,
                edgecolors="black",
                zorder=2,
            )
            ax.text(
                px,
                py,
                f"{value:.2f}",
                ha="center",
                va="center",
                fontsize=MIN_FONT_SIZE,
                zorder=3,
                color="white" if value > 0.6 else "black",
            )
    ax.set(
        xlim=(-0.4, len(sizes) - 0.6),
        ylim=(-max(sizes) / 2 - 0.2, max(sizes) / 2 + 0.2),
    )
    ax.set_axis_off()
    return ax
