"""Serve MathJax from the book itself, so formulas render offline.

Sphinx loads MathJax from a CDN by default; a student reading the built book on a train, or a
browser test with the network closed, would then see raw TeX. The MathJax files come from the
``django-static-mathjax`` wheel (plain static files, no Django needed) and are copied into
``_static/mathjax``; only the combined TeX component and its fonts are shipped.
"""
from __future__ import annotations

import shutil
from importlib.util import find_spec
from pathlib import Path

COMPONENT = "tex-chtml.js"


def _mathjax_root() -> Path | None:
    spec = find_spec("mathjax")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax" / "es5"
    return root if (root / COMPONENT).exists() else None


def _use_local(app, config) -> None:
    if _mathjax_root() is not None:
        config.mathjax_path = f"mathjax/{COMPONENT}"


def _copy(app, exception) -> None:
    root = _mathjax_root()
    if exception is not None or root is None or app.builder.format != "html":
        return
    target = Path(app.outdir) / "_static" / "mathjax"
    (target / "output" / "chtml" / "fonts").mkdir(parents=True, exist_ok=True)
    shutil.copy2(root / COMPONENT, target / COMPONENT)
    shutil.copytree(root / "output" / "chtml" / "fonts" / "woff-v2", target / "output" / "chtml" / "fonts" / "woff-v2",
                    dirs_exist_ok=True)


def setup(app):
    app.connect("config-inited", _use_local, priority=900)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
