"""Self-check quizzes: parsing, shuffling, build-time validation, Sphinx rendering, notebook export."""
from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import nbformat
import pytest
import yaml
from scipy.stats import chisquare

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
CHECKINS = CHAPTER_QUIZZES

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
    assert choice.choices[choice.correct_index].text == "A"
    assert sorted(c.text for c in choice.choices) == ["A", "B", "C"]
    wrong = next(i for i, c in enumerate(choice.choices) if not c.correct)
    assert choice.is_correct(choice.correct_index) and not choice.is_correct(wrong)
    assert numeric.answer == 42 and numeric.tolerance == 0.5
    assert numeric.is_correct(42.4) and not numeric.is_correct(43)
    assert numeric.explanation == "Six sevens make 42."


def test_relative_tolerance_and_plain_string_choices(tmp_path):
    data = quiz_with(lambda d: d["questions"][1].update(answer=200, tolerance="5%"))
    data["questions"][0]["choices"] = ["B", {"text": "A", "correct": True}]
    quiz = load_quiz(write_quiz(tmp_path, data))
    assert quiz.questions[1].tolerance == pytest.approx(10)
    assert {c.text: c.correct for c in quiz.questions[0].choices} == {"A": True, "B": False}


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
    ("salary_mid:ml-engineer", lambda d: next(
        (r["salaries"][0]["low"] + r["salaries"][0]["high"]) / 2 for r in d.roles if r["id"] == "ml-engineer")),
])
def test_resolve_answer_keys(key, expected):
    value, _kind = quizmod.resolve_answer(key)
    assert value == expected(careers.load())


def test_every_chapter_has_a_valid_quiz():
    for name in CHAPTER_QUIZZES:
        path = ROOT / "chapters" / f"{name}.quiz.yml"
        assert path.is_file(), f"missing quiz {path}"
        quiz = load_quiz(path)
        assert quiz.kind == "quiz"
        assert 4 <= len(quiz.questions) <= 7, f"{path}: {len(quiz.questions)} questions"
    assert quizmod.validate_all(ROOT / "chapters") == []


def test_every_chapter_opens_with_a_check_in_and_closes_with_a_quiz():
    for name in CHECKINS:
        path = ROOT / "chapters" / f"{name}.checkin.quiz.yml"
        assert path.is_file(), f"missing check-in {path}"
        checkin = load_quiz(path)
        assert checkin.kind == "check-in" and 2 <= len(checkin.questions) <= 3, path
        page = (ROOT / "chapters" / f"{name}.md").read_text(encoding="utf-8")
        stem = Path(name).name
        opening, closing = f"{{quiz}} {stem}.checkin.quiz.yml", f"{{quiz}} {stem}.quiz.yml"
        assert opening in page and closing in page, f"{name}.md lacks a check-in or a quiz directive"
        assert page.index(opening) < page.index("\n## "), f"{name}.md: the check-in is not before the first section"
        assert page.index(opening) < page.index(closing)


def test_book_quizzes_put_right_answers_in_every_position_evenly():
    quizzes = []
    assert quizmod.validate_all(ROOT / "chapters", quizzes) == []
    observed, expected = {}, {}
    for quiz in quizzes:
        for q in quiz.questions:
            if q.type == "choice":
                observed[q.correct_index] = observed.get(q.correct_index, 0) + 1
                for p in range(len(q.choices)):
                    expected[p] = expected.get(p, 0) + 1 / len(q.choices)
    assert sum(observed.values()) >= 60
    positions = sorted(expected)
    result = chisquare([observed.get(p, 0) for p in positions], [expected[p] for p in positions])
    assert result.pvalue > 0.05, (observed, expected)  # no position favoured beyond chance
    report = quizmod.position_report(quizzes)
    assert report.startswith("right answer by position: A ")


def test_book_has_scenario_and_tolerant_numeric_questions():
    """No exact recall of a salary figure: money answers come with a tolerance of at least 5%."""
    for path in quizmod.find_quizzes(ROOT / "chapters"):
        for q in load_quiz(path).questions:
            if q.type == "numeric" and q.answer_kind == "usd":
                assert q.tolerance >= 0.05 * abs(q.answer) - 1e-9, f"{path}: {q.id} has a tight tolerance"


# ------------------------------------------------------------------------------------------------
# Shuffling with a fixed seed, and the check against answers clustered in one position
# ------------------------------------------------------------------------------------------------

