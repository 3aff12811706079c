"""Manual grading end to end: an nbgrader manually graded answer, graded in the review page in Chromium.

``coursekit grade`` records the answer as ``needs_grading`` (its points count in the maximum);
``coursekit review`` runs as a real child process on 127.0.0.1; Playwright drives Debian's
Chromium (as tests/test_browser.py does) with the keyboard only, offline; the points and the
comment land in the gradebook at once and show in exports and feedback. Students' markdown is
rendered with nothing of theirs able to run.
"""
from __future__ import annotations

import copy
import csv
import json
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.exercise.release import student_notebook
from test_grading_e2e import coursekit, write

sync_api = pytest.importorskip("playwright.sync_api")
HOSTILE = ("**Because** `range(1, 1)` is empty.\n\n<script>window.pwned = 1</script>\n\n"
           "<img src=x onerror=\"window.pwned = 2\">\n\n[click me](javascript:window.pwned=3)")


def manual_source(folder: Path) -> Path:
    """The squares fixture plus a markdown answer worth 2 points that a person grades."""
    nb = nbformat.read(Path(__file__).parent / "fixtures" / "nbgrader" / "squares.ipynb", 4)
    cell = nbformat.v4.new_markdown_cell("Explain why `squares(0)` is empty.\n\n### BEGIN SOLUTION\n"
                                         "Because range(1, 1) is empty.\n### END SOLUTION")
    cell.metadata["nbgrader"] = {"grade": True, "solution": True, "points": 2, "grade_id": "explain",
                                 "locked": False, "schema_version": 3}
    nb.cells.append(cell)
    path = folder / "squares" / "squares.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(nb, str(path))
    return path


def submit(assignment, folder: Path, student: str, explanation: str) -> None:
    nb = copy.deepcopy(student_notebook(assignment))
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "squares":
            cell.source = "def squares(n):\n    return [i * i for i in range(1, n + 1)]"
        if gid == "mean_square":
            cell.source = "def mean_square(n):\n    return sum(squares(n)) / n"
        if gid == "explain":
            cell.source = explanation
    write(nb, folder / student / "squares" / "squares.ipynb")


@pytest.fixture
def graded(tmp_path):
    source = manual_source(tmp_path / "source")
    assignment = load_source(source)
    submit(assignment, tmp_path / "submitted", "alice", HOSTILE)
    submit(assignment, tmp_path / "submitted", "bob", "Because the range is empty.")
    gradebook = tmp_path / "gb.sqlite"
    coursekit("grade", source, tmp_path / "submitted", "--gradebook", gradebook)
    return gradebook


@pytest.fixture
def review(graded):
    process = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "review", "--gradebook", str(graded),
                                "--port", "0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:\d+/", line)
    assert match, line + process.stderr.read()
    yield match.group(0)
    process.send_signal(signal.SIGINT)
    process.wait(timeout=10)


def rows(gradebook: Path, query: str) -> list[tuple]:
    with sqlite3.connect(gradebook) as db:
        return db.execute(query).fetchall()


def test_manual_answers_count_and_wait_for_grading(graded, tmp_path):
    coursekit("export", "--gradebook", graded, "--out", tmp_path / "grades.csv")
    table = [r for r in csv.DictReader(open(tmp_path / "grades.csv")) if r["question"] == "explain"]
    assert [(r["student"], r["status"], r["max_points"]) for r in table] == \
        [("alice", "needs_grading", "2"), ("bob", "needs_grading", "2")]
    assert all(r["submission_status"] == "needs_grading" for r in table)
    assert rows(graded, "SELECT DISTINCT max_points FROM submissions") == [(5.0,)]


