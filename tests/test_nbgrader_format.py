"""nbgrader sources: every cell kind, nbgrader's metadata rules, the course config, and a release
that equals nbgrader 0.9.6's generate_assignment cell for cell (recorded in tests/nbgrader/)."""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise import course, nbgrader
from coursekit.exercise.parse import SETUP, SOLUTION, TEST, TEXT, SourceError, load_source
from coursekit.exercise.release import release, student_notebook

COURSES = Path(__file__).parent / "nbgrader"
NOTEBOOKS = [(name, path) for name in ("ps1", "kinds")
             for path in sorted((COURSES / name / "source" / name).glob("*.ipynb"))]


@pytest.fixture(scope="module")
def loaded():
    """Each source notebook parsed once (the AUTOTEST expansion starts a kernel)."""
    return {path: load_source(path) for _, path in NOTEBOOKS}


@pytest.mark.parametrize("course_name, path", NOTEBOOKS, ids=[f"{c}/{p.stem}" for c, p in NOTEBOOKS])
def test_release_equals_nbgraders_generate_assignment(course_name, path, loaded):
    theirs = nbformat.read(str(COURSES / course_name / "nbgrader-release" / path.name), as_version=4)
    ours = student_notebook(loaded[path])
    assert ours.metadata == theirs.metadata
    assert len(ours.cells) == len(theirs.cells)
    for number, (mine, nbg) in enumerate(zip(ours.cells, theirs.cells), start=1):
        assert (mine.cell_type, mine.source) == (nbg.cell_type, nbg.source), f"cell {number}"
        assert mine.metadata == nbg.metadata, f"cell {number}: locks, checksum or nbgrader metadata differ"


def test_an_assignment_is_its_folder_and_each_notebook_is_graded_as_itself(loaded):
    problem1 = loaded[COURSES / "ps1" / "source" / "ps1" / "problem1.ipynb"]
    assert (problem1.name, problem1.notebook_name) == ("ps1", "problem1")
    assert [p.name for p in problem1.shipped_files()] == ["cubes.txt"]
    found = course.assignment_folder(COURSES / "ps1", "ps1")
    assert [p.name for p in found.notebooks] == ["problem1.ipynb", "problem2.ipynb"]
    assert found.submitted == COURSES / "ps1" / "submitted"


def test_every_cell_kind_becomes_the_right_question(loaded):
    kinds = loaded[COURSES / "kinds" / "source" / "kinds" / "kinds.ipynb"]
    by_id = {q.id: q for q in kinds.questions}
    assert [q.id for q in kinds.questions] == [
        "median_visible", "median_hidden", "median_practice", "top_role_auto", "levels_auto", "raise_hashed",
        "median_auto_hidden", "spread_explained", "spread_code", "table_critique"]
    assert by_id["median_practice"].points == 0  # nbgrader allows 0-point tests
    assert [t.hidden for t in by_id["median_visible"].tests] == [False]
    assert [t.hidden for t in by_id["median_hidden"].tests] == [False, True]
    assert "105000.0" in by_id["median_hidden"].hidden_tests[0].code
    assert "105000.0" not in by_id["median_hidden"].visible_tests[0].code
    for manual in ("spread_explained", "spread_code", "table_critique"):
        assert by_id[manual].manual and not by_id[manual].tests
    roles = {c.key: c.role for c in kinds.cells}
    assert roles["load_rows"] == SETUP and roles["median_answer"] == SOLUTION and roles["facts"] == SOLUTION
    assert roles["spread_code"] == SOLUTION and roles["spread_explained"] == TEXT and roles["intro"] == TEXT
    assert {c.key: c.question for c in kinds.cells}["median_answer"] == "median_visible"
    assert {c.key: c.question for c in kinds.cells}["spread_code"] == "spread_code"


def test_autotests_expand_with_the_courses_templates_and_hidden_parts_stay_hidden(loaded):
    kinds = loaded[COURSES / "kinds" / "source" / "kinds" / "kinds.ipynb"]
    top = kinds.question("top_role_auto").visible_tests[0].code
    assert '"""research scientist"""' in top and "AUTOTEST" not in top
    assert top.rstrip().endswith("print('All autotests passed')")  # the course's autotests.yml, not the default
    hashed = kinds.question("raise_hashed").visible_tests[0].code
    assert "sha1(" in hashed and "4.5" not in hashed
    auto_hidden = kinds.question("median_auto_hidden")
    assert "rows[2:6]" in auto_hidden.hidden_tests[0].code and "rows[2:6]" not in auto_hidden.visible_tests[0].code


