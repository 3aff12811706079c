"""The gradebook: one SQLite file, written one submission per transaction.

WAL mode and ``BEGIN IMMEDIATE`` let several graders share a gradebook; a kill at any moment
leaves every committed submission in place, and re-grading a submission replaces its rows.
"""
from __future__ import annotations

import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, assignment)
);
CREATE TABLE IF NOT EXISTS results (
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    question TEXT NOT NULL,
    position INTEGER NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    feedback TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment, question)
);
"""


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written; the message names the file."""


class Gradebook:
    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path)
        try:
            if self.path.parent and not self.path.parent.exists():
                raise GradebookError(f"{self.path}: folder {self.path.parent} does not exist")
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise GradebookError(f"{self.path}: not a usable gradebook ({exc})") from None

    @contextmanager
    def _transaction(self):
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise GradebookError(f"{self.path}: locked by another grader ({exc})") from None
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def recorded_digest(self, student: str, assignment: str) -> str | None:
        row = self._db.execute("SELECT digest FROM submissions WHERE student=? AND assignment=?",
                               (student, assignment)).fetchone()
        return row[0] if row else None

    def record(self, result) -> None:
        """Replace everything recorded for this student and assignment by ``result``, atomically."""
        key = (result.student, result.assignment)
        with self._transaction() as db:
            db.execute("DELETE FROM results WHERE student=? AND assignment=?", key)
            db.execute("DELETE FROM submissions WHERE student=? AND assignment=?", key)
            db.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?)",
                       (*key, result.path, result.digest, result.status, result.reason, result.points,
                        sum(q.max_points for q in result.questions), round(result.seconds, 4),
                        time.strftime("%Y-%m-%dT%H:%M:%S")))
            db.executemany("INSERT INTO results VALUES (?,?,?,?,?,?,?,?)",
                           [(*key, q.question, i, q.points, q.max_points, q.status, q.feedback)
                            for i, q in enumerate(result.questions)])

    def submissions(self, assignment: str | None = None) -> list[dict]:
        query = "SELECT * FROM submissions" + (" WHERE assignment=?" if assignment else "") + \
                " ORDER BY assignment, student"
        return self._rows(query, (assignment,) if assignment else ())

    def results(self, assignment: str | None = None) -> list[dict]:
        query = "SELECT * FROM results" + (" WHERE assignment=?" if assignment else "") + \
                " ORDER BY assignment, student, position"
        return self._rows(query, (assignment,) if assignment else ())

    def _rows(self, query: str, args: tuple) -> list[dict]:
        cursor = self._db.execute(query, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        self._db.close()


def open_gradebook(location: str | Path) -> Gradebook:
    """A gradebook by path (SQLite); refuses what it cannot use with a one-line reason."""
    location = str(location)
    if location.startswith(("postgresql://", "postgres://")):
        raise GradebookError(f"{location}: PostgreSQL gradebooks are not available in this version")
    path = Path(location)
    if path.exists() and path.is_dir():
        raise GradebookError(f"{path}: is a folder, not a gradebook file")
    return Gradebook(path)
