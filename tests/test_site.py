"""Checks of the built HTML site in _build/html (`make book` first).

These read the files Sphinx wrote: every page of the table of contents is
there, no executed cell left an error in a page, every internal link, anchor
and image resolves, and nothing is loaded from a CDN.
"""

from __future__ import annotations

import re
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from conftest import HTML
from make_notebooks import toc_files

pytestmark = pytest.mark.site


class _Page(HTMLParser):
    """Collect ids, links, images, scripts and stylesheets of one HTML page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: set[str] = set()
        self.links: list[str] = []
        self.images: list[str] = []
        self.scripts: list[str] = []
        self.stylesheets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and "name" in a:
            self.ids.add(a["name"])
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        elif tag == "img" and "src" in a:
            self.images.append(a["src"])
        elif tag == "script" and "src" in a:
            self.scripts.append(a["src"])
        elif tag == "link" and "stylesheet" in a.get("rel", "").split():
            self.stylesheets.append(a["href"])


@cache
def parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def site_pages() -> list[Path]:
    """The site's pages (not the theme's HTML templates copied into _static)."""
    if not HTML.is_dir():
        return []
    return sorted(
        p for p in HTML.rglob("*.html") if "_static" not in p.relative_to(HTML).parts
    )


def is_external(url: str) -> bool:
    parts = urlsplit(url)
    return bool(parts.scheme or parts.netloc) or url.startswith("//")


@pytest.mark.parametrize("entry", toc_files())
def test_every_toc_entry_has_a_page(html: Path, entry: str) -> None:
    page = html / (str(Path(entry).with_suffix("")) + ".html")
    assert page.is_file(), f"_toc.yml lists {entry} but {page} was not built"


def test_site_has_only_toc_pages(html: Path) -> None:
    """`only_build_toc_files` keeps stray Markdown (README, .venv) out of the site."""
    built = {
        p.relative_to(html).with_suffix("").as_posix()
        for p in (html / "book").rglob("*.html")
    }
    expected = {str(Path(f).with_suffix("")) for f in toc_files()}
    assert built == expected


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_no_error_output(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    for marker in (
        'class="output traceback',
        'class="output error',
        "Traceback (most recent call last)",
    ):
        assert marker not in text, f"{page} contains an error output ({marker!r})"
    # A glue role whose key was never glued would show up as raw text.
    assert not re.search(r"\{glue:?\w*\}", text), (
        f"{page} contains an unrendered glue role"
    )


class _Outputs(HTMLParser):
    """Collect the text inside executed cell outputs (``div.cell_output``)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.depth = 0  # > 0 while inside an output; counts open <div>s there
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "div":
            return
        classes = (dict(attrs).get("class") or "").split()
        if self.depth or "cell_output" in classes:
            self.depth += 1
            if self.depth == 1:
                self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "div" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_no_warning_in_executed_outputs(page: Path) -> None:
    # A warning a reader sees (UserWarning, RuntimeWarning, ...) is a leak from
    # the chapter's code; a chapter that shows one on purpose prints its message.
    outputs = _Outputs()
    outputs.feed(page.read_text(encoding="utf-8"))
    leaked = [text.strip()[:200] for text in outputs.texts if "Warning" in text]
    assert not leaked, f"{page.name}: warning text in executed output: {leaked}"


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_internal_links_and_images_resolve(page: Path) -> None:
    parsed = parse(page)
    broken = []
    for url in parsed.links + parsed.images + parsed.scripts + parsed.stylesheets:
        if is_external(url) or url.startswith(("mailto:", "javascript:", "data:")):
            continue
        parts = urlsplit(url)
        target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{url} -> missing {target}")
        elif parts.fragment and target.suffix == ".html":
            if unquote(parts.fragment) not in parse(target).ids:
                broken.append(f"{url} -> no id {parts.fragment!r} in {target.name}")
    assert not broken, f"{page.relative_to(HTML)}: " + "; ".join(broken)


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_nothing_loaded_from_a_cdn(page: Path) -> None:
    parsed = parse(page)
    external = [u for u in parsed.scripts + parsed.stylesheets if is_external(u)]
    assert not external, f"{page.relative_to(HTML)} loads {external}"
    # Nor later, from a script: a button that fetches its code from a CDN
    # (thebe's "Live Code" from unpkg) fails offline and waits for ever.
    cdn = re.findall(
        r"https?://(?:unpkg\.com|cdn\.jsdelivr\.net|cdnjs\.cloudflare\.com)[^\s\"']*",
        page.read_text(encoding="utf-8"),
    )
    assert not cdn, f"{page.relative_to(HTML)} names CDN files: {cdn}"


def test_mathjax_is_served_locally(html: Path) -> None:
    intro = parse(html / "book" / "intro.html")
    mathjax = [s for s in intro.scripts if "mathjax" in s.lower()]
    assert mathjax, "the intro page (which has formulas) loads no MathJax"
    for src in mathjax:
        assert not is_external(src)
        assert (html / "book" / urlsplit(src).path).resolve().is_file()


def test_api_page_lists_every_public_name(html: Path) -> None:
    """Each module's __all__ is documented on the API page, and nothing is missing."""
    import importlib

    import nnbook

    ids = parse(html / "book" / "api.html").ids
    missing = []
    for name in nnbook.SUBMODULES:
        module = importlib.import_module(f"nnbook.{name}")
        assert hasattr(module, "__all__"), f"nnbook.{name} has no __all__"
        missing += [
            f"nnbook.{name}.{member}"
            for member in module.__all__
            if f"nnbook.{name}.{member}" not in ids
        ]
    assert not missing, f"not on the API page: {missing}"


