"""The evaluation layer cannot be talked into a pass: handles, callbacks, hidden tests, setup data.

Each case is a small exercise in coursekit's format, graded for real (a confined child process per
submission, tests evaluated in the grader), with a dishonest answer that would pass if the layer
delegated a verdict to student code, leaked hidden inputs, or let the student's process reach into
the grader.
"""
from __future__ import annotations

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.submissions import Submission


def exercise(tmp_path, setup: str, solution: str, tests: list[str], points: int = 2):
    """A one-question source; tests marked 'hidden:' are hidden tests."""
    cells = [nbformat.v4.new_code_cell(setup),
             nbformat.v4.new_markdown_cell(f"<!-- QUESTION id=q1 points={points} -->\nAnswer."),
             nbformat.v4.new_code_cell("# BEGIN SOLUTION\n" + solution + "\n# END SOLUTION")]
    for test in tests:
        hidden = test.startswith("hidden:")
        body = test.removeprefix("hidden:")
        cells.append(nbformat.v4.new_code_cell(("# HIDDEN TEST\n" if hidden else "# TEST\n") + body))
    path = tmp_path / "source" / "set.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    return load_source(path)


def grade(assignment, tmp_path, answer: str, extra_cells: list[str] = (), zygote=None):
    nb = nbformat.read(str(assignment.path), as_version=4)
    for cell in nb.cells:
        if "BEGIN SOLUTION" in cell.source:
            cell.source = answer
    nb.cells = [c for c in nb.cells if not c.source.startswith(("# TEST", "# HIDDEN TEST"))]
    nb.cells += [nbformat.v4.new_code_cell(code) for code in extra_cells]
    path = tmp_path / "submitted" / "mallory.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return grade_submission(assignment, Submission("mallory", path), zygote,
                            Limits(question_seconds=10.0, submission_seconds=60.0))


def test_rebinding_setup_data_earns_nothing(tmp_path, zygote):
    setup = "import numpy as np\nrng = np.random.default_rng(0)\ntreatment = rng.normal(1.0, 1.0, 200)\ncontrol = rng.normal(0.0, 1.0, 200)"
    source = exercise(tmp_path, setup, "def lift():\n    return treatment.mean() - control.mean()",
                      ["assert callable(lift)",
                       "hidden:assert abs(lift() - (treatment.mean() - control.mean())) < 1e-9\nassert len(treatment) == 200"])
    honest = grade(source, tmp_path, "def lift():\n    return float(np.mean(treatment) - np.mean(control))", zygote=zygote)
    assert honest.points == 2, honest.questions[0].feedback
    cheat = grade(source, tmp_path, "treatment = np.array([1.0])\ncontrol = np.array([0.0])\n"
                  "def lift():\n    return 1.0", zygote=zygote)
    assert cheat.points == 1, cheat.questions[0].feedback  # the visible test only


@pytest.mark.parametrize("answer", [
    # an object that equals everything, added to or compared with the test's expected value
    "class Yes:\n    def __eq__(self, other): return True\n    def __add__(self, other): return 0\n"
    "    __radd__ = __add__\n    def __sub__(self, other): return 0\n    def __rsub__(self, other): return 0\n"
    "    def __lt__(self, other): return True\n    def __gt__(self, other): return True\n"
    "    def __abs__(self): return 0\n    def __float__(self): return 0.0\n"
    "def half(x):\n    return Yes()",
    # an int subclass that says it is equal to everything
    "class Liar(float):\n    def __eq__(self, other): return True\n    def __sub__(self, other): return 0.0\n"
    "def half(x):\n    return Liar(0)",
    # an enum of floats with a doctored __eq__: not rebuilt in the grader (it has code of its own)
    "from enum import Enum\nclass Liar(float, Enum):\n    X = 0.0\n    def __eq__(self, other): return True\n"
    "    def __hash__(self): return 0\n    def __sub__(self, other): return 0.0\n    def __gt__(self, other): return True\n"
    "def half(x):\n    return Liar.X",
])
def test_doctored_objects_earn_nothing(tmp_path, zygote, answer):
    source = exercise(tmp_path, "import math", "def half(x):\n    return x / 2",
                      ["assert half(4) == 2", "hidden:assert abs(half(3) - 1.5) < 1e-9\nassert half(3) > 1.4"])
    assert grade(source, tmp_path, "def half(x):\n    return x * 0.5", zygote=zygote).points == 2
    result = grade(source, tmp_path, answer, zygote=zygote)
    assert result.points == 0, result.questions[0].feedback


