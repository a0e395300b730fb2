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

import os
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from harness import Row

ROOT = Path(__file__).resolve().parent.parent
EDITED = "book/splines.md"


#: The page that shows this benchmark's own results: left out of the builds
#: measured here, since it needs the very table this run is making.
APPENDIX = "book/performance"


def _copy_repository(target: Path) -> None:
    """Copy the tracked files, the vendored MathJax and a link to the environment."""
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, check=True, capture_output=True, text=True).stdout.split()
    for name in files:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(ROOT / "_vendor", target / "_vendor", symlinks=True)
    (target / ".venv").symlink_to(ROOT / ".venv")
    toc = target / "_toc.yml"
    text = toc.read_text()
    line = f"      - file: {APPENDIX}\n"
    if line not in text:
        raise RuntimeError(f"{APPENDIX} is not in _toc.yml as {line.strip()!r}: update bench_book.py")
    toc.write_text(text.replace(line, ""))


def _build(repo: Path) -> tuple[float, list[str]]:
    start = time.perf_counter()
    # `-o .venv/.installed`: the environment is borrowed (a link to this
    # repository's); never reinstall it, or it would point at the copy.
    result = subprocess.run(["make", "-o", ".venv/.installed", "book"], cwd=repo, capture_output=True, text=True,
                            env=os.environ)
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise RuntimeError(f"make book failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    executed = re.findall(r"(\S+\.md): Executing notebook", result.stdout + result.stderr)
    return seconds, [Path(p).relative_to(repo).as_posix() for p in executed]


def _edit_first_code_cell(path: Path) -> None:
    text = path.read_text()
    marker = "```{code-cell} ipython3\n"
    at = text.index(marker) + len(marker)
    # A cell's options (":tags: ...") must stay first; put the comment after them.
    while text[at] == ":":
        at = text.index("\n", at) + 1
    path.write_text(text[:at] + "# edited by benchmarks/bench_book.py\n" + text[at:])


def _chapter_seconds(repo: Path) -> dict[str, float]:
    from jupyter_cache import get_cache

    records = get_cache(repo / "_build" / ".jupyter_cache").list_cache_records()
    return {Path(r.uri).relative_to(repo).as_posix(): round(r.data.get("execution_seconds", float("nan")), 2) for r in records}


def bench() -> list[Row]:
    with tempfile.TemporaryDirectory(prefix="nnbook-bench-") as scratch:
        repo = Path(scratch)
        _copy_repository(repo)
        cold, cold_executed = _build(repo)
        per_chapter = _chapter_seconds(repo)
        warm, warm_executed = _build(repo)
        _edit_first_code_cell(repo / EDITED)
        edit, edit_executed = _build(repo)
    slowest = max(per_chapter, key=per_chapter.get)
    return [
        Row("book-cold", f"make book with an empty cache (all chapters execute; without {APPENDIX})", cold, "s", "<= 600",
            details={"executed": len(cold_executed), "chapter_seconds": per_chapter, "slowest_chapter": slowest,
                     "left_out": APPENDIX}),
        Row("book-warm", "make book again, nothing changed", warm, "s", "<= 30",
            details={"executed": warm_executed}),
        Row("book-edit", f"chapters executed after editing one code cell of {EDITED}",
            len(edit_executed) if edit_executed in ([EDITED], []) else float("inf"), "chapters",
            "== 1", details={"executed": edit_executed, "seconds": edit}),
    ]


if __name__ == "__main__":
    for row in bench():
        print(row.as_dict())
