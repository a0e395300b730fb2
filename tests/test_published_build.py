"""The published configuration: the book built from a full-size MNIST.

The workflow publishes the site built from the official MNIST (60,000 and
10,000 images); the tests here run on a 10,000-digit sample. The data
budget (``nnbook.data.BOOK_BUDGET``) is what makes the two the same book:
this module builds the book from a full-size stand-in made from the sample
(``tools/standin_mnist.py``) in a scratch copy of the repository with an
empty execution cache, and compares it with the book built from the sample.
It checks that the stand-in build succeeds (every asserted claim holds),
that the chapters report the budget's sizes, and that it costs about the
same time.

The sample half is the repository's own build (the ``make book`` that
``make test`` runs first) when ``tools/published_build.py`` finds it valid,
complete and current for the sample: its chapter seconds are then those
recorded when each chapter was executed there. Otherwise the sample is built
in a scratch copy too. ``_build/published-build.md`` and ``.json`` say
which way each half was obtained. The fast tests at the end check, on a
tiny fake repository, when the repository's build is refused.

Run it alone with ``.venv/bin/python -m pytest tests/test_published_build.py``;
``tools/published_build.py`` prints the same comparison as a table.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from conftest import ROOT
from nnbook.data import BOOK_BUDGET
from standin_mnist import FULL_SIZES

#: The tests of the published build itself (one stand-in build, a few minutes).
slow = pytest.mark.slow

#: Where each chapter glues the sizes of the sets it uses: the glued names
#: that add up to the training images (the training and validation parts),
#: and the glued name of the test set size.
BUDGET_SIZES = {
    "book/mnist_data.md": (("n_fit", "n_validation"), "n_test"),
    "book/losses.md": (("n_fit", "n_validation"), "n_test"),
    "book/gradient_descent.md": (("n_fit", "n_val"), None),
    "book/mnist_lab.md": (("n_fit", "n_val"), "n_test"),
    "book/pytorch.md": (("n_fit", "n_val"), None),
    "book/optimisers.md": (("mn_n_fit", "mn_n_val"), None),
    "book/cnn.md": (("n_fit", "n_validation"), "n_test"),
    "book/regularization.md": ((), "n_test"),
    "book/regularization_practice.md": ((), "n_test"),
}

#: The factor by which the stand-in build may take longer than the sample's.
TIME_FACTOR = 1.5


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Both halves (a few minutes per build); the report is also left in _build/."""
    sample = os.environ.get("NNBOOK_DATA")
    if not sample:
        pytest.fail("NNBOOK_DATA is not set: run the tests with `make test`")
    from published_build import compare_builds, table

    result = compare_builds(Path(sample), tmp_path_factory.mktemp("published"))
    out = ROOT / "_build"
    out.mkdir(exist_ok=True)
    (out / "published-build.json").write_text(json.dumps(result, indent=1, default=str))
    (out / "published-build.md").write_text(table(result) + "\n")
    return result


@slow
def test_stand_in_has_the_official_sizes(report) -> None:
    glued = report["standin"]["glued"]["book/mnist_data.md"]
    assert (glued["n_train_available"], glued["n_test_available"]) == (
        FULL_SIZES["train"],
        FULL_SIZES["t10k"],
    )


@slow
def test_every_chapter_executes_from_both_data_sets(report) -> None:
    sample, standin = (
        set(report[name]["chapter_seconds"]) for name in ("sample", "standin")
    )
    assert sample == standin
    assert set(BUDGET_SIZES) <= standin
    # The pages with code in the table of contents all executed.
    toc = (ROOT / "_toc.yml").read_text()
    pages = {
        f"{line.split('file:')[1].strip()}.md"
        for line in toc.splitlines()
        if "file:" in line
    }
    with_code = {
        page for page in pages if "```{code-cell}" in (ROOT / page).read_text()
    }
    assert with_code == standin


@slow
def test_the_chapters_use_the_budget_on_both_data_sets(report) -> None:
    for name in ("sample", "standin"):
        glued = report[name]["glued"]
        assert (
            glued["book/mnist_data.md"]["n_train"],
            glued["book/mnist_data.md"]["n_test"],
        ) == (BOOK_BUDGET.train, BOOK_BUDGET.test), name
        for chapter, (train_parts, test_size) in BUDGET_SIZES.items():
            if train_parts:
                assert (
                    sum(glued[chapter][part] for part in train_parts)
                    == BOOK_BUDGET.train
                ), (name, chapter)
            if test_size:
                assert glued[chapter][test_size] == BOOK_BUDGET.test, (name, chapter)


@slow
def test_every_glued_size_is_the_same_on_both(report) -> None:
    sample, standin = report["sample"]["glued"], report["standin"]["glued"]
    for chapter, (train_parts, test_size) in BUDGET_SIZES.items():
        for size in (*train_parts, *([test_size] if test_size else [])):
            assert sample[chapter][size] == standin[chapter][size], (chapter, size)
    # The regularisation chapter draws its small sets out of the budget.
    for chapter in ("book/regularization.md", "book/regularization_practice.md"):
        for size in ("n_train", "n_val"):
            assert sample[chapter][size] == standin[chapter][size], (chapter, size)
    # Both builds glue the same names: the prose refers to nothing missing.
    assert {c: set(v) for c, v in sample.items()} == {
        c: set(v) for c, v in standin.items()
    }


