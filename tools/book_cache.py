"""Keep the book's execution cache from going stale when nnbook or the data change.

Jupyter Book's cache (jupyter-cache) re-executes a page only when the page's
own code cells change. The chapters, though, call ``nnbook`` and load MNIST:
when the package's source changes, or the book is built from other data, a
cached page would keep showing numbers and figures from the old code or the
old data. This script stamps the build (``_build/.nnbook-stamp.json``) with

- a hash of everything the pages' outputs depend on besides their own cells
  and the data (the package source, the pinned requirements, the book's
  Sphinx extension, the committed benchmark results), and
- the data the build read: the data root (``$NNBOOK_DATA``, else the
  per-user cache folder of :func:`nnbook.data.default_data_root`), a hash of
  the files in its ``MNIST/raw/``, and whether ``NNBOOK_FULL_DATA=1`` lifted
  the book's data budget;

and, when either changes, deletes the execution cache and Sphinx's saved
environment so that every page is read and executed again.
``tools/published_build.py`` reads the stamp too: it reuses the repository's
build only when the stamp matches the inputs and the data it compares.

Usage (the Makefile runs both)::

    python tools/book_cache.py check   # before the build: clear what is stale, note the inputs
    python tools/book_cache.py stamp   # after a successful build: stamp it with the noted inputs
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def input_paths(root: Path) -> tuple[Path, ...]:
    """What the built pages of the repository at ``root`` depend on, besides their own sources.

    The package the code cells call, the pinned requirements, and the book's
    local Sphinx extensions (Sphinx does not notice when an extension's code
    changes). The performance appendix reads the committed benchmark results.
    """
    return (
        root / "src" / "nnbook",
        root / "requirements.txt",
        root / "tools" / "nnbook_sphinx.py",
        root / "tools" / "nnbook_numbers.py",
        root / "benchmarks" / "results.json",
    )


def stamp_path(root: Path) -> Path:
    """The stamp of the build of the repository at ``root``."""
    return root / "_build" / ".nnbook-stamp.json"


INPUTS = input_paths(ROOT)
BUILD = ROOT / "_build"
#: Deleted when the inputs change: the executed outputs, and Sphinx's record
#: of which pages are up to date (without it Sphinx would not re-read them).
STALE = (BUILD / ".jupyter_cache", BUILD / ".doctrees", BUILD / "jupyter_execute")
STAMP = stamp_path(ROOT)
#: The stamp's former name (a bare inputs hash, without the data): removed.
LEGACY_STAMP = BUILD / ".nnbook-inputs.sha256"


def _files(paths: Iterable[Path]) -> list[Path]:
    """Return the files under ``paths``, sorted, without bytecode caches."""
    found = []
    for path in paths:
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            found.extend(
                p
                for p in path.rglob("*")
                if p.is_file() and "__pycache__" not in p.parts
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


def data_identity(
    data_root: Path | str | None = None, full_data: bool | None = None
) -> dict[str, Any]:
    """Return what identifies the data a build reads: its root, its files, the budget switch.

    Parameters
    ----------
    data_root
        The data root; ``None`` means the one the chapters use
        (:func:`nnbook.data.default_data_root`: ``$NNBOOK_DATA``, else the
        per-user cache folder).
    full_data
        Whether ``NNBOOK_FULL_DATA=1`` lifts the book's data budget; ``None``
        reads the environment.

    Returns
    -------
    dict
        ``root`` (the resolved data root), ``mnist_raw`` (a SHA-256 over the
        names and contents of the files in ``<root>/MNIST/raw/``, ``None``
        when there are none yet: the loader may download them) and
        ``full_data``. Two builds read the same data when these are equal.
    """
    if data_root is None:
        from nnbook.data import default_data_root

        data_root = default_data_root()[0]
    if full_data is None:
        full_data = os.environ.get("NNBOOK_FULL_DATA", "") == "1"
    root = Path(data_root).expanduser().resolve()
    raw = root / "MNIST" / "raw"
    files = _files([raw])
    return {
        "root": str(root),
        "mnist_raw": inputs_hash([raw], raw) if files else None,
        "full_data": bool(full_data),
    }


def stamp_content(
    paths: Iterable[Path] = INPUTS,
    root: Path = ROOT,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """What the stamp of a build made now, from ``data`` (default: :func:`data_identity`), holds."""
    return {
        "inputs": inputs_hash(paths, root),
        "data": data_identity() if data is None else data,
    }


def read_stamp(stamp: Path = STAMP) -> dict[str, Any] | None:
    """The stamp's content; ``None`` if there is none (or it is not a stamp of this format)."""
    try:
        content = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return None
    return (
        content
        if isinstance(content, dict) and set(content) == {"inputs", "data"}
        else None
    )


