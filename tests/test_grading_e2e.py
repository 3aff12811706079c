"""End to end: the coursekit command grading real notebooks in real child processes."""
from __future__ import annotations

import copy
import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.exercise.release import student_notebook

GOOD = {"q1": "total = 55", "q2": "def double(x):\n    return 2 * x", "q3": "squares = [0, 1, 4, 9, 16]"}


def coursekit(*args, check=True, timeout=300, ok=(0,)) -> subprocess.CompletedProcess:
    """Run the command line; ``ok`` are the exit codes expected (1: some submission needs a look)."""
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", *map(str, args)], capture_output=True,
                            text=True, timeout=timeout)
    if check:
        assert result.returncode in ok, result.stderr
    return result


def answered(assignment, answers: dict) -> nbformat.NotebookNode:
    nb = student_notebook(assignment)
    for cell in nb.cells:
        meta = cell.metadata.get("coursekit", {})
        if meta.get("role") == "solution" and meta.get("question") in answers:
            cell.source = answers[meta["question"]]
    return nb


def write(nb, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def rows(gradebook: Path, table: str) -> list[tuple]:
    with sqlite3.connect(gradebook) as db:
        return sorted(db.execute(f"SELECT * FROM {table}").fetchall())


def small_class(basic, subs: Path) -> Path:
    """Five students: right, one slip, a crash in q2, untouched, not a notebook (6, 5, 3, 0, 0 points)."""
    write(answered(basic, GOOD), subs / "ana.ipynb")
    write(answered(basic, {**GOOD, "q1": "total = 50"}), subs / "ben.ipynb")
    write(answered(basic, {**GOOD, "q2": "def double(x):\n    return 1 / 0"}), subs / "cleo.ipynb")
    write(answered(basic, {}), subs / "dan.ipynb")
    (subs / "eli.ipynb").write_text("{not json")
    return subs


def totals(gradebook: Path) -> dict:
    with sqlite3.connect(gradebook) as db:
        return dict(db.execute("SELECT student, points FROM submissions").fetchall())


def recorded_so_far(gradebook: Path) -> dict:
    """Totals of a gradebook another process is writing; empty until it has created its tables."""
    if not gradebook.exists():
        return {}
    try:
        return totals(gradebook)
    except sqlite3.OperationalError:
        return {}


def test_grade_export_report(basic, basic_source, tmp_path):
    subs = small_class(basic, tmp_path / "subs")
    gradebook = tmp_path / "grades.sqlite"
    result = coursekit("grade", basic_source, subs, "--gradebook", gradebook, check=False)
    assert result.returncode == 1, result.stderr  # eli's file is not a notebook: a row that needs a look
    assert "5 graded" in result.stdout
    assert totals(gradebook) == {"ana": 6, "ben": 5, "cleo": 3, "dan": 0, "eli": 0}
    with sqlite3.connect(gradebook) as db:
        status = dict(db.execute("SELECT student, status FROM submissions").fetchall())
        feedback = db.execute("SELECT feedback FROM results WHERE student='cleo' AND question='q2'").fetchone()[0]
    assert status["eli"] == "invalid" and status["ana"] == "graded"
    assert "ZeroDivisionError" in feedback

    out = tmp_path / "grades.csv"
    coursekit("export", "--gradebook", gradebook, "--format", "csv", "--out", out)
    with open(out) as handle:
        table = list(csv.DictReader(handle))
    assert list(table[0])[:6] == ["student", "assignment", "question", "points", "max_points", "status"]
    assert {"submission_status", "reason"} <= set(table[0])
    assert len(table) == 15
    lms = tmp_path / "lms.csv"
    coursekit("export", "--gradebook", gradebook, "--format", "lms", "--out", lms)
    lines = list(csv.reader(open(lms)))
    assert lines[0][:3] == ["Student", "ID", "SIS User ID"] and lines[1][0] == "Points Possible"
    assert {line[0]: line[5] for line in lines[2:]}["ben"] == "5"

    report = tmp_path / "report"
    coursekit("report", "--gradebook", gradebook, "--out", report)
    assert (report / "index.html").exists() and len(list((report / "students").glob("*.html"))) == 5
    assert len(list(report.glob("*.png"))) == 2
    assert "add the numbers 1 to 10" not in (report / "students" / "basic--ben.html").read_text()


def test_nbgrader_layout_and_all_or_nothing(nbgrader_source, tmp_path):
    assignment = load_source(nbgrader_source)
    base = student_notebook(assignment)

    def submit(student, squares, mean):
        nb = copy.deepcopy(base)
        for cell in nb.cells:
            gid = cell.metadata.get("nbgrader", {}).get("grade_id")
            if gid == "squares":
                cell.source = squares
            if gid == "mean_square":
                cell.source = mean
        write(nb, tmp_path / "submitted" / student / "squares" / "squares.ipynb")

    right_squares = "def squares(n):\n    return [i ** 2 for i in range(1, n + 1)]"
    right_mean = "def mean_square(n):\n    return sum(squares(n)) / n"
    submit("correct", right_squares, right_mean)
    submit("wrong", "def squares(n):\n    return [1, 4][:n]", right_mean)   # visible pass, hidden fail
    submit("crashing", "def squares(n):\n    raise RuntimeError('oops')", "import os\nos._exit(1)")
    submit("partial", right_squares, "def mean_square(n):\n    return 0.0")
    gradebook = tmp_path / "gb.sqlite"
    coursekit("grade", nbgrader_source, tmp_path / "submitted", "--gradebook", gradebook, ok=(1,))  # one crashed
    assert totals(gradebook) == {"correct": 3, "wrong": 0, "crashing": 0, "partial": 2}


def test_regrading_replaces_and_skips(basic, basic_source, tmp_path):
    sub = write(answered(basic, GOOD), tmp_path / "subs" / "ana.ipynb")
    gradebook = tmp_path / "gb.sqlite"
    coursekit("grade", basic_source, sub, "--gradebook", gradebook)
    first = rows(gradebook, "results")
    again = coursekit("grade", basic_source, sub, "--gradebook", gradebook)
    assert "1 skipped" in again.stdout and rows(gradebook, "results") == first
    coursekit("grade", basic_source, sub, "--gradebook", gradebook, "--force")
    assert len(rows(gradebook, "results")) == 3
    write(answered(basic, {**GOOD, "q3": "squares = []"}), sub)
    coursekit("grade", basic_source, sub, "--gradebook", gradebook)
    assert totals(gradebook) == {"ana": 5} and len(rows(gradebook, "results")) == 3


def _class(basic, folder: Path, n: int) -> None:
    slow = {**GOOD, "q1": "import time\ntime.sleep(0.3)\ntotal = 55"}
    for i in range(n):
        write(answered(basic, slow if i % 3 else {**slow, "q3": "squares = [1]"}), folder / f"s{i:02d}.ipynb")


def test_sigkill_mid_run_loses_nothing(basic, basic_source, tmp_path):
    _class(basic, tmp_path / "subs", 16)
    reference = tmp_path / "reference.sqlite"
    coursekit("grade", basic_source, tmp_path / "subs", "--gradebook", reference)
    gradebook = tmp_path / "killed.sqlite"
    process = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source),
                                str(tmp_path / "subs"), "--gradebook", str(gradebook), "--workers", "1"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(recorded_so_far(gradebook)) >= 3:
            break
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    recorded = totals(gradebook)
    assert 3 <= len(recorded) < 16
    with sqlite3.connect(gradebook) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    resumed = coursekit("grade", basic_source, tmp_path / "subs", "--gradebook", gradebook)
    assert f"{len(recorded)} skipped" in resumed.stdout
    assert totals(gradebook) == totals(reference)
    strip = lambda table: [r[:-2] for r in table]  # drop timing and date columns
    assert strip(rows(gradebook, "submissions")) == strip(rows(reference, "submissions"))
    assert rows(gradebook, "results") == rows(reference, "results")


