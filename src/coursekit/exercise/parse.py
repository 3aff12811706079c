"""Parse an exercise source notebook into questions, solutions and tests.

Two source formats are read: coursekit's plain-text markers (``<!-- QUESTION id=q1 points=3 -->``,
``# BEGIN SOLUTION``, ``# TEST`` / ``# HIDDEN TEST``) and nbgrader's cell metadata, so a course can
move over without rewriting its assignments. Everything downstream (release, validate, grade)
works on the :class:`Assignment` produced here and never looks at the source format again.
"""
from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import nbformat

QUESTION_MARKER = re.compile(r"^\s*<!--\s*QUESTION\s+(?P<attrs>.*?)\s*-->\s*$")
END_QUESTION_MARKER = re.compile(r"^\s*<!--\s*END QUESTION\s*-->\s*$")
TEST_MARKER = re.compile(r"^\s*#\s*(?P<hidden>HIDDEN\s+)?TEST\b(?P<attrs>.*)$")
BEGIN_SOLUTION = re.compile(r"^(?P<indent>\s*)#+\s*BEGIN SOLUTION\s*$")
END_SOLUTION = re.compile(r"^\s*#+\s*END SOLUTION\s*$")
INLINE_SOLUTION = re.compile(r"^(?P<head>\s*[^#\n]*?=)\s*[^#\n]*?#\s*SOLUTION\s*$")


class SourceError(ValueError):
    """An exercise source is malformed; the message names the file and the cell."""


# Roles a source cell can play; the release and grading steps dispatch on them.
PROMPT, SETUP, SOLUTION, TEST, TEXT = "prompt", "setup", "solution", "test", "text"


@dataclass
class Test:
    """One test: code evaluated by the grader, outside the student's process."""

    name: str
    code: str
    hidden: bool
    weight: float = 1.0
    cell_key: str = ""


@dataclass
class Question:
    id: str
    points: float
    all_or_nothing: bool
    tests: list[Test] = field(default_factory=list)
    cell_keys: list[str] = field(default_factory=list)
    manual: bool = False  # graded by a person (nbgrader manually graded answers): no tests

    @property
    def visible_tests(self) -> list[Test]:
        return [t for t in self.tests if not t.hidden]

    @property
    def hidden_tests(self) -> list[Test]:
        return [t for t in self.tests if t.hidden]


@dataclass
class SourceCell:
    """A cell of the source with its role, the question it belongs to and its student version."""

    key: str
    index: int
    cell_type: str
    role: str
    source: str
    question: str | None = None
    student_source: str | None = None
    metadata: dict = field(default_factory=dict)


@dataclass
class Assignment:
    name: str
    path: Path
    format: str  # "coursekit" or "nbgrader"
    notebook: nbformat.NotebookNode
    cells: list[SourceCell]
    questions: list[Question]
    # the notebook within the assignment: "" for a one-notebook coursekit set, the notebook's stem for
    # an nbgrader assignment (named after its folder, source/<assignment>/<notebook>.ipynb)
    notebook_name: str = ""
    settings: object = None  # nbgrader sources: the course's NbgraderSettings (stubs, locks, header)

    @property
    def max_points(self) -> float:
        return sum(q.points for q in self.questions)

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)

    def cell(self, key: str) -> SourceCell:
        return {c.key: c for c in self.cells}[key]

    def shipped_files(self) -> list[Path]:
        """Data files beside the source that the exercise ships to students and the sandbox."""
        folder = self.path.parent
        return sorted(p for p in folder.iterdir()
                      if p.is_file() and p != self.path and not p.name.startswith(".")
                      and p.suffix != ".ipynb")


def _attrs(text: str, where: str) -> dict:
    """Parse ``id=q1 points=3 all-or-nothing`` into a dict; bare words become True."""
    attrs = {}
    for token in text.split():
        if "=" in token:
            key, value = token.split("=", 1)
            attrs[key.strip().lower()] = value.strip().strip("\"'")
        else:
            attrs[token.strip().lower()] = True
    return attrs


def uses_ipython_syntax(source: str) -> bool:
    """Magics, ``!`` commands or ``?`` help: the cell needs IPython's translation to run as Python."""
    return any(ln.lstrip().startswith(("%", "!")) or ln.rstrip().endswith("?") for ln in source.splitlines())


def cell_label(index: int, source: str) -> str:
    """A cell as an author finds it in JupyterLab (which shows no numbers): its number and first line."""
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    first = first if len(first) <= 50 else first[:47] + "..."
    return f"cell {index + 1} ({first!r})" if first else f"cell {index + 1} (empty)"


