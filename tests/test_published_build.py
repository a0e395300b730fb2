"""The published configuration: the book built from a full-size MNIST.

The workflow publishes the site built from the official MNIST (60,000 and
10,000 images); the tests here run on a 10,000-digit sample. The data
budget (``nnbook.data.BOOK_BUDGET``) is what makes the two the same book:
this module builds the book twice, each in a scratch copy of the repository
with an empty execution cache, from the sample and from a full-size
stand-in made from it (``tools/standin_mnist.py``), and checks that the
stand-in build succeeds (every asserted claim holds), that the chapters
report the budget's sizes, and that it costs about the same time.

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

pytestmark = pytest.mark.slow

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
}

#: The factor by which the stand-in build may take longer than the sample's.
TIME_FACTOR = 1.5


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict[str, dict[str, Any]]:
    """Both builds (a few minutes each); the report is also left in _build/."""
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


def test_stand_in_has_the_official_sizes(report) -> None:
    glued = report["standin"]["glued"]["book/mnist_data.md"]
    assert (glued["n_train_available"], glued["n_test_available"]) == (FULL_SIZES["train"], FULL_SIZES["t10k"])


def test_every_chapter_executes_from_both_data_sets(report) -> None:
    sample, standin = (set(report[name]["chapter_seconds"]) for name in ("sample", "standin"))
    assert sample == standin
    assert set(BUDGET_SIZES) <= standin
    # The pages with code in the table of contents all executed.
    toc = (ROOT / "_toc.yml").read_text()
    pages = {f"{line.split('file:')[1].strip()}.md" for line in toc.splitlines() if "file:" in line}
    with_code = {page for page in pages if "```{code-cell}" in (ROOT / page).read_text()}
    assert with_code == standin


def test_the_chapters_use_the_budget_on_both_data_sets(report) -> None:
    for name in ("sample", "standin"):
        glued = report[name]["glued"]
        assert (glued["book/mnist_data.md"]["n_train"], glued["book/mnist_data.md"]["n_test"]) == (
            BOOK_BUDGET.train, BOOK_BUDGET.test), name
        for chapter, (train_parts, test_size) in BUDGET_SIZES.items():
            if train_parts:
                assert sum(glued[chapter][part] for part in train_parts) == BOOK_BUDGET.train, (name, chapter)
            if test_size:
                assert glued[chapter][test_size] == BOOK_BUDGET.test, (name, chapter)


def test_every_glued_size_is_the_same_on_both(report) -> None:
    sample, standin = report["sample"]["glued"], report["standin"]["glued"]
    for chapter, (train_parts, test_size) in BUDGET_SIZES.items():
        for size in (*train_parts, *([test_size] if test_size else [])):
            assert sample[chapter][size] == standin[chapter][size], (chapter, size)
    # The regularisation chapter draws its small sets out of the budget.
    for size in ("n_train", "n_val"):
        assert sample["book/regularization.md"][size] == standin["book/regularization.md"][size]
    # Both builds glue the same names: the prose refers to nothing missing.
    assert {c: set(v) for c, v in sample.items()} == {c: set(v) for c, v in standin.items()}


def test_stand_in_build_takes_about_as_long(report) -> None:
    sample = sum(report["sample"]["chapter_seconds"].values())
    standin = sum(report["standin"]["chapter_seconds"].values())
    assert standin <= TIME_FACTOR * sample, (standin, sample)
