"""nnbook.data: where MNIST is looked for, what happens when it is not there,
the book's data budget and the conversion to tensors."""

from __future__ import annotations

import ast
import errno
import gzip
import hashlib
import http.server
import os
import shutil
import threading
from pathlib import Path

import numpy as np
import pytest
import jupytext
import torch

from conftest import ROOT, write_idx
from nnbook.data import (
    BOOK_BUDGET,
    MNIST_FILES,
    CorruptDataError,
    DataBudget,
    MissingDataError,
    book_budget,
    default_data_root,
    load_mnist,
    to_tensors,
)
from nnbook.idx import check_against_archive, check_idx_file, read_idx
from nnbook.splits import train_validation_split

# --- loading what is on disk ----------------------------------------------


def test_load_mnist_returns_the_files_contents(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, test = load_mnist(root)
    assert len(train) == 30 and len(test) == 12
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(
        train.targets.numpy(), arrays["train-labels-idx1-ubyte"]
    )
    np.testing.assert_array_equal(test.data.numpy(), arrays["t10k-images-idx3-ubyte"])
    np.testing.assert_array_equal(
        test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"]
    )


def test_default_transform_scales_pixels_to_unit_interval(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, _ = load_mnist(root)
    image, label = train[3]
    assert image.dtype == torch.float32 and image.shape == (1, 28, 28)
    np.testing.assert_allclose(
        image[0].numpy(), arrays["train-images-idx3-ubyte"][3] / 255, atol=1e-7
    )
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
        shape = check_idx_file(
            mnist_root / "MNIST" / "raw" / f"{prefix}-images-idx3-ubyte", ndim=3
        )
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
    with pytest.raises(
        MissingDataError, match="pass the folder that contains MNIST/ as root"
    ) as error:
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
    write_idx(
        root / "MNIST" / "raw" / "train-images-idx3-ubyte", np.zeros((30, 32, 32))
    )
    with pytest.raises(
        CorruptDataError, match="32x32, expected 28x28 for MNIST"
    ) as error:
        load_mnist(root)
    assert str(root / "MNIST" / "raw" / "train-images-idx3-ubyte") in str(error.value)
    assert "Delete it and fetch it again" in str(error.value) and "NNBOOK_DATA" in str(
        error.value
    )


def test_image_and_label_counts_disagree(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "train-labels-idx1-ubyte", np.zeros(29))
    with pytest.raises(
        CorruptDataError,
        match=r"30 train images \(train-images-idx3-ubyte\) but 29 labels "
        r"\(train-labels-idx1-ubyte\), expected one label per image",
    ) as error:
        load_mnist(root)


def test_label_out_of_range(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte", np.full(12, 11))
    with pytest.raises(
        CorruptDataError,
        match=r"contains the label 11 \(at position 0; 12 label\(s\) in all "
        r"outside 0-9\): MNIST labels are the digits 0 to 9",
    ) as error:
        load_mnist(root)
    assert str(root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte") in str(error.value)
    assert "Delete it and fetch it again" in str(error.value) and "NNBOOK_DATA" in str(
        error.value
    )


def test_header_whose_size_overflows_64_bits_is_truncated(tmp_path) -> None:
    # 2**22 * 2**21 * 2**21 = 2**64 values: with 64-bit integers the product
    # wraps around to 0, and a 16-byte file would match its header.
    path = tmp_path / "forged-idx3-ubyte"
    path.write_bytes(
        bytes([0, 0, 8, 3]) + b"".join((2**n).to_bytes(4, "big") for n in (22, 21, 21))
    )
    with pytest.raises(
        CorruptDataError,
        match=r"is truncated: its header promises \(4194304, 2097152, 2097152\) "
        r"values \(18446744073709551632 bytes in all\) but the file has 16 bytes\.",
    ):
        check_idx_file(path, ndim=3)


def test_forged_header_in_the_loader(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    path.write_bytes(
        bytes([0, 0, 8, 3]) + b"".join((2**n).to_bytes(4, "big") for n in (22, 21, 21))
    )
    with pytest.raises(
        CorruptDataError, match="is truncated: its header promises"
    ) as error:
        load_mnist(root)
    assert str(path) in str(error.value) and "NNBOOK_DATA" in str(error.value)


@pytest.mark.parametrize(
    ("magic", "match"),
    [
        (
            bytes([0, 0, 0x0D, 3]),
            r"magic number is 00000d03 \(32-bit floats in 3 dimension\(s\)\), expected 00000803",
        ),
        (
            bytes([0, 0, 0x08, 1]),
            r"magic number is 00000801 \(unsigned bytes in 1 dimension\(s\)\), expected 00000803",
        ),
        (
            bytes([0, 0, 0x42, 3]),
            r"magic number is 00004203 \(unknown type 0x42 in 3 dimension\(s\)\)",
        ),
        (
            b"PK\x03\x04",
            r"magic number is 504b0304 \(no IDX header at all\), expected 00000803",
        ),
    ],
)
def test_a_file_of_another_type_is_named(tiny_mnist, magic, match) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.write_bytes(magic + path.read_bytes()[4:])
    with pytest.raises(CorruptDataError, match=match) as error:
        load_mnist(root)
    assert f"{path} is not an IDX file of unsigned bytes with 3 dimension(s)" in str(
        error.value
    )
    assert "Delete it and fetch it again" in str(error.value)


def test_images_and_labels_swapped(tiny_mnist) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    images, labels = (
        (raw / "train-images-idx3-ubyte").read_bytes(),
        (raw / "train-labels-idx1-ubyte").read_bytes(),
    )
    (raw / "train-images-idx3-ubyte").write_bytes(labels)
    (raw / "train-labels-idx1-ubyte").write_bytes(images)
    with pytest.raises(
        CorruptDataError, match=r"magic number is 00000801 .*expected 00000803"
    ):
        load_mnist(root)


def test_an_empty_set_is_not_mnist(tiny_mnist) -> None:
    root, _ = tiny_mnist
    write_idx(root / "MNIST" / "raw" / "t10k-images-idx3-ubyte", np.zeros((0, 28, 28)))
    write_idx(root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte", np.zeros(0))
    with pytest.raises(
        CorruptDataError,
        match=r"t10k-images-idx3-ubyte holds no images: its header says 0",
    ):
        load_mnist(root)


def test_read_idx_returns_the_values(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    path = root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    np.testing.assert_array_equal(read_idx(path, 3), arrays["train-images-idx3-ubyte"])
    assert check_idx_file(str(path), 3) == (30, 28, 28)
    with pytest.raises(CorruptDataError, match="expected 00000801"):
        read_idx(path, 1)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (
            {"path": 42, "ndim": 3},
            TypeError,
            r"^path must be a path \(str or os.PathLike\), got int$",
        ),
        ({"path": None, "ndim": 3}, TypeError, r"^path must be a path"),
        (
            {"path": "x", "ndim": 0},
            ValueError,
            r"^ndim must be an integer >= 1, got 0$",
        ),
        (
            {"path": "x", "ndim": 256},
            ValueError,
            r"^ndim must be an integer <= 255, got 256$",
        ),
        ({"path": "x", "ndim": "3"}, TypeError, r"^ndim must be an integer, got str$"),
        (
            {"path": "x", "ndim": 3.0},
            TypeError,
            r"^ndim must be an integer, got float$",
        ),
    ],
)
def test_check_idx_file_checks_its_arguments(arguments, error, match) -> None:
    with pytest.raises(error, match=match):
        check_idx_file(**arguments)
    with pytest.raises(error, match=match):
        read_idx(**arguments)


def test_a_folder_under_a_file_name(tmp_path) -> None:
    (tmp_path / "train-images-idx3-ubyte").mkdir()
    with pytest.raises(
        MissingDataError,
        match="train-images-idx3-ubyte is a folder, expected an IDX file",
    ):
        check_idx_file(tmp_path / "train-images-idx3-ubyte", 3)
    with pytest.raises(MissingDataError, match=r"IDX file not found: .*nothing-here\."):
        check_idx_file(tmp_path / "nothing-here", 3)


# --- checksums: the files against their archives ---------------------------


def _add_archives(raw: Path) -> dict[str, str]:
    """Write the gzip archive of each MNIST file next to it; return the archives' MD5 sums."""
    md5 = {}
    for name in MNIST_FILES:
        packed = gzip.compress((raw / name).read_bytes())
        (raw / f"{name}.gz").write_bytes(packed)
        md5[f"{name}.gz"] = hashlib.md5(packed).hexdigest()
    return md5


def _alter_pixels(path: Path) -> None:
    """Change the pixels of an images file under its valid header."""
    data = bytearray(path.read_bytes())
    data[16 + 100] ^= 0xFF
    path.write_bytes(bytes(data))


def test_files_that_match_their_archives_load(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    _add_archives(root / "MNIST" / "raw")
    train, _ = load_mnist(root)
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])


def test_pixels_altered_under_a_valid_header(tiny_mnist) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    _add_archives(raw)
    _alter_pixels(raw / "train-images-idx3-ubyte")
    check_idx_file(raw / "train-images-idx3-ubyte", 3)  # the header alone is fine
    with pytest.raises(
        CorruptDataError,
        match=r"train-images-idx3-ubyte does not hold what its archive "
        r"train-images-idx3-ubyte.gz next to it holds: one of the two was altered or damaged\. "
        r"Delete train-images-idx3-ubyte and unpack the archive again \(gunzip -kf ",
    ) as error:
        load_mnist(root)
    assert str(raw / "train-images-idx3-ubyte") in str(
        error.value
    ) and "NNBOOK_DATA" in str(error.value)


def test_an_official_archive_says_the_file_was_altered(tiny_mnist, monkeypatch) -> None:
    from torchvision import datasets

    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    # These small archives stand in for the official ones: torchvision's list
    # of MD5 sums is what the loader trusts.
    monkeypatch.setattr(datasets.MNIST, "resources", list(_add_archives(raw).items()))
    _alter_pixels(raw / "t10k-images-idx3-ubyte")
    with pytest.raises(
        CorruptDataError,
        match="the archive has the MD5 sum of the official download, so the "
        "file was altered",
    ):
        load_mnist(root)
    assert (
        check_against_archive(raw / "train-images-idx3-ubyte", "0" * 32) is None
    )  # an intact file passes


@pytest.mark.parametrize("damage", [b"not gzip at all", None])
def test_a_damaged_archive(tiny_mnist, damage) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    _add_archives(raw)
    archive = raw / "train-labels-idx1-ubyte.gz"
    archive.write_bytes(
        damage if damage is not None else archive.read_bytes()[:-12]
    )  # or truncated
    with pytest.raises(
        CorruptDataError,
        match=r"train-labels-idx1-ubyte.gz, the archive of "
        r"train-labels-idx1-ubyte, is damaged \(.+\)\. Delete it",
    ):
        load_mnist(root)


def test_without_an_archive_only_the_format_is_checked(tiny_mnist) -> None:
    # A sample or a data set of one's own: nothing to compare the pixels with.
    root, _ = tiny_mnist
    _alter_pixels(root / "MNIST" / "raw" / "train-images-idx3-ubyte")
    assert len(load_mnist(root).train) == 30
    with pytest.raises(
        TypeError,
        match="archive_md5 must be a string of 32 hex digits or None, got int",
    ):
        check_against_archive(root / "MNIST" / "raw" / "train-images-idx3-ubyte", 42)  # type: ignore[arg-type]


@pytest.fixture
def mirror(tiny_mnist, tmp_path_factory, monkeypatch):
    """A local MNIST mirror serving the tiny set's archives, with their MD5 sums as torchvision's."""
    from torchvision import datasets

    root, arrays = tiny_mnist
    served = tmp_path_factory.mktemp("mirror")
    md5 = _add_archives(root / "MNIST" / "raw")
    for name in md5:
        shutil.copy(root / "MNIST" / "raw" / name, served / name)

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, directory=str(served), **kwargs)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    monkeypatch.setattr(
        datasets.MNIST, "mirrors", [f"http://127.0.0.1:{httpd.server_address[1]}/"]
    )
    monkeypatch.setattr(datasets.MNIST, "resources", list(md5.items()))
    yield served, arrays
    httpd.shutdown()
    httpd.server_close()


def test_a_download_is_checked_and_loads(mirror, tmp_path) -> None:
    _, arrays = mirror
    target = tmp_path / "fresh"
    train, test = load_mnist(target, download=True)
    np.testing.assert_array_equal(
        test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"]
    )
    assert (
        target / "MNIST" / "raw" / "train-images-idx3-ubyte.gz"
    ).is_file()  # kept, and compared with


def test_a_download_with_the_wrong_md5_is_refused(mirror, tmp_path) -> None:
    # torchvision's MD5 check of the archives is kept: a mirror serving
    # another file under the right name fails the download.
    served, _ = mirror
    (served / "t10k-images-idx3-ubyte.gz").write_bytes(
        gzip.compress(b"\0\0\x08\x03" + bytes(12))
    )
    with pytest.raises(
        MissingDataError,
        match=r"the download failed \(Error downloading "
        r"t10k-images-idx3-ubyte.gz: .*File not found or corrupted\.\)\. To fix it",
    ):
        load_mnist(tmp_path / "fresh", download=True)


# --- unreadable files and a file where a folder should be --------------------


def _deny(monkeypatch, denied: Path) -> None:
    """Make opening ``denied`` fail as a file of mode 000 does for a user who is not root."""
    original = Path.open

    def open_(self, *args, **kwargs):
        if self == denied:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", open_)


def test_an_unreadable_file(tiny_mnist, monkeypatch) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    _deny(monkeypatch, path)
    with pytest.raises(
        MissingDataError,
        match=rf"Cannot read {path}: permission denied\. Give your user read "
        r"access to it \(chmod u\+r .*\), or use a readable copy of the data\. To fix it, "
        r"point the NNBOOK_DATA environment variable",
    ) as error:
        load_mnist(root)
    assert isinstance(error.value.__cause__, PermissionError)
    with pytest.raises(
        MissingDataError, match=rf"Cannot read {path}: permission denied"
    ):
        check_idx_file(path, 1)


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root reads files of mode 000"
)
def test_a_file_of_mode_000(tiny_mnist) -> None:
    root, _ = tiny_mnist
    path = root / "MNIST" / "raw" / "t10k-images-idx3-ubyte"
    path.chmod(0)
    try:
        with pytest.raises(
            MissingDataError, match=rf"Cannot read {path}: permission denied"
        ):
            load_mnist(root)
    finally:
        path.chmod(0o644)


def test_a_folder_that_may_not_be_entered(tiny_mnist, monkeypatch) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    original = Path.stat

    def stat(
        self, *args, **kwargs
    ):  # what a folder of mode 000 does to the files in it
        if self.parent == raw:
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Path, "stat", stat)
    with pytest.raises(
        MissingDataError,
        match=rf"Cannot read {raw}/\S+, where the loader looks for MNIST "
        r"\(the root argument\): permission denied\. Give your user read access to it and to "
        r"the folders above it \(chmod u\+r for a file, u\+rx for a folder\)\. To fix it",
    ):
        load_mnist(root)


@pytest.mark.skipif(
    os.name != "posix" or os.geteuid() == 0, reason="root enters folders of mode 000"
)
def test_a_folder_of_mode_000(tiny_mnist) -> None:
    root, _ = tiny_mnist
    raw = root / "MNIST" / "raw"
    raw.chmod(0)
    try:
        with pytest.raises(MissingDataError, match="permission denied"):
            load_mnist(root)
    finally:
        raw.chmod(0o755)


def test_nnbook_data_naming_a_file(tmp_path, monkeypatch) -> None:
    file = tmp_path / "mnist.tar"
    file.write_bytes(b"")
    monkeypatch.setenv("NNBOOK_DATA", str(file))
    with pytest.raises(
        MissingDataError,
        match=rf"The data root {file} \(from the NNBOOK_DATA environment "
        rf"variable\) is a file, not a folder: the loader looks for the MNIST files in the folder "
        rf"MNIST/raw/ below the data root, here {file}/MNIST/raw\. To fix it, point",
    ):
        load_mnist()
    # download=True does not try to download into a file either.
    with pytest.raises(MissingDataError, match="is a file, not a folder"):
        load_mnist(download=True)


def test_a_file_named_mnist_below_the_root(tmp_path) -> None:
    (tmp_path / "MNIST").write_bytes(b"")
    with pytest.raises(
        MissingDataError, match=rf"^{tmp_path / 'MNIST'} is a file, not a folder"
    ):
        load_mnist(tmp_path)


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
    assert torch.equal(again.data, train.data) and not torch.equal(
        other.data, train.data
    )


def test_budget_larger_than_the_data_keeps_everything(tiny_mnist) -> None:
    root, arrays = tiny_mnist
    train, test = load_mnist(root, budget=DataBudget(train=30, test=1000))
    np.testing.assert_array_equal(train.data.numpy(), arrays["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(
        test.targets.numpy(), arrays["t10k-labels-idx1-ubyte"]
    )


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
        # _replace makes a budget without DataBudget's own checks; load_mnist checks it again.
        (
            BOOK_BUDGET._replace(train=0),
            ValueError,
            r"budget.train must be an integer >= 1, got 0",
        ),
        (
            BOOK_BUDGET._replace(test=2.5),
            TypeError,
            "budget.test must be an integer, got float",
        ),
        (
            BOOK_BUDGET._replace(seed=-1),
            ValueError,
            r"budget.seed must be an integer >= 0, got -1",
        ),
    ],
)
def test_bad_budgets_are_rejected(tiny_mnist, budget, error, match) -> None:
    root, _ = tiny_mnist
    with pytest.raises(error, match=match):
        load_mnist(root, budget=budget)


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (
            {"train": 0, "test": 10},
            ValueError,
            r"^train must be an integer >= 1, got 0$",
        ),
        (
            {"train": "8000", "test": 10},
            TypeError,
            r"^train must be an integer, got str$",
        ),
        (
            {"train": 10, "test": 2.5},
            TypeError,
            r"^test must be an integer, got float$",
        ),
        (
            {"train": 10, "test": True},
            TypeError,
            r"^test must be an integer, got bool$",
        ),
        (
            {"train": 10, "test": -3},
            ValueError,
            r"^test must be an integer >= 1, got -3$",
        ),
        (
            {"train": 10, "test": 10, "seed": -1},
            ValueError,
            r"^seed must be an integer >= 0, got -1$",
        ),
        (
            {"train": 10, "test": 10, "seed": None},
            TypeError,
            r"^seed must be an integer, got NoneType$",
        ),
    ],
)
def test_a_budget_checks_its_sizes_and_seed(arguments, error, match) -> None:
    with pytest.raises(error, match=match):
        DataBudget(**arguments)


