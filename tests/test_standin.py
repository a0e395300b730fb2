"""tools/standin_mnist.py: a full-size MNIST made from a sample."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import write_idx
from nnbook.data import DataBudget, load_mnist
from standin_mnist import _SHIFTS, make_standin, read_idx, shift


@pytest.fixture
def sample(tmp_path):
    """A sample of 100 random 'digits' (10 per class) and 30 test ones."""
    rng = np.random.default_rng(5)
    root = tmp_path / "sample"
    raw = root / "MNIST" / "raw"
    arrays = {
        "train-images-idx3-ubyte": rng.integers(1, 256, size=(100, 28, 28)),
        "train-labels-idx1-ubyte": rng.permutation(np.arange(100) % 10),
        "t10k-images-idx3-ubyte": rng.integers(1, 256, size=(30, 28, 28)),
        "t10k-labels-idx1-ubyte": np.arange(30) % 10,
    }
    for name, array in arrays.items():
        write_idx(raw / name, array)
    return root, {name: read_idx(raw / name) for name in arrays}


def test_shift_moves_pixels_and_fills_with_background() -> None:
    image = np.arange(1, 10, dtype=np.uint8).reshape(1, 3, 3)
    np.testing.assert_array_equal(
        shift(image, 1, 0)[0], [[0, 0, 0], [1, 2, 3], [4, 5, 6]]
    )
    np.testing.assert_array_equal(
        shift(image, 0, -1)[0], [[2, 3, 0], [5, 6, 0], [8, 9, 0]]
    )
    np.testing.assert_array_equal(shift(image, 0, 0), image)


def test_standin_has_the_sizes_and_every_image_is_a_shifted_original(
    sample, tmp_path
) -> None:
    root, arrays = sample
    budget = DataBudget(train=100, test=30)
    out = make_standin(
        root, tmp_path / "big", {"train": 750, "t10k": 150}, budget=budget
    )
    train, test = load_mnist(out)  # torchvision reads the files
    assert (len(train), len(test)) == (750, 150)
    images, labels = (
        arrays["train-images-idx3-ubyte"],
        arrays["train-labels-idx1-ubyte"],
    )
    variants = {
        shift(images[i : i + 1], dy, dx).tobytes(): labels[i]
        for dy, dx in _SHIFTS
        for i in range(100)
    }
    for image, label in zip(train.data.numpy(), train.targets.numpy()):
        assert variants[image[None].tobytes()] == label
    # Each class keeps its share: 7.5 copies of each digit.
    np.testing.assert_allclose(
        np.bincount(train.targets.numpy()), 7.5 * np.bincount(labels), atol=1
    )


def test_the_budget_draws_the_distinct_originals(sample, tmp_path) -> None:
    root, arrays = sample
    budget = DataBudget(train=100, test=30, seed=3)
    out = make_standin(
        root, tmp_path / "big", {"train": 750, "t10k": 150}, budget=budget
    )
    train, test = load_mnist(out, budget=budget)
    for kept, split in ((train, "train"), (test, "t10k")):
        originals = arrays[f"{split}-images-idx3-ubyte"]
        # The budgeted subset is the sample itself, each digit once, in another order.
        assert sorted(image.tobytes() for image in kept.data.numpy()) == sorted(
            image.tobytes() for image in originals
        )
    assert not np.array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])


def test_too_large_a_standin_is_refused(sample, tmp_path) -> None:
    root, _ = sample
    with pytest.raises(ValueError, match="more than 9 copies"):
        make_standin(
            root,
            tmp_path / "big",
            {"train": 1000, "t10k": 30},
            budget=DataBudget(train=100, test=30),
        )