def _many(count, n_choices=4, shuffle=True, **extra):
    questions = []
    for i in range(count):
        q = {"id": f"q{i}", "type": "choice", "prompt": f"Question {i}?", "explanation": "Because.",
             "choices": [{"text": "right", "correct": True}] + [{"text": f"wrong {j}"} for j in range(n_choices - 1)]}
        if not shuffle:
            q["shuffle"] = False
        questions.append(q)
    return {"title": "Many", "questions": questions, **extra}


def test_shuffle_is_fixed_and_balanced(tmp_path):
    path = write_quiz(tmp_path, _many(8))
    first, second = load_quiz(path), load_quiz(path)
    assert [q.choices for q in first.questions] == [q.choices for q in second.questions]
    positions = [q.correct_index for q in first.questions]
    assert sorted(positions) == [0, 0, 1, 1, 2, 2, 3, 3], positions
    assert all(q.choices[q.correct_index].text == "right" for q in first.questions)
    # the seed is the quiz's title: another title, another (still balanced) order
    other = load_quiz(write_quiz(tmp_path, {**_many(8), "title": "Other"}, "other.quiz.yml"))
    assert [q.choices for q in other.questions] != [q.choices for q in first.questions]


def test_shuffle_false_keeps_the_written_order(tmp_path):
    data = _many(3)
    data["questions"][0]["shuffle"] = False
    quiz = load_quiz(write_quiz(tmp_path, data))
    assert [c.text for c in quiz.questions[0].choices] == ["right", "wrong 0", "wrong 1", "wrong 2"]
    positions = [q.correct_index for q in quiz.questions]
    assert positions[0] == 0 and len(set(positions)) == 3  # the shuffled ones avoid the used position


def test_clustered_right_answers_are_rejected(tmp_path):
    path = write_quiz(tmp_path, _many(4, shuffle=False))
    with pytest.raises(QuizError) as info:
        load_quiz(path)
    assert str(info.value) == (f"{path}: the right answer is option A in 4 of 4 choice questions "
                               "(q0, q1, q2, q3); let the build shuffle them (remove shuffle: false) "
                               "or reorder their choices")
    data = _many(4, shuffle=False)  # two in A, two in B: not a cluster
    for q in data["questions"][2:]:
        q["choices"][0], q["choices"][1] = q["choices"][1], q["choices"][0]
    load_quiz(write_quiz(tmp_path, data, "ok.quiz.yml"))


def test_check_in_kind_and_misconception_notes(tmp_path):
    data = quiz_with(lambda d: d.update(kind="check-in"))
    data["questions"][0]["choices"][0]["why"] = "B is the second letter, not the first."
    quiz = load_quiz(write_quiz(tmp_path, data))
    assert quiz.kind == "check-in"
    html = quizmod.render_html(quiz, "quiz-x-1")
    assert 'class="ck-quiz ck-quiz-checkin"' in html and "Answer before reading" in html
    key = json.loads(base64.b64decode(html.split('data-key="', 1)[1].split('"', 1)[0]))
    b = next(i for i, c in enumerate(quiz.questions[0].choices) if c.text == "B")
    assert key["q1"]["w"][b] == "B is the second letter, not the first."
    with pytest.raises(QuizError, match=r"kind must be one of quiz, check-in, got 'pre'"):
        load_quiz(write_quiz(tmp_path, quiz_with(lambda d: d.update(kind="pre")), "bad.quiz.yml"))


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
    assert key == {"q1": {"c": quiz.questions[0].correct_index}, "q2": {"a": 42.0, "t": 0.5}}


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
# Notebook export: jupyterquiz, questions embedded, nothing fetched
# ------------------------------------------------------------------------------------------------

def test_jupyterquiz_questions(tmp_path):
    data = quiz_with(lambda d: d["questions"][0]["choices"][0].update(why="B comes *after* A."))
    data["questions"][1]["prompt"] = "What is 6 × 7 (in $)?"
    quiz = load_quiz(write_quiz(tmp_path, data))
    choice, numeric = quizmod.to_jupyterquiz(quiz)
    assert choice["type"] == "multiple_choice"
    assert [a["answer"] for a in choice["answers"]] == [c.text for c in quiz.questions[0].choices]
    right = choice["answers"][quiz.questions[0].correct_index]
    assert right["correct"] is True and right["feedback"].startswith("Correct! A is the first letter")
    b = next(a for a in choice["answers"] if a["answer"] == "B")
    assert b["feedback"] == "Not quite. B comes <em>after</em> A. A is the first letter of the alphabet."
    assert numeric["type"] == "numeric" and "$" not in numeric["question"] and "&#36;" in numeric["question"]
    low, high = numeric["answers"][0]["range"]
    # jupyterquiz accepts low <= x < high: both ends of our closed tolerance must pass, nothing beyond
    assert low <= 41.5 and 42.5 < high and low > 41.49 and high < 42.51
    assert numeric["answers"][1] == {"type": "default", "feedback": "Not quite. Six sevens make 42."}


