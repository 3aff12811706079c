"""Run time of every mini-project notebook, one after another, as a student's laptop would.

    .venv/bin/python benchmarks/notebooks.py

Uses the build's execution path (a fresh kernel per notebook, the notebook's folder as cwd) and
prints each notebook's time and the total. Run by hand; not part of the test suite.
"""
from __future__ import annotations

import time
from pathlib import Path

from coursekit.book.build import _execute

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    total = 0.0
    for path in sorted((ROOT / "chapters").rglob("project-*.ipynb")):
        started = time.perf_counter()
        _, _, error, _ = _execute(str(path), path.read_text(), timeout=300)
        seconds = time.perf_counter() - started
        total += seconds
        print(f"{seconds:6.1f} s  {path.relative_to(ROOT)}" + (f"  FAILED: {error}" if error else ""), flush=True)
    print(f"{total:6.1f} s  total")


if __name__ == "__main__":
    main()
