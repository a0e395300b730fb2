"""Build the book in a scratch copy of the repository and read what it did.

Used by ``benchmarks/bench_book.py`` (how long builds take) and by
``tools/published_build.py`` (the book built from a full-size MNIST stand-in):
both build a copy, so the repository's own ``_build`` and the files the
chapters write are never touched. The readers here (:func:`page_records`,
:func:`chapter_seconds`, :func:`glued`) only read a build's execution cache,
so ``tools/published_build.py`` also uses them on the repository's own build.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def copy_repository(target: Path, leave_out: tuple[str, ...] = ()) -> None:
    """Copy the tracked files, the vendored MathJax and a link to the environment.

    ``leave_out`` names pages (as in ``_toc.yml``, e.g. ``book/performance``)
    to drop from the copy's table of contents.
    """
    files = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "_vendor", target / "_vendor", symlinks=True)
    (target / ".venv").symlink_to(ROOT / ".venv")
    toc = target / "_toc.yml"
    text = toc.read_text()
    for page in leave_out:
        line = f"      - file: {page}\n"
        if line not in text:
            raise RuntimeError(f"{page} is not in _toc.yml as {line.strip()!r}")
        text = text.replace(line, "")
    toc.write_text(text)


def build(repo: Path, env: Mapping[str, str] | None = None) -> tuple[float, list[str]]:
    """Run ``make book`` in ``repo``; return its seconds and the chapters it executed."""
    start = time.perf_counter()
    env = dict(os.environ if env is None else env)
    # The borrowed environment installs this repository's src/ (editable):
    # put the copy's own package first, so that the build runs the code its
    # stamp (tools/book_cache.py) hashes, even if this repository's changes.
    env["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(repo / "src"), env.get("PYTHONPATH")])
    )
    # `-o .venv/.installed`: the environment is borrowed (a link to this
    # repository's); never reinstall it, or it would point at the copy.
    result = subprocess.run(
        ["make", "-o", ".venv/.installed", "book"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
    )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(
            f"make book failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
        )
    executed = re.findall(
        r"(\S+\.md): Executing notebook", result.stdout + result.stderr
    )
    return seconds, [Path(p).relative_to(repo).as_posix() for p in executed]


def _cache(repo: Path) -> Any:
    """The build's execution cache (jupyter-cache); never creates one where there is none."""
    from jupyter_cache import get_cache

    path = repo / "_build" / ".jupyter_cache"
    if not path.is_dir():
        raise FileNotFoundError(
            f"{repo} has no execution cache ({path}): build the book first"
        )
    return get_cache(path)


def _records(repo: Path, records: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The records to read, by page: ``records`` if given, else every record in the cache."""
    if records is not None:
        return dict(records)
    return {
        Path(r.uri).relative_to(repo).as_posix(): r
        for r in _cache(repo).list_cache_records()
    }


def toc_pages(repo: Path) -> list[str]:
    """The pages of the book's table of contents, as paths like ``book/losses.md``."""
    import yaml

    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("root", "file") and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(yaml.safe_load((repo / "_toc.yml").read_text()))
    pages = []
    for name in found:
        path = repo / name if Path(name).suffix else (repo / name).with_suffix(".md")
        pages.append(path.relative_to(repo).as_posix())
    return pages


def page_notebooks(repo: Path) -> dict[str, Any]:
    """The pages with code, each as the notebook MyST-NB reads and executes.

    A page is read as MyST-NB reads it in the build (a MyST Markdown notebook,
    with the Markdown extensions of ``_config.yml``), so that its hash is the
    one jupyter-cache gave the executed page; pages that are not notebooks,
    or have no code cell, are not executed and are left out.
    """
    import yaml
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    config = yaml.safe_load((repo / "_config.yml").read_text()) or {}
    extensions = (config.get("parse") or {}).get("myst_enable_extensions") or []
    md_config = MdParserConfig(enable_extensions=set(extensions))
    notebooks = {}
    for page in toc_pages(repo):
        path = repo / page
        text = path.read_text() if path.suffix == ".md" and path.is_file() else ""
        if not is_myst_markdown_notebook(text):
            continue
        notebook = read_myst_markdown_notebook(
            text, config=md_config, add_source_map=True, path=str(path)
        )
        if any(cell.cell_type == "code" for cell in notebook.cells):
            notebooks[page] = notebook
    return notebooks


def page_records(repo: Path) -> tuple[dict[str, Any], list[str]]:
    """Match every page with code to its record in the build's execution cache.

    A record matches a page when jupyter-cache's hash of the page's code
    cells (their sources and metadata, and the kernel) as they are now is the
    record's (``match_cache_notebook``, as MyST-NB matches before it decides
    whether to execute a page). Records of older versions of a page never
    match.

    Returns
    -------
    records : dict
        Page -> its matching cache record.
    unmatched : list of str
        The pages with code that have no matching record: pages the build
        did not execute, or whose code changed since.
    """
    cache = _cache(repo)
    records, unmatched = {}, []
    for page, notebook in page_notebooks(repo).items():
        try:
            records[page] = cache.match_cache_notebook(notebook)
        except KeyError:
            unmatched.append(page)
    return records, unmatched


def chapter_seconds(
    repo: Path, records: Mapping[str, Any] | None = None
) -> dict[str, float]:
    """Seconds each chapter's execution took, from the execution cache's records.

    These are the seconds jupyter-cache recorded when the chapter was
    executed. ``records`` (page -> record, from :func:`page_records`) reads
    only those; by default every record in the cache is read.
    """
    return {
        page: round(r.data.get("execution_seconds", float("nan")), 2)
        for page, r in _records(repo, records).items()
    }


def _glue_value(output: Mapping[str, Any]) -> Any:
    text = output.get("data", {}).get("application/papermill.record/text/plain")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError):
        return text


def glued(
    repo: Path, records: Mapping[str, Any] | None = None
) -> dict[str, dict[str, Any]]:
    """The values each chapter glued (``myst_nb.glue``), read from the execution cache.

    Values whose text form is a Python literal (ints, floats, strings) come
    back as that literal; anything else as its text. ``records`` as for
    :func:`chapter_seconds`.
    """
    cache = _cache(repo)
    values: dict[str, dict[str, Any]] = {}
    for page, record in _records(repo, records).items():
        notebook = cache.get_cache_bundle(record.pk).nb
        chapter = values.setdefault(page, {})
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name is not None:
                    chapter[name] = _glue_value(output)
    return values
