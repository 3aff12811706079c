"""Hidden tests and the throw-away copy of the student's process they run against.

The copy is made when a hidden test first runs the student's code or hands it data; a hidden test
that only reads the student's values needs none. Either way the test sees what it would see in an
eager copy, and nothing of it reaches the process whose later output the student is shown.
Graded for real: a confined child process per submission, tests evaluated in the grader.
"""
from __future__ import annotations

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.grading import sandbox
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.submissions import Submission

M, C = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell


def two_questions(tmp_path, first_solution: str, first_hidden: str, second_cell: str, second_test: str,
                  first_visible: str = "assert True"):
    """q1 (a solution, a visible check, hidden tests), then q2 whose cell runs after q1's hidden tests."""
    cells = [C("import random\nimport os"),
             M("<!-- QUESTION id=q1 points=2 -->\nFirst."),
             C("# BEGIN SOLUTION\n" + first_solution + "\n# END SOLUTION"),
             C("# TEST\n" + first_visible),
             C("# HIDDEN TEST\n" + first_hidden),
             M("<!-- QUESTION id=q2 points=1 -->\nSecond."),
             C("# BEGIN SOLUTION\n" + second_cell + "\n# END SOLUTION"),
             C("# TEST\n" + second_test)]
    path = tmp_path / "source" / "set.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    return load_source(path)


def grade(assignment, tmp_path, zygote, name: str = "ana"):
    nb = nbformat.read(str(assignment.path), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("# BEGIN SOLUTION\n", "").replace("\n# END SOLUTION", "")
    nb.cells = [c for c in nb.cells if not c.source.startswith(("# TEST", "# HIDDEN TEST"))]
    path = tmp_path / "submitted" / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return grade_submission(assignment, Submission(name, path), zygote,
                            Limits(question_seconds=20.0, submission_seconds=60.0))


@pytest.fixture
def forks(monkeypatch):
    """The copies made while grading."""
    made = []
    real = sandbox.Sandbox.fork
    monkeypatch.setattr(sandbox.Sandbox, "fork", lambda self, deadline: made.append(1) or real(self, deadline))
    return made


def points(result) -> dict:
    return {q.question: q.points for q in result.questions}


def test_hidden_tests_that_only_read_values_need_no_copy(tmp_path, zygote, forks):
    reads = two_questions(tmp_path, "answer = 42\nnames = ['a', 'b']",
                          "assert answer == 42\nassert sorted(names) == ['a', 'b']", "later = answer + 1",
                          "assert later == 43")
    assert points(grade(reads, tmp_path, zygote)) == {"q1": 2, "q2": 1} and forks == []
    calls = two_questions(tmp_path, "def double(x):\n    return 2 * x", "assert double(21) == 42",
                          "later = double(2)", "assert later == 4")
    assert points(grade(calls, tmp_path, zygote)) == {"q1": 2, "q2": 1} and len(forks) == 1


def test_a_copy_made_mid_test_follows_names_the_test_read_before(tmp_path, zygote, forks):
    """The test reads ``counter`` in the process itself, then calls student code in the copy, which
    rebinds it: the test sees the new value, as in Jupyter. The process itself never saw the call."""
    assignment = two_questions(tmp_path, "counter = 0\ndef bump():\n    global counter\n    counter += 1",
                               "before = counter\nbump()\nassert counter == before + 1 == 1",
                               "after_hidden = counter", "assert after_hidden == 0")
    result = grade(assignment, tmp_path, zygote)
    assert points(result) == {"q1": 2, "q2": 1}, [q.feedback for q in result.questions]
    assert len(forks) == 1


def test_what_a_reading_hidden_test_does_here_stays_here(tmp_path, zygote, forks):
    """A hidden test that reads a value and, in the grader, seeds the random state and writes a file
    needs no copy, and neither its seed nor its file reaches the student's later cells."""
    later = ("r = random.random()\nprint('draw', r)\nprint('file', os.path.exists('hidden-input.txt'))")
    quiet = two_questions(tmp_path, "answer = 42", "assert answer == 42", later, "assert isinstance(r, float)")
    busy = two_questions(tmp_path, "answer = 42",
                         "import random\nrandom.seed(12345)\nopen('hidden-input.txt', 'w').write('secret')\n"
                         "assert answer == 42", later, "assert isinstance(r, float)")
    plain, seeded = grade(quiet, tmp_path, zygote, "ana"), grade(busy, tmp_path, zygote, "ben")
    assert points(plain) == points(seeded) == {"q1": 2, "q2": 1}
    assert "file False" in seeded.output and seeded.output == plain.output
    assert forks == []


def test_a_hidden_tests_change_to_a_shared_value_stays_in_the_copy(tmp_path, zygote, forks):
    """A test changes the student's list in place before calling student code: in a kernel the
    student's code sees it, so it is sent along. A hidden test's change (its inputs) is sent only
    to the copy, and the list the test holds is put back as it was after (here through an alias
    the visible test kept, which would otherwise go with the student's next cell): the student's
    later cell prints the list without them, and the later test reads it without them too."""
    assignment = two_questions(tmp_path, "cart = ['pen']\ndef count(items=None):\n    return len(cart if items is None else items)",
                               "alias.append('HIDDEN-INPUT')\nassert count(alias) == 2",
                               "print('cart', cart)\nlater = count()",
                               "assert later == 1 and cart == ['pen']\ncart.append('ink')\nassert count() == 2",
                               first_visible="alias = cart\nassert count(cart) == 1")
    result = grade(assignment, tmp_path, zygote)
    assert points(result) == {"q1": 2, "q2": 1}, [q.feedback for q in result.questions]
    assert "cart ['pen']" in result.output and "HIDDEN-INPUT" not in result.output
    assert len(forks) == 1