def test_a_budget_is_still_a_named_tuple() -> None:
    budget = DataBudget(100, 30, seed=3)
    assert budget == DataBudget(train=100, test=30, seed=3) and budget.train == 100
    assert budget._asdict() == {"train": 100, "test": 30, "seed": 3}
    assert repr(budget) == "DataBudget(train=100, test=30, seed=3)"


def test_every_chapter_loads_mnist_through_the_budget() -> None:
    # The published site is the tested site only if no chapter bypasses the
    # budget. Two calls may: the data chapter counting the files, and its
    # demonstration of a missing folder.
    allowed = {
        ("mnist_data.md", "load_mnist()"),
        ("mnist_data.md", "load_mnist(root='/no/such/folder')"),
    }
    calls = []
    for path in sorted((ROOT / "book").glob("*.md")):
        for cell in jupytext.read(path).cells:
            if cell.cell_type != "code" or "load_mnist" not in cell.source:
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if (
                    isinstance(node, ast.Call)
                    and getattr(node.func, "id", None) == "load_mnist"
                ):
                    calls.append((path.name, node))
    assert calls, "no chapter loads MNIST?"
    bypassing = [
        (name, ast.unparse(node))
        for name, node in calls
        if not any(k.arg == "budget" for k in node.keywords)
        and (name, ast.unparse(node)) not in allowed
    ]
    assert not bypassing, bypassing


