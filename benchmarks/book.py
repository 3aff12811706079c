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
_IGNORED = {"_build", ".venv", ".git", ".pytest_cache", "__pycache__", "benchmarks"}


def IGNORE(folder: str, names: list[str]) -> set[str]:
    """What a fresh clone would not have: build output, environments, generated exercise pages."""
    generated = {"exercises"} if Path(folder).name == "chapters" else set()
    return (_IGNORED | generated) & set(names)


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
    print(f"coursekit build, clean:             {clean:6.1f} s", flush=True)
    unchanged = timed(coursekit, book)
    print(f"coursekit build, nothing changed:   {unchanged:6.1f} s  ({unchanged / clean:.0%} of clean)", flush=True)
    notebook = book / "chapters" / "domains" / "project-digits-classifier.ipynb"
    nb = nbformat.read(str(notebook), as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    first_code.source += "\n# edited for the benchmark"
    nbformat.write(nb, str(notebook))
    one_edit = timed(coursekit, book)
    print(f"coursekit build, one notebook edit: {one_edit:6.1f} s", flush=True)
    plain = book.parent / "plain"
    shutil.copytree(ROOT, plain, ignore=IGNORE)
    shutil.copytree(book / "chapters" / "exercises", plain / "chapters" / "exercises")  # generated pages
    config = (plain / "_config.yml").read_text().replace("execute_notebooks: cache", "execute_notebooks: force")
    (plain / "_config.yml").write_text(config)
    jupyter_book = [str(Path(sys.executable).with_name("jupyter-book")), "build", ".", "--all"]
    forced = timed(jupyter_book, plain)
    print(f"jupyter-book build --all, forced:   {forced:6.1f} s  (clean coursekit build is {forced / clean:.1f}x faster)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
