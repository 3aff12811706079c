"""Every chapter notebook runs end to end through pytest-notebook, offline, with no error.

pytest-notebook (its ``nb_regression`` fixture, an ``NBRegressionFixture``) executes each notebook
in its own folder and diffs the outputs with nbdime. What is compared: the outputs of code cells
tagged ``regression``, which authors give to cells whose printed results are deterministic (split
sizes, chosen settings, the wording of a generated memo). Their expected outputs are recorded in
``tests/notebook_outputs/``, one JSON file per notebook, keyed by cell id. Everything else is
executed but not compared: figures (their bytes change with matplotlib versions), HTML reprs,
execution counts, and, inside compared cells, timings and memory addresses.

After an intended change, record the new outputs and review them in the diff::

    .venv/bin/python -m pytest tests/test_notebooks.py --nb-force-regen

The book build keeps its own executor (parallel, cached) for ``make book``.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
STORE = ROOT / "tests" / "notebook_outputs"
TAG = "regression"
NOTEBOOKS = sorted(p for p in (ROOT / "chapters").rglob("*.ipynb")
                   if not {"_build", "exercises", ".ipynb_checkpoints"} & set(p.relative_to(ROOT).parts))
# never compared, in any cell
IGNORE = ("/metadata", "/cells/*/metadata", "/cells/*/execution_count", "/cells/*/outputs/*/execution_count",
          "/cells/*/outputs/*/metadata", "/cells/*/outputs/*/traceback",
          "/cells/*/outputs/*/data/image/png", "/cells/*/outputs/*/data/image/svg+xml",
          "/cells/*/outputs/*/data/text/html", "/cells/*/outputs/*/data/text/markdown")
# what two honest runs may print differently, masked on both sides before the diff
VOLATILE = ((r"\b\d+(?:\.\d+)?\s?(?:s|ms|µs)\b", "<time>"),
            (r"\b0x[0-9a-fA-F]{6,}\b", "<address>"),
            (r"\b\d(?:\.\d+)?e-(?:0[7-9]|[1-9]\d)\b", "<below 1e-7>"))


def store_path(path: Path) -> Path:
    return STORE / ("__".join(path.relative_to(ROOT / "chapters").with_suffix("").parts) + ".json")


def comparable(output: dict) -> dict:
    """What the recording keeps of an output: its text, not figures, HTML or counters."""
    kept = {k: v for k, v in output.items() if k in ("output_type", "name", "text", "ename", "evalue")}
    if "data" in output:
        kept["data"] = {"text/plain": output["data"]["text/plain"]} if "text/plain" in output["data"] else {}
        kept["metadata"] = {}
    if output.get("output_type") == "execute_result":
        kept["execution_count"] = None
    return kept


def tagged(cell) -> bool:
    return cell.cell_type == "code" and TAG in cell.metadata.get("tags", [])


def test_every_chapter_notebook_is_committed_without_outputs():
    assert len(NOTEBOOKS) >= 13
    for path in NOTEBOOKS:
        nb = nbformat.read(str(path), as_version=4)
        assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code"), path


def test_recorded_outputs_belong_to_tagged_cells():
    """A recording for a cell that is gone or untagged would silently compare nothing."""
    for store in sorted(STORE.glob("*.json")):
        matches = [p for p in NOTEBOOKS if store_path(p) == store]
        assert matches, f"{store.name}: no chapter notebook of that name"
        nb = nbformat.read(str(matches[0]), as_version=4)
        ids = {c.id for c in nb.cells if tagged(c)}
        assert set(json.loads(store.read_text())) == ids, f"{store.name}: recorded cells differ from tagged ones"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(path, nb_regression, tmp_path):
    nb = nbformat.read(str(path), as_version=4)
    store = store_path(path)
    recorded = json.loads(store.read_text()) if store.exists() else {}
    for cell in nb.cells:
        if tagged(cell):
            cell.outputs = [nbformat.from_dict(output) for output in recorded.get(cell.id, [])]
    regen = bool(nb_regression.force_regen)
    nb_regression.force_regen = False  # the expected outputs live in STORE, not in the chapter
    nb_regression.exec_cwd = str(path.parent)
    nb_regression.exec_timeout = 120
    nb_regression.diff_ignore = IGNORE + tuple(f"/cells/{i}/outputs" for i, cell in enumerate(nb.cells)
                                               if cell.cell_type == "code" and not tagged(cell))
    nb_regression.diff_replace = tuple(("/cells/*/outputs", regex, mask) for regex, mask in VOLATILE)
    copy = tmp_path / path.name
    nbformat.write(nb, str(copy))

    result = nb_regression.check(str(copy), raise_errors=not regen)
    executed = result.nb_final
    errors = [f"cell {i}: {o.get('ename')}: {o.get('evalue')}" for i, c in enumerate(executed.cells, start=1)
              for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, f"{path.relative_to(ROOT)}: {errors[0]}"
    if path.stem.startswith("project-") and "interviews" not in path.parts:
        assert any(o.get("data", {}).get("image/png") for c in executed.cells for o in c.get("outputs", [])), \
            f"{path.name} draws no figure"
    if regen:
        outputs = {c.id: [comparable(o) for o in c.outputs] for c in executed.cells if tagged(c)}
        if outputs != recorded:
            if outputs:
                store.parent.mkdir(exist_ok=True)
                store.write_text(json.dumps(outputs, indent=1, ensure_ascii=False) + "\n")
            else:
                store.unlink(missing_ok=True)
            pytest.fail(f"recorded new outputs for {path.relative_to(ROOT)} in {store.relative_to(ROOT)}: "
                        "review the diff, then run again without --nb-force-regen")
