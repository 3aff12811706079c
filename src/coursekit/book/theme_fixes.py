"""Work-arounds for the theme stack that Jupyter Book 1.x pins, so every page loads cleanly.

Each hook names the bug it works around; drop it when the pinned versions fix it.
"""
from __future__ import annotations

from coursekit.book import add_coursekit_static


def _default_colour_mode(app, config):
    """Give the theme an explicit colour mode.

    Without one, pydata-sphinx-theme 0.17 logs "Got invalid theme mode" as a console error on a
    reader's first visit, which the browser tests (rightly) count as a page error.
    """
    config.html_context.setdefault("default_mode", "auto")


def _drop_duplicate_scripts(app, pagename, templatename, context, doctree):
    """Remove repeated <script> entries from a page.

    sphinx-thebe 0.3 registers its inline configuration script after the builder exists, and
    Sphinx 7 then emits it twice, so every page raised "Identifier 'THEBE_JS_URL' has already
    been declared". Identical entries (same file or body, same attributes) are kept once.
    """
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    seen, kept = set(), []
    for js in files:
        attributes = getattr(js, "attributes", {}) or {}
        key = (str(getattr(js, "filename", js) or ""), tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            kept.append(js)
    context["script_files"] = kept


def setup(app):
    app.connect("builder-inited", add_coursekit_static)
    app.connect("config-inited", _default_colour_mode)
    app.connect("html-page-context", _drop_duplicate_scripts)
    # pydata-sphinx-theme#2451 / sphinx-book-theme#988: the phone menu button does nothing.
    app.add_js_file("book-fixes.js", loading_method="defer")
    # Issue 15: wide tables scroll sideways on phones; SVG figures scale; wrap-up box style.
    app.add_css_file("course-fixes.css")
    return {"parallel_read_safe": True, "parallel_write_safe": True}
