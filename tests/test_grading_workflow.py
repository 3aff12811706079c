"""A term's grading workflow end to end: the coursekit command on real notebooks, in child processes.

Covers issue 13's numbered points: a source edited between two runs, one submission per student
(copies, other assignments, stray files), late submissions under each policy, feedback with and
without hidden detail, problem-first reports, Canvas and Moodle exports; and issue 12's file
rules (links, FIFOs, folders named *.ipynb, the student id, formula cells, distinct page names).
Manual grading in the browser is in test_review_browser.py.
"""
from __future__ import annotations

import csv
import json
import os
import shutil
import sqlite3
import time
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from test_grading_e2e import GOOD, answered, coursekit, totals, write

DAY = 86400


@pytest.fixture
def course(tmp_path, basic_source):
    """A private copy of the basic set (so the test can edit it) and a submissions folder."""
    source = tmp_path / "basic" / "basic.ipynb"
    source.parent.mkdir()
    shutil.copy(basic_source, source)
    return source, load_source(source), tmp_path / "submitted"


def grade(source, subs, gradebook, *extra, code=None):
    result = coursekit("grade", source, subs, "--gradebook", gradebook, *extra, check=False)
    assert result.returncode in ((0, 1) if code is None else (code,)), result.stderr
    return result


def table(path: Path) -> list[dict]:
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def db_rows(gradebook: Path, query: str) -> list[tuple]:
    with sqlite3.connect(gradebook) as db:
        return db.execute(query).fetchall()


# --- 1. a source edited between two runs ------------------------------------------------------------

def test_changed_source_regrades_and_exports_never_mix_versions(course, tmp_path):
    source, basic, subs = course
    write(answered(basic, GOOD), subs / "alice" / "basic.ipynb")
    write(answered(basic, {**GOOD, "q3": "squares = []"}), subs / "bob" / "basic.ipynb")
    gradebook = tmp_path / "gb.sqlite"
    grade(source, subs, gradebook)
    assert totals(gradebook) == {"alice": 6, "bob": 5}

    nb = nbformat.read(source, 4)  # q1 is now worth 4 points instead of 2
    nb.cells[2].source = nb.cells[2].source.replace("points=2", "points=4")
    nbformat.write(nb, str(source))
    again = grade(source, subs, gradebook)
    assert "0 skipped" in again.stdout and "2 graded again because the source changed" in again.stdout
    assert totals(gradebook) == {"alice": 8, "bob": 7}
    assert {r[0] for r in db_rows(gradebook, "SELECT max_points FROM submissions")} == {8.0}

    # a newcomer graded alone with the edited source: alice's and bob's rows, if old, would be stale
    nb.cells[2].source = nb.cells[2].source.replace("points=4", "points=5")
    nbformat.write(nb, str(source))
    write(answered(basic, GOOD), subs / "cleo" / "basic.ipynb")
    grade(source, subs / "cleo", gradebook)
    refused = coursekit("export", "--gradebook", gradebook, "--format", "canvas", "--out", tmp_path / "lms.csv",
                        check=False)
    assert refused.returncode == 2 and "earlier version of the source (alice, bob)" in refused.stderr
    assert not (tmp_path / "lms.csv").exists()
    coursekit("report", "--gradebook", gradebook, "--out", tmp_path / "report")
    index = (tmp_path / "report" / "index.html").read_text()
    assert index.index(">alice<") < index.index(">cleo<") and "stale" in index and "left out of the figures" in index
    grade(source, subs, gradebook)  # grading the whole class again brings everyone to the new version
    coursekit("export", "--gradebook", gradebook, "--format", "canvas", "--out", tmp_path / "lms.csv")
    lines = list(csv.reader(open(tmp_path / "lms.csv")))
    assert lines[1][5] == "9" and {row[0]: row[5] for row in lines[2:]} == {"alice": "9", "bob": "8", "cleo": "9"}


# --- 2. one submission per student, every file accounted for ------------------------------------------

