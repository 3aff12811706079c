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
            why: The misconception behind this option, shown when it is picked (optional).
        explanation: Why the right answer is right (required).
      - id: analyst-floor
        type: numeric
        prompt: What is the bottom of the typical Data Analyst range, in U.S. dollars?
        answer_from: "salary_low:data-analyst"    # or `answer: 42`; figures come from careers.yml
        scale: 1000                  # optional: the student answers in thousands
        tolerance: "5%"              # absolute (a number >= 0, in scaled units) or relative ("5%")
        unit: thousand USD           # optional, shown beside the input box
        explanation: Glassdoor and Payscale put it at {answer}.

Options are shuffled at build time with a fixed seed, balanced within each quiz so that the right
answer's position is spread evenly (``shuffle: false`` on a question keeps the written order, for
options with a natural order); a quiz whose right answers still cluster in one position is
rejected. A quiz with ``kind: check-in`` is a short prior-knowledge check placed at the top of a
chapter; the default ``kind: quiz`` closes a chapter.

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
    python -m coursekit.book.quiz export a.quiz.yml a.ipynb   # an offline notebook (jupyterquiz)

The book keeps its own static HTML and quiz.js (score, search-indexed prompts, no network); the
notebook version hands the same questions, in jupyterquiz's JSON format, to
``jupyterquiz.display_quiz`` (see the authoring guide for why the split).
"""
from __future__ import annotations

import argparse
import base64
import html
import json
import math
import random
import re
import sys
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from coursekit import careers
from coursekit.book import add_coursekit_static

QUIZ_SUFFIX = ".quiz.yml"
SHUFFLE_SEED = "coursekit-quiz-1"  # change it and every quiz's option order changes, reproducibly
KINDS = ("quiz", "check-in")
LETTERS = "ABCDEFGHIJ"
_ID_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")
_PLACEHOLDER_RE = re.compile(r"\{(answer|salary|title|market)(?::([A-Za-z0-9_-]+))?\}")


class QuizError(ValueError):
    """A quiz file is unreadable or invalid; the message is one line naming the file and question."""


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool = False
    why: str = ""  # the misconception behind a wrong option (or a note on the right one)


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
    shuffle: bool = True  # False keeps the written order of the choices (e.g. ascending numbers)

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
    kind: str = "quiz"  # "quiz" (after a chapter) or "check-in" (before it)

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

    Keys: ``salary_low:<role>``, ``salary_high:<role>``, ``salary_mid:<role>``, ``years_min:<level>``, ``years_max:<level>``,
    ``market:<fact>``, ``bootcamp_months_min``, ``bootcamp_months_max``.
    """
    data = data or careers.load()
    name, _, arg = str(key).partition(":")
    if name in ("salary_low", "salary_high", "salary_mid"):
        careers.role(arg, data)  # raises a clear CareerDataError on an unknown role
        table = careers.roles(data=data)
        row = table[table["id"] == arg].iloc[0]
        if name == "salary_mid":
            return (float(row["salary_low"]) + float(row["salary_high"])) / 2, "usd"
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
        f"unknown answer_from {key!r}; use salary_low:<role>, salary_high:<role>, salary_mid:<role>, "
        "years_min:<level>, "
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
    unknown = set(raw) - {"title", "intro", "kind", "questions"}
    if unknown:
        top_fail(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}; use title, intro, kind and questions")
    quiz_kind = raw.get("kind", "quiz")
    if quiz_kind not in KINDS:
        top_fail(f"kind must be one of {', '.join(KINDS)}, got {quiz_kind!r}")
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
            {"choices", "shuffle"} if qtype == "choice" else {"answer", "answer_from", "scale", "tolerance", "unit"})
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
                if not isinstance(raw_choice, dict) or set(raw_choice) - {"text", "correct", "why"}:
                    fail(f"choice #{cnum} must be a mapping with text, an optional correct: true "
                         "and an optional why")
                correct = raw_choice.get("correct", False)
                if not isinstance(correct, bool):
                    fail(f"choice #{cnum}: correct must be true or false, got {correct!r}")
                choice_fail = lambda m, c=cnum: fail(f"choice #{c}: {m}")  # noqa: E731
                text = _text(raw_choice, "text", choice_fail)
                why = _text(raw_choice, "why", choice_fail, required=False)
                choices.append(Choice(_fill(text, None, data, fail), correct, _fill(why, None, data, fail)))
            right = sum(c.correct for c in choices)
            if right == 0:
                fail("no choice is marked correct: true; exactly one must be")
            if right > 1:
                fail(f"{right} choices are marked correct; exactly one must be")
            texts = [c.text.lower() for c in choices]
            if len(set(texts)) != len(texts):
                fail("two choices have the same text")
            shuffle = item.get("shuffle", True)
            if not isinstance(shuffle, bool):
                fail(f"shuffle must be true or false, got {shuffle!r}")
            questions.append(Question(qid, qtype, _fill(prompt, None, data, fail),
                                      _fill(explanation, None, data, fail), tuple(choices), shuffle=shuffle))
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
    questions = arrange_choices(questions, f"{Path(path).name}:{title}")  # file name: check-ins share a title
    check_positions(questions, path)
    return Quiz(path=path, title=title, questions=tuple(questions), intro=intro,
                ids=tuple(q.id for q in questions), kind=quiz_kind)


