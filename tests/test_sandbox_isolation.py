"""The student's process sees nothing of the machine but the interpreter, and the same submission
gets the same points whatever the number of workers and cores (issue 12).

Cases that need namespaces (root, or unprivileged user namespaces) are skipped with the reason the
sandbox itself reported when the machine cannot show them.
"""
from __future__ import annotations

import ctypes
import json
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from coursekit.gradebook.store import Gradebook
from coursekit.grading import confine
from coursekit.grading.batch import grade_all
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.sandbox import Sandbox, Zygote
from coursekit.grading.submissions import Submission, discover
from test_grading_e2e import answered

REPO = Path(__file__).resolve().parents[1]
SCENARIOS = Path(__file__).parent / "scenarios"


def _run(sandbox: Sandbox, code: str, name: str = "r"):
    """Execute ``code`` in the student's process and bring back the value of ``name``."""
    deadline = time.monotonic() + 30
    reply = sandbox.request({"op": "exec", "code": code}, deadline)
    assert reply.get("ok"), (reply, sandbox.output)
    return sandbox.request({"op": "get", "names": [name]}, deadline)["values"][name]


def _plain(value):
    """The codec's by-value form of a dict of plain values, as a dict."""
    if isinstance(value, dict) and "__dict__" in value:
        return {k: _plain(v) for k, v in value["__dict__"]}
    if isinstance(value, dict) and "__tuple__" in value:
        return tuple(_plain(v) for v in value["__tuple__"])
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@pytest.fixture
def sandbox(zygote):
    box = Sandbox(zygote, Limits())
    box.start()
    yield box
    box.kill()


def _needs(box: Sandbox, *keys: str) -> None:
    missing = [k for k in keys if not box.containment.get(k)]
    if missing:
        pytest.skip(f"not enforced on this machine: {', '.join(missing)} ({'; '.join(box.containment.get('notes', []))})")


