"""Record what nbgrader itself gives a course folder: the oracle the fidelity suite compares against.

Run by hand, with a Python that has nbgrader (the ``bench`` extra, in a virtual environment of its
own), whenever a fidelity course changes:

    python3.11 -m venv /tmp/nbg && /tmp/nbg/bin/pip install 'nbgrader>=0.9,<0.10' numpy pandas matplotlib scikit-learn pytest
    .venv/bin/python tests/fidelity/nbgrader_oracle.py tests/fidelity/course idioms --python /tmp/nbg/bin/python

It copies the course to a scratch folder, runs ``nbgrader generate_assignment`` and ``nbgrader
autograde`` there, and writes ``expected.json`` beside the course: nbgrader's version and, per
student, notebook and graded cell, the points nbgrader gave.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

DUMP = """
import json, sys
from nbgrader.api import Gradebook
gb = Gradebook(sys.argv[1])
out = {}
for student in gb.students:
    submission = gb.find_submission(sys.argv[2], student.id)
    for notebook in submission.notebooks:
        for grade in notebook.grades:
            out.setdefault(student.id, {}).setdefault(notebook.name, {})[grade.name] = {
                "score": grade.score, "needs_manual_grade": bool(grade.needs_manual_grade)}
print(json.dumps(out))
"""


class Nbgrader:
    """nbgrader's command line, run with another Python on a scratch copy of a course."""

    def __init__(self, python: Path, root: Path):
        self.python, self.root = python, root
        self.db = f"sqlite:///{root}/gradebook.db"
        self.env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        with open(root / "nbgrader_config.py", "a") as config:
            config.write(f"\nc = get_config()\nc.CourseDirectory.root = {str(root)!r}\n"
                         f"c.CourseDirectory.db_url = {self.db!r}\nc.ExecutePreprocessor.timeout = 60\n")

    def __call__(self, *args: str) -> None:
        subprocess.run([str(self.python), "-m", "nbgrader", *args], cwd=self.root, check=True, capture_output=True,
                       env=self.env)

    def _python(self, code: str, *args: str) -> str:
        return subprocess.run([str(self.python), "-c", code, *args], check=True, capture_output=True,
                              text=True).stdout

    def autograde(self, assignment: str) -> dict:
        """Autograde every student in submitted/ and return, per student, notebook and cell, the score
        and whether nbgrader left the cell for a person."""
        students = sorted(p.name for p in (self.root / "submitted").iterdir())
        self._python("import sys, json\nfrom nbgrader.api import Gradebook\ngb = Gradebook(sys.argv[1])\n"
                     "[gb.update_or_create_student(s) for s in json.loads(sys.argv[2])]", self.db, json.dumps(students))
        self("autograde", assignment, "--force")
        return json.loads(self._python(DUMP, self.db, assignment))

    def version(self) -> str:
        return self._python("import nbgrader; print(nbgrader.__version__)").strip()


def run(course: Path, assignment: str, python: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "course"
        shutil.copytree(course, root, ignore=shutil.ignore_patterns("expected.json", "nbgrader_config.py"))
        nbgrader = Nbgrader(python, root)
        nbgrader("generate_assignment", assignment, "--force", "--create")
        grades = nbgrader.autograde(assignment)
        points = {student: {notebook: {cell: grade["score"] for cell, grade in cells.items()}
                            for notebook, cells in notebooks.items()} for student, notebooks in grades.items()}
        return {"nbgrader": nbgrader.version(), "assignment": assignment, "points": points}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("course", type=Path, help="an nbgrader course folder (source/ and submitted/)")
    parser.add_argument("assignment", help="the assignment's folder name under source/")
    parser.add_argument("--python", type=Path, required=True, help="a Python that has nbgrader installed")
    args = parser.parse_args()
    result = run(args.course.resolve(), args.assignment, args.python)
    (args.course / "expected.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(json.dumps(result)[:2000])


if __name__ == "__main__":
    main()
