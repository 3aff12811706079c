"""Progress of a grading run: a live line on a terminal, plain lines in a log."""
from __future__ import annotations

import io
from types import SimpleNamespace

from coursekit.progress import Progress


class Terminal(io.StringIO):
    def isatty(self):
        return True


def result(student, status="graded", points=2.0):
    return SimpleNamespace(student=student, status=status, points=points,
                           questions=[SimpleNamespace(max_points=3.0)])


def test_plain_lines_when_not_a_terminal():
    out = io.StringIO()
    progress = Progress(out, every=2)
    progress.start(4, skipped=1)
    for i, status in enumerate(["graded", "graded", "invalid", "graded"]):
        progress.advance(result(f"s{i}", status))
    progress.finish()
    lines = out.getvalue().splitlines()
    assert lines[0] == "grading 4 submission(s) (1 already graded, skipped)"
    assert lines[1].startswith("2/4 graded, ") and "/s, about " in lines[1] and "s1: graded 2/3" in lines[1]
    assert "3/4" in lines[2] and "s2: invalid" in lines[2]      # problems are always reported
    assert lines[3].startswith("4/4 graded") and "\r" not in out.getvalue()


def test_one_live_line_on_a_terminal():
    out = Terminal()
    progress = Progress(out)
    progress.start(3)
    for i in range(3):
        progress.advance(result(f"s{i}"))
    progress.finish()
    text = out.getvalue()
    assert text.count("\r") == 3 and "3/3 graded" in text and "s left" in text
    assert text.endswith("\n") and len(text.split("\n")) == 3  # header, the live line, end