def test_zygote_never_imports_from_the_working_folder(tmp_path, monkeypatch):
    """An IPython.py or numpy.py where the instructor runs the grader (as root, perhaps) is never run."""
    for name in ("IPython", "numpy", "pandas", "coursekit", "json", "socket"):
        (tmp_path / f"{name}.py").write_text(f"open({str(tmp_path / ('imported-' + name))!r}, 'w').close()\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(["", ".", str(tmp_path)]))
    server = Zygote(("numpy", "pandas", "IPython.core.inputtransformer2"))
    try:
        box = Sandbox(server, Limits())
        box.start()
        try:
            where = _run(box, "import numpy, IPython\nr = [numpy.__file__, IPython.__file__]")
        finally:
            box.kill()
    finally:
        server.close()
    assert not list(tmp_path.glob("imported-*"))
    assert all(str(tmp_path) not in path for path in where), where


def _home_entries() -> list[str]:
    """Entries of the instructor's home folder that are not on the way to the interpreter."""
    bound = [os.path.realpath(p) for p in confine.visible_paths()]
    try:
        entries = sorted(Path.home().iterdir())
    except OSError:
        return []
    return [str(e) for e in entries if not any(b == str(e) or b.startswith(str(e) + "/") for b in bound)][:20]


def test_student_sees_only_the_interpreter(sandbox):
    _needs(sandbox, "minimal_root")
    seen = _plain(_run(sandbox, f"""
import os, sys
r = {{"root": sorted(os.listdir("/")), "prefix": os.path.isdir(sys.prefix),
      "absent": [p for p in {[str(REPO / '.git'), str(REPO / 'exercises'), str(Path(__file__)), '/home', '/etc/shadow',
                              '/var', '/sys', '/run', '/dev/sda', '/dev/vda', *_home_entries()]!r}
                 if os.path.lexists(p)],
      "tmp": os.listdir("/tmp"), "cwd": os.getcwd(), "dev": sorted(os.listdir("/dev"))}}
"""))
    assert seen["prefix"]
    assert seen["absent"] == []
    # the system folders, and the top folder of each path to the interpreter and its libraries
    # (CI checks out under /check, a developer under /work or /tmp)
    interpreter_tops = {Path(os.path.realpath(p)).parts[1] for p in confine.visible_paths() if len(Path(p).parts) > 1}
    assert set(seen["root"]) <= ({"dev", "etc", "proc", "tmp", "usr", "lib", "lib32", "lib64", "libx32", "bin",
                                  "root", "opt", "srv", "mnt", "sbin"} | interpreter_tops) - {"home", "var"}
    # only its own work folder, if that is under /tmp, and folders holding the interpreter's libraries
    # (a checkout under /tmp installed in editable mode puts its src/ on the path)
    libraries = {Path(p).parts[2] for p in [*sys.path, sys.prefix] if p.startswith("/tmp/") and len(Path(p).parts) > 2}
    assert set(seen["tmp"]) <= {os.path.basename(seen["cwd"])} | libraries
    assert set(seen["dev"]) <= {"null", "zero", "full", "random", "urandom", "shm", "fd", "stdin", "stdout", "stderr"}


def test_library_folders_are_read_only(sandbox):
    _needs(sandbox, "minimal_root", "read_only_filesystem")
    errors = _plain(_run(sandbox, """
import os, sys, numpy
r = []
for folder in (sys.prefix, os.path.dirname(numpy.__file__), "/etc", "/", "/usr/lib"):
    try:
        open(os.path.join(folder, "planted.py"), "w").close()
        r.append(folder)
    except OSError:
        pass
"""))
    assert errors == []


def test_system_calls_students_never_need_are_refused(sandbox):
    _needs(sandbox, "seccomp")
    result = _plain(_run(sandbox, """
import ctypes, os, threading
libc = ctypes.CDLL(None, use_errno=True)
def call(*args):
    value = libc.syscall(*args)
    return value, ctypes.get_errno()
r = {"ptrace": call(101, 0, 1, 0, 0), "unshare_user": call(272, 0x10000000), "unshare_ns": call(272, 0x20000),
     "setns": call(308, 0, 0), "bpf": call(321, 0, 0, 0), "keyctl": call(250, 0, 0, 0),
     "perf": call(298, 0, 0, -1, -1, 0), "mount": call(165, b"none", b"/tmp", b"tmpfs", 0, 0),
     "clone_user": call(56, 0x10000000 | 17, 0, 0, 0, 0), "clone3": call(435, 0, 0)}
box = []
t = threading.Thread(target=lambda: box.append(1)); t.start(); t.join()
pid = os.fork()
if pid == 0:
    os._exit(7)
r["thread"], r["fork"] = box, os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1])
""")) if os.uname().machine == "x86_64" else pytest.skip("syscall numbers of this test are x86_64's")
    for name in ("ptrace", "unshare_user", "unshare_ns", "setns", "bpf", "keyctl", "perf", "mount", "clone_user"):
        assert tuple(result[name]) == (-1, 1), (name, result[name])  # EPERM
    assert tuple(result["clone3"]) == (-1, 38)  # ENOSYS: the C library falls back to clone
    assert result["thread"] == [1] and result["fork"] == 7


@pytest.mark.parametrize("machine", ["x86_64", "aarch64"])
def test_seccomp_program_is_well_formed(machine):
    program = confine.seccomp_program(machine)
    assert program[-1][0] == 0x06 and program[-2][0] == 0x06
    for index, (code, jt, jf, _k) in enumerate(program):
        if code & 0x07 == 0x05:  # a jump: both targets inside the program
            assert index + 1 + max(jt, jf) < len(program)
    denied = {k for code, _, _, k in program if code == 0x15}
    assert {confine._SYSCALL_NUMBERS[n][machine] for n in ("ptrace", "mount", "unshare", "setns", "bpf")} <= denied
    assert confine.seccomp_program("mips") is None


def test_sysv_shared_memory_dies_with_the_submission(basic, zygote, tmp_path):
    """The shm scenario graded twice: the second student finds nothing the first one left."""
    case = SCENARIOS / "sysv-shm-left-behind"
    submission = tmp_path / "s.ipynb"
    submission.write_bytes((case / "submission.ipynb").read_bytes())
    for _ in range(2):
        result = grade_submission(basic, Submission("mallory", submission), zygote, Limits(question_seconds=10))
        if not result.containment.get("ipc_namespace"):
            pytest.skip("no IPC namespace on this machine")
        assert {q.question: q.points for q in result.questions} == {"q1": 0, "q2": 3, "q3": 1}
    libc = ctypes.CDLL(None, use_errno=True)
    assert libc.shmget(0x0C0FFEE, 0, 0) == -1  # nothing left in the grader's IPC namespace either


def test_classmates_and_gradebook_absent_without_any_protect_list(basic, zygote, tmp_path):
    """Grading one student's folder with nothing hidden by a list: classmates and gradebook are absent."""
    classmate = tmp_path / "class" / "alice" / "basic.ipynb"
    classmate.parent.mkdir(parents=True)
    nbformat.write(answered(basic, {"q1": "total = 55"}), str(classmate))
    gradebook = tmp_path / "gradebook.sqlite"
    gradebook.write_bytes(b"alice 6/6")
    thief = tmp_path / "class" / "mallory" / "basic.ipynb"
    thief.parent.mkdir()
    steal = (f"total = None\nfor p in ({str(classmate)!r}, {str(gradebook)!r}):\n"
             f"    try:\n        open(p, 'rb').read(1)\n        total = 55\n    except OSError:\n        pass\n")
    nbformat.write(answered(basic, {"q1": steal, "q3": "squares = [0, 1, 4, 9, 16]"}), str(thief))
    result = grade_submission(basic, Submission("mallory", thief), zygote, Limits(question_seconds=10), protect=[])
    if not result.containment.get("minimal_root"):
        pytest.skip("no fresh root on this machine: " + "; ".join(result.containment.get("notes", [])))
    assert {q.question: q.points for q in result.questions} == {"q1": 0, "q2": 0, "q3": 1}


PROBE = """
import os, numpy as np, pandas as pd
pools = {}
try:
    from threadpoolctl import threadpool_info
    pools = {info["internal_api"]: info["num_threads"] for info in threadpool_info()}
except ImportError:
    pass
env = [os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                   "ARROW_NUM_THREADS", "POLARS_MAX_THREADS", "LOKY_MAX_CPU_COUNT")]
frame = pd.DataFrame({"x": np.arange(1, 11)})
single = all(n == 1 for n in pools.values()) and env == ["1"] * 6
total = int(frame["x"].sum()) + OFFSET if single else None
"""


def test_same_points_with_any_number_of_workers_on_a_many_core_machine(basic, tmp_path, monkeypatch):
    """A 64-core machine's thread settings in the grader's environment change nothing: thread pools in
    the student's process have one thread, and --workers 1 and --workers 4 give the same gradebook."""
    for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "ARROW_NUM_THREADS",
                 "POLARS_MAX_THREADS", "LOKY_MAX_CPU_COUNT", "NUMEXPR_MAX_THREADS"):
        monkeypatch.setenv(name, "64")
    folder = tmp_path / "class"
    for i, offset in enumerate([0, 0, -5, 0, 1, 0]):
        answers = {"q1": PROBE.replace("OFFSET", str(offset)),
                   "q2": "import numpy as np\ndef double(x):\n    return np.multiply(2, x)",
                   "q3": "import pandas as pd\nsquares = pd.Series(range(5)).pow(2).tolist()" if i % 2 else ""}
        (folder / f"s{i}").mkdir(parents=True)
        nbformat.write(answered(basic, answers), str(folder / f"s{i}" / "basic.ipynb"))
    found = discover([folder], basic.name)
    tables = []
    for workers in (1, 4):
        book = Gradebook(tmp_path / f"gradebook-{workers}.sqlite")
        grade_all(basic, found, book, Limits(question_seconds=20), workers=workers)
        tables.append(sorted((r["student"], r["question"], r["points"], r["status"]) for r in book.results()))
        book.close()
    assert tables[0] == tables[1]
    q1 = {student: points for student, question, points, _ in tables[0] if question == "q1"}
    assert q1 == {"s0": 2, "s1": 2, "s2": 1, "s3": 2, "s4": 1, "s5": 2}, tables[0]  # a wrong int: 1 of 2