def test_hidden_inputs_never_reach_the_feedback(tmp_path, zygote):
    """A function that records its arguments and shows them later sees only the visible test's."""
    source = exercise(tmp_path, "import numpy as np", "def total(values):\n    return sum(values)",
                      ["assert total([1, 2]) == 3", "hidden:assert total([123456789, 987654321]) == 1111111110"])
    spy = ("seen = []\ndef total(values):\n    seen.append(list(values))\n    print('ARGS', values)\n"
           "    return sum(values)")
    result = grade(source, tmp_path, spy, extra_cells=["raise ValueError(f'recorded {seen}')", "print(seen)"],
                   zygote=zygote)
    assert result.points == 2
    everything = result.questions[0].feedback + result.output + repr(result.questions[0].tests)
    assert "[1, 2]" in everything  # the visible input may show
    assert "123456789" not in result.questions[0].feedback + result.output


def test_lent_objects_do_not_open_the_grader(tmp_path, zygote):
    """Student code handed the test's lambda or generator cannot walk to the grader's globals."""
    source = exercise(tmp_path, "import numpy as np", "def apply(f, x):\n    return f(x)",
                      ["assert apply(lambda v: v + 1, 1) == 2",
                       "assert list(apply(lambda g: list(g), (i for i in range(3)))) == [0, 1, 2]",
                       "hidden:rng = np.random.default_rng(1)\nassert apply(lambda r: 5, rng) == 5"])
    probe = ("def apply(f, x):\n"
             "    found = []\n"
             "    for target in (f, x):\n"
             "        for name in ('__globals__', '__code__', '__class__', 'gi_frame', 'f_globals', '__builtins__',\n"
             "                     'bit_generator', '__self__', '__closure__'):\n"
             "            try:\n"
             "                value = getattr(target, name)\n"
             "                found.append((name, type(value).__name__))\n"
             "                getattr(value, 'ctypes').next_double(0)\n"
             "            except BaseException as exc:\n"
             "                pass\n"
             "    if any(n in ('__globals__', '__code__', 'gi_frame', '__builtins__', '__closure__') for n, _ in found):\n"
             "        return 'escaped'\n"
             "    return f(x)")
    result = grade(source, tmp_path, probe, zygote=zygote)
    assert result.status == "graded", result.reason
    assert result.points == 2, result.questions[0].feedback


@pytest.mark.parametrize("hostile", [
    "raise SystemExit(0)", "raise KeyboardInterrupt()", "raise GeneratorExit()",
    "import os\nos._exit(3)",
])
def test_what_student_code_raises_during_a_test_fails_only_that_test(tmp_path, zygote, hostile):
    source = exercise(tmp_path, "import math", "def f():\n    return 1",
                      ["assert f() == 1", "hidden:assert f() + 1 == 2"])
    answer = "def f():\n" + "\n".join("    " + line for line in hostile.splitlines())
    result = grade(source, tmp_path, answer, zygote=zygote)
    assert result.points == 0
    assert result.status in ("graded", "error"), result.reason


def test_pytest_failures_are_test_failures_not_crashes(tmp_path, zygote):
    source = exercise(tmp_path, "import math", "def check(x):\n    if x < 0:\n        raise ValueError('neg')\n    return x",
                      ["import pytest\nwith pytest.raises(ValueError):\n    check(-1)",
                       "hidden:import pytest\npytest.fail('always fails')"])
    result = grade(source, tmp_path, "def check(x):\n    return x", zygote=zygote)
    assert result.status == "graded" and result.points == 0
    assert "DID NOT RAISE" in result.questions[0].feedback


def test_a_test_cell_may_use_ipython_syntax_and_display(tmp_path, zygote):
    source = exercise(tmp_path, "import math", "def f():\n    return 1",
                      ["%matplotlib inline\ndisplay(f())\nassert f() == 1", "hidden:assert f() + 1 == 2"])
    result = grade(source, tmp_path, "def f():\n    return 1", zygote=zygote)
    assert result.points == 2, result.questions[0].feedback