@slow
def test_stand_in_build_takes_about_as_long(report) -> None:
    sample = sum(report["sample"]["chapter_seconds"].values())
    standin = sum(report["standin"]["chapter_seconds"].values())
    assert standin <= TIME_FACTOR * sample, (standin, sample)


# When the repository's own build stands for the sample: a tiny fake
# repository with a real jupyter-cache, no book build.

_PAGE = """---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---

# {title}

Some prose.

```{{code-cell}} ipython3
n = {value}
```
"""


def _page(title: str, value: int) -> str:
    return _PAGE.format(title=title, value=value)


def _cache_page(repo: Path, page: str, seconds: float, value: int) -> None:
    """Record an execution of ``page`` as MyST-NB would: the notebook with outputs, its seconds."""
    import nbformat
    from book_build import page_notebooks
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    notebook = page_notebooks(repo)[page]
    code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    code.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"application/papermill.record/text/plain": repr(value)},
            metadata={"scrapbook": {"name": "n"}},
        )
    ]
    get_cache(repo / "_build" / ".jupyter_cache").cache_notebook_bundle(
        CacheBundleIn(notebook, str(repo / page), data={"execution_seconds": seconds}),
        check_validity=False,
    )


def _stamp(repo: Path, data_root: Path, full_data: bool = False) -> None:
    import book_cache

    book_cache.write_stamp(
        book_cache.input_paths(repo),
        book_cache.stamp_path(repo),
        repo,
        book_cache.data_identity(data_root, full_data=full_data),
    )


@pytest.fixture
def fake_build(tmp_path: Path, tiny_mnist) -> tuple[Path, Path]:
    """A repository of two pages with code and one without, built and stamped from a tiny MNIST."""
    data_root = tiny_mnist[0]
    repo = tmp_path / "repo"
    (repo / "book").mkdir(parents=True)
    (repo / "src" / "nnbook").mkdir(parents=True)
    (repo / "src" / "nnbook" / "__init__.py").write_text("x = 1\n")
    (repo / "requirements.txt").write_text("numpy==2.0\n")
    (repo / "_config.yml").write_text(
        "parse:\n  myst_enable_extensions:\n    - colon_fence\n    - dollarmath\n"
    )
    (repo / "_toc.yml").write_text(
        "format: jb-book\nroot: book/intro\nparts:\n  - caption: Part\n"
        "    chapters:\n      - file: book/a\n      - file: book/b\n"
    )
    (repo / "book" / "intro.md").write_text("# Intro\n\nNo code here.\n")
    (repo / "book" / "a.md").write_text(_page("A", 1))
    (repo / "book" / "b.md").write_text(_page("B", 2))
    _cache_page(repo, "book/a.md", 1.5, 1)
    _cache_page(repo, "book/b.md", 2.5, 2)
    _stamp(repo, data_root)
    return repo, data_root


def _refusal(repo: Path, data_root: Path) -> str | None:
    from published_build import reusable_records

    records, refusal = reusable_records(repo, data_root)
    assert (records is None) == (refusal is not None)
    return refusal


def test_a_current_build_is_reused_with_its_recorded_seconds(fake_build) -> None:
    from book_build import chapter_seconds, glued
    from published_build import reusable_records

    repo, data_root = fake_build
    records, refusal = reusable_records(repo, data_root)
    assert refusal is None
    assert set(records) == {
        "book/a.md",
        "book/b.md",
    }  # the page without code has no record
    assert chapter_seconds(repo, records) == {"book/a.md": 1.5, "book/b.md": 2.5}
    assert glued(repo, records) == {"book/a.md": {"n": 1}, "book/b.md": {"n": 2}}


def test_a_prose_edit_keeps_the_build(fake_build) -> None:
    repo, data_root = fake_build
    page = repo / "book" / "a.md"
    page.write_text(page.read_text().replace("Some prose.", "Other prose."))
    assert _refusal(repo, data_root) is None


def test_refused_when_a_page_source_changed(fake_build) -> None:
    repo, data_root = fake_build
    (repo / "book" / "b.md").write_text(_page("B", 3))
    assert "book/b.md" in _refusal(repo, data_root)


def test_refused_when_a_cell_option_changed(fake_build) -> None:
    repo, data_root = fake_build
    page = repo / "book" / "a.md"
    option = "```{code-cell} ipython3\n:tags: [hide-input]\n"
    page.write_text(page.read_text().replace("```{code-cell} ipython3\n", option))
    assert "book/a.md" in _refusal(repo, data_root)


