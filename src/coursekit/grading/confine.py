"""Confine the process that will run a student's code: namespaces, read-only mounts, limits.

Each step is applied as far as the operating system allows and recorded in a report, so the
instructor guide can say what is enforced where: as root everything below; as an ordinary user
with unprivileged user namespaces the same except a separate uid; otherwise only the limits.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import stat
import sys
from dataclasses import asdict, dataclass, field

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}

_libc_handle = None


def _libc():
    """The C library, loaded on first use so that importing this module works on any OS."""
    global _libc_handle
    if _libc_handle is None:
        _libc_handle = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    return _libc_handle


@dataclass
class Limits:
    """Resource limits of one submission; every one can be changed from the command line."""

    question_seconds: float = 30.0      # wall clock per question (its cells and its tests)
    submission_seconds: float = 300.0   # wall clock for the whole submission
    memory_mb: int = 1024               # address space the student's code may add
    cpu_seconds: int = 120              # CPU time of the student process
    processes: int = 32                 # processes and threads the student may have at once
    output_bytes: int = 1 << 20         # printed output kept; the rest is counted and dropped
    file_mb: int = 64                   # largest file the student's code may write
    workdir_mb: int = 256               # size of the private scratch folder (a tmpfs)

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Containment:
    """What was actually enforced for one child, for the report and the guide."""

    network_namespace: bool = False
    mount_namespace: bool = False
    pid_namespace: bool = False
    read_only_filesystem: bool = False
    private_workdir: bool = False
    separate_user: bool = False
    notes: list = field(default_factory=list)


def _call(name: str, *args) -> None:
    if getattr(_libc(), name)(*args) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"{name}: {os.strerror(errno)}")


def _mount(source, target, fstype, flags, data=None) -> None:
    enc = lambda v: v.encode() if isinstance(v, str) else v
    _call("mount", enc(source), enc(target), enc(fstype), ctypes.c_ulong(flags), enc(data))


def _write(path: str, text: str) -> None:
    with open(path, "w") as handle:
        handle.write(text)


def enter_namespaces(report: Containment) -> bool:
    """Unshare network, mount and PID namespaces (through a user namespace when not root).

    Returns True when a PID namespace was made, in which case the next fork is its init.
    """
    flags = CLONE_NEWNET | CLONE_NEWNS | CLONE_NEWPID
    if os.geteuid() != 0:
        uid, gid = os.geteuid(), os.getegid()
        try:
            _call("unshare", CLONE_NEWUSER | flags)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
            _write("/proc/self/gid_map", f"0 {gid} 1")
        except OSError as exc:
            report.notes.append(f"no user namespace ({exc.strerror}): network and filesystem not contained")
            return False
    else:
        try:
            _call("unshare", flags)
        except OSError as exc:
            report.notes.append(f"no namespaces ({exc.strerror}): network and filesystem not contained")
            return False
    report.network_namespace = report.mount_namespace = report.pid_namespace = True
    return True


def _mount_points() -> list[tuple[str, int]]:
    points = []
    with open("/proc/self/mountinfo") as handle:
        for line in handle:
            fields = line.split()
            target = fields[4].encode().decode("unicode_escape")
            options = fields[5].split(",")
            flags = sum(_MOUNT_FLAGS.get(o, 0) for o in options)
            points.append((target, flags))
    return points


_DEVICES = ("null", "zero", "full", "random", "urandom")


def _cover_keeping(folder: str, keep: list[str], mode: int = 0o755) -> None:
    """Mount an empty tmpfs over ``folder`` and bind back only the entries named in ``keep``.

    The kept entries are opened first (O_PATH) and bound from /proc/self/fd, so this works
    for devices and for folders alike, as root or inside a user namespace.
    """
    handles = {}
    for name in keep:
        try:
            handles[name] = os.open(os.path.join(folder, name), os.O_PATH)
        except OSError:
            pass
    _mount("tmpfs", folder, "tmpfs", MS_NOSUID, f"size=64k,mode={mode:o}")
    for name, fd in handles.items():
        target = os.path.join(folder, name)
        if stat.S_ISDIR(os.fstat(fd).st_mode):
            os.mkdir(target)
        else:
            open(target, "w").close()
        _mount(f"/proc/self/fd/{fd}", target, None, MS_BIND | MS_REC)
        os.close(fd)


def _minimal_dev() -> None:
    """Replace /dev by a tmpfs holding only the harmless character devices (no disks)."""
    _cover_keeping("/dev", list(_DEVICES))
    os.mkdir("/dev/shm", 0o1777)
    os.symlink("/proc/self/fd", "/dev/fd")


def _interpreter_paths() -> set[str]:
    return {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
            *(p for p in sys.path if p and os.path.isabs(p))}


def expose_interpreter(report: Containment) -> None:
    """Let an unprivileged uid reach the interpreter when it lives under a closed folder.

    Python may be installed under a folder only root can enter (``/root/.pyenv``). Such a
    folder is covered, in our mount namespace only, by an open tmpfs holding nothing but the
    entries on the way to the interpreter; everything else in it stays out of reach.
    """
    closed: dict[str, set[str]] = {}
    for path in _interpreter_paths():
        parts = os.path.realpath(path).split("/")
        for i in range(2, len(parts)):
            folder, child = "/".join(parts[:i]), parts[i]
            try:
                if not os.stat(folder).st_mode & stat.S_IXOTH:
                    closed.setdefault(folder, set()).add(child)
            except OSError:
                break
    for folder in sorted(closed, key=len):
        try:
            _cover_keeping(folder, sorted(closed[folder]))
        except OSError as exc:
            report.notes.append(f"{folder} not opened for the interpreter ({exc.strerror})")


def seal_filesystem(workdir: str, limits: Limits, report: Containment, new_proc: bool,
                    hidden: list[str] = ()) -> None:
    """Make every mount read-only, then give the student a private tmpfs as its only writable folder.

    Folders in ``hidden`` (submissions, gradebook, sources) are covered by an empty tmpfs, so the
    student cannot even read them.
    """
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        report.notes.append(f"mounts stay shared ({exc.strerror})")
        return
    covered = ()
    try:
        _minimal_dev()
        covered = ("/dev/",)  # the host's /dev/shm, /dev/pts... are out of reach under the new /dev
    except OSError as exc:
        report.notes.append(f"/dev not replaced ({exc.strerror})")
    expose_interpreter(report)
    for folder in hidden:
        if os.path.isdir(folder) and not workdir.startswith(folder.rstrip("/") + "/"):
            try:
                _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555")
            except OSError as exc:
                report.notes.append(f"{folder} not hidden ({exc.strerror})")
    failed = []
    for target, flags in _mount_points():
        if target.startswith(covered) and not target.startswith(tuple(f"/dev/{d}" for d in _DEVICES)):
            continue
        try:
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            failed.append(target)
    report.read_only_filesystem = not any(t == "/" for t in failed)
    if failed:
        report.notes.append(f"not read-only: {', '.join(failed[:4])}" + (" ..." if len(failed) > 4 else ""))
    try:
        _mount("tmpfs", workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.workdir_mb}m,mode=0777")
        report.private_workdir = True
        _mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=1777")
    except OSError as exc:
        report.notes.append(f"no private tmpfs for the work folder ({exc.strerror})")
    if new_proc:
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
        except OSError as exc:
            report.notes.append(f"/proc not remounted ({exc.strerror})")


def drop_privileges(uid: int, really_root: bool, report: Containment) -> None:
    """As real root, become an unprivileged uid of our own, unique to this sandbox slot."""
    if not really_root:
        return
    try:
        os.setgroups([])
        os.setgid(uid)
        os.setuid(uid)
        report.separate_user = True
    except OSError as exc:
        report.notes.append(f"still root ({exc.strerror})")


def _vm_size_bytes() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def apply_limits(limits: Limits, processes_already: int) -> None:
    """rlimits: memory above what is already mapped, CPU, processes, file size, no core dumps.

    ``processes_already`` is what the uid runs before the student starts (0 for a uid of our own),
    since the kernel counts RLIMIT_NPROC per user.
    """
    import resource
    memory = _vm_size_bytes() + limits.memory_mb * 1024 * 1024
    processes = processes_already + limits.processes
    for name, value in ((resource.RLIMIT_AS, memory),
                        (resource.RLIMIT_CPU, limits.cpu_seconds),
                        (resource.RLIMIT_FSIZE, limits.file_mb * 1024 * 1024),
                        (resource.RLIMIT_CORE, 0),
                        (resource.RLIMIT_NOFILE, 256),
                        (resource.RLIMIT_NPROC, processes)):
        resource.setrlimit(name, (value, value))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a too-large write fails with EFBIG instead


def processes_of_user(uid: int) -> int:
    """How many processes the uid runs now (for RLIMIT_NPROC when we cannot use a uid of our own)."""
    count = 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def die_with_parent() -> None:
    """Ask the kernel to kill us when our parent dies (after a uid change, which clears it)."""
    _libc().prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def no_new_privileges() -> None:
    """No setuid program can give the student back what we took."""
    _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
