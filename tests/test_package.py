"""The package as a whole: cheap to import, versioned, lazily loaded."""

from __future__ import annotations

import ast
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

    files = {
        p.stem
        for p in Path(nnbook.__file__).parent.glob("*.py")
        if not p.stem.startswith("_")
    }
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
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and getattr(value, "__module__", None) == module.__name__
    ]
    missing = sorted(set(defined_here) - set(module.__all__))
    assert not missing, (
        f"nnbook.{name} defines public {missing} but leaves them out of __all__"
    )


#: The modules of the from-scratch chapters: NumPy only, so a reader can run them without PyTorch.
NUMPY_MODULES = (
    "activations",
    "autograd",
    "conv",
    "double_descent",
    "gradcheck",
    "history",
    "idx",
    "least_squares",
    "losses",
    "network",
    "neuron",
    "optim",
    "regularization",
    "splines",
    "splits",
    "synthetic",
)


def test_the_numpy_modules_do_not_import_torch() -> None:
    code = (
        "import sys\n"
        f"for name in {NUMPY_MODULES!r}: __import__('nnbook.' + name)\n"
        "heavy = [m for m in ('torch', 'torchvision') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _summary(name: str) -> str:
    """The first line of module ``nnbook.<name>``'s docstring, read without importing it."""
    from pathlib import Path

    source = Path(nnbook.__file__).with_name(f"{name}.py").read_text()
    return ast.get_docstring(ast.parse(source)).splitlines()[0]


def test_the_package_docstring_lists_every_module_with_its_summary() -> None:
    """help(nnbook) shows each module with the first line of its own docstring, in SUBMODULES' order."""
    listed = re.findall(r"^(\w+)\n    (.+)$", nnbook.__doc__, flags=re.M)
    assert listed == [(name, _summary(name)) for name in nnbook.SUBMODULES]


def _optional_imports_outside_needs(tree: ast.Module, optional: set[str]) -> list[int]:
    """The lines that import an optional package neither inside ``with needs(...)`` nor for type checking."""

    def guarded(node: ast.AST) -> bool:
        if isinstance(node, ast.If):
            return ast.unparse(node.test) == "TYPE_CHECKING"
        return isinstance(node, ast.With) and any(
            isinstance(item.context_expr, ast.Call)
            and ast.unparse(item.context_expr.func) == "needs"
            for item in node.items
        )

    lines: list[int] = []

    def visit(node: ast.AST, inside: bool) -> None:
        if isinstance(node, ast.Import | ast.ImportFrom) and not inside:
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
            )
            if any(name.partition(".")[0] in optional for name in names):
                lines.append(node.lineno)
        for child in ast.iter_child_nodes(node):
            visit(child, inside or guarded(node))

    visit(tree, False)
    return lines


def test_optional_packages_are_imported_through_needs() -> None:
    """Without PyTorch (or IPython), every import of it must say who needs it and how to install it."""
    from pathlib import Path

    from nnbook._optional import EXTRAS

    bare: dict[str, list[int]] = {}
    for path in sorted(Path(nnbook.__file__).parent.glob("*.py")):
        lines = _optional_imports_outside_needs(
            ast.parse(path.read_text()), set(EXTRAS)
        )
        if lines:
            bare[path.name] = lines
    assert not bare, (
        f"import these inside `with needs('nnbook.<module or function>'):` -- file: lines {bare}"
    )


def test_needs_names_who_needs_the_package_and_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nnbook._optional import MissingDependencyError, needs

    monkeypatch.setitem(sys.modules, "IPython", None)  # as if it were not installed
    with pytest.raises(
        MissingDependencyError,
        match=r"^nnbook\.widgets\.widget needs IPython, .*"
        r'pip install "nnbook\[notebook\]"',
    ) as caught:
        with needs("nnbook.widgets.widget"):
            import IPython  # noqa: F401
    assert (
        isinstance(caught.value, ModuleNotFoundError) and caught.value.name == "IPython"
    )


@pytest.mark.parametrize("name", ["torch._C", "not_an_nnbook_dependency"])
def test_needs_lets_other_import_errors_through(name: str) -> None:
    """A broken PyTorch or a package nnbook does not declare is not reported as a missing extra."""
    from nnbook._optional import needs

    error = ModuleNotFoundError(f"No module named {name!r}", name=name)
    with pytest.raises(ModuleNotFoundError) as caught, needs("nnbook.train"):
        raise error
    assert caught.value is error


def test_without_torch_help_works_and_the_torch_modules_say_how_to_install_it() -> None:
    """The wheel test checks this in an environment without torch; here torch is hidden, for the fast loop."""
    code = (
        "import sys\n"
        "for name in ('torch', 'torchvision', 'tqdm', 'IPython'): sys.modules[name] = None\n"
        "import pydoc, nnbook\n"
        "page = pydoc.render_doc(nnbook, renderer=pydoc.plaintext)\n"
        "assert all(name in page for name in nnbook.SUBMODULES)\n"
        "assert not hasattr(nnbook, 'train')\n"
        "try:\n"
        "    import nnbook.train\n"
        "except ImportError as error:\n"
        "    print(error)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.startswith(
        "nnbook.train needs PyTorch, which is not installed. Install it with: "
        'pip install "nnbook[torch]"'
    )
