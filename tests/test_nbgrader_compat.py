"""nbgrader compatibility: coursekit grades nbgrader course folders with the points nbgrader 0.9.6 gives.

The courses in tests/nbgrader/ (nbgrader's documentation example re-told, and one with every cell
kind) were autograded once by nbgrader itself; expected.json holds its version and, per student,
notebook and graded cell, the score and whether it waits for a person (see tests/nbgrader/README.md).
Every submission here is graded for real, in the sandbox, each notebook against its own source.
"""
from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.grading.confine import Limits
from coursekit.grading.grade import NEEDS_GRADING, grade_submission
from coursekit.grading.submissions import Submission

COURSES = Path(__file__).parent / "nbgrader"
EXPECTED = {name: json.loads((COURSES / name / "expected.json").read_text()) for name in ("ps1", "kinds")}
CASES = [(name, notebook, student)
         for name, expected in EXPECTED.items()
         for student, notebooks in sorted(expected["grades"].items())
         for notebook in sorted(notebooks)]


@pytest.fixture(scope="module")
def sources():
    return {(name, path.stem): load_source(path)
            for name in EXPECTED for path in sorted((COURSES / name / "source" / name).glob("*.ipynb"))}


@pytest.fixture(scope="module")
def graded(sources, zygote):
    limits = Limits(question_seconds=20.0, submission_seconds=120.0)
    results = {}
    for name, notebook, student in CASES:
        path = COURSES / name / "submitted" / student / name / f"{notebook}.ipynb"
        results[name, notebook, student] = grade_submission(sources[name, notebook], Submission(student, path),
                                                            zygote, limits, show_hidden=True)
    return results


def test_the_oracle_is_nbgrader_0_9():
    for expected in EXPECTED.values():
        assert expected["nbgrader"].startswith("0.9.")
    assert set(EXPECTED["ps1"]["grades"]) == {"okafor", "reyes"}
    assert set(EXPECTED["ps1"]["grades"]["okafor"]) == {"problem1", "problem2"}


@pytest.mark.parametrize("name, notebook, student", CASES, ids=[f"{n}/{b}/{s}" for n, b, s in CASES])
def test_points_and_manual_grading_equal_nbgraders(name, notebook, student, graded):
    result = graded[name, notebook, student]
    assert result.status == "graded", result.reason
    theirs = EXPECTED[name]["grades"][student][notebook]
    ours = {q.question: q for q in result.questions}
    assert set(ours) == set(theirs)  # graded against its own notebook's source, nothing else
    differences = {}
    for qid, expected in theirs.items():
        got = ours[qid]
        waiting = got.status == NEEDS_GRADING
        if got.points != pytest.approx(expected["score"]) or waiting != expected["needs_manual_grade"]:
            differences[qid] = ((got.points, got.status), expected, got.feedback[:300])
    assert not differences


def test_tests_read_data_files_beside_the_source_from_any_folder(sources, zygote, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the instructor's current folder has no cubes.txt
    problem1 = sources["ps1", "problem1"]
    result = grade_submission(problem1, Submission("okafor", COURSES / "ps1" / "submitted" / "okafor" / "ps1" /
                                                   "problem1.ipynb"), zygote, Limits(question_seconds=20.0))
    assert {q.question: q.points for q in result.questions}["correct_cubes"] == 1.0


def test_a_tests_printing_goes_to_the_feedback(graded, capfd):
    result = graded["kinds", "kinds", "right"]
    feedback = {q.question: q.feedback for q in result.questions}
    assert "checking the median of the whole table" in feedback["median_hidden"]
    assert "All autotests passed" in feedback["top_role_auto"]


def coursekit(*args, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=600)


def test_the_cli_grades_a_course_folder_notebook_by_notebook(tmp_path):
    """`coursekit grade <course> --assignment ps1`: every notebook against its own source, strays named."""
    course = tmp_path / "course"
    shutil.copytree(COURSES / "ps1", course)
    stray = nbformat.read(str(course / "submitted" / "reyes" / "ps1" / "problem1.ipynb"), as_version=4)
    nbformat.write(stray, str(course / "submitted" / "reyes" / "ps1" / "scratch.ipynb"))
    gradebook = tmp_path / "grades.sqlite"
    result = coursekit("grade", course, "--assignment", "ps1", "--gradebook", gradebook, "--workers", "1",
                       cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "4 graded" in result.stdout
    said = result.stdout + result.stderr
    assert "scratch.ipynb" in said and "not graded" in said  # named, with its reason
    assert "Traceback" not in result.stderr
    with sqlite3.connect(gradebook) as db:
        paths = {row[0] for row in db.execute("select path from submissions")}
    assert not any(p.endswith("scratch.ipynb") for p in paths)


def test_the_cli_validates_and_releases_an_assignment_folder(tmp_path):
    folder = COURSES / "ps1" / "source" / "ps1"
    validated = coursekit("validate", folder, cwd=tmp_path)
    assert validated.returncode == 0, validated.stderr
    assert "problem1.ipynb: sound" in validated.stdout and "problem2.ipynb: sound" in validated.stdout
    # coursekit's stricter advice is a warning for an nbgrader source, never a failure
    assert "warning:" in validated.stderr and "has no hidden test" in validated.stderr
    released = coursekit("release", COURSES / "ps1", "--assignment", "ps1", "--out", tmp_path / "out", cwd=tmp_path)
    assert released.returncode == 0, released.stderr
    student = tmp_path / "out" / "ps1" / "student"
    assert (student / "problem1.ipynb").exists() and (student / "problem2.ipynb").exists()
    header = nbformat.read(str(student / "problem2.ipynb"), as_version=4).cells[0].source
    assert header.startswith("# Numbers and proofs")  # the course's header notebook, from nbgrader_config.py


def test_validate_runs_the_source_with_nbgrader_execution_set_to_validate(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    flags = {"schema_version": 3, "grade": False, "solution": False, "locked": False}
    cells = [nbformat.v4.new_code_cell("import os\nassert os.environ.get('NBGRADER_EXECUTION') in "
                                       "('validate', 'autograde'), os.environ.get('NBGRADER_EXECUTION')"),
             nbformat.v4.new_code_cell("def double(x):\n    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
             nbformat.v4.new_code_cell("assert double(4) == 8\n### BEGIN HIDDEN TESTS\nassert double(-1) == -2\n"
                                       "### END HIDDEN TESTS")]
    cells[1].metadata["nbgrader"] = {**flags, "grade_id": "double", "solution": True}
    cells[2].metadata["nbgrader"] = {**flags, "grade_id": "double_test", "grade": True, "points": 1}
    nb.cells = cells
    nbformat.write(nb, str(tmp_path / "modes.ipynb"))
    result = coursekit("validate", tmp_path / "modes.ipynb", cwd=tmp_path)
    assert result.returncode == 0, result.stderr + result.stdout


def test_what_tests_print_stays_out_of_the_instructors_terminal(tmp_path):
    course = tmp_path / "kinds"
    shutil.copytree(COURSES / "kinds", course)
    result = coursekit("grade", course / "source" / "kinds", course / "submitted", "--gradebook",
                       tmp_path / "grades.sqlite", "--workers", "1", "--allow-unsound", cwd=tmp_path)
    assert "Traceback" not in result.stderr
    assert "6 graded" in result.stdout, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "checking the median" not in said and "All autotests passed" not in said
