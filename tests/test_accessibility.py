"""Every page of the built site, audited by axe-core in headless Chromium.

axe-core (vendored from the npm registry by `make test` into _vendor_test/,
which is not published with the site) is injected into each page by
playwright and run with the WCAG 2.0 and 2.1 level A and AA rules, once in
the light and once in the dark colour mode of the theme. A violation of
impact "serious" or "critical" fails the test, naming the rule, the
elements and the page. The counts of every impact, per page and mode, go to
``_build/test-artifacts/axe.json`` so that a report can quote them.

The audit runs after the page has settled: MathJax has typeset the formulas
and the widgets have built themselves (the digit widgets have loaded their
networks), so what axe sees is what a reader meets.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import HTML, ROOT, open_page

pytestmark = pytest.mark.browser

AXE = ROOT / "_vendor_test" / "axe-core" / "axe.min.js"
ARTIFACTS = ROOT / "_build" / "test-artifacts"
#: The version the Makefile vendors (the file's first line: "/*! axe v4.14.1").
AXE_VERSION = (
    AXE.read_text()[:100].split("axe v", 1)[1].split()[0] if AXE.is_file() else None
)
#: The rule sets of WCAG 2.0 and 2.1, levels A and AA.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
IMPACTS = ("minor", "moderate", "serious", "critical")
FAILING = ("serious", "critical")
MODES = ("light", "dark")

#: The pages tests/test_browser.py loads: every chapter of the book.
PAGES = (
    sorted(p.relative_to(HTML).as_posix() for p in (HTML / "book").glob("*.html"))
    if HTML.is_dir()
    else []
)


def axe_violations(page) -> list[dict]:
    """Inject axe-core into ``page`` and return its WCAG 2.x A/AA violations."""
    page.add_script_tag(path=str(AXE))
    return page.evaluate(
        """async (tags) => {
            const results = await axe.run(document, {
                runOnly: { type: 'tag', values: tags },
                resultTypes: ['violations'],
            });
            return results.violations.map((v) => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.map((n) => ({
                    target: n.target.map(String), impact: n.impact,
                    summary: n.failureSummary,
                })),
            }));
        }""",
        WCAG_TAGS,
    )


def counts_by_impact(violations: list[dict]) -> dict[str, dict[str, int]]:
    """Per impact: how many rules were violated and on how many elements."""
    out = {impact: {"rules": 0, "nodes": 0} for impact in IMPACTS}
    for violation in violations:
        for node in violation["nodes"]:
            out[node["impact"] or violation["impact"]]["nodes"] += 1
        out[violation["impact"]]["rules"] += 1
    return out


def describe(violations: list[dict], name: str, mode: str) -> str:
    lines = []
    for v in violations:
        targets = "; ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        more = f" (and {len(v['nodes']) - 5} more)" if len(v["nodes"]) > 5 else ""
        lines.append(
            f"{name} ({mode} mode): {v['impact']} {v['id']} ({v['help']}) "
            f"on {len(v['nodes'])} elements: {targets}{more}"
        )
    return "\n".join(lines)


@pytest.fixture(scope="session")
def axe_report() -> Iterator[dict]:
    """Collect the audits of this session; write them to the test artefacts."""
    if not AXE.is_file():
        pytest.fail(
            f"axe-core is not vendored at {AXE}: run `make {AXE.relative_to(ROOT)}`"
        )
    report: dict = {}
    yield report
    if not report:
        return
    path = ARTIFACTS / "axe.json"
    pages: dict = {}
    if path.is_file():
        # A run of some pages keeps the earlier audits of the others, unless
        # those pages were built again since.
        written = path.stat().st_mtime
        pages = {
            name: entry
            for name, entry in json.loads(path.read_text()).get("pages", {}).items()
            if (HTML / name).is_file() and (HTML / name).stat().st_mtime < written
        }
    for name, modes in report.items():
        pages.setdefault(name, {}).update(modes)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    document = {
        "axe-core": AXE_VERSION,
        "tags": WCAG_TAGS,
        "counts": "per impact: rules violated and elements (nodes) affected",
        "pages": dict(sorted(pages.items())),
    }
    path.write_text(json.dumps(document, indent=1) + "\n")


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", PAGES)
def test_no_serious_or_critical_accessibility_violation(
    browser, server: str, axe_report: dict, name: str, mode: str
) -> None:
    page = open_page(browser, f"{server}/{name}", mode, wait="models")
    try:
        violations = axe_violations(page)
    finally:
        page.context.close()
    axe_report.setdefault(name, {})[mode] = {
        "counts": counts_by_impact(violations),
        "rules": sorted(f"{v['impact']}: {v['id']}" for v in violations),
    }
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, "\n" + describe(failing, name, mode)


@pytest.mark.parametrize("name", PAGES)
def test_formulas_are_not_tab_stops(browser, server: str, name: str) -> None:
    """MathJax's menu would make every formula a Tab stop (176 on one page).

    The book's MathJax configuration (``_config.yml``) takes them out of the
    tab order, so that the keyboard goes from link to control.
    """
    page = open_page(browser, f"{server}/{name}", "light", wait="mathjax")
    try:
        formulas, stops = page.evaluate(
            """() => {
                const all = [...document.querySelectorAll('mjx-container')];
                return [all.length, all.filter((e) => e.tabIndex >= 0).length];
            }"""
        )
    finally:
        page.context.close()
    assert stops == 0, f"{stops} of the {formulas} formulas on {name} are Tab stops"


def test_axe_finds_a_violation_it_should(browser, server: str) -> None:
    """The audit can fail: a low-contrast paragraph added to a page is reported."""
    page = open_page(browser, f"{server}/book/mnist_data.html", "light")
    try:
        page.evaluate(
            """() => {
                const p = document.createElement('p');
                p.id = 'nnbook-axe-probe';
                p.textContent = 'pale text on white';
                p.style.cssText = 'color: #bbb; background: #fff';
                document.querySelector('main').prepend(p);
            }"""
        )
        violations = axe_violations(page)
    finally:
        page.context.close()
    contrast = [v for v in violations if v["id"] == "color-contrast"]
    assert contrast and contrast[0]["impact"] == "serious"
    assert any(n["target"] == ["#nnbook-axe-probe"] for n in contrast[0]["nodes"]), (
        describe(contrast, PAGES[0], "light")
    )


def test_the_vendored_axe_is_not_published(html: Path) -> None:
    """axe-core is a test tool: the built site does not carry it."""
    assert not list(html.rglob("axe*.js"))