def test_refused_when_a_page_is_missing(fake_build) -> None:
    repo, data_root = fake_build
    (repo / "book" / "c.md").write_text(_page("C", 4))
    toc = repo / "_toc.yml"
    toc.write_text(toc.read_text() + "      - file: book/c\n")
    refusal = _refusal(repo, data_root)
    assert "book/c.md" in refusal and "book/a.md" not in refusal


def test_refused_when_a_record_is_gone(fake_build) -> None:
    from jupyter_cache import get_cache

    repo, data_root = fake_build
    cache = get_cache(repo / "_build" / ".jupyter_cache")
    cache.remove_cache(
        next(r.pk for r in cache.list_cache_records() if r.uri.endswith("a.md"))
    )
    assert "book/a.md" in _refusal(repo, data_root)


def test_refused_when_the_stamp_is_stale(fake_build) -> None:
    repo, data_root = fake_build
    (repo / "src" / "nnbook" / "__init__.py").write_text("x = 2\n")
    assert "changed" in _refusal(repo, data_root)
    _stamp(repo, data_root)
    assert _refusal(repo, data_root) is None


def test_refused_without_a_stamp(fake_build) -> None:
    import book_cache

    repo, data_root = fake_build
    book_cache.stamp_path(repo).unlink()
    assert "no stamp" in _refusal(repo, data_root)


def test_refused_when_the_data_root_differs(fake_build, tmp_path_factory) -> None:
    import shutil

    repo, data_root = fake_build
    other = tmp_path_factory.mktemp("other-data")
    shutil.copytree(
        data_root / "MNIST", other / "MNIST"
    )  # the same files, at another root
    assert "root" in _refusal(repo, other)


def test_refused_when_the_data_files_differ(fake_build) -> None:
    repo, data_root = fake_build
    labels = data_root / "MNIST" / "raw" / "t10k-labels-idx1-ubyte"
    labels.write_bytes(labels.read_bytes()[:-1] + bytes([labels.read_bytes()[-1] ^ 1]))
    assert "mnist_raw" in _refusal(repo, data_root)


def test_refused_when_built_without_the_budget(fake_build) -> None:
    repo, data_root = fake_build
    _stamp(repo, data_root, full_data=True)
    assert "full_data" in _refusal(repo, data_root)


def test_refused_without_a_cache_and_none_is_made(tmp_path, tiny_mnist) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    assert "no execution cache" in _refusal(repo, tiny_mnist[0])
    assert not (repo / "_build").exists()


@pytest.fixture
def fake_builds(monkeypatch, tmp_path) -> list[str]:
    """Replace the book builds of tools/published_build.py with stubs; return the names built."""
    import published_build

    built: list[str] = []
    monkeypatch.setattr(published_build, "make_standin", lambda source, out: Path(out))
    monkeypatch.setattr(published_build, "copy_repository", lambda target: None)
    monkeypatch.setattr(
        published_build,
        "build",
        lambda repo, env: (built.append(repo.name) or 12.0, ["book/a.md"]),
    )
    real_seconds, real_glued = published_build.chapter_seconds, published_build.glued
    monkeypatch.setattr(
        published_build,
        "chapter_seconds",
        lambda repo, records=None: (
            real_seconds(repo, records) if records else {"book/a.md": 9.0}
        ),
    )
    monkeypatch.setattr(
        published_build,
        "glued",
        lambda repo, records=None: (
            real_glued(repo, records) if records else {"book/a.md": {"n": 1}}
        ),
    )
    return built


def test_compare_builds_builds_only_the_stand_in_when_it_can_reuse(
    fake_build, fake_builds, tmp_path
) -> None:
    from published_build import compare_builds, table

    repo, data_root = fake_build
    (tmp_path / "scratch").mkdir()
    report = compare_builds(data_root, tmp_path / "scratch", repo=repo)
    assert fake_builds == ["standin"]
    assert (report["sample"]["how"], report["standin"]["how"]) == ("reused", "built")
    assert report["sample"]["chapter_seconds"] == {"book/a.md": 1.5, "book/b.md": 2.5}
    assert report["sample"]["build_seconds"] is None
    assert "sample: reused" in table(
        {
            "sample": report["sample"],
            "standin": {
                **report["standin"],
                "chapter_seconds": {"book/a.md": 2.0, "book/b.md": 3.0},
            },
        }
    )


@pytest.mark.parametrize("fresh", [True, False], ids=["fresh", "stale"])
def test_compare_builds_builds_both_when_it_cannot_reuse(
    fake_build, fake_builds, tmp_path, fresh
) -> None:
    from published_build import compare_builds, table

    repo, data_root = fake_build
    if not fresh:
        (repo / "book" / "a.md").write_text(_page("A", 5))
    (tmp_path / "scratch").mkdir()
    report = compare_builds(data_root, tmp_path / "scratch", fresh=fresh, repo=repo)
    assert fake_builds == ["sample", "standin"]
    assert (report["sample"]["how"], report["standin"]["how"]) == ("built", "built")
    assert ("--fresh" if fresh else "book/a.md") in report["sample"]["reuse_refused"]
    assert "not reused" in table(report)
