"""nnbook.plot: the book style and the image grid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from nnbook.plot import BOOK_STYLE, COLORS, image_grid, use_book_style


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_use_book_style_sets_every_setting() -> None:
    with matplotlib.rc_context():
        use_book_style()
        for key, value in BOOK_STYLE.items():
            if key == "axes.prop_cycle":
                assert matplotlib.rcParams[key].by_key()["color"] == list(COLORS)
            elif isinstance(value, tuple):  # matplotlib stores sequences as lists
                assert matplotlib.rcParams[key] == list(value), key
            else:
                assert matplotlib.rcParams[key] == value, key


def test_grid_has_one_titled_axis_per_image() -> None:
    images = np.arange(7 * 5 * 4).reshape(7, 5, 4)
    fig = image_grid(images, labels=list("abcdefg"), ncols=3)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(fig.axes) == 9  # 3 rows of 3, the last two empty
    assert [ax.get_title() for ax in shown] == list("abcdefg")
    np.testing.assert_array_equal(shown[2].images[0].get_array(), images[2])


def test_grid_accepts_torch_tensors_with_a_channel_axis() -> None:
    images = torch.rand(4, 1, 28, 28)
    fig = image_grid(images, labels=torch.tensor([3, 1, 4, 1]))
    assert [ax.get_title() for ax in fig.axes] == ["3", "1", "4", "1"]
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), images[1, 0].numpy())


def test_wrong_predictions_are_coloured() -> None:
    fig = image_grid(np.zeros((3, 2, 2)), labels=[1, 2, 3], predictions=[1, 5, 3])
    titles = [ax.title for ax in fig.axes]
    assert [t.get_text() for t in titles] == ["1 → 1", "2 → 5", "3 → 3"]
    assert matplotlib.colors.same_color(titles[1].get_color(), COLORS[1])
    assert matplotlib.colors.same_color(titles[0].get_color(), "black")


def test_grid_without_labels_has_no_titles() -> None:
    fig = image_grid(np.zeros((2, 3, 3)))
    assert [ax.get_title() for ax in fig.axes] == ["", ""]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"images": np.zeros((3, 3))}, ValueError, r"shape \(N, H, W\) or \(N, 1, H, W\)"),
        ({"images": np.zeros((2, 3, 3, 3))}, ValueError, r"shape \(N, H, W\)"),
        ({"images": np.zeros((0, 3, 3))}, ValueError, "at least one image"),
        ({"images": np.full((1, 2, 2), np.nan)}, ValueError, "NaN"),
        ({"images": np.array([[["a"]]])}, TypeError, "numeric"),
        ({"images": np.zeros((2, 3, 3)), "labels": [1]}, ValueError, r"labels must have one entry per image \(2\), got 1"),
        ({"images": np.zeros((2, 3, 3)), "labels": [1, 2], "predictions": [1]}, ValueError, "predictions must have one entry"),
        ({"images": np.zeros((2, 3, 3)), "predictions": [1, 2]}, ValueError, "pass labels too"),
        ({"images": np.zeros((2, 3, 3)), "ncols": 0}, ValueError, "ncols must be a positive integer"),
        ({"images": np.zeros((2, 3, 3)), "ncols": 2.5}, ValueError, "ncols must be a positive integer"),
        ({"images": np.zeros((2, 3, 3)), "size": 0}, ValueError, "size must be positive"),
    ],
)
def test_image_grid_rejects_bad_input(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        image_grid(**kwargs)
