"""A warm fork server for student processes.

Starting Python and importing NumPy and pandas for every submission is what makes notebook
graders slow. The zygote imports them once, stays single-threaded, and forks a keeper per
submission; the keeper confines itself and forks the student process, which is the init of its
own PID namespace where the system allows it. Run as ``python -P -m coursekit.grading.zygote FD MODULES``
from the root folder (see :meth:`coursekit.grading.sandbox.Zygote._start`): nothing in the folder
where the grader was started can be imported here.
"""
from __future__ import annotations

import gc
import importlib
import json
import os
import signal
import socket
import sys
import tempfile

from coursekit.grading import confine, protocol, student_process


def _exit_description(status: int) -> dict:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        return {"signal": signal.Signals(number).name if number in signal.Signals._value2member_map_ else number}
    return {"code": os.WEXITSTATUS(status)}


def _student(request: dict, channel_fd: int, output_fd: int, files: dict, report: confine.Containment,
             pid_namespace: bool, processes_already: int, go_fd: int) -> None:
    os.read(go_fd, 1)
    os.close(go_fd)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.dup2(output_fd, 1)
    os.dup2(output_fd, 2)
    os.close(output_fd)
    limits = confine.Limits(**request["limits"])
    workdir = request["workdir"]
    data_already = confine.data_bytes()
    if report.mount_namespace and not confine.build_root(workdir, limits, report, pid_namespace, request["uid"]):
        confine.seal_filesystem(workdir, limits, report, new_proc=pid_namespace, hidden=request.get("hidden", []))
    if not report.private_workdir:  # the folder is the machine's own: never the grader's test folder
        workdir = request["scratch"]
    for name, data in files.items():
        with open(os.path.join(workdir, name), "wb") as handle:
            handle.write(data)
    confine.drop_bounding_set()
    confine.drop_privileges(request["uid"], request["really_root"], report)
    confine.drop_capabilities(report)
    confine.die_with_parent()
    confine.no_new_privileges()
    os.chdir(workdir)
    sys.path.append("")  # the notebook's folder, as in a kernel (after the libraries: a planted numpy.py shadows nothing)
    os.environ.clear()
    os.environ.update({"HOME": workdir, "TMPDIR": workdir, "PATH": "/usr/local/bin:/usr/bin:/bin",
                       "LANG": "C.UTF-8", "MPLBACKEND": "Agg", "COURSEKIT_GRADING": "1", **confine.THREAD_ENV})
    tempfile.tempdir = workdir
    confine.apply_limits(limits, processes_already, data_already)
    confine.install_seccomp(report)
    channel = socket.socket(fileno=channel_fd)
    protocol.send(channel, {"op": "ready", "containment": report.__dict__})
    student_process.serve(channel)


def _keeper(request: dict, channel_fd: int, output_fd: int) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)  # the zygote ignores it; we wait for our child
    os.setsid()
    confine.die_with_parent()  # a killed grader takes its zygote, and so every keeper, with it
    report = confine.Containment()
    processes_already = 0 if request["really_root"] else confine.processes_of_user(os.getuid())
    files = {}
    for name, path in request["files"]:
        with open(path, "rb") as handle:
            files[name] = handle.read()
    pid_namespace = confine.enter_namespaces(report)
    go_read, go_write = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(go_write)
        try:
            _student(request, channel_fd, output_fd, files, report, pid_namespace, processes_already, go_read)
        finally:
            os._exit(0)
    os.close(go_read)
    os.close(output_fd)
    channel = socket.socket(fileno=channel_fd)
    protocol.send(channel, {"op": "hello", "pid": child})
    os.write(go_write, b"g")
    os.close(go_write)
    _, status = os.waitpid(child, 0)
    try:
        protocol.send(channel, {"op": "exited", **_exit_description(status)})
    except OSError:
        pass


def serve(control: socket.socket) -> None:
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # keepers are reaped by the kernel
    while True:
        try:
            message, fds, _flags, _addr = socket.recv_fds(control, 1 << 16, 2)
        except OSError:
            return
        if not message:
            return
        request = json.loads(message)
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                _keeper(request, fds[0], fds[1])
            finally:
                os._exit(0)
        for fd in fds:
            os.close(fd)
        control.send(json.dumps({"pid": pid}).encode())


def main() -> None:
    confine.die_with_parent()
    control = socket.socket(fileno=int(sys.argv[1]))
    for name in filter(None, (sys.argv[2] if len(sys.argv) > 2 else "").split(",")):
        try:
            importlib.import_module(name)
        except Exception:  # a module the exercise does not need in the end; the student will see it
            pass
    confine.pin_thread_pools()
    try:
        student_process.rehearse()
    except Exception:  # only ever a warm-up
        pass
    gc.freeze()  # the imported modules' objects: never scanned again, so forked copies do not copy their pages
    serve(control)


if __name__ == "__main__":
    main()
