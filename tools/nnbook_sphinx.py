"""A local Sphinx extension with the book's fixes to its toolchain.

Colab opens only ``.ipynb`` files, but sphinx-book-theme points the Colab
button at the chapter's source (a MyST ``.md`` file) on the main branch. The
workflow publishes generated notebooks (``tools/make_notebooks.py``) on the
branch named by ``nnbook_notebooks_branch``; the button is pointed there.

Every page's footer names the version of ``nnbook`` the book was built with,
read from the installed package.

Some extensions (sphinx-thebe, sphinx-togglebutton) add inline ``<script>``
blocks after the HTML builder is initialised, and Sphinx 7 then registers
them twice: once on the builder and once again from its registry. A
duplicated ``const THEBE_JS_URL = ...`` is a JavaScript error on every page,
so each page keeps only the first copy of identical scripts.

Accessibility fixes (tests/test_accessibility.py runs axe-core on every page):

* A bibliography is a list (docutils writes ``role="list"``) of entries with
  the DPUB role ``doc-biblioentry``, which ARIA deprecates and no longer
  counts as a list item, so the list has no items. The entries become
  ``role="listitem"``.
* Two of the theme's buttons have an accessible name that leaves out text
  they show (axe's ``label-content-name-mismatch``): the search button shows
  "Search Ctrl+K" but is named "Search", and the colour-mode button, named
  "Color mode", holds icons titled "Light", "Dark", "System Settings". Their
  templates in ``tools/_templates`` name the search button by its text and
  hide the decorative icons.
"""

from __future__ import annotations

import types
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

#: Templates that replace the theme's components of the same name.
TEMPLATES = Path(__file__).parent / "_templates"


def _script_key(script: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    # An inline script's filename is None from one registration path and ""
    # from the other: both mean "no file".
    filename = getattr(script, "filename", script) or ""
    attributes = getattr(script, "attributes", {}) or {}
    return str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items()))


def drop_duplicate_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Keep one copy of each script (same file or same inline body) per page."""
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in scripts:
        key = _script_key(script)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def drop_thebe(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Leave out sphinx-thebe's scripts and styles: the book offers no Live Code.

    Jupyter Book loads sphinx-thebe even with ``launch_buttons: thebe: false``,
    and its inline script names thebe's bundle on a CDN. Without the button the
    scripts do nothing; left in, they point at a server the site must not need.
    """
    if app.config.html_theme_options.get("launch_buttons", {}).get("thebe"):
        return

    def thebe(item: Any) -> bool:
        text = f"{getattr(item, 'filename', item) or ''} "
        text += str((getattr(item, "attributes", {}) or {}).get("body", ""))
        return "thebe" in text.lower()

    for key in ("script_files", "css_files"):
        if context.get(key):
            context[key] = [item for item in context[key] if not thebe(item)]


def _buttons(items: list[dict[str, Any]]):
    for item in items:
        yield item
        yield from _buttons(item.get("buttons", []))


def point_colab_at_notebooks(
    app: Sphinx, pagename: str, templatename: str, context: dict, doctree: Any
) -> None:
    """Make the Colab button open the generated ``.ipynb`` of this page."""
    branch = app.config.html_theme_options.get("repository_branch", "main")
    for button in _buttons(context.get("header_buttons", [])):
        url = button.get("url", "")
        if button.get("text") == "Colab" and "/blob/" in url:
            prefix, path = url.split(f"/blob/{branch}/", 1)
            notebook = path.rsplit(".", 1)[0] + ".ipynb"
            button["url"] = (
                f"{prefix}/blob/{app.config.nnbook_notebooks_branch}/{notebook}"
            )


def add_version_footer(app: Sphinx) -> None:
    """Put the installed nnbook's version in every page's footer."""
    import nnbook

    options = app.config.html_theme_options
    options["extra_footer"] = (
        f'<p class="nnbook-version">Built with nnbook {nnbook.__version__}, '
        "the package whose code every chapter runs.</p>"
    )


class BibliographyListMixin:
    """Write bibliography entries as ``role="listitem"`` of their ``role="list"``."""

    def visit_citation(self, node: Any) -> None:
        super().visit_citation(node)  # type: ignore[misc]
        # The entry's start tag is the last thing written.
        self.body[-1] = self.body[-1].replace(  # type: ignore[attr-defined]
            'role="doc-biblioentry"', 'role="listitem"'
        )


def fix_bibliography_roles(app: Sphinx) -> None:
    """Mix :class:`BibliographyListMixin` into the HTML translator in use."""
    if app.builder.format != "html":
        return
    base = app.registry.translators.get(app.builder.name)
    if base is None:
        base = app.builder.default_translator_class
    translator = types.new_class(
        "NnbookHTMLTranslator", (BibliographyListMixin, base), {}
    )
    app.set_translator(app.builder.name, translator, override=True)


def use_own_templates(app: Sphinx, config: Config) -> None:
    """Put ``tools/_templates`` first, before the themes' own components."""
    config.templates_path.insert(0, str(TEMPLATES))


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("config-inited", use_own_templates)
    app.connect("builder-inited", add_version_footer)
    # After pydata-sphinx-theme has set up its translator (default priority).
    app.connect("builder-inited", fix_bibliography_roles, priority=900)
    app.add_config_value("nnbook_notebooks_branch", "notebooks", "html")
    # Late priority: run after the theme and the extensions that add buttons
    # and scripts to the page.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", drop_thebe, priority=900)
    app.connect("html-page-context", point_colab_at_notebooks, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