def test_whole_cell_and_inline_solutions_leave_nothing_behind(loaded):
    student = nbformat.writes(student_notebook(loaded[COURSES / "kinds" / "source" / "kinds" / "kinds.ipynb"]))
    assert "4.5" not in student and "max(rows" not in student and "105000" not in student
    assert "Location, years" not in student  # the mark scheme
    problem1 = nbformat.writes(student_notebook(loaded[COURSES / "ps1" / "source" / "ps1" / "problem1.ipynb"]))
    assert "triangular ** 2" not in problem1 and "sum(cubes(n))" not in problem1 and "k^3" not in problem1
    # every code cell of the student versions compiles: stubs are never half lines
    for path in loaded:
        for cell in student_notebook(loaded[path]).cells:
            if cell.cell_type == "code":
                compile(cell.source, str(path), "exec")


def test_release_writes_each_notebook_of_an_assignment(loaded, tmp_path):
    for path in (COURSES / "ps1" / "source" / "ps1").glob("*.ipynb"):
        release(loaded[path], tmp_path)
    student = tmp_path / "ps1" / "student"
    assert sorted(p.name for p in student.iterdir()) == [
        "cubes.txt", "problem1.checks.json", "problem1.ipynb", "problem2.checks.json", "problem2.ipynb"]
    manifests = sorted(p.name for p in (tmp_path / "ps1" / "autograder").glob("*.json"))
    assert manifests == ["problem1.manifest.json", "problem2.manifest.json"]
    assert json.loads((tmp_path / "ps1" / "autograder" / "problem2.manifest.json").read_text())["notebook"] == "problem2"


def test_a_coursekit_notebook_is_still_a_set_of_its_own(basic):
    assert (basic.name, basic.notebook_name, basic.format) == ("basic", "", "coursekit")


# --- nbgrader's metadata rules ------------------------------------------------------------------

def _write(tmp_path, cells, name="nb") -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for kind, source, flags in cells:
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
        if flags is not None:
            cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                         **flags}
        nb.cells.append(cell)
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, str(path))
    return path


ANSWER = ("code", "x = 1", {"grade_id": "x", "solution": True})
TESTS = ("code", "assert x == 1", {"grade_id": "t", "grade": True, "points": 1})


