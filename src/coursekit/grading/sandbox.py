"""The grader's handle on one confined student process, forked from a warm zygote.

The grader talks to the student process only through a socket of length-prefixed JSON, reads its
printed output through a pipe that keeps at most ``Limits.output_bytes``, and kills its whole
process tree (the PID namespace, or the process group where there is none) when it is done,
too slow, or dead.
"""
from __future__ import annotations

import itertools
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from coursekit.grading import protocol, wire
from coursekit.grading.confine import THREAD_ENV, Limits

DEFAULT_PRELOAD = ("numpy", "pandas")
IPYTHON_SYNTAX = "IPython.core.inputtransformer2"  # preloaded when the source has magics (5 MB a process)
BASE_UID = 64000
START_SECONDS = 20.0


class SandboxDied(RuntimeError):
    """The student process ended (exit, signal, closed channel) before answering."""


class SandboxTimeout(TimeoutError):
    """The student process did not answer before the deadline."""


class Zygote:
    """The warm fork server (see :mod:`coursekit.grading.zygote`), shared by all sandboxes."""

    def __init__(self, preload=DEFAULT_PRELOAD):
        self.preload = tuple(dict.fromkeys(preload))
        self._lock = threading.Lock()
        self._process = None
        self._control = None
        self._owner = None

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        # -P and the root folder as working folder: an IPython.py or numpy.py in the folder where the
        # instructor runs the grader (as root, perhaps) is never imported
        self._process = subprocess.Popen(
            [sys.executable, "-P", "-m", "coursekit.grading.zygote", str(theirs.fileno()), ",".join(self.preload)],
            pass_fds=[theirs.fileno()], env=zygote_environment(), stdin=subprocess.DEVNULL,
            start_new_session=True, cwd="/")
        theirs.close()
        self._control = ours
        self._owner = os.getpid()

    def _running(self) -> bool:
        """Only the process that started the fork server can ask the system whether it still runs (in a
        grading process forked later, waiting on it fails as if it had ended); the others learn of its
        end when the control socket fails."""
        if self._process is None:
            return False
        return os.getpid() != self._owner or self._process.poll() is None

    def share_between_processes(self, context) -> None:
        """Let processes forked from this one spawn through the same fork server, one request at a time."""
        self._lock = context.Lock()

    def warm(self) -> None:
        """Start the fork server now, so its imports overlap with the grader's own work."""
        with self._lock:
            if self._process is None:
                self._start()

    def spawn(self, request: dict, fds: list[int]) -> int:
        with self._lock:
            for attempt in range(2):
                if not self._running():
                    self._start()
                try:
                    socket.send_fds(self._control, [json.dumps(request).encode()], fds)
                    reply = self._control.recv(1 << 16)
                    if reply:
                        return json.loads(reply)["pid"]
                except OSError:
                    pass
                self.close()
            raise RuntimeError("the grading fork server could not be started")

    def close(self) -> None:
        if self._control is not None:
            self._control.close()
            self._control = None
        if self._process is not None:
            if os.getpid() == self._owner:  # a grading process never ends the fork server it shares
                self._process.kill()
                self._process.wait()
            self._process = None


class OutputDrain(threading.Thread):
    """Reads a child's printed output, keeping the first ``limit`` bytes and dropping the rest."""

    def __init__(self, fd: int, limit: int):
        super().__init__(daemon=True)
        self.fd, self.limit = fd, limit
        self.kept = bytearray()

    def run(self):
        try:
            while True:
                chunk = os.read(self.fd, 1 << 16)
                if not chunk:
                    break
                room = self.limit - len(self.kept)
                if room > 0:
                    self.kept += chunk[:room]
        finally:
            os.close(self.fd)


_slots = itertools.count()


def zygote_environment() -> dict:
    """The grader's environment for the fork server: single-threaded libraries, fixed hashing, and
    PYTHONPATH without entries that would mean the working folder (empty or relative ones)."""
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", PYTHONSAFEPATH="1",
               PYTHONHASHSEED="0",  # set and dict orders of strings the same in every run
               **THREAD_ENV)
    if "PYTHONPATH" in env:
        here = os.getcwd()
        kept = [p for p in env["PYTHONPATH"].split(os.pathsep) if os.path.isabs(p) and os.path.realpath(p) != here]
        env["PYTHONPATH"] = os.pathsep.join(kept)
    return env


