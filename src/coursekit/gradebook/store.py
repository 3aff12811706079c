"""The gradebook: one SQLite file (the default) or a PostgreSQL database, one submission per transaction.

WAL mode and ``BEGIN IMMEDIATE`` let several graders share a SQLite gradebook; PostgreSQL does
the same with row locks for graders on several machines. Either way a kill at any moment leaves
every committed submission in place, and re-grading a submission replaces its rows.
"""
from __future__ import annotations

import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

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


class _Reads:
    """Reading a gradebook, the same in every database; only the query placeholder differs."""

    PARAM = "?"  # subclasses give their database's placeholder and a ``_query(query, args)``

    def recorded_digest(self, student: str, assignment: str) -> str | None:
        row = self._query(f"SELECT digest FROM submissions WHERE student={self.PARAM} AND assignment={self.PARAM}",
                          (student, assignment)).fetchone()
        return row[0] if row else None

    def submissions(self, assignment: str | None = None) -> list[dict]:
        query = "SELECT * FROM submissions" + (f" WHERE assignment={self.PARAM}" if assignment else "") + \
                " ORDER BY assignment, student"
        return self._rows(query, (assignment,) if assignment else ())

    def results(self, assignment: str | None = None) -> list[dict]:
        query = "SELECT * FROM results" + (f" WHERE assignment={self.PARAM}" if assignment else "") + \
                " ORDER BY assignment, student, position"
        return self._rows(query, (assignment,) if assignment else ())

    def _rows(self, query: str, args: tuple) -> list[dict]:
        cursor = self._query(query, args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]


class Gradebook(_Reads):
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

    def _query(self, query: str, args: tuple = ()):
        return self._db.execute(query, args)

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

    def check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        self._db.close()


# The same tables in PostgreSQL; DOUBLE PRECISION is what SQLite's REAL is (PostgreSQL's REAL is 4 bytes).
POSTGRES_SCHEMA = SCHEMA.replace(" REAL ", " DOUBLE PRECISION ")
_SCHEMA_LOCK = 0x636B6762  # an advisory lock id ("ckgb") so graders starting at once create the tables once
_RETRIES = 5


def is_database_url(location) -> bool:
    return str(location).startswith(("postgresql://", "postgres://"))


def describe(location) -> str:
    """The location for messages: a database URL with its password masked."""
    location = str(location)
    if not is_database_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


class PostgresGradebook(_Reads):
    """The gradebook in a PostgreSQL database: the same tables, methods and guarantees as :class:`Gradebook`.

    Each submission is written in one transaction. Its ``submissions`` row is written first with
    an upsert, which locks that row, so two graders recording the same student at once take turns
    instead of failing or leaving a mixture; different students never wait for each other.
    """

    path = None  # no folder to hide from student code
    PARAM = "%s"

    def __init__(self, url: str, timeout: float = 60.0):
        try:
            import psycopg
        except ImportError:
            raise GradebookError(f"{describe(url)}: a PostgreSQL gradebook needs the postgres extra: "
                                 "pip install 'coursekit[postgres]'") from None
        self._psycopg = psycopg
        self.url = url
        self.location = describe(url)
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for statement in filter(str.strip, POSTGRES_SCHEMA.split(";")):
                    self._db.execute(statement)
        except psycopg.Error as exc:
            raise GradebookError(f"{self.location}: not a usable gradebook ({_first_line(exc)})") from None

    @contextmanager
    def _transaction(self):
        with self._db.transaction():
            yield self._db

    def record(self, result) -> None:
        """Replace everything recorded for this student and assignment by ``result``, atomically."""
        key = (result.student, result.assignment)
        row = (*key, result.path, result.digest, result.status, result.reason, float(result.points),
               float(sum(q.max_points for q in result.questions)), round(result.seconds, 4),
               time.strftime("%Y-%m-%dT%H:%M:%S"))
        errors = self._psycopg.errors
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as db:
                    db.execute("INSERT INTO submissions VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                               "ON CONFLICT (student, assignment) DO UPDATE SET path=EXCLUDED.path, "
                               "digest=EXCLUDED.digest, status=EXCLUDED.status, reason=EXCLUDED.reason, "
                               "points=EXCLUDED.points, max_points=EXCLUDED.max_points, "
                               "seconds=EXCLUDED.seconds, graded_at=EXCLUDED.graded_at", row)
                    db.execute("DELETE FROM results WHERE student=%s AND assignment=%s", key)
                    with db.cursor() as cursor:
                        cursor.executemany("INSERT INTO results VALUES (%s,%s,%s,%s,%s,%s,%s,%s)",
                                           [(*key, q.question, i, float(q.points), float(q.max_points), q.status,
                                             q.feedback) for i, q in enumerate(result.questions)])
                return
            except (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation):
                if attempt == _RETRIES - 1:
                    raise GradebookError(f"{self.location}: could not record {result.student} after "
                                         f"{_RETRIES} tries (other graders kept the rows locked)") from None
                time.sleep(0.05 * (attempt + 1))
            except self._psycopg.OperationalError as exc:
                raise GradebookError(f"{self.location}: lost the database ({_first_line(exc)})") from None

    def _query(self, query: str, args: tuple = ()):
        try:
            return self._db.execute(query, args)
        except self._psycopg.OperationalError as exc:
            raise GradebookError(f"{self.location}: lost the database ({_first_line(exc)})") from None

    def check(self) -> str:
        """"ok", or what is inconsistent: question rows without their submission row."""
        orphans = self._query("SELECT count(*) FROM results r WHERE NOT EXISTS (SELECT 1 FROM submissions s "
                              "WHERE s.student=r.student AND s.assignment=r.assignment)").fetchone()[0]
        return "ok" if not orphans else f"{orphans} question row(s) without a submission row"

    def close(self) -> None:
        self._db.close()


def _first_line(exc: Exception) -> str:
    text = re.sub(r"\s+", " ", str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__)
    return text[:200]


def open_gradebook(location: str | Path) -> Gradebook | PostgresGradebook:
    """A gradebook by path (SQLite) or ``postgresql://`` URL; refuses what it cannot use with a one-line reason."""
    location = str(location)
    if is_database_url(location):
        return PostgresGradebook(location)
    path = Path(location)
    if path.exists() and path.is_dir():
        raise GradebookError(f"{path}: is a folder, not a gradebook file")
    return Gradebook(path)
