"""The chapters' self-check questions: nnbook.widgets.Choice, Number and self_check.

The unit tests check the validation of a question, the HTML that
``self_check`` writes (a readable list without JavaScript: question,
options, and the answer with its explanation behind "Show the answer") and
its escaping. The browser tests (marker ``browser``, on the built site)
answer a multiple-choice and a number question by keyboard only, wrongly
and rightly, in the light and the dark mode, and read the verdict; they
also check the list without JavaScript, the math, the contrast of the
verdict and the width on a phone.
"""

from __future__ import annotations

import dataclasses
import html
import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

from conftest import CONSOLE_ALLOW
from nnbook.widgets import Choice, Number, _self_check_html, self_check


def choice(**changes: object) -> Choice:
    arguments = {
        "question": "Which is $\\sigma(0)$?",
        "options": ["0", "1/2", "1"],
        "answer": 1,
        "explanation": "Because $e^0 = 1$ and so $\\sigma(0) = 1/(1+1)$.",
    }
    return Choice(**{**arguments, **changes})


def number(**changes: object) -> Number:
    arguments = {
        "question": "What is $\\sigma'(0)$?",
        "answer": 0.25,
        "tolerance": 0.005,
        "explanation": "The slope of the sigmoid at 0.",
    }
    return Number(**{**arguments, **changes})


def tree(questions: list, title: str | None = "Check yourself") -> ET.Element:
    """The self-check's markup as an element tree (it is well-formed XML)."""
    return ET.fromstring(_self_check_html(questions, title))


def text(element: ET.Element) -> str:
    return "".join(element.itertext())


# --- validation ------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"question": None}, TypeError, "question must be a str, got NoneType"),
        ({"question": "  "}, ValueError, "question must not be empty"),
        ({"question": "costs $5"}, ValueError, r"question has an unmatched \$"),
        ({"question": "a $$ b"}, ValueError, r"question has empty math"),
        ({"options": "abc"}, TypeError, "options must be a list or tuple of str"),
        ({"options": []}, ValueError, "options must hold 2 to 26 answers, got 0"),
        ({"options": ["only"]}, ValueError, "options must hold 2 to 26 answers, got 1"),
        ({"options": ["a", "b", "a"]}, ValueError, "options must all be different"),
        ({"options": ["a", 2]}, TypeError, r"options\[1\] must be a str, got int"),
        ({"options": ["a", ""]}, ValueError, r"options\[1\] must not be empty"),
        ({"answer": 3}, ValueError, "answer must be an integer <= 2, got 3"),
        ({"answer": -1}, ValueError, "answer must be an integer >= 0, got -1"),
        ({"answer": 1.0}, TypeError, "answer must be an integer, got float"),
        ({"answer": True}, TypeError, "answer must be an integer, got bool"),
        ({"explanation": ""}, ValueError, "explanation must not be empty"),
        ({"explanation": 3}, TypeError, "explanation must be a str, got int"),
    ],
)
def test_a_bad_choice_is_refused_naming_the_parameter(changes, error, match) -> None:
    with pytest.raises(error, match=match):
        choice(**changes)


@pytest.mark.parametrize(
    ("changes", "error", "match"),
    [
        ({"answer": math.nan}, ValueError, "answer must be a finite number, got nan"),
        ({"answer": math.inf}, ValueError, "answer must be a finite number, got inf"),
        ({"answer": "0.25"}, TypeError, "answer must be a real number, got str"),
        ({"answer": None}, TypeError, "answer must be a real number, got NoneType"),
        ({"tolerance": -0.1}, ValueError, "tolerance must be a finite number >= 0"),
        ({"tolerance": math.nan}, ValueError, "tolerance must be a finite number >= 0"),
        ({"tolerance": None}, TypeError, "tolerance must be a real number"),
        (
            {"tolerance": 0},
            ValueError,
            "tolerance must be > 0 unless the answer is a whole number",
        ),
        ({"unit": ""}, ValueError, "unit must not be empty"),
        ({"unit": 3}, TypeError, "unit must be a str, got int"),
        ({"explanation": None}, TypeError, "explanation must be a str"),
        ({"question": "a \\$ and $x"}, ValueError, r"question has an unmatched \$"),
    ],
)
def test_a_bad_number_is_refused_naming_the_parameter(changes, error, match) -> None:
    with pytest.raises(error, match=match):
        number(**changes)


