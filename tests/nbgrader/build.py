"""The nbgrader compatibility courses, written as Python so their content is easy to read and change.

Two course folders, laid out as nbgrader's user guide shows (see README.md beside this file):

- ``ps1``: nbgrader's documentation example re-told with our own functions and data: problem1
  (a function and its tests, one that reads a data file, one that checks an exception, the
  "uses cubes" check that swaps a function out, a manually graded equation, a manually graded
  code answer without solution markers, a task) and problem2 (manually graded answers only),
  a header notebook from nbgrader_config.py, two students.
- ``kinds``: every nbgrader cell kind and marker in one assignment: answers with and without
  BEGIN/END SOLUTION, an inline ``# SOLUTION`` line, tests with and without hidden parts, a
  0-point test, ``### AUTOTEST`` / ``### HASHED AUTOTEST`` (the course's own autotests.yml), a
  test that prints, read-only cells, manual answers in markdown and code, a task with a mark
  scheme, a code stub from nbgrader_config.py, and a second notebook that reads
  ``NBGRADER_EXECUTION``; three students.

``python tests/nbgrader/build.py`` writes the sources; the submissions are made from the student
version nbgrader itself released (record.py calls :func:`write_submissions`).
"""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat

HERE = Path(__file__).parent
KERNEL = {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
          "language_info": {"name": "python"}}


def _nb(cells: list, name: str) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook(metadata=json.loads(json.dumps(KERNEL)))
    for number, (kind, source, flags) in enumerate(cells):
        cell = (nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell)(source)
        cell["id"] = f"{name}-{number:02d}"  # unique across the header and every notebook
        if flags is not None:
            cell.metadata["nbgrader"] = {"schema_version": 3, "grade": False, "solution": False, "locked": False,
                                         **flags}
        nb.cells.append(cell)
    return nb


def md(source, **flags):
    return ("markdown", source, flags or None)


def code(source, **flags):
    return ("code", source, flags or None)


def answer(gid, source):
    return code(source, grade_id=gid, solution=True)


def test(gid, points, source):
    return code(source, grade_id=gid, grade=True, points=points)


def manual(gid, points, source, kind="markdown"):
    return (kind, source, {"grade_id": gid, "grade": True, "solution": True, "points": points})


def task(gid, points, source):
    return md(source, grade_id=gid, task=True, locked=True, points=points)


# ---------------------------------------------------------------------------------------------
# ps1: nbgrader's documentation example, told with cubes instead of squares

PS1_HEADER = [md("# Numbers and proofs, problem set 1\n\nWrite your name and student number in the first "
                 "answer cell of each notebook. Run every cell from the top before you hand it in.")]

