"""The package as a whole: cheap to import, versioned, lazily loaded."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys
import types

import pytest

import nnbook


def test_import_does_not_load_torch_or_matplotlib() -> None:
    code = (
        "import sys, nnbook\n"
        "heavy = [m for m in ('torch', 'torchvision', 'matplotlib') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_version_matches_the_installed_metadata() -> None:
    assert nnbook.__version__ == importlib.metadata.version("nnbook")


@pytest.mark.parametrize("name", nnbook.SUBMODULES)
def test_submodules_load_on_first_access(name: str) -> None:
    module = getattr(nnbook, name)
    assert isinstance(module, types.ModuleType)
    assert module.__name__ == f"nnbook.{name}"
    assert name in dir(nnbook)


def test_every_public_module_is_listed() -> None:
    """A new module in src/nnbook must be added to SUBMODULES (and so to the docs)."""
    from pathlib import Path

    files = {p.stem for p in Path(nnbook.__file__).parent.glob("*.py") if not p.stem.startswith("_")}
    assert files == set(nnbook.SUBMODULES)


def test_unknown_attribute_raises() -> None:
    with pytest.raises(AttributeError, match="has no attribute 'nope'"):
        nnbook.nope  # noqa: B018
