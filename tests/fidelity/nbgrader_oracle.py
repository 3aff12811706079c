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
            out.setdefault(student.id, {}).setdefault(notebook.name, {})[grade.name] = grade.score
print(json.dumps(out))
"""


def run(course: Path, assignment: str, python: Path) -> dict:
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "course"
        shutil.copytree(course, root, ignore=shutil.ignore_patterns("expected.json"))
        db = f"sqlite:///{root}/gradebook.db"
        (root / "nbgrader_config.py").write_text(
            f"c = get_config()\nc.CourseDirectory.root = {str(root)!r}\nc.CourseDirectory.db_url = {db!r}\n"
            "c.ExecutePreprocessor.timeout = 60\n")
        env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
        nbgrader = [str(python), "-m", "nbgrader"]
        subprocess.run(nbgrader + ["generate_assignment", assignment, "--force", "--create"], cwd=root, check=True,
                       capture_output=True, env=env)
        students = sorted(p.name for p in (root / "submitted").iterdir())
        subprocess.run([str(python), "-c", "import sys, json\nfrom nbgrader.api import Gradebook\n"
                        "gb = Gradebook(sys.argv[1])\n[gb.update_or_create_student(s) for s in json.loads(sys.argv[2])]",
                        db, json.dumps(students)], check=True)
        subprocess.run(nbgrader + ["autograde", assignment, "--force"], cwd=root, check=True, capture_output=True,
                       env=env)
        scores = json.loads(subprocess.run([str(python), "-c", DUMP, db, assignment], check=True,
                                           capture_output=True, text=True).stdout)
        version = subprocess.run([str(python), "-c", "import nbgrader; print(nbgrader.__version__)"], check=True,
                                 capture_output=True, text=True).stdout.strip()
    return {"nbgrader": version, "assignment": assignment, "points": scores}


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
