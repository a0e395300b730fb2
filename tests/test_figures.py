"""Figures a reader can read: alt text, captions, and text no smaller than the body.

Every figure a chapter draws is an image in an executed cell's output. The
``site`` tests read the built HTML: each such image has an alt text that says
what it shows (a few words, not a file name) and a caption, and is an SVG
whose text is kept as text (``svg.fonttype: none`` in the book style), so that
its font sizes can be read from the file.

The ``browser`` tests load every chapter in headless Chromium at desktop size
(1280 x 800), in the light and the dark colour mode, and compute for each
figure the size its smallest text is drawn at: the font size in the SVG,
scaled by the width the image is shown at over the SVG's own width. The bar
is the body text's size, 16 CSS pixels (the book style's 12 points in a
figure shown at its natural size); superscripts and subscripts of formulas
may be 0.7 of it, as in the body's own formulas. At phone size (390 x 844)
the same sizes are measured and written, with the desktop ones, to
``_build/test-artifacts/figure-text.json``; they are not checked, because a
figure drawn for the desktop column is scaled down to a phone's width.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import HTML, ROOT, open_page

ARTIFACTS = ROOT / "_build" / "test-artifacts"

#: Every chapter page of the built book.
PAGES = (
    sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))
    if HTML.is_dir()
    else []
)

#: The images a chapter's executed cells show (not the book's own pictures).
FIGURE_SELECTOR = "div.cell_output img"

#: Alt texts and captions shorter than this many words say too little.
MIN_ALT_WORDS = 8
MIN_CAPTION_WORDS = 4

#: The body text's size at desktop width, in CSS pixels: the smallest text a
#: figure may show there. Scripts of formulas may be SCRIPT_RATIO of it.
MIN_TEXT_PX = 16.0
SCRIPT_RATIO = 0.7
#: Rounding in the browser's layout (the width of an image is a fraction of
#: a pixel).
TOLERANCE_PX = 0.05

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}

_SVG = "{http://www.w3.org/2000/svg}"
_FONT_SIZE = re.compile(r"font-size:\s*([0-9.]+)px")
_PATH_LIKE = re.compile(
    r"_images/|\.(png|svg|jpe?g|gif|pdf)\b|[0-9a-f]{16}", re.IGNORECASE
)


def figures(name: str) -> list:
    """The figure images of the page ``name`` (BeautifulSoup tags)."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup((HTML / name).read_text(encoding="utf-8"), "html.parser")
    return soup.select(FIGURE_SELECTOR)


def svg_file(name: str, src: str) -> Path:
    """The file behind ``src`` of an image on the page ``name``."""
    return (HTML / name).parent.joinpath(urlsplit(src).path).resolve()


def svg_text_sizes(svg: str) -> tuple[float, list[tuple[float, bool, str]]]:
    """Return an SVG's width in its own units, and the size of each piece of text.

    Each piece is ``(font size in SVG units, is a script, text)``. Matplotlib
    writes a formula as one <text> with a <tspan> per glyph; the glyphs
    smaller than the largest in their formula are its scripts. Raises if a
    text is scaled by a transform (the sizes would then not be the ones drawn).
    """
    root = ET.fromstring(svg)
    width = float(root.get("viewBox").split()[2])
    pieces: list[tuple[float, bool, str]] = []

    def size_of(element) -> float | None:
        found = _FONT_SIZE.search(element.get("style", ""))
        return float(found.group(1)) if found else None

    def walk(element, scaled: bool) -> None:
        transform = element.get("transform", "")
        scaled = scaled or "scale" in transform or "matrix" in transform
        if element.tag == _SVG + "text":
            spans = [
                (size_of(s) or size_of(element), (s.text or "").strip())
                for s in element.iter(_SVG + "tspan")
            ]
            own = [(size_of(element), (element.text or "").strip())]
            parts = [(s, t) for s, t in spans + own if t and s is not None]
            if parts and scaled:
                raise AssertionError(f"text {parts[0][1]!r} is drawn scaled")
            largest = max((s for s, _ in parts), default=0.0)
            pieces.extend((s, s < largest, t) for s, t in parts)
            return
        for child in element:
            walk(child, scaled)

    walk(root, False)
    return width, pieces


def text_drawn_as_paths(svg: str) -> int:
    """How many of matplotlib's texts an SVG draws as glyph outlines, not as text.

    Matplotlib puts every text it draws in a group ``<g id="text_N">``; with
    ``svg.fonttype: none`` the group holds a <text> element, otherwise glyphs.
    """
    root = ET.fromstring(svg)
    return sum(
        1
        for group in root.iter(_SVG + "g")
        if group.get("id", "").startswith("text_")
        and next(group.iter(_SVG + "text"), None) is None
    )