def test_a_path_the_student_returns_opens_nothing_of_the_graders(tmp_path, zygote):
    """The test runs in the grader: a path from the student's code must not reach the grader's files
    (a classmate's notebook, the gradebook, the sources) through the test's ``open`` or ``print``."""
    secret = tmp_path / "elsewhere" / "gradebook-notes.txt"
    secret.parent.mkdir()
    secret.write_text("TOPSECRET-42")
    source = exercise(tmp_path, "import os",
                      "def save(text):\n    with open('out.txt', 'w') as f:\n        f.write(text)\n    return 'out.txt'",
                      ["p = save('hi')\nprint(open(p).read())\nassert open(p).read() == 'hi', open(p).read()",
                       "import tempfile\nwith tempfile.NamedTemporaryFile('w', delete=False) as f:\n    f.write('x')\n"
                       "assert open(f.name).read() == 'x'"])
    honest = grade(source, tmp_path, "def save(text):\n    with open('out.txt', 'w') as f:\n        f.write(text)\n"
                   "    return 'out.txt'", zygote=zygote)
    assert honest.points == 2, honest.questions[0].feedback
    result = grade(source, tmp_path, f"def save(text):\n    return {str(secret)!r}", zygote=zygote)
    shown = result.questions[0].feedback + result.output + repr(result.questions[0].tests)
    assert result.points == 1 and "TOPSECRET" not in shown, shown
    assert "may open only the files of its work folder" in result.questions[0].feedback


def test_a_test_starts_no_program(tmp_path, zygote):
    """A program started by the test would run with the grader's rights: refused, the test fails."""
    source = exercise(tmp_path, "import os", "def name():\n    return 'ls'",
                      ["import subprocess\nsubprocess.run([name()], check=True)"], points=1)
    result = grade(source, tmp_path, "def name():\n    return 'ls'", zygote=zygote)
    assert result.points == 0 and "may not start programs" in result.questions[0].feedback


def test_a_students_cell_cannot_replace_a_tests_helper(tmp_path, zygote):
    """Later tests read the student's value of a name an earlier test bound only when the source's
    answers bind that name too (``result`` below): a test's own helper (``close_enough``) stays the
    test's, though in one kernel namespace a student cell could redefine it."""
    cells = [nbformat.v4.new_markdown_cell("<!-- QUESTION id=q1 points=1 -->\nArea."),
             nbformat.v4.new_code_cell("# BEGIN SOLUTION\ndef area(r):\n    return 3.14159 * r * r\n# END SOLUTION"),
             nbformat.v4.new_code_cell("# TEST\ndef close_enough(a, b):\n    return abs(a - b) < 1e-3\n"
                                       "result = area(1)\nassert close_enough(result, 3.14159)"),
             nbformat.v4.new_markdown_cell("<!-- QUESTION id=q2 points=1 -->\nStore the area of a circle of radius 2 in `result`."),
             nbformat.v4.new_code_cell("# BEGIN SOLUTION\nresult = area(2)\n# END SOLUTION"),
             nbformat.v4.new_code_cell("# TEST\nassert close_enough(result, 12.566)")]
    path = tmp_path / "source" / "set.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(path))
    source = load_source(path)

    def graded(second_answer):
        nb = nbformat.read(str(path), as_version=4)
        nb.cells = [c for c in nb.cells if not c.source.startswith("# TEST")]
        nb.cells[1].source, nb.cells[3].source = "def area(r):\n    return 3.14159 * r * r", second_answer
        submitted = tmp_path / "submitted" / "set.ipynb"
        submitted.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(submitted))
        result = grade_submission(source, Submission("s", submitted), zygote, Limits(question_seconds=10.0))
        return {q.question: q.points for q in result.questions}, [q.feedback for q in result.questions]

    honest = graded("result = area(2)")
    assert honest[0] == {"q1": 1, "q2": 1}, honest[1]  # the test's own `result` gave way
    cheat = graded("def close_enough(a, b):\n    return True\nresult = 0")
    assert cheat[0] == {"q1": 1, "q2": 0}, cheat[1]


