"""Feedback pages: one per student and assignment, rendered from what the gradebook stored.

What tests said is stored once per grading run (each test's name, whether it is hidden, its
verdict, message and output); who sees what is decided here, when a page is rendered:

* the **student view** (the default, and the pages of ``coursekit report``) shows the answers,
  points, the errors the student's own code raised, every visible test's message and output, and
  for a hidden test only "passed" or "failed";
* the **instructor view** (``coursekit feedback --instructor``) adds hidden tests' messages and
  output, the file graded and its timing. Its pages carry ``.instructor`` in their names.

Everything a student wrote is escaped; markdown answers are rendered with raw HTML disabled and
unsafe links (``javascript:`` and the like) refused, and pages carry a Content-Security-Policy
that forbids scripts, so nothing in an answer can run in the reader's browser.
"""
from __future__ import annotations

import hashlib
import html
from pathlib import Path

import nbformat

STYLE = ("body{font-family:system-ui,sans-serif;max-width:56rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left;"
         "vertical-align:top}pre{white-space:pre-wrap;background:#f6f8fa;padding:6px;overflow-x:auto}"
         ".answer{border-left:4px solid #3A7CA5;padding:0 .75rem;margin:.5rem 0}"
         ".hidden{color:#6b4f00}.passed{color:#1b6e20}.failed{color:#a3000b}"
         ".problem td{background:#fff4f4}.note{color:#555}")
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:"
SAFE_CHARS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")


def page(title: str, body: str, extra_head: str = "", csp: str = CSP) -> str:
    """A complete, self-contained HTML page; ``title`` is escaped here, ``body`` must be already."""
    return (f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
            f"<meta http-equiv='Content-Security-Policy' content=\"{csp}\">"
            f"<meta name='viewport' content='width=device-width, initial-scale=1'>"
            f"<title>{html.escape(title)}</title><style>{STYLE}</style>{extra_head}</head>"
            f"<body><h1>{html.escape(title)}</h1>{body}</body></html>")


def safe_name(text: str) -> str:
    """A file name for ``text``: itself when already safe, else a cleaned form plus a short hash.

    Distinct texts get distinct names (``ann lee`` and ``ann_lee`` do not share a page): a safe
    name never contains ``~``, and every changed one ends in ``~`` and a digest of the original.
    """
    text = str(text)
    if text and set(text) <= SAFE_CHARS and not text.startswith("."):
        return text
    cleaned = "".join(ch if ch in SAFE_CHARS else "_" for ch in text).lstrip(".")[:60]
    return f"{cleaned}~{hashlib.sha256(text.encode('utf-8', 'replace')).hexdigest()[:8]}"


def page_name(assignment: str, student: str, instructor: bool = False) -> str:
    return f"{safe_name(assignment)}--{safe_name(student)}" + (".instructor" if instructor else "") + ".html"


_MARKDOWN = None


def render_markdown(text: str) -> str:
    """Markdown as HTML with raw HTML shown as text and unsafe link schemes refused (markdown-it)."""
    global _MARKDOWN
    if _MARKDOWN is None:
        from markdown_it import MarkdownIt
        _MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False})
    return _MARKDOWN.render(str(text))


def render_answer(answer: str, fmt: str) -> str:
    if not answer:
        return ""
    if fmt == "markdown":
        return f"<div class='answer'>{render_markdown(answer)}</div>"
    return f"<pre class='answer'><code>{html.escape(answer)}</code></pre>"


def student_problems(row: dict) -> list[str]:
    """What went wrong running the student's own code: the stored feedback before its first test line.

    Test lines are rebuilt from ``tests`` at rendering time; whatever the stored feedback said
    about tests (hidden detail included, from older runs) is never shown from there.
    """
    starts = ["hidden test passed", "hidden test failed"]
    for test in row["tests"]:
        starts += [f"{test['name']} passed", f"{test['name']} failed"]
    lines = []
    for line in str(row.get("feedback", "")).splitlines():
        if any(line.startswith(s) for s in starts):
            break
        lines.append(line)
    return [ln for ln in "\n".join(lines).split("\n") if ln.strip()] if row["tests"] or not row["manual"] else []


def test_lines(row: dict, instructor: bool) -> str:
    """The tests of one question as HTML: hidden ones say passed or failed, unless ``instructor``."""
    items = []
    for test in row["tests"]:
        mark = "passed" if test["passed"] else "failed"
        badge = f"<span class='{mark}'>{'✓' if test['passed'] else '✗'} {mark}</span>"
        if test["hidden"] and not instructor:
            items.append(f"<li class='hidden'>a hidden test: {badge}</li>")
            continue
        name = html.escape(test["name"]) + (" <span class='hidden'>(hidden)</span>" if test["hidden"] else "")
        message = test["message"] if test["message"] and test["message"] != mark else ""
        text = f"<li>{name}: {badge}" + (f"<pre>{html.escape(message)}</pre>" if message else "")
        if str(test.get("output", "")).strip():
            text += f"<div class='note'>printed:</div><pre>{html.escape(test['output'].strip())}</pre>"
        items.append(text + "</li>")
    return f"<ul>{''.join(items)}</ul>" if items else ""


def _late(sub: dict) -> str:
    parts = []
    if sub["submitted_at"]:
        parts.append(f"handed in {html.escape(sub['submitted_at'])}")
    if sub["deadline"]:
        parts.append(f"deadline {html.escape(sub['deadline'])}")
    if sub["late_days"]:
        parts.append(f"<strong>{sub['late_days']:g} day(s) late</strong>, {sub['late_penalty']:g} point(s) deducted "
                     f"({html.escape(sub['late_policy'])})")
    return "<p class='note'>" + "; ".join(parts) + "</p>" if parts else ""