# The exact spellings of coursekit's markers; a comment close to one of them is a typo, not prose.
CODE_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "TEST", "HIDDEN TEST", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
SOLUTION_MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
MARKDOWN_MARKERS = ("QUESTION", "END QUESTION")
_COMMENT = re.compile(r"^\s*#+\s*(?P<text>[A-Za-z][A-Za-z ]{1,30}?)(?P<attrs>(\s+\w[\w-]*=\S*)*)\s*$")
_HTML_COMMENT = re.compile(r"^\s*<!--\s*(?P<text>[A-Za-z][A-Za-z ]{1,30}?)(\s+[\w-]+(=\S*)?)*\s*-->\s*$")
_TRAILING = re.compile(r"\S.*?#\s*(?P<text>[A-Za-z]{5,12})\s*$")


def near_miss(text: str, markers: tuple[str, ...]) -> str | None:
    """The marker ``text`` was probably meant to be (a misspelling or the wrong case), or None."""
    words = " ".join(text.split())
    if words in markers:
        return None
    close = difflib.get_close_matches(words.upper(), markers, n=1, cutoff=0.8)
    return close[0] if close else None


def _check_marker_spelling(cell, where: str) -> None:
    """Misspelled markers otherwise fail far from their cause (a solution shipped to students)."""
    lines = cell.source.splitlines()
    if cell.cell_type == "markdown":
        match = _HTML_COMMENT.match(lines[0]) if lines else None
        meant = near_miss(match["text"], MARKDOWN_MARKERS) if match else None
        if meant:
            raise SourceError(f"{where}: {match['text'].strip()!r} looks like a misspelled {meant} marker "
                              f"(write <!-- {meant}{' id=... points=...' if meant == 'QUESTION' else ''} -->)")
        return
    for number, line in enumerate(lines, start=1):
        match = _COMMENT.match(line)
        # a test marker only counts on a cell's first line, where "# test" is no ordinary comment
        meant = near_miss(match["text"], CODE_MARKERS if number == 1 else SOLUTION_MARKERS) if match else None
        if meant is None:
            trailing = _TRAILING.match(line)
            meant = near_miss(trailing["text"], ("SOLUTION",)) if trailing and not match else None
            match = trailing if meant else match
        if meant:
            raise SourceError(f"{where}, line {number}: {match['text'].strip()!r} looks like a misspelled "
                              f"'# {meant}' marker; as written it is an ordinary comment")


