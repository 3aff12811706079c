"""``coursekit build`` / ``make book``: the whole course, failing loudly on anything broken.

1. validate every exercise source (the reference passes, the blank version fails);
2. release each set: book page into ``chapters/exercises/``, student version into ``_build/release/``;
   warn about sets the toc leaves out and folders the build cannot use;
3. execute every notebook of the toc in parallel into the Jupyter cache that Jupyter Book reads,
   skipping notebooks whose code is unchanged since they last ran;
4. run ``jupyter-book build`` with warnings as errors, and turn its log into one-line reasons.

Jupyter Book 1.x alone exits 0 when a notebook fails; this build does not.

Courses that grade the sets can publish the book without reference solutions, in ``_config.yml``::

    coursekit:
      withhold_solutions: true                 # every set, or a list: [data-science, edge-ai]
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import yaml

from coursekit.book.lint import check_pages

CACHE = Path("_build") / ".jupyter_cache"
EXERCISE_PAGES = Path("chapters") / "exercises"
WARNING = re.compile(r"^(?P<where>\S.*?):(?:(?P<line>\d+):)?\s*(?:WARNING|ERROR|CRITICAL): (?P<message>.*)$")


class BuildError(RuntimeError):
    """The build failed; the message says which file and why, one reason per line."""


def warn(message: str) -> None:
    """A problem that does not stop the build but that the author should fix."""
    print(f"coursekit build: warning: {message}", file=sys.stderr)


def coursekit_settings(root: Path) -> dict:
    """The ``coursekit:`` section of ``_config.yml`` (Jupyter Book ignores keys it does not know)."""
    config = root / "_config.yml"
    settings = (yaml.safe_load(config.read_text()) or {}).get("coursekit") if config.exists() else None
    return settings if isinstance(settings, dict) else {}


def publishes_solutions(settings: dict, name: str) -> bool:
    withheld = settings.get("withhold_solutions", False)
    return not (withheld is True or (isinstance(withheld, list) and name in withheld))


def toc_files(root: Path) -> list[Path]:
    """Every file the toc names, resolved to its extension; a missing one is a build error."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())
    names = [toc["root"]]

    def walk(entries):
        for entry in entries or []:
            if "file" in entry:
                names.append(entry["file"])
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    for part in toc.get("parts", []):
        walk(part.get("chapters"))
    walk(toc.get("chapters"))
    files, missing = [], []
    for name in names:
        candidates = [root / f"{name}{ext}" for ext in (".md", ".ipynb")] + [root / name]
        found = next((c for c in candidates if c.is_file()), None)
        (files.append(found) if found else missing.append(name))
    if missing:
        raise BuildError("\n".join(f"_toc.yml: entry '{m}' has no .md or .ipynb file" for m in missing))
    return files


def exercise_sources(root: Path, warn_unusable: bool = False) -> list[Path]:
    """``exercises/<set>/<set>.ipynb`` for every set; other notebooks under ``exercises/`` are skipped."""
    folder = root / "exercises"
    if not folder.is_dir():
        return []
    if warn_unusable:
        for path in sorted(folder.iterdir()):
            found = sorted(p.name for p in path.glob("*.ipynb")) if path.is_dir() else []
            if path.suffix == ".ipynb":
                warn(f"exercises/{path.name}: skipped: a set lives in its own folder, "
                     f"exercises/{path.stem}/{path.name}")
            elif found and f"{path.name}.ipynb" not in found:
                warn(f"exercises/{path.name}: skipped: its notebook must be named after the folder, "
                     f"{path.name}.ipynb (found {', '.join(found)})")
    return sorted(p / f"{p.name}.ipynb" for p in folder.iterdir() if (p / f"{p.name}.ipynb").is_file())


def warn_unlisted(root: Path, sources: list[Path], files: list[Path]) -> None:
    """A set whose page the toc does not name is validated and released but not in the book."""
    listed = {f.resolve() for f in files}
    for source in sources:
        page = root / EXERCISE_PAGES / source.name
        if page.resolve() not in listed:
            warn(f"exercises/{source.parent.name}: not in _toc.yml, so the book leaves it out; "
                 f"to publish it add '- file: {EXERCISE_PAGES.as_posix()}/{source.stem}' to a chapter")


def _copy_if_changed(source: Path, target: Path) -> None:
    """Copy only when the bytes differ, so Sphinx sees an unchanged page as unchanged."""
    if not target.exists() or target.read_bytes() != source.read_bytes():
        shutil.copy2(source, target)


def validate_and_release(root: Path) -> None:
    """Validate the sources that changed since they last validated, then release every set."""
    from coursekit.exercise.parse import load_source
    from coursekit.exercise.release import release
    from coursekit.exercise.validate import validate_paths
    sources = exercise_sources(root, warn_unusable=True)
    if not sources:
        return
    # sets found sound before with the same inputs are not run again; their warnings are kept
    report = validate_paths([str(source) for source in sources], cache=root / "_build" / ".coursekit" / "validated.json")
    relative = lambda line: line.replace(f"{root}{os.sep}", "")
    problems = [relative(p) for verdict in report.values() for p in verdict.failures]
    for verdict in report.values():
        for warning in verdict.warnings:
            warn(relative(warning))
    if problems:
        raise BuildError("\n".join(problems))
    pages = root / EXERCISE_PAGES
    pages.mkdir(parents=True, exist_ok=True)
    settings = coursekit_settings(root)
    for source in sources:
        paths = release(load_source(source), root / "_build" / "release",
                        solutions=publishes_solutions(settings, source.stem))
        _copy_if_changed(paths["book"], pages / paths["book"].name)
        for data_file in paths["bundle"].iterdir():
            if data_file.suffix not in (".ipynb", ".json"):
                _copy_if_changed(data_file, pages / data_file.name)
    print(f"validated {sum(not v.cached for v in report.values())} changed exercise set(s), released {len(sources)}")


