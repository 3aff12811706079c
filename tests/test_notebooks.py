"""Every mini-project notebook of the book runs end to end, offline, with no error.

Uses the build's own execution path (jupyter-cache's executor, the notebook's folder as cwd).
"""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursekit.book.build import _execute

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "chapters").rglob("project-*.ipynb"))


def test_every_project_notebook_is_committed_without_outputs():
    assert len(NOTEBOOKS) >= 12
    for path in NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path):
    _, executed, error, seconds = _execute(str(path), path.read_text(), timeout=120)
    assert error is None, f"{path.relative_to(ROOT)}: {error}"
    nb = nbformat.reads(executed, as_version=4)
    assert any(o.get("data", {}).get("image/png") for c in nb.cells for o in c.get("outputs", [])), \
        f"{path.name} draws no figure"
