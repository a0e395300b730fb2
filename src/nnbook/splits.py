"""Stratified splits: held-out parts with the same class shares as the whole.

The training recipe carves a validation set (and, for data without an
official one, a test set) out of the labelled examples. Drawing them class
by class keeps every class's share in every part, so a rare class is not
left out of a part by chance. :func:`stratified_split` works on labels and
returns indices; :func:`train_validation_split` and
:func:`train_validation_test_split` split a torch dataset into ``Subset``\\ s.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from nnbook._checks import as_generator
from nnbook._optional import needs

if TYPE_CHECKING:  # torch is imported only when a dataset is split
    from torch.utils.data import Dataset, Subset

__all__ = ["stratified_split", "train_validation_split", "train_validation_test_split"]


def _part_size(size: float | int, n: int, name: str) -> int:
    """Turn a fraction or a count into a number of examples out of ``n``."""
    if isinstance(size, bool) or not isinstance(
        size, (int, float, np.integer, np.floating)
    ):
        raise TypeError(
            f"{name} must be a float fraction or an int count, got {size!r}"
        )
    if isinstance(size, (int, np.integer)):
        if not 0 < size < n:
            raise ValueError(
                f"{name} as a count must be between 1 and {n - 1}, got {size}"
            )
        return int(size)
    if not 0.0 < size < 1.0:
        raise ValueError(f"{name} as a fraction must be in (0, 1), got {size}")
    return min(max(int(round(size * n)), 1), n - 1)


def _allocate(counts: np.ndarray, total: int, capacity: np.ndarray) -> np.ndarray:
    """Share ``total`` places among classes in proportion to ``counts``.

    Each class first gets its quota rounded down; the places left over go to
    the classes whose quota was rounded down the most (the largest-remainder
    rule, ties broken by class order), never beyond a class's ``capacity``.
    """
    quota = counts * (total / counts.sum())
    share = np.minimum(np.floor(quota).astype(int), capacity)
    order = np.argsort(-(quota - share), kind="stable")
    # The caller leaves enough room in all classes together, so this ends.
    while (leftover := total - share.sum()) > 0:
        open_classes = [c for c in order if share[c] < capacity[c]]
        for c in open_classes[:leftover]:
            share[c] += 1
    return share


def stratified_split(
    labels: Sequence[int] | np.ndarray,
    *sizes: float | int,
    seed: int | np.random.Generator = 0,
) -> tuple[np.ndarray, ...]:
    """Split indices into disjoint parts with the same class shares.

    Each class contributes to each held-out part in proportion to its size,
    so a rare class is not left out by chance. Shares that do not divide
    evenly are rounded by the largest-remainder rule, so every part has
    exactly the requested size. Whatever is not held out is the first part,
    the training set.

    Parameters
    ----------
    labels
        One class label per example, an integer >= 0.
    *sizes
        The size of each held-out part (for example validation, then test):
        a fraction strictly between 0 and 1, or a number of examples. Together
        they must leave at least one example for training.
    seed
        Seed of the random choice within each class (an int >= 0, or a
        NumPy generator to draw from); the same seed gives the same split.
        There is no ``None`` for fresh randomness: a split that changed at
        every call would leak validation examples into training across runs.
        For a fresh split pass ``numpy.random.default_rng()``.

    Returns
    -------
    tuple of numpy.ndarray
        ``1 + len(sizes)`` sorted, disjoint integer arrays that together cover
        ``range(len(labels))``: the training indices, then one array per size.

    Examples
    --------
    >>> train, validation = stratified_split(labels, 0.1)
    >>> train, validation, test = stratified_split(labels, 0.1, 0.2, seed=1)
    """
    y = np.asarray(labels)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(
            f"labels must be a non-empty 1-D sequence, got shape {y.shape}"
        )
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    if y.min() < 0:
        raise ValueError(f"labels must be class labels >= 0, got {y.min()}")
    if not sizes:
        raise TypeError(
            "stratified_split needs at least one part size, "
            "e.g. stratified_split(labels, 0.1)"
        )
    rng = as_generator(seed)
    n = y.size
    totals = [_part_size(size, n, f"sizes[{i}]") for i, size in enumerate(sizes)]
    if sum(totals) >= n:
        raise ValueError(
            f"the parts take {sum(totals)} of {n} examples and leave none for training"
        )

    classes, counts = np.unique(y, return_counts=True)
    # Shuffle each class once; the parts are consecutive slices of it.
    members = [rng.permutation(np.flatnonzero(y == c)) for c in classes]
    taken = np.zeros(len(classes), dtype=int)
    parts = []
    for total in totals:
        share = _allocate(counts, total, capacity=counts - taken)
        parts.append(
            np.sort(
                np.concatenate([m[t : t + k] for m, t, k in zip(members, taken, share)])
            )
        )
        taken += share
    held_out = np.zeros(n, dtype=bool)
    for part in parts:
        held_out[part] = True
    return (np.flatnonzero(~held_out), *parts)


def train_validation_split(
    dataset: Dataset,
    validation_size: float | int = 0.1,
    seed: int | np.random.Generator = 0,
) -> tuple[Subset, Subset]:
    """Split a labelled dataset into training and validation subsets.

    This is step 1 of the training recipe: the validation set is carved out
    of the training data, class by class, so that the test set is never
    touched while tuning.

    Parameters
    ----------
    dataset
        A torch dataset with a ``targets`` attribute (as torchvision's
        datasets have).
    validation_size, seed
        As in :func:`stratified_split`.

    Returns
    -------
    train, validation : torch.utils.data.Subset
    """
    return _subsets(dataset, {"validation_size": validation_size}, seed)


def train_validation_test_split(
    dataset: Dataset,
    validation_size: float | int = 0.1,
    test_size: float | int = 0.2,
    seed: int | np.random.Generator = 0,
) -> tuple[Subset, Subset, Subset]:
    """Split one labelled dataset into training, validation and test subsets.

    The three parts are mutually exclusive and each keeps the class shares of
    the whole. Use it for data that comes without an official test set; for
    MNIST, keep the official test set and use :func:`train_validation_split`.

    Parameters
    ----------
    dataset
        A torch dataset with a ``targets`` attribute.
    validation_size, test_size
        Fractions or counts, as in :func:`stratified_split`.
    seed
        As in :func:`stratified_split`.

    Returns
    -------
    train, validation, test : torch.utils.data.Subset
    """
    return _subsets(
        dataset, {"validation_size": validation_size, "test_size": test_size}, seed
    )


def _subsets(
    dataset: Dataset, sizes: dict[str, float | int], seed: int | np.random.Generator
) -> tuple[Subset, ...]:
    """Wrap :func:`stratified_split` of ``dataset.targets`` into torch Subsets.

    ``sizes`` maps each held-out part's parameter name to its size, so that an
    error names the argument the caller passed.
    """
    targets = getattr(dataset, "targets", None)
    if targets is None:
        raise TypeError(
            f"dataset must have a 'targets' attribute with one label per example "
            f"(as torchvision datasets do); {type(dataset).__name__} has none"
        )
    with needs("splitting a dataset with nnbook.splits"):
        from torch.utils.data import Subset

    labels = np.asarray(targets)
    for name, size in sizes.items():
        _part_size(size, labels.size, name)
    parts = stratified_split(labels, *sizes.values(), seed=seed)
    return tuple(Subset(dataset, part.tolist()) for part in parts)
