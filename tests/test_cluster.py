"""Grading on a real Dask cluster: a scheduler and two workers, each its own process, as
``dask scheduler`` and ``dask worker`` start them; one test kills a worker in the middle of a run."""
from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from test_grading_e2e import GOOD, answered, coursekit, recorded_so_far, rows, totals, write

distributed = pytest.importorskip("distributed", reason="distributed is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.xdist_group("cluster")


class LocalCluster:
    """``dask scheduler`` and N ``dask worker`` processes, each in its own process group."""

    def __init__(self, folder: Path, workers: int):
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.logs = []
        self.scheduler = self._start("scheduler", ["scheduler", "--scheduler-file", self.scheduler_file,
                                                   "--port", "0", "--host", "127.0.0.1", "--no-dashboard"])
        deadline = time.monotonic() + 60
        while not self.scheduler_file.exists():
            self._alive(self.scheduler, "scheduler")
            assert time.monotonic() < deadline, "the Dask scheduler did not start"
            time.sleep(0.1)
        time.sleep(0.2)  # the file is written whole, but give the writer a moment to close it
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        self.workers = [self._start(f"worker{i}", ["worker", self.address, "--nworkers", "1", "--nthreads", "1",
                                                    "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1",
                                                    "--local-directory", folder / f"w{i}"])
                        for i in range(workers)]
        self.wait_for(workers)

    def _start(self, name: str, args: list) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "w")
        self.logs.append(log)
        return subprocess.Popen([sys.executable, "-m", "dask", *map(str, args)], stdout=log, stderr=log,
                                stdin=subprocess.DEVNULL, start_new_session=True)

    def _alive(self, process: subprocess.Popen, name: str) -> None:
        assert process.poll() is None, (self.folder / f"{name}.log").read_text()

    def wait_for(self, n: int) -> None:
        with distributed.Client(self.address, timeout=30) as client:
            client.wait_for_workers(n, timeout=90)

    def busy(self, name: str) -> int:
        """How many tasks the scheduler has given the worker called ``name`` and not yet seen finish."""
        with distributed.Client(self.address, timeout=30) as client:
            workers = client.scheduler_info()["workers"]
            address = next(a for a, w in workers.items() if w.get("name") == name)
            return len(client.processing(workers=[address])[address])

    def kill_worker(self, i: int) -> None:
        """SIGKILL the worker's whole process group: its nanny and the worker process, no goodbye."""
        os.killpg(self.workers[i].pid, signal.SIGKILL)
        self.workers[i].wait()

    def close(self) -> None:
        for process in [*self.workers, self.scheduler]:
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                    process.wait(timeout=20)
                except (subprocess.TimeoutExpired, ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()
        for log in self.logs:
            log.close()


@pytest.fixture
def cluster(tmp_path):
    folder = tmp_path / "cluster"
    folder.mkdir()
    started = LocalCluster(folder, workers=2)
    yield started
    started.close()


def _mixed_class(basic, folder: Path, n: int, slow: bool = False) -> None:
    """Right, partly right, crashing and broken submissions in turn; ``slow`` adds a sleep to q1."""
    q1 = "import time\ntime.sleep(0.5)\ntotal = 55" if slow else GOOD["q1"]
    kinds = [{**GOOD, "q1": q1}, {**GOOD, "q1": q1, "q3": "squares = [1]"},
             {**GOOD, "q1": q1, "q2": "def double(x):\n    return 1 / 0"}, {"q1": q1}]
    for i in range(n):
        write(answered(basic, kinds[i % len(kinds)]), folder / f"s{i:02d}.ipynb")
    if not slow:
        (folder / "zz-broken.ipynb").write_text("{not json")
        (folder / "zz-empty.ipynb").write_text("")


def _strip(table: list[tuple]) -> list[tuple]:
    return [r[:-2] for r in table]  # drop the timing and date columns


def test_cluster_grades_like_a_local_run(basic, basic_source, cluster, tmp_path):
    subs = tmp_path / "subs"
    _mixed_class(basic, subs, 12)
    local = tmp_path / "local.sqlite"
    coursekit("grade", basic_source, subs, "--gradebook", local, ok=(1,))  # the broken files: exit 1
    remote = tmp_path / "remote.sqlite"
    graded = coursekit("grade", basic_source, subs, "--gradebook", remote, "--scheduler", cluster.address, ok=(1,))
    assert "14 graded" in graded.stdout, graded.stderr
    assert totals(remote) == totals(local) and len(totals(remote)) == 14
    assert _strip(rows(remote, "submissions")) == _strip(rows(local, "submissions"))
    assert rows(remote, "results") == rows(local, "results")
    with sqlite3.connect(remote) as db:
        paths = {p for (p,) in db.execute("SELECT path FROM submissions")}
    assert paths == {str(p) for p in subs.iterdir()}  # the grader's paths, not the workers' copies
    again = coursekit("grade", basic_source, subs, "--gradebook", remote, "--scheduler", cluster.scheduler_file,
                      ok=(0, 1))
    assert "0 graded" in again.stdout and "14 skipped" in again.stdout


def test_worker_killed_mid_run_costs_nothing(basic, basic_source, cluster, tmp_path):
    subs = tmp_path / "subs"
    _mixed_class(basic, subs, 16, slow=True)
    gradebook = tmp_path / "killed.sqlite"
    grader = subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source), str(subs),
                               "--gradebook", str(gradebook), "--scheduler", cluster.address],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and grader.poll() is None:
        time.sleep(0.1)
        if len(recorded_so_far(gradebook)) >= 3 and cluster.busy("w0"):
            break
    assert grader.poll() is None, "the run finished before a worker could be killed"
    cluster.kill_worker(0)  # in the middle of grading a submission
    out, err = grader.communicate(timeout=300)
    assert grader.returncode == 0, err
    assert "16 graded" in out  # each submission recorded once, none missing, none counted twice
    local = tmp_path / "local.sqlite"
    coursekit("grade", basic_source, subs, "--gradebook", local)
    assert totals(gradebook) == totals(local) and len(totals(gradebook)) == 16
    assert rows(gradebook, "results") == rows(local, "results")
    with sqlite3.connect(gradebook) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert db.execute("SELECT count(*) FROM results").fetchone()[0] == 48


