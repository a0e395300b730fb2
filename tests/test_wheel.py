"""The package as practitioners get it: a wheel, installed outside the repo.

`python -m build` makes the sdist and the wheel; the wheel goes into a fresh
virtual environment (no editable install, the repository not on the path),
where `import nnbook` must work and the README's usage examples must run.
"""

from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow


def readme_examples() -> list[str]:
    """The Python blocks of the README's 'Use the helpers' section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text.split("## Use the helpers in your own code", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.S)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run([sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True)
    return out


@pytest.fixture(scope="module")
def venv(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A new environment with the wheel; it borrows this one's third-party
    packages (torch is gigabytes) through a .pth line, which does not run
    their .pth files, so this environment's editable nnbook stays invisible."""
    root = tmp_path_factory.mktemp("venv")
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    python = root / "bin" / "python"
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (wheel,) = dist.glob("*.whl")
    subprocess.run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet", str(wheel)], check=True)
    return root


def test_sdist_and_wheel_hold_the_package(dist: Path) -> None:
    import nnbook

    (wheel,) = dist.glob("*.whl")
    (sdist,) = dist.glob("*.tar.gz")
    assert wheel.name.startswith(f"nnbook-{nnbook.__version__}-")
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {f"nnbook/{m}.py" for m in nnbook.SUBMODULES} | {"nnbook/__init__.py", "nnbook/py.typed"}
    assert modules <= names
    with tarfile.open(sdist) as archive:
        members = {Path(m).relative_to(Path(m).parts[0]).as_posix() for m in archive.getnames() if "/" in m}
    assert {"pyproject.toml", "README.md", "LICENSE"} <= members
    assert {f"src/{m}" for m in modules} <= members


def test_wheel_imports_outside_the_repository(venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib.metadata, sys, nnbook\n"
        f"assert nnbook.__file__.startswith({str(venv)!r}), nnbook.__file__\n"
        "assert nnbook.__version__ == importlib.metadata.version('nnbook')\n"
        "assert 'torch' not in sys.modules\n"
        "for name in nnbook.SUBMODULES: getattr(nnbook, name)\n"
        "print(nnbook.__version__)\n"
    )
    result = subprocess.run([str(venv / "bin" / "python"), "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_readme_examples_run_with_the_wheel(venv: Path, tmp_path: Path, mnist_root: Path) -> None:
    examples = readme_examples()
    assert len(examples) == 5, (
        "the README shows five examples: load MNIST, the NumPy network, splines, train with fit, check a gradient"
    )
    script = tmp_path / "readme_examples.py"
    script.write_text("\n".join(examples))
    result = subprocess.run([str(venv / "bin" / "python"), str(script)], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "validation accuracy after 3 epochs" in result.stdout
    assert float(re.search(r"training accuracy (\S+)", result.stdout).group(1)) > 0.95  # the NumPy network
    errors = [float(e) for e in re.findall(r"error on new samples (\S+)", result.stdout)]
    assert len(errors) == 3 and errors[1] > errors[0] and errors[1] > errors[2]  # the peak at interpolation
