"""The gradebook's own rules, without grading: migration of old gradebooks (SQLite and PostgreSQL),
manual grades that survive re-grading only while the answer is unchanged, late penalties, formula-safe
cells, distinct page names, and a progress line that never says "0 s left" while work is running."""
from __future__ import annotations

import io
import sqlite3
from types import SimpleNamespace

import pytest

from coursekit.gradebook import late
from coursekit.gradebook.export import safe_cell
from coursekit.gradebook.feedback import page_name, safe_name
from coursekit.gradebook.store import Gradebook, open_gradebook
from coursekit.grading.evaluate import TestOutcome as Outcome
from coursekit.grading.grade import QuestionResult, SubmissionResult
from coursekit.progress import Progress

OLD_SCHEMA = """
CREATE TABLE submissions (student TEXT NOT NULL, assignment TEXT NOT NULL, path TEXT NOT NULL, digest TEXT NOT NULL,
    status TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', points REAL NOT NULL, max_points REAL NOT NULL,
    seconds REAL NOT NULL, graded_at TEXT NOT NULL, PRIMARY KEY (student, assignment));
CREATE TABLE results (student TEXT NOT NULL, assignment TEXT NOT NULL, question TEXT NOT NULL,
    position INTEGER NOT NULL, points REAL NOT NULL, max_points REAL NOT NULL, status TEXT NOT NULL,
    feedback TEXT NOT NULL DEFAULT '', PRIMARY KEY (student, assignment, question));
INSERT INTO submissions VALUES ('ana', 'basic', 'ana.ipynb', 'd1', 'graded', '', 5, 6, 0.5, '2026-01-01T10:00:00');
INSERT INTO submissions VALUES ('ben', 'basic', 'ben.ipynb', 'd2', 'invalid', 'not JSON', 0, 6, 0.1, '2026-01-01T10:00:01');
INSERT INTO results VALUES ('ana', 'basic', 'q1', 0, 2, 2, 'passed', 'ok');
INSERT INTO results VALUES ('ana', 'basic', 'q2', 1, 3, 4, 'partial', 'q2 failed');
"""


def _check_migrated(gradebook) -> None:
    subs = {s["student"]: s for s in gradebook.submissions()}
    assert set(subs) == {"ana", "ben"} and subs["ana"]["points"] == 5 and subs["ana"]["notebook"] == ""
    assert subs["ben"]["status"] == "invalid" and subs["ben"]["reason"] == "not JSON"
    assert [(r["question"], r["points"], r["feedback"]) for r in gradebook.results()] == \
        [("q1", 2, "ok"), ("q2", 3, "q2 failed")]
    gradebook.record(result("cleo", "the answer"))
    assert len(gradebook.submissions()) == 3 and gradebook.check() == "ok"


def result(student: str, answer: str, points: float = 2.0) -> SubmissionResult:
    return SubmissionResult(student, "basic", f"/nowhere/{student}.ipynb", "digest", "graded", "", [
        QuestionResult("q1", points, 2.0, "passed", "q1 visible passed",
                       [Outcome("q1 visible", False, True, "", 1.0), Outcome("q1 hidden", True, True, "", 1.0)]),
        QuestionResult("essay", 0.0, 3.0, "needs_grading", "waiting for your instructor to grade it", [], answer)])


def test_old_sqlite_gradebook_is_migrated_in_place(tmp_path):
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
    gradebook = open_gradebook(path)
    _check_migrated(gradebook)
    gradebook.close()
    again = open_gradebook(path)  # opening a migrated gradebook changes nothing
    assert len(again.submissions()) == 3
    again.close()


def test_old_postgres_gradebook_is_migrated_in_place(pg_url):
    psycopg = pytest.importorskip("psycopg")
    with psycopg.connect(pg_url, autocommit=True) as db:
        for statement in filter(str.strip, OLD_SCHEMA.replace(" REAL ", " DOUBLE PRECISION ").split(";")):
            db.execute(statement)
    gradebook = open_gradebook(pg_url)
    _check_migrated(gradebook)
    gradebook.close()


