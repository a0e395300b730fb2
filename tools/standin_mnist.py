"""Make a full-size stand-in for MNIST from a smaller sample of it.

The published site is built from the official MNIST (60,000 training and
10,000 test images), which machines without internet cannot download. This
script writes a data set of the official sizes, in MNIST's own file format
and torchvision's layout, made from the images of a smaller sample: every
image appears unshifted and shifted by one pixel in the eight directions,
until each set has the requested size. It stands in for the full data set's
*size* (loading, splitting, the data budget), not for its content.

The unshifted digits are placed where the book's data budget draws its
subset from, so that subset holds distinct digits, as it does on the real
MNIST (a random subset of shifted copies would put near-duplicates of
training images into the validation set). They come in another order than
in the sample, so the splits and mini-batches of the chapters differ.

Usage::

    python tools/standin_mnist.py OUT [--source ROOT] [--train 60000] [--test 10000] [--seed 0]

``ROOT`` (default ``$NNBOOK_DATA``) holds ``MNIST/raw/``; ``OUT`` receives
``MNIST/raw/`` with the four uncompressed IDX files. Never commit the result.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

from nnbook.data import BOOK_BUDGET, DataBudget
from nnbook.splits import stratified_split

#: The official sizes of MNIST's training and test sets.
FULL_SIZES = {"train": 60_000, "t10k": 10_000}

# Unshifted first, then the eight one-pixel shifts (rows, columns).
_SHIFTS = [(0, 0)] + [
    (dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if (dy, dx) != (0, 0)
]


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes into an array of its shape."""
    raw = path.read_bytes()
    ndim = raw[3]
    shape = tuple(
        int.from_bytes(raw[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write an array of unsigned bytes as an IDX file (MNIST's format)."""
    array = np.asarray(array, dtype=np.uint8)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(
        int(n).to_bytes(4, "big") for n in array.shape
    )
    path.write_bytes(header + np.ascontiguousarray(array).tobytes())


def shift(images: np.ndarray, dy: int, dx: int) -> np.ndarray:
    """Move every image by ``dy`` rows and ``dx`` columns, filling with background."""
    out = np.zeros_like(images)
    h, w = images.shape[1:]
    out[:, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = images[
        :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
    ]
    return out


def grow(
    images: np.ndarray,
    labels: np.ndarray,
    size: int,
    drawn: int,
    seed: int = 0,
    budget_seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``size`` images made of ``images``: unshifted, then shifted copies.

    Every image appears ``size // n`` times (unshifted once, then with one
    shift each), and a stratified choice of them once more, all in a shuffled
    order. The unshifted images are placed where the book's data budget
    (:func:`nnbook.splits.stratified_split` of the labels, ``budget_seed``)
    draws its ``drawn`` images from: so that, as on the real MNIST, the
    budgeted subset holds distinct digits, and no validation image is a
    shifted copy of a training image.
    """
    n = len(images)
    copies, rest = divmod(size, n)
    if copies + (rest > 0) > len(_SHIFTS):
        raise ValueError(
            f"size {size} needs more than {len(_SHIFTS)} copies of each of the {n} images"
        )
    extra = (
        stratified_split(labels, rest, seed=seed)[1]
        if rest
        else np.array([], dtype=int)
    )
    source = np.concatenate([np.tile(np.arange(n), copies), extra])
    shift_no = np.concatenate(
        [np.repeat(np.arange(copies), n), np.full(len(extra), copies)]
    )
    order = np.random.default_rng(seed).permutation(size)
    source, shift_no = source[order], shift_no[order]
    if drawn < size:
        chosen = np.zeros(size, dtype=bool)
        chosen[stratified_split(labels[source], drawn, seed=budget_seed)[1]] = True
        for digit in np.unique(labels):
            places = np.flatnonzero(labels[source] == digit)
            # Originals first: they go to the places the budget draws from.
            by_shift = places[np.argsort(shift_no[places], kind="stable")]
            targets = np.concatenate([places[chosen[places]], places[~chosen[places]]])
            source[targets], shift_no[targets] = source[by_shift], shift_no[by_shift]
    out = np.empty((size, *images.shape[1:]), dtype=images.dtype)
    for k, (dy, dx) in enumerate(_SHIFTS[: copies + 1]):
        at = shift_no == k
        out[at] = shift(images[source[at]], dy, dx)
    return out, labels[source]


def make_standin(
    source: Path,
    out: Path,
    sizes: dict[str, int] = FULL_SIZES,
    seed: int = 0,
    budget: DataBudget = BOOK_BUDGET,
) -> Path:
    """Write a stand-in of the given sizes under ``out/MNIST/raw``; return ``out``.

    Parameters
    ----------
    source
        A data root in torchvision's layout (``source/MNIST/raw/...``).
    out
        The new data root. Its ``MNIST/raw`` folder is created.
    sizes
        Images per split: ``"train"`` and ``"t10k"`` (MNIST's file prefixes).
    seed
        Seed of the shuffle of each split.
    budget
        The data budget whose subsets should hold the sample's own digits.
    """
    raw_in, raw_out = Path(source) / "MNIST" / "raw", Path(out) / "MNIST" / "raw"
    for split, size in sizes.items():
        images = read_idx(raw_in / f"{split}-images-idx3-ubyte")
        labels = read_idx(raw_in / f"{split}-labels-idx1-ubyte")
        drawn = budget.train if split == "train" else budget.test
        big, big_labels = grow(images, labels, size, drawn, seed, budget.seed)
        write_idx(raw_out / f"{split}-images-idx3-ubyte", big)
        write_idx(raw_out / f"{split}-labels-idx1-ubyte", big_labels)
    return Path(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="the new data root")
    parser.add_argument(
        "--source",
        type=Path,
        default=os.environ.get("NNBOOK_DATA"),
        help="the sample's data root",
    )
    parser.add_argument("--train", type=int, default=FULL_SIZES["train"])
    parser.add_argument("--test", type=int, default=FULL_SIZES["t10k"])
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the shuffle: another seed, another arrangement",
    )
    args = parser.parse_args()
    if args.source is None:
        parser.error("give --source or set NNBOOK_DATA")
    make_standin(
        args.source, args.out, {"train": args.train, "t10k": args.test}, seed=args.seed
    )
    print(
        f"wrote a {args.train:,}/{args.test:,} stand-in under {args.out / 'MNIST' / 'raw'}"
    )


if __name__ == "__main__":
    main()
