"""Export the gradebook: per question for analysis, per student for a learning platform.

Three layouts: ``csv`` (one row per student and question, with the submission's status, reason,
time and late penalty), ``canvas`` (Canvas's gradebook import; ``lms`` is the same) and
``moodle`` (Moodle's grade import CSV). Totals are those of :meth:`Gradebook.submissions`:
automatic plus manual points, less the late penalty. An export never mixes versions: if any
row of an exported assignment was graded by an earlier version of its source, it refuses and
names the students to grade again.

Every text cell that a spreadsheet could read as a formula (starting with ``=``, ``+``, ``-``,
``@``, a tab or a carriage return) is written with a leading apostrophe, so a student folder named
``=HYPERLINK(...)`` stays text.
"""
from __future__ import annotations

import csv
import re
from pathlib import Path

from coursekit.gradebook.store import GradebookError

QUESTION_COLUMNS = ["student", "assignment", "question", "points", "max_points", "status", "notebook",
                    "submission_status", "reason", "submitted_at", "late_days", "late_penalty", "comment"]
_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE]-?\d+)?")
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value) -> str:
    """A CSV cell no spreadsheet runs as a formula (OWASP's CSV injection advice)."""
    text = "" if value is None else f"{value:g}" if isinstance(value, float) else str(value)
    if text.startswith(_FORMULA) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def _writer(handle):
    writer = csv.writer(handle)
    return lambda row: writer.writerow([safe_cell(v) for v in row])


def _refuse_mixed(gradebook, assignment: str | None) -> None:
    stale = gradebook.stale(assignment)
    if stale:
        names = sorted({s["student"] for s in stale})
        shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
        raise GradebookError(f"{len(stale)} submission(s) of {', '.join(sorted({s['assignment'] for s in stale}))} "
                             f"were graded with an earlier version of the source ({shown}): run coursekit grade "
                             "with the current source first, so no export mixes two versions")


def export_csv(gradebook, out: Path, assignment: str | None = None) -> int:
    """One row per student per question; returns the number of rows written."""
    _refuse_mixed(gradebook, assignment)
    subs = {(s["student"], s["assignment"], s["notebook"]): s for s in gradebook.submissions(assignment)}
    rows = gradebook.results(assignment)
    with open(out, "w", newline="") as handle:
        write = _writer(handle)
        write(QUESTION_COLUMNS)
        for row in rows:
            sub = subs[(row["student"], row["assignment"], row["notebook"])]
            write([row["student"], row["assignment"], row["question"], row["points"], row["max_points"],
                   row["status"], row["notebook"], sub["status"], sub["reason"], sub["submitted_at"],
                   sub["late_days"], sub["late_penalty"], row["comment"]])
    return len(rows)


class Roster:
    """An optional class list (a CSV with a header), matched to the gradebook's student ids.

    A student matches the row whose login or id column equals the folder name: Canvas's ``SIS
    Login ID``, ``SIS User ID``, ``Login ID``, Moodle's ``Username``, ``ID number``, or the part of
    ``Email address`` before the ``@``. Column names are compared without case.
    """

    KEYS = ("sis login id", "login id", "sis user id", "username", "id number", "student id", "login", "email address",
            "email")

    def __init__(self, path: Path | None):
        self.rows: dict[str, dict] = {}
        if path is None:
            return
        try:
            with open(path, newline="", encoding="utf-8-sig") as handle:
                reader = csv.DictReader(handle)
                for raw in reader:
                    row = {str(k).strip().lower(): (v or "").strip() for k, v in raw.items() if k}
                    for key in self.KEYS:
                        value = row.get(key, "")
                        if key.startswith("email"):
                            value = value.split("@")[0]
                        if value:
                            self.rows.setdefault(value, row)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            raise GradebookError(f"{path}: not a readable roster CSV ({exc})") from None
        if path is not None and not self.rows:
            raise GradebookError(f"{path}: no roster rows with a login or id column "
                                 "(SIS Login ID, SIS User ID, Username, ID number or Email address)")

    def get(self, student: str, column: str) -> str:
        return self.rows.get(student, {}).get(column.lower(), "")

    def missing(self, students) -> list[str]:
        return sorted(s for s in students if self.rows and s not in self.rows)


def _totals(gradebook, assignment: str | None):
    """Per student and assignment: the total over its notebooks, and each assignment's points possible."""
    _refuse_mixed(gradebook, assignment)
    subs = gradebook.submissions(assignment)
    totals: dict[tuple[str, str], float] = {}
    for s in subs:
        totals[(s["student"], s["assignment"])] = totals.get((s["student"], s["assignment"]), 0.0) + s["points"]
    versions = gradebook.versions()
    possible: dict[str, float] = {}
    for a in sorted({s["assignment"] for s in subs}):
        notebooks = {s["notebook"] for s in subs if s["assignment"] == a}
        possible[a] = sum(versions[(a, nb)]["max_points"] if (a, nb) in versions else
                          max(s["max_points"] for s in subs if s["assignment"] == a and s["notebook"] == nb)
                          for nb in notebooks)
    return sorted({s["student"] for s in subs}), sorted(possible), possible, totals


def export_canvas(gradebook, out: Path, assignment: str | None = None, roster: Path | None = None) -> int:
    """One row per student with a total per assignment, as Canvas's gradebook import expects.

    Canvas reads ``Student``, ``ID``, ``SIS User ID``, ``SIS Login ID`` and ``Section`` plus one
    column per assignment, and a ``Points Possible`` row under the header. ``ID`` (Canvas's own
    number, which it needs to match rows) comes from the roster: Canvas's own gradebook export.
    """
    students, assignments, possible, totals = _totals(gradebook, assignment)
    people = Roster(roster)
    with open(out, "w", newline="") as handle:
        write = _writer(handle)
        write(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
              + [f"{a} ({possible[a]:g} points)" for a in assignments])
        write(["Points Possible", "", "", "", ""] + [f"{possible[a]:g}" for a in assignments])
        for student in students:
            write([people.get(student, "student") or student, people.get(student, "id"),
                   people.get(student, "sis user id") or student, people.get(student, "sis login id") or student,
                   people.get(student, "section")]
                  + [f"{totals[(student, a)]:g}" if (student, a) in totals else "" for a in assignments])
    return len(students)


export_lms = export_canvas


def export_moodle(gradebook, out: Path, assignment: str | None = None, roster: Path | None = None) -> int:
    """Moodle's grade import CSV: an identifying column, then one column per grade item.

    On import (Grades > Import > CSV file) map ``Username`` (or ``Email address``) to the user
    field and each assignment column to its grade item.
    """
    students, assignments, _, totals = _totals(gradebook, assignment)
    people = Roster(roster)
    with open(out, "w", newline="") as handle:
        write = _writer(handle)
        write(["Username", "ID number", "Email address"] + assignments)
        for student in students:
            write([people.get(student, "username") or student, people.get(student, "id number"),
                   people.get(student, "email address")]
                  + [f"{totals[(student, a)]:g}" if (student, a) in totals else "" for a in assignments])
    return len(students)


def unmatched(gradebook, roster: Path | None, assignment: str | None = None) -> list[str]:
    """Students in the gradebook that the roster does not list (their ID cells stay empty)."""
    if roster is None:
        return []
    return Roster(roster).missing({s["student"] for s in gradebook.submissions(assignment)})