def test_manual_grade_applies_only_while_the_answer_is_unchanged(tmp_path):
    gradebook = Gradebook(tmp_path / "gb.sqlite")
    gradebook.record(result("ana", "first answer"), submitted_at="")
    assert gradebook.submissions()[0]["status"] == "needs_grading" and gradebook.submissions()[0]["max_points"] == 5
    row = gradebook.set_manual("ana", "basic", "essay", 2.5, "good")
    assert row["status"] == "manual" and row["points"] == 2.5
    gradebook.record(result("ana", "first answer"), submitted_at="")  # graded again, same answer: kept
    assert gradebook.submissions()[0]["points"] == 4.5 and gradebook.submissions()[0]["status"] == "graded"
    gradebook.record(result("ana", "a new answer"), submitted_at="")
    essay = [r for r in gradebook.results() if r["question"] == "essay"][0]
    assert essay["status"] == "needs_grading" and essay["points"] == 0 and "changed" in essay["feedback"]
    with pytest.raises(Exception, match="graded by its tests"):
        gradebook.set_manual("ana", "basic", "q1", 1, "")
    stored = gradebook.results()[0]["tests"]
    assert [t["hidden"] for t in stored] == [False, True]  # what tests said, stored once


@pytest.mark.parametrize("policy, submitted, expected", [
    ("none", "2026-03-04T12:00:00+00:00", (3, 0.0)),
    ("percent-per-day:10", "2026-03-01T23:59:00+00:00", (0, 0.0)),
    ("percent-per-day:10", "2026-03-02T00:30:00+00:00", (1, 1.0)),
    ("percent-per-day:25", "2026-03-10T00:00:00+00:00", (8, 10.0)),
    ("zero-after:2026-03-03T00:00+00:00", "2026-03-02T12:00:00+00:00", (1, 0.0)),
    ("zero-after:2026-03-03T00:00+00:00", "2026-03-03T00:00:01+00:00", (2, 10.0)),
])
def test_late_penalties(policy, submitted, expected):
    parsed = late.parse_policy(policy)
    assert parsed.penalty(10.0, submitted, "2026-03-02T00:00:00+00:00") == expected
    assert late.parse_policy(str(parsed)) == parsed


def test_bad_policies_and_times_say_what_is_expected():
    for text in ("percent-per-day:0", "percent-per-day:x", "zero-after", "sometimes"):
        with pytest.raises(late.PolicyError, match="expected"):
            late.parse_policy(text)
    with pytest.raises(late.PolicyError, match="not a date and time"):
        late.parse_time("next friday")
    assert late.iso(late.parse_time("2026-03-01 12:00:00.123456 UTC")) == "2026-03-01T12:00:00+00:00"


def test_formula_cells_and_page_names():
    assert [safe_cell(v) for v in ("=1+1", "+SUM(1)", "-2+3", "@cmd", "\tx", "\rx", "-1.5", 2.0, "ann")] == \
        ["'=1+1", "'+SUM(1)", "'-2+3", "'@cmd", "'\tx", "'\rx", "-1.5", "2", "ann"]
    names = {safe_name(s) for s in ("ann lee", "ann_lee", "ann/lee", "Ann lee", "..", "ann~lee")}
    assert len(names) == 6 and safe_name("ann_lee") == "ann_lee"
    assert all("/" not in n and not n.startswith(".") for n in names)
    assert page_name("basic", "ann lee") != page_name("basic", "ann_lee")


def test_progress_waits_instead_of_counting_down_to_zero():
    progress = Progress(io.StringIO())
    progress.start(6, workers=1, limit=30)
    assert progress.left().startswith("estimating")
    for i in range(5):
        progress.advance(SimpleNamespace(student=f"s{i}", status="graded", seconds=0.1, points=1.0,
                                         questions=[SimpleNamespace(max_points=1.0)]))
    progress.last -= 12  # the sixth has been running for 12 s
    text = progress.left()
    assert "0 s left" not in text and "waiting for 1 running submission(s), 12 s so far" in text
    assert "each stops within 30 s" in text
    progress.advance(SimpleNamespace(student="s5", status="timeout", reason="time limit reached in q1",
                                     seconds=30, points=0.0, questions=[]))
    progress.finish()
    assert "problem: s5: timeout: time limit reached in q1" in progress.stream.getvalue()


from test_gradebook_postgres import pg_url, postgres_server  # noqa: E402,F401  (the PostgreSQL fixtures)
