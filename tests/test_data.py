"""nnbook.data: where MNIST is looked for, what happens when it is not there,
the book's data budget and the conversion to tensors."""

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
    to_tensors,
)
from nnbook.splits import train_validation_split

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
