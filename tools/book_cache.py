"""Keep the book's execution cache from going stale when nnbook changes.

Jupyter Book's cache (jupyter-cache) re-executes a page only when the page's
own code cells change. The chapters, though, call ``nnbook``: when its source
changes, a cached page would keep showing numbers and figures from the old
code. This script stamps the build with a hash of everything the pages'
outputs depend on besides their own cells (the package source, the pinned
requirements and the book's Sphinx extension) and, when that hash changes, deletes the execution cache and
Sphinx's saved environment so that every page is read and executed again.

Usage (the Makefile runs both)::

    python tools/book_cache.py check   # before the build
    python tools/book_cache.py stamp   # after a successful build
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
#: What the built pages depend on, besides their own sources: the package
#: the code cells call, the pinned requirements, and the book's local Sphinx
#: extension (Sphinx does not notice when an extension's code changes).
#: The performance appendix reads the committed benchmark results.
INPUTS = (
    ROOT / "src" / "nnbook",
    ROOT / "requirements.txt",
    ROOT / "tools" / "nnbook_sphinx.py",
    ROOT / "benchmarks" / "results.json",
)
BUILD = ROOT / "_build"
#: Deleted when the inputs change: the executed outputs, and Sphinx's record
#: of which pages are up to date (without it Sphinx would not re-read them).
STALE = (BUILD / ".jupyter_cache", BUILD / ".doctrees", BUILD / "jupyter_execute")
STAMP = BUILD / ".nnbook-inputs.sha256"


def _files(paths: Iterable[Path]) -> list[Path]:
    """Return the files under ``paths``, sorted, without bytecode caches."""
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
    return sorted(found)


def inputs_hash(paths: Iterable[Path] = INPUTS, root: Path = ROOT) -> str:
    """Return a SHA-256 over the names and contents of the files in ``paths``.

    Names are included so that renaming or deleting a module changes the
    hash too; they are taken relative to ``root`` so the hash does not
    depend on where the repository is checked out.
    """
    digest = hashlib.sha256()
    for file in _files(paths):
        digest.update(file.relative_to(root).as_posix().encode() + b"\0")
        digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def check(
    paths: Iterable[Path] = INPUTS,
    stamp: Path = STAMP,
    stale: Iterable[Path] = STALE,
    root: Path = ROOT,
) -> bool:
    """Delete the stale build state if the inputs changed since the last stamp.

    Returns
    -------
    bool
        True if the cache was invalidated (or there was no stamp yet).
    """
    current = inputs_hash(paths, root)
    previous = stamp.read_text().strip() if stamp.is_file() else None
    if previous == current:
        return False
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    return True


def write_stamp(paths: Iterable[Path] = INPUTS, stamp: Path = STAMP, root: Path = ROOT) -> None:
    """Record the current inputs hash; call after a successful build."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(inputs_hash(paths, root) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["check", "stamp"])
    args = parser.parse_args(argv)
    if args.action == "check":
        if check():
            print("book_cache: src/nnbook, requirements.txt, tools/nnbook_sphinx.py or benchmarks/results.json "
                  "changed (or first build): every page will be executed again")
        else:
            print("book_cache: inputs unchanged, cached outputs are valid")
    else:
        write_stamp()
    return 0


if __name__ == "__main__":
    sys.exit(main())
