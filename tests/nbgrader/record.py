"""Record what nbgrader itself does with the compatibility courses (run by hand, never by the tests).

    python3.11 -m venv /tmp/nbg && /tmp/nbg/bin/pip install 'nbgrader>=0.9,<0.10'
    .venv/bin/python tests/nbgrader/record.py --python /tmp/nbg/bin/python

For each course in build.py: write the sources, copy the course to a scratch folder, run
``nbgrader generate_assignment`` there with the course's own nbgrader_config.py (plus the scratch
paths), keep nbgrader's student notebooks under ``<course>/nbgrader-release/``, make each
student's submission from them, run ``nbgrader autograde`` and write ``<course>/expected.json``:
nbgrader's version and, per student, notebook and graded cell, the score and whether nbgrader
left it for manual grading.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402

DUMP = """
import json, sys
from nbgrader.api import Gradebook
out = {}
with Gradebook(sys.argv[1]) as gb:
    for student in gb.students:
        submission = gb.find_submission(sys.argv[2], student.id)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                out.setdefault(student.id, {}).setdefault(notebook.name, {})[grade.name] = {
                    "score": grade.score, "needs_manual_grade": bool(grade.needs_manual_grade)}
print(json.dumps(out))
"""


def record(name: str, python: Path) -> dict:
    spec = build.COURSES[name]
    assignment = spec["assignment"]
    course = HERE / name
    nbgrader = [str(python), "-m", "nbgrader"]
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / name
        shutil.copytree(course, root, ignore=shutil.ignore_patterns("expected.json", "nbgrader-release", "submitted"))
        db = f"sqlite:///{root}/gradebook.db"
        with open(root / "nbgrader_config.py", "a") as config:
            config.write(f"c.CourseDirectory.root = {str(root)!r}\nc.CourseDirectory.db_url = {db!r}\n"
                         "c.ExecutePreprocessor.timeout = 60\n")
        subprocess.run(nbgrader + ["generate_assignment", assignment, "--force", "--create"], cwd=root, check=True,
                       env=env)
        released = root / "release" / assignment
        keep = course / "nbgrader-release"
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(released, keep, ignore=shutil.ignore_patterns("*.csv", "*.txt"))
        build.write_submissions(name, released)
        shutil.copytree(course / "submitted", root / "submitted")
        students = sorted(spec["students"])
        subprocess.run([str(python), "-c", "import sys, json\nfrom nbgrader.api import Gradebook\n"
                        "with Gradebook(sys.argv[1]) as gb:\n    [gb.update_or_create_student(s) for s in json.loads(sys.argv[2])]",
                        db, json.dumps(students)], check=True)
        subprocess.run(nbgrader + ["autograde", assignment, "--force"], cwd=root, check=True, env=env)
        grades = json.loads(subprocess.run([str(python), "-c", DUMP, db, assignment], check=True,
                                           capture_output=True, text=True).stdout)
        version = subprocess.run([str(python), "-c", "import nbgrader; print(nbgrader.__version__)"], check=True,
                                 capture_output=True, text=True).stdout.strip()
    return {"nbgrader": version, "assignment": assignment, "grades": grades}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--python", type=Path, required=True, help="a Python that has nbgrader installed")
    parser.add_argument("courses", nargs="*", default=sorted(build.COURSES), help="courses to record (default all)")
    args = parser.parse_args()
    build.write_sources()
    for name in args.courses:
        result = record(name, args.python)
        (HERE / name / "expected.json").write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
        print(name, json.dumps(result)[:400])


if __name__ == "__main__":
    main()
