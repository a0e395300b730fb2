"""nnbook.plot: the book style and the image grid."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from nnbook.plot import (
    BOOK_STYLE,
    COLORS,
    FIGURE_WIDTH,
    MIN_FONT_SIZE,
    WARNING_TEXT,
    image_grid,
    use_book_style,
)


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
    assert matplotlib.colors.same_color(titles[1].get_color(), WARNING_TEXT)
    assert matplotlib.colors.same_color(titles[0].get_color(), "black")


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of a colour."""
    rgb = np.array(matplotlib.colors.to_rgb(colour))
    linear = np.where(rgb <= 0.03928, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
    return float(linear @ [0.2126, 0.7152, 0.0722])


def test_warning_text_is_readable_on_white() -> None:
    """WCAG AA asks 4.5:1 for text; the orange of the colour cycle has less."""
    white = _luminance("white")
    assert (white + 0.05) / (_luminance(WARNING_TEXT) + 0.05) >= 4.5
    assert (white + 0.05) / (_luminance(COLORS[1]) + 0.05) < 4.5


def test_style_makes_svg_with_text_and_fonts_of_body_size() -> None:
    """Text stays text in SVG, no smaller than MIN_FONT_SIZE, and the file is undated."""
    import io
    import re

    with matplotlib.rc_context():
        use_book_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1], label="line")
        ax.set(xlabel="x", ylabel="y", title="title")
        ax.legend()
        fig.suptitle("figure")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    svg = buffer.getvalue()
    sizes = [float(s) for s in re.findall(r"font-size: ([0-9.]+)px", svg)]
    assert len(sizes) >= 6 and min(sizes) >= MIN_FONT_SIZE
    assert "<text" in svg and "<dc:date>" not in svg
    assert fig.get_figwidth() == FIGURE_WIDTH


def test_grid_without_labels_has_no_titles() -> None:
    fig = image_grid(np.zeros((2, 3, 3)))
    assert [ax.get_title() for ax in fig.axes] == ["", ""]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        (
            {"images": np.zeros((3, 3))},
            ValueError,
            r"shape \(N, H, W\) or \(N, 1, H, W\)",
        ),
        ({"images": np.zeros((2, 3, 3, 3))}, ValueError, r"shape \(N, H, W\)"),
        (
            {"images": np.zeros((0, 3, 3))},
            ValueError,
            r"images must hold at least one value, got shape \(0, 3, 3\)",
        ),
        ({"images": np.full((1, 2, 2), np.nan)}, ValueError, "NaN"),
        ({"images": np.array([[["a"]]])}, TypeError, "images must hold real numbers"),
        (
            {"images": np.zeros((2, 3, 3)), "labels": [1]},
            ValueError,
            r"labels must have one entry per image \(2\), got 1",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "labels": [1, 2], "predictions": [1]},
            ValueError,
            "predictions must have one entry",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "predictions": [1, 2]},
            ValueError,
            "pass labels too",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "ncols": 0},
            ValueError,
            "ncols must be an integer >= 1, got 0",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "ncols": 2.5},
            TypeError,
            "ncols must be an integer, got float",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "size": 0},
            ValueError,
            "size must be a positive finite number, got 0.0",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "size": "1"},
            TypeError,
            "size must be a real number, got str",
        ),
        (
            {"images": np.zeros((2, 3, 3)), "labels": 3},
            TypeError,
            "labels must be a sequence with one entry per image",
        ),
        (
            {"images": np.zeros((2, 2, 3, 3))},
            ValueError,
            r"images must have shape \(N, H, W\) .* got shape \(2, 2, 3, 3\)",
        ),
    ],
)
def test_image_grid_rejects_bad_input(kwargs, error, match) -> None:
    with pytest.raises(error, match=match):
        image_grid(**kwargs)


# --- learning curves, confusion matrix, mistakes ------------------------------------


