"""Build the book as the published site is built: from a full-size MNIST.

The workflow that publishes the site downloads the official MNIST (60,000
training and 10,000 test images); machines here have only a smaller sample.
This script makes a full-size stand-in from the sample
(``tools/standin_mnist.py``), then builds the book twice, each time in a
scratch copy of the repository with an empty execution cache: from the
sample and from the stand-in. It reports the seconds each chapter took to
execute, side by side, and the values every chapter glued, so that a test
can check that the data budget (``nnbook.data.BOOK_BUDGET``) makes both
builds do the same work.

Usage (from the repository, after ``make book`` has set up ``.venv``)::

    .venv/bin/python tools/published_build.py [--json REPORT.json]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from book_build import build, chapter_seconds, copy_repository, glued
from standin_mnist import make_standin

#: The two data sets the book is built from, in the order they are built.
BUILDS = ("sample", "standin")


def compare_builds(sample_root: Path, scratch: Path) -> dict[str, dict[str, Any]]:
    """Build the book from ``sample_root`` and from a full-size stand-in of it.

    Parameters
    ----------
    sample_root
        The data root of the sample (``$NNBOOK_DATA``).
    scratch
        An empty folder for the stand-in data and the two repository copies.

    Returns
    -------
    dict
        For ``"sample"`` and ``"standin"``: the data root, the seconds of
        ``make book``, the chapters executed, each chapter's execution
        seconds and each chapter's glued values.
    """
    roots = {"sample": Path(sample_root), "standin": make_standin(sample_root, scratch / "standin-data")}
    report = {}
    for name in BUILDS:
        repo = scratch / name
        repo.mkdir()
        copy_repository(repo)
        env = {key: value for key, value in os.environ.items() if key not in ("NNBOOK_FULL_DATA", "NNBOOK_DOWNLOAD")}
        env["NNBOOK_DATA"] = str(roots[name])
        seconds, executed = build(repo, env)
        report[name] = {"data": str(roots[name]), "build_seconds": round(seconds, 1), "executed": executed,
                        "chapter_seconds": chapter_seconds(repo), "glued": glued(repo)}
    return report


def table(report: dict[str, dict[str, Any]]) -> str:
    """The per-chapter execution seconds of both builds as a Markdown table."""
    sample, standin = (report[name]["chapter_seconds"] for name in BUILDS)
    lines = ["| chapter | sample (s) | full-size stand-in (s) | ratio |", "|---|---:|---:|---:|"]
    for chapter in sorted(sample, key=sample.get, reverse=True):
        lines.append(f"| {chapter} | {sample[chapter]:.1f} | {standin[chapter]:.1f} | "
                     f"{standin[chapter] / sample[chapter]:.2f} |")
    total_sample, total_standin = sum(sample.values()), sum(standin.values())
    lines.append(f"| **all chapters** | {total_sample:.1f} | {total_standin:.1f} | "
                 f"{total_standin / total_sample:.2f} |")
    lines.append(f"| `make book` (wall clock) | {report['sample']['build_seconds']:.1f} | "
                 f"{report['standin']['build_seconds']:.1f} | |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the whole report here")
    args = parser.parse_args()
    sample_root = os.environ.get("NNBOOK_DATA")
    if not sample_root:
        parser.error("set NNBOOK_DATA to the sample's data root (in this repository: ../shared/data)")
    with tempfile.TemporaryDirectory(prefix="nnbook-published-") as scratch:
        report = compare_builds(Path(sample_root), Path(scratch))
    print(table(report))
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=str))


if __name__ == "__main__":
    main()
