"""The package as a whole: cheap to import, versioned, lazily loaded."""

from __future__ import annotations

import importlib
import importlib.metadata
import re
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


def test_the_api_page_documents_every_module() -> None:
    """book/api.md has an automodule section for every submodule, so the reference is complete."""
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "book" / "api.md").read_text()
    documented = set(re.findall(r"\.\. automodule:: nnbook\.(\w+)", page))
    assert documented == set(nnbook.SUBMODULES)


@pytest.mark.parametrize("name", nnbook.SUBMODULES)
def test_every_public_name_has_a_docstring(name: str) -> None:
    """automodule lists only what has a docstring: every name in __all__ needs one."""
    module = importlib.import_module(f"nnbook.{name}")
    assert module.__doc__, f"nnbook.{name} has no module docstring"
    public = getattr(module, "__all__", None)
    assert public, f"nnbook.{name} must list its public names in __all__"
    undocumented = []
    for attribute in public:
        value = getattr(module, attribute)
        if callable(value) and not (getattr(value, "__doc__", None) or "").strip():
            undocumented.append(attribute)
    assert not undocumented, f"nnbook.{name}: no docstring for {undocumented}"


@pytest.mark.parametrize("name", nnbook.SUBMODULES)
def test_every_public_function_and_class_is_in_all(name: str) -> None:
    """A function or class without a leading underscore is public: the API page must list it."""
    import inspect

    module = importlib.import_module(f"nnbook.{name}")
    defined_here = [
        attribute for attribute, value in vars(module).items()
        if not attribute.startswith("_") and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == module.__name__
    ]
    missing = sorted(set(defined_here) - set(module.__all__))
    assert not missing, f"nnbook.{name} defines public {missing} but leaves them out of __all__"


#: The modules of the from-scratch chapters: NumPy only, so a reader can run them without PyTorch.
NUMPY_MODULES = ("activations", "autograd", "conv", "double_descent", "gradcheck", "history", "least_squares",
                 "losses", "network", "neuron", "optim", "regularization", "splines", "splits", "synthetic")


def test_the_numpy_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        f"for name in {NUMPY_MODULES!r}: __import__('nnbook.' + name)\n"
        "heavy = [m for m in ('torch', 'torchvision') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
