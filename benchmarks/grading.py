"""Grading speed: coursekit against nbgrader on the same nbgrader-format pandas assignment.

    .venv/bin/python benchmarks/grading.py --n 40 200 [--nbgrader-venv benchmarks/_work/venv]
    .venv/bin/python benchmarks/grading.py --n 1000 --cluster-workers 1 2 4

Makes a four-question pandas assignment in nbgrader format with N ordinary submissions (correct,
alternative-correct, wrong, crashing, in turn), grades them with ``coursekit grade`` and, when a
Python with nbgrader is given, with ``nbgrader autograde``; checks that every per-question score
agrees; prints both wall times, their ratio, coursekit's time per submission, and the time to run
the solution and tests once in a warm interpreter. coursekit's time is the median of ``--repeat``
runs (3 by default: the machines are shared and noisy); nbgrader's one run is long enough to
average the noise out. Neither counts the release step (``coursekit validate``, ``nbgrader
generate_assignment``). Also prints coursekit's peak memory and the grader's own CPU milliseconds
per submission (what caps the throughput of one grading process); ``--workers 1 16`` adds runs with
that many grading processes, to see grading scale with the cores.

With ``--cluster-workers K ...`` it grades the same N submissions on a local Dask cluster instead:
a ``dask scheduler`` and K ``dask worker`` processes (one thread each) started for the
measurement, timed from the moment every worker has joined; prints the throughput for each K next
to a local run and checks that every score equals the local run's.
Run by hand; not part of the test suite.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

SETUP = "import pandas as pd\nimport numpy as np\nsalaries = pd.DataFrame({'role': ['analyst', 'engineer', 'scientist', 'analyst'], 'low': [55, 110, 100, 60], 'high': [75, 145, 135, 80]})"
QUESTIONS = [
    ("midpoints", "def midpoints(df):\n    ### BEGIN SOLUTION\n    return (df['low'] + df['high']) / 2\n    ### END SOLUTION",
     "def midpoints(df):\n    return df[['low', 'high']].mean(axis=1)", "def midpoints(df):\n    return df['low']",
     "assert list(midpoints(salaries)) == [65.0, 127.5, 117.5, 70.0]\n### BEGIN HIDDEN TESTS\nassert midpoints(salaries.iloc[:1]).tolist() == [65.0]\n### END HIDDEN TESTS"),
    ("top_role", "def top_role(df):\n    ### BEGIN SOLUTION\n    return df.loc[df['high'].idxmax(), 'role']\n    ### END SOLUTION",
     "def top_role(df):\n    return df.sort_values('high').iloc[-1]['role']", "def top_role(df):\n    return 'analyst'",
     "assert top_role(salaries) == 'engineer'\n### BEGIN HIDDEN TESTS\nassert top_role(salaries.iloc[[0, 2]]) == 'scientist'\n### END HIDDEN TESTS"),
    ("by_role", "def by_role(df):\n    ### BEGIN SOLUTION\n    return df.groupby('role')['high'].mean().to_dict()\n    ### END SOLUTION",
     "def by_role(df):\n    return {r: g['high'].mean() for r, g in df.groupby('role')}", "def by_role(df):\n    return {}",
     "assert by_role(salaries)['analyst'] == 77.5\n### BEGIN HIDDEN TESTS\nassert len(by_role(salaries)) == 3\n### END HIDDEN TESTS"),
    ("spread", "def spread(df):\n    ### BEGIN SOLUTION\n    return float((df['high'] - df['low']).max())\n    ### END SOLUTION",
     "def spread(df):\n    return float(max(h - l for l, h in zip(df['low'], df['high'])))", "def spread(df):\n    return 0.0",
     "assert spread(salaries) == 35.0\n### BEGIN HIDDEN TESTS\nassert spread(salaries.iloc[:1]) == 20.0\n### END HIDDEN TESTS"),
]


def _meta(grade_id, **flags):
    meta = {"grade_id": grade_id, "solution": False, "grade": False, "locked": False, "schema_version": 3}
    meta.update(flags)
    return {"nbgrader": meta}


def source_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    cells = [nbformat.v4.new_code_cell(SETUP, metadata=_meta("setup", locked=True))]
    for name, solution, _alt, _wrong, tests in QUESTIONS:
        cells.append(nbformat.v4.new_code_cell(solution, metadata=_meta(name, solution=True)))
        cells.append(nbformat.v4.new_code_cell(tests, metadata=_meta(f"test_{name}", grade=True, locked=True, points=1)))
    nb.cells = cells
    return nb


def submission(kind: int) -> nbformat.NotebookNode:
    nb = source_notebook()
    for cell in nb.cells:
        gid = cell.metadata["nbgrader"]["grade_id"]
        for name, _solution, alt, wrong, _tests in QUESTIONS:
            if gid == name:
                cell.source = {0: cell.source.replace("### BEGIN SOLUTION\n", "").replace("\n    ### END SOLUTION", ""),
                               1: alt, 2: wrong, 3: "raise RuntimeError('crash')"}[kind]
        if cell.metadata["nbgrader"].get("grade"):
            cell.source = cell.source.split("### BEGIN HIDDEN TESTS")[0]
    return nb


def make_course(root: Path, n: int) -> None:
    (root / "source" / "ps1").mkdir(parents=True)
    nbformat.write(source_notebook(), str(root / "source" / "ps1" / "ps1.ipynb"))
    for i in range(n):
        folder = root / "submitted" / f"s{i:04d}" / "ps1"
        folder.mkdir(parents=True)
        nbformat.write(submission(i % 4), str(folder / "ps1.ipynb"))


def validate_coursekit(root: Path) -> None:
    """``coursekit validate`` runs the source once and remembers it sound, as a release does: the
    counterpart of nbgrader's ``generate_assignment``, which is not timed either."""
    subprocess.run([sys.executable, "-m", "coursekit.cli", "validate", str(root / "source" / "ps1" / "ps1.ipynb")],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def grade_coursekit(root: Path, scheduler: str | None = None, name: str = "coursekit",
                    workers: int | None = None) -> tuple[float, dict]:
    gradebook = root / f"{name}.sqlite"
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", str(root / "source" / "ps1" / "ps1.ipynb"),
                    str(root / "submitted"), "--gradebook", str(gradebook)]
                   + (["--scheduler", scheduler] if scheduler else [])
                   + (["--workers", str(workers)] if workers else []),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # exit 1 = some submissions crashed
    seconds = time.perf_counter() - started
    with sqlite3.connect(gradebook) as db:
        scores = {(s, q): p for s, q, p in db.execute("SELECT student, question, points FROM results")}
    return seconds, scores


