"""nnbook.data: where MNIST is looked for, what happens when it is not there,
and the stratified train/validation split."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import ROOT, write_idx
from nnbook.data import (
    BOOK_BUDGET,
    MNIST_FILES,
    CorruptDataError,
    DataBudget,
    MissingDataError,
    book_budget,
    check_idx_file,
    default_data_root,
    load_mnist,
    stratified_split,
    to_tensors,
    train_validation_split,
    train_validation_test_split,
)

# --- loading what is on disk ----------------------------------------------


def test_load_mnist_returns_the_files_contents(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, test = load_mnist(root)
    assert len(train) == 30 and len(test) == 12
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(train.targets.numpy(), arrays["train-labels-idx1-ubyte"])
    np.testing.assert_array_equal(test.data.numpy(), arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"])


def test_default_transform_scales_pixels_to_unit_interval(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, _ = load_mnist(root)
    image, label = train[3]
    assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
    np.testing.assert_allclose(image[0].numpy(), arrays["train-images-idx3-ubyte"][3] / 255, atol=1e-7)
    assert label == arrays["train-labels-idx1-ubyte"][3]


def test_custom_transform_is_applied(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, _ = load_mnist(root, transform=lambda image: np.asarray(image).sum())
    assert train[0][0] == arrays["train-images-idx3-ubyte"][0].sum()


def test_root_comes_from_nnbook_data(tiny_mnist, monkeypatch) -> None:
    root, _ = tiny_mnist
    monkeypatch.setenv("NNBOOK_DATA", str(root))
    train, _ = load_mnist()
    assert Path(train.root) == root


def test_default_root_is_a_per_user_cache(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NNBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    root, source = default_data_root()
    assert root == tmp_path / "nnbook"
    assert "cache" in source
    monkeypatch.setenv("NNBOOK_DATA", "")  # empty counts as unset
    assert default_data_root()[0] == tmp_path / "nnbook"


def test_default_root_error_names_the_cache_folder(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("NNBOOK_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(MissingDataError) as error:
        load_mnist()
    assert str(tmp_path / "nnbook" / "MNIST" / "raw") in str(error.value)
    assert "per-user cache" in str(error.value)


def test_real_data_loads(mnist_root: Path) -> None:
    train, test = load_mnist(mnist_root)
    for split, prefix in ((train, "train"), (test, "t10k")):
        shape = check_idx_file(mnist_root / "MNIST" / "raw" / f"{prefix}-images-idx3-ubyte", ndim=3)
        assert tuple(split.data.shape) == shape
        assert split.data.dtype == torch.uint8
        assert set(split.targets.unique().tolist()) == set(range(10))


# --- missing, misplaced and corrupt data ------------------------------------


def test_missing_data_names_folder_and_fix(tmp_path) -> None:
    with pytest.raises(MissingDataError) as error:
        load_mnist(tmp_path)
    message = str(error.value)
    assert str(tmp_path / "MNIST" / "raw") in message
    assert "the root argument" in message
    for name in MNIST_FILES:
        assert name in message
    assert "NNBOOK_DATA" in message and "download=True" in message


def test_missing_data_is_a_file_not_found_error(tmp_path) -> None:
    with pytest.raises(FileNotFoundError):
        load_mnist(tmp_path)


def test_one_missing_file_is_named(tiny_mnist) -> None:
    root, _ = tiny_mnist
    (root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(MissingDataError, match=r"missing: t10k-labels-idx1-ubyte\."):
        load_mnist(root)


@pytest.mark.parametrize("too_deep", [("MNIST",), ("MNIST", "raw")])
def test_wrong_root_says_which_folder_to_pass(tiny_mnist, too_deep) -> None:
    root, _ = tiny_mnist
    wrong = root.joinpath(*too_deep)
    with pytest.raises(MissingDataError, match="pass the folder that contains MNIST/ as root") as error:
        load_mnist(wrong)
    assert f"The files are in {root / 'MNIST' / 'raw'}" in str(error.value)


def test_only_gzip_copies_says_to_decompress(tiny_mnist) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    for name in MNIST_FILES:
        with (raw / name).open("rb") as f, gzip.open(raw / f"{name}.gz", "wb") as g:
            shutil.copyfileobj(f, g)
        (raw / name).unlink()
    with pytest.raises(MissingDataError, match="gunzip"):
        load_mnist(root)


def test_truncated_file(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(CorruptDataError, match="is truncated") as error:
        load_mnist(root)
    assert str(path) in str(error.value)
    assert "NNBOOK_DATA" in str(error.value)


def test_file_shorter_than_its_header(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"\x00\x00")
    with pytest.raises(CorruptDataError, match="fewer than an IDX header"):
        load_mnist(root)


def test_file_longer_than_its_header(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    path.write_bytes(path.read_bytes() + b"\x00")
    with pytest.raises(CorruptDataError, match="longer than its header says"):
        load_mnist(root)


def test_gzip_data_under_the_plain_name(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(CorruptDataError, match="magic number is 1f8b") as error:
        load_mnist(root)
    assert "gzip" in str(error.value)


def test_images_of_the_wrong_size(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "train-images-idx3-ubyte", np.zeros((30, 32, 32)))
    with pytest.raises(CorruptDataError, match="32x32, expected 28x28"):
        load_mnist(root)


def test_image_and_label_counts_disagree(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(29))
    with pytest.raises(CorruptDataError, match="30 train images but 29 labels"):
        load_mnist(root)


def test_label_out_of_range(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte", np.full(12, 11))
    with pytest.raises(CorruptDataError, match="contains the label 11"):
        load_mnist(root)


def test_failed_download_gives_one_clear_error(tmp_path, monkeypatch) -> None:
    from torchvision import datasets

    # A closed port on this machine: the download fails at once, as it does
    # offline, without reaching the internet.
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    with pytest.raises(MissingDataError, match="the download failed") as error:
        load_mnist(tmp_path, download=True)
    assert str(tmp_path / "MNIST" / "raw") in str(error.value)


def test_download_is_skipped_when_files_exist(tiny_mnist, monkeypatch) -> None:
    from torchvision import datasets

    root, _ = tiny_mnist
    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    train, _ = load_mnist(root, download=True)
    assert len(train) == 30


def test_root_of_the_wrong_type() -> None:
    with pytest.raises(TypeError, match="root must be a path"):
        load_mnist(42)  # type: ignore[arg-type]


# --- the stratified split -----------------------------------------------------


def _labels(seed: int = 0) -> np.ndarray:
    # Unequal classes, as in MNIST: class c has 20 + 7c examples, shuffled.
    labels = np.repeat(np.arange(10), 20 + 7 * np.arange(10))
    return np.random.default_rng(seed).permutation(labels)


def test_split_partitions_the_indices() -> None:
    labels = _labels()
    train, validation = stratified_split(labels, 0.2, seed=0)
    assert np.all(np.diff(train) > 0) and np.all(np.diff(validation) > 0)
    np.testing.assert_array_equal(np.sort(np.concatenate([train, validation])), np.arange(labels.size))


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


@pytest.mark.parametrize(
    ("labels", "size", "error", "match"),
    [
        (np.array([0, 1, 2]), 0.0, ValueError, r"fraction must be in \(0, 1\)"),
        (np.array([0, 1, 2]), 1.0, ValueError, r"fraction must be in \(0, 1\)"),
        (np.array([0, 1, 2]), 3, ValueError, "count must be between 1 and 2"),
        (np.array([0, 1, 2]), 0, ValueError, "count must be between 1 and 2"),
        (np.array([0, 1, 2]), "half", TypeError, "validation_size must be"),
        (np.array([0, 1, 2]), True, TypeError, "validation_size must be"),
        (np.array([0.5, 1.0]), 0.5, TypeError, "labels must be integers"),
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
    with pytest.raises(ValueError, match=r"test_size as a fraction must be in \(0, 1\), got 1.5"):
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


def test_nnbook_download_enables_the_download(tmp_path, monkeypatch) -> None:
    from torchvision import datasets

    monkeypatch.setattr(datasets.MNIST, "mirrors", ["http://127.0.0.1:9/"])
    monkeypatch.setenv("NNBOOK_DOWNLOAD", "1")
    with pytest.raises(MissingDataError, match="the download failed"):
        load_mnist(tmp_path)
    # An explicit download=False wins over the environment.
    with pytest.raises(MissingDataError) as error:
        load_mnist(tmp_path, download=False)
    assert "the download failed" not in str(error.value)
    monkeypatch.setenv("NNBOOK_DOWNLOAD", "0")
    with pytest.raises(MissingDataError) as error:
        load_mnist(tmp_path)
    assert "the download failed" not in str(error.value)


# --- the book's data budget -------------------------------------------------


def test_budget_keeps_a_stratified_subset_in_file_order(tmp_path) -> None:
    labels = np.repeat(np.arange(10), 25)[np.random.default_rng(3).permutation(250)]
    images = np.arange(250)[:, None, None] * np.ones((1, 28, 28))  # image i is all i
    raw = tmp_path / "MNIST" / "raw"
    write_idx(raw / "train-images-idx3-ubyte", images)
    write_idx(raw / "train-labels-idx1-ubyte", labels)
    write_idx(raw / "t10k-images-idx3-ubyte", np.zeros((40, 28, 28)))
    write_idx(raw / "t10k-labels-idx1-ubyte", np.arange(40) % 10)
    train, test = load_mnist(tmp_path, budget=DataBudget(train=100, test=20, seed=1))
    assert len(train) == 100 and len(test) == 20
    # Every digit keeps its share: 10 of each of the 10 classes.
    np.testing.assert_array_equal(np.bincount(train.targets.numpy()), np.full(10, 10))
    np.testing.assert_array_equal(np.bincount(test.targets.numpy()), np.full(10, 2))
    # The images kept are the files' images, with their own labels, in the files' order.
    kept = train.data[:, 0, 0].numpy().astype(int)
    assert np.all(np.diff(kept) > 0)
    np.testing.assert_array_equal(train.targets.numpy(), labels[kept])
    # The same seed, the same subset; another seed, another one.
    again, _ = load_mnist(tmp_path, budget=DataBudget(train=100, test=20, seed=1))
    other, _ = load_mnist(tmp_path, budget=DataBudget(train=100, test=20, seed=2))
    assert torch.equal(again.data, train.data) and not torch.equal(other.data, train.data)


def test_budget_larger_than_the_data_keeps_everything(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, test = load_mnist(root, budget=DataBudget(train=30, test=1000))
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"])


def test_budgeted_sets_split_and_convert_like_whole_ones(tiny_mnist) -> None:
    root, _ = tiny_mnist
    train, _ = load_mnist(root, budget=DataBudget(train=20, test=10))
    fit_set, validation_set = train_validation_split(train, validation_size=0.1, seed=0)
    X, y = to_tensors(fit_set, flatten=True)
    assert X.shape == (18, 784) and len(validation_set) == 2
    np.testing.assert_array_equal(y.numpy(), train.targets.numpy()[fit_set.indices])


def test_book_budget_is_lifted_only_by_nnbook_full_data(monkeypatch) -> None:
    monkeypatch.delenv("NNBOOK_FULL_DATA", raising=False)
    assert book_budget() == BOOK_BUDGET
    for value, expected in (("", BOOK_BUDGET), ("0", BOOK_BUDGET), ("1", None)):
        monkeypatch.setenv("NNBOOK_FULL_DATA", value)
        assert book_budget() == expected
    monkeypatch.setenv("NNBOOK_FULL_DATA", "yes")
    with pytest.raises(ValueError, match="NNBOOK_FULL_DATA must be 1"):
        book_budget()


def test_the_book_budget_is_the_offline_sample_size() -> None:
    # The sizes the book is tested at (the offline sample, ../shared/data)
    # are the sizes it is published at.
    assert BOOK_BUDGET == DataBudget(train=8_000, test=2_000, seed=0)


@pytest.mark.parametrize(
    ("budget", "error", "match"),
    [
        ((8000, 2000), TypeError, "budget must be a DataBudget or None, got tuple"),
        (DataBudget(train=0, test=10), ValueError, r"budget.train must be an integer >= 1, got 0"),
        (DataBudget(train=10, test=2.5), TypeError, "budget.test must be an integer, got float"),
        (DataBudget(train=10, test=10, seed=-1), ValueError, r"budget.seed must be an integer >= 0, got -1"),
    ],
)
def test_bad_budgets_are_rejected(tiny_mnist, budget, error, match) -> None:
    root, _ = tiny_mnist
    with pytest.raises(error, match=match):
        load_mnist(root, budget=budget)


def test_every_chapter_loads_mnist_through_the_budget() -> None:
    # The published site is the tested site only if no chapter bypasses the
    # budget. Two calls may: the data chapter counting the files, and its
    # demonstration of a missing folder.
    allowed = {"available = load_mnist()  # the whole files, only to count them",
               'load_mnist(root="/no/such/folder")'}
    calls = [(path.name, line.strip()) for path in sorted((ROOT / "book").glob("*.md"))
             for line in path.read_text().splitlines() if "load_mnist(" in line and "`" not in line]
    assert calls, "no chapter loads MNIST?"
    bypassing = [(name, line) for name, line in calls if "budget=" not in line and line not in allowed]
    assert not bypassing, bypassing
