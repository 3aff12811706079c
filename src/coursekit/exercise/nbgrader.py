"""nbgrader source notebooks: every cell kind, checked by nbgrader's rules, and its student form.

nbgrader marks cells in their metadata (``metadata.nbgrader``):

==========================  ==========================  =======================================
grade / solution / task     kind                        in coursekit
==========================  ==========================  =======================================
solution                    autograded answer           SOLUTION cell of the next test's question
grade (code)                autograder tests            a question: its points, visible and
                                                        hidden tests (``### AUTOTEST`` expanded)
grade + solution            manually graded answer      a question with ``manual=True``, no tests
task (markdown)             manually graded task        a question with ``manual=True``, no tests
locked                      read-only cell              SETUP / TEXT, restored when grading
==========================  ==========================  =======================================

The student form of each cell follows nbgrader 0.9's generate_assignment (its preprocessors
IncludeHeaderFooter, InstantiateTests, LockCells, ClearSolutions, ClearOutput, ComputeChecksums,
ClearHiddenTests, ClearMarkScheme), re-implemented here: delimiters are found anywhere in a line,
a solution cell without a BEGIN/END SOLUTION region is replaced whole by the code stub (or by
"YOUR ANSWER HERE" in markdown), and regions in cells of the wrong kind are errors, as there.
"""
from __future__ import annotations

import copy
import hashlib
import re
from pathlib import Path

import nbformat

from coursekit.exercise.parse import (SETUP, SOLUTION, TEST, TEXT, Question, SourceCell, SourceError, Test,
                                      cell_label)

BEGIN_SOLUTION, END_SOLUTION = "BEGIN SOLUTION", "END SOLUTION"
BEGIN_HIDDEN, END_HIDDEN = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
BEGIN_SCHEME, END_SCHEME = "BEGIN MARK SCHEME", "END MARK SCHEME"
_ATTACHMENT = re.compile(r"!\[.*\]\(attachment:.+?\)")
_GRADE_ID = re.compile(r"^[a-zA-Z0-9_\-]*$")


def meta(cell) -> dict:
    value = cell.get("metadata", {}).get("nbgrader", {})
    return value if isinstance(value, dict) else {}


def is_grade(cell) -> bool:
    return bool(meta(cell).get("grade", False))


def is_solution(cell) -> bool:
    return bool(meta(cell).get("solution", False))


def is_task(cell) -> bool:
    return bool(meta(cell).get("task", False))


def is_locked(cell) -> bool:
    """nbgrader's rule: test cells are locked, answer cells never, other cells when marked."""
    if is_solution(cell):
        return False
    return is_grade(cell) or bool(meta(cell).get("locked", False))


def label(path: Path, index: int, cell, header_cells: int = 0) -> str:
    """Where a cell is, numbered as in the author's file (the header's cells come from another file)."""
    if index < header_cells:
        return f"{path}: header {cell_label(index, cell.source)}"
    return f"{path}: {cell_label(index - header_cells, cell.source)}"


def check_metadata(path: Path, nb, header_cells: int = 0) -> None:
    """nbgrader's v3 metadata rules (its CheckCellMetadata): one line naming the cell per mistake."""
    seen = set()
    for index, cell in enumerate(nb.cells):
        if "nbgrader" not in cell.get("metadata", {}):
            continue
        where = label(path, index, cell, header_cells)
        m = meta(cell)
        grade, solution, locked, task = is_grade(cell), is_solution(cell), bool(m.get("locked")), is_task(cell)
        if grade or solution or locked:
            if "grade_id" not in m:
                raise SourceError(f"{where}: nbgrader cell has no grade_id")
            if not isinstance(m["grade_id"], str) or m["grade_id"] == "":
                raise SourceError(f"{where}: nbgrader grade_id is empty (give the cell an ID in the nbgrader toolbar)")
            if not _GRADE_ID.match(m["grade_id"]):
                raise SourceError(f"{where}: nbgrader grade_id {m['grade_id']!r} may only hold letters, digits, _ and -")
            if m["grade_id"] in seen:
                raise SourceError(f"{where}: nbgrader grade_id {m['grade_id']!r} is used twice")
            seen.add(m["grade_id"])
        if grade or task:
            if "points" not in m:
                raise SourceError(f"{where}: nbgrader cell {m.get('grade_id', '')!r} has no points")
            points = m["points"]
            if isinstance(points, bool) or not isinstance(points, (int, float)) or points < 0:
                raise SourceError(f"{where}: nbgrader points must be a number of at least 0, got {points!r}")
        if task:
            if cell.cell_type != "markdown":
                raise SourceError(f"{where}: nbgrader task cells have to be markdown")
        elif cell.cell_type == "markdown" and grade and not solution:
            raise SourceError(f"{where}: markdown grade cell {m.get('grade_id')!r} is not marked as a solution "
                              "cell (make it 'Manually graded answer')")
        elif cell.cell_type == "markdown" and solution and not grade:
            raise SourceError(f"{where}: markdown solution cell is not marked as a grade cell "
                              "(make it 'Manually graded answer')")


