"""Is an exercise sound? The reference earns full points and the blank student version none.

Both are graded exactly as submissions are (same sandbox, same tests), so a source that
validates grades the way its author expects.
"""
from __future__ import annotations

from pathlib import Path

from coursekit.exercise.parse import Assignment, SourceError, load_source
from coursekit.exercise.release import student_notebook
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_notebook
from coursekit.grading.sandbox import Zygote


def _cell_of(assignment: Assignment, qid: str) -> str:
    first = next((c for c in assignment.cells if c.question == qid), None)
    return f"cell {first.index + 1}" if first else "?"


def problems(assignment: Assignment, zygote: Zygote, limits: Limits) -> list[str]:
    """Every reason the source is unsound, each naming the file and the cell."""
    found = []
    where = lambda qid: f"{assignment.path}: {_cell_of(assignment, qid)} (question {qid})"
    for q in assignment.questions:
        if not q.hidden_tests:
            found.append(f"{where(q.id)}: has no hidden test")
        if not q.visible_tests or not any(t.code.strip() for t in q.visible_tests):
            found.append(f"{where(q.id)}: has no visible test")
    reference, _, _ = grade_notebook(assignment, assignment.notebook, zygote, limits, show_hidden=True)
    for result in reference:
        if result.points < result.max_points:
            failing = "; ".join(line for line in result.feedback.splitlines() if "failed" in line or "raised" in line)
            found.append(f"{where(result.question)}: the reference solution earns {result.points:g}/"
                         f"{result.max_points:g} ({failing or result.status})")
    blank, _, _ = grade_notebook(assignment, student_notebook(assignment), zygote, limits, show_hidden=True)
    for result in blank:
        if result.points > 0:
            found.append(f"{where(result.question)}: the blank student version already earns "
                         f"{result.points:g}/{result.max_points:g}; its tests pass without an answer")
    return found


def validate_paths(paths: list[str | Path], limits: Limits | None = None) -> dict[str, list[str]]:
    """Problems per source file (an empty list means sound)."""
    limits = limits or Limits(question_seconds=60)
    report = {}
    zygote = Zygote()
    try:
        for path in paths:
            try:
                assignment = load_source(path)
            except SourceError as exc:
                report[str(path)] = [str(exc)]
                continue
            report[str(path)] = problems(assignment, zygote, limits)
    finally:
        zygote.close()
    return report
