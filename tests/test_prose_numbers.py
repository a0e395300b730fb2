"""No hand-typed results: every number in a page's prose is glued or reviewed.

``tools/prose_numbers.py`` takes maths, code, glue and other roles out of each
page's MyST source and finds the numbers left in the prose (the text, the
exercises and solutions, and the figures' alt texts and captions). Each must
lie inside a snippet of ``tests/prose_numbers.yml``, the reviewed allow-list
of definitional numbers (28 × 28 pixels, 10 classes, the 20 points of the
spline example), kept per page as the number with a few words around it; or
in a sentence that cites its source. A number that comes from data, training
or timing is glued from the cell that computed it instead, so it is not in
the prose the scan sees. An entry found nowhere on its page fails too, so the
list cannot keep what the text no longer says.

``python tools/prose_numbers.py --draft book/<page>.md`` lists what is not
covered, in the list's form, for review.
"""

from __future__ import annotations

import pytest
import yaml
from conftest import ROOT
from prose_numbers import page_prose, prose_numbers, unexplained

ALLOWED = yaml.safe_load((ROOT / "tests" / "prose_numbers.yml").read_text()) or {}
TOC = (ROOT / "_toc.yml").read_text()
PAGES = [
    f"{line.split('file:')[1].strip()}.md"
    for line in TOC.splitlines()
    if "file:" in line
]


@pytest.mark.parametrize("page", PAGES)
def test_every_number_in_the_prose_is_glued_or_allowed(page: str) -> None:
    numbers, stale = unexplained((ROOT / page).read_text(), ALLOWED.get(page) or [])
    typed = "\n".join(f"  {n.context}" for n in numbers)
    assert not numbers, (
        f"{page}: numbers in the prose that are neither glued nor in "
        f"tests/prose_numbers.yml:\n{typed}"
    )
    assert not stale, f"{page}: allow-list entries not in the prose: {stale}"


def test_the_allow_list_names_only_pages_of_the_book() -> None:
    assert set(ALLOWED) <= set(PAGES)


# The scanner itself, on small pages.

_PAGE = """---
jupytext:
  formats: md:myst
---

# A page

(a-label)=
The network has 2 layers and $n = 100$ inputs; it reached
{glue:text}`accuracy:.1%` after `epochs=5` epochs, and a typed 97 % too.
Adam {cite}`kingma2014adam` uses 0.9 and 0.999 by default.

```{code-cell} ipython3
---
mystnb:
  image:
    alt: A curve falling from 3 to 1.
---
x = 12345
```

```{exercise}
:label: ex-one

1. Show that $\\sum_i 1 = m$ for 7 terms.
```

````{solution} ex-one
:class: dropdown

Count them:

    total = sum(1 for _ in range(42))

<!-- 404 in a comment -->
$$
\\frac{1}{2}
$$
````
"""


def test_the_scan_finds_prose_numbers_and_nothing_else() -> None:
    _, numbers = prose_numbers(_PAGE)
    assert [n.number for n in numbers] == ["2", "97", "3", "1", "7"]


def test_the_prose_keeps_alt_text_and_drops_code_maths_and_roles() -> None:
    prose = page_prose(_PAGE)
    assert "A curve falling from 3 to 1." in prose
    for gone in ("12345", "100", "accuracy", "epochs=5", "42", "404", "frac"):
        assert gone not in prose


def test_a_snippet_explains_the_numbers_inside_it_and_stale_ones_fail() -> None:
    left, stale = unexplained(
        _PAGE, ["has 2 layers", "a typed 97 %", "from 3 to 1.", "the 5 layers"]
    )
    assert [n.number for n in left] == ["7"]
    assert stale == ["the 5 layers"]