def test_questions_are_frozen_and_normalised() -> None:
    q = choice(options=["a", "b"], answer=np.int64(0))
    assert q.options == ("a", "b") and type(q.answer) is int
    n = number(answer=np.float32(0.5), tolerance=np.float64(0.01))
    assert type(n.answer) is float and n.answer == 0.5 and type(n.tolerance) is float
    assert number(answer=np.array(3.0), tolerance=0).answer == 3.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        n.answer = 1.0  # type: ignore[misc]


@pytest.mark.parametrize(
    ("questions", "title", "error", "match"),
    [
        ("abc", "t", TypeError, "questions must be a list or tuple"),
        (None, "t", TypeError, "questions must be a list or tuple"),
        ([], "t", ValueError, "questions must hold at least one question"),
        (["What?"], "t", TypeError, r"questions\[0\] must be a Choice or a Number"),
        ([None], "t", TypeError, r"questions\[0\] must be a Choice or a Number"),
        (["choice", 3], "t", TypeError, r"questions\[1\] must be a Choice or a Number"),
        (["choice"], 3, TypeError, "title must be a str, got int"),
        (["choice"], "", ValueError, "title must not be empty"),
    ],
)
def test_self_check_refuses_bad_arguments(questions, title, error, match) -> None:
    if isinstance(questions, list):
        questions = [choice() if q == "choice" else q for q in questions]
    with pytest.raises(error, match=match):
        _self_check_html(questions, title)
    with pytest.raises(error, match=match):
        self_check(questions, title)


# --- the HTML --------------------------------------------------------------


def test_the_html_is_a_readable_list_with_the_answers() -> None:
    root = tree([choice(), number(unit="s")])
    assert root.tag == "div" and root.get("class") == "nnbook-selfcheck"
    assert root.get("data-nnbook-selfcheck") == "2"
    assert text(root.find("p[@class='nnbook-selfcheck-title']")) == "Check yourself"
    items = root.findall("ol[@class='nnbook-selfcheck-questions']/li")
    assert [li.get("data-kind") for li in items] == ["choice", "number"]

    first, second = items
    assert first.get("data-answer") == "1"
    options = first.findall("ol[@class='nnbook-selfcheck-options']/li")
    assert [text(li) for li in options] == ["0", "1/2", "1"]
    assert first.find("ol[@class='nnbook-selfcheck-options']").get("type") == "a"
    summary, solution, explanation = first.find("details")
    assert summary.tag == "summary" and text(summary) == "Show the answer"
    assert text(solution) == "The answer: (b) 1/2"
    assert text(explanation).startswith("Because \\(e^0 = 1\\) and so")

    assert float(second.get("data-answer")) == 0.25
    assert float(second.get("data-tolerance")) == 0.005
    assert second.get("data-unit") == "s"
    hint = second.find("p[@class='nnbook-selfcheck-hint']")
    assert text(hint) == "Any answer within \u00b10.005 s of the right value counts."
    assert text(second.find("details/p[@class='nnbook-selfcheck-solution']")) == (
        "The answer: 0.25 s"
    )
    assert (
        text(second.find("details/p[@class='nnbook-selfcheck-explanation']"))
        == "The slope of the sigmoid at 0."
    )


def test_no_title_and_whole_numbers() -> None:
    root = tree([number(answer=47_700.0, tolerance=0)], title=None)
    assert root.find("p[@class='nnbook-selfcheck-title']") is None
    li = root.find("ol/li")
    assert text(li.find("p[@class='nnbook-selfcheck-hint']")) == (
        "Give the exact whole number."
    )
    assert text(li.find("details/p[@class='nnbook-selfcheck-solution']")) == (
        "The answer: 47,700"
    )


