"""Book build times: clean, no change, one notebook edited, and plain Jupyter Book for comparison.

    .venv/bin/python benchmarks/book.py

Works on a copy of the repository in a temporary folder, so the real _build is untouched.
`coursekit build` executes notebooks in parallel into the cache Jupyter Book reads; the plain
run is `jupyter-book build --all` with `execute_notebooks: force`, executing one notebook after
another as Jupyter Book 1.x does by itself. Run by hand; not part of the test suite.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("_build", ".venv", ".git", ".pytest_cache", "__pycache__", "benchmarks")


def timed(command: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="bookbench-"))
    book = work / "book"
    shutil.copytree(ROOT, book, ignore=IGNORE)
    coursekit = [str(Path(sys.executable).with_name("coursekit")), "build", "."]
    clean = timed(coursekit, book)
    unchanged = timed(coursekit, book)
    notebook = book / "chapters" / "domains" / "project-digits-classifier.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    first_code.source += "\n# edited for the benchmark"
    nbformat.write(nb, str(notebook))
    one_edit = timed(coursekit, book)
    plain = book.parent / "plain"
    shutil.copytree(ROOT, plain, ignore=IGNORE)
    shutil.copytree(book / "chapters" / "exercises", plain / "chapters" / "exercises")  # generated pages
    config = (plain / "_config.yml").read_text().replace("execute_notebooks: cache", "execute_notebooks: force")
    (plain / "_config.yml").write_text(config)
    jupyter_book = [str(Path(sys.executable).with_name("jupyter-book")), "build", ".", "--all"]
    forced = timed(jupyter_book, plain)
    print(f"coursekit build, clean:            {clean:6.1f} s")
    print(f"coursekit build, nothing changed:  {unchanged:6.1f} s  ({unchanged / clean:.0%} of clean)")
    print(f"coursekit build, one notebook edit: {one_edit:6.1f} s")
    print(f"jupyter-book build --all, forced:  {forced:6.1f} s  (clean coursekit build is {forced / clean:.1f}x faster)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
