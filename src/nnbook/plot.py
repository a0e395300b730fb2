"""The book's figure style and the figures that several chapters draw.

Call :func:`use_book_style` once at the top of a chapter; every figure after
it shares the same fonts, sizes and colours.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

__all__ = ["BOOK_STYLE", "COLORS", "image_grid", "use_book_style"]

#: The book's colour cycle (Okabe–Ito, readable by colour-blind readers).
COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")

#: Matplotlib settings of every figure in the book.
BOOK_STYLE: dict[str, Any] = {
    "figure.figsize": (6.4, 4.0),
    "figure.dpi": 100,
    "savefig.dpi": 150,
    "figure.autolayout": False,
    "figure.constrained_layout.use": True,
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.prop_cycle": mpl.cycler(color=list(COLORS)),
    "lines.linewidth": 1.8,
    "legend.frameon": False,
    "image.cmap": "gray_r",
    # Fixed salt and no dates, so two builds write identical SVG/PDF files.
    "svg.hashsalt": "nnbook",
    "pdf.compression": 6,
}


def use_book_style() -> None:
    """Apply the book's figure style to all figures drawn from now on."""
    mpl.rcParams.update(BOOK_STYLE)


def _as_images(images: Any) -> np.ndarray:
    """Return ``images`` as a float array of shape ``(N, H, W)``.

    Accepts NumPy arrays, PyTorch tensors and nested sequences, with or
    without a singleton channel axis (``(N, 1, H, W)``).
    """
    if hasattr(images, "detach"):  # a torch tensor, without importing torch
        images = images.detach().cpu().numpy()
    array = np.asarray(images)
    if array.ndim == 4 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 3:
        raise ValueError(
            f"images must have shape (N, H, W) or (N, 1, H, W), got shape {array.shape}"
        )
    if array.shape[0] == 0:
        raise ValueError("images must contain at least one image, got none")
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"images must be numeric, got dtype {array.dtype}")
    array = array.astype(float)
    if np.isnan(array).any():
        raise ValueError("images contain NaN values")
    return array


def image_grid(
    images: Any,
    labels: Sequence[Any] | None = None,
    predictions: Sequence[Any] | None = None,
    ncols: int = 10,
    size: float = 1.0,
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
        differs from the label is drawn in the book's warning colour.
    ncols
        Images per row.
    size
        Width and height of one image, in inches.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, with one axis per image (without ticks).
    """
    array = _as_images(images)
    n = array.shape[0]
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}")
    if not size > 0:
        raise ValueError(f"size must be positive, got {size!r}")
    for name, values in (("labels", labels), ("predictions", predictions)):
        if values is not None and len(values) != n:
            raise ValueError(f"{name} must have one entry per image ({n}), got {len(values)}")
    if predictions is not None and labels is None:
        raise ValueError("predictions need labels to compare with; pass labels too")

    ncols = min(int(ncols), n)
    nrows = -(-n // ncols)  # ceiling division
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
        ax.imshow(array[i], cmap="gray_r", interpolation="nearest")
        if labels is None:
            continue
        label = _plain(labels[i])
        if predictions is None:
            ax.set_title(str(label), fontsize=10)
        else:
            predicted = _plain(predictions[i])
            color = COLORS[1] if predicted != label else "black"
            ax.set_title(f"{label} → {predicted}", fontsize=10, color=color)
    return fig


def _plain(value: Any) -> Any:
    """Turn 0-d tensors and NumPy scalars into plain Python values."""
    return value.item() if hasattr(value, "item") else value
