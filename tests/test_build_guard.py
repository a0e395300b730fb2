"""A cell that raises must fail the build; one tagged raises-exception must not.

Each test builds a throwaway two-page book in a temporary folder, with this
repository's own _config.yml and the exact build command of the Makefile, so
the guard tests the configuration the real book is built with.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT

pytestmark = pytest.mark.slow

JUPYTER_BOOK = Path(sys.executable).parent / "jupyter-book"

NOTEBOOK_HEADER = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
    format_version: 0.13
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
"""


def makefile_build_flags() -> list[str]:
    """The options the Makefile passes to `jupyter-book build .`."""
    makefile = (ROOT / "Makefile").read_text()
    match = re.search(r"jupyter-book build \. (.+?)\s*\\?\n", makefile)
    assert match, "the Makefile has no `jupyter-book build .` command"
    return match.group(1).split()


def build_book(tmp_path: Path, cell: str) -> subprocess.CompletedProcess[str]:
    """Build a book whose second page has one code cell, ``cell``."""
    book = tmp_path / "book"
    book.mkdir()
    shutil.copy(ROOT / "_config.yml", tmp_path / "_config.yml")
    shutil.copy(ROOT / "book" / "references.bib", book / "references.bib")
    for shared in ("_vendor", "tools"):
        (tmp_path / shared).symlink_to(ROOT / shared)
    (book / "_static").symlink_to(ROOT / "book" / "_static")
    (tmp_path / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nchapters:\n  - file: book/page\n"
    )
    (book / "intro.md").write_text(
        "# A throwaway book\n\nIt checks the build configuration.\n"
    )
    (book / "page.md").write_text(
        f"{NOTEBOOK_HEADER}\n# A page\n\n```{{code-cell}} ipython3\n{cell}\n```\n"
    )
    return subprocess.run(
        [str(JUPYTER_BOOK), "build", str(tmp_path), *makefile_build_flags()],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_makefile_builds_with_warnings_as_errors() -> None:
    flags = makefile_build_flags()
    for flag in ("-W", "-n", "--keep-going"):
        assert flag in flags


def test_a_raising_cell_fails_the_build(tmp_path: Path) -> None:
    result = build_book(
        tmp_path, 'raise RuntimeError("this cell is broken on purpose")'
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-3000:]
    assert "this cell is broken on purpose" in output


def test_a_cell_tagged_raises_exception_builds(tmp_path: Path) -> None:
    result = build_book(
        tmp_path, ':tags: [raises-exception]\n\nraise RuntimeError("shown on purpose")'
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    page = (tmp_path / "_build" / "html" / "book" / "page.html").read_text()
    assert "shown on purpose" in page