def test_grading_in_the_review_page_with_the_keyboard(graded, review, tmp_path, browser):
    outside = []
    page = browser.new_page()

    def offline(route):
        if route.request.url.startswith(review):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    dialogs = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(review)
    cards = page.locator("section.card")
    assert cards.count() == 2
    alice = cards.nth(0)
    assert alice.locator("strong", has_text="Because").count() == 1  # markdown rendered
    assert "<script>window.pwned = 1</script>" in alice.inner_text()  # raw HTML shown as text
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.evaluate("window.pwned") is None and not dialogs

    # the first ungraded answer has the focus: type, Enter saves and moves on
    page.keyboard.type("1.5")
    page.keyboard.press("Enter")
    sync_api.expect(alice.locator(".state").last).to_have_text("saved: 1.5 / 2")
    bob = cards.nth(1)
    sync_api.expect(bob.locator(".points")).to_be_focused()
    page.keyboard.type("2")
    page.keyboard.press("Tab")
    page.keyboard.type("Clear: <b>well put</b>")
    page.keyboard.press("Control+Enter")
    sync_api.expect(bob.locator(".state").last).to_have_text("saved: 2 / 2")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type("5")  # more than the question is worth: refused, nothing saved
    page.keyboard.press("Enter")
    sync_api.expect(bob.locator(".state").last).to_contain_text("must be between 0 and 2")
    page.reload()
    assert page.locator("section.card .points").nth(0).input_value() == "1.5"
    assert page.locator("section.card .comment").nth(1).input_value() == "Clear: <b>well put</b>"
    page.close()
    assert not outside, f"the review page fetched from outside: {outside}"
    assert sorted(rows(graded, "SELECT student, points, comment FROM manual_grades")) == \
        [("alice", 1.5, ""), ("bob", 2.0, "Clear: <b>well put</b>")]

    # no token, no grade: another web page cannot post to the review server
    request = urllib.request.Request(review + "grade", data=json.dumps({"student": "alice"}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403

    # manual points in exports, reports and feedback
    coursekit("export", "--gradebook", graded, "--format", "canvas", "--out", tmp_path / "canvas.csv")
    lines = list(csv.reader(open(tmp_path / "canvas.csv")))
    assert lines[1][5] == "5" and {r[0]: r[5] for r in lines[2:]} == {"alice": "4.5", "bob": "5"}
    coursekit("feedback", "--gradebook", graded, "--out", tmp_path / "feedback")
    page_text = (tmp_path / "feedback" / "squares--bob.html").read_text()
    assert "Clear: &lt;b&gt;well put&lt;/b&gt;" in page_text and "2 / 2" in page_text
    alice_page = (tmp_path / "feedback" / "squares--alice.html").read_text()
    assert "<script>window" not in alice_page and "&lt;script&gt;" in alice_page


def test_grading_from_the_command_line(graded, tmp_path):
    done = coursekit("review", "--gradebook", graded, "--set", "bob", "explain", "1", "--comment", "too short")
    assert "bob squares explain: 1 / 2 (manual)" in done.stdout
    listed = coursekit("review", "--gradebook", graded, "--list").stdout.splitlines()
    assert "squares\tsquares\talice\texplain\t0\t2\tneeds_grading" in listed
    assert "squares\tsquares\tbob\texplain\t1\t2\tmanual" in listed
    wrong = coursekit("review", "--gradebook", graded, "--set", "bob", "explain", "3", check=False)
    assert wrong.returncode == 2 and "must be between 0 and 2" in wrong.stderr
    auto = coursekit("review", "--gradebook", graded, "--set", "bob", "correct_squares", "1", check=False)
    assert auto.returncode == 2 and "hand-graded question" in auto.stderr
    # a new answer from bob needs grading again; his old grade does not silently apply to it
    source = tmp_path / "source" / "squares" / "squares.ipynb"
    submit(load_source(source), tmp_path / "submitted", "bob", "A longer explanation.")
    coursekit("grade", source, tmp_path / "submitted", "--gradebook", graded)
    listed = coursekit("review", "--gradebook", graded, "--list").stdout.splitlines()
    assert "squares\tsquares\tbob\texplain\t0\t2\tneeds_grading" in listed
