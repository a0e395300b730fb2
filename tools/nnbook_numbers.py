"""Numbers glued into the prose, written for a reader rather than for Python.

A chapter glues a value and the prose formats it, e.g. ``{glue:text}`gap:.1e```.
Python's scientific notation then reaches the page as ``5.6e-17`` or
``4.47e+06``; this extension rewrites such numbers in glued text (MyST-NB's
``pasted-text`` nodes) as ``5.6 × 10⁻¹⁷`` and ``4.47 × 10⁶``. Code, cell
outputs and formulas are left alone: there Python's notation is what the
reader would type.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx

_E_NOTATION = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)e([+-]?)0*(\d+)(?![\w.])")
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def readable(text: str) -> str:
    """Rewrite every number in scientific notation in ``text`` as ``m × 10ᵏ``.

    >>> readable("5.6e-17 and 4.47e+06 and 2e3")
    '5.6 × 10⁻¹⁷ and 4.47 × 10⁶ and 2 × 10³'
    """

    def power(match: re.Match[str]) -> str:
        mantissa, sign, exponent = match.groups()
        exponent = ("-" if sign == "-" else "") + exponent
        return f"{mantissa} × 10{exponent.translate(_SUPERSCRIPT)}"

    return _E_NOTATION.sub(power, text)


def rewrite_glued_numbers(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace scientific notation in every glued text of a resolved page."""
    for inline in doctree.findall(nodes.inline):
        if "pasted-text" not in inline.get("classes", []):
            continue
        for text in list(inline.findall(nodes.Text)):
            new = readable(str(text))
            if new != str(text):
                text.parent.replace(text, nodes.Text(new))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("doctree-resolved", rewrite_glued_numbers)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
