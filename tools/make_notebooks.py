"""Turn the book's MyST chapters into Jupyter notebooks for Colab.

Colab opens only ``.ipynb`` files. This script converts every chapter listed
in ``_toc.yml`` (jupytext) and puts one cell in front that installs ``nnbook``
when it is missing, so a chapter runs as it is on a fresh machine. The
workflow publishes the result on the branch that the Colab buttons point at
(``nnbook_notebooks_branch`` in ``_config.yml``).

Usage::

    python tools/make_notebooks.py OUTPUT_DIR

writes ``OUTPUT_DIR/book/<chapter>.ipynb``, mirroring the repository's paths.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent

#: The first cell of every generated notebook. It does nothing where nnbook
#: is installed already (a local clone, Binder, the tests here).
INSTALL_CELL = """\
# Set-up for Colab and other fresh machines: install nnbook (with PyTorch)
# and MyST-NB (for `glue`) when they are missing, and allow the MNIST
# download, which the book never does on its own.
import importlib.util
import os
import subprocess
import sys

if importlib.util.find_spec("nnbook") is None or importlib.util.find_spec("myst_nb") is None:
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet",
                           "nnbook[torch] @ git+{repository}", "myst-nb"])
os.environ.setdefault("NNBOOK_DOWNLOAD", "1")
# The performance appendix shows the benchmark table committed to the repository.
os.environ.setdefault("NNBOOK_BENCHMARKS", "{results}")"""


def repository_url(config: Path = ROOT / "_config.yml") -> str:
    """The repository URL, from the one place that defines it."""
    return yaml.safe_load(config.read_text())["repository"]["url"]


def benchmark_results_url(config: Path = ROOT / "_config.yml") -> str:
    """Where the committed benchmark table (``benchmarks/results.json``) can be downloaded."""
    repository = yaml.safe_load(config.read_text())["repository"]
    path = urlsplit(repository["url"]).path.strip("/")
    return f"https://raw.githubusercontent.com/{path}/{repository.get('branch', 'main')}/benchmarks/results.json"


def toc_files(toc: Path = ROOT / "_toc.yml") -> list[str]:
    """Every page named in ``_toc.yml``, the root first, as written there."""
    data = yaml.safe_load(toc.read_text())
    files: list[str] = [data["root"]]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "file" in node:
                files.append(node["file"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk({k: v for k, v in data.items() if k != "root"})
    return files


def chapters(toc: Path = ROOT / "_toc.yml") -> list[Path]:
    """The pages of ``_toc.yml`` that are notebooks (MyST files with a kernelspec)."""
    pages = [
        toc.parent / (f if f.endswith(".md") else f + ".md") for f in toc_files(toc)
    ]
    return [
        p
        for p in pages
        if "kernelspec:" in p.read_text(encoding="utf-8").split("\n---", 1)[0]
    ]


def to_notebook(chapter: Path, repository: str) -> nbformat.NotebookNode:
    """Convert one chapter and put the install cell first."""
    notebook = jupytext.read(chapter)
    cell = nbformat.v4.new_code_cell(
        INSTALL_CELL.format(repository=repository, results=benchmark_results_url())
    )
    cell.metadata["tags"] = ["nnbook-setup"]
    notebook.cells.insert(0, cell)
    # Colab reads the kernel from here; the chapters' header names python3.
    notebook.metadata.setdefault(
        "kernelspec",
        {"name": "python3", "display_name": "Python 3", "language": "python"},
    )
    notebook.metadata.pop("jupytext", None)
    return notebook


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "output", type=Path, help="folder to write book/<chapter>.ipynb into"
    )
    args = parser.parse_args(argv)
    repository = repository_url()
    for chapter in chapters():
        target = args.output / chapter.relative_to(ROOT).with_suffix(".ipynb")
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(to_notebook(chapter, repository), target)
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