def submission_html(sub: dict, rows: list[dict], instructor: bool = False) -> str:
    """One notebook of one student: the total, the status, then each question."""
    parts = [f"<h2>{html.escape(sub['notebook'])}</h2>" if sub["notebook"] else "",
             f"<p>Total: <strong>{sub['points']:g} / {sub['max_points']:g}</strong>"
             + (f" (before the late penalty: {sub['points_before_late']:g})" if sub["late_penalty"] else "")
             + "</p>", _late(sub)]
    if sub["status"] != "graded":
        parts.append(f"<p>Status: <strong>{html.escape(sub['status'])}</strong> {html.escape(sub['reason'])}</p>")
    if instructor:
        parts.append(f"<p class='note'>File {html.escape(sub['path'])}, graded {html.escape(sub['graded_at'])} "
                     f"in {sub['seconds']:.2f} s</p>")
    for row in rows:
        section = [f"<h3>{html.escape(row['question'])}: {row['points']:g} / {row['max_points']:g} "
                   f"<small>({html.escape(row['status'].replace('_', ' '))})</small></h3>",
                   render_answer(row["answer"], row["answer_format"])]
        problems = student_problems(row)
        if problems:
            section.append("<pre>" + html.escape("\n".join(problems)) + "</pre>")
        section.append(test_lines(row, instructor))
        if row["comment"]:
            section.append(f"<p><strong>Comment from your instructor:</strong></p>"
                           f"<pre>{html.escape(row['comment'])}</pre>")
        parts.append(f"<section>{''.join(section)}</section>")
    return "".join(parts)


def _grouped(gradebook, assignment: str | None):
    subs = gradebook.submissions(assignment)
    results: dict[tuple, list[dict]] = {}
    for row in gradebook.results(assignment):
        results.setdefault((row["student"], row["assignment"], row["notebook"]), []).append(row)
    people: dict[tuple[str, str], list[dict]] = {}
    for sub in subs:
        people.setdefault((sub["assignment"], sub["student"]), []).append(sub)
    return people, results


def student_page(assignment: str, student: str, subs: list[dict], results: dict, instructor: bool = False) -> str:
    title = f"{assignment}: feedback for {student}" + (" (instructor view, hidden tests shown)" if instructor else "")
    total = sum(s["points"] for s in subs)
    possible = sum(s["max_points"] for s in subs)
    body = (f"<p>Assignment total: <strong>{total:g} / {possible:g}</strong></p>" if len(subs) > 1 else "") + \
        "".join(submission_html(s, results.get((s["student"], s["assignment"], s["notebook"]), []), instructor)
                for s in subs)
    return page(title, body)


def write_pages(gradebook, out: Path, assignment: str | None = None, instructor: bool = False) -> list[Path]:
    """One HTML page per student and assignment under ``out``; returns their paths."""
    out.mkdir(parents=True, exist_ok=True)
    people, results = _grouped(gradebook, assignment)
    written = []
    for (name, student), subs in sorted(people.items()):
        path = out / page_name(name, student, instructor)
        path.write_text(student_page(name, student, subs, results, instructor), encoding="utf-8")
        written.append(path)
    return written


def write_notebooks(gradebook, out: Path, assignment: str | None = None, instructor: bool = False) -> list[Path]:
    """The same feedback as a notebook per student: the answers as cells, the verdicts as markdown."""
    out.mkdir(parents=True, exist_ok=True)
    people, results = _grouped(gradebook, assignment)
    written = []
    for (name, student), subs in sorted(people.items()):
        nb = nbformat.v4.new_notebook()
        nb.cells.append(nbformat.v4.new_markdown_cell(f"# {name}: feedback for {_md(student)}"))
        for sub in subs:
            head = f"## {_md(sub['notebook'])}\n\n" if sub["notebook"] else ""
            nb.cells.append(nbformat.v4.new_markdown_cell(
                f"{head}Total: **{sub['points']:g} / {sub['max_points']:g}**"
                + (f" ({sub['late_days']:g} day(s) late, {sub['late_penalty']:g} deducted)" if sub["late_days"] else "")
                + (f"\n\nStatus: {sub['status']}: {_md(sub['reason'])}" if sub["status"] != "graded" else "")))
            for row in results.get((sub["student"], sub["assignment"], sub["notebook"]), []):
                lines = [f"### {_md(row['question'])}: {row['points']:g} / {row['max_points']:g} ({row['status']})"]
                lines += [f"    {ln}" for ln in student_problems(row)]
                for test in row["tests"]:
                    mark = "passed" if test["passed"] else "failed"
                    if test["hidden"] and not instructor:
                        lines.append(f"- a hidden test: {mark}")
                    else:
                        lines.append(f"- {_md(test['name'])}: {mark}"
                                     + (f": {_md(test['message'])}" if test["message"] and test["message"] != mark else ""))
                if row["comment"]:
                    lines.append(f"\n**Comment from your instructor:** {_md(row['comment'])}")
                nb.cells.append(nbformat.v4.new_markdown_cell("\n".join(lines)))
                if row["answer"]:
                    make = nbformat.v4.new_markdown_cell if row["answer_format"] == "markdown" else nbformat.v4.new_code_cell
                    nb.cells.append(make(row["answer"]))
        path = out / page_name(name, student, instructor).replace(".html", ".ipynb")
        nbformat.write(nb, str(path))
        written.append(path)
    return written


def _md(text) -> str:
    """Text put into a markdown cell: HTML and markdown's own characters shown as they are."""
    return html.escape(str(text)).replace("\n", " ").replace("*", "\\*").replace("_", "\\_").replace("[", "\\[")
