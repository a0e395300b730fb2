"""Find the numbers a chapter writes in its prose, to check none is a typed result.

Every number that comes from data, training or timing must be glued from the
cell that computed it. What remains in the prose of a chapter's MyST source,
once maths, code, glue and other roles are taken out, is either definitional
(a 28 × 28 image, 10 classes, the seed-outline's 20 points), quoted from a
cited source, or a typed result that should not be there. This module finds
those numbers; ``tests/test_prose_numbers.py`` compares them with the
reviewed allow-list ``tests/prose_numbers.yml``.

Prose here is the text of the markdown cells, the bodies of admonitions,
exercises and solutions, and the alt texts and captions of figures (kept in
the code cells' ``mystnb`` metadata). Out of it are taken: inline and display
maths, inline code, every role (``{glue:text}`...```, ``{doc}`...``` ...),
link targets, HTML comments and the ``(label)=`` targets. A number in a
sentence that cites a source (``{cite}``) is quoted from it and allowed.

Run ``python tools/prose_numbers.py book/splines.md`` to list what a chapter
writes, with the words around each number.
"""

from __future__ import annotations

import itertools
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

#: Directives whose body is prose; the bodies of all others (code cells,
#: maths, index entries, raw reST) are not.
PROSE_DIRECTIVES = {
    "admonition",
    "exercise",
    "solution",
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "seealso",
    "margin",
    "sidebar",
    "dropdown",
    "epigraph",
}
_FENCE = re.compile(r"^\s*(`{3,}|:{3,})\{([\w:-]+)\}(.*)$")
_PLAIN_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
#: Roles with their content, inline code and maths.
_ROLE = re.compile(r"\{([\w:-]+)\}`[^`]*`")
_CODE = re.compile(r"`[^`]*`")
_DISPLAY_MATH = re.compile(r"\$\$.*?\$\$", re.DOTALL)
_INLINE_MATH = re.compile(r"(?<!\\)\$(?:[^$\n]|\n(?!\n))+?(?<!\\)\$")
#: The marker of an ordered list item or a heading's number is not a number.
_LIST_MARKER = re.compile(r"^\s*\d+\.\s", re.MULTILINE)
_LINK_TARGET = re.compile(r"\]\([^)]*\)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_LABEL = re.compile(r"^\s*\([\w:-]+\)=\s*$", re.MULTILINE)
#: A number: digits, with thousands separators or a decimal part.
_NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?![\w])")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z(\"“])")
#: What a citation leaves in the prose, so that its sentence can be found.
CITED = "⟦cite⟧"


@dataclass(frozen=True)
class ProseNumber:
    """A number written in a chapter's prose.

    Attributes
    ----------
    number
        The number as written ("28", "0.5", "60,000").
    start
        Its offset in the page's prose (:func:`page_prose`).
    context
        The words around it, to find it in the source.
    """

    number: str
    start: int
    context: str


def _metadata_prose(lines: list[str]) -> list[str]:
    """The alt texts and captions in a code cell's YAML front matter."""
    try:
        meta = yaml.safe_load("\n".join(lines)) or {}
    except yaml.YAMLError:
        return []
    mystnb = meta.get("mystnb") or {}
    found = [
        (mystnb.get("image") or {}).get("alt"),
        (mystnb.get("figure") or {}).get("caption"),
    ]
    return [text for text in found if isinstance(text, str)]


def _prose_blocks(source: str) -> list[str]:
    """The markdown of ``source`` that readers read as prose, block by block."""
    lines = source.splitlines()
    if lines and lines[0].strip() == "---":  # the jupytext front matter
        end = lines.index("---", 1)
        lines = lines[end + 1 :]
    blocks: list[str] = []
    current: list[str] = []
    # A stack of open fences: (fence, body is prose).
    stack: list[tuple[str, bool]] = []
    i = 0
    in_code = False
    while i < len(lines):
        line = lines[i]
        prose_here = all(prose for _, prose in stack)
        if stack and line.strip() == stack[-1][0]:
            stack.pop()
            i += 1
            continue
        opened = _FENCE.match(line)
        plain = None if opened else _PLAIN_FENCE.match(line)
        if opened or (plain and line.strip() != (stack[-1][0] if stack else None)):
            fence = opened.group(1) if opened else plain.group(1)
            name = opened.group(2) if opened else ""
            is_prose = prose_here and name in PROSE_DIRECTIVES
            if opened and is_prose and name == "admonition":
                current.append(opened.group(3))  # an admonition's title
            i += 1
            # Options: a YAML block between "---" lines, or ":key: value" lines.
            if i < len(lines) and lines[i].strip() == "---":
                end = lines.index("---", i + 1)
                if prose_here and name == "code-cell":
                    for text in _metadata_prose(lines[i + 1 : end]):
                        current.extend(["", text, ""])
                i = end + 1
            while i < len(lines) and re.match(r"^\s*:[\w-]+:", lines[i]):
                i += 1
            stack.append((fence, is_prose))
            continue
        # An indented code block: four spaces in, after a blank line or more code.
        indented = line.startswith("    ") and (in_code or not lines[i - 1].strip())
        in_code = indented or (in_code and not line.strip())
        if prose_here and not indented:
            current.append(line)
        i += 1
    blocks.append("\n".join(current))
    return blocks


