"""HTML reports from the gradebook: feedback for each student, a summary for the instructor."""
from __future__ import annotations

import html
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

from coursekit.gradebook.store import Gradebook  # noqa: E402

STYLE = ("body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto;padding:0 1rem}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
         "pre{white-space:pre-wrap;background:#f6f8fa;padding:6px}")


def _page(title: str, body: str) -> str:
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>{body}</body></html>")


def _safe_name(text: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)


def student_pages(gradebook: Gradebook, out: Path) -> list[Path]:
    written = []
    results = pd.DataFrame(gradebook.results())
    for sub in gradebook.submissions():
        mine = results[(results.student == sub["student"]) & (results.assignment == sub["assignment"])] \
            if not results.empty else results
        rows = "".join(f"<tr><td>{html.escape(r.question)}</td><td>{r.points:g} / {r.max_points:g}</td>"
                       f"<td>{html.escape(r.status)}</td><td><pre>{html.escape(r.feedback)}</pre></td></tr>"
                       for r in mine.itertuples())
        reason = f"<p>Status: <strong>{html.escape(sub['status'])}</strong> {html.escape(sub['reason'])}</p>"
        body = (f"<p>Total: <strong>{sub['points']:g} / {sub['max_points']:g}</strong></p>{reason}"
                f"<table><tr><th>Question</th><th>Points</th><th>Status</th><th>Feedback</th></tr>{rows}</table>")
        path = out / "students" / f"{_safe_name(sub['assignment'])}--{_safe_name(sub['student'])}.html"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(_page(f"{sub['assignment']}: feedback for {sub['student']}", body))
        written.append(path)
    return written


def summary_page(gradebook: Gradebook, out: Path) -> Path:
    subs = pd.DataFrame(gradebook.submissions())
    results = pd.DataFrame(gradebook.results())
    out.mkdir(parents=True, exist_ok=True)
    sections = []
    for assignment in sorted(subs.assignment.unique()) if not subs.empty else []:
        mine = subs[subs.assignment == assignment]
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.hist(mine.points, bins=min(20, max(5, len(mine))), color="#3A7CA5")
        ax.set(title=f"{assignment}: total scores", xlabel="points", ylabel="students")
        fig.tight_layout()
        hist = f"{_safe_name(assignment)}-scores.png"
        fig.savefig(out / hist, dpi=100)
        plt.close(fig)
        per_q = results[results.assignment == assignment].groupby("question", sort=False).agg(
            share=("points", "sum"), possible=("max_points", "sum"))
        per_q["score"] = per_q.share / per_q.possible
        fig, ax = plt.subplots(figsize=(6, 3.2))
        ax.bar(per_q.index, per_q.score, color="#8E5572")
        ax.set(title=f"{assignment}: share of points earned per question (low = hard)",
               xlabel="question", ylabel="share of points", ylim=(0, 1))
        fig.tight_layout()
        chart = f"{_safe_name(assignment)}-questions.png"
        fig.savefig(out / chart, dpi=100)
        plt.close(fig)
        counts = mine.status.value_counts().to_dict()
        status = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        sections.append(
            f"<h2>{html.escape(assignment)}</h2><p>{len(mine)} submissions; mean {mine.points.mean():.2f} / "
            f"{mine.max_points.max():g}; statuses: {html.escape(status)}</p>"
            f"<img src='{hist}' alt='Histogram of total scores for {html.escape(assignment)}'>"
            f"<img src='{chart}' alt='Share of points earned on each question of {html.escape(assignment)}'>")
    path = out / "index.html"
    path.write_text(_page("Class summary", "".join(sections) or "<p>The gradebook is empty.</p>"))
    return path
