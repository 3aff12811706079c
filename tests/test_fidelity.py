"""Fidelity: honest work scores exactly what nbgrader gives it, for every way instructors write tests.

tests/fidelity/course is an nbgrader course folder (built by tests/fidelity/idioms.py): one
question per testing idiom (exceptions, in-place changes, classes, generators, callbacks, captured
output, figures and their data, seeds, files (by relative and absolute path), fitted models, namedtuples,
dataclasses, introspection, mocked input, copies, returned arguments, a test's in-place changes to
the student's values, enums, state between test cells, nbgrader's "uses squares" check...), graded for a reference answer, a second
correct answer written differently, a wrong answer and students who mix the three. expected.json
holds the points nbgrader itself gave each (its version is recorded there; see
tests/fidelity/nbgrader_oracle.py). Every submission is graded for real: a confined child process,
tests evaluated in the grader.
"""
from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.submissions import Submission

COURSE = Path(__file__).parent / "fidelity" / "course"
EXPECTED = json.loads((COURSE / "expected.json").read_text())
STUDENTS = sorted(EXPECTED["points"])


@pytest.fixture(scope="module")
def idioms():
    return load_source(COURSE / "source" / "idioms" / "idioms.ipynb")


@pytest.fixture(scope="module")
def graded(idioms, zygote):
    limits = Limits(question_seconds=20.0, submission_seconds=300.0)
    return {student: grade_submission(idioms, Submission(student, COURSE / "submitted" / student / "idioms" / "idioms.ipynb"),
                                      zygote, limits, show_hidden=True)
            for student in STUDENTS}


def test_the_course_matches_its_builder(tmp_path):
    """The committed notebooks are what idioms.py builds: the spec in Python is the one to read."""
    from fidelity import idioms as spec
    built = spec.build(tmp_path)
    for path in (COURSE / "source").rglob("*.ipynb"):
        theirs = nbformat.read(str(built / path.relative_to(COURSE)), as_version=4)
        ours = nbformat.read(str(path), as_version=4)
        assert [c.source for c in theirs.cells] == [c.source for c in ours.cells]


def test_the_oracle_is_nbgrader():
    assert EXPECTED["nbgrader"].startswith("0.9.")
    assert set(EXPECTED["points"]) == {"reference", "alternative", "wrong", *(f"mixed{i:02d}" for i in range(1, 9))}


@pytest.mark.parametrize("student", STUDENTS)
def test_points_equal_nbgraders(student, graded):
    result = graded[student]
    assert result.status == "graded", result.reason
    ours = {q.question: q.points for q in result.questions}
    theirs = EXPECTED["points"][student]["idioms"]
    differences = {q: (ours.get(q), theirs[q]) for q in theirs if ours.get(q) != pytest.approx(theirs[q])}
    feedback = {q.question: q.feedback for q in result.questions if q.question in differences}
    assert not differences, (differences, feedback)


def test_every_idiom_separates_right_from_wrong(graded):
    """A question that every answer passes, or none, would prove nothing about fidelity."""
    for question in graded["reference"].questions:
        wrong = next(q for q in graded["wrong"].questions if q.question == question.question)
        partial = 0.5 if question.question == "partial_credit_test" else 0.0  # nbgrader's partial credit: 2 of 4
        assert question.points == question.max_points and wrong.points == partial, question.question