# --- arguments ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "error", "match"),
    [
        (
            {"root": 42},
            TypeError,
            r"^root must be a path \(str or os.PathLike\) or None, got int$",
        ),
        ({"root": ""}, ValueError, r"^root must name a folder, got ''"),
        (
            {"download": "yes"},
            TypeError,
            r"^download must be True, False or None, got str$",
        ),
        (
            {"download": 1},
            TypeError,
            r"^download must be True, False or None, got int$",
        ),
        ({"transform": 42}, TypeError, r"^transform must be a function, got int$"),
        (
            {"budget": 8000},
            TypeError,
            r"^budget must be a DataBudget or None, got int$",
        ),
    ],
)
def test_load_mnist_checks_its_arguments(tiny_mnist, arguments, error, match) -> None:
    root, _ = tiny_mnist
    with pytest.raises(error, match=match):
        load_mnist(**{"root": root, **arguments})


def test_nnbook_download_must_be_0_or_1(tiny_mnist, monkeypatch) -> None:
    root, _ = tiny_mnist
    monkeypatch.setenv("NNBOOK_DOWNLOAD", "yes")
    with pytest.raises(
        ValueError,
        match=r"^NNBOOK_DOWNLOAD must be 1 \(download MNIST if it is missing\) or 0 "
        r"or unset \(never download\), got 'yes'$",
    ):
        load_mnist(root)
    assert (
        len(load_mnist(root, download=False).train) == 30
    )  # an explicit choice does not read it