def _remove_regions(text: str, begin: str, end: str, where: str, what: str, stub: list[str] | None = None,
                    attachments: bool = False) -> tuple[str, bool]:
    """Lines between two delimiters (anywhere in a line) dropped, or replaced by ``stub`` indented."""
    out, inside, found = [], False, False
    for line in text.split("\n"):
        if begin in line:
            if inside:
                raise SourceError(f"{where}: nested {begin} lines")
            inside = found = True
            if stub is not None:
                indent = re.match(r"\s*", line).group(0)
                out.extend(indent + s for s in stub)
        elif end in line:
            inside = False
        elif attachments and inside and _ATTACHMENT.search(line):
            raise SourceError(f"{where}: an attachment inside a {what} would reach students; embed the image instead")
        elif not inside:
            out.append(line)
    if inside:
        raise SourceError(f"{where}: {begin} without {end}")
    return "\n".join(out), found


def student_source(cell, code_stub: str, text_stub: str, where: str) -> str:
    """The cell as generate_assignment writes it for students (hidden tests and mark schemes gone)."""
    stub = (code_stub if cell.cell_type == "code" else text_stub).split("\n")
    text, replaced = _remove_regions(cell.source, BEGIN_SOLUTION, END_SOLUTION, where, "solution", stub)
    if replaced and not is_solution(cell):
        raise SourceError(f"{where}: a {BEGIN_SOLUTION} region in a cell that is not a solution cell")
    if is_solution(cell) and not replaced:
        text = code_stub if cell.cell_type == "code" else text_stub
    text, hidden = _remove_regions(text, BEGIN_HIDDEN, END_HIDDEN, where, "hidden test")
    if hidden and not is_grade(cell):
        raise SourceError(f"{where}: a {BEGIN_HIDDEN} region in a cell that is not an autograder test cell")
    text, scheme = _remove_regions(text, BEGIN_SCHEME, END_SCHEME, where, "mark scheme", attachments=True)
    if scheme and not is_task(cell):
        raise SourceError(f"{where}: a {BEGIN_SCHEME} region in a cell that is not a task cell")
    return text


def without_hidden_markers(code: str) -> str:
    """A test cell as the grader runs it: every test, the hidden-region marker lines dropped."""
    return "\n".join(ln for ln in code.split("\n") if BEGIN_HIDDEN not in ln and END_HIDDEN not in ln)


def checksum(cell) -> str:
    """The fingerprint nbgrader stores in a released cell to notice an untouched or edited answer."""
    m = meta(cell)
    parts = [cell.source, cell.cell_type, str(is_grade(cell)), str(is_solution(cell)), str(is_locked(cell)),
             m["grade_id"]]
    if is_grade(cell):
        parts.append(str(float(m["points"])))
    digest = hashlib.md5()
    for part in parts:
        digest.update(part.encode("utf-8"))
    return digest.hexdigest()