def read_as_mystnb(path: Path) -> nbformat.NotebookNode | None:
    """The notebook exactly as myst-nb will read it (so cache hashes match), or None for plain pages."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        return nbformat.reads(text, as_version=4)
    from myst_nb.core.read import is_myst_markdown_notebook, read_myst_markdown_notebook
    if is_myst_markdown_notebook(text):
        return read_myst_markdown_notebook(text, path=path)
    return None


def _execute(path: str, nb_json: str, timeout: int) -> tuple[str, str, str | None, float]:
    """Run one notebook in its own folder (in a worker process); returns it executed, or the error."""
    from jupyter_cache.executors.utils import single_nb_execution

    from coursekit.kernel import ipc_config
    nb = nbformat.reads(nb_json, as_version=4)
    with ipc_config() as config:
        result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout, allow_errors=False,
                                     config=config)
    error = None
    if result.err is not None:
        error = _first_error(nb, result.err)
    return path, nbformat.writes(nb), error, result.time


def _first_error(nb, err) -> str:
    for number, cell in enumerate(nb.cells, start=1):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                return f"cell {number} raised {output.get('ename')}: {output.get('evalue')}"[:300]
    return f"{err.__class__.__name__}: {str(err).strip().splitlines()[-1] if str(err).strip() else ''}"[:300]


def execute_notebooks(root: Path, files: list[Path], jobs: int | None = None, timeout: int = 300) -> dict:
    """Execute, in parallel, every notebook whose code is not already in the cache."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    cache = get_cache(str(root / CACHE))
    todo = []
    for path in files:
        nb = read_as_mystnb(path)
        if nb is None or not any(c.cell_type == "code" for c in nb.cells):
            continue
        try:
            cache.match_cache_notebook(nb)
            continue
        except KeyError:
            todo.append((path, nb))
    stats = {"executed": len(todo), "cached": 0, "seconds": {}}
    if not todo:
        return stats
    errors = []
    with ProcessPoolExecutor(max_workers=jobs or os.cpu_count() or 1) as pool:
        futures = [pool.submit(_execute, str(p), nbformat.writes(nb), timeout) for p, nb in todo]
        for future in futures:
            path, nb_json, error, seconds = future.result()
            rel = os.path.relpath(path, root)
            stats["seconds"][rel] = seconds
            if error:
                errors.append(f"{rel}: {error}")
                continue
            cache.cache_notebook_bundle(CacheBundleIn(nbformat.reads(nb_json, as_version=4), path,
                                                      data={"execution_seconds": seconds}),
                                        check_validity=False, overwrite=True)
            print(f"executed {rel} in {seconds:.1f} s")
    if errors:
        raise BuildError("\n".join(errors))
    return stats


def sphinx_reasons(log: str, root: Path) -> list[str]:
    """One line per warning or error in Jupyter Book's output, paths relative to the book."""
    reasons = []
    for line in log.splitlines():
        line = re.sub(r"\x1b\[[0-9;]*m", "", line)
        match = WARNING.match(line)
        if match:
            where = os.path.relpath(match["where"], root) if os.path.isabs(match["where"]) else match["where"]
            reasons.append(f"{where}{':' + match['line'] if match['line'] else ''}: {match['message']}")
    return list(dict.fromkeys(reasons))


def run_jupyter_book(root: Path, output: Path | None = None) -> None:
    command = [str(Path(sys.executable).with_name("jupyter-book")), "build", str(root), "-W", "-n", "--keep-going"]
    if output is not None:
        command += ["--path-output", str(output)]
    log_path = root / "_build" / "jupyter-book.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True, cwd=root)
    log_path.write_text(result.stdout + "\n" + result.stderr)
    reasons = sphinx_reasons(result.stdout + "\n" + result.stderr, root)
    if result.returncode != 0 or reasons:
        if not reasons:
            tail = [ln for ln in (result.stderr or result.stdout).splitlines() if ln.strip()][-1:]
            reasons = [f"jupyter-book failed: {tail[0] if tail else 'see ' + str(log_path)}"]
        raise BuildError("\n".join(reasons + [f"(full log: {log_path})"]))


def build_book(root: Path, jobs: int | None = None, output: Path | None = None) -> dict:
    """The whole build; returns timings. Raises BuildError with one-line reasons on any failure."""
    root = Path(root).resolve()
    started = time.monotonic()
    validate_and_release(root)
    files = toc_files(root)
    check_pages(root, files)  # maths that will not render, leftover placeholder text (book/lint.py)
    warn_unlisted(root, exercise_sources(root), files)
    stats = execute_notebooks(root, files, jobs)
    run_jupyter_book(root, output)
    stats["total_seconds"] = time.monotonic() - started
    print(f"book built in {stats['total_seconds']:.0f} s ({stats['executed']} notebook(s) executed): "
          f"{(output or root) / '_build' / 'html' / 'index.html'}")
    return stats