def test_unreachable_scheduler_is_one_line(basic, basic_source, tmp_path):
    import socket
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    sub = write(answered(basic, GOOD), tmp_path / "subs" / "ana.ipynb")
    result = coursekit("grade", basic_source, sub, "--gradebook", tmp_path / "gb.sqlite",
                       "--scheduler", f"tcp://127.0.0.1:{port}", check=False, timeout=120)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "cannot reach the Dask scheduler" in result.stderr


def test_missing_dask_extra_is_one_line(basic, basic_source, tmp_path):
    """Without distributed installed, --scheduler says which extra to install; local grading still works."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "distributed.py").write_text("raise ImportError('distributed is not installed')\n")
    sub = write(answered(basic, GOOD), tmp_path / "subs" / "ana.ipynb")
    env = dict(os.environ, PYTHONPATH=f"{blocker}{os.pathsep}{os.environ.get('PYTHONPATH', '')}")
    command = [sys.executable, "-m", "coursekit.cli", "grade", str(basic_source), str(sub),
               "--gradebook", str(tmp_path / "gb.sqlite")]
    result = subprocess.run(command + ["--scheduler", "tcp://127.0.0.1:8786"], capture_output=True, text=True,
                            env=env, timeout=120)
    assert result.returncode == 2
    assert result.stderr.strip() == ("coursekit grade: --scheduler needs the dask extra: "
                                     "pip install 'coursekit[dask]'")
    local = subprocess.run(command, capture_output=True, text=True, env=env, timeout=120)
    assert local.returncode == 0 and "1 graded" in local.stdout
