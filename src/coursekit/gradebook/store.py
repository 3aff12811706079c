"""The gradebook: one SQLite file (the default) or a PostgreSQL database, one submission per transaction.

WAL mode and ``BEGIN IMMEDIATE`` let several graders share a SQLite gradebook; PostgreSQL does
the same with row locks for graders on several machines. Either way a kill at any moment leaves
every committed submission in place, and re-grading a submission replaces its rows.

Rows are keyed by (student, assignment, notebook). Each records the version of the source that
graded it (a digest of the source notebook, its data files and its points); the ``assignments``
table holds the current version, the deadline and the late policy. A row graded by another
version is *stale*: ``coursekit grade`` grades it again, reports list it as a problem, and exports
refuse to mix it with current rows. Manual grades live in their own table, so re-grading never
loses them; one applies only while the answer it graded is unchanged. What tests said is stored
once (``results.tests``), and who sees what is decided when feedback is rendered.

Totals are computed when rows are read (automatic points + manual points - late penalty), the
same way for both databases, so nothing can drift between a stored total and its parts.
"""
from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import time
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from coursekit.gradebook import late

NEEDS_GRADING, MANUAL, STALE = "needs_grading", "manual", "stale"
MAX_TEST_TEXT = 2_000  # each test's message and output, as stored
MAX_TEXT = 20_000  # feedback and answer per question, as stored

TABLES = {
    "submissions": """
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    notebook TEXT NOT NULL DEFAULT '',
    path TEXT NOT NULL,
    digest TEXT NOT NULL,
    source_digest TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    submitted_at TEXT NOT NULL DEFAULT '',
    seconds REAL NOT NULL,
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, assignment, notebook)""",
    "results": """
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    notebook TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    position INTEGER NOT NULL,
    points REAL NOT NULL,
    max_points REAL NOT NULL,
    status TEXT NOT NULL,
    feedback TEXT NOT NULL DEFAULT '',
    tests TEXT NOT NULL DEFAULT '[]',
    answer TEXT NOT NULL DEFAULT '',
    answer_format TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (student, assignment, notebook, question)""",
    "manual_grades": """
    student TEXT NOT NULL,
    assignment TEXT NOT NULL,
    notebook TEXT NOT NULL DEFAULT '',
    question TEXT NOT NULL,
    points REAL,
    comment TEXT NOT NULL DEFAULT '',
    answer_digest TEXT NOT NULL DEFAULT '',
    graded_at TEXT NOT NULL,
    PRIMARY KEY (student, assignment, notebook, question)""",
    "assignments": """
    assignment TEXT NOT NULL,
    notebook TEXT NOT NULL DEFAULT '',
    source_digest TEXT NOT NULL,
    max_points REAL NOT NULL,
    deadline TEXT NOT NULL DEFAULT '',
    late_policy TEXT NOT NULL DEFAULT 'none',
    updated_at TEXT NOT NULL,
    PRIMARY KEY (assignment, notebook)""",
}
# Gradebooks written before notebooks and versions existed lack these; they are migrated in place.
_MIGRATE = {
    "submissions": "student, assignment, '', path, digest, '', status, reason, points, max_points, '', seconds, "
                   "graded_at",
    "results": "student, assignment, '', question, position, points, max_points, status, feedback, '[]', '', ''",
}


def _create(table: str, name: str | None = None, real: str = "REAL") -> str:
    return f"CREATE TABLE IF NOT EXISTS {name or table} ({TABLES[table].replace(' REAL', ' ' + real)})"


class GradebookError(RuntimeError):
    """The gradebook cannot be opened or written; the message names the file."""


def source_version(assignment) -> str:
    """The version of an exercise that grades: its source notebook, data files and points."""
    sha = hashlib.sha256(Path(assignment.path).read_bytes())
    for path in assignment.shipped_files():
        sha.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    sha.update(f"\0{assignment.max_points!r}".encode())
    return sha.hexdigest()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S")


