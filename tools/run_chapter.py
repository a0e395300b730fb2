"""Execute one chapter, as the book build does, without building the book.

A fast check while editing a chapter or the code it calls::

    NNBOOK_DATA=../shared/data .venv/bin/python tools/run_chapter.py book/backprop.md

runs every cell in the chapter's folder (so relative paths work as in the
build) and stops at the first cell that raises, printing its source and the
error. Exit status 0 means every cell ran.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import jupytext
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "chapters", nargs="+", type=Path, help="MyST chapters such as book/backprop.md"
    )
    parser.add_argument(
        "--timeout", type=int, default=1200, help="seconds a cell may take"
    )
    args = parser.parse_args()
    failed = 0
    for chapter in args.chapters:
        notebook = jupytext.read(chapter)
        client = NotebookClient(
            notebook,
            timeout=args.timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(chapter.parent)}},
        )
        start = time.perf_counter()
        try:
            client.execute()
        except CellExecutionError as error:
            failed += 1
            print(f"FAILED {chapter}:\n{error}", file=sys.stderr)
            continue
        print(f"ok {chapter} ({time.perf_counter() - start:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
