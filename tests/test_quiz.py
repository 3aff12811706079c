"""Self-check quizzes: parsing, build-time validation, Sphinx rendering and notebook export."""
from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import nbformat
import pytest
import yaml

from coursekit import careers
from coursekit.book import quiz as quizmod
from coursekit.book.quiz import QuizError, export_quiz_notebook, load_quiz, parse_quiz

ROOT = Path(__file__).resolve().parents[1]

CHAPTER_QUIZZES = [
    "growth",
    *(f"domains/{p}" for p in ("data-engineering", "ml-engineering", "data-science", "ai-research", "applied-ai")),
    *(f"levels/{p}" for p in ("entry", "mid", "advanced")),
    *(f"education/{p}" for p in ("degrees", "bootcamps-certifications", "technical-skills", "non-technical-skills")),
    *(f"trends/{p}" for p in ("generative-ai", "ethics-governance", "edge-ai", "cross-disciplinary")),
    "roadmap/index",
]

VALID = {
    "title": "Fixture quiz",
    "questions": [
        {"id": "q1", "type": "choice", "prompt": "Which letter comes first?",
         "choices": [{"text": "B"}, {"text": "A", "correct": True}, {"text": "C"}],
         "explanation": "A is the first letter of the alphabet."},
        {"id": "q2", "type": "numeric", "prompt": "What is 6 × 7?", "answer": 42, "tolerance": 0.5,
         "unit": "units", "explanation": "Six sevens make {answer}."},
    ],
}


def write_quiz(folder: Path, data, name: str = "fixture.quiz.yml") -> Path:
    path = folder / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False, allow_unicode=True),
                    encoding="utf-8")
    return path


def quiz_with(change) -> dict:
    data = copy.deepcopy(VALID)
    change(data)
    return data


# ------------------------------------------------------------------------------------------------
# Parsing
# ------------------------------------------------------------------------------------------------

def test_valid_quiz_parses(tmp_path):
    quiz = load_quiz(write_quiz(tmp_path, VALID))
    assert quiz.title == "Fixture quiz"
    assert [q.id for q in quiz.questions] == ["q1", "q2"]
    choice, numeric = quiz.questions
    assert choice.correct_index == 1
    assert choice.is_correct(1) and not choice.is_correct(0)
    assert numeric.answer == 42 and numeric.tolerance == 0.5
    assert numeric.is_correct(42.4) and not numeric.is_correct(43)
    assert numeric.explanation == "Six sevens make 42."


def test_relative_tolerance_and_plain_string_choices(tmp_path):
    data = quiz_with(lambda d: d["questions"][1].update(answer=200, tolerance="5%"))
    data["questions"][0]["choices"] = ["B", {"text": "A", "correct": True}]
    quiz = load_quiz(write_quiz(tmp_path, data))
    assert quiz.questions[1].tolerance == pytest.approx(10)
    assert quiz.questions[0].choices[0].text == "B"


def test_answer_from_reads_the_career_data(tmp_path):
    data = quiz_with(lambda d: d["questions"][1].update(
        answer_from="salary_low:data-analyst", scale=1000, tolerance=0,
        prompt="Where does the {title:data-analyst} range start?",
        explanation="It runs {salary:data-analyst}; the floor is {answer}."))
    del data["questions"][1]["answer"]
    numeric = load_quiz(write_quiz(tmp_path, data)).questions[1]
    table = careers.roles()
    low = float(table.loc[table["id"] == "data-analyst", "salary_low"].iloc[0])
    assert numeric.answer == low / 1000
    assert numeric.prompt == "Where does the Data Analyst range start?"
    assert careers.salary_text("data-analyst") in numeric.explanation
    assert careers.format_usd(low) in numeric.explanation


@pytest.mark.parametrize("key, expected", [
    ("years_max:entry", lambda d: next(lv["years_max"] for lv in d.levels if lv["id"] == "entry")),
    ("market:global_ai_market_2030", lambda d: d.market[0]["value_usd"]),
    ("bootcamp_months_max", lambda d: d.bootcamps["months_max"]),
])
def test_resolve_answer_keys(key, expected):
    value, _kind = quizmod.resolve_answer(key)
    assert value == expected(careers.load())


def test_every_chapter_has_a_valid_quiz():
    for name in CHAPTER_QUIZZES:
        path = ROOT / "chapters" / f"{name}.quiz.yml"
        assert path.is_file(), f"missing quiz {path}"
        quiz = load_quiz(path)
        assert 3 <= len(quiz.questions) <= 5, f"{path}: {len(quiz.questions)} questions"
    assert quizmod.validate_all(ROOT / "chapters") == []


# ------------------------------------------------------------------------------------------------
# Build-time validation: one clear line naming the file and the question
# ------------------------------------------------------------------------------------------------