def _answer_digest(answer: str) -> str:
    return hashlib.sha256(answer.encode("utf-8", "replace")).hexdigest()[:16]


def _tests_json(outcomes) -> str:
    return json.dumps([{"name": str(o.name), "hidden": bool(o.hidden), "passed": bool(o.passed),
                        "message": str(o.message)[:MAX_TEST_TEXT], "weight": float(o.weight),
                        "output": str(getattr(o, "output", ""))[:MAX_TEST_TEXT]} for o in outcomes or []])


class _Store:
    """Everything but the connection: the same SQL (written with ``?``) for SQLite and PostgreSQL."""

    PARAM = "?"

    def _init_runs(self) -> None:
        self._versions: dict[tuple[str, str], str] = {}
        self._formats: dict[tuple[str, str], dict] = {}
        self._notebooks: dict[str, str] = {}

    def _sql(self, query: str) -> str:
        return query if self.PARAM == "?" else query.replace("?", self.PARAM)

    def _columns(self, db, table: str) -> list[str]:
        return [d[0] for d in db.execute(f"SELECT * FROM {table} WHERE 1=0").description]

    def _migrate(self, db, real: str) -> None:
        """Bring a gradebook of an earlier coursekit to this layout, keeping every row."""
        for table, select in _MIGRATE.items():
            if "notebook" in self._columns(db, table):
                continue
            db.execute(_create(table, f"{table}_new", real))
            db.execute(f"INSERT INTO {table}_new SELECT {select} FROM {table}")
            db.execute(f"DROP TABLE {table}")
            db.execute(f"ALTER TABLE {table}_new RENAME TO {table}")

    # --- runs ------------------------------------------------------------------------------------

    def begin_run(self, assignment, deadline: str | None = None, policy: str | None = None) -> str:
        """Record the version of ``assignment`` about to grade, and its deadline and policy if given.

        Returns the version. Rows recorded by this object for the assignment carry it; rows of
        other versions become stale. A deadline or policy not given keeps the stored one.
        """
        version = source_version(assignment)
        notebook = getattr(assignment, "notebook_name", "") or ""
        key = (assignment.name, notebook)
        self._versions[key] = version
        self._notebooks.setdefault(assignment.name, notebook)
        cells = {c.key: c for c in assignment.cells}
        self._formats[key] = {q.id: next((("markdown" if cells[k].cell_type == "markdown" else "code")
                                          for k in q.cell_keys if k in cells), "code")
                              for q in assignment.questions}
        stored = self.assignment_settings(assignment.name, notebook)
        deadline = late.iso(late.parse_time(deadline)) if deadline else (stored or {}).get("deadline", "")
        policy = str(late.parse_policy(policy)) if policy else (stored or {}).get("late_policy", "none")
        with self._transaction() as db:  # an upsert: graders starting at once must not collide
            db.execute(self._sql("INSERT INTO assignments VALUES (?,?,?,?,?,?,?) ON CONFLICT (assignment, notebook) "
                                 "DO UPDATE SET source_digest=EXCLUDED.source_digest, max_points=EXCLUDED.max_points, "
                                 "deadline=EXCLUDED.deadline, late_policy=EXCLUDED.late_policy, "
                                 "updated_at=EXCLUDED.updated_at"),
                       (*key, version, float(assignment.max_points), deadline, policy, _now()))
        return version

    def recorded(self, student: str, assignment: str, notebook: str = "") -> tuple[str, str] | None:
        """(file digest, source version) of the recorded submission, or None."""
        row = self._query(self._sql("SELECT digest, source_digest FROM submissions WHERE student=? AND "
                                    "assignment=? AND notebook=?"), (student, assignment, notebook)).fetchone()
        return (row[0], row[1]) if row else None

    def recorded_digest(self, student: str, assignment: str, notebook: str = "") -> str | None:
        found = self.recorded(student, assignment, notebook)
        return found[0] if found else None

    def _prepare(self, result, submitted_at: str | None):
        notebook = getattr(result, "notebook", "") or self._notebooks.get(result.assignment, "")
        key = (result.student, result.assignment, notebook)
        version = self._versions.get((result.assignment, notebook), "")
        formats = self._formats.get((result.assignment, notebook), {})
        if submitted_at is None:
            from coursekit.grading.submissions import submitted_at as when
            submitted_at = when(Path(result.path))
        row = (*key, str(result.path), result.digest, version, result.status, result.reason,
               float(result.points), float(sum(q.max_points for q in result.questions)), submitted_at or "",
               round(result.seconds, 4), _now())
        questions = []
        for i, q in enumerate(result.questions):
            # an ungraded submission's reason is stored once, on its submission row
            feedback = "" if q.feedback == result.reason and q.status == result.status else q.feedback
            answer = (getattr(q, "answer", "") or "")[:MAX_TEXT]
            questions.append((*key, q.question, i, float(q.points), float(q.max_points), q.status,
                              feedback[:MAX_TEXT], _tests_json(q.tests), answer,
                              formats.get(q.question, "code") if answer else ""))
        return key, row, questions

    # --- manual grading --------------------------------------------------------------------------

    def set_manual(self, student: str, assignment: str, question: str, points: float | None,
                   comment: str = "", notebook: str | None = None) -> dict:
        """Grade one manually graded answer; returns its question row as read back. GradebookError if refused."""
        candidates = [r for r in self.results(assignment) if r["student"] == student and r["question"] == question
                      and (notebook is None or r["notebook"] == notebook)]
        if not candidates:
            raise GradebookError(f"no answer of {student!r} to {question!r} in assignment {assignment!r}")
        if len(candidates) > 1:
            raise GradebookError(f"{student!r} answered {question!r} in several notebooks of {assignment!r} "
                                 f"({', '.join(r['notebook'] for r in candidates)}): name one with --notebook")
        row = candidates[0]
        if not row["manual"]:
            raise GradebookError(f"{question!r} of {assignment!r} is graded by its tests, not by hand")
        if points is not None and not 0 <= points <= row["max_points"]:
            raise GradebookError(f"{points:g} points for {question!r}: must be between 0 and {row['max_points']:g}")
        key = (student, assignment, row["notebook"], question)
        with self._transaction() as db:
            db.execute(self._sql("INSERT INTO manual_grades VALUES (?,?,?,?,?,?,?,?) ON CONFLICT (student, assignment, "
                                 "notebook, question) DO UPDATE SET points=EXCLUDED.points, comment=EXCLUDED.comment, "
                                 "answer_digest=EXCLUDED.answer_digest, graded_at=EXCLUDED.graded_at"),
                       (*key, None if points is None else float(points), str(comment)[:MAX_TEXT],
                        _answer_digest(row["answer"]), _now()))
        return next(r for r in self.results(assignment) if r["student"] == student and r["question"] == question
                    and r["notebook"] == row["notebook"])

    # --- reading ---------------------------------------------------------------------------------

    def _rows(self, query: str, args: tuple = ()) -> list[dict]:
        cursor = self._query(self._sql(query), args)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor.fetchall()]

    def _where(self, assignment: str | None) -> tuple[str, tuple]:
        return (" WHERE assignment=?", (assignment,)) if assignment else ("", ())

    def assignment_settings(self, assignment: str, notebook: str = "") -> dict | None:
        rows = self._rows("SELECT * FROM assignments WHERE assignment=? AND notebook=?", (assignment, notebook))
        return rows[0] if rows else None

    def versions(self) -> dict[tuple[str, str], dict]:
        return {(r["assignment"], r["notebook"]): r for r in self._rows("SELECT * FROM assignments")}

    def results(self, assignment: str | None = None) -> list[dict]:
        """One row per student and question, with manual grades applied.

        ``status`` is the question's: passed, partial, failed, error, timeout, invalid, ``needs_grading``
        (a manual question not graded yet) or ``manual`` (graded by hand). ``manual`` is True for manual
        questions; ``comment`` is the grader's comment on them; ``tests`` is the parsed list of outcomes.
        """
        where, args = self._where(assignment)
        rows = self._rows("SELECT * FROM results" + where + " ORDER BY assignment, student, notebook, position", args)
        grades = {(g["student"], g["assignment"], g["notebook"], g["question"]): g
                  for g in self._rows("SELECT * FROM manual_grades" + where, args)}
        for row in rows:
            row["tests"] = json.loads(row["tests"] or "[]")
            row["manual"] = row["status"] == NEEDS_GRADING
            row["comment"], row["graded_by_hand"] = "", False
            grade = grades.get((row["student"], row["assignment"], row["notebook"], row["question"]))
            if row["manual"] and grade:
                current = grade["answer_digest"] == _answer_digest(row["answer"])
                row["comment"] = grade["comment"] if current else ""
                if current and grade["points"] is not None:
                    row["points"] = min(float(grade["points"]), row["max_points"])
                    row["status"], row["graded_by_hand"] = MANUAL, True
                elif not current:
                    row["feedback"] = "the answer changed since it was graded by hand: it needs grading again"
        return rows

    def submissions(self, assignment: str | None = None) -> list[dict]:
        """One row per student and notebook, totals computed from the question rows.

        ``points`` is the total after the late penalty; ``auto_points`` and ``manual_points`` its parts
        before it, ``late_days`` and ``late_penalty`` what lateness cost. ``status`` is the grading status,
        or ``stale`` (graded by another version of the source) or ``needs_grading`` (manual questions left).
        """
        where, args = self._where(assignment)
        subs = self._rows("SELECT * FROM submissions" + where + " ORDER BY assignment, student, notebook", args)
        per_question: dict[tuple, list[dict]] = {}
        for row in self.results(assignment):
            per_question.setdefault((row["student"], row["assignment"], row["notebook"]), []).append(row)
        versions = self.versions()
        for sub in subs:
            questions = per_question.get((sub["student"], sub["assignment"], sub["notebook"]), [])
            setting = versions.get((sub["assignment"], sub["notebook"]))
            manual = sum(q["points"] for q in questions if q["manual"])
            auto = sum(q["points"] for q in questions if not q["manual"])
            before = round(auto + manual, 4)
            policy = late.parse_policy(setting["late_policy"]) if setting else late.LatePolicy()
            deadline = setting["deadline"] if setting else ""
            days, penalty = policy.penalty(before, sub["submitted_at"], deadline)
            sub.update(auto_points=round(auto, 4), manual_points=round(manual, 4), points_before_late=before,
                       late_days=days, late_penalty=penalty, points=round(max(0.0, before - penalty), 4),
                       deadline=deadline, late_policy=str(policy),
                       ungraded=sum(1 for q in questions if q["status"] == NEEDS_GRADING))
            sub["stale"] = bool(setting) and sub["source_digest"] != setting["source_digest"]
            sub["graded_status"] = sub["status"]
            if sub["stale"]:
                sub["status"] = STALE
                sub["reason"] = ("graded with an earlier version of the source: run coursekit grade again"
                                 + (f" (then: {sub['reason']})" if sub["reason"] else ""))
            elif sub["status"] == "graded" and sub["ungraded"]:
                sub["status"] = NEEDS_GRADING
                sub["reason"] = f"{sub['ungraded']} answer(s) to grade by hand: coursekit review"
        return subs

    def stale(self, assignment: str | None = None) -> list[dict]:
        return [s for s in self.submissions(assignment) if s["stale"]]