def test_a_module_the_student_writes_runs_only_in_its_process(tmp_path, zygote):
    """A test's ``import tools`` of a module the student wrote gets a handle: its functions run in
    the student's process, never in the grader; a file named like a library (``pandas.py``) is
    never what the test's ``import pandas`` finds."""
    writes = ("with open('tools.py', 'w') as handle:\n"
              "    handle.write('import os\\ndef where():\\n    return os.getpid()\\n')\n"
              "with open('pandas.py', 'w') as handle:\n"
              "    handle.write('FAKE = True\\n')\n"
              "def double(x):\n    return 2 * x")
    source = exercise(tmp_path, "import math", "def double(x):\n    return 2 * x",
                      ["import os\nfrom tools import where\nassert where() != os.getpid()\nimport tools\n"
                       "assert tools.where() == where()",
                       "import pandas\nassert not hasattr(pandas, 'FAKE') and hasattr(pandas, 'DataFrame')"])
    result = grade(source, tmp_path, writes, zygote=zygote)
    assert result.points == 2, result.questions[0].feedback


def test_an_enum_is_rebuilt_in_the_grader_only_from_plain_names_and_values():
    """A student's enum of plain values crosses as data and is made again here with the standard
    library's code; a description that is anything else is refused (the class stays a handle)."""
    from coursekit.grading.remote import _rebuilt_enum
    grade_enum = _rebuilt_enum("Grade", "__main__", "Grade", {"base": "IntEnum", "type": None,
                                                               "members": [["LOW", 1], ["HIGH", 3]]})
    assert grade_enum.HIGH == 3 and [m.name for m in grade_enum] == ["LOW", "HIGH"] and grade_enum(1) is grade_enum.LOW
    color = _rebuilt_enum("Color", "__main__", "Color", {"base": "Enum", "type": "str", "members": [["RED", "red"]]})
    assert color.RED == "red" and isinstance(color.RED, str)
    for spec in ({"base": "EnumMeta", "members": [["A", 1]]}, {"base": "Enum", "members": [["__class__", 1]]},
                 {"base": "Enum", "members": [["_hidden", 1]]}, {"base": "Enum", "members": [["A B", 1]]},
                 {"base": "Enum", "members": [["A", [1, 2]]]}, {"base": "Enum", "members": [["A", {"x": 1}]]},
                 {"base": "Enum", "type": "object", "members": [["A", 1]]}, {"base": "Enum", "members": []},
                 {"base": "IntEnum", "members": [["A", "not a number"]]}, {"base": "Enum", "members": [["A", 10 ** 200]]},
                 {"base": "Enum", "members": "A"}):
        assert _rebuilt_enum("Bad", "__main__", "Bad", spec) is None, spec


def test_a_logged_record_makes_no_logger_and_formats_nothing_in_the_grader():
    """Records the student's process reports are handled by loggers the grader already has (the
    nearest parent of the name), never by new ones, and their text is taken as it is."""
    import logging

    from coursekit.grading.remote import log_again
    captured = []

    class Keep(logging.Handler):
        def emit(self, record):
            captured.append((record.name, record.levelno, record.getMessage()))

    parent = logging.getLogger("coursekit-test-parent")
    keep = Keep()
    parent.addHandler(keep)
    try:
        before = set(logging.Logger.manager.loggerDict)
        log_again({"name": "coursekit-test-parent.child.deeper", "level": 30, "message": "%s %(x)s"})
        log_again({"name": "coursekit-test-parent", "level": 10 ** 9, "message": "capped level"})
        log_again({"name": "coursekit-test-parent", "level": "30", "message": "not a level"})
        log_again(["not", "a", "record"])
        assert set(logging.Logger.manager.loggerDict) == before
        assert captured == [("coursekit-test-parent.child.deeper", 30, "%s %(x)s"),
                            ("coursekit-test-parent", 100, "capped level")]
    finally:
        parent.removeHandler(keep)


def test_the_students_code_reads_only_the_test_names_the_answers_read(tmp_path, zygote):
    """A test's ``SCALE = 10`` reaches the student's code when the source's answer reads SCALE, as
    in one kernel namespace; a name only a test uses (a hidden test's ``expected``) never does."""
    source = exercise(tmp_path, "SCALE = 1", "def scaled(x):\n    return x * SCALE",
                      ["SCALE = 3\nassert scaled(2) == 6", "hidden:SCALE = 10\nexpected = 70\nassert scaled(7) == expected"])
    assert grade(source, tmp_path, "def scaled(x):\n    factor = SCALE\n    return factor * x", zygote=zygote).points == 2
    peek = "def scaled(x):\n    return globals().get('expected', 0)"  # the hidden test's answer, if it could see it
    result = grade(source, tmp_path, peek, zygote=zygote)
    assert result.points == 0, result.questions[0].feedback