def grade_nbgrader(root: Path, python: Path) -> tuple[float, dict]:
    (root / "nbgrader_config.py").write_text("c = get_config()\nc.CourseDirectory.root = %r\n"
                                             "c.CourseDirectory.db_url = 'sqlite:///%s/gradebook.db'\n"
                                             % (str(root), str(root)))
    nbgrader = [str(python), "-m", "nbgrader"]
    env = dict(os.environ, PATH=f"{python.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    subprocess.run(nbgrader + ["generate_assignment", "ps1", "--force", "--create"], cwd=root, check=True,
                   capture_output=True, env=env)
    students = sorted(p.name for p in (root / "submitted").iterdir())
    script = ("from nbgrader.api import Gradebook\nimport json,sys\ngb=Gradebook(sys.argv[1])\n"
              "[gb.update_or_create_student(s) for s in json.loads(sys.argv[2])]\n")
    subprocess.run([str(python), "-c", script, f"sqlite:///{root}/gradebook.db", json.dumps(students)], check=True)
    started = time.perf_counter()
    subprocess.run(nbgrader + ["autograde", "ps1", "--force"], cwd=root, check=True, capture_output=True, env=env)
    seconds = time.perf_counter() - started
    dump = ("from nbgrader.api import Gradebook\nimport json,sys\ngb=Gradebook(sys.argv[1])\nout={}\n"
            "for s in gb.students:\n  sub=gb.find_submission('ps1', s.id)\n"
            "  for g in sub.notebooks[0].grades:\n    out[s.id+'|'+g.name]=g.score\nprint(json.dumps(out))")
    result = subprocess.run([str(python), "-c", dump, f"sqlite:///{root}/gradebook.db"], check=True,
                            capture_output=True, text=True)
    scores = {tuple(k.split("|")): v for k, v in json.loads(result.stdout).items()}
    return seconds, scores