def arrange_choices(questions: list[Question], seed_key: str) -> list[Question]:
    """Shuffle each question's options with a fixed seed, balancing the right answer's position.

    Authors write the right answer wherever they like (usually first); readers learn nothing from
    position because, within a quiz, each shuffled question puts its right answer in the position
    used least so far (ties broken by the seeded generator). Same file, same order, every build.
    """
    rng = random.Random(f"{SHUFFLE_SEED}:{seed_key}")
    used = Counter(q.correct_index for q in questions if q.type == "choice" and not q.shuffle)
    arranged = []
    for q in questions:
        if q.type != "choice" or not q.shuffle:
            arranged.append(q)
            continue
        n = len(q.choices)
        fewest = min(used[p] for p in range(n))
        position = rng.choice([p for p in range(n) if used[p] == fewest])
        used[position] += 1
        wrong = [c for c in q.choices if not c.correct]
        rng.shuffle(wrong)
        wrong.insert(position, q.choices[q.correct_index])
        arranged.append(replace(q, choices=tuple(wrong)))
    return arranged


def check_positions(questions, path: str) -> None:
    """Reject a quiz whose right answers cluster in one position (possible with shuffle: false)."""
    positions = [(q.correct_index, q.id) for q in questions if q.type == "choice"]
    if len(positions) < 3:
        return
    position, count = Counter(p for p, _ in positions).most_common(1)[0]
    if count >= 3 and count > len(positions) / 2:
        ids = ", ".join(qid for p, qid in positions if p == position)
        raise QuizError(f"{path}: the right answer is option {LETTERS[position]} in {count} of "
                        f"{len(positions)} choice questions ({ids}); let the build shuffle them "
                        "(remove shuffle: false) or reorder their choices")


def position_report(quizzes) -> str:
    """Where the right answers sit across many quizzes, with the count a uniform spread would give."""
    observed, expected = Counter(), Counter()
    for quiz in quizzes:
        for q in quiz.questions:
            if q.type == "choice":
                observed[q.correct_index] += 1
                for p in range(len(q.choices)):
                    expected[p] += 1 / len(q.choices)
    if not expected:
        return "no choice questions"
    parts = [f"{LETTERS[p]} {observed[p]} (uniform: {expected[p]:.1f})" for p in sorted(expected)]
    return "right answer by position: " + ", ".join(parts)


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


def validate_all(root: str | Path, loaded: list | None = None) -> list[str]:
    """Validate every quiz file under ``root``; returns the one-line error messages (empty: all good).

    Quizzes that load are appended to ``loaded`` when it is given (for the position report).
    """
    errors = []
    for path in find_quizzes(root):
        try:
            quiz = load_quiz(path)
        except QuizError as exc:
            errors.append(str(exc))
            continue
        if loaded is not None:
            loaded.append(quiz)
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
            if any(c.why for c in q.choices):
                key[q.id]["w"] = [c.why for c in q.choices]
        else:
            key[q.id] = {"a": q.answer, "t": q.tolerance}
    return base64.b64encode(json.dumps(key, separators=(",", ":")).encode()).decode()