def test_one_notebook_per_student_and_every_file_accounted_for(course, tmp_path):
    source, basic, subs = course
    write(answered(basic, GOOD), subs / "alice" / "basic.ipynb")
    copy = write(answered(basic, {}), subs / "alice" / "basic-Copy1.ipynb")
    os.utime(copy, (time.time() + 60, time.time() + 60))  # the newer file, but not the set's name
    (subs / "alice" / "answer.py").write_text("total = 55\n")
    write(answered(basic, {}), subs / "alice" / "Basic (1).IPYNB")
    write(answered(basic, GOOD), subs / "bob" / "basic" / "basic.ipynb")  # nbgrader layout
    write(answered(basic, {}), subs / "bob" / "other-set" / "other-set.ipynb")  # another assignment's folder
    write(answered(basic, {**GOOD, "q1": "total = 1"}), subs / "cleo" / "Basic (1).IPYNB")  # only a copy
    (subs / "dan").mkdir()
    (subs / "dan" / "basic.py").write_text("total = 55\n")  # no notebook at all
    write(answered(basic, GOOD), subs / "mallory" / "x" / "submitted" / "alice" / "basic" / "basic.ipynb")
    write(answered(basic, {}), subs / "mallory" / "basic.ipynb")
    gradebook = tmp_path / "gb.sqlite"
    first = grade(source, subs, gradebook)
    assert totals(gradebook) == {"alice": 6, "bob": 6, "cleo": 5, "dan": 0, "mallory": 0}
    out = first.stdout
    assert f"not graded: {subs / 'alice' / 'basic-Copy1.ipynb'}: a copy of basic.ipynb" in out
    assert f"not graded: {subs / 'alice' / 'Basic (1).IPYNB'}: a copy of basic.ipynb" in out
    assert f"not graded: {subs / 'alice' / 'answer.py'}: not a notebook" in out
    assert f"{subs / 'bob' / 'other-set' / 'other-set.ipynb'}: in other-set/, not the basic/ folder" in out
    assert "mallory/x/submitted/alice/basic/basic.ipynb: in x/" in out
    status = dict(db_rows(gradebook, "SELECT student, reason FROM submissions WHERE status='invalid'"))
    assert list(status) == ["dan"] and "no notebook handed in (found basic.py)" in status["dan"]
    assert "problem: dan: invalid: no notebook handed in" in first.stderr
    paths = dict(db_rows(gradebook, "SELECT student, path FROM submissions"))
    assert paths["cleo"].endswith("Basic (1).IPYNB") and paths["alice"].endswith("alice/basic.ipynb")
    forced = grade(source, subs, gradebook, "--force")  # the same choice on every run
    assert dict(db_rows(gradebook, "SELECT student, path FROM submissions")) == paths
    assert "5 graded" in forced.stdout


def test_links_fifos_folders_and_scripts_get_invalid_rows(course, tmp_path):
    source, basic, subs = course
    secret = write(answered(basic, GOOD), tmp_path / "elsewhere" / "solution.ipynb")
    (subs / "link").mkdir(parents=True)
    (subs / "link" / "basic.ipynb").symlink_to(secret)
    (subs / "fifo").mkdir()
    os.mkfifo(subs / "fifo" / "basic.ipynb")
    (subs / "folder" / "basic.ipynb").mkdir(parents=True)
    (subs / "script").mkdir()
    (subs / "script" / "basic.ipynb").write_text("import numpy as np\n\ntotal = 55\n\ndef double(x):\n    return 2 * x\n")
    gradebook = tmp_path / "gb.sqlite"
    started = time.monotonic()
    grade(source, subs, gradebook, "--workers", "1", code=1)
    assert time.monotonic() - started < 120  # the FIFO never blocks the run
    reasons = dict(db_rows(gradebook, "SELECT student, reason FROM submissions"))
    assert reasons["link"].startswith("a symbolic link") and reasons["fifo"].startswith("a FIFO")
    assert reasons["folder"].startswith("a folder named like a notebook")
    assert "Python code saved with the .ipynb extension" in reasons["script"] and "File > Save" in reasons["script"]
    assert set(totals(gradebook).values()) == {0}
    # the reason is said once per submission, not repeated on each question row
    assert {r[0] for r in db_rows(gradebook, "SELECT feedback FROM results WHERE student='script'")} == {""}
    coursekit("export", "--gradebook", gradebook, "--out", tmp_path / "grades.csv")
    rows = [r for r in table(tmp_path / "grades.csv") if r["student"] == "script"]
    assert len(rows) == 3 and all(r["submission_status"] == "invalid" for r in rows)
    assert "Python code saved" in rows[0]["reason"]


