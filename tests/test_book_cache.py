"""tools/book_cache.py: the execution cache goes when nnbook's source or the data change."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location(
    "book_cache", ROOT / "tools" / "book_cache.py"
)
book_cache = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book_cache)


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, Path]:
    """A fake repository: a package, a requirements file and a build folder."""
    package = tmp_path / "src" / "pkg"
    package.mkdir(parents=True)
    (package / "a.py").write_text("x = 1\n")
    (package / "b.py").write_text("y = 2\n")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("numpy==2.0\n")
    build = tmp_path / "_build"
    stale = [build / ".jupyter_cache", build / ".doctrees"]
    for path in stale:
        path.mkdir(parents=True)
        (path / "entry").write_text("cached")
    return {
        "root": tmp_path,
        "package": package,
        "requirements": requirements,
        "stamp": build / ".stamp",
        "stale": stale,
        "data": {"root": "/data/sample", "mnist_raw": "0" * 64, "full_data": False},
    }


def _hash(tree) -> str:
    return book_cache.inputs_hash([tree["package"], tree["requirements"]], tree["root"])


def _check(tree, data=None) -> bool:
    return book_cache.check(
        [tree["package"], tree["requirements"]],
        tree["stamp"],
        tree["stale"],
        tree["root"],
        data or tree["data"],
    )


def _stamp(tree, data=None) -> None:
    book_cache.write_stamp(
        [tree["package"], tree["requirements"]],
        tree["stamp"],
        tree["root"],
        data or tree["data"],
    )


def test_hash_is_stable_and_ignores_bytecode(tree) -> None:
    before = _hash(tree)
    cache = tree["package"] / "__pycache__"
    cache.mkdir()
    (cache / "a.cpython-311.pyc").write_bytes(b"\x00compiled")
    assert _hash(tree) == before


@pytest.mark.parametrize(
    "change",
    [
        lambda t: (t["package"] / "a.py").write_text("x = 2\n"),
        lambda t: (t["package"] / "c.py").write_text(""),
        lambda t: (t["package"] / "b.py").rename(t["package"] / "bb.py"),
        lambda t: (t["package"] / "b.py").unlink(),
        lambda t: t["requirements"].write_text("numpy==2.1\n"),
    ],
    ids=["edit", "add", "rename", "delete", "requirements"],
)
def test_any_change_changes_the_hash(tree, change) -> None:
    before = _hash(tree)
    change(tree)
    assert _hash(tree) != before


def test_hash_does_not_depend_on_the_checkout_location(tree, tmp_path_factory) -> None:
    import shutil

    other = tmp_path_factory.mktemp("elsewhere") / "repo"
    shutil.copytree(tree["root"], other)
    moved = book_cache.inputs_hash(
        [other / "src" / "pkg", other / "requirements.txt"], other
    )
    assert moved == _hash(tree)


def test_check_keeps_the_cache_while_inputs_are_unchanged(tree) -> None:
    _stamp(tree)
    assert _check(tree) is False
    assert all((path / "entry").is_file() for path in tree["stale"])


def test_check_deletes_the_cache_when_the_source_changes(tree) -> None:
    _stamp(tree)
    (tree["package"] / "a.py").write_text("x = 3\n")
    assert _check(tree) is True
    assert not any(path.exists() for path in tree["stale"])
    assert not tree["stamp"].exists()  # until the next successful build
    _stamp(tree)
    assert _check(tree) is False


def test_first_build_without_stamp_starts_clean(tree) -> None:
    assert _check(tree) is True
    assert not any(path.exists() for path in tree["stale"])


def test_the_real_inputs_include_the_package() -> None:
    assert ROOT / "src" / "nnbook" in book_cache.INPUTS
    assert ROOT / "requirements.txt" in book_cache.INPUTS


@pytest.mark.parametrize(
    "change",
    [
        {"root": "/data/standin"},
        {"mnist_raw": "1" * 64},
        {"mnist_raw": None},
        {"full_data": True},
    ],
    ids=["root", "files", "no-files", "full-data"],
)
def test_check_deletes_the_cache_when_the_data_change(tree, change) -> None:
    # A cache executed from other data shows other numbers: the site must not reuse it.
    _stamp(tree)
    assert _check(tree, {**tree["data"], **change}) is True
    assert not any(path.exists() for path in tree["stale"])
    assert not tree["stamp"].exists()


def test_data_identity_names_the_root_its_files_and_the_budget(
    tiny_mnist, tmp_path_factory
) -> None:
    import shutil

    root = tiny_mnist[0]
    identity = book_cache.data_identity(root, full_data=False)
    assert identity["root"] == str(root.resolve()) and identity["full_data"] is False
    assert book_cache.data_identity(root, full_data=False) == identity
    assert book_cache.data_identity(root, full_data=True)["full_data"] is True
    # The same files elsewhere: the same files hash, another root.
    other = tmp_path_factory.mktemp("other") / "data"
    shutil.copytree(root, other)
    moved = book_cache.data_identity(other, full_data=False)
    assert (
        moved["mnist_raw"] == identity["mnist_raw"]
        and moved["root"] != identity["root"]
    )
    # Other content in the same files.
    labels = root / "MNIST" / "raw" / "train-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1] + bytes([labels.read_bytes()[-1] ^ 1]))
    assert (
        book_cache.data_identity(root, full_data=False)["mnist_raw"]
        != identity["mnist_raw"]
    )
    # No data yet (the loader may download it).
    assert (
        book_cache.data_identity(tmp_path_factory.mktemp("empty"), full_data=False)[
            "mnist_raw"
        ]
        is None
    )


def test_data_identity_reads_the_environment(tiny_mnist, monkeypatch) -> None:
    root = tiny_mnist[0]
    monkeypatch.setenv("NNBOOK_DATA", str(root))
    monkeypatch.setenv("NNBOOK_FULL_DATA", "1")
    assert book_cache.data_identity() == book_cache.data_identity(root, full_data=True)
    monkeypatch.setenv("NNBOOK_FULL_DATA", "0")
    assert book_cache.data_identity()["full_data"] is False


def test_the_stamp_records_what_the_build_started_from(tree) -> None:
    paths = [tree["package"], tree["requirements"]]
    started = book_cache.stamp_content(paths, tree["root"], tree["data"])
    book_cache.begin(tree["stamp"], started)
    (tree["package"] / "a.py").write_text("x = 4\n")  # edited while the book builds
    book_cache.finish(tree["stamp"])
    assert book_cache.read_stamp(tree["stamp"]) == started
    assert _check(tree) is True  # the next build executes the edit


def test_a_stamp_of_another_format_is_no_stamp(tree) -> None:
    tree["stamp"].write_text(_hash(tree) + "\n")  # the former bare hash
    assert book_cache.read_stamp(tree["stamp"]) is None
    assert _check(tree) is True
