"""The gradebook in PostgreSQL: the same rows as SQLite, concurrent graders, re-grading.

The tests need a real server. COURSEKIT_TEST_POSTGRES_URL names one to use; otherwise a throwaway
cluster is made with Debian's binaries (``initdb`` and ``pg_ctl`` of the ``postgresql`` package,
run as the ``postgres`` user when the tests run as root) in a temporary folder, on a free port,
and removed at the end. The tests are skipped, saying why, only when neither works.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from coursekit.gradebook.store import GradebookError, PostgresGradebook, open_gradebook

from test_grading_e2e import GOOD, _class, answered, coursekit, small_class, write

psycopg = pytest.importorskip("psycopg", reason="psycopg is not installed: pip install -e '.[test]'")

pytestmark = pytest.mark.xdist_group("postgres")


def _binaries() -> Path | None:
    for initdb in sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                         key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0, reverse=True):
        return Path(initdb).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server(folder: Path) -> tuple[str, callable]:
    """initdb + pg_ctl start in ``folder``; returns the URL and a function that stops the server."""
    bindir = _binaries()
    if bindir is None:
        raise RuntimeError("no PostgreSQL server binaries (install Debian's postgresql package)")
    as_user = {}
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no postgres user to run the server as") from None
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    data, log = folder / "data", folder / "server.log"
    port = _free_port()
    run = dict(capture_output=True, text=True, timeout=120, cwd=folder, **as_user)
    done = subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8",
                           "--no-sync"], **run)
    if done.returncode:
        raise RuntimeError(f"initdb failed: {done.stderr.strip()[-300:]}")
    options = f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
    done = subprocess.run([bindir / "pg_ctl", "-D", data, "-l", log, "-o", options, "-w", "-t", "60", "start"],
                          **run)
    if done.returncode:
        text = log.read_text() if log.exists() else done.stderr
        raise RuntimeError(f"pg_ctl start failed: {text.strip()[-300:]}")

    def stop():
        subprocess.run([bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"], **run)

    return f"postgresql://postgres@127.0.0.1:{port}/postgres", stop


@pytest.fixture(scope="session")
def postgres_server():
    """The URL of a PostgreSQL server for the session."""
    given = os.environ.get("COURSEKIT_TEST_POSTGRES_URL")
    if given:
        yield given
        return
    folder = Path(tempfile.mkdtemp(prefix="coursekit-pg-"))
    try:
        url, stop = _start_server(folder)
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        shutil.rmtree(folder, ignore_errors=True)
        pytest.skip(f"no PostgreSQL server could be started for the gradebook tests ({exc}); "
                    "set COURSEKIT_TEST_POSTGRES_URL or install Debian's postgresql package")
    try:
        yield url
    finally:
        stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def pg_url(postgres_server):
    """A fresh, empty schema on the server for one test, as a gradebook URL."""
    schema = f"ck_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f"CREATE SCHEMA {schema}")
    separator = "&" if "?" in postgres_server else "?"
    yield f"{postgres_server}{separator}options=-csearch_path%3D{schema}"
    with psycopg.connect(postgres_server, autocommit=True) as db:
        db.execute(f"DROP SCHEMA {schema} CASCADE")


def _strip(rows: list[dict]) -> list[dict]:
    return [{k: v for k, v in row.items() if k not in ("seconds", "graded_at")} for row in rows]


def _contents(location) -> tuple[list[dict], list[dict]]:
    gradebook = open_gradebook(location)
    try:
        return _strip(gradebook.submissions()), gradebook.results()
    finally:
        gradebook.close()


def test_same_rows_as_sqlite(basic, basic_source, pg_url, tmp_path):
    subs = small_class(basic, tmp_path / "subs")
    sqlite = tmp_path / "grades.sqlite"
    coursekit("grade", basic_source, subs, "--gradebook", sqlite, check=False)
    graded = coursekit("grade", basic_source, subs, "--gradebook", pg_url, check=False)
    assert graded.returncode == 1 and "5 graded" in graded.stdout  # eli's file is invalid: exit 1
    assert _contents(pg_url) == _contents(sqlite)
    assert open_gradebook(pg_url).check() == "ok"
    for fmt in ("csv", "lms"):
        coursekit("export", "--gradebook", sqlite, "--format", fmt, "--out", tmp_path / f"sqlite.{fmt}")
        coursekit("export", "--gradebook", pg_url, "--format", fmt, "--out", tmp_path / f"pg.{fmt}")
        assert (tmp_path / f"pg.{fmt}").read_text() == (tmp_path / f"sqlite.{fmt}").read_text()
    report = coursekit("report", "--gradebook", pg_url, "--out", tmp_path / "report")
    assert "5 student feedback page(s)" in report.stdout


def test_regrading_replaces_and_skips(basic, basic_source, pg_url, tmp_path):
    sub = write(answered(basic, GOOD), tmp_path / "subs" / "ana.ipynb")
    coursekit("grade", basic_source, sub, "--gradebook", pg_url)
    first = _contents(pg_url)
    again = coursekit("grade", basic_source, sub, "--gradebook", pg_url)
    assert "1 skipped" in again.stdout and _contents(pg_url) == first
    write(answered(basic, {**GOOD, "q3": "squares = []"}), sub)
    coursekit("grade", basic_source, sub, "--gradebook", pg_url)
    submissions, results = _contents(pg_url)
    assert [(s["student"], s["points"]) for s in submissions] == [("ana", 5)]
    assert [r["question"] for r in results] == ["q1", "q2", "q3"] and results[2]["points"] == 0


def test_two_graders_at_once_lose_nothing(basic, basic_source, pg_url, tmp_path):
    """Two graders, half of whose students overlap, write into one database at the same time."""
    _class(basic, tmp_path / "a", 8)
    _class(basic, tmp_path / "b", 8)
    for path in sorted((tmp_path / "b").iterdir())[:4]:
        path.rename(path.with_name("b" + path.name))  # four students of b are new, four are also in a
    procs = [subprocess.Popen([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source),
                               str(tmp_path / d), "--gradebook", pg_url, "--force", "--workers", "2"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for d in ("a", "b")]
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert "8 graded" in out
    submissions, results = _contents(pg_url)
    assert len(submissions) == 12 and len(results) == 36
    per_student = {}
    for row in results:
        per_student[row["student"]] = per_student.get(row["student"], 0) + 1
    assert set(per_student.values()) == {3}
    assert {s["student"]: s["points"] for s in submissions} == \
        {s: (5 if int(s.lstrip("bs")) % 3 == 0 else 6) for s in per_student}


def test_concurrent_records_of_one_student_take_turns(basic, basic_source, pg_url):
    """Many threads, each with its own connection, record the same two students over and over."""
    from concurrent.futures import ThreadPoolExecutor

    from coursekit.grading.grade import QuestionResult, SubmissionResult

    def result(student: str, points: float) -> SubmissionResult:
        return SubmissionResult(student, "basic", f"{student}.ipynb", f"digest-{points}", "graded", "",
                                [QuestionResult(q, points, 2.0, "passed", "") for q in ("q1", "q2", "q3")])

    def writer(n: int) -> None:
        gradebook = PostgresGradebook(pg_url)
        try:
            for i in range(10):
                gradebook.record(result("ana" if (n + i) % 2 else "ben", float(i % 3)))
        finally:
            gradebook.close()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(writer, range(8)))
    gradebook = PostgresGradebook(pg_url)
    rows = gradebook.results()
    assert len(gradebook.submissions()) == 2 and len(rows) == 6
    for sub in gradebook.submissions():  # every submission row agrees with its own question rows
        assert sub["points"] == sum(r["points"] for r in rows if r["student"] == sub["student"])
    assert gradebook.check() == "ok"
    gradebook.close()


def test_unreachable_database_is_one_line(basic, basic_source, tmp_path):
    url = f"postgresql://nobody:secret@127.0.0.1:{_free_port()}/none"
    sub = write(answered(basic, GOOD), tmp_path / "subs" / "ana.ipynb")
    result = coursekit("grade", basic_source, sub, "--gradebook", url, check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "not a usable gradebook" in result.stderr and "secret" not in result.stderr
    with pytest.raises(GradebookError):
        open_gradebook(url)
