"""MNIST's file format, IDX, and the checks of a data file before it is read.

An IDX file is a 4-byte magic number (two zero bytes, the element type,
``0x08`` for unsigned bytes, and the number of dimensions), one big-endian
32-bit size per dimension, then the values. The checks here catch the ways a
file on disk goes wrong before a reader fails on it with a less helpful
message, or silently reads the wrong thing: a file that is missing or may not
be read (:class:`MissingDataError`); a file that is truncated, longer than its
header says, of another type, or no longer what the gzip archive it was
unpacked from holds (:class:`CorruptDataError`). Each message names the file,
what was found, what was expected and how to fix it.

:mod:`nnbook.data` runs these checks on the four MNIST files before
torchvision reads them, and adds where to get good files to every message.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import zlib
from pathlib import Path
from typing import BinaryIO

import numpy as np

from nnbook._checks import check_int

__all__ = [
    "CorruptDataError",
    "MissingDataError",
    "check_against_archive",
    "check_idx_file",
    "read_idx",
]

_UBYTE = 0x08
# The other element types, to say in a message what a wrong file holds.
_TYPES = {
    0x08: "unsigned bytes",
    0x09: "signed bytes",
    0x0B: "16-bit integers",
    0x0C: "32-bit integers",
    0x0D: "32-bit floats",
    0x0E: "64-bit floats",
}

_REFETCH = "Delete it and fetch it again."


class MissingDataError(FileNotFoundError):
    """The data set is not where the loader looked for it, or cannot be read there."""


class CorruptDataError(ValueError):
    """A data file exists but is truncated or is not what it should be."""


def check_idx_file(path: str | os.PathLike[str], ndim: int) -> tuple[int, ...]:
    """Check that ``path`` is a complete IDX file of unsigned bytes.

    Parameters
    ----------
    path
        The file to check.
    ndim
        The number of dimensions the file should have (3 for images,
        1 for labels), from 1 to 255.

    Returns
    -------
    tuple of int
        The dimensions recorded in the header.

    Raises
    ------
    MissingDataError
        If the file does not exist or may not be read.
    CorruptDataError
        If the header is not an IDX header of ``ndim`` unsigned-byte
        dimensions, or the file is shorter or longer than the header says.
    """
    path = _as_path(path)
    ndim = check_int(
        ndim, "ndim", minimum=1, maximum=255
    )  # the magic number has one byte for it
    with _open(path) as f:
        size = os.fstat(f.fileno()).st_size
        header = f.read(4 + 4 * ndim)
    if len(header) < 4 + 4 * ndim:
        raise CorruptDataError(
            f"{path} is truncated: it has {size} bytes, "
            f"fewer than an IDX header of {ndim} dimension(s). {_REFETCH}"
        )
    magic = header[:4]
    if magic != bytes([0, 0, _UBYTE, ndim]):
        found = (
            f"{_TYPES.get(magic[2], f'unknown type {magic[2]:#04x}')} "
            f"in {magic[3]} dimension(s)"
            if magic[:2] == b"\0\0"
            else "no IDX header at all"
        )
        raise CorruptDataError(
            f"{path} is not an IDX file of unsigned bytes with {ndim} dimension(s): "
            f"its magic number is {magic.hex()} ({found}), "
            f"expected 0000{_UBYTE:02x}{ndim:02x}. Is it still gzip-compressed, "
            f"or another file under this name? {_REFETCH}"
        )
    shape = tuple(
        int.from_bytes(header[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)
    )
    # Python's ints do not overflow, so a forged header cannot wrap around to the
    # file's size.
    expected = 4 + 4 * ndim + math.prod(shape)
    if size != expected:
        problem = "truncated" if size < expected else "longer than its header says"
        raise CorruptDataError(
            f"{path} is {problem}: its header promises {shape} values "
            f"({expected} bytes in all) but the file has {size} bytes. {_REFETCH}"
        )
    return shape


def read_idx(path: str | os.PathLike[str], ndim: int) -> np.ndarray:
    """Return the values of an IDX file of unsigned bytes, after :func:`check_idx_file`.

    Parameters
    ----------
    path
        The file to read.
    ndim
        The number of dimensions the file should have, from 1 to 255.

    Returns
    -------
    numpy.ndarray
        A read-only ``uint8`` array of the shape recorded in the header.

    Raises
    ------
    MissingDataError, CorruptDataError
        As :func:`check_idx_file`.
    """
    shape = check_idx_file(path, ndim)
    with _open(_as_path(path)) as f:
        return np.frombuffer(
            f.read(), dtype=np.uint8, offset=4 + 4 * len(shape)
        ).reshape(shape)


def check_against_archive(
    path: str | os.PathLike[str], archive_md5: str | None = None
) -> None:
    """Check that ``path`` holds what the gzip archive next to it (``path.gz``) holds.

    torchvision checks an archive's MD5 sum when it downloads it and keeps
    the archive next to the file it unpacks; comparing the two carries that
    check over to the file that is read, whose pixels could otherwise be
    altered under a valid header without anyone noticing. Without an
    archive there is nothing to compare with, and nothing is checked.

    Parameters
    ----------
    path
        The unpacked file.
    archive_md5
        The MD5 sum of the official archive, if known: when the two differ,
        the message then says which of them was altered.

    Raises
    ------
    CorruptDataError
        If the archive is damaged, or the file does not hold what it holds.
    """
    path = _as_path(path)
    if archive_md5 is not None and not isinstance(archive_md5, str):
        raise TypeError(
            "archive_md5 must be a string of 32 hex digits or None, "
            f"got {type(archive_md5).__name__}"
        )
    archive = path.with_name(path.name + ".gz")
    if not archive.is_file():
        return
    try:
        with _open(archive) as f, gzip.open(f, "rb") as packed:
            unpacked = _md5(packed)
    except (EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise CorruptDataError(
            f"{archive}, the archive of {path.name}, is damaged ({error}). "
            f"Delete it (the file read is {path.name}), "
            "or delete both and fetch them again."
        ) from None
    with _open(path) as f:
        if _md5(f) == unpacked:
            return
    with _open(archive) as f:
        official = archive_md5 is not None and _md5(f) == archive_md5.lower()
    culprit = (
        "the archive has the MD5 sum of the official download, so the file was altered"
        if official
        else "one of the two was altered or damaged"
    )
    raise CorruptDataError(
        f"{path} does not hold what its archive {archive.name} next to it holds: "
        f"{culprit}. Delete {path.name} and unpack the archive again "
        f"(gunzip -kf {archive}), or delete both and fetch them again."
    )


def _as_path(path: object) -> Path:
    """``path`` as a Path, or a TypeError naming the parameter."""
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"path must be a path (str or os.PathLike), got {type(path).__name__}"
        )
    return Path(path)


def _open(path: Path) -> BinaryIO:
    """Open a data file for reading; each way that fails gives one clear error."""
    try:
        return path.open("rb")
    except (FileNotFoundError, NotADirectoryError):
        raise MissingDataError(f"IDX file not found: {path}.") from None
    except IsADirectoryError:
        raise MissingDataError(
            f"{path} is a folder, expected an IDX file under this name."
        ) from None
    except PermissionError as error:
        raise MissingDataError(
            f"Cannot read {path}: permission denied. Give your user read access to it "
            f"(chmod u+r {path}, and u+rx on each folder above it), "
            "or use a readable copy of the data."
        ) from error


def _md5(f: BinaryIO) -> str:
    """The MD5 sum of what is left to read in ``f``, read a megabyte at a time."""
    digest = hashlib.md5()
    for chunk in iter(lambda: f.read(1 << 20), b""):
        digest.update(chunk)
    return digest.hexdigest()