@pytest.mark.parametrize(
    ("answer", "tolerance", "shown"),
    [
        (0.2512345, 0.005, "0.251"),
        (0.25, 0.005, "0.25"),
        (-1.92, 0.005, "\u22121.92"),
        (2.302585, 0.01, "2.3"),
        (23860.0, 0, "23,860"),
        (1.6e-3, 1e-5, "0.0016"),
        (7.4, 0.5, "7.4"),
        (12.6, 1, "13"),
    ],
)
def test_the_answer_shown_is_itself_right(answer, tolerance, shown) -> None:
    """The answer is shown with as many decimals as the tolerance needs, and no more."""
    li = tree([number(answer=answer, tolerance=tolerance)]).find("ol/li")
    solution = text(li.find("details/p[@class='nnbook-selfcheck-solution']"))
    assert solution == f"The answer: {shown}"
    value = float(shown.replace("\u2212", "-").replace(",", ""))
    assert abs(value - answer) <= tolerance
    # The exact value travels in the attribute, for the script to check against.
    assert float(li.get("data-answer")) == answer
    hint = text(li.find("p[@class='nnbook-selfcheck-hint']"))
    assert "e-" not in hint and "e+" not in hint  # 0.00001, never 1e-05


def test_text_is_escaped_and_math_marked_for_mathjax() -> None:
    nasty = 'Is <script>alert("x")</script> & $a < b$ worth \\$5?'
    markup = _self_check_html(
        [choice(question=nasty, options=["<b>yes</b>", "no & never"], answer=0)]
    )
    assert "<script" not in markup and "<b>" not in markup
    root = ET.fromstring(markup)
    question = root.find("ol/li/p[@class='nnbook-selfcheck-text']")
    assert text(question) == 'Is <script>alert("x")</script> & \\(a < b\\) worth $5?'
    (math_span,) = question.findall("span")
    assert math_span.get("class") == "math notranslate nohighlight"
    assert math_span.text == "\\(a < b\\)"
    options = root.findall("ol/li/ol/li")
    assert [text(li) for li in options] == ["<b>yes</b>", "no & never"]
    assert [li.get("class") for li in options] == ["nnbook-selfcheck-option"] * 2
    title_markup = _self_check_html([number()], title='"Quick" <check>')
    assert "&quot;Quick&quot; &lt;check&gt;" in title_markup


def test_self_check_displays_the_html(monkeypatch: pytest.MonkeyPatch) -> None:
    import IPython.display

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda obj: shown.append(obj))
    questions = (choice(), number())
    assert self_check(questions) is None  # nothing for a notebook to display twice
    (obj,) = shown
    assert isinstance(obj, IPython.display.HTML)
    assert obj.data == _self_check_html(list(questions))


# --- in the browser, on the built site --------------------------------------

#: The chapter whose self-check the browser tests answer.
PAGE = "book/gradient_descent.html"
BLOCK = ".nnbook-selfcheck"


def _static_explanations(html_file: Path) -> list[str]:
    """The plain-text start of each explanation in the page as built (no script)."""
    found = re.findall(
        r'<p class="nnbook-selfcheck-explanation">(.*?)</p>', html_file.read_text()
    )
    assert found, f"{html_file} has no self-check"
    return [html.unescape(re.split(r"<span", part)[0]).strip() for part in found]


@pytest.fixture
def open_page(browser, server: str, html: Path):
    """Open the self-check page; return the page and the list of stray events."""
    contexts = []

    def opener(name: str = PAGE, **context_options):
        if not (html / name).is_file():
            pytest.fail(f"{name} is not in the built site {html}")
        context = browser.new_context(**context_options)
        contexts.append(context)
        page = context.new_page()
        problems: list[str] = []

        def route(route):
            url = route.request.url
            if url.startswith("data:") or urlsplit(url).hostname == "127.0.0.1":
                route.continue_()
            else:
                problems.append(f"request left 127.0.0.1: {url}")
                route.abort()

        page.route("**/*", route)
        page.on(
            "console",
            lambda m: (
                problems.append(m.text)
                if m.type == "error" and not any(a in m.text for a in CONSOLE_ALLOW)
                else None
            ),
        )
        page.on("pageerror", lambda e: problems.append(f"uncaught: {e}"))
        page.goto(f"{server}/{name}", wait_until="networkidle")
        if context_options.get("java_script_enabled", True):
            page.wait_for_selector(f'{BLOCK}[data-ready="true"]', timeout=10_000)
        return page, problems

    yield opener
    for context in contexts:
        context.close()