def test_learning_curves_plot_every_epoch() -> None:
    from nnbook.plot import learning_curves

    history = {
        "train_loss": [1.0, 0.5, 0.3],
        "val_loss": [1.1, 0.7, 0.6],
        "train_accuracy": [0.5, 0.8, 0.9],
        "val_accuracy": [0.4, 0.7, 0.8],
    }
    fig = learning_curves(history, title="run")
    loss_ax, accuracy_ax = fig.axes
    np.testing.assert_array_equal(loss_ax.lines[1].get_ydata(), [1.1, 0.7, 0.6])
    np.testing.assert_array_equal(accuracy_ax.lines[0].get_xdata(), [1, 2, 3])
    assert [t.get_text() for t in loss_ax.get_legend().get_texts()] == [
        "training",
        "validation",
    ]
    # Without validation or accuracy (regression), only the training loss is drawn.
    fig = learning_curves(
        {"train_loss": [2.0, 1.0], "train_accuracy": [float("nan")] * 2}
    )
    assert len(fig.axes[0].lines) == 1 and not fig.axes[1].lines
    with pytest.raises(ValueError, match="non-empty 'train_loss'"):
        learning_curves({"val_loss": [1.0]})


@pytest.mark.parametrize(
    ("history", "error", "match"),
    [
        (
            "abc",
            TypeError,
            "history must be a nnbook.history.History or a dict of lists, got str",
        ),
        (
            None,
            TypeError,
            "history must be a nnbook.history.History or a dict of lists, got NoneType",
        ),
        ([1.0, 0.5], TypeError, "history must be a nnbook.history.History .* got list"),
        (
            {"train_loss": "abc"},
            TypeError,
            r"history\['train_loss'\] must hold real numbers",
        ),
        (
            {"train_loss": [1.0], "val_loss": [[1.0]]},
            ValueError,
            r"history\['val_loss'\] must have 1 dimension",
        ),
    ],
)
def test_learning_curves_reject_what_is_not_a_history(history, error, match) -> None:
    from nnbook.plot import learning_curves

    with pytest.raises(error, match=match):
        learning_curves(history)


def test_learning_curves_of_a_history_record() -> None:
    """A History (here of a run that diverged: its last loss is infinite) is drawn as it is."""
    from nnbook.history import History
    from nnbook.plot import learning_curves

    fig = learning_curves(
        History(train_loss=[1.0, 0.5, float("inf")], train_accuracy=[0.5, 0.7, 0.1])
    )
    np.testing.assert_array_equal(fig.axes[0].lines[0].get_ydata(), [1.0, 0.5, np.inf])


def test_confusion_counts_by_hand() -> None:
    from nnbook.plot import confusion_counts

    counts = confusion_counts([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2])
    np.testing.assert_array_equal(counts, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert confusion_counts(
        torch.tensor([1]), torch.tensor([1]), n_classes=4
    ).shape == (4, 4)
    with pytest.raises(
        ValueError, match="y_true and y_pred must have the same length, got 2 and 1"
    ):
        confusion_counts([0, 1], [0])
    # n_classes smaller than the labels: refused, not a matrix that drops the large labels.
    with pytest.raises(ValueError, match="labels must be below n_classes=2, got 2"):
        confusion_counts([0, 2], [0, 1], n_classes=2)
    with pytest.raises(ValueError, match="labels must be below n_classes=2, got 3"):
        confusion_counts([0, 1], [0, 3], n_classes=2)
    with pytest.raises(
        TypeError, match="y_true must be integer class labels, got dtype float64"
    ):
        confusion_counts([0.5], [1.0])
    with pytest.raises(
        TypeError, match="y_pred must be integer class labels, got dtype <U3"
    ):
        confusion_counts([0], "abc")
    with pytest.raises(ValueError, match="y_true must be class labels >= 0, got -1"):
        confusion_counts([-1, 0], [0, 0])
    with pytest.raises(
        ValueError,
        match=r"y_pred must be 1-D \(one label per example\), got shape \(2, 1\)",
    ):
        confusion_counts([0, 1], [[0], [1]])
    with pytest.raises(TypeError, match="n_classes must be an integer, got str"):
        confusion_counts([0, 1], [0, 1], n_classes="3")
    with pytest.raises(ValueError, match="n_classes must be an integer >= 1, got 0"):
        confusion_counts(np.array([], dtype=int), np.array([], dtype=int), n_classes=0)


def test_confusion_matrix_figure_annotates_counts() -> None:
    from nnbook.plot import confusion_matrix

    fig = confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0])
    ax = fig.axes[0]
    np.testing.assert_allclose(ax.images[0].get_array(), [[0.5, 0.5], [1 / 3, 2 / 3]])
    assert sorted(t.get_text() for t in ax.texts) == ["1", "1", "1", "2"]
    counts = (
        confusion_matrix([0, 0, 1, 1, 1], [0, 1, 1, 1, 0], normalize=False)
        .axes[0]
        .images[0]
        .get_array()
    )
    np.testing.assert_array_equal(counts, [[1, 1], [1, 2]])
    with pytest.raises(TypeError, match="normalize must be True or False, got str"):
        confusion_matrix([0, 1], [0, 1], normalize="no")


