"""nnbook.splits: stratified splits of labels and of torch datasets."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook.data import load_mnist
from nnbook.splits import (
    stratified_split,
    train_validation_split,
    train_validation_test_split,
)

# --- stratified_split ---------------------------------------------------------


def _labels(seed: int = 0) -> np.ndarray:
    # Unequal classes, as in MNIST: class c has 20 + 7c examples, shuffled.
    labels = np.repeat(np.arange(10), 20 + 7 * np.arange(10))
    return np.random.default_rng(seed).permutation(labels)


def test_split_partitions_the_indices() -> None:
    labels = _labels()
    train, validation = stratified_split(labels, 0.2, seed=0)
    assert np.all(np.diff(train) > 0) and np.all(np.diff(validation) > 0)
    np.testing.assert_array_equal(
        np.sort(np.concatenate([train, validation])), np.arange(labels.size)
    )


@pytest.mark.parametrize("size", [0.1, 0.2, 0.37, 1, 57, 400])
def test_split_has_the_exact_size_and_class_shares(size) -> None:
    labels = _labels()
    n = labels.size
    _, validation = stratified_split(labels, size, seed=3)
    expected_total = size if isinstance(size, int) else round(size * n)
    assert validation.size == expected_total
    counts = np.bincount(labels, minlength=10)
    quota = counts * expected_total / n
    got = np.bincount(labels[validation], minlength=10)
    # Largest remainder: each class gets its quota rounded down or up.
    assert np.all(got >= np.floor(quota)) and np.all(got <= np.ceil(quota))


def test_split_is_fixed_by_the_seed() -> None:
    labels = _labels()
    a = stratified_split(labels, 0.25, seed=7)[1]
    b = stratified_split(labels, 0.25, seed=7)[1]
    c = stratified_split(labels, 0.25, seed=8)[1]
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)
    # A generator is drawn from, as an int seed's generator would be.
    np.testing.assert_array_equal(
        stratified_split(labels, 0.25, seed=np.random.default_rng(7))[1], a
    )


@pytest.mark.parametrize(
    ("seed", "error", "match"),
    [
        (-1, ValueError, "seed must be an integer >= 0, got -1"),
        (1.5, TypeError, "seed must be an int"),
    ],
)
def test_split_rejects_a_bad_seed(seed, error, match) -> None:
    with pytest.raises(error, match=match):
        stratified_split(_labels(), 0.25, seed=seed)


def test_split_without_a_seed_is_refused_not_fresh() -> None:
    # seed=None used to give a different split at every call; a fresh one is asked for with a generator.
    with pytest.raises(
        TypeError, match="seed must be an int or a numpy.random.Generator, got NoneType"
    ):
        stratified_split(_labels(), 0.3, seed=None)
    first = stratified_split(_labels(), 0.3)[
        1
    ]  # the default seed is 0: the same split every time
    np.testing.assert_array_equal(first, stratified_split(_labels(), 0.3)[1])
    assert (
        stratified_split(_labels(), 0.3, seed=np.random.default_rng())[1].size
        == first.size
    )


@pytest.mark.parametrize(
    ("labels", "size", "error", "match"),
    [
        (np.array([0, 1, 2]), 0.0, ValueError, r"fraction must be in \(0, 1\)"),
        (np.array([0, 1, 2]), 1.0, ValueError, r"fraction must be in \(0, 1\)"),
        (np.array([0, 1, 2]), 3, ValueError, "count must be between 1 and 2"),
        (np.array([0, 1, 2]), 0, ValueError, "count must be between 1 and 2"),
        (
            np.array([0, 1, 2]),
            "half",
            TypeError,
            r"sizes\[0\] must be a float fraction or an int count",
        ),
        (np.array([0, 1, 2]), True, TypeError, r"sizes\[0\] must be"),
        (np.array([0.5, 1.0]), 0.5, TypeError, "labels must be integers"),
        (
            np.array([0, 1, -1, 2]),
            0.5,
            ValueError,
            "labels must be class labels >= 0, got -1",
        ),
        (
            np.array([0, 1, 2]),
            np.nan,
            ValueError,
            r"sizes\[0\] as a fraction must be in \(0, 1\), got nan",
        ),
        (np.zeros((2, 2), dtype=int), 0.5, ValueError, "non-empty 1-D"),
        (np.array([], dtype=int), 0.5, ValueError, "non-empty 1-D"),
    ],
)
def test_split_rejects_bad_input(labels, size, error, match) -> None:
    with pytest.raises(error, match=match):
        stratified_split(labels, size)


@pytest.mark.parametrize("sizes", [(0.1, 0.2), (0.3, 0.3, 0.3), (50, 0.25), (1, 1)])
def test_split_into_several_parts_is_a_partition(sizes) -> None:
    labels = _labels(seed=2)
    n = labels.size
    parts = stratified_split(labels, *sizes, seed=5)
    assert len(parts) == 1 + len(sizes)
    # No index is in two parts, and every index is in one.
    together = np.concatenate(parts)
    assert together.size == n and np.unique(together).size == n
    counts = np.bincount(labels, minlength=10)
    for part, size in zip(parts[1:], sizes):
        expected = size if isinstance(size, int) else round(size * n)
        assert part.size == expected
        got = np.bincount(labels[part], minlength=10)
        quota = counts * expected / n
        assert np.all(np.abs(got - quota) < 1 + 1e-9)


def test_split_parts_leave_room_for_training() -> None:
    with pytest.raises(ValueError, match="leave none for training"):
        stratified_split(np.arange(10) % 2, 0.5, 0.5)
    with pytest.raises(TypeError, match="at least one part size"):
        stratified_split(np.arange(10) % 2)


def test_split_with_a_tiny_class_stays_exact() -> None:
    # One example of class 9: the parts' rounding must not take it twice.
    labels = np.concatenate([np.zeros(50, dtype=int), [9]])
    train, validation, test = stratified_split(labels, 20, 20, seed=0)
    assert (train.size, validation.size, test.size) == (11, 20, 20)
    assert np.unique(np.concatenate([train, validation, test])).size == labels.size
    # Ties go to class 0 until it runs out; the fourth part must then take
    # from class 1 instead of coming up short.
    parts = stratified_split(np.array([0, 0, 0, 1, 1, 1]), 1, 1, 1, 1, 1, seed=0)
    assert [p.size for p in parts] == [1, 1, 1, 1, 1, 1]
    assert np.unique(np.concatenate(parts)).size == 6


def test_three_way_split_of_a_dataset(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, _ = load_mnist(root)
    parts = train_validation_test_split(train, validation_size=10, test_size=10, seed=1)
    assert [len(p) for p in parts] == [10, 10, 10]
    labels = arrays["train-labels-idx1-ubyte"]
    for part in parts:  # three of each digit: one in each part
        assert sorted(labels[part.indices].tolist()) == list(range(10))
    assert not set(parts[0].indices) & set(parts[1].indices)
    assert not set(parts[1].indices) & set(parts[2].indices)
    assert not set(parts[0].indices) & set(parts[2].indices)


def test_three_way_split_names_the_bad_argument(tiny_mnist) -> None:
    root, _ = tiny_mnist
    train, _ = load_mnist(root)
    with pytest.raises(
        ValueError, match=r"test_size as a fraction must be in \(0, 1\), got 1.5"
    ):
        train_validation_test_split(train, validation_size=0.1, test_size=1.5)


def test_train_validation_split_on_mnist(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, _ = load_mnist(root)
    fit_set, validation_set = train_validation_split(train, validation_size=10, seed=0)
    assert len(fit_set) == 20 and len(validation_set) == 10
    # Three of each digit in the tiny set: one of each goes to validation.
    labels = arrays["train-labels-idx1-ubyte"]
    assert sorted(labels[validation_set.indices].tolist()) == list(range(10))
    image, label = validation_set[0]
    assert label == labels[validation_set.indices[0]]


def test_train_validation_split_needs_targets() -> None:
    with pytest.raises(TypeError, match="'targets' attribute"):
        train_validation_split([(0, 1), (1, 0)])  # type: ignore[arg-type]