def _active(page) -> dict:
    return page.evaluate(
        """() => {
            const e = document.activeElement;
            const item = e && e.closest('.nnbook-selfcheck-question');
            return {tag: e ? e.tagName : null, type: e ? e.type || null : null,
                    classes: e ? e.className : null,
                    question: item ? [...document.querySelectorAll(
                        '.nnbook-selfcheck-question')].indexOf(item) : -1};
        }"""
    )


def _tab_to(page, predicate, limit: int = 40) -> dict:
    """Press Tab until the focused element satisfies ``predicate``, or fail."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        active = _active(page)
        assert active["tag"] not in (None, "BODY"), "focus dropped to the page body"
        if predicate(active):
            return active
    pytest.fail(f"no element matching the test within {limit} Tab presses")


def _verdict(page, index: int, expected: str) -> str:
    """Wait until question ``index``'s verdict reads ``expected``; return feedback."""
    page.wait_for_function(
        """([i, expected]) => {
            const item = document.querySelectorAll('.nnbook-selfcheck-question')[i];
            const words = item.querySelector('.nnbook-selfcheck-words');
            return words && words.textContent === expected;
        }""",
        arg=[index, expected],
        timeout=5_000,
    )
    return page.evaluate(
        """(i) => document.querySelectorAll('.nnbook-selfcheck-question')[i]
            .querySelector('.nnbook-selfcheck-feedback').innerText""",
        index,
    )