PROBLEM1 = [
    md("We will work with the cubes of whole numbers. The file `cubes.txt` beside this notebook lists the "
       "first eight of them, one per line.", grade_id="intro", locked=True),
    md("---\n## Part A (2 points)\n\nWrite `cubes(n)`, which returns the list of the cubes of 1, 2, ..., n. "
       "For `n` below 1 it raises a `ValueError`."),
    answer("cubes", 'def cubes(n):\n    """The cubes of 1..n as a list; ValueError for n < 1."""\n'
                    "    ### BEGIN SOLUTION\n    if n < 1:\n        raise ValueError(\"n must be at least 1\")\n"
                    "    return [i ** 3 for i in range(1, n + 1)]\n    ### END SOLUTION"),
    md("`cubes(4)` should give `[1, 8, 27, 64]`. Try it:"),
    code("cubes(4)"),
    test("correct_cubes", 1, '"""cubes agrees with the table in cubes.txt"""\n'
                             "with open('cubes.txt') as handle:\n    table = [int(line) for line in handle if line.strip()]\n"
                             "assert cubes(1) == [1]\nassert cubes(8) == table\n"
                             "### BEGIN HIDDEN TESTS\nassert cubes(12)[-1] == 1728\n### END HIDDEN TESTS"),
    test("cubes_invalid_input", 1, '"""cubes refuses n below 1"""\n'
                                   "for bad in (0, -3):\n    try:\n        cubes(bad)\n    except ValueError:\n        pass\n"
                                   "    else:\n        raise AssertionError(f'cubes({bad}) did not raise ValueError')"),
    md("---\n## Part B (1 point)\n\nUsing `cubes`, write `sum_of_cubes(n)`: the sum of the cubes of 1..n."),
    answer("sum_of_cubes", 'def sum_of_cubes(n):\n    """1**3 + 2**3 + ... + n**3, computed with cubes."""\n'
                           "    ### BEGIN SOLUTION\n    return sum(cubes(n))\n    ### END SOLUTION"),
    md("`sum_of_cubes(6)` is 441. Check it:"),
    code("sum_of_cubes(6)"),
    test("correct_sum_of_cubes", 0.5, '"""sum_of_cubes gives the right totals"""\n'
                                      "assert sum_of_cubes(1) == 1\nassert sum_of_cubes(6) == 441\n"
                                      "assert sum_of_cubes(20) == 44100"),
    test("sum_of_cubes_uses_cubes", 0.5, '"""sum_of_cubes calls cubes rather than doing the work itself"""\n'
                                         "real_cubes = cubes\ncalls = []\n"
                                         "def cubes(n):\n    calls.append(n)\n    return real_cubes(n)\n"
                                         "try:\n    sum_of_cubes(5)\nfinally:\n    cubes = real_cubes\n"
                                         "assert calls, 'sum_of_cubes does not use cubes'"),
    md("---\n## Part C (1 point)\n\nWrite the sum that `sum_of_cubes` computes in LaTeX notation."),
    manual("sum_of_cubes_equation", 1, r"$\sum_{k=1}^{n} k^3$"),
    md("---\n## Part D (2 points)\n\nNicomachus noticed that the sum of the first n cubes is the square of "
       "the n-th triangular number. Write `nicomachus_holds(n)` that checks this with `sum_of_cubes`, and "
       "print whether it holds for n = 1..30."),
    manual("nicomachus", 2, 'def nicomachus_holds(n):\n    """Is 1**3 + ... + n**3 the square of n(n+1)/2?"""\n'
                            "    triangular = n * (n + 1) // 2\n    return sum_of_cubes(n) == triangular ** 2\n\n"
                            "print(all(nicomachus_holds(n) for n in range(1, 31)))", kind="code"),
    task("proof_sketch", 3, "---\n## Part E (3 points)\n\nSketch a proof by induction of Nicomachus's identity. "
                            "Say what the base case is and what the step adds.\n\n"
                            "=== BEGIN MARK SCHEME ===\n1 point for the base case n = 1, 2 points for showing that "
                            "the step adds (n+1)**3 on both sides.\n=== END MARK SCHEME ==="),
]

PROBLEM2 = [
    md("Read this function:\n\n```python\ndef g(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n```"),
    md("---\n## Part A (1 point)\n\nSay in words what `g` computes and why the loop ends."),
    manual("what_g_does", 1, "It is Euclid's algorithm for the greatest common divisor: each step replaces "
                             "(a, b) by (b, a mod b), and b strictly shrinks until it is 0."),
    md("---\n## Part B (2 points)\n\nFor which inputs does `g` give an answer you might not expect?"),
    manual("g_edge_cases", 2, "With negative numbers the sign of the result follows Python's modulo, so g(-4, 6) "
                              "is 2 but g(4, -6) is -2; and g(0, 0) returns 0, which is no divisor at all."),
]

PS1_CONFIG = 'c = get_config()  # noqa: F821 (nbgrader defines it)\nc.IncludeHeaderFooter.header = "source/header.ipynb"\n'

PS1_STUDENTS = {
    # careful: every answer right
    "okafor": {
        "problem1": {
            "cubes": 'def cubes(n):\n    """The cubes of 1..n as a list; ValueError for n < 1."""\n'
                     "    if n < 1:\n        raise ValueError(f'need n >= 1, got {n}')\n"
                     "    out = []\n    for i in range(1, n + 1):\n        out.append(i * i * i)\n    return out",
            "sum_of_cubes": 'def sum_of_cubes(n):\n    """1**3 + 2**3 + ... + n**3, computed with cubes."""\n'
                            "    total = 0\n    for value in cubes(n):\n        total += value\n    return total",
            "sum_of_cubes_equation": r"$$\sum_{i=1}^{n} i^{3}$$",
            "nicomachus": "def nicomachus_holds(n):\n    return sum_of_cubes(n) == (n * (n + 1) // 2) ** 2\n\n"
                          "print([n for n in range(1, 31) if not nicomachus_holds(n)] == [])",
        },
        "problem2": {
            "what_g_does": "g is the greatest common divisor by repeated remainders; b decreases every pass.",
            "g_edge_cases": "Negative inputs and g(0, 0).",
        },
    },
    # quick: no check for bad n, a sum that does not use cubes, problem2 left blank
    "reyes": {
        "problem1": {
            "cubes": "def cubes(n):\n    return [i ** 3 for i in range(1, n + 1)]",
            "sum_of_cubes": "def sum_of_cubes(n):\n    return (n * (n + 1) // 2) ** 2",
            "sum_of_cubes_equation": r"$\sum k^3$",
            "nicomachus": "print('it holds')",
        },
        "problem2": {},
    },
}

