"""Build the book in a scratch copy of the repository and read what it did.

Used by ``benchmarks/bench_book.py`` (how long builds take) and by
``tools/published_build.py`` (the book built from a full-size MNIST stand-in):
both build a copy, so the repository's own ``_build`` and the files the
chapters write are never touched.
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
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
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
    # `-o .venv/.installed`: the environment is borrowed (a link to this
    # repository's); never reinstall it, or it would point at the copy.
    result = subprocess.run(["make", "-o", ".venv/.installed", "book"], cwd=repo, capture_output=True, text=True,
                            env=dict(os.environ if env is None else env))
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"make book failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}")
    executed = re.findall(r"(\S+\.md): Executing notebook", result.stdout + result.stderr)
    return seconds, [Path(p).relative_to(repo).as_posix() for p in executed]


def _records(repo: Path) -> list[Any]:
    from jupyter_cache import get_cache

    return get_cache(repo / "_build" / ".jupyter_cache").list_cache_records()


def chapter_seconds(repo: Path) -> dict[str, float]:
    """Seconds each chapter's execution took, from the execution cache's records."""
    return {Path(r.uri).relative_to(repo).as_posix(): round(r.data.get("execution_seconds", float("nan")), 2)
            for r in _records(repo)}


def _glue_value(output: Mapping[str, Any]) -> Any:
    text = output.get("data", {}).get("application/papermill.record/text/plain")
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError):
        return text


def glued(repo: Path) -> dict[str, dict[str, Any]]:
    """The values each chapter glued (``myst_nb.glue``), read from the execution cache.

    Values whose text form is a Python literal (ints, floats, strings) come
    back as that literal; anything else as its text.
    """
    from jupyter_cache import get_cache

    cache = get_cache(repo / "_build" / ".jupyter_cache")
    values: dict[str, dict[str, Any]] = {}
    for record in cache.list_cache_records():
        notebook = cache.get_cache_bundle(record.pk).nb
        chapter = values.setdefault(Path(record.uri).relative_to(repo).as_posix(), {})
        for cell in notebook.cells:
            for output in cell.get("outputs", []):
                name = output.get("metadata", {}).get("scrapbook", {}).get("name")
                if name is not None:
                    chapter[name] = _glue_value(output)
    return values