def _contrast(page, index: int) -> float:
    """The contrast ratio of question ``index``'s verdict with what lies behind it."""
    return page.evaluate(
        """(i) => {
            const item = document.querySelectorAll('.nnbook-selfcheck-question')[i];
            const words = item.querySelector('.nnbook-selfcheck-verdict');
            const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
            let node = words, back = null;
            while (node && node.nodeType === 1) {
                const c = rgb(getComputedStyle(node).backgroundColor);
                if (c.length < 4 || c[3] > 0) { back = c; break; }
                node = node.parentElement;
            }
            back = back || [255, 255, 255];
            const lum = (c) => {
                const [r, g, b] = c.slice(0, 3).map((v) => {
                    v /= 255;
                    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
                });
                return 0.2126 * r + 0.7152 * g + 0.0722 * b;
            };
            const [a, b] = [lum(rgb(getComputedStyle(words).color)), lum(back)];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        index,
    )


@pytest.mark.browser
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_a_reader_answers_by_keyboard_only(open_page, html: Path, mode: str) -> None:
    page, problems = open_page(color_scheme=mode)
    assert page.evaluate("document.documentElement.dataset.theme") == mode
    questions = page.evaluate(
        """() => [...document.querySelectorAll('.nnbook-selfcheck-question')].map(
            (li) => ({kind: li.dataset.kind, answer: Number(li.dataset.answer),
                      tolerance: Number(li.dataset.tolerance || 0),
                      options: li.querySelectorAll('input[type=radio]').length}))"""
    )
    explanations = _static_explanations(html / PAGE)
    assert len(explanations) == len(questions)
    c = next(i for i, q in enumerate(questions) if q["kind"] == "choice")
    n = next(i for i, q in enumerate(questions) if q["kind"] == "number")

    # Start where a reader who reached the section would: on its heading's link.
    first_question = page.locator(".nnbook-selfcheck-question").nth(c)
    first_question.evaluate(
        """(li) => {
            const link = document.createElement('a');
            link.href = '#'; link.textContent = 'start'; link.id = 'test-start';
            li.closest('.nnbook-selfcheck').before(link);
            link.focus();
        }"""
    )
    # Tab moves into the options; the arrows choose; Tab, Enter check.
    # Into a group with nothing chosen yet, Tab lands on its first option.
    _tab_to(page, lambda a: a["type"] == "radio" and a["question"] == c)
    answer, n_options = questions[c]["answer"], questions[c]["options"]
    wrong = (answer + 1) % n_options
    page.keyboard.press("Space")  # choose the first option
    for _ in range(wrong):
        page.keyboard.press("ArrowDown")
    _tab_to(page, lambda a: a["tag"] == "BUTTON" and a["question"] == c)
    page.keyboard.press("Enter")
    feedback = _verdict(page, c, "Not quite.")
    assert explanations[c][:40] in feedback and "The answer:" in feedback
    assert _active(page)["tag"] == "BUTTON", "focus left the Check button"
    assert _contrast(page, c) >= 4.5

    # Back to the options, to the right one, and check again with the space bar.
    page.keyboard.press("Shift+Tab")
    assert _active(page)["type"] == "radio"
    for _ in range((answer - wrong) % n_options):
        page.keyboard.press("ArrowDown")
    assert (
        page.evaluate(
            """(i) => document.querySelectorAll('.nnbook-selfcheck-question')[i]
            .dataset.result""",
            c,
        )
        == ""
    ), "changing the answer must clear the verdict"
    page.keyboard.press("Tab")
    page.keyboard.press("Space")
    feedback = _verdict(page, c, "Correct.")
    assert explanations[c][:40] in feedback
    assert _contrast(page, c) >= 4.5

    # The number: from the start again, Tab to its field, type, Enter checks.
    number_question = questions[n]
    page.focus("#test-start")
    _tab_to(page, lambda a: a["tag"] == "INPUT" and a["question"] == n, limit=80)
    page.keyboard.type("not a number")
    page.keyboard.press("Enter")
    _verdict(page, n, "That is not a number: write it like 0.25 or \u22123.")
    wrong_value = number_question["answer"] + 10 * number_question["tolerance"] + 1
    page.keyboard.press("Control+A")
    page.keyboard.type(repr(wrong_value))
    page.keyboard.press("Enter")
    feedback = _verdict(page, n, "Not quite.")
    assert explanations[n][:40] in feedback
    assert _active(page)["tag"] == "INPUT", "focus left the field"
    # The answer as the feedback shows it (thousands separators, a real minus
    # sign) is accepted as typed.
    shown = page.evaluate(
        """(i) => document.querySelectorAll('.nnbook-selfcheck-question')[i]
            .querySelector('.nnbook-selfcheck-solution').textContent""",
        n,
    ).removeprefix("The answer: ")
    page.keyboard.press("Control+A")
    page.keyboard.type(shown)
    page.keyboard.press("Tab")
    assert _active(page)["tag"] == "BUTTON"
    page.keyboard.press("Enter")
    feedback = _verdict(page, n, "Correct.")
    assert explanations[n][:40] in feedback
    assert _contrast(page, n) >= 4.5
    assert not problems, problems


@pytest.mark.browser
def test_the_page_without_javascript_is_a_list_with_answers(open_page) -> None:
    page, _problems = open_page(java_script_enabled=False)
    block = page.locator(BLOCK).first
    assert block.is_visible()
    summaries = block.locator("details > summary")
    assert summaries.count() >= 2
    assert summaries.first.inner_text() == "Show the answer"
    explanation = block.locator(".nnbook-selfcheck-explanation").first
    assert not explanation.is_visible()
    summaries.first.focus()
    page.keyboard.press("Enter")  # a summary opens by keyboard too
    assert explanation.is_visible()
    assert block.locator("ol.nnbook-selfcheck-options > li").count() >= 2


@pytest.mark.browser
def test_math_is_typeset_and_nothing_overflows_on_a_phone(open_page) -> None:
    page, problems = open_page(viewport={"width": 390, "height": 844})
    page.wait_for_function(
        "() => document.querySelector('.nnbook-selfcheck mjx-container') !== null",
        timeout=10_000,
    )
    raw = page.evaluate(
        "() => [...document.querySelectorAll('.nnbook-selfcheck')]"
        ".map((b) => b.innerText).join(' ')"
    )
    assert "\\(" not in raw and "$" not in raw, "untypeset math in a self-check"
    too_wide = page.evaluate(
        """() => [...document.querySelectorAll(
                '.nnbook-selfcheck, .nnbook-selfcheck *')]
            .filter((e) => e.getBoundingClientRect().right > window.innerWidth + 0.5)
            .map((e) => e.tagName + '.' + e.className)"""
    )
    assert not too_wide, too_wide
    parse = page.evaluate(
        """() => ['0.25', '.25', ' \u22123 ', '1e-3', '0,25', '47,700', '47 700',
                   '1/4', '2.5 s', 'abc', '1..2', '']
            .map((t) => window.nnbookSelfCheck.parseNumber(t, 's'))"""
    )
    assert parse[:9] == [0.25, 0.25, -3, 0.001, 0.25, 47700, 47700, 0.25, 2.5]
    assert all(v is None or math.isnan(v) for v in parse[9:])
    assert not problems, problems