def grader_cpu_ms(root: Path, limit: int = 200) -> float:
    """Mean CPU milliseconds the grader's own process spends per submission (the number that caps
    throughput per core): decoding, running the tests, talking to the student's process. The
    student's processes and the fork server are not counted; the first submission (warm-up) is left out."""
    from coursekit.exercise.parse import load_source
    from coursekit.grading.confine import Limits
    from coursekit.grading.grade import grade_submission
    from coursekit.grading.sandbox import Zygote, preload_modules
    from coursekit.grading.submissions import Submission
    assignment = load_source(root / "source" / "ps1" / "ps1.ipynb")
    zygote = Zygote(preload_modules(assignment))
    paths = sorted((root / "submitted").glob("*/ps1/ps1.ipynb"))[:limit]
    try:
        cpu = [grade_submission(assignment, Submission(p.parts[-3], p), zygote, Limits()).grader_cpu for p in paths]
    finally:
        zygote.close()
    return sum(cpu[1:]) / max(len(cpu) - 1, 1) * 1000


def warm_baseline(repeats: int = 200) -> float:
    """Seconds to run the solution and the tests once in an interpreter that already has pandas."""
    import pandas  # noqa: F401  (warm import, as the brief's 3 ms assumes)
    code = [SETUP] + [q[1] for q in QUESTIONS] + [q[4] for q in QUESTIONS]
    compiled = [compile(c, "<cell>", "exec") for c in code]
    started = time.perf_counter()
    for _ in range(repeats):
        namespace = {}
        for c in compiled:
            exec(c, namespace)
    return (time.perf_counter() - started) / repeats


class LocalDaskCluster:
    """A scheduler and K single-threaded worker processes on this machine, as `dask` starts them."""

    def __init__(self, folder: Path, workers: int):
        folder.mkdir(parents=True, exist_ok=True)
        scheduler_file = folder / "scheduler.json"
        self.processes = [self._start(folder, "scheduler", ["scheduler", "--scheduler-file", str(scheduler_file),
                                                            "--host", "127.0.0.1", "--port", "0",
                                                            "--no-dashboard"])]
        deadline = time.monotonic() + 60
        while not scheduler_file.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the Dask scheduler did not start")
            time.sleep(0.1)
        time.sleep(0.2)
        self.address = json.loads(scheduler_file.read_text())["address"]
        self.processes += [self._start(folder, f"worker{i}", ["worker", self.address, "--nworkers", "1",
                                                              "--nthreads", "1", "--no-dashboard",
                                                              "--host", "127.0.0.1",
                                                              "--local-directory", str(folder / f"w{i}")])
                           for i in range(workers)]
        from distributed import Client
        with Client(self.address, timeout=30) as client:
            client.wait_for_workers(workers, timeout=120)

    @staticmethod
    def _start(folder: Path, name: str, args: list[str]) -> subprocess.Popen:
        with open(folder / f"{name}.log", "w") as log:
            return subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log, stderr=log,
                                    stdin=subprocess.DEVNULL, start_new_session=True)

    def close(self) -> None:
        for process in reversed(self.processes):
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _mean_ms(gradebook: Path) -> float:
    """Mean time spent grading one submission (start of its sandbox to verdict), from the gradebook."""
    with sqlite3.connect(gradebook) as db:
        return db.execute("SELECT avg(seconds) FROM submissions").fetchone()[0] * 1000


