"""Nothing cut off: the built site at desktop and phone width, in Chromium.

At desktop width (1280 x 800) no code block of a chapter needs sideways
scrolling: the code is wrapped to 88 columns (tests/test_style.py) and the
book's stylesheet (book/_static/nnbook.css) sizes the code font so that 88
columns fit. Outputs, tables and formulas may still be wider than the
column; then they must scroll inside their own box *and show it*: on the
side where more content hides, a code block draws a shadow (a background
that scrolls with the content covers it once that side is reached), and a
table, HTML output or formula fades out (a mask driven by its scroll
position). Nothing may be clipped by a box that does not scroll.

At phone width (390 x 844) nothing may stick out of the page: the document
is no wider than the screen, and no element reaches past its right edge
unless it sits in a box that scrolls (with the cue). A full-page screenshot
of every page goes to ``_build/test-artifacts/phone/`` (light mode; dark
mode too for a few chapters), and the per-page counts of code blocks that
scroll at desktop width to ``_build/test-artifacts/overflow.json``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from conftest import HTML, ROOT, open_page

pytestmark = pytest.mark.browser

ARTIFACTS = ROOT / "_build" / "test-artifacts"
PHONE_SHOTS = ARTIFACTS / "phone"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
#: Chapters whose phone screenshot is also taken in the dark mode.
DARK_SHOTS = ("backprop", "cnn")

PAGES = (
    sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))
    if HTML.is_dir()
    else []
)


#: What the checks measure on a page, in one pass over its article.
#: - code: the code blocks (``div.highlight pre``) outside cell outputs, how many
#:   scroll sideways, and a description of each that does;
#: - outputs: the same for the text outputs of cells (``.cell_output pre``);
#: - uncued: boxes that scroll sideways but draw no scroll cue, or draw it in
#:   a colour other than the one behind them (the cue would show as a patch);
#: - clipped: boxes whose content is wider than they are and that do not
#:   scroll, so that the content is cut off;
#: - sticking_out: elements whose right edge is past the screen's, outside
#:   any box that scrolls sideways (and outside the closed side bars);
#: - wide_formulas: display formulas wider than their box, and whether that
#:   box scrolls with the cue;
#: - page: the document's width and the screen's.
MEASURE = r"""
() => {
  const W = document.documentElement.clientWidth;
  const article = document.querySelector('.bd-article') || document.body;
  const wider = (e, slack) => e.scrollWidth > e.clientWidth + slack;
  const scrolls = (e) => ['auto', 'scroll'].includes(getComputedStyle(e).overflowX);
  const rgba = (c) => {
    const m = c.match(/rgba?\(([^)]*)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const colour = (value) => {
    const probe = document.createElement('i');
    probe.style.color = value;
    document.body.appendChild(probe);
    const c = getComputedStyle(probe).color;
    probe.remove();
    return rgba(c);
  };
  // The colour behind an element's content: its own background over its
  // ancestors', composited until one is opaque.
  const behind = (e) => {
    const layers = [];
    for (let a = e; a; a = a.parentElement) {
      const c = rgba(getComputedStyle(a).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 0.999) break;
    }
    let out = [255, 255, 255];
    for (const [r, g, b, al] of layers.reverse()) {
      out = [r * al + out[0] * (1 - al), g * al + out[1] * (1 - al),
             b * al + out[2] * (1 - al)];
    }
    return out;
  };
  const shadowed = (cs) =>
    (cs.backgroundImage.match(/radial-gradient/g) || []).length >= 2
    && cs.backgroundAttachment.includes('local');
  // The covers of the shadows must be the colour behind the box, or they
  // show as patches at its ends.
  const patch = (e) => {
    const cs = getComputedStyle(e);
    const cover = colour(cs.getPropertyValue('--nnbook-cover').trim());
    const back = behind(e);
    const off = Math.max(...back.map((v, i) => Math.abs(v - cover[i])));
    if (off <= 3) return '';
    return `cue covers in rgb(${cover.slice(0, 3)}) on rgb(${back.map(Math.round)})`;
  };
  const cue = (e) => {
    const cs = getComputedStyle(e);
    // Tables and HTML outputs: a fade driven by the box's scroll position.
    const mask = cs.maskImage || cs.webkitMaskImage || 'none';
    if (cs.animationName.includes('nnbook-scroll-fade')
        && String(cs.animationTimeline).includes('scroll')
        && mask.includes('gradient')) return '';
    // Everything else: shadows in the background, covered at a reached edge.
    return shadowed(cs) ? patch(e) : 'no scroll cue';
  };
  const hidden = (e) => {
    for (let a = e; a; a = a.parentElement) {
      const cs = getComputedStyle(a);
      if (cs.clip !== 'auto' || cs.clipPath !== 'none') return true;
      if (cs.visibility === 'hidden') return true;
      const closed = '.bd-sidebar-primary, .bd-sidebar-secondary, mjx-assistive-mml';
      if (a.matches(closed)) return true;
    }
    return false;
  };
  const inScroller = (e) => {
    for (let a = e.parentElement; a; a = a.parentElement) if (scrolls(a)) return true;
    return false;
  };
  const name = (e) => {
    const cls = typeof e.className === 'string'
      ? e.className.trim().split(/\s+/).slice(0, 2).join('.') : '';
    const text = (e.textContent || '').trim().replace(/\s+/g, ' ').slice(0, 50);
    return `${e.tagName.toLowerCase()}${cls ? '.' + cls : ''} "${text}"`;
  };
  const blocks = (list) => ({
    count: list.length,
    scroll: list.filter((e) => wider(e, 1)).length,
    scrolling: list.filter((e) => wider(e, 1)).map(name),
  });
  const pres = [...article.querySelectorAll('div.highlight pre')];
  const uncued = [], clipped = [];
  for (const e of article.querySelectorAll('*')) {
    if (e.clientWidth === 0 || hidden(e)) continue;
    if (scrolls(e)) {
      if (!wider(e, 1)) continue;
      const why = cue(e);
      if (why) uncued.push(`${name(e)}: ${why}`);
    } else if (getComputedStyle(e).overflowX !== 'visible' && wider(e, 2)) {
      clipped.push(`${name(e)}: ${e.scrollWidth - e.clientWidth} px cut off`);
    }
  }
  const out = new Set();
  for (const e of document.body.querySelectorAll('*')) {
    const r = e.getBoundingClientRect();
    // A box's own right edge, or that of content overflowing it visibly.
    const visible = getComputedStyle(e).overflowX === 'visible';
    const right = visible ? Math.max(r.right, r.left + e.scrollWidth) : r.right;
    if (r.width === 0 || right <= W + 0.5) continue;
    if (inScroller(e) || hidden(e)) continue;
    e.dataset.nnbookRight = Math.round(right);
    out.add(e);
  }
  // Name the innermost offenders: those none of whose children sticks out.
  const sticking_out = [...out]
    .filter((e) => ![...e.children].some((c) => out.has(c)))
    .map((e) => `${name(e)}: right edge at ${e.dataset.nnbookRight} px`);
  const patches = [];
  const cued = 'div.highlight > pre, mjx-container[display="true"], span.math';
  for (const e of article.querySelectorAll(cued)) {
    if (e.clientWidth === 0 || !shadowed(getComputedStyle(e))) continue;
    const why = patch(e);
    if (why) patches.push(`${name(e)}: ${why}`);
  }
  const wide_formulas = [...article.querySelectorAll('mjx-container[display="true"]')]
    .filter((e) => wider(e, 1))
    .map((e) => [
      name(e), scrolls(e) ? cue(e) || 'scrolls with cue' : 'does not scroll',
    ]);
  return {
    code: blocks(pres.filter((e) => !e.closest('.cell_output'))),
    outputs: blocks(pres.filter((e) => e.closest('.cell_output'))),
    uncued, clipped, sticking_out: sticking_out.slice(0, 20), wide_formulas,
    patches: patches.slice(0, 20),
    page: [document.documentElement.scrollWidth, window.innerWidth],
  };
}
"""


def measure(page) -> dict:
    """Run :data:`MEASURE` on ``page``."""
    return page.evaluate(MEASURE)


@pytest.fixture(scope="session")
def overflow_report() -> Iterator[dict]:
    """Collect the desktop counts of this session; write them to the artefacts."""
    report: dict = {}
    yield report
    if report:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        document = {
            "viewport": DESKTOP,
            "counts": "code blocks (div.highlight pre outside outputs) and cell "
            "outputs (.cell_output pre): how many, and how many scroll sideways",
            "pages": dict(sorted(report.items())),
        }
        path = ARTIFACTS / "overflow.json"
        path.write_text(json.dumps(document, indent=1) + "\n")


def summary(found: dict) -> dict:
    return {
        kind: {"blocks": found[kind]["count"], "scroll": found[kind]["scroll"]}
        for kind in ("code", "outputs")
    }


@pytest.mark.parametrize("name", PAGES)
def test_desktop_code_fits_and_what_scrolls_shows_it(
    browser, server: str, overflow_report: dict, name: str
) -> None:
    page = open_page(browser, f"{server}/{name}", viewport=DESKTOP)
    try:
        found = measure(page)
    finally:
        page.context.close()
    overflow_report[name] = summary(found)
    assert not found["code"]["scrolling"], (
        f"{name}: code blocks that scroll sideways at 1280 px: "
        f"{found['code']['scrolling']}"
    )
    assert not found["uncued"], f"{name}: boxes that scroll without a cue: " + (
        "; ".join(found["uncued"])
    )
    assert not found["clipped"], f"{name}: content cut off: " + (
        "; ".join(found["clipped"])
    )
    assert not found["patches"], f"{name}: scroll cues in the wrong colour: " + (
        "; ".join(found["patches"])
    )


def test_backprop_gradient_table_shows_the_torch_column(browser, server: str) -> None:
    """The table of the four gradients fits its block; its last column is seen."""
    page = open_page(browser, f"{server}/book/backprop.html", viewport=DESKTOP)
    try:
        table = page.evaluate(
            r"""() => {
                const pre = [...document.querySelectorAll('.cell_output pre')]
                    .find((e) => e.textContent.includes('torch.autograd'));
                if (!pre) return null;
                const text = pre.textContent;
                const range = document.createRange();
                range.selectNodeContents(pre);
                const box = pre.getBoundingClientRect();
                const ink = range.getBoundingClientRect();
                const cs = getComputedStyle(pre);
                return {
                    lines: text.split('\n').filter(Boolean),
                    scrollWidth: pre.scrollWidth, clientWidth: pre.clientWidth,
                    inkRight: ink.right,
                    boxRight: box.right - parseFloat(cs.paddingRight),
                };
            }"""
        )
    finally:
        page.context.close()
    assert table, "backprop: no output holds the gradient table (torch.autograd)"
    header = table["lines"][0]
    assert header.rstrip().endswith("torch.autograd"), header
    assert len(table["lines"]) == 4, table["lines"]  # w, b and x below the header
    assert table["scrollWidth"] <= table["clientWidth"], table
    assert table["inkRight"] <= table["boxRight"] + 0.5, table


@pytest.mark.parametrize("name", PAGES)
def test_phone_nothing_sticks_out_and_wide_formulas_scroll(
    browser, server: str, name: str
) -> None:
    chapter = name.rsplit("/", 1)[-1].removesuffix(".html")
    modes = ("light", "dark") if chapter in DARK_SHOTS else ("light",)
    PHONE_SHOTS.mkdir(parents=True, exist_ok=True)
    for mode in modes:
        page = open_page(browser, f"{server}/{name}", mode, PHONE)
        try:
            found = measure(page)
            suffix = "" if mode == "light" else f"-{mode}"
            page.screenshot(path=PHONE_SHOTS / f"{chapter}{suffix}.png", full_page=True)
        finally:
            page.context.close()
        width, screen = found["page"]
        assert width <= screen, f"{name} ({mode}): the page is {width} px wide"
        assert not found["sticking_out"], (
            f"{name} ({mode}): past the right edge: " + "; ".join(found["sticking_out"])
        )
        bad = [
            f"{f}: {how}"
            for f, how in found["wide_formulas"]
            if how != "scrolls with cue"
        ]
        assert not bad, f"{name} ({mode}): wide formulas: " + "; ".join(bad)
        assert not found["uncued"], (
            f"{name} ({mode}): boxes that scroll without a cue: "
            + "; ".join(found["uncued"])
        )
        assert not found["clipped"], f"{name} ({mode}): content cut off: " + "; ".join(
            found["clipped"]
        )
        assert not found["patches"], (
            f"{name} ({mode}): scroll cues in the wrong colour: "
            + "; ".join(found["patches"])
        )


STRIPS = """async (data) => {
    const img = new Image();
    img.src = 'data:image/png;base64,' + data;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    const w = Math.min(24, Math.floor(img.width / 4));
    const strip = (x0) => {
        const d = g.getImageData(x0, 0, w, img.height).data;
        let sum = 0;
        for (let i = 0; i < d.length; i += 4) sum += d[i] + d[i + 1] + d[i + 2];
        return sum / (3 * d.length / 4);
    };
    return [strip(0), strip(img.width - w)];
}"""


def edges(page, png: bytes) -> list[float]:
    """Mean brightness of the leftmost and the rightmost 24 pixel columns."""
    return page.evaluate(STRIPS, base64.b64encode(png).decode())


def pick(page, selector: str, wide: bool = True) -> None:
    """Give the first box of ``selector`` that scrolls by > 20 px an id; show it.

    With ``wide=False``, the first box at least 50 px wide that does not scroll.
    """
    found = page.evaluate(
        """([selector, wide]) => {
            const e = [...document.querySelectorAll(selector)].find((e) => wide
                ? e.scrollWidth > e.clientWidth + 20
                : e.scrollWidth <= e.clientWidth + 1 && e.clientWidth > 50);
            if (!e) return false;
            e.id = 'nnbook-cue-probe';
            e.scrollIntoView({block: 'center'});
            return true;
        }""",
        [selector, wide],
    )
    assert found, f"no {'wide' if wide else 'narrow'} box of {selector} on {page.url}"


def scroll_probe(page, end: bool) -> None:
    page.evaluate(
        "(end) => { const e = document.getElementById('nnbook-cue-probe');"
        " e.scrollLeft = end ? e.scrollWidth : 0; }",
        end,
    )


@pytest.mark.parametrize("mode", ("light", "dark"))
@pytest.mark.parametrize("selector", [".cell_input pre", ".cell_output pre"])
def test_the_scroll_shadow_is_seen_on_the_side_with_more(
    browser, server: str, mode: str, selector: str
) -> None:
    """Code or an output on a phone: a shadow shows where more content hides.

    The box's content is hidden, so that only its background (which draws
    the cue) is photographed, at the start and at the end of its scroll.
    """
    page = open_page(browser, f"{server}/book/backprop.html", mode, PHONE)
    try:
        pick(page, selector)
        page.evaluate(
            """() => {
                const e = document.getElementById('nnbook-cue-probe');
                for (const c of e.querySelectorAll('*')) c.style.visibility = 'hidden';
                e.style.color = 'transparent';
            }"""
        )
        box = page.locator("#nnbook-cue-probe")
        scroll_probe(page, end=False)
        start_left, start_right = edges(page, box.screenshot())
        scroll_probe(page, end=True)
        end_left, end_right = edges(page, box.screenshot())
    finally:
        page.context.close()
    seen = (start_left, start_right, end_left, end_right)
    # The shadow is dark on the light page and light on the dark one.
    sign = 1 if mode == "light" else -1
    assert sign * (start_left - start_right) > 5, seen  # more to the right
    assert sign * (end_right - end_left) > 5, seen  # more to the left


def set_fade(page, on: bool) -> None:
    """Switch the fade of the probed box off (back to the page's own, if on)."""
    page.evaluate(
        """(on) => {
            const s = document.getElementById('nnbook-cue-probe').style;
            for (const p of ['animation', 'mask-image', '-webkit-mask-image']) {
                if (on) s.removeProperty(p); else s.setProperty(p, 'none');
            }
        }""",
        on,
    )


def fade_difference(page) -> list[float]:
    """How much the fade changes the probed box's left and right edges."""
    box = page.locator("#nnbook-cue-probe")
    faded = edges(page, box.screenshot())
    set_fade(page, on=False)
    plain = edges(page, box.screenshot())
    set_fade(page, on=True)
    return [abs(f - p) for f, p in zip(faded, plain)]


#: (chapter with a box wider than a phone, its selector, chapter where one fits
#: at desktop width)
FADING = [
    ("losses", ".pst-scrollable-table-container", "optimisers"),
    ("backprop", 'mjx-container[display="true"]', "backprop"),
    ("neurons", "span.math", "neurons"),
]


@pytest.mark.parametrize("mode", ("light", "dark"))
@pytest.mark.parametrize(("chapter", "selector", "fitting"), FADING)
def test_a_wide_table_or_formula_fades_on_the_side_with_more(
    browser, server: str, mode: str, chapter: str, selector: str, fitting: str
) -> None:
    """A table or formula wider than a phone fades out where more of it hides.

    Each edge is photographed with the fade and without it (the mask
    removed): they differ on the side with more content only. A box that
    fits (at desktop width) is not changed by the fade at all.
    """
    page = open_page(browser, f"{server}/book/{chapter}.html", mode, PHONE)
    try:
        pick(page, selector)
        scroll_probe(page, end=False)
        start_left, start_right = fade_difference(page)
        scroll_probe(page, end=True)
        end_left, end_right = fade_difference(page)
    finally:
        page.context.close()
    seen = (start_left, start_right, end_left, end_right)
    assert start_right > 3 and start_left < 1, seen
    assert end_left > 3 and end_right < 1, seen
    page = open_page(browser, f"{server}/book/{fitting}.html", mode, DESKTOP)
    try:
        pick(page, selector, wide=False)
        fits = fade_difference(page)
    finally:
        page.context.close()
    assert max(fits) < 1, fits


def test_the_checks_see_what_sticks_out(browser, server: str) -> None:
    """The measurements can fail: planted offenders are all found."""
    plant = """() => {
        const article = document.querySelector('.bd-article');
        const wide = document.createElement('p');
        wide.textContent = 'x'.repeat(200);
        wide.style.whiteSpace = 'nowrap';
        const clip = document.createElement('div');
        clip.style.cssText = 'overflow: hidden; width: 200px';
        clip.innerHTML = '<div style="width: 300px">clipped</div>';
        const bare = document.createElement('div');
        bare.style.cssText = 'overflow-x: auto; width: 200px';
        bare.innerHTML = '<div style="width: 300px">bare scroller</div>';
        const pre = document.querySelector('.cell_input div.highlight pre');
        pre.textContent = 'y'.repeat(120);
        article.prepend(wide, clip, bare);
    }"""
    for viewport in (DESKTOP, PHONE):
        page = open_page(browser, f"{server}/book/backprop.html", viewport=viewport)
        try:
            clean = measure(page)
            page.evaluate(plant)
            planted = measure(page)
        finally:
            page.context.close()
        assert not clean["sticking_out"] and not clean["clipped"], clean
        assert not clean["uncued"], clean["uncued"]
        assert planted["page"][0] > planted["page"][1], planted["page"]
        assert any("xxxxx" in s for s in planted["sticking_out"]), planted
        assert any('"clipped"' in s for s in planted["clipped"]), planted
        assert any("bare scroller" in s for s in planted["uncued"]), planted
        assert any("yyyyy" in s for s in planted["code"]["scrolling"]), planted