# ---------------------------------------------------------------------------------------------
# kinds: every cell kind and marker

SALARIES = ("role,level,salary\n"
            "data analyst,entry,68000\n"
            "data engineer,mid,118000\n"
            "ml engineer,mid,131000\n"
            "data scientist,entry,92000\n"
            "research scientist,senior,182000\n"
            "ml engineer,senior,168000\n"
            "data analyst,mid,87000\n"
            "data engineer,entry,81000\n")

KINDS = [
    md("# Salary table drills\n\nThe cells below read `salaries.csv`, eight made-up salaries used only for "
       "practice (not survey data).", grade_id="intro", locked=True),
    code("import csv\n\nwith open('salaries.csv', newline='') as handle:\n    rows = list(csv.DictReader(handle))\n"
         "for row in rows:\n    row['salary'] = int(row['salary'])\nlen(rows)", grade_id="load_rows", locked=True),
    md("## 1. The median salary\n\nWrite `median_salary(rows)`: the median of the `salary` column (the mean "
       "of the two middle values for an even count)."),
    answer("median_answer", "def median_salary(rows):\n    ### BEGIN SOLUTION\n"
                            "    values = sorted(r['salary'] for r in rows)\n    middle = len(values) // 2\n"
                            "    if len(values) % 2:\n        return values[middle]\n"
                            "    return (values[middle - 1] + values[middle]) / 2\n    ### END SOLUTION"),
    test("median_visible", 1, "assert median_salary(rows[:3]) == 118000"),
    test("median_hidden", 2, "print('checking the median of the whole table')\n"
                             "assert median_salary(rows[:1]) == 68000\n"
                             "### BEGIN HIDDEN TESTS\nassert median_salary(rows) == 105000.0\n### END HIDDEN TESTS"),
    test("median_practice", 0, "# a practice check worth no points\nassert median_salary(rows[:5]) == 118000"),
    md("## 2. A few facts from the table"),
    answer("facts", "top_role = max(rows, key=lambda r: r['salary'])['role']\n"
                    "raise_pct = 4.5  # SOLUTION\n"
                    "levels = sorted({r['level'] for r in rows})\n"
                    "per_level = {lv: sum(1 for r in rows if r['level'] == lv) for lv in levels}"),
    test("top_role_auto", 1, "### AUTOTEST top_role"),
    test("levels_auto", 2, "# the levels and how many rows each has\n### AUTOTEST levels; per_level; len(levels)"),
    test("raise_hashed", 1, "### HASHED AUTOTEST raise_pct"),
    test("median_auto_hidden", 1, "### AUTOTEST median_salary(rows[:2])\n"
                                  "### BEGIN HIDDEN TESTS\n### HASHED AUTOTEST median_salary(rows[2:6])\n"
                                  "### END HIDDEN TESTS"),
    md("## 3. In your own words"),
    manual("spread_explained", 2, "Why can the median and the mean of a salary table differ a lot?\n\n"
                                  "### BEGIN SOLUTION\nA few very high salaries pull the mean up; the median only "
                                  "looks at the middle of the sorted values.\n### END SOLUTION"),
    manual("spread_code", 1, "# compute the gap between the mean and the median\n### BEGIN SOLUTION\n"
                             "gap = sum(r['salary'] for r in rows) / len(rows) - median_salary(rows)\n"
                             "### END SOLUTION\nprint(round(gap))", kind="code"),
    task("table_critique", 3, "## 4. Task\n\nName two things this table cannot tell a job seeker.\n\n"
                              "### BEGIN MARK SCHEME\nLocation, years of experience, company size, bonuses: "
                              "1.5 points each.\n### END MARK SCHEME"),
    md("That is all; run every cell before you hand in.", grade_id="outro", locked=True),
]

MODES = [
    md("When nbgrader grades a notebook it sets `NBGRADER_EXECUTION` to `autograde` (and to `validate` "
       "while validating); code can check it to skip slow work."),
    code("import os\nMODE = os.environ.get('NBGRADER_EXECUTION', 'interactive')", grade_id="mode", locked=True),
    answer("draws_answer", "def draws():\n    # use fewer draws while grading\n    ### BEGIN SOLUTION\n"
                           "    return 100 if MODE == 'autograde' else 10_000\n    ### END SOLUTION"),
    test("draws_graded", 1, "assert MODE == 'autograde'\nassert draws() == 100"),
]

