"""Derive the three released forms of an exercise source, so nothing is kept twice.

- the student notebook: solutions replaced by stubs, hidden tests gone, a ``coursekit.check``
  cell per question, plus ``<set>.checks.json`` holding the visible tests;
- the book page: reference solutions and their output folded (``hide-cell``), visible tests shown,
  hidden tests gone;
- the autograder bundle: the source itself, the files it ships and a manifest of points and tests.
"""
from __future__ import annotations

import copy
import hashlib
import json
import shutil
from pathlib import Path

import nbformat

from coursekit.exercise.parse import PROMPT, SETUP, SOLUTION, TEST, TEXT, Assignment, strip_markers

CHECKS_SUFFIX = ".checks.json"


def _cell(kind: str, source: str, key: str, metadata: dict | None = None):
    make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
    cell = make(source)
    cell["id"] = key
    cell.metadata.update(metadata or {})
    return cell


def _question_heading(assignment: Assignment, qid: str, prompt: str) -> str:
    points = assignment.question(qid).points
    return f"## Question {qid} ({points:g} point{'s' if points != 1 else ''})\n\n{prompt}"


def _notebook(assignment: Assignment, cells: list) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata = copy.deepcopy(assignment.notebook.metadata)
    nb.metadata.setdefault("kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
    nb.metadata["coursekit"] = {"assignment": assignment.name}
    nb.cells = cells
    return nb


def _locked(role: str, question: str | None) -> dict:
    return {"editable": False, "deletable": False, "coursekit": {"role": role, "question": question}}


def student_notebook(assignment: Assignment) -> nbformat.NotebookNode:
    if assignment.format == "nbgrader":
        return _nbgrader_student(assignment)
    cells, checked = [], set()
    for cell in assignment.cells:
        if cell.role == PROMPT:
            cells.append(_cell("markdown", _question_heading(assignment, cell.question, cell.student_source),
                               cell.key, _locked(PROMPT, cell.question)))
        elif cell.role == SOLUTION:
            cells.append(_cell("code", cell.student_source, cell.key,
                               {"coursekit": {"role": SOLUTION, "question": cell.question}}))
        elif cell.role == TEST:
            if cell.question in checked:
                continue
            checked.add(cell.question)
            cells.append(_cell("code", f'coursekit.check("{cell.question}")', f"check-{cell.question}",
                               _locked("check", cell.question)))
        elif cell.role == SETUP:
            cells.append(_cell("code", cell.source, cell.key, _locked(SETUP, cell.question)))
        elif cell.role == TEXT and cell.student_source is not None:
            cells.append(_cell(cell.cell_type if cell.cell_type == "code" else "markdown",
                               cell.student_source, cell.key, _locked(TEXT, cell.question)))
    if checked:
        cells.insert(_first_code_index(cells), _cell("code", "import coursekit", "import-coursekit",
                                                     _locked(SETUP, None)))
    return _notebook(assignment, cells)


def _first_code_index(cells: list) -> int:
    return next((i for i, c in enumerate(cells) if c.cell_type == "code"), len(cells))


def _nbgrader_student(assignment: Assignment) -> nbformat.NotebookNode:
    """What nbgrader's generate_assignment writes: the header, expanded autotests, stubs in answer
    cells, hidden tests and mark schemes gone, outputs cleared, cells locked, checksums stored."""
    from coursekit.exercise import nbgrader
    locks = assignment.settings.locks
    nb = copy.deepcopy(assignment.notebook)  # header included and autotests expanded by the parser
    nb.metadata.pop("celltoolbar", None)
    by_index = {c.index: c for c in assignment.cells}
    for index, cell in enumerate(nb.cells):
        cell.source = by_index[index].student_source
        solution, grade = nbgrader.is_solution(cell), nbgrader.is_grade(cell)
        # nbgrader's LockCells, rule by rule: answers stay editable but cannot be deleted
        if solution and grade and (locks["lock_solution_cells"] or locks["lock_grade_cells"]) \
                or solution and locks["lock_solution_cells"]:
            cell.metadata["deletable"] = False
        elif grade and locks["lock_grade_cells"] or nbgrader.is_locked(cell) and locks["lock_readonly_cells"] \
                or locks["lock_all_cells"]:
            cell.metadata["deletable"] = False
            cell.metadata["editable"] = False
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
            for key in ("collapsed", "scrolled"):
                cell.metadata.pop(key, None)
        if grade or solution or nbgrader.is_locked(cell):
            cell.metadata["nbgrader"]["checksum"] = nbgrader.checksum(cell)
            cell.metadata["nbgrader"]["cell_type"] = cell.cell_type
    return nb


def _folded(what: str, tags: list[str]) -> dict:
    """A folded cell whose toggle says what it hides (myst-nb's default reads "Show code cell ...")."""
    return {"tags": tags, "mystnb": {"code_prompt_show": f"Show the {what}", "code_prompt_hide": f"Hide the {what}"}}


def book_page(assignment: Assignment, solutions: bool = True) -> nbformat.NotebookNode:
    """The page readers see; with ``solutions=False`` (graded sets) it shows the student's stubs and
    runs neither them nor the tests, so no solved notebook reaches the book's sources or downloads."""
    cells = []
    skip = [] if solutions else ["skip-execution"]
    for cell in assignment.cells:
        if cell.role == PROMPT:
            cells.append(_cell("markdown", _question_heading(assignment, cell.question, cell.student_source), cell.key))
        elif cell.role == SOLUTION and solutions:
            cells.append(_cell("code", strip_markers(cell.source), cell.key, _folded("solution", ["hide-cell"])))
        elif cell.role == SOLUTION:
            cells.append(_cell("code", cell.student_source, cell.key, {"tags": skip}))
        elif cell.role == TEST:
            question = assignment.question(cell.question)
            visible = next((t for t in question.visible_tests if t.cell_key == cell.key), None)
            if visible is not None:
                cells.append(_cell("code", visible.code, cell.key, _folded("test", ["hide-input", *skip])))
        elif cell.role == SETUP:
            cells.append(_cell("code", cell.source, cell.key))
        elif cell.student_source is not None:
            cells.append(_cell(cell.cell_type if cell.cell_type == "code" else "markdown",
                               cell.student_source, cell.key))
    return _notebook(assignment, cells)


def visible_checks(assignment: Assignment) -> dict:
    return {"assignment": assignment.name,
            "questions": {q.id: {"points": q.points,
                                 "tests": [{"name": t.name, "code": t.code} for t in q.visible_tests]}
                          for q in assignment.questions}}


def manifest(assignment: Assignment) -> dict:
    return {"assignment": assignment.name, "notebook": assignment.notebook_name, "format": assignment.format,
            "source_sha256": hashlib.sha256(assignment.path.read_bytes()).hexdigest(),
            "max_points": assignment.max_points,
            "questions": [{"id": q.id, "points": q.points, "all_or_nothing": q.all_or_nothing,
                           "tests": [{"name": t.name, "hidden": t.hidden, "weight": t.weight} for t in q.tests]}
                          for q in assignment.questions],
            "files": [p.name for p in assignment.shipped_files()]}


def release(assignment: Assignment, out: Path, solutions: bool = True) -> dict[str, Path]:
    """Write the student folder, the book page and the autograder bundle under ``out/<set>/``.

    ``solutions=False`` leaves the reference solutions out of the book page (see :func:`book_page`).
    """
    root = Path(out) / assignment.name
    student_dir, bundle_dir = root / "student", root / "autograder"
    for folder in (student_dir, bundle_dir):
        folder.mkdir(parents=True, exist_ok=True)
    stem = assignment.notebook_name or assignment.name  # an nbgrader assignment holds several notebooks
    paths = {"student": student_dir / f"{stem}.ipynb",
             "checks": student_dir / f"{stem}{CHECKS_SUFFIX}",
             "book": root / f"{stem}.ipynb",
             "bundle": bundle_dir}
    nbformat.write(student_notebook(assignment), str(paths["student"]))
    paths["checks"].write_text(json.dumps(visible_checks(assignment), indent=1))
    nbformat.write(book_page(assignment, solutions), str(paths["book"]))
    shutil.copy2(assignment.path, bundle_dir / assignment.path.name)
    for data_file in assignment.shipped_files():
        shutil.copy2(data_file, student_dir / data_file.name)
        shutil.copy2(data_file, bundle_dir / data_file.name)
    manifest_name = f"{assignment.notebook_name}.manifest.json" if assignment.notebook_name else "manifest.json"
    (bundle_dir / manifest_name).write_text(json.dumps(manifest(assignment), indent=1))
    return paths
