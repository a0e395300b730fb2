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

import numpy as np

from nnbook._checks import check_int
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
    "check_idx_file",
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

# IDX "magic" numbers: two zero bytes, the element type (0x08 = unsigned
# byte) and the number of dimensions.
_IDX_UBYTE = 0x08


class MissingDataError(FileNotFoundError):
    """The data set is not where the loader looked for it."""


class CorruptDataError(ValueError):
    """A data file exists but is truncated or is not what it should be."""


class MNISTSplits(NamedTuple):
    """The official train and test sets, as torchvision datasets."""

    train: Dataset
    test: Dataset


class DataBudget(NamedTuple):
    """How many images of each official MNIST set a chapter uses.

    Each set is cut down to a stratified subset (every digit keeps its
    share) chosen with ``seed``; a set that is no larger than its budget is
    used whole.
    """

    train: int
    test: int
    seed: int = 0


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
    value = os.environ.get("NNBOOK_FULL_DATA", "")
    if value in ("", "0"):
        return BOOK_BUDGET
    if value == "1":
        return None
    raise ValueError(
        f"NNBOOK_FULL_DATA must be 1 (use all of MNIST) or 0 or unset (use the book's data budget), got {value!r}"
    )


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


def check_idx_file(path: str | os.PathLike[str], ndim: int) -> tuple[int, ...]:
    """Check that ``path`` is a complete IDX file of unsigned bytes.

    An IDX file is a 4-byte magic number, one big-endian 32-bit size per
    dimension, then the data. Checking the header against the file size
    catches truncated downloads and wrong files before torchvision fails on
    them with a less helpful message.

    Parameters
    ----------
    path
        The file to check.
    ndim
        The number of dimensions the file should have (3 for images,
        1 for labels).

    Returns
    -------
    tuple of int
        The dimensions recorded in the header.

    Raises
    ------
    MissingDataError
        If the file does not exist.
    CorruptDataError
        If the header is not an IDX header of ``ndim`` unsigned-byte
        dimensions, or the file is shorter or longer than the header says.
    """
    path = Path(path)
    if not path.is_file():
        raise MissingDataError(f"IDX file not found: {path}. {_FIX}")
    size = path.stat().st_size
    with path.open("rb") as f:
        header = f.read(4 + 4 * ndim)
    if len(header) < 4 + 4 * ndim:
        raise CorruptDataError(
            f"{path} is truncated: it has {size} bytes, fewer than an IDX "
            f"header of {ndim} dimension(s). Delete it and fetch it again. {_FIX}"
        )
    magic = header[:4]
    if magic[0] != 0 or magic[1] != 0 or magic[2] != _IDX_UBYTE or magic[3] != ndim:
        raise CorruptDataError(
            f"{path} is not an IDX file of unsigned bytes with {ndim} dimension(s): "
            f"its magic number is {magic.hex()}, expected 0000{_IDX_UBYTE:02x}{ndim:02x}. "
            f"Is it still gzip-compressed, or another file under this name? {_FIX}"
        )
    shape = tuple(int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = 4 + 4 * ndim + int(np.prod(shape))
    if size != expected:
        problem = "truncated" if size < expected else "longer than its header says"
        raise CorruptDataError(
            f"{path} is {problem}: its header promises {shape} values "
            f"({expected} bytes in all) but the file has {size} bytes. "
            f"Delete it and fetch it again. {_FIX}"
        )
    return shape


def _check_mnist_raw(raw: Path, source: str) -> None:
    """Check the four MNIST files in ``raw`` and their mutual consistency."""
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
            f"MNIST not found: looked in {raw} ({source}) for {', '.join(MNIST_FILES)}; "
            f"missing: {', '.join(missing)}. {' '.join(hints)} {_FIX}".replace("  ", " ")
        )
    for split in ("train", "t10k"):
        images = check_idx_file(raw / f"{split}-images-idx3-ubyte", ndim=3)
        labels = check_idx_file(raw / f"{split}-labels-idx1-ubyte", ndim=1)
        if images[1:] != (28, 28):
            raise CorruptDataError(
                f"{raw / f'{split}-images-idx3-ubyte'} holds images of size "
                f"{images[1]}x{images[2]}, expected 28x28 for MNIST. {_FIX}"
            )
        if images[0] != labels[0]:
            raise CorruptDataError(
                f"{raw} holds {images[0]} {split} images but {labels[0]} labels; "
                f"the two files do not belong together. {_FIX}"
            )
        values = np.fromfile(raw / f"{split}-labels-idx1-ubyte", dtype=np.uint8, offset=8)
        if values.size and values.max() > 9:
            raise CorruptDataError(
                f"{raw / f'{split}-labels-idx1-ubyte'} contains the label "
                f"{int(values.max())}; MNIST labels are 0 to 9. {_FIX}"
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
        download failed). The message names the folder and the fix.
    CorruptDataError
        If a file is truncated or is not an MNIST IDX file.
    """
    if root is None:
        root_path, source = default_data_root()
    elif isinstance(root, (str, os.PathLike)):
        root_path, source = Path(root).expanduser(), "the root argument"
    else:
        raise TypeError(f"root must be a path (str or os.PathLike) or None, got {type(root).__name__}")
    _check_budget(budget)
    raw = root_path / "MNIST" / "raw"

    from torchvision import datasets, transforms

    if download is None:
        download = os.environ.get("NNBOOK_DOWNLOAD", "") == "1"
    if download and not all((raw / name).is_file() for name in MNIST_FILES):
        try:
            datasets.MNIST(root_path, train=True, download=True)
        except (RuntimeError, OSError) as error:
            raise MissingDataError(
                f"MNIST not found in {raw} ({source}) and the download failed "
                f"({str(error).strip().splitlines()[0]}). {_FIX}"
            ) from error
    _check_mnist_raw(raw, source)

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
        raise TypeError(f"budget must be a DataBudget or None, got {type(budget).__name__}")
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
    arrays = _stored_arrays(dataset)
    X, y = arrays if arrays is not None else _stacked_items(dataset)
    return (X.flatten(1) if flatten else X), y


def _stored_arrays(dataset: Dataset) -> tuple[Any, Any] | None:
    """The images and labels that an MNIST dataset (or a Subset of one) holds.

    ``None`` unless the dataset stores its images as one ``uint8`` tensor and
    applies ``ToTensor`` alone, whose result this computes for all at once.
    """
    import torch
    from torch.utils.data import Subset
    from torchvision import transforms

    base, indices = (dataset.dataset, list(dataset.indices)) if isinstance(dataset, Subset) else (dataset, slice(None))
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
    import torch

    if len(dataset) == 0:  # type: ignore[arg-type]
        raise ValueError("dataset is empty")
    items = [dataset[i] for i in range(len(dataset))]  # type: ignore[arg-type]
    if not all(isinstance(x, torch.Tensor) for x, _ in items):
        raise TypeError("dataset must yield (tensor, label) pairs; give MNIST a ToTensor transform")
    X = torch.stack([x for x, _ in items]).to(torch.float32)
    return X, torch.as_tensor([int(label) for _, label in items], dtype=torch.int64)
