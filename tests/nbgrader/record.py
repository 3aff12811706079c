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
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE))
import build  # noqa: E402

sys.path.insert(0, str(HERE.parent / "fidelity"))
from nbgrader_oracle import Nbgrader  # noqa: E402

def record(name: str, python: Path) -> dict:
    spec = build.COURSES[name]
    assignment = spec["assignment"]
    course = HERE / name
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / name
        shutil.copytree(course, root, ignore=shutil.ignore_patterns("expected.json", "nbgrader-release", "submitted"))
        nbgrader = Nbgrader(python, root)
        nbgrader("generate_assignment", assignment, "--force", "--create")
        released = root / "release" / assignment
        keep = course / "nbgrader-release"
        if keep.exists():
            shutil.rmtree(keep)
        shutil.copytree(released, keep, ignore=shutil.ignore_patterns("*.csv", "*.txt"))
        build.write_submissions(name, released)
        shutil.copytree(course / "submitted", root / "submitted")
        grades = nbgrader.autograde(assignment)
        return {"nbgrader": nbgrader.version(), "assignment": assignment, "grades": grades}


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
