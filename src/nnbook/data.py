"""The book's data set: MNIST through torchvision, within the book's data budget.

The MNIST files are read by :class:`torchvision.datasets.MNIST`; this module
decides *where* they are, checks them before torchvision does, and turns
every way of getting that wrong into one error that says where it looked
and how to fix it.

Where the data is looked for, in order:

1. the ``root`` argument of :func:`load_mnist`;
2. the ``NNBOOK_DATA`` environment variable;
3. a per-user cache folder (``~/.cache/nnbook`` on Linux).

Each is a folder in torchvision's layout, holding ``MNIST/raw/`` with the
four uncompressed IDX files. Nothing is downloaded unless you ask for it,
with ``download=True`` or the environment variable ``NNBOOK_DOWNLOAD=1``.

*What is checked.* Every file must be a complete IDX file of unsigned
bytes; the images must be 28×28, each set must have one label per image and
the labels must be digits 0-9. A download is checked by torchvision, which
compares each archive (``*.gz``) with its MD5 sum and keeps it next to the
files; wherever such an archive lies, the loader checks that the unpacked
file still holds what the archive holds. Files without an archive (the
offline sample, a data set of your own in MNIST's format) are checked for
their format only, since the official checksums describe the full MNIST.

*The book's data budget.* Every chapter trains on the same number of
images, whatever data set the build finds: :data:`BOOK_BUDGET`, a
stratified, seeded subset of each official set (:func:`load_mnist` with
``budget=``). A build from the full MNIST and a build from a smaller
offline sample thus do the same work and check the same claims.
:func:`book_budget` returns it, or ``None`` when ``NNBOOK_FULL_DATA=1``
lifts it for a reader with time to run a chapter on everything. The
validation set is split off with :mod:`nnbook.splits`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from nnbook._checks import check_callable, check_int
from nnbook._optional import needs
from nnbook.idx import (
    CorruptDataError,
    MissingDataError,
    check_against_archive,
    check_idx_file,
    read_idx,
)
from nnbook.splits import stratified_split

if TYPE_CHECKING:  # torch is imported only when data is really loaded
    from torch.utils.data import Dataset

__all__ = [
    "BOOK_BUDGET",
    "MNIST_FILES",
    "CorruptDataError",
    "DataBudget",
    "MissingDataError",
    "MNISTSplits",
    "book_budget",
    "default_data_root",
    "load_mnist",
    "to_tensors",
]

#: The four files torchvision reads, under ``<root>/MNIST/raw/``.
MNIST_FILES = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)

_FIX = (
    "To fix it, point the NNBOOK_DATA environment variable (or the root "
    "argument) at a folder that holds MNIST/raw/ with the files "
    + ", ".join(MNIST_FILES)
    + " (in this repository: NNBOOK_DATA=../shared/data), or call "
    "load_mnist(download=True) (or set NNBOOK_DOWNLOAD=1) on a machine with "
    "internet access to fetch the full dataset."
)


class MNISTSplits(NamedTuple):
    """The official train and test sets, as torchvision datasets."""

    train: Dataset
    test: Dataset


class _BudgetFields(NamedTuple):
    """The fields of :class:`DataBudget`, which checks them when a budget is made."""

    train: int
    test: int
    seed: int = 0


class DataBudget(_BudgetFields):
    """How many images of each official MNIST set a chapter uses.

    Each set is cut down to a stratified subset (every digit keeps its
    share) chosen with ``seed``; a set that is no larger than its budget is
    used whole. ``train`` and ``test`` must be integers >= 1, ``seed`` an
    integer >= 0 (the same seed gives the same subset).
    """

    __slots__ = ()

    def __new__(cls, train: int, test: int, seed: int = 0) -> DataBudget:
        return super().__new__(
            cls,
            check_int(train, "train", minimum=1),
            check_int(test, "test", minimum=1),
            check_int(seed, "seed", minimum=0),
        )


#: The book's one data budget. These are the sizes of the offline sample the
#: book is tested on, so that a build from the full MNIST (the published site)
#: checks the same claims at the same sizes as the tested build.
BOOK_BUDGET = DataBudget(train=8_000, test=2_000)


def book_budget() -> DataBudget | None:
    """Return the data budget the chapters use: :data:`BOOK_BUDGET`, or ``None``.

    ``None`` (no budget: all of MNIST) when the environment variable
    ``NNBOOK_FULL_DATA`` is ``1``; the budget when it is unset, empty or ``0``.

    Raises
    ------
    ValueError
        If ``NNBOOK_FULL_DATA`` holds anything else.
    """
    return (
        None
        if _switch("NNBOOK_FULL_DATA", "use all of MNIST", "use the book's data budget")
        else BOOK_BUDGET
    )


def _switch(variable: str, on: str, off: str) -> bool:
    """Read an on/off environment variable: ``1`` is on; ``0``, empty or unset, off."""
    value = os.environ.get(variable, "")
    if value not in ("", "0", "1"):
        raise ValueError(
            f"{variable} must be 1 ({on}) or 0 or unset ({off}), got {value!r}"
        )
    return value == "1"


def default_data_root() -> tuple[Path, str]:
    """Return the data root to use when none is given, and where it came from.

    Returns
    -------
    root : pathlib.Path
        ``$NNBOOK_DATA`` if that variable is set and not empty, else the
        per-user cache folder ``nnbook`` (``$XDG_CACHE_HOME/nnbook`` or
        ``~/.cache/nnbook`` on Linux, the platform's equivalent elsewhere).
    source : str
        A few words naming the origin, for error messages.
    """
    env = os.environ.get("NNBOOK_DATA", "")
    if env:
        return Path(env).expanduser(), "from the NNBOOK_DATA environment variable"
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("nnbook")), "the default per-user cache folder"


def _check_mnist_raw(raw: Path, source: str) -> None:
    """Check the four MNIST files in ``raw``, each alone and the pairs together."""
    missing = [name for name in MNIST_FILES if not (raw / name).is_file()]
    if missing:
        hints = []
        root = raw.parent.parent
        for candidate in (root / "raw", root):
            if all((candidate / name).is_file() for name in MNIST_FILES):
                hints.append(
                    f"The files are in {candidate}, but the loader expects them in "
                    f"<root>/MNIST/raw/: pass the folder that contains MNIST/ as root."
                )
        if all((raw / (name + ".gz")).is_file() for name in missing):
            hints.append(
                f"Only gzip-compressed copies ({missing[0]}.gz ...) are there: "
                "decompress them with gunzip -k."
            )
        raise MissingDataError(
            f"MNIST not found: looked in {raw} ({source}) "
            f"for {', '.join(MNIST_FILES)}; "
            f"missing: {', '.join(missing)}. {' '.join(hints)}".replace(
                "  ", " "
            ).strip()
        )
    for split in ("train", "t10k"):
        images_file, labels_file = (
            raw / f"{split}-images-idx3-ubyte",
            raw / f"{split}-labels-idx1-ubyte",
        )
        images = check_idx_file(images_file, ndim=3)
        labels = read_idx(labels_file, ndim=1)
        if images[1:] != (28, 28):
            raise CorruptDataError(
                f"{images_file} holds images of size {images[1]}x{images[2]}, "
                "expected 28x28 for MNIST: it is not an MNIST images file. "
                "Delete it and fetch it again."
            )
        if images[0] == 0:
            raise CorruptDataError(
                f"{images_file} holds no images: its header says 0. "
                "Delete it and fetch it again."
            )
        if images[0] != labels.size:
            raise CorruptDataError(
                f"{raw} holds {images[0]} {split} images ({images_file.name}) "
                f"but {labels.size} labels ({labels_file.name}), "
                "expected one label per image: the two files do not belong "
                "together. Delete both and fetch them again."
            )
        wrong = (labels > 9).nonzero()[0]
        if wrong.size:
            raise CorruptDataError(
                f"{labels_file} contains the label {labels[wrong[0]]} "
                f"(at position {wrong[0]}; {wrong.size} label(s) in all outside 0-9): "
                "MNIST labels are the digits 0 to 9, so this is not an "
                "MNIST labels file. Delete it and fetch it again."
            )
    with needs("nnbook.data.load_mnist"):
        from torchvision.datasets import MNIST

    for name in (
        MNIST_FILES
    ):  # torchvision checked the archives' MD5 sums, if it downloaded them
        check_against_archive(raw / name, dict(MNIST.resources).get(f"{name}.gz"))


def _check_folders(raw: Path, source: str) -> None:
    """Refuse a data root, or a folder below it, that is a file."""
    root = raw.parent.parent
    for folder in (root, raw.parent, raw):
        if folder.exists() and not folder.is_dir():
            what = (
                f"The data root {folder} ({source})" if folder == root else str(folder)
            )
            raise MissingDataError(
                f"{what} is a file, not a folder: the loader looks for the MNIST files "
                f"in the folder MNIST/raw/ below the data root, here {raw}."
            )


def load_mnist(
    root: str | os.PathLike[str] | None = None,
    *,
    download: bool | None = None,
    transform: Callable[[Any], Any] | None = None,
    budget: DataBudget | None = None,
) -> MNISTSplits:
    """Load the MNIST train and test sets through torchvision.

    Parameters
    ----------
    root
        The folder that holds ``MNIST/raw/``. ``None`` means ``$NNBOOK_DATA``
        if set, else the per-user cache folder (see :func:`default_data_root`).
    download
        If true and the files are missing, torchvision downloads the full
        official dataset into ``root`` (this needs internet access). ``None``
        (the default) means true only when the environment variable
        ``NNBOOK_DOWNLOAD`` is ``1``, as the Binder and Colab notebooks set
        it; otherwise the loader never touches the network.
    transform
        Applied to each image, which torchvision gives as a PIL image.
        ``None`` applies :class:`torchvision.transforms.ToTensor`, which gives
        a ``float32`` tensor of shape ``(1, 28, 28)`` with values in [0, 1].
    budget
        ``None`` (the default) returns the whole of each set. A
        :class:`DataBudget` keeps at most ``budget.train`` training and
        ``budget.test`` test images, chosen class by class with
        ``budget.seed``, in the files' order. The chapters pass
        :func:`book_budget`.

    Returns
    -------
    MNISTSplits
        A named tuple ``(train, test)`` of :class:`torchvision.datasets.MNIST`.
        Each has ``.data`` (a ``uint8`` tensor of shape ``(N, 28, 28)``) and
        ``.targets`` (an ``int64`` tensor of labels 0-9) for fast access;
        with a budget, these hold only the images kept.

    Raises
    ------
    MissingDataError
        If the files are not under ``root`` (and ``download`` is false or the
        download failed), ``root`` is a file, or a file or folder may not be
        read. The message names the folder and the fix.
    CorruptDataError
        If a file is truncated, is not an MNIST IDX file (28x28 images, one
        label 0-9 per image), or differs from the archive it was unpacked from.
    TypeError, ValueError
        If an argument, or ``NNBOOK_DOWNLOAD``, is not one of the values above.
    """
    if root is None:
        root_path, source = default_data_root()
    elif isinstance(root, (str, os.PathLike)) and os.fspath(root):
        root_path, source = Path(root).expanduser(), "the root argument"
    elif isinstance(root, (str, os.PathLike)):
        raise ValueError(
            "root must name a folder, got ''; pass None for the default data root"
        )
    else:
        raise TypeError(
            "root must be a path (str or os.PathLike) or None, "
            f"got {type(root).__name__}"
        )
    if download is not None and not isinstance(download, bool):
        raise TypeError(
            f"download must be True, False or None, got {type(download).__name__}"
        )
    check_callable(transform, "transform", allow_none=True)
    _check_budget(budget)
    raw = root_path / "MNIST" / "raw"

    with needs("nnbook.data.load_mnist"):
        from torchvision import datasets, transforms

    if download is None:
        download = _switch(
            "NNBOOK_DOWNLOAD", "download MNIST if it is missing", "never download"
        )
    try:
        _check_folders(raw, source)
        if download and not all((raw / name).is_file() for name in MNIST_FILES):
            try:  # torchvision checks each archive's MD5 sum
                datasets.MNIST(root_path, train=True, download=True)
            except (RuntimeError, OSError) as error:
                raise MissingDataError(
                    f"MNIST not found in {raw} ({source}) and the download failed "
                    f"({' '.join(str(error).split())})."
                ) from error
        _check_mnist_raw(raw, source)
    except PermissionError as error:  # a folder that may not be entered
        raise MissingDataError(
            f"Cannot read {error.filename or raw}, "
            f"where the loader looks for MNIST ({source}): permission denied. "
            "Give your user read access to it and to the folders above it "
            f"(chmod u+r for a file, u+rx for a folder). {_FIX}"
        ) from error
    except (
        MissingDataError,
        CorruptDataError,
    ) as error:  # every fault of the files: say where to get good ones
        raise type(error)(f"{error} {_FIX}") from error.__cause__

    if transform is None:
        transform = transforms.ToTensor()
    train = datasets.MNIST(root_path, train=True, transform=transform)
    test = datasets.MNIST(root_path, train=False, transform=transform)
    if budget is not None:
        _keep_subset(train, budget.train, budget.seed)
        _keep_subset(test, budget.test, budget.seed)
    return MNISTSplits(train, test)


def _check_budget(budget: DataBudget | None) -> None:
    """Reject anything but ``None`` or a budget of positive sizes and a seed."""
    if budget is None:
        return
    if not isinstance(budget, DataBudget):
        raise TypeError(
            f"budget must be a DataBudget or None, got {type(budget).__name__}"
        )
    check_int(budget.train, "budget.train", minimum=1)
    check_int(budget.test, "budget.test", minimum=1)
    check_int(budget.seed, "budget.seed", minimum=0)


def _keep_subset(dataset: Any, size: int, seed: int) -> None:
    """Keep a stratified subset of ``size`` images of an MNIST dataset, in place.

    The images stay in the files' order; a dataset of at most ``size``
    images is left whole.
    """
    labels = dataset.targets.numpy()
    if size >= labels.size:
        return
    _, keep = stratified_split(labels, int(size), seed=seed)
    dataset.data = dataset.data[keep]
    dataset.targets = dataset.targets[keep]


def to_tensors(dataset: Dataset, flatten: bool = False) -> tuple[Any, Any]:
    """Return all images and labels of ``dataset`` as two tensors.

    Training on tensors held in memory is much faster than decoding one PIL
    image per example, and MNIST fits in memory many times over.

    Parameters
    ----------
    dataset
        An MNIST dataset from :func:`load_mnist`, a ``Subset`` of one, or any
        dataset of ``(image tensor, label)`` pairs. For MNIST (and subsets)
        whose transform is ``ToTensor``, the pixels are read directly from
        ``.data``, which gives the same values as ``ToTensor`` at once.
    flatten
        If true, each image becomes a row of ``H * W`` values.

    Returns
    -------
    X : torch.Tensor
        ``float32`` images, shape ``(N, 1, H, W)`` (or ``(N, H * W)``).
    y : torch.Tensor
        ``int64`` labels, shape ``(N,)``.
    """
    if not isinstance(flatten, bool):
        raise TypeError(f"flatten must be True or False, got {type(flatten).__name__}")
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(
            "dataset must be a dataset of (image tensor, label) pairs, "
            f"got {type(dataset).__name__}"
        )
    arrays = _stored_arrays(dataset)
    X, y = arrays if arrays is not None else _stacked_items(dataset)
    return (X.flatten(1) if flatten else X), y


def _stored_arrays(dataset: Dataset) -> tuple[Any, Any] | None:
    """The images and labels that an MNIST dataset (or a Subset of one) holds.

    ``None`` unless the dataset stores its images as one ``uint8`` tensor and
    applies ``ToTensor`` alone, whose result this computes for all at once.
    """
    with needs("nnbook.data.to_tensors"):
        import torch
        from torch.utils.data import Subset
        from torchvision import transforms

    base, indices = (
        (dataset.dataset, list(dataset.indices))
        if isinstance(dataset, Subset)
        else (dataset, slice(None))
    )
    data = getattr(base, "data", None)
    if not (
        isinstance(data, torch.Tensor)
        and data.dtype == torch.uint8
        and isinstance(getattr(base, "transform", None), transforms.ToTensor)
        and getattr(base, "target_transform", None) is None
    ):
        return None
    X = data[indices].to(torch.float32).div_(255).unsqueeze(1)
    return X, torch.as_tensor(base.targets)[indices].to(torch.int64)


def _stacked_items(dataset: Dataset) -> tuple[Any, Any]:
    """All ``(image tensor, label)`` items of ``dataset``, stacked into two tensors."""
    with needs("nnbook.data.to_tensors"):
        import torch

    if len(dataset) == 0:  # type: ignore[arg-type]
        raise ValueError("dataset is empty")
    items = [dataset[i] for i in range(len(dataset))]  # type: ignore[arg-type]
    if not all(
        isinstance(item, (tuple, list))
        and len(item) == 2
        and isinstance(item[0], torch.Tensor)
        for item in items
    ):
        raise TypeError(
            "dataset must yield (tensor, label) pairs; give MNIST a ToTensor transform"
        )
    shapes = sorted({tuple(x.shape) for x, _ in items})
    if len(shapes) > 1:
        raise ValueError(
            f"dataset images must all have one shape, got {shapes[0]} and {shapes[1]}"
        )
    try:
        y = torch.as_tensor([int(label) for _, label in items], dtype=torch.int64)
    except (TypeError, ValueError, RuntimeError):  # a label that is not one number
        raise TypeError("dataset labels must be integers (class numbers)") from None
    return torch.stack([x for x, _ in items]).to(torch.float32), y