def test_export_notebook_runs_offline_with_jupyterquiz(tmp_path):
    from nbclient import NotebookClient

    quiz = load_quiz(write_quiz(tmp_path, VALID))
    out = export_quiz_notebook(tmp_path / "fixture.quiz.yml", tmp_path / "quiz.ipynb")
    nb = nbformat.read(str(out), as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert len(code) == 1 and "display_quiz(questions, shuffle_answers=False)" in code[0].source
    assert "Which letter comes first?" not in code[0].source  # encoded, not read at a glance
    NotebookClient(nb, timeout=60, kernel_name="python3").execute()
    outputs = code[0].outputs
    html = next(o["data"]["text/html"] for o in outputs if "text/html" in o.get("data", {}))
    script = next(o["data"]["application/javascript"] for o in outputs
                  if "application/javascript" in o.get("data", {}))
    assert 'data-shuffleanswers="False"' in html
    assert "Which letter comes first?" in script and "show_questions" in script
    assert not [o for o in outputs if o.output_type == "error"]


def test_export_default_path(tmp_path):
    out = export_quiz_notebook(write_quiz(tmp_path, VALID, "chapter.quiz.yml"))
    assert out == tmp_path / "chapter.quiz.ipynb" and out.is_file()


# ------------------------------------------------------------------------------------------------
# Option length gives nothing away (a test-wise student who picks the longest option must not pass)
# ------------------------------------------------------------------------------------------------

def _length_cues(quiz) -> tuple[int, list[str], list[str]]:
    """Choice questions, and the ids of those whose right answer is the strictly longest / shortest option."""
    count, longest, shortest = 0, [], []
    for q in quiz.questions:
        if q.type != "choice":
            continue
        count += 1
        right = len(q.choices[q.correct_index].text)
        others = [len(c.text) for i, c in enumerate(q.choices) if i != q.correct_index]
        if right > max(others):
            longest.append(q.id)
        if right < min(others):
            shortest.append(q.id)
    return count, longest, shortest


def test_length_cues_are_counted(tmp_path):
    data = _many(4)  # "right" is shorter than every "wrong N"
    data["questions"][0]["choices"][0]["text"] = "right, and much longer than the others"
    data["questions"][1]["choices"][0]["text"] = "right N"  # as long as "wrong N": neither
    assert _length_cues(load_quiz(write_quiz(tmp_path, data))) == (4, ["q0"], ["q2", "q3"])


def test_option_length_does_not_give_the_answer_away():
    """Picking the longest (or the shortest) option must not pass a quiz, and neither must the middle one."""
    paths = sorted((ROOT / "chapters").glob("**/*.quiz.yml"))
    assert len(paths) >= 2 * len(CHAPTER_QUIZZES)
    total = longest = shortest = 0
    clustered = []
    for path in paths:
        count, long_ids, short_ids = _length_cues(load_quiz(path))
        total, longest, shortest = total + count, longest + len(long_ids), shortest + len(short_ids)
        for word, ids in (("longest", long_ids), ("shortest", short_ids)):
            if count >= 4 and len(ids) > count / 2:
                clustered.append(f"{path.relative_to(ROOT)}: right answer is the {word} option in "
                                 f"{len(ids)} of {count} ({', '.join(ids)})")
    assert total >= 60
    assert longest / total <= 0.35, f"right answer is the longest option in {longest} of {total} questions"
    assert shortest / total <= 0.35, f"right answer is the shortest option in {shortest} of {total} questions"
    # evened out by always writing the right answer at middle length, "pick the middle one" would be the new tell
    assert min(longest, shortest) / total >= 0.15, (
        f"right answer is the longest option in {longest} and the shortest in {shortest} of {total} questions")
    assert not clustered, "; ".join(clustered)
