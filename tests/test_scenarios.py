"""Hostile and broken submissions, one folder per case under tests/scenarios/.

Each case holds ``submission.ipynb`` and ``expected.json`` (status, points per question, and
optional checks on feedback, output and side effects), and may hold its own ``source.ipynb``
(otherwise tests/fixtures/basic is the exercise). Every case is graded for real: a
confined child process per submission, tests evaluated in the grader.
"""
from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

import pytest

from coursekit.exercise.parse import load_source
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.submissions import Submission

SCENARIOS = Path(__file__).parent / "scenarios"
CASES = sorted(p.name for p in SCENARIOS.iterdir() if (p / "expected.json").exists())
ESCAPES = ["/tmp/coursekit-escape", "/var/tmp/coursekit-escape", "/root/coursekit-escape", "/dev/coursekit-escape"]


def _processes_named(name: str) -> list[int]:
    """Live processes whose command name is ``name`` (the fork-bomb case names its children)."""
    left = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        comm, state = stat[stat.index("(") + 1:stat.rindex(")")], stat.rsplit(")", 1)[1].split()[0]
        if comm == name and state != "Z":
            left.append(int(entry))
    return left


@pytest.mark.parametrize("case", CASES)
def test_scenario(case, basic, basic_source, zygote, tmp_path):
    folder = SCENARIOS / case
    expected = json.loads((folder / "expected.json").read_text())
    options = dict(expected.get("options", {}))
    max_mb = options.pop("max_notebook_mb", 32)
    limits = Limits(**{"question_seconds": 5.0, "submission_seconds": 60.0, **options})
    source_copy = tmp_path / "source.ipynb"
    shutil.copy2(basic_source, source_copy)
    gradebook = tmp_path / "gradebook.sqlite"
    gradebook.write_bytes(b"original gradebook")
    submission = tmp_path / "submissions" / f"{case}.ipynb"
    submission.parent.mkdir()
    raw = (folder / "submission.ipynb").read_bytes()
    for key, value in {"{GRADEBOOK}": gradebook, "{SOURCE}": source_copy, "{SUBMISSION}": submission}.items():
        raw = raw.replace(key.encode(), str(value).encode())
    submission.write_bytes(raw)
    for path in ESCAPES:
        if os.path.exists(path):
            os.remove(path)

    # a case may bring its own exercise source; most use the basic one
    assignment = load_source(folder / "source.ipynb") if (folder / "source.ipynb").exists() else basic
    result = grade_submission(assignment, Submission(case, submission), zygote, limits, max_notebook_mb=max_mb,
                              protect=[tmp_path])

    missing = [key for key in expected.get("requires", []) if not result.containment.get(key)]
    if missing:
        pytest.skip(f"this machine's sandbox lacks {', '.join(missing)}")
    if "status" in expected:
        assert result.status == expected["status"], (result.reason, [q.feedback for q in result.questions])
    if "status_in" in expected:
        assert result.status in expected["status_in"], result.reason
    if "reason_contains" in expected:
        assert expected["reason_contains"] in result.reason
    points = {q.question: q.points for q in result.questions}
    for question, value in expected.get("points", {}).items():
        assert points[question] == pytest.approx(value), (question, result.questions)
    feedback = {q.question: q.feedback for q in result.questions}
    for question, text in expected.get("feedback_contains", {}).items():
        assert text in feedback[question], feedback[question]
    if "feedback_excludes" in expected:
        assert all(expected["feedback_excludes"] not in f for f in feedback.values())
    for text in expected.get("output_excludes", []):
        assert text not in result.output, result.output[-2000:]
    if "output_at_most" in expected:
        assert len(result.output.encode()) <= expected["output_at_most"] * 2
    if expected.get("untouched"):
        assert gradebook.read_bytes() == b"original gradebook"
        assert source_copy.read_bytes() == basic_source.read_bytes()
        assert submission.read_bytes() == raw
        assert not [p for p in ESCAPES if os.path.exists(p)]
    if expected.get("no_leftover_processes"):  # SIGKILL is delivered at once, acted on when scheduled
        deadline = time.monotonic() + 5
        while _processes_named("ckforkbomb") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_named("ckforkbomb") == []
