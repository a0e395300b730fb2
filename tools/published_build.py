"""Build the book as the published site is built: from a full-size MNIST.

The workflow that publishes the site downloads the official MNIST (60,000
training and 10,000 test images); machines here have only a smaller sample.
This script makes a full-size stand-in from the sample
(``tools/standin_mnist.py``) and builds the book from it in a scratch copy
of the repository with an empty execution cache. It reports the seconds each
chapter took to execute from the sample and from the stand-in, side by side,
and the values every chapter glued, so that a test can check that the data
budget (``nnbook.data.BOOK_BUDGET``) makes both builds do the same work.

The sample half is taken from the repository's own build (``make book``,
which ``make test`` has just run) when that build is valid, complete and
current for the sample (:func:`reusable_records`): its execution cache then
holds, for every page with code, the outputs and the execution seconds
recorded when that page was executed from the sample. Otherwise (or with
``--fresh``) the sample is built too, in a second scratch copy with an empty
cache. The report says which way each half was obtained (``"how"``:
``"reused"`` or ``"built"``).

Usage (from the repository, after ``make book`` has set up ``.venv``)::

    .venv/bin/python tools/published_build.py [--json REPORT.json] [--fresh]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from book_build import (
    ROOT,
    build,
    chapter_seconds,
    copy_repository,
    glued,
    page_records,
)
from book_cache import (
    data_identity,
    input_paths,
    read_stamp,
    stale_reason,
    stamp_content,
    stamp_path,
)
from standin_mnist import make_standin

#: The two data sets the book is built from, in the order they are built.
BUILDS = ("sample", "standin")


def reusable_records(
    repo: Path, data_root: Path
) -> tuple[dict[str, Any] | None, str | None]:
    """The cache records of ``repo``'s own build, if that build is a build from ``data_root`` as it is now.

    The build is reused only if all of these hold:

    - its stamp (``tools/book_cache.py``) matches the current inputs (the
      package, the pins, the Sphinx extension, the benchmark results);
    - the stamp records the same data: the same data root, the same files in
      its ``MNIST/raw/``, and the book's data budget (``NNBOOK_FULL_DATA``
      not set), as the builds compared here use;
    - the execution cache holds, for every page with code in ``_toc.yml``,
      a record that matches the page's current code cells (jupyter-cache's
      hash, as MyST-NB matches them before deciding to execute a page).

    Returns
    -------
    records : dict or None
        Page -> its cache record, or ``None`` if the build cannot be reused.
    refusal : str or None
        Why it cannot be reused, or ``None`` if it can.
    """
    if not (repo / "_build" / ".jupyter_cache").is_dir():
        return None, f"{repo / '_build'} has no execution cache"
    current = stamp_content(
        input_paths(repo), repo, data_identity(data_root, full_data=False)
    )
    stale = stale_reason(read_stamp(stamp_path(repo)), current)
    if stale is not None:
        return None, f"the build's stamp does not match: {stale}"
    records, unmatched = page_records(repo)
    if unmatched:
        return (
            None,
            f"no cached execution matches the current code of {', '.join(unmatched)}",
        )
    if not records:
        return None, "no page with code in _toc.yml"
    return records, None


def _say(message: str) -> None:
    print(f"published_build: {message}", file=sys.stderr, flush=True)


def compare_builds(
    sample_root: Path, scratch: Path, fresh: bool = False, repo: Path = ROOT
) -> dict[str, dict[str, Any]]:
    """The book from ``sample_root`` and from a full-size stand-in of it.

    The stand-in is always built, in a scratch copy of ``repo`` with an
    empty execution cache. The sample half comes from ``repo``'s own build
    when :func:`reusable_records` accepts it: its chapter seconds are then
    the ones recorded when each chapter was executed in that build (by the
    ``make book`` that ``make test`` runs first, on the same machine).
    Otherwise, or if ``fresh``, the sample is built in a scratch copy too.

    Parameters
    ----------
    sample_root
        The data root of the sample (``$NNBOOK_DATA``).
    scratch
        An empty folder for the stand-in data and the repository copies.
    fresh
        Build both halves, even if the repository's build could be reused.
    repo
        The repository (its working tree is what gets copied and checked).

    Returns
    -------
    dict
        For ``"sample"`` and ``"standin"``: ``how`` (``"reused"`` or
        ``"built"``), the data root, the seconds of ``make book`` (``None``
        when reused), the chapters that build executed, each chapter's
        execution seconds and each chapter's glued values; for a reused half
        also ``reused_from`` (the build folder), for a built sample half
        ``reuse_refused`` (why the repository's build was not used).
    """
    sample_root, scratch = Path(sample_root), Path(scratch)
    report: dict[str, dict[str, Any]] = {}
    if fresh:
        records, refusal = None, "--fresh: both halves built"
    else:
        records, refusal = reusable_records(repo, sample_root)
    if records is not None:
        report["sample"] = {
            "how": "reused",
            "reused_from": str(repo / "_build"),
            "data": str(sample_root),
            "build_seconds": None,
            "executed": [],
            "chapter_seconds": chapter_seconds(repo, records),
            "glued": glued(repo, records),
        }
        _say(f"sample: reused the build in {repo / '_build'} ({len(records)} chapters)")
    else:
        _say(f"sample: building it ({refusal})")
    roots = {
        "sample": sample_root,
        "standin": make_standin(sample_root, scratch / "standin-data"),
    }
    for name in BUILDS:
        if name in report:
            continue
        copy = scratch / name
        copy.mkdir()
        copy_repository(copy)
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("NNBOOK_FULL_DATA", "NNBOOK_DOWNLOAD")
        }
        env["NNBOOK_DATA"] = str(roots[name])
        seconds, executed = build(copy, env)
        report[name] = {
            "how": "built",
            "data": str(roots[name]),
            "build_seconds": round(seconds, 1),
            "executed": executed,
            "chapter_seconds": chapter_seconds(copy),
            "glued": glued(copy),
        }
        if name == "sample":
            report[name]["reuse_refused"] = refusal
        _say(f"{name}: built in a scratch copy in {seconds:.0f} s")
    return {name: report[name] for name in BUILDS}


def _how(half: dict[str, Any]) -> str:
    if half["how"] == "reused":
        return (
            f"reused the repository's build ({half['reused_from']}): the seconds recorded when "
            "each chapter was executed there"
        )
    refused = (
        f"; the repository's build was not reused: {half['reuse_refused']}"
        if half.get("reuse_refused")
        else ""
    )
    return f"built in a scratch copy with an empty cache ({half['build_seconds']:.1f} s){refused}"


def table(report: dict[str, dict[str, Any]]) -> str:
    """The per-chapter execution seconds of both builds as a Markdown table, and how each was obtained."""
    sample, standin = (report[name]["chapter_seconds"] for name in BUILDS)
    lines = [
        "| chapter | sample (s) | full-size stand-in (s) | ratio |",
        "|---|---:|---:|---:|",
    ]
    for chapter in sorted(sample, key=sample.get, reverse=True):
        lines.append(
            f"| {chapter} | {sample[chapter]:.1f} | {standin[chapter]:.1f} | "
            f"{standin[chapter] / sample[chapter]:.2f} |"
        )
    total_sample, total_standin = sum(sample.values()), sum(standin.values())
    lines.append(
        f"| **all chapters** | {total_sample:.1f} | {total_standin:.1f} | "
        f"{total_standin / total_sample:.2f} |"
    )
    walls = [
        "reused"
        if report[name]["build_seconds"] is None
        else f"{report[name]['build_seconds']:.1f}"
        for name in BUILDS
    ]
    lines.append(f"| `make book` (wall clock) | {walls[0]} | {walls[1]} | |")
    lines.append("")
    lines.extend(f"- {name}: {_how(report[name])}" for name in BUILDS)
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the whole report here")
    parser.add_argument(
        "--fresh",
        action="store_true",
        help="build the sample too, even if the repository's own build could be reused",
    )
    args = parser.parse_args()
    sample_root = os.environ.get("NNBOOK_DATA")
    if not sample_root:
        parser.error(
            "set NNBOOK_DATA to the sample's data root (in this repository: ../shared/data)"
        )
    with tempfile.TemporaryDirectory(prefix="nnbook-published-") as scratch:
        report = compare_builds(Path(sample_root), Path(scratch), fresh=args.fresh)
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
