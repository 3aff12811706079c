"""Self-check quizzes: a small YAML format, build-time validation, HTML rendering, notebook export.

A quiz lives beside its chapter (``chapters/domains/data-engineering.quiz.yml``) and is placed on
the page with the ``quiz`` directive, whose argument is the quiz file relative to the page::

    ```{quiz} data-engineering.quiz.yml
    ```

The format::

    title: Data engineering
    questions:
      - id: etl-order                # unique within the quiz
        type: choice
        prompt: In which order do the three steps of ETL run?
        choices:
          - text: Extract, transform, load
            correct: true            # exactly one choice is correct
          - text: Load, extract, transform
        explanation: Why the right answer is right (required).
      - id: analyst-floor
        type: numeric
        prompt: What is the bottom of the typical Data Analyst range, in U.S. dollars?
        answer_from: "salary_low:data-analyst"    # or `answer: 42`; figures come from careers.yml
        scale: 1000                  # optional: the student answers in thousands
        tolerance: "5%"              # absolute (a number >= 0, in scaled units) or relative ("5%")
        unit: thousand USD           # optional, shown beside the input box
        explanation: Glassdoor and Payscale put it at {answer}.

Prompts, choices and explanations are plain text with inline ``code``, **bold** and *italics*, and
a few placeholders read from ``coursekit.careers`` at build time so that no figure is typed twice:
``{answer}`` (the resolved numeric answer, before scaling), ``{salary:<role-id>}``, ``{title:<role-id>}`` and
``{market:<fact-id>}``.

Every error is one line naming the quiz file and the question, e.g.
``chapters/x.quiz.yml: question 'q2': 2 choices are marked correct; exactly one must be``.

The extension also carries three small fixes for the book's theme stack, found by the browser
tests (see ``_default_colour_mode``, ``_drop_duplicate_scripts`` and ``static/book-fixes.js``).

Command line (also usable from the ``coursekit`` command)::

    python -m coursekit.book.quiz check chapters/            # validate every *.quiz.yml
    python -m coursekit.book.quiz export a.quiz.yml a.ipynb   # an offline notebook version
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import math
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from coursekit import careers
from coursekit.book import add_coursekit_static

QUIZ_SUFFIX = ".quiz.yml"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_PLACEHOLDER_RE = re.compile(r"\{(answer|salary|title|market)(?::([A-Za-z0-9_-]+))?\}")


class QuizError(ValueError):
    """A quiz file is unreadable or invalid; the message is one line naming the file and question."""


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool = False


@dataclass(frozen=True)
class Question:
    id: str
    type: str  # "choice" or "numeric"
    prompt: str
    explanation: str
    choices: tuple[Choice, ...] = ()
    answer: float | None = None
    tolerance: float | None = None  # absolute, already resolved from a relative "5%"
    unit: str = ""
    answer_kind: str = "number"  # "usd" when the answer is money (formats as $55,000)

    @property
    def correct_index(self) -> int | None:
        for index, choice in enumerate(self.choices):
            if choice.correct:
                return index
        return None

    def is_correct(self, value) -> bool:
        """True when ``value`` (a choice index or a number) answers the question."""
        if self.type == "choice":
            return value == self.correct_index
        return abs(float(value) - self.answer) <= self.tolerance + 1e-9 * max(1.0, abs(self.answer))


@dataclass(frozen=True)
class Quiz:
    path: str
    title: str
    questions: tuple[Question, ...]
    intro: str = ""
    ids: tuple[str, ...] = field(default=())

    def question(self, qid: str) -> Question:
        for q in self.questions:
            if q.id == qid:
                return q
        raise KeyError(qid)


# --------------------------------------------------------------------------------------------
# Parsing and validation
# --------------------------------------------------------------------------------------------

def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _as_number(value):
    """Numbers as they are; YAML strings such as '1e12' (PyYAML reads those as text) as floats."""
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return value
        return number if math.isfinite(number) else value
    return value


def resolve_answer(key: str, data: careers.CareerData | None = None) -> tuple[float, str]:
    """Look a numeric answer up in the career data: returns (value, kind) where kind is usd/number.

    Keys: ``salary_low:<role>``, ``salary_high:<role>``, ``years_min:<level>``, ``years_max:<level>``,
    ``market:<fact>``, ``bootcamp_months_min``, ``bootcamp_months_max``.
    """
    data = data or careers.load()
    name, _, arg = str(key).partition(":")
    if name in ("salary_low", "salary_high"):
        careers.role(arg, data)  # raises a clear CareerDataError on an unknown role
        table = careers.roles(data=data)
        row = table[table["id"] == arg].iloc[0]
        return float(row[name]), "usd"
    if name in ("years_min", "years_max"):
        for level in data.levels:
            if level["id"] == arg:
                if level.get(name) is None:
                    raise careers.CareerDataError(f"level {arg!r} has no {name} (it is open-ended)")
                return float(level[name]), "number"
        raise careers.CareerDataError(f"no level {arg!r}; known: " + ", ".join(lv["id"] for lv in data.levels))
    if name == "market":
        return float(careers.market_fact(arg, data)["value_usd"]), "usd"
    if name in ("bootcamp_months_min", "bootcamp_months_max") and not arg:
        value = data.bootcamps.get(name.replace("bootcamp_", ""))
        if value is None:
            raise careers.CareerDataError(f"the data file has no bootcamps.{name.replace('bootcamp_', '')}")
        return float(value), "number"
    raise careers.CareerDataError(
        f"unknown answer_from {key!r}; use salary_low:<role>, salary_high:<role>, years_min:<level>, "
        "years_max:<level>, market:<fact>, bootcamp_months_min or bootcamp_months_max")


def format_answer(value: float, kind: str) -> str:
    if kind == "usd":
        return careers.format_usd(value)
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _fill(text: str, answer_text: str | None, data, fail) -> str:
    """Replace {answer}, {salary:id}, {title:id}, {market:id} placeholders."""

    def sub(match):
        name, arg = match.group(1), match.group(2)
        if name == "answer":
            if answer_text is None:
                fail("{answer} is only available in numeric questions")
            return answer_text
        if not arg:
            fail(f"placeholder {{{name}}} needs an id, e.g. {{{name}:some-id}}")
        try:
            if name == "salary":
                return careers.salary_text(arg, data)
            if name == "title":
                return careers.role(arg, data)["title"]
            fact = careers.market_fact(arg, data)
            return f"{fact.get('qualifier', '')} {careers.format_usd(fact['value_usd'])}".strip()
        except careers.CareerDataError as exc:
            fail(_career_message(exc, data))

    return _PLACEHOLDER_RE.sub(sub, text)


def _career_message(exc: Exception, data) -> str:
    """A CareerDataError's message without the data file's path in front."""
    prefix = f"{data.path if data is not None else careers.default_path()}: "
    return str(exc).removeprefix(prefix)


def _text(record: dict, key: str, fail, required: bool = True) -> str:
    value = record.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fail(f"the {key} is missing or empty")
        return ""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        fail(f"the {key} must be text")
    return " ".join(str(value).split())


def _parse_tolerance(raw, answer: float, fail) -> float:
    if raw is None:
        fail("a numeric question needs a tolerance (0 for an exact answer, a number, or a percentage like '5%')")
    if isinstance(raw, str) and raw.strip().endswith("%"):
        try:
            percent = float(raw.strip()[:-1])
        except ValueError:
            fail(f"tolerance {raw!r} is not a number or a percentage")
        if not math.isfinite(percent) or percent < 0:
            fail(f"tolerance {raw!r} must be a percentage of at least 0")
        return abs(answer) * percent / 100
    raw = _as_number(raw)
    if not _is_number(raw):
        fail(f"tolerance {raw!r} is not a number or a percentage")
    if raw < 0:
        fail(f"tolerance {raw!r} must be at least 0")
    return float(raw)


def parse_quiz(raw, path: str = "<quiz>", data: careers.CareerData | None = None) -> Quiz:
    """Validate an already-loaded YAML mapping and return the Quiz; raises QuizError."""

    def top_fail(message):
        raise QuizError(f"{path}: {message}")

    if not isinstance(raw, dict):
        top_fail("the file must be a mapping with a title and a list of questions")
    unknown = set(raw) - {"title", "intro", "questions"}
    if unknown:
        top_fail(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; use title, intro and questions")
    title = _text(raw, "title", top_fail)
    intro = _text(raw, "intro", top_fail, required=False)
    items = raw.get("questions")
    if not isinstance(items, list) or not items:
        top_fail("questions must be a non-empty list")

    questions: list[Question] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        label = f"question #{number}"
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            label = f"question {item['id']!r}"

        def fail(message, label=label):
            raise QuizError(f"{path}: {label}: {message}")

        if not isinstance(item, dict):
            fail("must be a mapping with id, type, prompt and explanation")
        qid = item.get("id")
        if not isinstance(qid, str) or not _ID_RE.match(qid):
            fail("needs an id made of letters, digits, '-' and '_' (e.g. q1)")
        if qid in seen:
            fail("this id is used twice in the quiz")
        seen.add(qid)
        qtype = item.get("type")
        if qtype not in ("choice", "numeric"):
            fail(f"type must be 'choice' or 'numeric', got {qtype!r}")
        allowed = {"id", "type", "prompt", "explanation"} | (
            {"choices"} if qtype == "choice" else {"answer", "answer_from", "scale", "tolerance", "unit"})
        extra = set(item) - allowed
        if extra:
            fail(f"unknown key(s) {', '.join(sorted(map(str, extra)))} for a {qtype} question")
        prompt = _text(item, "prompt", fail)
        explanation = _text(item, "explanation", fail)

        if qtype == "choice":
            raw_choices = item.get("choices")
            if not isinstance(raw_choices, list) or len(raw_choices) < 2:
                fail("a choice question needs a list of at least two choices")
            choices = []
            for cnum, raw_choice in enumerate(raw_choices, start=1):
                if isinstance(raw_choice, str):
                    raw_choice = {"text": raw_choice}
                if not isinstance(raw_choice, dict) or set(raw_choice) - {"text", "correct"}:
                    fail(f"choice #{cnum} must be a mapping with text and an optional correct: true")
                correct = raw_choice.get("correct", False)
                if not isinstance(correct, bool):
                    fail(f"choice #{cnum}: correct must be true or false, got {correct!r}")
                text = _text(raw_choice, "text", lambda m, c=cnum: fail(f"choice #{c}: {m}"))
                choices.append(Choice(_fill(text, None, data, fail), correct))
            right = sum(c.correct for c in choices)
            if right == 0:
                fail("no choice is marked correct: true; exactly one must be")
            if right > 1:
                fail(f"{right} choices are marked correct; exactly one must be")
            texts = [c.text.lower() for c in choices]
            if len(set(texts)) != len(texts):
                fail("two choices have the same text")
            questions.append(Question(qid, qtype, _fill(prompt, None, data, fail),
                                      _fill(explanation, None, data, fail), tuple(choices)))
            continue

        has_answer, has_from = "answer" in item, "answer_from" in item
        if has_answer == has_from:
            fail("a numeric question needs exactly one of answer or answer_from")
        kind = "number"
        if has_from:
            try:
                answer, kind = resolve_answer(item["answer_from"], data)
            except careers.CareerDataError as exc:
                fail(_career_message(exc, data))
        else:
            answer = _as_number(item["answer"])
            if not _is_number(answer):
                fail(f"answer {answer!r} is not a number")
            answer = float(answer)
        answer_text = format_answer(answer, kind)
        scale = _as_number(item.get("scale", 1))
        if not _is_number(scale) or scale <= 0:
            fail(f"scale {scale!r} must be a number above 0 (e.g. 1000 to ask in thousands)")
        answer = answer / scale
        tolerance = _parse_tolerance(item.get("tolerance"), answer, fail)
        unit = _text(item, "unit", fail, required=False)
        questions.append(Question(qid, qtype, _fill(prompt, answer_text, data, fail),
                                  _fill(explanation, answer_text, data, fail), (), answer, tolerance,
                                  unit, kind))
    return Quiz(path=path, title=title, questions=tuple(questions), intro=intro,
                ids=tuple(q.id for q in questions))


def load_quiz(path: str | Path, data: careers.CareerData | None = None, display_path: str | None = None) -> Quiz:
    """Read, validate and resolve a quiz file; raises QuizError with a one-line message."""
    path = Path(path)
    shown = display_path or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuizError(f"{shown}: quiz file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuizError(f"{shown}: cannot be read ({exc.__class__.__name__})") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise QuizError(f"{shown}: is not valid YAML{where}") from None
    return parse_quiz(raw, shown, data)


def find_quizzes(root: str | Path) -> list[Path]:
    root = Path(root)
    if root.is_file():
        return [root]
    skip = {"_build", ".venv", ".git", "node_modules"}
    return sorted(p for p in root.rglob(f"*{QUIZ_SUFFIX}") if not skip & set(p.relative_to(root).parts))


def validate_all(root: str | Path) -> list[str]:
    """Validate every quiz file under ``root``; returns the one-line error messages (empty: all good)."""
    errors = []
    for path in find_quizzes(root):
        try:
            load_quiz(path)
        except QuizError as exc:
            errors.append(str(exc))
    return errors


# --------------------------------------------------------------------------------------------
# HTML rendering
# --------------------------------------------------------------------------------------------

def inline_html(text: str) -> str:
    """Escape text, then allow `code`, **bold** and *italics*."""
    parts = re.split(r"(`[^`]+`)", text)
    out = []
    for part in parts:
        if len(part) > 1 and part.startswith("`") and part.endswith("`"):
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
            continue
        part = html.escape(part)
        part = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", part)
        part = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", part)
        out.append(part)
    return "".join(out)


def answer_key(quiz: Quiz) -> str:
    """The answers, lightly encoded so they are not read at a glance in the page source."""
    key = {}
    for q in quiz.questions:
        if q.type == "choice":
            key[q.id] = {"c": q.correct_index}
        else:
            key[q.id] = {"a": q.answer, "t": q.tolerance}
    return base64.b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def render_html(quiz: Quiz, uid: str) -> str:
    """The quiz as static HTML; quiz.js adds the behaviour (feedback, explanation, score)."""
    esc = html.escape
    n = len(quiz.questions)
    out = [f'<section class="ck-quiz" id="{esc(uid)}" data-key="{answer_key(quiz)}" data-total="{n}" '
           f'aria-label="{esc("Quiz: " + quiz.title)}">',
           f'<p class="ck-quiz-title">{inline_html(quiz.title)}</p>']
    if quiz.intro:
        out.append(f'<p class="ck-quiz-intro">{inline_html(quiz.intro)}</p>')
    out.append('<p class="ck-quiz-howto">Answer each question to get instant feedback and an '
               'explanation. Nothing is sent anywhere: the quiz runs in your browser.</p>')
    out.append('<ol class="ck-quiz-questions">')
    for q in quiz.questions:
        qdom = f"{uid}-{q.id}"
        out.append(f'<li class="ck-quiz-question" id="{esc(qdom)}" data-qid="{esc(q.id)}" data-type="{q.type}">')
        if q.type == "choice":
            out.append(f'<p class="ck-quiz-prompt" id="{esc(qdom)}-prompt">{inline_html(q.prompt)}</p>')
            out.append(f'<div class="ck-quiz-choices" role="radiogroup" aria-labelledby="{esc(qdom)}-prompt">')
            for index, choice in enumerate(q.choices):
                out.append(f'<label class="ck-quiz-choice"><input type="radio" name="{esc(qdom)}" '
                           f'value="{index}"> <span>{inline_html(choice.text)}</span></label>')
            out.append("</div>")
        else:
            unit = f' <span class="ck-quiz-unit">{inline_html(q.unit)}</span>' if q.unit else ""
            out.append(f'<p class="ck-quiz-prompt" id="{esc(qdom)}-prompt">{inline_html(q.prompt)}</p>')
            out.append(f'<div class="ck-quiz-numeric"><input type="text" inputmode="decimal" autocomplete="off" '
                       f'class="ck-quiz-input" aria-labelledby="{esc(qdom)}-prompt" placeholder="Your answer">'
                       f'{unit} <button type="button" class="ck-quiz-check">Check</button></div>')
        out.append('<p class="ck-quiz-feedback" role="status" aria-live="polite" hidden></p>')
        out.append(f'<div class="ck-quiz-explanation" hidden><p>{inline_html(q.explanation)}</p></div>')
        out.append("</li>")
    out.append("</ol>")
    out.append(f'<div class="ck-quiz-footer"><p class="ck-quiz-score" aria-live="polite" data-score="0" '
               f'data-answered="0">Score: 0 / {n}</p>'
               '<button type="button" class="ck-quiz-reset">Start again</button></div>')
    out.append('<noscript><p>This quiz needs JavaScript. The notebook version works offline without it.'
               '</p></noscript>')
    out.append("</section>")
    return "\n".join(out)


def render_text(quiz: Quiz) -> str:
    """A plain-text version (for builders other than HTML, e.g. LaTeX)."""
    lines = [quiz.title]
    for number, q in enumerate(quiz.questions, start=1):
        lines.append(f"{number}. {q.prompt}")
        for index, choice in enumerate(q.choices):
            lines.append(f"   {chr(65 + index)}. {choice.text}")
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# Sphinx extension
# --------------------------------------------------------------------------------------------

def _sphinx_directive():
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    class QuizDirective(SphinxDirective):
        """``{quiz} path/to/file.quiz.yml``: render a validated self-check quiz."""

        required_arguments = 1
        has_content = False

        def run(self):
            rel, absolute = self.env.relfn2path(self.arguments[0].strip(), self.env.docname)
            self.env.note_dependency(rel)
            self.env.note_dependency(str(careers.default_path()))
            try:
                quiz = load_quiz(absolute, display_path=rel)
            except QuizError as exc:
                raise self.error(str(exc)) from None
            count = self.env.temp_data.setdefault("ck_quiz_count", 0) + 1
            self.env.temp_data["ck_quiz_count"] = count
            slug = re.sub(r"[^A-Za-z0-9]+", "-", self.env.docname).strip("-").lower()
            uid = f"quiz-{slug}-{count}"
            container = nodes.container(classes=["ck-quiz-container"])
            container += nodes.raw("", render_html(quiz, uid), format="html")
            container += nodes.raw("", render_text(quiz), format="latex")
            return [container]

    return QuizDirective


def setup(app):
    app.add_directive("quiz", _sphinx_directive())
    app.connect("builder-inited", add_coursekit_static)
    app.add_css_file("quiz.css")
    app.add_js_file("quiz.js", loading_method="defer")
    return {"parallel_read_safe": True, "parallel_write_safe": True}


# --------------------------------------------------------------------------------------------
# Notebook export
# --------------------------------------------------------------------------------------------

_CHECKER = '''\
# Quiz checker: runs offline with the standard library only. Run this cell first.
import base64 as _b64, json as _json

_QUIZ = _json.loads(_b64.b64decode("{payload}").decode("utf-8"))
_RESULTS = {{}}


def _number(text):
    cleaned = str(text).strip().replace(",", "").replace("_", "").replace("$", "").replace(" ", "")
    return float(cleaned)


def check(qid, answer):
    """Check your answer to one question and explain it. Choices: a letter like "B"."""
    q = _QUIZ[qid]
    if answer is None:
        print(f"No answer yet: set the answer variable for {{qid}} and run the cell again.")
        return None
    if q["type"] == "choice":
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[: len(q["choices"])]
        key = str(answer).strip().upper()
        if len(key) != 1 or key not in letters:
            print(f"Please answer with one letter from {{', '.join(letters)}}.")
            return None
        right = letters.index(key) == q["correct"]
    else:
        try:
            value = _number(answer)
        except ValueError:
            print("Please answer with a number, for example 42 or 1.5.")
            return None
        right = abs(value - q["answer"]) <= q["tolerance"] + 1e-9 * max(1.0, abs(q["answer"]))
    _RESULTS[qid] = right
    print(("Correct!" if right else "Not quite.") + " " + q["explanation"])
    return right


def score():
    """How many questions you have answered correctly so far."""
    right = sum(1 for qid in _QUIZ if _RESULTS.get(qid))
    print(f"Score: {{right}} / {{len(_QUIZ)}} ({{len(_RESULTS)}} answered)")
    return right
'''


def quiz_notebook(quiz: Quiz):
    """The quiz as an nbformat notebook: one markdown and one check cell per question."""
    import nbformat
    from nbformat import v4

    payload = {}
    for q in quiz.questions:
        entry = {"type": q.type, "explanation": q.explanation}
        if q.type == "choice":
            entry.update(choices=[c.text for c in q.choices], correct=q.correct_index)
        else:
            entry.update(answer=q.answer, tolerance=q.tolerance)
        payload[q.id] = entry
    encoded = base64.b64encode(json.dumps(payload, ensure_ascii=False).encode("utf-8")).decode()

    cells = [v4.new_markdown_cell(
        f"# Quiz: {quiz.title}\n\n" + (f"{quiz.intro}\n\n" if quiz.intro else "")
        + "A self-check quiz from the course book, for working offline. Run the first code cell once; "
          "then, for each question, put your answer in the code cell below it and run that cell. "
          "You get a verdict and an explanation at once. Nothing here needs a network connection."),
        v4.new_code_cell(_CHECKER.format(payload=encoded), metadata={"tags": ["quiz-checker"]})]
    for number, q in enumerate(quiz.questions, start=1):
        var = "answer_" + re.sub(r"\W", "_", q.id)
        if q.type == "choice":
            options = "\n".join(f"- **{chr(65 + i)}.** {c.text}" for i, c in enumerate(q.choices))
            cells.append(v4.new_markdown_cell(f"## Question {number}\n\n{q.prompt}\n\n{options}"))
            hint = 'one letter, for example "B"'
        else:
            unit = f" (in {q.unit})" if q.unit else ""
            cells.append(v4.new_markdown_cell(f"## Question {number}\n\n{q.prompt}\n\n"
                                              f"Answer with a number{unit}."))
            hint = "a number, for example 42"
        cells.append(v4.new_code_cell(f"{var} = None  # your answer: {hint}\ncheck({q.id!r}, {var})",
                                      metadata={"tags": ["quiz-answer"]}))
    cells.append(v4.new_markdown_cell("## Your score"))
    cells.append(v4.new_code_cell("score()"))
    nb = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"}})
    nbformat.validate(nb)
    return nb


def export_quiz_notebook(quiz_path: str | Path, out_path: str | Path | None = None) -> Path:
    """Write the quiz at ``quiz_path`` as a notebook (default: beside it, ``<name>.quiz.ipynb``)."""
    import nbformat

    quiz_path = Path(quiz_path)
    quiz = load_quiz(quiz_path)
    if out_path is None:
        name = quiz_path.name[: -len(QUIZ_SUFFIX)] if quiz_path.name.endswith(QUIZ_SUFFIX) else quiz_path.stem
        out_path = quiz_path.with_name(name + ".quiz.ipynb")
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(quiz_notebook(quiz), str(out_path))
    return out_path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m coursekit.book.quiz", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="validate quiz files (files or folders searched for *.quiz.yml)")
    check.add_argument("paths", nargs="+")
    export = sub.add_parser("export", help="export a quiz to an offline notebook")
    export.add_argument("quiz")
    export.add_argument("out", nargs="?")
    args = parser.parse_args(argv)
    if args.command == "check":
        errors, count = [], 0
        for target in args.paths:
            paths = find_quizzes(target)
            count += len(paths)
            errors += validate_all(target)
        for message in errors:
            print(message, file=sys.stderr)
        print(f"{count} quiz file(s) checked, {len(errors)} with errors")
        return 1 if errors else 0
    try:
        out = export_quiz_notebook(args.quiz, args.out)
    except QuizError as exc:
        print(exc, file=sys.stderr)
        return 1
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