def test_guide_table_names_every_containment_key():
    """The guide's table of what is enforced where uses the keys the grader reports, and its sample
    ``sandbox:`` line is the line of a machine where everything holds."""
    import dataclasses
    import re
    guide = (REPO / "chapters" / "guides" / "grading-safely.md").read_text()
    keys = set(re.findall(r"^\|[^|]*\| `([a-z_]+)` \|", guide, flags=re.M))
    # the mount namespace is a means, shown through the root, read-only and work-folder keys
    fields = {f.name for f in dataclasses.fields(confine.Containment)} - {"notes", "mount_namespace"}
    assert keys == fields == set(confine.CONTAINMENT_LABELS)
    assert "sandbox: " + ", ".join(confine.CONTAINMENT_LABELS.values()) in guide


UNPRIVILEGED = """
import json, time
from coursekit.grading.confine import Limits
from coursekit.grading.sandbox import Sandbox, Zygote
server = Zygote(("numpy",))
box = Sandbox(server, Limits())
try:
    box.start()
    deadline = time.monotonic() + 30
    box.request({"op": "exec", "code": "import os\\nr = sorted(os.listdir('/'))"}, deadline)
    seen = box.request({"op": "get", "names": ["r"]}, deadline)["values"]["r"]
    print(json.dumps({"containment": box.containment, "root": seen}))
finally:
    box.kill()
    server.close()
"""