# --- 5. deadlines and late policies -------------------------------------------------------------------

def test_late_submissions_under_each_policy(course, tmp_path):
    source, basic, subs = course
    deadline = time.time() - 10 * DAY
    for student, late_days in (("early", -1), ("one_day", 0.5), ("three_days", 2.5)):
        path = write(answered(basic, GOOD), subs / student / "basic.ipynb")
        os.utime(path, (deadline + late_days * DAY, deadline + late_days * DAY))
    # nbgrader's timestamp.txt wins over the file's time: written a day before the deadline
    stamped = write(answered(basic, GOOD), subs / "stamped" / "basic" / "basic.ipynb")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S.000000 UTC", time.gmtime(deadline - DAY))
    (stamped.parent / "timestamp.txt").write_text(stamp)
    gradebook = tmp_path / "gb.sqlite"
    when = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(deadline))
    cutoff = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(deadline + 2 * DAY))
    expected = {
        "none": {"early": "6", "one_day": "6", "three_days": "6", "stamped": "6"},
        "percent-per-day:10": {"early": "6", "one_day": "5.4", "three_days": "4.2", "stamped": "6"},
        f"zero-after:{cutoff}": {"early": "6", "one_day": "6", "three_days": "0", "stamped": "6"},
    }
    for policy, points in expected.items():
        result = grade(source, subs, gradebook, "--deadline", when, "--late-policy", policy)
        coursekit("export", "--gradebook", gradebook, "--format", "moodle", "--out", tmp_path / "moodle.csv")
        assert {r["Username"]: r["basic"] for r in table(tmp_path / "moodle.csv")} == points, policy
    assert "4 skipped" in result.stdout  # a new policy needs no re-grading
    coursekit("export", "--gradebook", gradebook, "--out", tmp_path / "grades.csv")
    rows = {r["student"]: r for r in table(tmp_path / "grades.csv")}
    assert rows["three_days"]["late_days"] == "3" and rows["early"]["late_days"] == "0"
    assert rows["stamped"]["submitted_at"].startswith(time.strftime("%Y-%m-%d", time.gmtime(deadline - DAY)))
    coursekit("feedback", "--gradebook", gradebook, "--out", tmp_path / "feedback")
    page = (tmp_path / "feedback" / "basic--three_days.html").read_text()
    assert "3 day(s) late" in page and "6 point(s) deducted" in page
    bad = coursekit("grade", source, subs, "--gradebook", gradebook, "--late-policy", "percent-per-day:x", check=False)
    assert bad.returncode == 2 and "expected percent-per-day:P" in bad.stderr


# --- 4 and 6. feedback, reports and exports -------------------------------------------------------------

