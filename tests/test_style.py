"""Code the reader sees fits an 88-column code block.

The chapters' code cells are shown on the page, so is the code the prose
quotes (fenced or indented code blocks, in exercises and solutions too), and
the package's code is printed by chapters (``inspect.getsource``) and read
on GitHub: every line of any of them is at most 88 characters, the
``line-length`` of ``[tool.ruff]`` in pyproject.toml, so that a code block
never needs sideways scrolling at desktop width (tests/test_layout.py checks
that in the browser).
"""

from __future__ import annotations

from pathlib import Path

import jupytext
import pytest
import tomllib
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
CHAPTERS = sorted((ROOT / "book").glob("*.md"))
MODULES = sorted((ROOT / "src" / "nnbook").glob("*.py"))
LIMIT = 88


def _long_lines(lines: list[str], where: str, offset: int = 1) -> list[str]:
    return [
        f"{where}:{number} ({len(line)} characters)"
        for number, line in enumerate(lines, start=offset)
        if len(line) > LIMIT
    ]


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """Each code cell's source with the line of the file its first line is on.

    jupytext reads the MyST notebook; the line is found by searching the file
    for the cell's text after its ``{code-cell}`` fence, so that an offender is
    reported where an editor shows it.
    """
    text = path.read_text(encoding="utf-8")
    file_lines = text.splitlines()
    cells: list[tuple[int, str]] = []
    start = 0
    for cell in jupytext.reads(text, fmt="md:myst").cells:
        if cell.cell_type != "code":
            continue
        first = cell.source.splitlines()[0] if cell.source else ""
        line = start
        while line < len(file_lines) and not file_lines[line].startswith(
            "```{code-cell}"
        ):
            line += 1
        fence = line
        while line < len(file_lines) and file_lines[line] != first:
            line += 1
        if line == len(file_lines):  # not found: report the fence's line
            line = fence
        cells.append((line + 1, cell.source))
        start = line + 1
    return cells


#: Directives whose body is not Markdown (their code, if any, is checked
#: elsewhere or is not code).
_OPAQUE = {"{math}", "{code-cell}", "{eval-rst}", "{raw}", "{toctree}", "{figure}"}
_CODE = {"{code-block}", "{code}", "{sourcecode}"}


def _quoted_code(markdown: str) -> list[str]:
    """The code blocks of a Markdown text, directive bodies included, as rendered."""
    blocks: list[str] = []
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type == "code_block":
            blocks.append(token.content)
        elif token.type == "fence":
            name = (token.info.split() or [""])[0]
            if name.startswith("{") and name not in _CODE:
                if name not in _OPAQUE:  # an exercise, a solution, a note ...
                    body = token.content.splitlines()
                    blocks += _quoted_code(
                        "\n".join(line for line in body if not line.startswith(":"))
                    )
            else:
                blocks.append(token.content)
    return blocks


def _prose_code_offenders(path: Path) -> list[str]:
    """Long lines of the code blocks in a chapter's Markdown, as file:line."""
    text = path.read_text(encoding="utf-8")
    file_lines = text.splitlines()
    offenders = []
    for cell in jupytext.reads(text, fmt="md:myst").cells:
        if cell.cell_type != "markdown":
            continue
        for block in _quoted_code(cell.source):
            for line in block.splitlines():
                if len(line) > LIMIT:
                    number = next(
                        (n for n, f in enumerate(file_lines, 1) if line in f), 0
                    )
                    offenders.append(
                        f"{path.relative_to(ROOT).as_posix()}:{number} "
                        f"({len(line)} characters)"
                    )
    return offenders


def test_the_limit_is_ruffs_line_length() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert config["tool"]["ruff"]["line-length"] == LIMIT


def test_the_files_are_found() -> None:
    assert len(CHAPTERS) >= 10, CHAPTERS
    assert (ROOT / "src" / "nnbook" / "network.py") in MODULES


def test_the_check_finds_a_long_line() -> None:
    lines = ["x = 1", "y = " + "1 + " * 30 + "1", "z = " + "a" * (LIMIT - 4)]
    assert _long_lines(lines, "f.py") == ["f.py:2 (125 characters)"]
    text = "# T\n\n```{code-cell} ipython3\nx = 1\n" + "y = 2  #" + "-" * 90 + "\n```\n"
    cells = _code_cells_of(text)
    assert [line for line, _ in cells] == [4]
    assert _long_lines(cells[0][1].splitlines(), "t.md", cells[0][0]) == [
        "t.md:5 (98 characters)"
    ]


def _code_cells_of(text: str) -> list[tuple[int, str]]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.md"
        path.write_text(text, encoding="utf-8")
        return _code_cells(path)


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_chapter_code_cells_fit_88_columns(path: Path) -> None:
    offenders = [
        offender
        for line, source in _code_cells(path)
        for offender in _long_lines(
            source.splitlines(), path.relative_to(ROOT).as_posix(), line
        )
    ]
    assert not offenders, (
        f"{len(offenders)} code line(s) longer than {LIMIT} characters:\n"
        + "\n".join(offenders)
    )


def test_the_check_finds_quoted_code() -> None:
    text = (
        "Text\n\n```python\nshort\n" + "a" * 89 + "\n```\n\n"
        "````{solution} x\n:class: dropdown\n\n    " + "b" * 90 + "\n\n````\n"
        "```{math}\n" + "c" * 100 + "\n```\n"
    )
    long = [line for block in _quoted_code(text) for line in block.splitlines()]
    assert sorted(len(line) for line in long) == [5, 89, 90], long


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.name)
def test_code_quoted_in_chapters_fits_88_columns(path: Path) -> None:
    offenders = _prose_code_offenders(path)
    assert not offenders, (
        f"{len(offenders)} line(s) of quoted code longer than {LIMIT} characters:\n"
        + "\n".join(offenders)
    )


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_package_lines_fit_88_columns(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    offenders = _long_lines(lines, path.relative_to(ROOT).as_posix())
    assert not offenders, (
        f"{len(offenders)} line(s) longer than {LIMIT} characters:\n"
        + "\n".join(offenders)
    )