class Conversation:
    """Requests and replies with a student's process; subclasses say how to send and receive."""

    def request(self, message: dict, deadline: float, on_callback=None) -> dict:
        """Send a request and wait for its reply.

        While waiting, the student's code may use an object the grader lent it (a callback):
        ``on_callback`` answers those, in the grader. Other stray messages are skipped.
        """
        message = dict(message, id=next(self._ids))
        self._send(message)
        while True:
            reply = self._next_message(deadline)
            if reply.get("id") == message["id"] and "op" not in reply:
                return reply
            if on_callback is not None and reply.get("op") == "callback":
                self._send(on_callback(reply))


class Sandbox(Conversation):
    """One student process: start, exec/get/call with deadlines, kill."""

    def __init__(self, zygote: Zygote, limits: Limits, files: list[Path] = (), slot: int | None = None,
                 protect: list[Path] = (), workdir: Path | None = None):
        """``workdir``: the caller's folder at whose path the student's private work folder appears
        (the test's folder: a path the student's code builds names the test's copy of the file too).
        The caller's folder itself is never the student's: where no private folder can be mounted
        over it, the student works in a scratch folder of the sandbox's own instead.
        """
        self.zygote, self.limits, self.files = zygote, limits, list(files)
        self.workdir = None if workdir is None else str(workdir)
        self.protect = [str(Path(p).resolve()) for p in protect]
        # distinct in every grading process too (local workers are forked from one parent)
        self.slot = (next(_slots) + os.getpid() * 7) % 1000 if slot is None else slot
        self.keeper_pid = self.student_pid = None
        self.containment: dict = {}
        self.exit: dict | None = None
        self._ids = itertools.count(1)
        self._channel = None
        self._drain = None
        self._workdir = None

    def start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        out_read, out_write = os.pipe()
        self._workdir = tempfile.mkdtemp(prefix="coursekit-sandbox-")
        os.chmod(self._workdir, 0o777)
        request = {"limits": self.limits.as_dict(), "workdir": self.workdir or self._workdir, "scratch": self._workdir,
                   "files": [[p.name, str(p.resolve())] for p in self.files],
                   "uid": BASE_UID + self.slot, "really_root": os.geteuid() == 0, "hidden": self.protect}
        try:
            self.keeper_pid = self.zygote.spawn(request, [theirs.fileno(), out_write])
        finally:
            theirs.close()
            os.close(out_write)
        self._channel = ours
        self._drain = OutputDrain(out_read, self.limits.output_bytes)
        self._drain.start()
        deadline = time.monotonic() + START_SECONDS
        hello = self._next_message(deadline)
        self.student_pid = hello.get("pid")
        ready = self._next_message(deadline)
        self.containment = ready.get("containment", {})

    def _next_message(self, deadline: float) -> dict:
        try:
            message = protocol.receive(self._channel, deadline)
        except protocol.ChannelTimeout:
            raise SandboxTimeout() from None
        except (protocol.ChannelClosed, OSError):
            raise SandboxDied(self._death_reason()) from None
        except wire.CodecError as exc:
            raise SandboxDied(f"the notebook's process sent garbage ({exc})") from None
        if not isinstance(message, dict):
            raise SandboxDied("the notebook's process sent garbage")
        if message.get("op") == "exited":
            self.exit = message
            raise SandboxDied(self._death_reason())
        return message

    def _death_reason(self) -> str:
        if self.exit and "signal" in self.exit:
            reason = {"SIGSEGV": "it crashed (segmentation fault)", "SIGKILL": "it was killed (memory or CPU limit?)",
                      "SIGXCPU": "it used up its CPU time"}.get(self.exit["signal"], f"signal {self.exit['signal']}")
            return f"the notebook's process ended: {reason}"
        if self.exit and "code" in self.exit:
            return f"the notebook's process ended with exit code {self.exit['code']}"
        return "the notebook's process ended or closed its channel"

    def _send(self, message: dict) -> None:
        try:
            protocol.send(self._channel, message)
        except OSError:
            raise SandboxDied(self._death_reason()) from None

    def fork(self, deadline: float) -> "ForkedStudent":
        """A copy of the student's process, made by ``os.fork`` inside it, on a channel of its own.

        Hidden tests run against such a copy, which is thrown away after: nothing they pass to the
        student's code (their inputs) ever reaches the process whose later output is shown.
        """
        self._send({"op": "fork", "id": 0})
        try:
            ready = select.select([self._channel], [], [], max(deadline - time.monotonic(), 0))[0]
            if not ready:
                raise SandboxTimeout()
            _, fds, _, _ = socket.recv_fds(self._channel, 1, 1)
        except OSError:
            raise SandboxDied(self._death_reason()) from None
        if len(fds) != 1:
            for fd in fds:
                os.close(fd)
            raise SandboxDied("the notebook's process did not fork")
        reply = self._next_message(deadline)
        return ForkedStudent(self, socket.socket(fileno=fds[0]), reply.get("value"))

    @property
    def output(self) -> str:
        if self._drain is None:
            return ""
        return self._drain.kept.decode("utf-8", "replace")

    def kill(self) -> None:
        for pid in (self.student_pid, self.keeper_pid):
            if pid:
                try:
                    os.kill(pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        if self.keeper_pid:
            try:
                os.killpg(self.keeper_pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        if self._channel is not None:
            self._channel.close()
            self._channel = None
        if self._drain is not None:
            self._drain.join(timeout=2)
        if self._workdir:
            shutil.rmtree(self._workdir, ignore_errors=True)
            self._workdir = None


class ForkedStudent(Conversation):
    """A throw-away copy of a student's process, talked to like its :class:`Sandbox`."""

    DIED = "your code ended the process (a copy of it, for hidden tests)"

    def __init__(self, parent: Sandbox, channel: socket.socket, pid):
        self.parent, self.channel, self.pid = parent, channel, pid
        self._ids = itertools.count(1)

    def _next_message(self, deadline: float) -> dict:
        try:
            message = protocol.receive(self.channel, deadline)
        except protocol.ChannelTimeout:
            raise SandboxTimeout() from None
        except (protocol.ChannelClosed, OSError, wire.CodecError):
            raise SandboxDied(self.DIED) from None
        return message if isinstance(message, dict) else {}

    def _send(self, message: dict) -> None:
        try:
            protocol.send(self.channel, message)
        except OSError:
            raise SandboxDied(self.DIED) from None

    def close(self, deadline: float, stuck: bool = False) -> None:
        """End the copy: closing its channel ends it; one still running the student's code is killed."""
        self.channel.close()
        if stuck and type(self.pid) is int:
            self.parent.request({"op": "reap", "pid": self.pid}, deadline)


class CopyOnFirstUse:
    """Where a group of hidden tests sends its requests: a copy of the student's process, made only when needed.

    A read of the student's names carries nothing of the test's data to its process (only the
    names), so reads go to the process itself, which keeps no note of them. The first request that
    would run the student's functions or methods or carry the test's data (arguments, a name it
    rebinds, files, random states) forks the copy, at the same point of the student's run as an
    eager copy: hidden tests that only read values need none, the others see exactly the same.
    """

    def __init__(self, sandbox: Sandbox, before_fork):
        self.sandbox, self.before_fork = sandbox, before_fork
        self.copy: ForkedStudent | None = None
        self.saved = None  # what ``before_fork`` returned, when the copy was made
        self.read: list[str] = []

    def request(self, message: dict, deadline: float, on_callback=None) -> dict:
        if self.copy is None:
            if message.get("op") == "get" and set(message) <= {"op", "names"}:
                self.read += [n for n in message["names"] if isinstance(n, str)]
                return self.sandbox.request(dict(message, peek=True), deadline, on_callback)
            if message == {"op": "names"}:  # dir(): the names alone
                return self.sandbox.request(message, deadline, on_callback)
            self.saved = self.before_fork()
            self.copy = self.sandbox.fork(deadline)
            if self.read:  # the copy watches them, as the process would have: student code may rebind them
                message = dict(message, watch=self.read)
        return self.copy.request(message, deadline, on_callback)

    def close(self, deadline: float, stuck: bool = False) -> None:
        if self.copy is not None:
            self.copy.close(deadline, stuck)


def preload_modules(assignment) -> list[str]:
    """Modules the source imports at top level: imported once in the zygote, not per submission."""
    return _imported_at_top([cell.source for cell in assignment.cells if cell.cell_type == "code"])


def preload_modules_of(notebook: Path) -> list[str]:
    """The same, read straight from the source notebook's JSON: the fork server can start before the
    source is validated and parsed (a notebook that cannot be read preloads only the defaults)."""
    try:
        cells = json.loads(Path(notebook).read_text(encoding="utf-8")).get("cells", [])
        sources = ["".join(c["source"]) if isinstance(c["source"], list) else str(c["source"])
                   for c in cells if isinstance(c, dict) and c.get("cell_type") == "code" and "source" in c]
    except (OSError, ValueError, AttributeError, TypeError):
        sources = []
    return _imported_at_top(sources)


def _imported_at_top(sources: list[str]) -> list[str]:
    import ast
    from coursekit.exercise.parse import uses_ipython_syntax
    names = list(DEFAULT_PRELOAD)
    if any(uses_ipython_syntax(source) for source in sources):
        names.append(IPYTHON_SYNTAX)
    for source in sources:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    if "coursekit" in names:  # a notebook's check cells call coursekit.check, which loads on first use
        names.append("coursekit.student.check")
    return list(dict.fromkeys(names))