def _number(value, where: str, what: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise SourceError(f"{where}: {what} must be a number, got {value!r}") from None
    if number <= 0:
        raise SourceError(f"{where}: {what} must be positive, got {value!r}")
    return number


def stub_solution(code: str, stub: str = "...") -> str:
    """Replace reference solutions by stubs: BEGIN/END regions and ``x = ...  # SOLUTION`` lines."""
    out, inside, indent = [], False, ""
    for line in code.splitlines():
        begin = BEGIN_SOLUTION.match(line)
        if begin and not inside:
            inside, indent = True, begin.group("indent")
            out.extend(indent + s for s in stub.splitlines())
            continue
        if inside:
            if END_SOLUTION.match(line):
                inside = False
            continue
        inline = INLINE_SOLUTION.match(line)
        out.append(f"{inline.group('head')} {stub.splitlines()[0]}" if inline else line)
    return "\n".join(out)


def strip_markers(code: str) -> str:
    """The reference solution as a reader sees it: markers removed, code kept."""
    lines = [ln for ln in code.splitlines() if not (BEGIN_SOLUTION.match(ln) or END_SOLUTION.match(ln))]
    return "\n".join(re.sub(r"\s*#\s*SOLUTION\s*$", "", ln) for ln in lines)


def has_solution(code: str) -> bool:
    return any(BEGIN_SOLUTION.match(ln) or INLINE_SOLUTION.match(ln) for ln in code.splitlines())


def read_notebook(path: Path) -> nbformat.NotebookNode:
    import nbformat  # here, not at the top: the command line starts the grader's fork server before it
    try:
        nb = nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise SourceError(f"{path}: file not found") from None
    except Exception as exc:  # nbformat raises many kinds for unreadable files
        raise SourceError(f"{path}: not a readable notebook ({exc.__class__.__name__})") from None
    return nb


def load_source(path: str | Path, assignment: str | None = None) -> Assignment:
    """Read an exercise source notebook in either format.

    An nbgrader notebook in a course's ``source/<assignment>/`` folder (or when ``assignment`` is
    given) belongs to that assignment and is graded as its notebook ``<stem>``; a coursekit
    notebook is a set of its own, named after the file (``assignment`` is ignored for it).
    """
    path = Path(path)
    nb = read_notebook(path)
    keys = [c.get("id") for c in nb.cells]
    if any(k is None for k in keys):
        import nbformat
        nbformat.validator.normalize(nb)  # adds ids to old notebooks
    uses_nbgrader = any("nbgrader" in c.get("metadata", {}) for c in nb.cells)
    if uses_nbgrader:
        from coursekit.exercise import course, nbgrader
        settings = course.settings_for(path)
        nb = nbgrader.with_header(nb, settings)
        cells, questions = nbgrader.parse(path, nb, settings)
        inside = course.course_root(path) is not None or assignment is not None
        name = assignment or (path.parent.name if inside else path.stem)
        notebook_name = path.stem if inside else ""
    else:
        cells, questions = _parse_coursekit(path, nb)
        settings, name, notebook_name = None, path.stem, ""
    if not questions:
        raise SourceError(f"{path}: no questions found (expected '<!-- QUESTION id=... points=... -->' "
                          "markdown cells or nbgrader graded cells)")
    return Assignment(name=name, path=path, format="nbgrader" if uses_nbgrader else "coursekit",
                      notebook=nb, cells=cells, questions=questions, notebook_name=notebook_name,
                      settings=settings)


def _parse_coursekit(path: Path, nb) -> tuple[list[SourceCell], list[Question]]:
    cells, questions, current = [], [], None
    seen_ids = set()
    for index, cell in enumerate(nb.cells):
        where = f"{path}: {cell_label(index, cell.source)}"
        text = cell.source
        first = text.splitlines()[0] if text.strip() else ""
        key = cell.get("id") or f"cell-{index}"
        _check_marker_spelling(cell, where)
        if cell.cell_type == "markdown":
            marker = QUESTION_MARKER.match(first)
            if marker:
                attrs = _attrs(marker.group("attrs"), where)
                qid = attrs.get("id")
                if not qid or qid is True:
                    raise SourceError(f"{where}: QUESTION marker needs id=..., e.g. <!-- QUESTION id=q1 points=2 -->")
                if qid in seen_ids:
                    raise SourceError(f"{where}: question id {qid!r} is used twice")
                seen_ids.add(qid)
                if "points" not in attrs:
                    raise SourceError(f"{where}: QUESTION marker has no points=..., e.g. "
                                      f"<!-- QUESTION id={qid} points=2 -->")
                current = Question(id=qid, points=_number(attrs.get("points"), where, "points"),
                                   all_or_nothing=bool(attrs.get("all-or-nothing", False)),
                                   manual=bool(attrs.get("manual", False)))
                questions.append(current)
                prompt = "\n".join(text.splitlines()[1:]).strip()
                cells.append(SourceCell(key, index, "markdown", PROMPT, text, qid, prompt, dict(cell.metadata)))
                current.cell_keys.append(key)
                continue
            if END_QUESTION_MARKER.match(first):
                current = None
                cells.append(SourceCell(key, index, "markdown", TEXT, text, None, None, dict(cell.metadata)))
                continue
            cells.append(SourceCell(key, index, "markdown", TEXT, text, current.id if current else None,
                                    text, dict(cell.metadata)))
            if current:
                current.cell_keys.append(key)
            continue
        if cell.cell_type != "code":
            cells.append(SourceCell(key, index, cell.cell_type, TEXT, text, None, text, dict(cell.metadata)))
            continue
        test = TEST_MARKER.match(first)
        if test:
            if current is None:
                raise SourceError(f"{where}: test cell outside a question (add a QUESTION marker before it)")
            attrs = _attrs(test.group("attrs"), where)
            weight = _number(attrs.get("weight", 1), where, "weight")
            hidden = bool(test.group("hidden"))
            number = len(current.tests) + 1
            current.tests.append(Test(name=f"{current.id} {'hidden ' if hidden else ''}test {number}",
                                      code=text, hidden=hidden, weight=weight, cell_key=key))
            cells.append(SourceCell(key, index, "code", TEST, text, current.id, None, dict(cell.metadata)))
            current.cell_keys.append(key)
            continue
        if has_solution(text):
            if current is None:
                raise SourceError(f"{where}: solution cell outside a question (add a QUESTION marker before it)")
            _check_balanced(text, where)
            cells.append(SourceCell(key, index, "code", SOLUTION, text, current.id, stub_solution(text),
                                    dict(cell.metadata)))
            current.cell_keys.append(key)
            continue
        cells.append(SourceCell(key, index, "code", SETUP, text, current.id if current else None, text,
                                dict(cell.metadata)))
        if current:
            current.cell_keys.append(key)
    for q in questions:
        if q.manual and q.tests:
            raise SourceError(f"{path}: question {q.id} is marked manual but has test cells: drop one or the other")
        if not q.tests and not q.manual:
            raise SourceError(f"{path}: question {q.id} has no test cells ('# TEST' or '# HIDDEN TEST'); "
                              "a question graded by a person says so: <!-- QUESTION id=... points=... manual -->")
    return cells, questions


def _check_balanced(text: str, where: str) -> None:
    depth = 0
    for line in text.splitlines():
        if BEGIN_SOLUTION.match(line):
            depth += 1
        elif END_SOLUTION.match(line):
            depth -= 1
        if depth not in (0, 1):
            raise SourceError(f"{where}: BEGIN SOLUTION / END SOLUTION markers are nested or unbalanced")
    if depth:
        raise SourceError(f"{where}: BEGIN SOLUTION without END SOLUTION")