def cluster_mode(ns: list[int], worker_counts: list[int]) -> None:
    for n in ns:
        root = Path(tempfile.mkdtemp(prefix=f"gradebench-cluster-{n}-"))
        make_course(root, n)
        validate_coursekit(root)
        local_seconds, local_scores = grade_coursekit(root, name="local")
        print(f"N={n}: local (one machine, {os.cpu_count()} cores): {local_seconds:.1f} s, "
              f"{n / local_seconds:.1f} submissions/s; {_mean_ms(root / 'local.sqlite'):.0f} ms per submission "
              f"in grade_submission", flush=True)
        for workers in worker_counts:
            cluster = LocalDaskCluster(root / f"cluster-{workers}", workers)
            try:
                seconds, scores = grade_coursekit(root, cluster.address, name=f"cluster-{workers}")
            finally:
                cluster.close()
            print(f"N={n}: Dask cluster, {workers} worker(s): {seconds:.1f} s, {n / seconds:.1f} submissions/s; "
                  f"{_mean_ms(root / f'cluster-{workers}.sqlite'):.0f} ms per submission in grade_submission; "
                  f"scores identical to the local run: {scores == local_scores}", flush=True)
        shutil.rmtree(root, ignore_errors=True)


def compile_coursekit() -> None:
    """Compile coursekit's modules, as ``make install`` and pip do (nbgrader's were compiled when pip
    installed it): where PYTHONDONTWRITEBYTECODE is set, uncompiled modules are compiled again by
    every command, in the grader and in its fork server."""
    import compileall
    import coursekit
    compileall.compile_dir(Path(coursekit.__file__).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[40, 200])
    parser.add_argument("--nbgrader-venv", type=Path, default=None,
                        help="a virtual environment with nbgrader installed (pip install nbgrader)")
    parser.add_argument("--workers", type=int, nargs="+", default=None, metavar="W",
                        help="also grade with --workers W for each W given (scaling with cores)")
    parser.add_argument("--repeat", type=int, default=3, metavar="R",
                        help="time coursekit R times and quote the median (the machines are shared and noisy)")
    parser.add_argument("--cluster-workers", type=int, nargs="+", default=None, metavar="K",
                        help="grade on a local Dask cluster with K worker processes, for each K given")
    args = parser.parse_args()
    compile_coursekit()
    if args.cluster_workers:
        cluster_mode(args.n, args.cluster_workers)
        return
    print(f"warm interpreter: solution + tests once = {warm_baseline() * 1000:.2f} ms")
    for n in args.n:
        root = Path(tempfile.mkdtemp(prefix=f"gradebench-{n}-"))
        make_course(root, n)
        validate_coursekit(root)
        runs = [grade_coursekit(root, name=f"coursekit-{i}") for i in range(args.repeat)]
        ck_seconds, ck_scores = sorted(runs, key=lambda run: run[0])[len(runs) // 2]
        if any(scores != ck_scores for _, scores in runs):
            raise SystemExit(f"N={n}: coursekit's scores differ between runs")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        spread = f", runs {min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f} s" if len(runs) > 1 else ""
        line = (f"N={n}: coursekit {ck_seconds:.2f} s (median of {len(runs)}{spread}; "
                f"{ck_seconds / n * 1000:.1f} ms/submission), "
                f"peak child RSS {peak:.0f} MB; grader CPU {grader_cpu_ms(root):.2f} ms/submission")
        if args.workers:
            for workers in args.workers:
                seconds, scores = grade_coursekit(root, name=f"w{workers}", workers=workers)
                line += (f"; --workers {workers}: {seconds:.2f} s ({n / seconds:.0f}/s), "
                         f"scores identical: {scores == ck_scores}")
        if args.nbgrader_venv:
            nb_seconds, nb_scores = grade_nbgrader(root, args.nbgrader_venv.resolve() / "bin" / "python")
            ours = {(s, q.removeprefix("test_")): p for (s, q), p in ck_scores.items()}
            theirs = {(s, q.removeprefix("test_")): p for (s, q), p in nb_scores.items()}
            agree = all(theirs.get(k) == v for k, v in ours.items()) and len(ours) == len(theirs)
            line += f"; nbgrader {nb_seconds:.2f} s; ratio {nb_seconds / ck_seconds:.1f}x; scores identical: {agree}"
        print(line, flush=True)
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