def smallest_text_px(svg: str, shown_width: float) -> tuple[float, float, str] | None:
    """The smallest text and script of an SVG shown ``shown_width`` pixels wide.

    Returns ``(smallest text, smallest script, the smallest text's text)`` in
    CSS pixels; a figure without scripts reports its smallest text for both,
    a figure without text (a grid of images) ``None``.
    """
    width, pieces = svg_text_sizes(svg)
    if not pieces:
        return None
    scale = shown_width / width
    text = min((s, t) for s, script, t in pieces if not script)
    scripts = [s for s, script, _ in pieces if script] or [text[0]]
    return text[0] * scale, min(scripts) * scale, text[1]


# --- The built HTML ------------------------------------------------------------


@pytest.mark.site
def test_the_chapters_have_figures(html: Path) -> None:
    """The tests below check something: the book draws figures."""
    count = sum(len(figures(name)) for name in PAGES)
    assert count >= 40, f"only {count} figures in the chapters' outputs"


@pytest.mark.site
@pytest.mark.parametrize("name", PAGES)
def test_every_figure_has_alt_text_that_says_what_it_shows(
    html: Path, name: str
) -> None:
    bad = []
    alts = []
    for img in figures(name):
        alt = " ".join((img.get("alt") or "").split())
        alts.append(alt)
        if _PATH_LIKE.search(alt):
            bad.append(f"{img['src']}: alt text is a file name: {alt[:60]!r}")
        elif len(alt.split()) < MIN_ALT_WORDS:
            bad.append(f"{img['src']}: alt text too short: {alt!r}")
    assert not bad, f"{name}:\n" + "\n".join(bad)
    repeated = {alt for alt in alts if alts.count(alt) > 1}
    assert not repeated, f"{name}: figures share an alt text: {sorted(repeated)}"


@pytest.mark.site
@pytest.mark.parametrize("name", PAGES)
def test_every_figure_has_a_caption(html: Path, name: str) -> None:
    bad = []
    for img in figures(name):
        figure = img.find_parent("figure")
        caption = figure.find("figcaption") if figure else None
        words = caption.get_text(" ", strip=True).split() if caption else []
        if len(words) < MIN_CAPTION_WORDS:
            bad.append(f"{img['src']}: caption {' '.join(words)!r}")
    assert not bad, f"{name}: figures without a caption:\n" + "\n".join(bad)


@pytest.mark.site
@pytest.mark.parametrize("name", PAGES)
def test_every_figure_is_an_svg_with_its_text_as_text(html: Path, name: str) -> None:
    """SVG keeps lines sharp and text as text; its font sizes can be checked.

    No date in the file either, so two builds of the book write the same
    figures.
    """
    for img in figures(name):
        path = svg_file(name, img["src"])
        assert path.suffix == ".svg", f"{name}: {img['src']} is not an SVG"
        svg = path.read_text(encoding="utf-8")
        assert not text_drawn_as_paths(svg), f"{name}: {img['src']} draws text as paths"
        assert "<dc:date>" not in svg, f"{name}: {img['src']} is dated"


