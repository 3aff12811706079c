"""HTML reports from the gradebook: a class summary for the instructor, a student-view page per student.

The index lists every student with a link to their page, problem rows first (invalid, error,
timeout, stale, needs grading, late), then per-assignment plots. Rows graded by an earlier
version of the source are listed as problems and left out of the plots and means, so no
figure mixes two versions. Student pages are :mod:`coursekit.gradebook.feedback`'s student view.
"""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from coursekit.gradebook.feedback import page, page_name, safe_name, write_pages  # noqa: E402

PROBLEM_ORDER = {"invalid": 0, "error": 1, "timeout": 2, "stale": 3, "needs_grading": 4}


def student_pages(gradebook, out: Path) -> list[Path]:
    """The student view of every student's feedback, under ``out/students/``."""
    return write_pages(gradebook, out / "students")


def _rank(sub: dict) -> tuple:
    order = PROBLEM_ORDER.get(sub["status"], 5 if sub["late_days"] else 6)
    return (order, sub["assignment"], sub["student"], sub["notebook"])


def student_table(subs: list[dict]) -> str:
    """Every student, problem rows first, each linked to their page."""
    rows = []
    for sub in sorted(subs, key=_rank):
        problem = _rank(sub)[0] < 6
        link = f"students/{page_name(sub['assignment'], sub['student'])}"
        late = f"{sub['late_days']:g} day(s), -{sub['late_penalty']:g}" if sub["late_days"] else ""
        rows.append(f"<tr{' class=problem' if problem else ''}><td><a href='{html.escape(link)}'>"
                    f"{html.escape(sub['student'])}</a></td><td>{html.escape(sub['assignment'])}</td>"
                    f"<td>{html.escape(sub['notebook'])}</td><td>{html.escape(sub['status'])}</td>"
                    f"<td>{html.escape(sub['reason'])}</td><td>{sub['points']:g} / {sub['max_points']:g}</td>"
                    f"<td>{html.escape(late)}</td></tr>")
    problems = sum(1 for s in subs if _rank(s)[0] < 6)
    return (f"<h2 id='students'>Students</h2><p>{len(subs)} submission(s), {problems} needing a look (listed "
            "first).</p><table><tr><th>Student</th><th>Assignment</th><th>Notebook</th><th>Status</th>"
            f"<th>Reason</th><th>Points</th><th>Late</th></tr>{''.join(rows)}</table>")


def _plots(out: Path, assignment: str, mine: pd.DataFrame, questions: pd.DataFrame) -> str:
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.hist(mine.points, bins=min(20, max(5, len(mine))), color="#3A7CA5")
    ax.set(title=f"{assignment}: total scores", xlabel="points", ylabel="students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))  # counts of students are whole numbers
    fig.tight_layout()
    hist = f"{safe_name(assignment)}-scores.png"
    fig.savefig(out / hist, dpi=100)
    plt.close(fig)
    per_q = questions.groupby("question", sort=False).agg(share=("points", "sum"), possible=("max_points", "sum"))
    per_q["score"] = per_q.share / per_q.possible
    fig, ax = plt.subplots(figsize=(6, 3.2))
    ax.bar(per_q.index, per_q.score, color="#8E5572")
    ax.set(title=f"{assignment}: share of points earned per question (low = hard)",
           xlabel="question", ylabel="share of points", ylim=(0, 1))
    fig.tight_layout()
    chart = f"{safe_name(assignment)}-questions.png"
    fig.savefig(out / chart, dpi=100)
    plt.close(fig)
    return (f"<img src='{html.escape(hist)}' alt='Histogram of total scores for {html.escape(assignment)}'>"
            f"<img src='{html.escape(chart)}' alt='Share of points earned on each question of "
            f"{html.escape(assignment)}'>")


def summary_page(gradebook, out: Path) -> Path:
    subs_rows = gradebook.submissions()
    subs = pd.DataFrame(subs_rows)
    results = pd.DataFrame(gradebook.results())
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for assignment in sorted(subs.assignment.unique()) if not subs.empty else []:
        everyone = subs[subs.assignment == assignment]
        current = everyone[~everyone.stale]
        # one total per student: the notebooks of an assignment added up
        totals = current.groupby("student").agg(points=("points", "sum"), max_points=("max_points", "sum"))
        counts = everyone.status.value_counts().to_dict()
        status = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        stale = len(everyone) - len(current)
        note = (f" {stale} row(s) graded by an earlier version of the source are left out of the figures."
                if stale else "")
        if totals.empty:
            sections.append(f"<h2>{html.escape(assignment)}</h2><p>No current grades.{note}</p>")
            continue
        keys = set(zip(current.student, current.notebook))
        current_rows = pd.Series([k in keys for k in zip(results.student, results.notebook)], index=results.index)
        mine = results[(results.assignment == assignment) & current_rows]
        sections.append(
            f"<h2>{html.escape(assignment)}</h2><p>{len(totals)} student(s); mean {totals.points.mean():.2f} / "
            f"{totals.max_points.max():g}; statuses: {html.escape(status)}.{html.escape(note)}</p>"
            + _plots(out, assignment, totals, mine))
    body = (student_table(subs_rows) if subs_rows else "") + "".join(sections)
    path = out / "index.html"
    path.write_text(page("Class summary", body or "<p>The gradebook is empty.</p>"), encoding="utf-8")
    return path