class Gradebook(_Store):
    def __init__(self, path: str | Path, timeout: float = 60.0):
        self.path = Path(path)
        self._init_runs()
        try:
            if self.path.parent and not self.path.parent.exists():
                raise GradebookError(f"{self.path}: folder {self.path.parent} does not exist")
            self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None,
                                       check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            with self._transaction() as db:
                for table in TABLES:
                    db.execute(_create(table))
                self._migrate(db, "REAL")
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

    def record(self, result, submitted_at: str | None = None) -> None:
        """Replace everything recorded for this student, assignment and notebook by ``result``, atomically."""
        key, row, questions = self._prepare(result, submitted_at)
        with self._transaction() as db:
            db.execute("DELETE FROM results WHERE student=? AND assignment=? AND notebook=?", key)
            db.execute("DELETE FROM submissions WHERE student=? AND assignment=? AND notebook=?", key)
            db.execute("INSERT INTO submissions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", row)
            db.executemany("INSERT INTO results VALUES (?,?,?,?,?,?,?,?,?,?,?,?)", questions)

    def check(self) -> str:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0]

    def close(self) -> None:
        self._db.close()


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


class PostgresGradebook(_Store):
    """The gradebook in a PostgreSQL database: the same tables, methods and guarantees as :class:`Gradebook`.

    Each submission is written in one transaction. Its ``submissions`` row is written first with
    an upsert, which locks that row, so two graders recording the same student at once take turns
    instead of failing or leaving a mixture; different students never wait for each other.
    DOUBLE PRECISION is what SQLite's REAL is (PostgreSQL's REAL is 4 bytes).
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
        self._init_runs()
        self.url = url
        self.location = describe(url)
        try:
            self._db = psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)))
            with self._db.transaction():
                self._db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
                for table in TABLES:
                    self._db.execute(_create(table, real="DOUBLE PRECISION"))
                self._migrate(self._db, "DOUBLE PRECISION")
        except psycopg.Error as exc:
            raise GradebookError(f"{self.location}: not a usable gradebook ({_first_line(exc)})") from None

    @contextmanager
    def _transaction(self):
        try:
            with self._db.transaction():
                yield self._db
        except self._psycopg.errors.TransactionRollback:
            raise  # a deadlock or serialization failure: record() tries again
        except self._psycopg.OperationalError as exc:
            raise GradebookError(f"{self.location}: lost the database ({_first_line(exc)})") from None

    def record(self, result, submitted_at: str | None = None) -> None:
        """Replace everything recorded for this student, assignment and notebook by ``result``, atomically."""
        key, row, questions = self._prepare(result, submitted_at)
        errors = self._psycopg.errors
        for attempt in range(_RETRIES):
            try:
                with self._transaction() as db:
                    db.execute("INSERT INTO submissions VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                               "ON CONFLICT (student, assignment, notebook) DO UPDATE SET path=EXCLUDED.path, "
                               "digest=EXCLUDED.digest, source_digest=EXCLUDED.source_digest, "
                               "status=EXCLUDED.status, reason=EXCLUDED.reason, points=EXCLUDED.points, "
                               "max_points=EXCLUDED.max_points, submitted_at=EXCLUDED.submitted_at, "
                               "seconds=EXCLUDED.seconds, graded_at=EXCLUDED.graded_at", row)
                    db.execute("DELETE FROM results WHERE student=%s AND assignment=%s AND notebook=%s", key)
                    with db.cursor() as cursor:
                        cursor.executemany("INSERT INTO results VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s)",
                                           questions)
                return
            except (errors.DeadlockDetected, errors.SerializationFailure, errors.UniqueViolation):
                if attempt == _RETRIES - 1:
                    raise GradebookError(f"{self.location}: could not record {result.student} after "
                                         f"{_RETRIES} tries (other graders kept the rows locked)") from None
                time.sleep(0.05 * (attempt + 1))

    def _query(self, query: str, args: tuple = ()):
        try:
            return self._db.execute(query, args)
        except self._psycopg.OperationalError as exc:
            raise GradebookError(f"{self.location}: lost the database ({_first_line(exc)})") from None

    def check(self) -> str:
        """"ok", or what is inconsistent: question rows without their submission row."""
        orphans = self._query("SELECT count(*) FROM results r WHERE NOT EXISTS (SELECT 1 FROM submissions s "
                              "WHERE s.student=r.student AND s.assignment=r.assignment "
                              "AND s.notebook=r.notebook)").fetchone()[0]
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