def test_feedback_pages_with_and_without_hidden_detail(course, tmp_path):
    source, basic, subs = course
    sneaky = "total = 54\nprint('</pre><script>alert(1)</script>')"
    write(answered(basic, {**GOOD, "q1": sneaky}), subs / "ann lee" / "basic.ipynb")
    write(answered(basic, {**GOOD, "q3": "squares = [1, 2]"}), subs / "ann_lee" / "basic.ipynb")
    write(answered(basic, {**GOOD, "q2": "def double(x):\n    return 1 / 0"}), subs / "+SUM(1+9)" / "basic.ipynb")
    gradebook = tmp_path / "gb.sqlite"
    grade(source, subs, gradebook, "--show-hidden")  # no longer changes what students see
    out = tmp_path / "feedback"
    coursekit("feedback", "--gradebook", gradebook, "--out", out, "--notebooks")
    pages = sorted(p.name for p in out.glob("*.html"))
    assert len(pages) == 3 and "basic--ann_lee.html" in pages  # ann lee gets a page of her own
    spaced = next(p for p in pages if p.startswith("basic--ann_lee~"))
    student = (out / spaced).read_text()
    assert "add the numbers 1 to 10" not in student and "a hidden test" in student  # hidden: verdict only
    assert "<script>alert" not in student
    other = (out / "basic--ann_lee.html").read_text()
    assert "five squares" in other and "squares of 0..4" not in other  # visible message shown, hidden one not
    crash = (out / next(p for p in pages if p.startswith("basic--_SUM"))).read_text()
    assert "ZeroDivisionError" in crash and "double(2) should be 4" in crash  # own error and visible message
    assert "negative numbers too" not in crash
    notebook = nbformat.read(out / spaced.replace(".html", ".ipynb"), 4)
    assert "add the numbers 1 to 10" not in json.dumps(notebook)
    coursekit("feedback", "--gradebook", gradebook, "--out", out, "--instructor")
    instructor = (out / spaced.replace(".html", ".instructor.html")).read_text()
    assert "add the numbers 1 to 10" in instructor and "(hidden)" in instructor
    assert "negative numbers too" in (out / next(p for p in os.listdir(out) if p.startswith("basic--_SUM")
                                                 and p.endswith(".instructor.html"))).read_text()
    # the report's student pages are the student view, and its index links every student, problems first
    coursekit("report", "--gradebook", gradebook, "--out", tmp_path / "report")
    assert "add the numbers 1 to 10" not in (tmp_path / "report" / "students" / spaced).read_text()
    index = (tmp_path / "report" / "index.html").read_text()
    for name in pages:
        assert f"href='students/{name}'" in index
    # formula cells are neutralised in every CSV
    for fmt in ("csv", "canvas", "moodle"):
        coursekit("export", "--gradebook", gradebook, "--format", fmt, "--out", tmp_path / f"{fmt}.csv")
        text = (tmp_path / f"{fmt}.csv").read_text()
        assert "'+SUM(1+9)" in text and "\n+SUM" not in text and ",+SUM" not in text


def test_report_lists_problems_first_and_canvas_roster_fills_ids(course, tmp_path):
    source, basic, subs = course
    write(answered(basic, GOOD), subs / "zoe" / "basic.ipynb")
    write(answered(basic, {**GOOD, "q1": "while True:\n    pass"}), subs / "yan" / "basic.ipynb")
    (subs / "abe").mkdir()
    (subs / "abe" / "basic.ipynb").write_text("{not json")
    gradebook = tmp_path / "gb.sqlite"
    result = grade(source, subs, gradebook, "--question-timeout", "2", "--submission-timeout", "20", code=1)
    assert "problem: abe: invalid: not JSON" in result.stderr and "problem: yan: timeout" in result.stderr
    coursekit("report", "--gradebook", gradebook, "--out", tmp_path / "report")
    index = (tmp_path / "report" / "index.html").read_text()
    assert index.index(">abe<") < index.index(">yan<") < index.index(">zoe<")
    assert "2 needing a look" in index
    roster = tmp_path / "roster.csv"
    roster.write_text("Student,ID,SIS User ID,SIS Login ID,Section\nZoe Park,1001,S-1,zoe,A\nYan Li,1002,S-2,yan,B\n")
    done = coursekit("export", "--gradebook", gradebook, "--format", "canvas", "--roster", roster,
                     "--out", tmp_path / "canvas.csv")
    assert "1 student(s) not in" in done.stderr and "abe" in done.stderr
    lines = list(csv.reader(open(tmp_path / "canvas.csv")))
    rows = {line[3]: line for line in lines[2:]}
    assert rows["zoe"][:5] == ["Zoe Park", "1001", "S-1", "zoe", "A"] and rows["zoe"][5] == "6"
    assert rows["abe"][1] == ""
