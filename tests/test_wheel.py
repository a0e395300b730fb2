"""The package as practitioners get it: a wheel, installed outside the repo.

`python -m build` makes the sdist and, from it, the wheel; the wheel goes into
a fresh virtual environment (no editable install, the repository not on the
path), where `import nnbook` must work and the README's usage examples must
run. A second environment has no PyTorch, as for a reader of the NumPy
chapters: there the NumPy modules must work, and the PyTorch ones must say
how to install what they need.
"""

from __future__ import annotations

import ast
import importlib.metadata
import json
import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from conftest import ROOT

pytestmark = pytest.mark.slow


def readme_examples() -> list[str]:
    """The Python blocks of the README's 'Use the helpers' section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the helpers in your own code", 1)[1].split("\n## ", 1)[
        0
    ]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # Without --sdist/--wheel, build makes the wheel from the unpacked sdist: the sdist must be complete.
    subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(ROOT)],
        check=True,
        capture_output=True,
    )
    return out


def venv_with_the_wheel(root: Path, dist: Path, borrowed: str) -> Path:
    """Make a virtual environment in ``root`` with the wheel and the packages in folder ``borrowed``.

    The folder is named in a .pth line, which puts it on the path without
    running the .pth files in it. This environment's pip installs the wheel
    (``--python``), so the new one needs no pip of its own.
    """
    subprocess.run(
        [sys.executable, "-m", "venv", "--without-pip", str(root)], check=True
    )
    python = root / "bin" / "python"
    site = subprocess.run(
        [
            str(python),
            "-c",
            "import sysconfig; print(sysconfig.get_paths()['purelib'])",
        ],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(f"{borrowed}\n")
    (wheel,) = dist.glob("*.whl")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--no-index",
            "--quiet",
            str(wheel),
        ],
        check=True,
    )
    return root


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new environment with the wheel; it borrows this one's third-party
    packages (torch is gigabytes), but not this environment's editable
    nnbook, which its own .pth file would have made visible."""
    return venv_with_the_wheel(
        tmp_path_factory.mktemp("venv"), dist, sysconfig.get_paths()["purelib"]
    )


#: The modules that need PyTorch to import; every other one needs only the required dependencies.
TORCH_MODULES = {"checkpoints", "models", "train"}

INSTALL_TORCH = 'pip install "nnbook[torch]"'


def required_distributions() -> dict[str, importlib.metadata.Distribution]:
    """nnbook's required dependencies and theirs, as installed here: everything but its extras."""
    found: dict[str, importlib.metadata.Distribution] = {}
    todo = ["nnbook"]
    while todo:
        name = canonicalize_name(todo.pop())
        if name not in found:
            found[name] = importlib.metadata.distribution(name)
            requirements = (Requirement(r) for r in found[name].requires or [])
            todo += [
                r.name
                for r in requirements
                if r.marker is None or r.marker.evaluate({"extra": ""})
            ]
    del found["nnbook"]
    return found