def page_prose(source: str) -> str:
    """The prose of a MyST page, maths, code and roles taken out.

    Citations leave :data:`CITED` behind, other roles nothing; whitespace is
    collapsed to single spaces.
    """
    text = "\n\n".join(_prose_blocks(source))
    text = _COMMENT.sub(" ", text)
    text = _LABEL.sub(" ", text)
    text = _LIST_MARKER.sub(" ", text)
    text = _DISPLAY_MATH.sub(" ", text)
    text = _ROLE.sub(lambda m: f" {CITED} " if m.group(1) == "cite" else " ", text)
    text = _CODE.sub(" ", text)
    text = _INLINE_MATH.sub(" ", text)
    text = _LINK_TARGET.sub("]", text)
    return re.sub(r"\s+", " ", text).strip()


def _sentences(prose: str) -> list[tuple[int, int]]:
    """The start and end offsets of the sentences of ``prose``."""
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(prose)), len(prose)]
    return list(itertools.pairwise(bounds))


def prose_numbers(source: str) -> tuple[str, list[ProseNumber]]:
    """The page's prose and the numbers in it that no citation covers."""
    prose = page_prose(source)
    cited = [
        (start, end) for start, end in _sentences(prose) if CITED in prose[start:end]
    ]
    found = []
    for match in _NUMBER.finditer(prose):
        if any(start <= match.start() < end for start, end in cited):
            continue
        left = prose[max(0, match.start() - 40) : match.start()].split(" ")[1:]
        right = prose[match.end() : match.end() + 40].split(" ")[:-1]
        context = " ".join([*left, "«" + match.group() + "»", *right]).strip()
        found.append(ProseNumber(match.group(), match.start(), context))
    return prose, found


def unexplained(source: str, allowed: list[str]) -> tuple[list[ProseNumber], list[str]]:
    """The numbers no allowed snippet covers, and the snippets found nowhere.

    An allowed snippet is a piece of the page's prose (as :func:`page_prose`
    writes it) that contains a number; every number inside an occurrence of
    it is explained.
    """
    prose, numbers = prose_numbers(source)
    covered: list[tuple[int, int]] = []
    stale = []
    for snippet in allowed:
        spans = [(m.start(), m.end()) for m in re.finditer(re.escape(snippet), prose)]
        if not spans or not _NUMBER.search(snippet):
            stale.append(snippet)
        covered.extend(spans)
    left = [n for n in numbers if not any(a <= n.start < b for a, b in covered)]
    return left, stale


def snippet(prose: str, number: ProseNumber, words: int = 3) -> str:
    """The number with up to ``words`` words either side, within its sentence."""
    start, end = next((a, b) for a, b in _sentences(prose) if a <= number.start < b)
    stop = number.start + len(number.number)
    left = prose[start : number.start].split(" ")
    right = prose[stop:end].rstrip().split(" ")
    return (
        " ".join(left[-words - 1 :]) + number.number + " ".join(right[: words + 1])
    ).strip()


def main(paths: list[str]) -> None:
    """Print the numbers of each page that no allowed snippet covers.

    The snippets come from ``tests/prose_numbers.yml``, or from the file
    given as ``--allowed=FILE``. ``--draft`` prints, for the numbers no allowed snippet covers, a snippet
    each in the allow-list's YAML form, to review before it goes in.
    """
    draft = "--draft" in paths
    allowed_file = Path(__file__).parents[1] / "tests" / "prose_numbers.yml"
    for path in paths:
        if path.startswith("--allowed="):
            allowed_file = Path(path.split("=", 1)[1])
    allowed = yaml.safe_load(allowed_file.read_text()) if allowed_file.exists() else {}
    for path in (p for p in paths if not p.startswith("--")):
        source = Path(path).read_text()
        prose, _ = prose_numbers(source)
        numbers, stale = unexplained(source, (allowed or {}).get(path) or [])
        print(f"{path}: {len(numbers)} numbers no allowed snippet covers")
        covered_to = -1
        for number in numbers:
            if draft:
                if number.start < covered_to:
                    continue  # inside the previous snippet
                text = snippet(prose, number)
                covered_to = prose.find(text, number.start - len(text)) + len(text)
                text = text.replace('"', '\\"')
                print(f'  - "{text}"')
            else:
                print(f"  {number.context}")
        for text in stale:
            print(f"  stale allow-list entry: {text!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