def _no_right(d):
    d["questions"][0]["choices"][1]["correct"] = False


def _two_right(d):
    d["questions"][0]["choices"][0]["correct"] = True


def _no_explanation(d):
    del d["questions"][0]["explanation"]


def _blank_explanation(d):
    d["questions"][1]["explanation"] = "   "


def _negative_tolerance(d):
    d["questions"][1]["tolerance"] = -1


def _text_tolerance(d):
    d["questions"][1]["tolerance"] = "about right"


def _missing_tolerance(d):
    del d["questions"][1]["tolerance"]


def _bad_percent(d):
    d["questions"][1]["tolerance"] = "-5%"


def _duplicate_id(d):
    d["questions"][1]["id"] = "q1"


def _unknown_type(d):
    d["questions"][0]["type"] = "essay"


def _both_answers(d):
    d["questions"][1]["answer_from"] = "salary_low:data-analyst"


def _unknown_role(d):
    del d["questions"][1]["answer"]
    d["questions"][1]["answer_from"] = "salary_low:astronaut"


def _typo_key(d):
    d["questions"][0]["explaination"] = "typo"


def _non_number_answer(d):
    d["questions"][1]["answer"] = "forty-two"


@pytest.mark.parametrize("change, question, words", [
    (_no_right, "q1", "no choice is marked correct"),
    (_two_right, "q1", "2 choices are marked correct"),
    (_no_explanation, "q1", "explanation is missing"),
    (_blank_explanation, "q2", "explanation is missing"),
    (_negative_tolerance, "q2", "tolerance -1 must be at least 0"),
    (_text_tolerance, "q2", "is not a number or a percentage"),
    (_missing_tolerance, "q2", "needs a tolerance"),
    (_bad_percent, "q2", "percentage of at least 0"),
    (_duplicate_id, "q1", "used twice"),
    (_unknown_type, "q1", "type must be 'choice' or 'numeric'"),
    (_both_answers, "q2", "exactly one of answer or answer_from"),
    (_unknown_role, "q2", "no role 'astronaut'"),
    (_typo_key, "q1", "unknown key(s) explaination"),
    (_non_number_answer, "q2", "is not a number"),
])
def test_invalid_quiz_gives_one_clear_line(tmp_path, change, question, words):
    path = write_quiz(tmp_path, quiz_with(change))
    with pytest.raises(QuizError) as info:
        load_quiz(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: question '{question}': ")
    assert words in message


def test_invalid_yaml_names_the_line(tmp_path):
    path = write_quiz(tmp_path, "title: x\nquestions:\n  - id: q1\n    prompt: a: b: c\n")
    with pytest.raises(QuizError, match=r"fixture\.quiz\.yml: is not valid YAML at line 4$"):
        load_quiz(path)


def test_missing_file_and_empty_quiz(tmp_path):
    with pytest.raises(QuizError, match="quiz file not found"):
        load_quiz(tmp_path / "nope.quiz.yml")
    with pytest.raises(QuizError, match="questions must be a non-empty list"):
        load_quiz(write_quiz(tmp_path, {"title": "Empty", "questions": []}))


def test_cli_check_reports_errors(tmp_path, capsys):
    write_quiz(tmp_path, VALID, "good.quiz.yml")
    assert quizmod.main(["check", str(tmp_path)]) == 0
    write_quiz(tmp_path, quiz_with(_two_right), "bad.quiz.yml")
    assert quizmod.main(["check", str(tmp_path)]) == 1
    captured = capsys.readouterr()
    assert "bad.quiz.yml: question 'q1': 2 choices are marked correct" in captured.err


# ------------------------------------------------------------------------------------------------
# HTML rendering
# ------------------------------------------------------------------------------------------------

def test_render_html_escapes_and_hides_answers(tmp_path):
    data = quiz_with(lambda d: d["questions"][0].update(prompt="Is <script>alert(1)</script> `code` **bold**?"))
    quiz = load_quiz(write_quiz(tmp_path, data))
    html = quizmod.render_html(quiz, "quiz-x-1")
    assert "<script>" not in html
    assert "&lt;script&gt;" in html and "<code>code</code>" in html and "<strong>bold</strong>" in html
    assert 'correct' not in html.split("data-key", 1)[0] and "A is the first letter" in html
    key = json.loads(base64.b64decode(html.split('data-key="', 1)[1].split('"', 1)[0]))
    assert key == {"q1": {"c": 1}, "q2": {"a": 42.0, "t": 0.5}}


def _sphinx_project(tmp_path: Path, quiz_data) -> Path:
    src = tmp_path / "src"
    (src / "part").mkdir(parents=True)
    (src / "conf.py").write_text('project = "quiz fixture"\n'
                                 'extensions = ["myst_parser", "coursekit.book.quiz"]\n'
                                 'exclude_patterns = ["_build"]\n', encoding="utf-8")
    (src / "index.md").write_text("# Fixture\n\n```{toctree}\npart/page\n```\n", encoding="utf-8")
    (src / "part" / "page.md").write_text("# A chapter\n\nSome text.\n\n## Check your understanding\n\n"
                                          "```{quiz} page.quiz.yml\n```\n", encoding="utf-8")
    write_quiz(src / "part", quiz_data, "page.quiz.yml")
    return src


def _sphinx_build(src: Path, out: Path) -> tuple[int, str]:
    from sphinx.cmd.build import build_main

    warnings = out.parent / "warnings.txt"
    code = build_main(["-W", "-q", "-b", "html", "-w", str(warnings), str(src), str(out)])
    return code, warnings.read_text(encoding="utf-8") if warnings.exists() else ""


def test_sphinx_renders_the_quiz(tmp_path):
    src = _sphinx_project(tmp_path, VALID)
    out = tmp_path / "html"
    code, warnings = _sphinx_build(src, out)
    assert code == 0, warnings
    page = (out / "part" / "page.html").read_text(encoding="utf-8")
    assert 'class="ck-quiz"' in page
    assert "Which letter comes first?" in page and "What is 6 × 7?" in page
    assert page.count('type="radio"') == 3 and 'class="ck-quiz-input"' in page
    assert "Score: 0 / 2" in page
    assert "quiz.js" in page and "quiz.css" in page
    for asset in ("quiz.js", "quiz.css", "book-fixes.js"):
        assert (out / "_static" / asset).is_file(), asset


def test_sphinx_build_fails_on_a_broken_quiz(tmp_path):
    src = _sphinx_project(tmp_path, quiz_with(_no_right))
    code, warnings = _sphinx_build(src, tmp_path / "html")
    assert code != 0
    assert "part/page.quiz.yml: question 'q1': no choice is marked correct" in warnings


def test_sphinx_build_fails_on_a_missing_quiz_file(tmp_path):
    src = _sphinx_project(tmp_path, VALID)
    (src / "part" / "page.quiz.yml").unlink()
    code, warnings = _sphinx_build(src, tmp_path / "html")
    assert code != 0 and "page.quiz.yml: quiz file not found" in warnings


# ------------------------------------------------------------------------------------------------
# Notebook export (offline, standard library only)
# ------------------------------------------------------------------------------------------------

def _run(nb):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    return ["".join(o.get("text", "") for o in cell.get("outputs", [])) for cell in nb.cells
            if cell.cell_type == "code"]


def test_export_notebook_runs_offline(tmp_path):
    source = write_quiz(tmp_path, VALID)
    out = export_quiz_notebook(source, tmp_path / "quiz.ipynb")
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    text = "\n".join(c.source for c in nb.cells)
    assert "Which letter comes first?" in text and "**B.** A" in text
    assert "import coursekit" not in text  # the notebook works without the package
    outputs = _run(nb)
    assert sum("No answer yet" in o for o in outputs) == 2
    assert "Score: 0 / 2" in outputs[-1]


def test_export_notebook_checks_answers(tmp_path):
    nb = quizmod.quiz_notebook(load_quiz(write_quiz(tmp_path, VALID)))
    answers = {"answer_q1": '"b"', "answer_q2": '"42.3"'}
    for cell in nb.cells:
        for var, value in answers.items():
            if cell.cell_type == "code" and cell.source.startswith(f"{var} = None"):
                cell.source = cell.source.replace(f"{var} = None", f"{var} = {value}", 1)
    outputs = _run(nb)
    assert any(o.startswith("Correct! A is the first letter") for o in outputs)
    assert any(o.startswith("Correct! Six sevens make 42.") for o in outputs)
    assert "Score: 2 / 2" in outputs[-1]

    nb = quizmod.quiz_notebook(load_quiz(write_quiz(tmp_path, VALID)))
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.source.startswith("answer_q1 = None"):
            cell.source = cell.source.replace("answer_q1 = None", 'answer_q1 = "C"', 1)
        if cell.cell_type == "code" and cell.source.startswith("answer_q2 = None"):
            cell.source = cell.source.replace("answer_q2 = None", 'answer_q2 = "lots"', 1)
    outputs = _run(nb)
    assert any(o.startswith("Not quite. A is the first letter") for o in outputs)
    assert any("Please answer with a number" in o for o in outputs)


def test_export_default_path(tmp_path):
    out = export_quiz_notebook(write_quiz(tmp_path, VALID, "chapter.quiz.yml"))
    assert out == tmp_path / "chapter.quiz.ipynb" and out.is_file()
