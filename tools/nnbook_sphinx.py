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
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


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


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", add_version_footer)
    app.add_config_value("nnbook_notebooks_branch", "notebooks", "html")
    # Late priority: run after the theme and the extensions that add buttons
    # and scripts to the page.
    app.connect("html-page-context", drop_duplicate_scripts, priority=900)
    app.connect("html-page-context", point_colab_at_notebooks, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