KINDS_CONFIG = ('import os\n\nc = get_config()  # noqa: F821 (nbgrader defines it)\n'
                'c.ClearSolutions.code_stub = {"python": "# Write your answer here\\nraise NotImplementedError(\'not answered yet\')"}\n'
                '# settings coursekit does not use are never run, whatever they hold\n'
                'c.Exchange.root = os.path.join(os.path.expanduser("~"), "exchange")\n')

KINDS_STUDENTS = {
    "blank": {"kinds": {}, "modes": {}},
    "right": {
        "kinds": {
            "median_answer": "import statistics\n\ndef median_salary(rows):\n    return statistics.median(r['salary'] for r in rows)",
            "facts": "top_role = 'research scientist'\nraise_pct = 4.5\nlevels = ['entry', 'mid', 'senior']\n"
                     "per_level = {'entry': 3, 'mid': 3, 'senior': 2}",
            "spread_explained": "Outliers at the top move the mean, not the median.",
            "spread_code": "gap = sum(r['salary'] for r in rows) / len(rows) - median_salary(rows)\nprint(round(gap))",
        },
        "modes": {"draws_answer": "def draws():\n    return 100 if MODE == 'autograde' else 10_000"},
    },
    "mixed": {
        "kinds": {
            # the upper middle value for even counts: right for 1, 3 and 5 rows, wrong for 2, 4 and 8
            "median_answer": "def median_salary(rows):\n    values = sorted(r['salary'] for r in rows)\n"
                             "    return values[len(values) // 2]",
            # right role and raise; levels in the wrong order, counts as strings
            "facts": "top_role = 'research scientist'\nraise_pct = 4.5\nlevels = ['senior', 'mid', 'entry']\n"
                     "per_level = {'entry': '3', 'mid': '3', 'senior': '2'}",
            "spread_code": "print(gap)",
        },
        "modes": {"draws_answer": "def draws():\n    return 10_000"},
    },
}

COURSES = {
    "ps1": {"assignment": "ps1", "config": PS1_CONFIG, "header": PS1_HEADER,
            "notebooks": {"problem1": PROBLEM1, "problem2": PROBLEM2},
            "files": {"cubes.txt": "".join(f"{i ** 3}\n" for i in range(1, 9))},
            "students": PS1_STUDENTS},
    "kinds": {"assignment": "kinds", "config": KINDS_CONFIG, "header": None,
              "notebooks": {"kinds": KINDS, "modes": MODES},
              "files": {"salaries.csv": SALARIES},
              "students": KINDS_STUDENTS, "autotests": True},
}


def write_sources(root: Path = HERE) -> None:
    """Write every course's config, header, source notebooks and data files under ``root``."""
    for name, spec in COURSES.items():
        course = root / name
        folder = course / "source" / spec["assignment"]
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        (course / "nbgrader_config.py").write_text(spec["config"])
        if spec["header"]:
            nbformat.write(_nb(spec["header"], "header"), str(course / "source" / "header.ipynb"))
        if spec.get("autotests"):
            # the course's own templates: coursekit's default file with another success line
            default = (Path(__file__).parents[2] / "src" / "coursekit" / "data" / "autotests.yml").read_text()
            (course / "autotests.yml").write_text(default.replace("print('Success!')", "print('All autotests passed')"))
        for notebook, cells in spec["notebooks"].items():
            nbformat.write(_nb(cells, notebook), str(folder / f"{notebook}.ipynb"))
        for filename, text in spec["files"].items():
            (folder / filename).write_text(text)


def write_submissions(course_name: str, released: Path, root: Path = HERE) -> None:
    """Each student's notebooks: the released student version with their answers typed in."""
    spec = COURSES[course_name]
    assignment = spec["assignment"]
    for student, notebooks in spec["students"].items():
        folder = root / course_name / "submitted" / student / assignment
        if folder.exists():
            shutil.rmtree(folder)
        folder.mkdir(parents=True)
        for notebook in spec["notebooks"]:
            nb = nbformat.read(str(released / f"{notebook}.ipynb"), as_version=4)
            answers = notebooks.get(notebook, {})
            for cell in nb.cells:
                gid = cell.metadata.get("nbgrader", {}).get("grade_id")
                if gid in answers:
                    cell.source = answers[gid]
            nbformat.write(nb, str(folder / f"{notebook}.ipynb"))
        for filename in spec["files"]:
            shutil.copy2(released / filename, folder / filename)
        (folder / "timestamp.txt").write_text("2026-11-20 17:45:00.000000 UTC\n")


if __name__ == "__main__":
    write_sources()
