"""What an instructor's test may touch on the grader's machine while it runs in the grader.

A test runs in the grader's process, outside the student's sandbox, and a path it opens may come
from the student: ``open(save_report())`` where the student's function returns
``/home/teacher/course/submitted/bob/ps1.ipynb``. So while a test runs, a Python audit hook
allows only its work folder (the copy of the student's, any mode) and, to read, what Python and
its libraries need (the installation, site-packages, time zones, fonts, matplotlib's cache);
everything else of the machine (the course and its sources, the other submissions, the
gradebook, home folders, /tmp) is refused with a PermissionError naming the path, as is starting
a program or unpickling anything that names a class or function (a pickle the student wrote
would run its code here). Deny by default; ``tempfile`` points into the work folder meanwhile,
and a thread the test starts is held to the same folder.
"""
from __future__ import annotations

import os
import sys
import sysconfig
import tempfile
import threading
from contextlib import contextmanager

_state = threading.local()  # the work folder of the test running on this thread, if any
_WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
_PATH_EVENTS = {"os.listdir": 0, "os.scandir": 0, "os.remove": 0, "os.rmdir": 0, "os.mkdir": 0,
                "os.rename": 0, "os.replace": 0, "os.chmod": 0, "os.chown": 0, "os.link": 0, "os.symlink": 1,
                "os.truncate": 0, "os.utime": 0, "shutil.rmtree": 0, "shutil.copyfile": 0, "sqlite3.connect": 0}
_PROGRAMS = {"subprocess.Popen", "os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
             "ctypes.dlopen"}


def _read_roots() -> tuple[str, ...]:
    """Folders a test may read: the interpreter's and its libraries', and the data they load."""
    roots = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
             "/usr/lib", "/usr/lib64", "/lib", "/lib64", "/usr/share/zoneinfo", "/usr/share/fonts",
             "/usr/local/share/fonts", "/etc/fonts", "/dev/null", "/dev/urandom"}
    roots.update(p for p in sysconfig.get_paths().values())
    roots.update(os.path.dirname(os.path.dirname(os.path.abspath(m.__file__)))
                 for m in (sys.modules.get("coursekit"),) if m is not None)
    home = os.path.expanduser("~")
    for variable, default in (("XDG_CACHE_HOME", os.path.join(home, ".cache")),
                              ("XDG_CONFIG_HOME", os.path.join(home, ".config"))):
        roots.add(os.path.join(os.environ.get(variable) or default, "matplotlib"))
    if os.environ.get("MPLCONFIGDIR"):
        roots.add(os.environ["MPLCONFIGDIR"])
    return tuple(sorted(os.path.realpath(r) for r in roots if r))


_READ_ROOTS: tuple[str, ...] = ()


def _inside(path: str, roots) -> bool:
    return any(path == root or path.startswith(root.rstrip("/") + "/") for root in roots)


def _check(path, writing: bool) -> None:
    if isinstance(path, int) or path is None:  # an open file descriptor, or nothing named
        return
    try:
        name = os.fsdecode(path)
    except TypeError:
        return
    if name in ("", ":memory:") or name.startswith("file::memory:"):
        return
    real = os.path.realpath(name)
    workdir = _state.workdir
    if _inside(real, (workdir,)) or not writing and _inside(real, _READ_ROOTS):
        return
    raise PermissionError(f"a test may open only the files of its work folder, not {name}")


def _hook(event: str, args: tuple) -> None:
    if getattr(_state, "workdir", None) is None:
        return
    if event == "open":
        path, mode, flags = args
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or bool(flags & _WRITES)
        _check(path, writing)
    elif event in _PATH_EVENTS:
        _check(args[_PATH_EVENTS[event]] if args else None, event not in ("os.listdir", "os.scandir", "shutil.copyfile"))
        if event in ("os.rename", "os.replace", "os.link", "shutil.copyfile") and len(args) > 1:
            _check(args[1], True)
    elif event in _PROGRAMS:
        raise PermissionError("a test may not start programs while it is graded")
    elif event == "pickle.find_class":  # unpickling runs what the bytes name: the student's bytes, perhaps
        raise PermissionError("a test may not unpickle in the grader (pickle.load, joblib.load and "
                              "pd.read_pickle load in the student's process)")


_installed = False
_thread_start = threading.Thread.start


def _start_held(thread: threading.Thread) -> None:
    """``Thread.start``: a thread a test starts (a thread pool mapping the student's function) is held
    to the test's work folder too; threads the grader or a scheduler starts are not touched."""
    workdir = getattr(_state, "workdir", None)
    if workdir is not None:
        run = thread.run

        def held():
            _state.workdir = workdir
            try:
                run()
            finally:
                _state.workdir = None
        thread.run = held
    _thread_start(thread)


@contextmanager
def files_of(workdir: str):
    """While the block runs on this thread, only ``workdir`` (and, to read, Python's own files) is reachable."""
    global _installed, _READ_ROOTS
    if not _installed:
        _READ_ROOTS = _read_roots()
        sys.addaudithook(_hook)
        threading.Thread.start = _start_held
        _installed = True
    saved_tempdir = tempfile.tempdir
    _state.workdir = os.path.realpath(workdir)
    tempfile.tempdir = _state.workdir
    try:
        yield
    finally:
        _state.workdir = None
        tempfile.tempdir = saved_tempdir