def test_svg_text_sizes_finds_texts_and_scripts() -> None:
    """The reader of font sizes, on an SVG as matplotlib writes it."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" width="360pt" height="100pt"'
        ' viewBox="0 0 360 100"><g id="text_1"><text style="font-size: 12px;'
        ' font-family: sans-serif" x="1" y="2">epoch</text></g><g><text>'
        '<tspan x="0" style="font-style: oblique; font-size: 12px">w</tspan>'
        '<tspan x="8" style="font-size: 8.4px">1</tspan></text></g>'
        '<g transform="translate(3 4)"><text style="font-size: 14px">Title</text>'
        "</g></svg>"
    )
    width, pieces = svg_text_sizes(svg)
    assert width == 360
    assert sorted(pieces) == [
        (8.4, True, "1"),
        (12.0, False, "epoch"),
        (12.0, False, "w"),
        (14.0, False, "Title"),
    ]
    # Shown at its natural size (360 pt = 480 px): 12 pt are 16 px.
    text, script, which = smallest_text_px(svg, 480)
    assert (round(text, 6), round(script, 6), which) == (16, 11.2, "epoch")
    scaled = svg.replace('<g id="text_1">', '<g transform="scale(2)">')
    with pytest.raises(AssertionError, match="drawn scaled"):
        svg_text_sizes(scaled)
    assert text_drawn_as_paths(svg) == 0
    # svg.fonttype "path": the glyphs are outlines, used from <defs>.
    outlines = svg.replace(
        '<text style="font-size: 12px; font-family: sans-serif" x="1" y="2">epoch'
        "</text>",
        '<path d="M 0 0 L 1 1"/>',
    )
    assert text_drawn_as_paths(outlines) == 1
    images_only = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 9 9"></svg>'
    assert smallest_text_px(images_only, 12) is None


# --- In the browser ------------------------------------------------------------


#: For each figure image: its source, the width its content is drawn at (the
#: box less the padding dark mode adds), and its natural width.
_SHOWN = """(selector) => [...document.querySelectorAll(selector)].map(img => {
    const style = getComputedStyle(img);
    const padding = parseFloat(style.paddingLeft) + parseFloat(style.paddingRight);
    const border =
        parseFloat(style.borderLeftWidth) + parseFloat(style.borderRightWidth);
    return {src: img.getAttribute("src"), complete: img.complete,
            shown: img.getBoundingClientRect().width - padding - border,
            natural: img.naturalWidth};
})"""


def measure(browser, server: str, name: str, viewport: dict, mode: str) -> list[dict]:
    """The figures of page ``name`` as shown: width and smallest text in CSS px."""
    page = open_page(browser, f"{server}/{name}", mode, viewport, wait="load")
    try:
        shown = page.evaluate(_SHOWN, FIGURE_SELECTOR)
    finally:
        page.context.close()
    rows = []
    for img in shown:
        assert img["complete"] and img["natural"], f"{name}: {img['src']} not loaded"
        svg = svg_file(name, img["src"]).read_text(encoding="utf-8")
        smallest = smallest_text_px(svg, img["shown"])
        text, script, which = smallest or (None, None, "")
        rows.append(
            {
                "src": img["src"].rsplit("/", 1)[-1],
                "shown_px": round(img["shown"], 1),
                "natural_px": img["natural"],
                "smallest_text_px": None if text is None else round(text, 2),
                "smallest_script_px": None if script is None else round(script, 2),
                "smallest_text": which,
            }
        )
    return rows


@pytest.fixture(scope="module")
def text_report() -> Iterator[dict]:
    """Collect the measurements of this module; write them to the test artefacts."""
    report: dict = {}
    yield report
    if report:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        summary = {
            key: {
                "figures": len(rows),
                "figures_with_text": len(texts),
                "smallest_text_px": min(r["smallest_text_px"] for r in texts),
                "smallest_script_px": min(r["smallest_script_px"] for r in texts),
            }
            for key, rows, texts in (
                (key, rows, [r for r in rows if r["smallest_text_px"] is not None])
                for key, rows in (
                    (key, [r for page in pages.values() for r in page])
                    for key, pages in report.items()
                )
            )
            if texts
        }
        document = {"bar_px": MIN_TEXT_PX, "summary": summary, "pages": report}
        path = ARTIFACTS / "figure-text.json"
        path.write_text(json.dumps(document, indent=1) + "\n")


@pytest.mark.browser
@pytest.mark.parametrize("mode", ("light", "dark"))
@pytest.mark.parametrize("name", PAGES)
def test_figure_text_is_as_large_as_the_body_text_on_a_desktop(
    browser, server: str, text_report: dict, name: str, mode: str
) -> None:
    rows = measure(browser, server, name, DESKTOP, mode)
    text_report.setdefault(f"desktop {mode}", {})[name] = rows
    small = [
        f"{r['src']}: {r['smallest_text']!r} at {r['smallest_text_px']} px"
        f" (scripts {r['smallest_script_px']} px), shown {r['shown_px']} px"
        f" of {r['natural_px']}"
        for r in rows
        if r["smallest_text_px"] is not None
        and (
            r["smallest_text_px"] < MIN_TEXT_PX - TOLERANCE_PX
            or r["smallest_script_px"] < SCRIPT_RATIO * MIN_TEXT_PX - TOLERANCE_PX
        )
    ]
    assert not small, (
        f"{name} ({mode}): figure text below {MIN_TEXT_PX} px:\n" + "\n".join(small)
    )
    # Drawn for the column: shown at its natural size, not scaled down.
    scaled = [
        f"{r['src']}: shown {r['shown_px']} px of {r['natural_px']}"
        for r in rows
        if r["shown_px"] < r["natural_px"] - 1
    ]
    assert not scaled, f"{name} ({mode}): figures wider than the column:\n" + "\n".join(
        scaled
    )


@pytest.mark.browser
@pytest.mark.parametrize("name", PAGES)
def test_figure_text_on_a_phone_is_measured(
    browser, server: str, text_report: dict, name: str
) -> None:
    """Informative: the sizes go to the artefacts; only an overflowing figure fails."""
    rows = measure(browser, server, name, PHONE, "light")
    text_report.setdefault("phone light", {})[name] = rows
    for r in rows:
        assert r["shown_px"] <= PHONE["width"], f"{name}: {r['src']} overflows"
