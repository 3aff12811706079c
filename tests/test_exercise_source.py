"""Parsing exercise sources (both formats) and deriving the released forms."""
from __future__ import annotations

import json

import nbformat
import pytest

from coursekit.exercise import parse
from coursekit.exercise.release import book_page, student_notebook


def test_coursekit_format_questions_points_tests(basic):
    assert [q.id for q in basic.questions] == ["q1", "q2", "q3"]
    assert [q.points for q in basic.questions] == [2, 3, 1]
    q2 = basic.question("q2")
    assert len(q2.visible_tests) == 1 and len(q2.hidden_tests) == 2
    assert basic.format == "coursekit"


def test_stubs_replace_solutions_only():
    code = "def f(x):\n    '''doc'''\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\ny = 3  # SOLUTION"
    stub = parse.stub_solution(code)
    assert stub == "def f(x):\n    '''doc'''\n    ...\ny = ..."
    assert "return x + 1" in parse.strip_markers(code) and "SOLUTION" not in parse.strip_markers(code)


def test_student_notebook_has_no_solutions_or_hidden_tests(basic):
    text = nbformat.writes(student_notebook(basic))
    assert "sum(range(1, 11))" not in text and "add the numbers 1 to 10" not in text
    assert 'coursekit.check(\\"q1\\")' in text
    assert "total = ..." in text


def test_book_page_folds_solutions_and_drops_hidden(basic):
    page = book_page(basic)
    solution = next(c for c in page.cells if "sum(range(1, 11))" in c.source)
    assert solution.metadata["tags"] == ["hide-cell"]  # its output would give the answer away
    assert "add the numbers 1 to 10" not in nbformat.writes(page)


def test_release_writes_the_three_forms(basic, released):
    assert released["student"].exists() and released["book"].exists()
    manifest = json.loads((released["bundle"] / "manifest.json").read_text())
    assert manifest["max_points"] == 6 and len(manifest["questions"]) == 3
    checks = json.loads(released["checks"].read_text())
    assert all("HIDDEN" not in t["code"] for q in checks["questions"].values() for t in q["tests"])


def test_nbgrader_format(nbgrader_source):
    assignment = parse.load_source(nbgrader_source)
    assert assignment.format == "nbgrader"
    assert [q.id for q in assignment.questions] == ["correct_squares", "correct_mean_square"]
    assert all(q.all_or_nothing for q in assignment.questions)
    student = student_notebook(assignment)
    text = nbformat.writes(student)
    assert "raise NotImplementedError()" in text and "squares(10)" not in text


def _source(tmp_path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = cells
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, str(path))
    return path


@pytest.mark.parametrize("cells, message", [
    ([nbformat.v4.new_markdown_cell("<!-- QUESTION points=2 -->")], "needs id="),
    ([nbformat.v4.new_markdown_cell("<!-- QUESTION id=q1 points=two -->")], "points must be a number"),
    ([nbformat.v4.new_code_cell("# TEST\nassert True")], "test cell outside a question"),
    ([nbformat.v4.new_markdown_cell("<!-- QUESTION id=q1 points=1 -->"),
      nbformat.v4.new_code_cell("# BEGIN SOLUTION\nx = 1")], "BEGIN SOLUTION without END SOLUTION"),
    ([nbformat.v4.new_markdown_cell("<!-- QUESTION id=q1 points=1 -->"),
      nbformat.v4.new_code_cell("x = 1  # SOLUTION")], "has no test cells"),
    ([nbformat.v4.new_markdown_cell("just text")], "no questions found"),
])
def test_malformed_sources_name_file_and_cell(tmp_path, cells, message):
    path = _source(tmp_path, cells)
    with pytest.raises(parse.SourceError) as info:
        parse.load_source(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_a_question_marked_manual_needs_no_tests_and_may_have_none(tmp_path):
    essay = [nbformat.v4.new_markdown_cell("<!-- QUESTION id=essay points=3 manual -->\nWhy does leakage inflate scores?"),
             nbformat.v4.new_markdown_cell("_Write your answer here._")]
    question = parse.load_source(_source(tmp_path, essay)).question("essay")
    assert question.manual and question.tests == [] and question.points == 3
    with pytest.raises(parse.SourceError, match="marked manual but has test cells"):
        parse.load_source(_source(tmp_path, essay + [nbformat.v4.new_code_cell("# TEST\nassert True")]))