def test_two_graders_share_one_gradebook(basic, basic_source, tmp_path):
    _class(basic, tmp_path / "a", 6)
    _class(basic, tmp_path / "b", 6)
    for path in (tmp_path / "b").iterdir():
        path.rename(path.with_name("b" + path.name))
    gradebook = tmp_path / "gb.sqlite"
    procs = [subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source), str(tmp_path / d),
                               "--gradebook", str(gradebook)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for d in ("a", "b")]
    for proc in procs:
        assert proc.wait(timeout=120) == 0, proc.stderr.read()
    assert len(totals(gradebook)) == 12 and len(rows(gradebook, "results")) == 36


@pytest.mark.parametrize("args, message", [
    (["grade", "nope.ipynb", "x", "--gradebook", "g.sqlite"], "nope.ipynb: file not found"),
    (["validate", "missing-folder/"], "missing-folder: file not found"),
    (["export", "--gradebook", "none.sqlite", "--out", "x.csv"], "none.sqlite: no such gradebook"),
])
def test_user_mistakes_are_one_line(args, message, tmp_path):
    result = subprocess.run([sys.executable, "-m", "coursekit.cli", *args], capture_output=True, text=True,
                            cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_validate_reports_unsound_sources(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("<!-- QUESTION id=q1 points=1 -->\nSet x."),
                nbformat.v4.new_code_cell("x = 2  # SOLUTION"),
                nbformat.v4.new_code_cell("# TEST\nassert True"),
                nbformat.v4.new_code_cell("# TEST\nassert x == 3, 'x should be 3'")]
    path = write(nb, tmp_path / "unsound" / "unsound.ipynb")
    result = coursekit("validate", path, check=False)
    assert result.returncode == 1
    assert "has no hidden test" in result.stderr
    assert "reference solution earns 0.5/1" in result.stderr
    assert "blank student version already earns" in result.stderr
    assert f"{path}: cell 1 (question q1)" in result.stderr


def test_student_check_runs_visible_tests_only(basic, released, capsys):
    from coursekit.student.check import check
    folder = released["student"].parent
    namespace = {"total": 54}
    result = eval("check('q1', folder)", {"check": check, "folder": folder, **namespace})
    assert result.passed  # the visible test only checks the type; the hidden one is not there
    result = eval("check('q3', folder)", {"check": check, "folder": folder, "squares": [1, 2]})
    assert not result.passed and "five squares" in repr(result)
    assert "Traceback" not in repr(result) and "coursekit" not in repr(result)


def _named(name: str) -> list[int]:
    found = []
    for entry in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        if stat[stat.index("(") + 1:stat.rindex(")")] == name and stat.rsplit(")", 1)[1].split()[0] != "Z":
            found.append(int(entry))
    return found


def test_killed_grader_leaves_no_student_process(basic, basic_source, tmp_path):
    sleeper = "import ctypes, time\nctypes.CDLL(None).prctl(15, b'ckorphan', 0, 0, 0)\ntime.sleep(60)\ntotal = 55"
    sub = write(answered(basic, {**GOOD, "q1": sleeper}), tmp_path / "subs" / "ana.ipynb")
    process = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source), str(sub),
                                "--gradebook", str(tmp_path / "gb.sqlite"), "--question-timeout", "120"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 30
    while not _named("ckorphan") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _named("ckorphan"), "the student process never started"
    process.kill()  # the grader alone, as the OOM killer or a careless kill -9 would
    process.wait()
    deadline = time.monotonic() + 5
    while _named("ckorphan") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _named("ckorphan") == []