@pytest.mark.parametrize("cells, message", [
    ([ANSWER, ("code", "assert x == 1", {"grade_id": "", "grade": True, "points": 1})], "grade_id is empty"),
    ([ANSWER, ("code", "assert x == 1", {"grade": True, "points": 1})], "has no grade_id"),
    ([ANSWER, ("code", "assert x == 1", {"grade_id": "t", "grade": True})], "has no points"),
    ([ANSWER, ("code", "assert x == 1", {"grade_id": "t", "grade": True, "points": -1})], "at least 0"),
    ([ANSWER, TESTS, ("code", "assert x", {"grade_id": "t", "grade": True, "points": 1})], "used twice"),
    ([("markdown", "text", {"grade_id": "m", "grade": True, "points": 1}), TESTS], "not marked as a solution"),
    ([("markdown", "text", {"grade_id": "m", "solution": True}), TESTS], "not marked as a grade cell"),
    ([("code", "1", {"grade_id": "k", "task": True, "points": 1}), TESTS], "task cells have to be markdown"),
    ([("code", "### BEGIN SOLUTION\nx = 1\n### END SOLUTION", None), TESTS], "not a solution cell"),
    ([("code", "x = 1\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS", None), TESTS],
     "not an autograder test cell"),
    ([("code", "### BEGIN SOLUTION\nx = 1", {"grade_id": "x", "solution": True}), TESTS], "without END SOLUTION"),
    ([ANSWER, ("code", "### AUTOTEST x", None), TESTS], "outside an autograder test cell"),
    ([("markdown", "just text", None)], "no questions found"),
])
def test_nbgrader_rules_reject_what_nbgrader_rejects(tmp_path, cells, message):
    path = _write(tmp_path, cells)
    with pytest.raises(SourceError) as info:
        load_source(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_only_manually_graded_cells_make_a_valid_source(tmp_path):
    path = _write(tmp_path, [("markdown", "Explain.", {"grade_id": "why", "grade": True, "solution": True,
                                                       "points": 2})])
    assignment = load_source(path)
    assert [(q.id, q.points, q.manual, q.tests) for q in assignment.questions] == [("why", 2.0, True, [])]
    assert student_notebook(assignment).cells[0].source == "YOUR ANSWER HERE"


def test_markers_are_found_anywhere_in_a_line_as_nbgrader_does(tmp_path):
    path = _write(tmp_path, [("code", "def f():\n    pass  # BEGIN SOLUTION here\n    return 2\n    # END SOLUTION",
                              {"grade_id": "f", "solution": True}), TESTS])
    stub = student_notebook(load_source(path)).cells[0].source
    assert stub == "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"


# --- nbgrader_config.py, read without running it -------------------------------------------------

def _course(tmp_path, config: str) -> Path:
    (tmp_path / "source" / "a1").mkdir(parents=True)
    (tmp_path / "nbgrader_config.py").write_text(config)
    return _write(tmp_path / "source" / "a1", [ANSWER, TESTS], "one")


def test_config_settings_are_read_as_literals_and_never_run(tmp_path):
    marker = tmp_path / "ran.txt"
    path = _course(tmp_path, "import pathlib\nc = get_config()\n"
                             f"pathlib.Path({str(marker)!r}).write_text('config ran')\n"
                             "c.ClearSolutions.code_stub = 'pass  # your turn'\n"
                             "c.ClearSolutions.text_stub = 'Your words here'\n"
                             "c.Exchange.root = pathlib.Path.home() / 'exchange'\n")
    assignment = load_source(path)
    assert not marker.exists()
    assert student_notebook(assignment).cells[0].source == "pass  # your turn"
    assert (assignment.name, assignment.notebook_name) == ("a1", "one")
    assert assignment.settings.text_stub == "Your words here"


@pytest.mark.parametrize("config, message", [
    ("c.ClearSolutions.code_stub = make_stub()\n", "must be a literal value"),
    ("c.IncludeHeaderFooter.header = 'source/missing.ipynb'\n", "not a file"),
    ("c.ClearSolutions.code_stub = {'python': 3}\n", "dict of language to code"),
    ("c = get_config(\n", "not readable Python"),
])
def test_config_mistakes_are_one_line_naming_the_file(tmp_path, config, message):
    path = _course(tmp_path, config)
    with pytest.raises(SourceError) as info:
        load_source(path)
    assert message in str(info.value) and "nbgrader_config.py" in str(info.value)


def test_a_course_folder_needs_an_assignment_name(tmp_path):
    _course(tmp_path, "")
    with pytest.raises(SourceError, match="name the assignment with --assignment.*a1"):
        course.assignment_folder(tmp_path)
    with pytest.raises(SourceError, match="no assignment 'a2'.*a1"):
        course.assignment_folder(tmp_path, "a2")


def test_unanswered_manual_answers_are_recognised_as_nbgrader_does(loaded):
    """nbgrader scores an untouched manually graded answer 0 without a person (checksum unchanged)."""
    for course_name, path in NOTEBOOKS:
        expected = json.loads((COURSES / course_name / "expected.json").read_text())["grades"]
        assignment = loaded[path]
        for student, notebooks in expected.items():
            submitted = nbformat.read(str(COURSES / course_name / "submitted" / student / course_name / path.name),
                                      as_version=4)
            for question in assignment.questions:
                if question.manual:
                    needs_a_person = notebooks[path.stem][question.id]["needs_manual_grade"]
                    assert nbgrader.unanswered(assignment, submitted, question) == (not needs_a_person), \
                        (student, question.id)


def test_a_validation_stamp_depends_on_the_courses_config(tmp_path):
    """validate's cache must not trust a verdict made under another code stub, header or templates file."""
    from coursekit.exercise.validate import fingerprint
    from coursekit.grading.confine import Limits
    path = _course(tmp_path, "c = get_config()\n")
    before = fingerprint(path, Limits())
    (tmp_path / "nbgrader_config.py").write_text("c = get_config()\nc.ClearSolutions.text_stub = 'Answer here'\n")
    assert fingerprint(path, Limits()) != before


def test_an_inline_solution_comment_nbgrader_would_ship_is_named(tmp_path):
    from coursekit.exercise.validate import inline_solution_leaks
    path = _write(tmp_path, [("code", "rate = 0.05  # SOLUTION\n### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
                              {"grade_id": "x", "solution": True}), TESTS])
    assignment = load_source(path)
    assert "rate = 0.05" in student_notebook(assignment).cells[0].source  # as nbgrader writes it
    [warning] = inline_solution_leaks(assignment)
    assert "rate = 0.05" in warning and "reaches students" in warning
    whole = _write(tmp_path, [("code", "rate = 0.05  # SOLUTION", {"grade_id": "x", "solution": True}), TESTS], "whole")
    assert inline_solution_leaks(load_source(whole)) == []  # a cell without markers is stubbed whole