def stale_reason(
    previous: dict[str, Any] | None, current: dict[str, Any]
) -> str | None:
    """Why a build stamped ``previous`` is stale against ``current``; ``None`` if it is not."""
    if previous is None:
        return "no stamp (first build, or the last build failed)"
    reasons = []
    if previous["inputs"] != current["inputs"]:
        reasons.append(
            "src/nnbook, requirements.txt, tools/nnbook_*.py or benchmarks/results.json changed"
        )
    old, new = previous["data"], current["data"]
    if old != new:
        changed = [
            f"{key} {old.get(key)!r} -> {new.get(key)!r}"
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ]
        reasons.append("the data changed (" + "; ".join(changed) + ")")
    return "; ".join(reasons) or None


def check(
    paths: Iterable[Path] = INPUTS,
    stamp: Path = STAMP,
    stale: Iterable[Path] = STALE,
    root: Path = ROOT,
    data: dict[str, Any] | None = None,
) -> bool:
    """Delete the stale build state if the inputs or the data changed since the last stamp.

    ``data`` is the identity of the data this build will read (default:
    :func:`data_identity` of the environment).

    Returns
    -------
    bool
        True if the cache was invalidated (or there was no stamp yet).
    """
    if stale_reason(read_stamp(stamp), stamp_content(paths, root, data)) is None:
        return False
    for path in stale:
        shutil.rmtree(path, ignore_errors=True)
    stamp.unlink(missing_ok=True)
    return True


def write_stamp(
    paths: Iterable[Path] = INPUTS,
    stamp: Path = STAMP,
    root: Path = ROOT,
    data: dict[str, Any] | None = None,
) -> None:
    """Record the current inputs hash and the data read; call after a successful build."""
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps(stamp_content(paths, root, data), indent=1) + "\n")


def begin(stamp: Path = STAMP, content: dict[str, Any] | None = None) -> None:
    """Note what the build about to start reads (:func:`stamp_content`), for :func:`finish` to stamp.

    The stamp must describe the inputs and data the build started from: an
    edit to ``src/nnbook`` during a build of several minutes must not end up
    in the stamp of outputs executed from the code before it.
    """
    pending = _pending(stamp)
    pending.parent.mkdir(parents=True, exist_ok=True)
    pending.write_text(
        json.dumps(stamp_content() if content is None else content, indent=1) + "\n"
    )


def finish(stamp: Path = STAMP) -> None:
    """Stamp a successful build with what :func:`begin` noted (or, without a note, with the inputs now)."""
    pending = _pending(stamp)
    if pending.is_file():
        pending.replace(stamp)
    else:
        write_stamp(stamp=stamp)


def _pending(stamp: Path) -> Path:
    return stamp.with_name(stamp.name + ".pending")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["check", "stamp"])
    args = parser.parse_args(argv)
    LEGACY_STAMP.unlink(missing_ok=True)
    if args.action == "check":
        current = stamp_content()
        reason = stale_reason(read_stamp(), current)
        if check(data=current["data"]):
            print(f"book_cache: {reason}: every page will be executed again")
        else:
            print(
                f"book_cache: inputs and data ({current['data']['root']}) unchanged, cached outputs are valid"
            )
        begin(content=current)
    else:
        finish()
    return 0


if __name__ == "__main__":
    sys.exit(main())
