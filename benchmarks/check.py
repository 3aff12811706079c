"""Latency of the student's self-check, `coursekit.check("q1")`, on every course exercise.

    .venv/bin/python benchmarks/check.py

Releases each exercise set into a temporary folder, runs its setup and reference solution in a
namespace as a student's kernel would hold them, then times `check` on every question (the
first call per set included, as a student sees it). Prints the median and the slowest.
Run by hand; not part of the test suite.
"""
from __future__ import annotations

import contextlib
import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from coursekit.exercise.parse import SETUP, SOLUTION, load_source, strip_markers
from coursekit.exercise.release import release
from coursekit.student.check import check

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    timings = []
    for source in sorted((ROOT / "exercises").glob("*/*.ipynb")):
        assignment = load_source(source)
        out = Path(tempfile.mkdtemp())
        folder = release(assignment, out)["student"].parent
        namespace = {}
        cwd = os.getcwd()
        os.chdir(folder)
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                for cell in assignment.cells:
                    if cell.role in (SETUP, SOLUTION):
                        exec(strip_markers(cell.source), namespace)
            for question in assignment.questions:
                started = time.perf_counter()
                result = eval("__check(__question, __folder)",
                              {**namespace, "__check": check, "__question": question.id, "__folder": folder})
                timings.append((time.perf_counter() - started, f"{assignment.name}/{question.id}"))
                assert result.passed, (assignment.name, question.id, result)
        finally:
            os.chdir(cwd)
    seconds = sorted(t for t, _ in timings)
    slowest = max(timings)
    print(f"{len(timings)} checks: median {statistics.median(seconds) * 1000:.1f} ms, "
          f"slowest {slowest[0] * 1000:.1f} ms ({slowest[1]})")


if __name__ == "__main__":
    main()