def test_ordinary_user_with_user_namespaces_gets_the_same_root(tmp_path):
    """The table's second column: as an ordinary user (uid 1000 in a user namespace of the test's),
    the sandbox builds the same fresh root, filter and IPC namespace, without a separate uid."""
    import shutil
    import subprocess
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root to play an ordinary user with unshare(1)")
    run = subprocess.run(["unshare", "--user", "--map-user=1000", "--map-group=1000", sys.executable, "-c", UNPRIVILEGED],
                         capture_output=True, text=True, timeout=120, cwd="/")
    if run.returncode != 0 and run.stderr.startswith("unshare:"):  # the tool itself failed, not the sandbox
        pytest.skip(f"unshare(1) refused here: {run.stderr.strip()[:200]}")
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    held = {k for k, v in report["containment"].items() if v is True}
    assert {"minimal_root", "read_only_filesystem", "network_namespace", "pid_namespace", "ipc_namespace",
            "no_capabilities", "seccomp", "no_nested_namespaces"} <= held, report
    assert "separate_user" not in held
    assert "home" not in report["root"] and set(report["root"]) >= {"dev", "etc", "proc", "tmp"}


WITHOUT_NAMESPACES = """
import json, os, tempfile, time
for name in ("max_mnt_namespaces", "max_user_namespaces"):  # this machine, as the sandbox sees it, has none
    with open(f"/proc/sys/user/{name}", "w") as handle:
        handle.write("0")
from coursekit.grading.confine import Limits
from coursekit.grading.sandbox import Sandbox, Zygote
server = Zygote(("numpy",))
tests_folder = tempfile.mkdtemp()
box = Sandbox(server, Limits(), workdir=tests_folder)
try:
    box.start()
    deadline = time.monotonic() + 30
    box.request({"op": "exec", "code": "import os\\nopen('mine.txt', 'w').write('x')\\nwhere = os.getcwd()"}, deadline)
    where = box.request({"op": "get", "names": ["where"]}, deadline)["values"]["where"]
    print(json.dumps({"containment": box.containment, "where": where, "tests_folder": tests_folder,
                      "in_tests_folder": os.listdir(tests_folder)}))
finally:
    box.kill()
    server.close()
"""


def test_without_a_private_folder_the_student_never_works_in_the_tests_folder():
    """The test's folder is the student's work folder only where a private tmpfs covers it in the
    student's namespace; without namespaces the student works in a scratch folder of the sandbox's
    own, so a hidden test's files never sit where the student's process reads, and emptying the
    test's folder never deletes the student's files."""
    import shutil
    import subprocess
    if os.geteuid() != 0 or not shutil.which("unshare"):
        pytest.skip("needs root to take namespaces away with unshare(1)")
    run = subprocess.run(["unshare", "--user", "--map-root-user", sys.executable, "-c", WITHOUT_NAMESPACES],
                         capture_output=True, text=True, timeout=120, cwd="/",
                         env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    if run.returncode != 0 and (run.stderr.startswith("unshare:") or "PermissionError" in run.stderr[-300:]):
        pytest.skip(f"unshare(1) refused here: {run.stderr.strip()[-200:]}")
    assert run.returncode == 0, run.stderr[-2000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["containment"]["private_workdir"] is False, report
    assert report["where"] != report["tests_folder"] and report["in_tests_folder"] == []