def test_most_confident_mistakes() -> None:
    from nnbook.plot import most_confident_mistakes

    p = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7], [0.99, 0.01]])
    labels = np.array([1, 1, 1, 0, 0])
    # Wrong: 0 (conf 0.9), 2 (0.6), 3 (0.7); right: 1, 4.
    np.testing.assert_array_equal(most_confident_mistakes(p, labels), [0, 3, 2])
    np.testing.assert_array_equal(
        most_confident_mistakes(torch.tensor(p), torch.tensor(labels), k=1), [0]
    )
    with pytest.raises(
        ValueError, match=r"probabilities must have 2 dimension\(s\), got shape \(2,\)"
    ):
        most_confident_mistakes(p[0], labels)
    with pytest.raises(
        ValueError,
        match="probabilities and labels must have the same length, got 5 and 4",
    ):
        most_confident_mistakes(p, labels[:4])
    # NaN used to make every NaN row a "confident" mistake of class 0.
    with pytest.raises(
        ValueError, match="probabilities must not contain NaN or infinite values"
    ):
        most_confident_mistakes(np.where(p > 0.5, np.nan, p), labels)
    with pytest.raises(
        ValueError, match=r"labels must be below the number of classes \(2\), got 2"
    ):
        most_confident_mistakes(p, labels + 1)
    with pytest.raises(
        TypeError, match="labels must be integer class labels, got dtype float64"
    ):
        most_confident_mistakes(p, labels + 0.5)
    for k, error, match in (
        (0, ValueError, "k must be an integer >= 1, got 0"),
        (None, TypeError, "k must be an integer, got NoneType"),
    ):
        with pytest.raises(error, match=match):
            most_confident_mistakes(p, labels, k=k)