def test_api_page_documents_signatures_and_types(html: Path) -> None:
    text = (html / "book" / "api.html").read_text(encoding="utf-8")
    anchor = text.index('id="nnbook.data.load_mnist"')
    signature = text[anchor : text.index("</dt>", anchor)]
    for part in ("root", "download", "transform", "MNISTSplits"):
        assert part in signature, (
            f"load_mnist's signature on the API page lacks {part!r}"
        )


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_pages_show_the_package_version(page: Path) -> None:
    import nnbook

    text = page.read_text(encoding="utf-8")
    if 'http-equiv="Refresh"' in text:
        pytest.skip("a redirect, not a page of the book")
    assert f"Built with nnbook {nnbook.__version__}," in text


def test_lab_exports_the_trained_network_into_the_site(html: Path) -> None:
    """The MNIST lab writes its weights for the in-page demo; the site must carry them."""
    import json

    exported = html / "_static" / "generated" / "mnist_mlp.json"
    assert exported.is_file(), (
        f"{exported} missing: the lab chapter did not run (or its cache hid it)"
    )
    data = json.loads(exported.read_text())
    assert (
        data["format"] == "nnbook-network"
        and data["sizes"][0] == 784
        and data["sizes"][-1] == 10
    )
    # The CNN chapter's network, for its two-network demo.
    cnn = json.loads((html / "_static" / "generated" / "mnist_cnn.json").read_text())
    assert cnn["format"] == "nnbook-network" and cnn["input_shape"] == [1, 28, 28]
    assert [entry["type"] for entry in cnn["sequence"]][:2] == ["conv2d", "relu"]


def test_performance_page_shows_the_committed_benchmark_table(html: Path) -> None:
    """The appendix's table is benchmarks/results.json, row for row, with the right verdicts."""
    import json

    from conftest import ROOT

    results = json.loads((ROOT / "benchmarks" / "results.json").read_text())
    text = (html / "book" / "performance.html").read_text()
    table = text[text.index('class="table nnbook-bench-table"') :]
    table = table[: table.index("</table>")]
    shown = re.findall(
        r'<tr data-name="([^"]+)" data-value="([^"]+)">(.*?)</tr>', table, flags=re.S
    )
    assert [name for name, _, _ in shown] == [row["name"] for row in results["rows"]]
    for (name, value, cells), row in zip(shown, results["rows"]):
        assert float(value) == row["value"], name
        target, verdict = re.findall(r"<td>(.*?)</td>", cells)[-2:]
        expected = {True: "met", False: "<strong>missed</strong>", None: ""}[
            row["meets_target"]
        ]
        assert verdict == expected, name
        assert (target == "—") == (row["target"] is None), name
    assert results["date"] in text
    # Every benchmark of the issue has its row: six kinds of measurement.
    names = {row["name"] for row in results["rows"]}
    for prefix in ("network-b10", "train-fit", "conv-", "cnn-flops", "book-", "import"):
        assert any(name.startswith(prefix) for name in names), prefix


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_exercises_are_numbered_from_one_in_each_chapter(page: Path) -> None:
    numbers = re.findall(
        r'class="caption-number">Exercise ([\d.]+) ', page.read_text(encoding="utf-8")
    )
    if not numbers:
        return
    chapter = {n.rpartition(".")[0] for n in numbers}
    assert len(chapter) == 1 and chapter != {""}, (page.name, numbers)
    assert [n.rpartition(".")[2] for n in numbers] == [
        str(i) for i in range(1, len(numbers) + 1)
    ], (page.name, numbers)


class _Prose(HTMLParser):
    """Collect the page's prose: text outside code, cell outputs, formulas, scripts."""

    SKIP_TAGS = {"pre", "code", "script", "style", "kbd", "samp", "head"}
    SKIP_CLASSES = {"cell_output", "math", "highlight", "sig", "search"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "wbr", "source", "col"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[bool] = []  # True where an element starts a skipped region
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        classes = set((dict(attrs).get("class") or "").split())
        self.stack.append(tag in self.SKIP_TAGS or bool(classes & self.SKIP_CLASSES))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        if not any(self.stack):
            self.text.append(data)


@pytest.mark.parametrize(
    "page", site_pages(), ids=lambda p: p.relative_to(HTML).as_posix()
)
def test_prose_writes_numbers_for_readers(page: Path) -> None:
    # Glued numbers become "5.6 × 10⁻¹⁷" (tools/nnbook_numbers.py); Python's
    # "5.6e-17" belongs in code and outputs only.
    prose = _Prose()
    prose.feed(page.read_text(encoding="utf-8"))
    text = " ".join(prose.text)
    found = re.findall(r"(?<![\w.])\d+(?:\.\d+)?e[+-]?\d+(?![\w.])", text)
    assert not found, f"{page.name}: scientific notation in prose: {found}"


def test_pages_have_a_favicon(html: Path) -> None:
    text = (html / "book" / "intro.html").read_text(encoding="utf-8")
    icon = re.search(r'<link rel="icon" href="([^"]+)"', text)
    assert icon, "no <link rel=icon> on the intro page"
    assert (html / "book" / urlsplit(icon.group(1)).path).resolve().is_file()
