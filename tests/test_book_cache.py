"""tools/book_cache.py: the execution cache goes when nnbook's source changes."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from conftest import ROOT

spec = importlib.util.spec_from_file_location("book_cache", ROOT / "tools" / "book_cache.py")
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
    }


def _hash(tree) -> str:
    return book_cache.inputs_hash([tree["package"], tree["requirements"]], tree["root"])


def _check(tree) -> bool:
    return book_cache.check([tree["package"], tree["requirements"]], tree["stamp"], tree["stale"], tree["root"])


def _stamp(tree) -> None:
    book_cache.write_stamp([tree["package"], tree["requirements"]], tree["stamp"], tree["root"])


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
    moved = book_cache.inputs_hash([other / "src" / "pkg", other / "requirements.txt"], other)
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