@pytest.mark.parametrize("load", [
    "import pickle\nwith open('model.pkl', 'rb') as f:\n    loaded = pickle.load(f)",
    "import pickle\nloaded = pickle.loads(open('model.pkl', 'rb').read())",
    "import joblib\nloaded = joblib.load('model.pkl')",
    "loaded = pd.read_pickle('model.pkl')",
    # plain data only, in the grader: anything naming a function or class is refused
    "import pickle\nwith open('model.pkl', 'rb') as f:\n    loaded = pickle.Unpickler(f).load()",
])
def test_a_pickle_the_student_wrote_never_runs_in_the_grader(tmp_path, zygote, load):
    """A test that loads the model the student saved unpickles it in the student's process: a
    pickle whose loading runs code (here: marking the grader's guard module, and passing) does so
    only there. Any other way of unpickling in a test is refused."""
    import coursekit.grading.guard as guard
    source = exercise(tmp_path, "import pandas as pd", "import pickle\npickle.dump({'weights': [1, 2]}, open('model.pkl', 'wb'))",
                      [load + "\nassert loaded == {'weights': [1, 2]}"])
    assert grade(source, tmp_path, "import pickle\nwith open('model.pkl', 'wb') as f:\n    pickle.dump({'weights': [1, 2]}, f)",
                 zygote=zygote).points == 2
    evil = ("import pickle\nclass Evil:\n    def __reduce__(self):\n"
            "        return (exec, (\"import coursekit.grading.guard as g\\ng.PWNED = True\\n"
            "import builtins\\nbuiltins.AssertionError = type('Never', (Exception,), {})\",))\n"
            "pickle.dump(Evil(), open('model.pkl', 'wb'))")
    result = grade(source, tmp_path, evil, zygote=zygote)
    assert result.points == 0, result.questions[0].feedback
    assert not hasattr(guard, "PWNED")


def test_a_thread_a_test_starts_is_held_to_its_folder_and_waits_its_turn(tmp_path, zygote):
    """A test's thread pool calls the student's function from several threads: the requests take
    turns (they did not, and a thread waited forever on a reply another had read), and a path
    the student's code returns opens nothing of the grader's from those threads either."""
    secret = tmp_path / "elsewhere" / "gradebook-notes.txt"
    secret.parent.mkdir()
    secret.write_text("TOPSECRET-42")
    source = exercise(tmp_path, "import os", "def square(x):\n    return x * x\ndef where():\n    return 'out.txt'",
                      ["from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(4) as pool:\n"
                       "    assert list(pool.map(square, range(30))) == [i * i for i in range(30)]",
                       "from concurrent.futures import ThreadPoolExecutor\nopen('out.txt', 'w').write('ok')\n"
                       "with ThreadPoolExecutor(1) as pool:\n    assert pool.submit(lambda: open(where()).read()).result() == 'ok'"])
    honest = grade(source, tmp_path, "def square(x):\n    return x ** 2\ndef where():\n    return 'out.txt'", zygote=zygote)
    assert honest.points == 2, honest.questions[0].feedback
    result = grade(source, tmp_path, f"def square(x):\n    return x ** 2\ndef where():\n    return {str(secret)!r}",
                   zygote=zygote)
    shown = result.questions[0].feedback + result.output + repr(result.questions[0].tests)
    assert result.points == 1 and "TOPSECRET" not in shown, shown
    assert "may open only the files of its work folder" in result.questions[0].feedback


@pytest.mark.parametrize("shown, points", [("0.5", 0.5), ("0", 0.0), ("2", 2.0), ("2.5", 0.0), ("-1", 2.0),
                                           ("nan", 2.0), ("inf", 0.0), ("'0.5'", 2.0), ("True", 2.0),
                                           ("np.float64(0.5)", 2.0), ("[0.5]", 2.0)])
def test_a_test_cells_displayed_value_scores_as_nbgrader_reads_it(shown, points):
    """nbgrader's partial credit: a number from 0 to the cell's points (2 here) is the score;
    anything else, or a negative number, full points; more than the points, none (nbgrader stops
    with an error there). A student's value a test displays scores no better than the same number would."""
    from coursekit.grading.grade import nbgrader_partial_credit
    assert nbgrader_partial_credit(shown, 2.0) == points
