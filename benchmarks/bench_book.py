"""How long does the book take to build, cold, warm and after one edit?

The build runs in a scratch copy of the repository (the tracked files, the
vendored MathJax and a link to the virtual environment) with the README's
command, ``make book``, without the performance appendix, which shows the
table this very run is making (it takes a few seconds to execute):

1. cold: empty execution cache, every chapter executes;
2. warm: nothing changed, nothing may execute;
3. one edit: a comment added to the first code cell of one chapter, so
   exactly that chapter must execute again.

The executed chapters are counted from the build log; the seconds each
chapter took come from the execution cache's records.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from harness import Row

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from book_build import build, chapter_seconds, copy_repository  # noqa: E402

EDITED = "book/splines.md"


#: The page that shows this benchmark's own results: left out of the builds
#: measured here, since it needs the very table this run is making.
APPENDIX = "book/performance"


def _edit_first_code_cell(path: Path) -> None:
    text = path.read_text()
    marker = "```{code-cell} ipython3\n"
    at = text.index(marker) + len(marker)
    # A cell's options (":tags: ...") must stay first; put the comment after them.
    while text[at] == ":":
        at = text.index("\n", at) + 1
    path.write_text(text[:at] + "# edited by benchmarks/bench_book.py\n" + text[at:])


def bench() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-") as scratch:
        repo = Path(scratch)
        copy_repository(repo, leave_out=(APPENDIX,))
        cold, cold_executed = build(repo)
        per_chapter = chapter_seconds(repo)
        warm, warm_executed = build(repo)
        _edit_first_code_cell(repo / EDITED)
        edit, edit_executed = build(repo)
    slowest = max(per_chapter, key=per_chapter.get)
    return [
        Row(
            "book-cold",
            f"make book with an empty cache (all chapters execute; without {APPENDIX})",
            cold,
            "s",
            "<= 600",
            details={
                "executed": len(cold_executed),
                "chapter_seconds": per_chapter,
                "slowest_chapter": slowest,
                "left_out": APPENDIX,
            },
        ),
        Row(
            "book-warm",
            "make book again, nothing changed",
            warm,
            "s",
            "<= 30",
            details={"executed": warm_executed},
        ),
        Row(
            "book-edit",
            f"chapters executed after editing one code cell of {EDITED}",
            len(edit_executed) if edit_executed in ([EDITED], []) else float("inf"),
            "chapters",
            "== 1",
            details={"executed": edit_executed, "seconds": edit},
        ),
    ]


if __name__ == "__main__":
    for row in bench():
        print(row.as_dict())