def test_decision_boundary_draws_the_half_contour() -> None:
    from nnbook.plot import decision_boundary

    X = np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    y = np.array([0, 1, 1])
    # Class 1 to the right of x0 = 0.25: the boundary is that vertical line.
    ax = decision_boundary(
        lambda p: 1 / (1 + np.exp(-50 * (p[:, 0] - 0.25))), X, y, resolution=101
    )
    from matplotlib.contour import ContourSet

    (boundary,) = [
        c
        for c in ax.collections
        if isinstance(c, ContourSet) and list(c.levels) == [0.5]
    ]
    vertices = np.concatenate(boundary.allsegs[0])
    np.testing.assert_allclose(vertices[:, 0], 0.25, atol=0.01)
    assert np.ptp(vertices[:, 1]) > 1.5  # it spans the plot from bottom to top
    with pytest.raises(ValueError, match=r"X must have shape \(n, 2\)"):
        decision_boundary(lambda p: p[:, 0], np.zeros((3, 3)), y)
    with pytest.raises(ValueError, match="one probability per point"):
        decision_boundary(lambda p: p, X, y)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"predict": None}, TypeError, "predict must be a function, got NoneType"),
        (
            {"X": np.array([[0.0, np.nan], [1.0, 0.0], [0.0, 1.0]])},
            ValueError,
            "X must not contain NaN",
        ),
        (
            {"X": np.zeros((0, 2)), "y": np.zeros(0, dtype=int)},
            ValueError,
            "X must hold at least one value",
        ),
        (
            {"y": np.array([0, 1])},
            ValueError,
            "X and y must have the same length, got 3 and 2",
        ),
        (
            {"y": np.array([0, 1, 2])},
            ValueError,
            r"y must hold the labels 0 and 1, got \[0\. 1\. 2\.\]",
        ),
        ({"resolution": 1}, ValueError, "resolution must be an integer >= 2, got 1"),
        (
            {"resolution": 10**6},
            ValueError,
            "resolution must be an integer <= 2000, got 1000000",
        ),
        ({"resolution": 2.5}, TypeError, "resolution must be an integer, got float"),
        (
            {"padding": -1.0},
            ValueError,
            "padding must be a finite number >= 0, got -1.0",
        ),
        ({"padding": None}, TypeError, "padding must be a real number, got NoneType"),
        (
            {"ax": "left"},
            TypeError,
            r"ax must be matplotlib axes \(or None for a new figure\), got str",
        ),
    ],
)
def test_decision_boundary_rejects_bad_input(kwargs, error, match) -> None:
    from nnbook.plot import decision_boundary

    valid = {
        "predict": lambda p: p[:, 0] > 0,
        "X": np.array([[-1.0, 0.0], [1.0, 0.0], [0.0, 1.0]]),
        "y": np.array([0, 1, 1]),
    }
    with pytest.raises(error, match=match):
        decision_boundary(**{**valid, **kwargs})


def test_network_diagram_shows_every_activation() -> None:
    from nnbook.network import Network
    from nnbook.plot import network_diagram

    network = Network([2, 3, 1], seed=0)
    ax = network_diagram(network, [0.5, -1.0])
    activations = network.forward_layers(np.array([[0.5, -1.0]]))[1]
    expected = [f"{v:.2f}" for layer in activations for v in np.asarray(layer)[0]]
    assert [t.get_text() for t in ax.texts] == expected
    assert len(ax.lines) == 2 * 3 + 3 * 1  # one line per weight
    with pytest.raises(ValueError, match="one input of 2 values"):
        network_diagram(network, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="x must not contain NaN"):
        network_diagram(network, [np.nan, 2.0])
    with pytest.raises(
        TypeError,
        match=r"network must be an nnbook.network.Network \(with sizes, weights and "
        r"forward_layers\), got str",
    ):
        network_diagram("network", [1.0, 2.0])
    with pytest.raises(
        ValueError, match="max_width must be a positive finite number, got 0.0"
    ):
        network_diagram(network, [1.0, 2.0], max_width=0)


def test_figure_svg_has_no_date_and_a_fallback_font_for_formulas() -> None:
    """What a chapter's kernel shows: the same file twice, formulas in any browser."""
    from nnbook.plot import _figure_svg

    with matplotlib.rc_context():
        use_book_style()
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, 1])
        ax.set(xlabel="$w_1$", ylabel="loss")
        first, second = _figure_svg(fig), _figure_svg(fig)
    assert first == second and "<dc:date>" not in first
    assert "font-family: 'DejaVu Sans', sans-serif" in first  # the formula's glyphs
    assert "font-family: 'DejaVu Sans'\"" not in first
    assert "font-family: 'DejaVu Sans';" not in first
    empty = plt.figure()
    assert _figure_svg(empty) is None
