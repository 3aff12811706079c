"""Export the gradebook: per question for analysis, per student for an LMS (Canvas's CSV shape)."""
from __future__ import annotations

import csv
from pathlib import Path

from coursekit.gradebook.store import Gradebook

QUESTION_COLUMNS = ["student", "assignment", "question", "points", "max_points", "status"]


def export_csv(gradebook: Gradebook, out: Path, assignment: str | None = None) -> int:
    """One row per student per question; returns the number of rows written."""
    rows = gradebook.results(assignment)
    with open(out, "w", newline="") as handle:
        writer = csv.DictWriter(handle, QUESTION_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return len(rows)


def export_lms(gradebook: Gradebook, out: Path, assignment: str | None = None) -> int:
    """One row per student with a total per assignment, as Canvas's gradebook import expects.

    Canvas reads ``Student`` and ``SIS User ID`` columns plus one column per assignment, and a
    ``Points Possible`` row under the header.
    """
    subs = gradebook.submissions(assignment)
    assignments = sorted({s["assignment"] for s in subs})
    possible = {a: max(s["max_points"] for s in subs if s["assignment"] == a) for a in assignments}
    students = sorted({s["student"] for s in subs})
    totals = {(s["student"], s["assignment"]): s["points"] for s in subs}
    with open(out, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
                        + [f"{a} ({possible[a]:g} points)" for a in assignments])
        writer.writerow(["Points Possible", "", "", "", ""] + [f"{possible[a]:g}" for a in assignments])
        for student in students:
            writer.writerow([student, "", student, student, ""]
                            + [f"{totals[(student, a)]:g}" if (student, a) in totals else "" for a in assignments])
    return len(students)