class _Items:
    """A dataset of given items."""

    def __init__(self, items) -> None:
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


@pytest.mark.parametrize(
    ("dataset", "flatten", "error", "match"),
    [
        (
            42,
            False,
            TypeError,
            r"^dataset must be a dataset of \(image tensor, label\) pairs, got int$",
        ),
        (
            _Items([(torch.zeros(1, 2, 2), 1)]),
            "yes",
            TypeError,
            r"^flatten must be True or False, got str$",
        ),
        (
            _Items([(torch.zeros(1, 2, 2), 1)]),
            1,
            TypeError,
            r"^flatten must be True or False, got int$",
        ),
        (_Items([]), False, ValueError, r"^dataset is empty$"),
        (
            _Items([torch.zeros(2, 2)]),
            False,
            TypeError,
            r"^dataset must yield \(tensor, label\) pairs",
        ),
        ("abc", False, TypeError, r"^dataset must yield \(tensor, label\) pairs"),
        (
            _Items([(np.zeros((2, 2)), 1)]),
            False,
            TypeError,
            r"^dataset must yield \(tensor, label\) pairs",
        ),
        (
            _Items([(torch.zeros(1, 2, 2), 1), (torch.zeros(1, 3, 3), 2)]),
            False,
            ValueError,
            r"^dataset images must all have one shape, got \(1, 2, 2\) and \(1, 3, 3\)$",
        ),
        (
            _Items([(torch.zeros(1, 2, 2), "cat")]),
            False,
            TypeError,
            r"^dataset labels must be integers",
        ),
        (
            _Items([(torch.zeros(1, 2, 2), torch.tensor([1, 2]))]),
            False,
            TypeError,
            r"^dataset labels must be integers",
        ),
    ],
)
def test_to_tensors_checks_its_arguments(dataset, flatten, error, match) -> None:
    with pytest.raises(error, match=match):
        to_tensors(dataset, flatten=flatten)


def test_to_tensors_of_any_dataset_of_pairs() -> None:
    X, y = to_tensors(
        _Items([(torch.ones(1, 2, 2), 3), (torch.zeros(1, 2, 2), np.int64(1))]),
        flatten=True,
    )
    assert X.shape == (2, 4) and X.dtype == torch.float32
    assert y.tolist() == [3, 1] and y.dtype == torch.int64