def render_html(quiz: Quiz, uid: str) -> str:
    """The quiz as static HTML; quiz.js adds the behaviour (feedback, explanation, score)."""
    esc = html.escape
    n = len(quiz.questions)
    label = "Check-in" if quiz.kind == "check-in" else "Quiz"
    extra = " ck-quiz-checkin" if quiz.kind == "check-in" else ""
    out = [f'<section class="ck-quiz{extra}" id="{esc(uid)}" data-key="{answer_key(quiz)}" data-total="{n}" '
           f'data-kind="{quiz.kind}" aria-label="{esc(label + ": " + quiz.title)}">',
           f'<p class="ck-quiz-title">{inline_html(quiz.title)}</p>']
    if quiz.intro:
        out.append(f'<p class="ck-quiz-intro">{inline_html(quiz.intro)}</p>')
    if quiz.kind == "check-in":
        howto = ("What do you know already? Answer before reading; the chapter explains anything you "
                 "get wrong. Nothing is sent anywhere.")
    else:
        howto = ("Answer each question to get instant feedback and an explanation. Nothing is sent "
                 "anywhere: the quiz runs in your browser.")
    out.append(f'<p class="ck-quiz-howto">{howto}</p>')
    out.append('<ol class="ck-quiz-questions">')
    for q in quiz.questions:
        qdom = f"{uid}-{q.id}"
        out.append(f'<li class="ck-quiz-question" id="{esc(qdom)}" data-qid="{esc(q.id)}" data-type="{q.type}">')
        if q.type == "choice":
            out.append(f'<p class="ck-quiz-prompt" id="{esc(qdom)}-prompt">{inline_html(q.prompt)}</p>')
            out.append(f'<div class="ck-quiz-choices" role="radiogroup" aria-labelledby="{esc(qdom)}-prompt">')
            for index, choice in enumerate(q.choices):
                out.append(f'<label class="ck-quiz-choice"><input type="radio" name="{esc(qdom)}" '
                           f'value="{index}"> <span class="ck-quiz-letter">{LETTERS[index]}.</span> '
                           f'<span>{inline_html(choice.text)}</span></label>')
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
            lines.append(f"   {LETTERS[index]}. {choice.text}")
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

def _jq_text(text: str) -> str:
    """Our inline markup as HTML for jupyterquiz, with '$' hidden from its LaTeX conversion."""
    return inline_html(text).replace("$", "&#36;")


def to_jupyterquiz(quiz: Quiz) -> list[dict]:
    """The quiz in jupyterquiz's JSON question format, options already in the book's shuffled order.

    Every answer carries its feedback: the right one the explanation, a wrong one its ``why`` (the
    misconception) and then the explanation, as the book shows them. Numeric answers become a
    range, which jupyterquiz reads as half-open [low, high): high is nudged up by a hair.
    """
    out = []
    for q in quiz.questions:
        explanation = _jq_text(q.explanation)
        if q.type == "choice":
            answers = []
            for choice in q.choices:
                if choice.correct:
                    feedback = f"Correct! {explanation}"
                else:
                    feedback = "Not quite. " + (f"{_jq_text(choice.why)} " if choice.why else "") + explanation
                answers.append({"answer": _jq_text(choice.text), "correct": choice.correct, "feedback": feedback})
            out.append({"question": _jq_text(q.prompt), "type": "multiple_choice", "answers": answers})
            continue
        slack = 1e-9 * max(1.0, abs(q.answer))
        unit = f" (in {_jq_text(q.unit)}; digits only, no commas)" if q.unit else " (digits only, no commas)"
        out.append({"question": _jq_text(q.prompt) + unit, "type": "numeric", "answers": [
            {"range": [q.answer - q.tolerance - slack, q.answer + q.tolerance + 2 * slack], "correct": True,
             "feedback": f"Correct! {explanation}"},
            {"type": "default", "feedback": f"Not quite. {explanation}"}]})
    return out


def quiz_notebook(quiz: Quiz):
    """The quiz as an nbformat notebook that shows it with jupyterquiz, offline (questions embedded)."""
    import nbformat
    from nbformat import v4

    # Base64, as in the book's answer key, so the answers are not read at a glance in the cell.
    payload = base64.b64encode(json.dumps(to_jupyterquiz(quiz), ensure_ascii=False).encode("utf-8")).decode()
    label = "Check-in" if quiz.kind == "check-in" else "Quiz"
    cells = [
        v4.new_markdown_cell(
            f"# {label}: {quiz.title}\n\n" + (f"{quiz.intro}\n\n" if quiz.intro else "")
            + "A self-check from the course book, for working offline. Run the code cell below, then "
              "click an option (or type a number and press Enter) for instant feedback. The "
              "questions are inside this notebook and nothing is fetched from the network; the cell "
              "needs the `jupyterquiz` package, which the course's setup installs."),
        v4.new_code_cell("import base64, json\nfrom jupyterquiz import display_quiz\n\n"
                         f'questions = json.loads(base64.b64decode("{payload}"))\n'
                         "display_quiz(questions, shuffle_answers=False)",
                         metadata={"tags": ["quiz"]}),
    ]
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
        errors, count, loaded = [], 0, []
        for target in args.paths:
            paths = find_quizzes(target)
            count += len(paths)
            errors += validate_all(target, loaded)
        for message in errors:
            print(message, file=sys.stderr)
        print(f"{count} quiz file(s) checked, {len(errors)} with errors")
        print(position_report(loaded))
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