@pytest.fixture(scope="module")
def venv_without_torch(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new environment with the wheel and only its required dependencies.

    It borrows them from this environment through a folder of links to
    their files, so that torch, torchvision, tqdm and IPython stay out of
    reach and nothing is downloaded.
    """
    root = tmp_path_factory.mktemp("venv-without-torch")
    borrowed = root / "borrowed"
    borrowed.mkdir()
    for distribution in required_distributions().values():
        for top in {Path(str(f)).parts[0] for f in distribution.files or []} - {
            "..",
            "__pycache__",
        }:
            link = borrowed / top
            if not link.exists():
                link.symlink_to(Path(str(distribution.locate_file(top))))
    return venv_with_the_wheel(root / "env", dist, str(borrowed))


def run_without_torch(venv: Path, cwd: Path, code: str) -> str:
    """Run ``code`` with the no-torch environment's Python; return what it prints."""
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_sdist_and_wheel_hold_the_package(dist: Path) -> None:
    import nnbook

    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name.startswith(f"nnbook-{nnbook.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"nnbook/{m}.py" for m in nnbook.SUBMODULES} | {
        "nnbook/__init__.py",
        "nnbook/py.typed",
    }
    assert modules <= names
    with tarfile.open(sdist) as archive:
        members = {
            Path(m).relative_to(Path(m).parts[0]).as_posix()
            for m in archive.getnames()
            if "/" in m
        }
    assert {"pyproject.toml", "README.md", "LICENSE"} <= members
    assert {f"src/{m}" for m in modules} <= members


def test_the_sdist_holds_the_package_and_its_build_files_only(dist: Path) -> None:
    """The tests stay in the repository (MANIFEST.in): they check the book, its tools and its data, which the
    sdist does not ship, so an sdist with tests/ would hold a suite that cannot run."""
    (sdist,) = dist.glob("*.tar.gz")
    with tarfile.open(sdist) as archive:
        files = {
            Path(m.name).relative_to(Path(m.name).parts[0]).as_posix()
            for m in archive.getmembers()
            if m.isfile()
        }
    build_files = {
        "pyproject.toml",
        "README.md",
        "LICENSE",
        "MANIFEST.in",
        "PKG-INFO",
        "setup.cfg",
    }
    unexpected = sorted(
        f
        for f in files - build_files
        if not f.startswith(("src/nnbook/", "src/nnbook.egg-info/"))
    )
    assert not unexpected, f"the sdist holds files outside the package: {unexpected}"
    assert not any(f.startswith("tests/") for f in files)


def test_wheel_imports_outside_the_repository(venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib.metadata, sys, nnbook\n"
        f"assert nnbook.__file__.startswith({str(venv)!r}), nnbook.__file__\n"
        "assert nnbook.__version__ == importlib.metadata.version('nnbook')\n"
        "assert 'torch' not in sys.modules\n"
        "for name in nnbook.SUBMODULES: getattr(nnbook, name)\n"
        "print(nnbook.__version__)\n"
    )
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def test_readme_examples_run_with_the_wheel(
    venv: Path, tmp_path: Path, mnist_root: Path
) -> None:
    examples = readme_examples()
    assert len(examples) == 6, (
        "the README shows six examples: load MNIST, the NumPy network, splines, train with fit, Adam with a "
        "cosine schedule, check a gradient"
    )
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(examples))
    result = subprocess.run(
        [str(venv / "bin" / "python"), str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validation accuracy after 3 epochs" in result.stdout
    assert (
        float(re.search(r"training accuracy (\S+)", result.stdout).group(1)) > 0.95
    )  # the NumPy network
    errors = [
        float(e) for e in re.findall(r"error on new samples (\S+)", result.stdout)
    ]
    assert (
        len(errors) == 3 and errors[1] > errors[0] and errors[1] > errors[2]
    )  # the peak at interpolation
    w = [float(x) for x in re.search(r"w = \((\S+), (\S+)\)", result.stdout).groups()]
    assert max(abs(x) for x in w) < 0.01  # Adam reached the minimum at 0


def test_without_torch_the_numpy_modules_import_and_the_others_say_how_to_install_torch(
    venv_without_torch: Path, tmp_path: Path
) -> None:
    code = (
        "import importlib, importlib.util, json, nnbook\n"
        "assert importlib.util.find_spec('torch') is None, 'torch is reachable'\n"
        "outcome = {}\n"
        "for name in nnbook.SUBMODULES:\n"
        "    try:\n"
        "        importlib.import_module('nnbook.' + name)\n"
        "        outcome[name] = None\n"
        "    except ImportError as error:\n"
        "        outcome[name] = str(error)\n"
        "print(json.dumps(outcome))\n"
    )
    import nnbook

    outcome = json.loads(run_without_torch(venv_without_torch, tmp_path, code))
    assert {name for name, error in outcome.items() if error} == TORCH_MODULES, outcome
    for name in TORCH_MODULES:
        assert (
            f"nnbook.{name} needs PyTorch" in outcome[name]
            and INSTALL_TORCH in outcome[name]
        )
    assert set(outcome) == set(nnbook.SUBMODULES)


def test_without_torch_the_functions_that_need_it_say_how_to_install_it(
    venv_without_torch: Path, tiny_mnist: tuple[Path, dict[str, object]]
) -> None:
    root, _ = tiny_mnist
    code = (
        "import nnbook\n"
        "from nnbook.data import load_mnist\n"
        "from nnbook.widgets import widget, widget_html\n"
        "def message(call):\n"
        "    try:\n"
        "        call()\n"
        "    except ImportError as error:\n"
        "        return str(error)\n"
        "    raise AssertionError('no ImportError')\n"
        "print(message(lambda: load_mnist('.')))  # a valid MNIST folder: only torchvision is missing\n"
        "print(message(lambda: widget('draw-digit')))\n"
        "print(message(lambda: __import__('nnbook.train')))\n"
        "assert not hasattr(nnbook, 'train')  # an attribute that cannot load is absent\n"
        "assert widget_html('draw-digit').startswith('<div')  # the rest of nnbook.widgets works\n"
    )
    mnist, display, train = run_without_torch(
        venv_without_torch, root, code
    ).splitlines()
    assert (
        mnist.startswith("nnbook.data.load_mnist needs torchvision")
        and INSTALL_TORCH in mnist
    )
    assert (
        display.startswith("nnbook.widgets.widget needs IPython")
        and 'pip install "nnbook[notebook]"' in display
    )
    assert train.startswith("nnbook.train needs PyTorch") and INSTALL_TORCH in train


def test_without_torch_help_lists_every_module_with_its_summary(
    venv_without_torch: Path, tmp_path: Path
) -> None:
    import nnbook

    code = "import pydoc, nnbook\nprint(pydoc.render_doc(nnbook, renderer=pydoc.plaintext))\n"
    page = run_without_torch(venv_without_torch, tmp_path, code)
    for name in nnbook.SUBMODULES:
        source = Path(nnbook.__file__).with_name(f"{name}.py").read_text()
        summary = ast.get_docstring(ast.parse(source)).splitlines()[0]
        assert re.search(rf"^ +{name}\n +{re.escape(summary)}$", page, flags=re.M), (
            f"help(nnbook) misses {name}"
        )