def with_header(nb, settings) -> nbformat.NotebookNode:
    """The notebook with the course's header and footer notebooks' cells around it."""
    if not settings.header and not settings.footer:
        return nb
    nb = copy.deepcopy(nb)
    extra = {}
    for which in ("header", "footer"):
        path = getattr(settings, which)
        if path:
            try:
                extra[which] = nbformat.read(str(path), as_version=4).cells
            except Exception as exc:
                raise SourceError(f"{path}: the {which} notebook is not readable ({exc.__class__.__name__})") from None
    nb.cells = list(extra.get("header", [])) + list(nb.cells) + list(extra.get("footer", []))
    settings.header_cells = len(extra.get("header", []))
    return nb


def parse(path: Path, nb, settings) -> tuple[list[SourceCell], list[Question]]:
    """Cells with roles and student forms, and the questions; ``nb`` gets its autotests expanded."""
    from coursekit.exercise import autotest
    check_metadata(path, nb, settings.header_cells)
    expanded = autotest.expand(nb, path, path.parent, settings.autotest_templates(path.parent), settings.header_cells)
    for index, source in expanded.items():
        nb.cells[index].source = source
    language = nb.metadata.get("kernelspec", {}).get("language", "python")
    code_stub = settings.stub_for(language, str(path))
    cells, questions = [], []
    for index, cell in enumerate(nb.cells):
        where = label(path, index, cell, settings.header_cells)
        m = meta(cell)
        key = m.get("grade_id") if (is_grade(cell) or is_solution(cell) or is_task(cell) or m.get("locked")) \
            else None
        key = key or cell.get("id") or f"cell-{index}"
        student = student_source(cell, code_stub, settings.text_stub, where)
        metadata = dict(cell.metadata)
        if is_task(cell) or (is_grade(cell) and is_solution(cell)):
            questions.append(Question(id=key, points=float(m["points"]), all_or_nothing=True, cell_keys=[key],
                                      manual=True))
            role = SOLUTION if cell.cell_type == "code" else TEXT
            cells.append(SourceCell(key, index, cell.cell_type, role, cell.source, key, student, metadata))
        elif is_grade(cell):
            tests = []
            if student.strip():
                tests.append(Test(name=f"{key} visible tests", code=student, hidden=False, cell_key=key))
            if student != cell.source:
                tests.append(Test(name=f"{key} hidden tests", code=without_hidden_markers(cell.source),
                                  hidden=True, cell_key=key))
            if not tests:
                tests.append(Test(name=f"{key} tests", code=student, hidden=False, cell_key=key))
            questions.append(Question(id=key, points=float(m["points"]), all_or_nothing=True, tests=tests,
                                      cell_keys=[key]))
            cells.append(SourceCell(key, index, "code", TEST, cell.source, key, student, metadata))
        elif cell.cell_type == "code":
            role = SOLUTION if is_solution(cell) else SETUP
            cells.append(SourceCell(key, index, "code", role, cell.source, None, student, metadata))
        else:
            cells.append(SourceCell(key, index, cell.cell_type, TEXT, cell.source, None, student, metadata))
    _attach_to_next_question(cells)
    return cells, questions


def _attach_to_next_question(cells: list[SourceCell]) -> None:
    """An nbgrader question is its test cell; the unassigned code cells before it belong to it."""
    pending = []
    for cell in cells:
        if cell.role == TEST:
            for earlier in pending:
                earlier.question = cell.question
            pending = []
        elif cell.cell_type == "code" and cell.question is None:
            pending.append(cell)


def unanswered(assignment, nb, question) -> bool:
    """Whether a manually graded answer was left as released: nbgrader then scores it 0 itself
    (its checksum is unchanged) instead of asking a person. Tasks always go to a person."""
    cells = [c for c in assignment.cells
             if c.key in question.cell_keys and c.metadata.get("nbgrader", {}).get("solution")]
    if not cells:
        return False
    submitted = {meta(c).get("grade_id"): c for c in nb.cells if meta(c).get("grade_id")}
    for cell in cells:
        theirs = submitted.get(cell.key)
        if theirs is None or theirs.cell_type != cell.cell_type or theirs.source != cell.student_source:
            return False
    return True
