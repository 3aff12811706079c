"""Confine the process that will run a student's code: namespaces, a minimal root, seccomp, limits.

Deny by default: the student's process gets a fresh, empty root filesystem holding only the
interpreter and its libraries (read-only), a few files of /etc, a minimal /dev, its own /proc and
its private work folder; nothing else of the machine exists there. Each step is applied as far as
the operating system allows and recorded in a report (the keys of :class:`Containment`), so the
instructor guide can say what is enforced where: as root everything; as an ordinary user with
unprivileged user namespaces the same except a separate uid; otherwise only the limits.
"""
from __future__ import annotations

import ctypes
import os
import signal
import stat
import sys
from dataclasses import asdict, dataclass, field

try:  # imported now: after the uid change the interpreter's folder may be out of reach
    import resource
except ImportError:  # not a Unix system
    resource = None

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME = 1024, 2048, 1 << 21
PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS = 1, 38
MNT_DETACH = 2
_MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
                "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME}

_libc_handle = None


def _libc():
    """The C library, loaded on first use so that importing this module works on any OS.

    The interpreter's own symbols include the C library's: no ``ctypes.util.find_library``, which
    runs ``ldconfig -p`` in a child process (from the fork server, with all of pandas mapped).
    """
    global _libc_handle
    if _libc_handle is None:
        _libc_handle = ctypes.CDLL(None, use_errno=True)
    return _libc_handle


@dataclass
class Limits:
    """Resource limits of one submission; every one can be changed from the command line."""

    question_seconds: float = 30.0      # wall clock per question (its cells and its tests)
    submission_seconds: float = 300.0   # wall clock for the whole submission
    memory_mb: int = 1024               # private writable memory (RLIMIT_DATA) the student's code may add
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
    ipc_namespace: bool = False         # SysV shared memory and semaphores of its own, gone with it
    minimal_root: bool = False          # a fresh root holding only the interpreter: the rest is absent
    read_only_filesystem: bool = False
    private_workdir: bool = False
    separate_user: bool = False
    no_capabilities: bool = False       # bounding set emptied, no capability kept (root in a user namespace too)
    seccomp: bool = False               # mount, ptrace, unshare, setns, bpf, kexec, keyctl... refused
    no_nested_namespaces: bool = False  # no new user (or other) namespace from inside
    notes: list = field(default_factory=list)


# How each key of Containment reads on the grader's ``sandbox:`` line (and in the guide's table).
CONTAINMENT_LABELS = {
    "network_namespace": "no network", "minimal_root": "only the interpreter visible",
    "read_only_filesystem": "read-only filesystem", "private_workdir": "private work folder",
    "pid_namespace": "own process tree", "ipc_namespace": "own shared memory", "separate_user": "separate user",
    "no_capabilities": "no capabilities", "seccomp": "seccomp filter", "no_nested_namespaces": "no nested namespaces",
}


# Environment of the zygote and of every student process: library thread pools of one thread, so
# the same answer takes the same path (and the same memory) on 2 cores and on 64, whatever the
# load; and allocators that do not reserve address space per thread or per core.
THREAD_ENV = {
    "OMP_NUM_THREADS": "1", "OMP_THREAD_LIMIT": "1", "OPENBLAS_NUM_THREADS": "1", "GOTO_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1", "MKL_DYNAMIC": "FALSE", "BLIS_NUM_THREADS": "1", "VECLIB_MAXIMUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1", "NUMEXPR_MAX_THREADS": "1", "NUMBA_NUM_THREADS": "1",
    "ARROW_NUM_THREADS": "1", "ARROW_IO_THREADS": "1", "ARROW_DEFAULT_MEMORY_POOL": "system",
    "POLARS_MAX_THREADS": "1", "RAYON_NUM_THREADS": "1", "LOKY_MAX_CPU_COUNT": "1",
    "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1", "MALLOC_ARENA_MAX": "2",
}


def pin_thread_pools() -> None:
    """Thread pools of libraries already imported, to one thread (the environment covers later imports)."""
    modules = sys.modules
    for name, call in (("pyarrow", lambda m: (m.set_cpu_count(1), m.set_io_thread_count(1))),
                       ("torch", lambda m: m.set_num_threads(1)),
                       ("numexpr", lambda m: m.set_num_threads(1))):
        if name in modules:
            try:
                call(modules[name])
            except Exception:
                pass
    try:
        from threadpoolctl import threadpool_limits
        threadpool_limits(1)
    except Exception:  # not installed, or no native pool loaded
        pass


def _call(name: str, *args) -> None:
    function = getattr(_libc(), name, None)
    if function is None:  # not Linux: the step is reported as not enforced
        raise OSError(38, f"{name}: not available on this system")
    if function(*args) != 0:
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
            _unshare_with_ipc(CLONE_NEWUSER | flags, report)
            _write("/proc/self/setgroups", "deny")
            _write("/proc/self/uid_map", f"0 {uid} 1")
            _write("/proc/self/gid_map", f"0 {gid} 1")
        except OSError as exc:
            report.notes.append(f"no user namespace ({exc.strerror}): network and filesystem not contained")
            return False
        _no_nested_namespaces(report)
    else:
        try:
            _unshare_with_ipc(flags, report)
        except OSError as exc:
            report.notes.append(f"no namespaces ({exc.strerror}): network and filesystem not contained")
            return False
    report.network_namespace = report.mount_namespace = report.pid_namespace = True
    return True


def _unshare_with_ipc(flags: int, report: Containment) -> None:
    """Unshare ``flags`` plus an IPC namespace: SysV shared memory dies with the submission."""
    try:
        _call("unshare", flags | CLONE_NEWIPC)
        report.ipc_namespace = True
    except OSError:
        _call("unshare", flags)
        report.notes.append("no IPC namespace: SysV shared memory is shared with the machine")


def _no_nested_namespaces(report: Containment) -> None:
    """In our own user namespace, allow no namespace below it (the limits apply to this namespace only)."""
    try:
        names = [n for n in os.listdir("/proc/sys/user") if n.startswith("max_") and n.endswith("_namespaces")]
        for name in names:
            _write(f"/proc/sys/user/{name}", "0")
        report.no_nested_namespaces = "max_user_namespaces" in names
    except OSError as exc:
        report.notes.append(f"nested namespaces not limited ({exc.strerror})")


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


# What of the machine a student's process may see, read-only, besides the interpreter's own folders.
SYSTEM_PATHS = ("/lib", "/lib64", "/lib32", "/libx32", "/usr/lib", "/usr/lib64", "/usr/lib32", "/usr/libx32",
                "/usr/share/zoneinfo")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "localtime", "timezone", "nsswitch.conf", "hosts")
_SKIP_IN_BOUND = (".git", ".hg", ".svn")  # a repository next to an interpreter folder stays out of sight


def visible_paths() -> list[str]:
    """Folders bound read-only into a student's root: the interpreter, its sys.path, the system libraries.

    Only absolute paths that exist; a path inside another one on the list is not bound twice.
    """
    wanted = set(_interpreter_paths()) | set(SYSTEM_PATHS)
    found = []
    for path in wanted:
        if os.path.isabs(path) and os.path.normpath(path) != "/" and (os.path.islink(path) or os.path.exists(path)):
            found.append(os.path.normpath(path))  # never the whole machine, even if "/" is on sys.path
    found.sort(key=len)
    kept: list[str] = []
    for path in found:
        real = os.path.realpath(path)
        if os.path.islink(path) or not any(real == k or real.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept


def _bind_into(root: str, path: str) -> None:
    """Show ``path`` of the machine at the same place under ``root`` (a link stays a link)."""
    target = root + path
    os.makedirs(os.path.dirname(target), exist_ok=True)
    if os.path.islink(path):
        if not os.path.lexists(target):
            os.symlink(os.readlink(path), target)
        real = os.path.realpath(path)
        if real != path and os.path.exists(real) and not os.path.exists(root + real):
            _bind_into(root, real)
        return
    if os.path.isdir(path):
        os.makedirs(target, exist_ok=True)
    elif not os.path.exists(target):
        open(target, "w").close()
    if os.path.ismount(target):  # already bound on the way to a link's target
        return
    _mount(path, target, None, MS_BIND | MS_REC)
    for name in _SKIP_IN_BOUND:
        inner = os.path.join(target, name)
        if os.path.isdir(inner) and not os.path.islink(inner):
            _mount("tmpfs", inner, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY, "size=4k,mode=0555")


def _populate_etc(root: str, uid: int, workdir: str) -> None:
    """A minimal /etc: what the dynamic loader and the time zone need, and a passwd naming the student."""
    os.makedirs(root + "/etc", exist_ok=True)
    for name in ETC_FILES:
        source = os.path.join("/etc", name)
        try:
            if os.path.islink(source) and name == "localtime":
                os.symlink(os.readlink(source), root + source)
            elif os.path.isfile(source):
                with open(source, "rb") as handle, open(root + source, "wb") as out:
                    out.write(handle.read(1 << 20))
        except OSError:
            pass
    if os.path.isdir("/etc/ld.so.conf.d"):
        os.makedirs(root + "/etc/ld.so.conf.d", exist_ok=True)
        for name in os.listdir("/etc/ld.so.conf.d"):
            try:
                with open(f"/etc/ld.so.conf.d/{name}", "rb") as handle, open(root + f"/etc/ld.so.conf.d/{name}", "wb") as out:
                    out.write(handle.read(1 << 16))
            except OSError:
                pass
    _write(root + "/etc/passwd", f"root:x:0:0:root:/:/bin/false\nstudent:x:{uid}:{uid}:student:{workdir}:/bin/false\n")
    _write(root + "/etc/group", f"root:x:0:\nstudent:x:{uid}:\n")


def _populate_dev(root: str) -> None:
    """/dev holding only the harmless character devices, bound from the machine's, and a private /dev/shm."""
    os.makedirs(root + "/dev", exist_ok=True)
    _mount("tmpfs", root + "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "size=64k,mode=755")
    for name in _DEVICES:
        open(f"{root}/dev/{name}", "w").close()
        _mount(f"/dev/{name}", f"{root}/dev/{name}", None, MS_BIND)
    for link, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"), ("stdout", "/proc/self/fd/1"),
                         ("stderr", "/proc/self/fd/2")):
        os.symlink(target, f"{root}/dev/{link}")
    os.mkdir(root + "/dev/shm")
    _mount("tmpfs", root + "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=64m,mode=1777")


def _pivot_root(root: str, report: Containment) -> None:
    """Make ``root`` the root of this mount namespace and drop the machine's tree entirely."""
    old = root + "/.old-root"
    os.mkdir(old)
    number = _SYSCALL_NUMBERS.get("pivot_root", {}).get(_machine())
    if number is not None and _libc().syscall(number, root.encode(), old.encode()) == 0:
        os.chdir("/")
        _call("umount2", b"/.old-root", MNT_DETACH)
        os.rmdir("/.old-root")
        return
    # pivot_root is refused when the machine's root is itself the initial ramfs: a chroot then, from
    # which the student cannot climb out without the capabilities and system calls it no longer has
    report.notes.append("chroot instead of pivot_root")
    os.rmdir(old)
    os.chdir(root)
    _call("chroot", b".")
    os.chdir("/")


def build_root(workdir: str, limits: Limits, report: Containment, new_proc: bool, uid: int) -> bool:
    """Replace the machine's filesystem by a fresh root that holds only what the interpreter needs.

    The grader's empty scratch folder ``workdir`` is the mount point of the new root (a tmpfs).
    In it: the interpreter and its libraries and sys.path folders (read-only binds), a minimal
    /etc and /dev, a fresh /proc, an empty /tmp, and at the same path ``workdir`` again, the private
    work folder (the only writable place besides a small private /dev/shm). Everything else of the machine (home folders, the course and its .git, the
    gradebook, the other submissions, /tmp) is absent, not hidden. False, with a note, when the
    root cannot be built; the caller then falls back to :func:`seal_filesystem`.
    """
    try:
        _mount(None, "/", None, MS_REC | MS_PRIVATE)
    except OSError as exc:
        report.notes.append(f"mounts stay shared ({exc.strerror})")
        return False
    root = workdir
    try:
        _mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=8m,mode=755")
    except OSError as exc:
        report.notes.append(f"no fresh root ({exc.strerror})")
        return False
    try:
        for path in visible_paths():
            try:
                _bind_into(root, path)
            except OSError as exc:
                report.notes.append(f"{path} not available to the student ({exc.strerror})")
        _populate_etc(root, uid, workdir)
        _populate_dev(root)
        os.makedirs(root + "/tmp", exist_ok=True)  # read-only: the work folder is the one writable place
        os.makedirs(root + workdir, exist_ok=True)
        _mount("tmpfs", root + workdir, "tmpfs", MS_NOSUID | MS_NODEV, f"size={limits.workdir_mb}m,mode=0777")
        os.mkdir(root + "/proc")
        if new_proc:
            try:
                _mount("proc", root + "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_RDONLY)
            except OSError as exc:
                report.notes.append(f"no /proc ({exc.strerror})")
        _pivot_root(root, report)
    except OSError as exc:
        report.notes.append(f"no fresh root ({exc.strerror})")
        return False
    writable = {workdir, "/dev/shm", "/proc"}
    failed = []
    for target, flags in _mount_points():
        if target in writable:
            continue
        try:
            _mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | flags)
        except OSError:
            failed.append(target)
    if failed:
        report.notes.append(f"not read-only: {', '.join(failed[:4])}" + (" ..." if len(failed) > 4 else ""))
    report.minimal_root = True
    report.read_only_filesystem = not failed
    report.private_workdir = True
    return True


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


def data_bytes() -> int:
    """Private writable memory the process holds now (what RLIMIT_DATA counts); 0 without /proc."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmData:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def apply_limits(limits: Limits, processes_already: int, data_already: int) -> None:
    """rlimits: memory above what is already used, CPU, processes, file size, no core dumps.

    Memory is limited with RLIMIT_DATA (private writable memory: the heap, anonymous mappings,
    thread stacks), not RLIMIT_AS: address space also counts what allocators merely reserve per
    thread or per core (glibc arenas of 64 MB, jemalloc), so a limit on it fails at random with the
    number of cores and threads, where a limit on data means what it says.
    ``data_already`` is what the process held before the student's code (measured before /proc
    went away); ``processes_already`` is what the uid runs before the student starts (0 for a uid
    of our own), since the kernel counts RLIMIT_NPROC per user.
    """
    memory = data_already + limits.memory_mb * 1024 * 1024
    processes = processes_already + limits.processes
    for name, value in ((resource.RLIMIT_DATA, memory),
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


# System calls a student's code never needs, refused with EPERM by the seccomp filter: they reach
# the kernel's attack surface (bpf, perf, io_uring, keyrings, modules) or could undo the
# confinement (mount, namespaces, ptrace, chroot). Numbers per architecture: x86_64, aarch64.
_SYSCALL_NUMBERS = {
    "ptrace": {"x86_64": 101, "aarch64": 117}, "syslog": {"x86_64": 103, "aarch64": 116},
    "vhangup": {"x86_64": 153, "aarch64": 58}, "pivot_root": {"x86_64": 155, "aarch64": 41},
    "adjtimex": {"x86_64": 159, "aarch64": 171}, "chroot": {"x86_64": 161, "aarch64": 51},
    "acct": {"x86_64": 163, "aarch64": 89}, "settimeofday": {"x86_64": 164, "aarch64": 170},
    "mount": {"x86_64": 165, "aarch64": 40}, "umount2": {"x86_64": 166, "aarch64": 39},
    "swapon": {"x86_64": 167, "aarch64": 224}, "swapoff": {"x86_64": 168, "aarch64": 225},
    "reboot": {"x86_64": 169, "aarch64": 142}, "iopl": {"x86_64": 172}, "ioperm": {"x86_64": 173},
    "init_module": {"x86_64": 175, "aarch64": 105}, "delete_module": {"x86_64": 176, "aarch64": 106},
    "quotactl": {"x86_64": 179, "aarch64": 60}, "lookup_dcookie": {"x86_64": 212, "aarch64": 18},
    "clock_settime": {"x86_64": 227, "aarch64": 112}, "kexec_load": {"x86_64": 246, "aarch64": 104},
    "add_key": {"x86_64": 248, "aarch64": 217}, "request_key": {"x86_64": 249, "aarch64": 218},
    "keyctl": {"x86_64": 250, "aarch64": 219}, "unshare": {"x86_64": 272, "aarch64": 97},
    "perf_event_open": {"x86_64": 298, "aarch64": 241}, "fanotify_init": {"x86_64": 300, "aarch64": 262},
    "name_to_handle_at": {"x86_64": 303, "aarch64": 264}, "open_by_handle_at": {"x86_64": 304, "aarch64": 265},
    "clock_adjtime": {"x86_64": 305, "aarch64": 266}, "setns": {"x86_64": 308, "aarch64": 268},
    "process_vm_readv": {"x86_64": 310, "aarch64": 270}, "process_vm_writev": {"x86_64": 311, "aarch64": 271},
    "kcmp": {"x86_64": 312, "aarch64": 272}, "finit_module": {"x86_64": 313, "aarch64": 273},
    "kexec_file_load": {"x86_64": 320, "aarch64": 294}, "bpf": {"x86_64": 321, "aarch64": 280},
    "userfaultfd": {"x86_64": 323, "aarch64": 282}, "io_uring_setup": {"x86_64": 425, "aarch64": 425},
    "io_uring_enter": {"x86_64": 426, "aarch64": 426}, "io_uring_register": {"x86_64": 427, "aarch64": 427},
    "open_tree": {"x86_64": 428, "aarch64": 428}, "move_mount": {"x86_64": 429, "aarch64": 429},
    "fsopen": {"x86_64": 430, "aarch64": 430}, "fsconfig": {"x86_64": 431, "aarch64": 431},
    "fsmount": {"x86_64": 432, "aarch64": 432}, "fspick": {"x86_64": 433, "aarch64": 433},
    "pidfd_getfd": {"x86_64": 438, "aarch64": 438}, "mount_setattr": {"x86_64": 442, "aarch64": 442},
}
DENIED_SYSCALLS = tuple(_SYSCALL_NUMBERS)
_CLONE = {"x86_64": 56, "aarch64": 220}
_CLONE3 = 435
_SECCOMP = {"x86_64": 317, "aarch64": 277}
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
CLONE_NAMESPACE_FLAGS = 0x7E020000  # NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET
_EPERM, _ENOSYS = 1, 38


def _machine() -> str:
    return os.uname().machine


def seccomp_program(machine: str) -> list[tuple[int, int, int, int]] | None:
    """The classic-BPF filter as (code, jt, jf, k) instructions; None on an architecture we do not know.

    Allowed unless refused: a foreign system-call convention (i386 or x32 calls on x86_64) gets
    ENOSYS; the calls above EPERM; ``clone`` with a namespace flag EPERM; ``clone3``, whose flags a
    filter cannot read, ENOSYS, so that the C library falls back to ``clone``.
    """
    if machine not in _AUDIT_ARCH:
        return None
    ld_w_abs, jeq, jge, jset, ret = 0x20, 0x15, 0x35, 0x45, 0x06
    allow, errno = 0x7FFF0000, 0x00050000
    denied = sorted({n[machine] for n in _SYSCALL_NUMBERS.values() if machine in n})
    # instructions with symbolic jump targets, resolved below
    code: list = [(ld_w_abs, 0, 0, 4), (jeq, 0, "enosys", _AUDIT_ARCH[machine]), (ld_w_abs, 0, 0, 0)]
    if machine == "x86_64":
        code.append((jge, "enosys", 0, 0x40000000))
    code += [(jeq, "eperm", 0, number) for number in denied]
    code += [(jeq, "enosys", 0, _CLONE3), (jeq, "clone", 0, _CLONE[machine]), (ret, 0, 0, allow)]
    labels = {"clone": len(code), "eperm": len(code) + 3, "enosys": len(code) + 4}
    code += [(ld_w_abs, 0, 0, 16), (jset, "eperm", 0, CLONE_NAMESPACE_FLAGS), (ret, 0, 0, allow),
             (ret, 0, 0, errno | _EPERM), (ret, 0, 0, errno | _ENOSYS)]
    program = []
    for index, (op, jt, jf, k) in enumerate(code):
        jt = labels[jt] - index - 1 if isinstance(jt, str) else jt
        jf = labels[jf] - index - 1 if isinstance(jf, str) else jf
        program.append((op, jt, jf, k))
    return program


class _SockFilter(ctypes.Structure):
    _fields_ = [("code", ctypes.c_ushort), ("jt", ctypes.c_ubyte), ("jf", ctypes.c_ubyte), ("k", ctypes.c_uint32)]


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_SockFilter))]


def install_seccomp(report: Containment) -> None:
    """Load the filter for this process and all its threads (no new privileges must be set first)."""
    machine = _machine()
    program = seccomp_program(machine)
    if program is None:
        report.notes.append(f"no seccomp filter for {machine}")
        return
    filters = (_SockFilter * len(program))(*(_SockFilter(*ins) for ins in program))
    prog = _SockFprog(len(program), filters)
    libc = _libc()
    seccomp_set_mode_filter, filter_flag_tsync = 1, 1
    if libc.syscall(_SECCOMP[machine], seccomp_set_mode_filter, filter_flag_tsync, ctypes.byref(prog)) != 0:
        pr_set_seccomp, seccomp_mode_filter = 22, 2
        if libc.prctl(pr_set_seccomp, seccomp_mode_filter, ctypes.byref(prog), 0, 0) != 0:
            report.notes.append(f"no seccomp filter ({os.strerror(ctypes.get_errno())})")
            return
    report.seccomp = True
    report.no_nested_namespaces = True  # unshare, setns and clone with namespace flags are refused


def drop_bounding_set() -> None:
    """Empty the capability bounding set and stop uid 0 from gaining capabilities on exec.

    Done while we still hold CAP_SETPCAP: as root before the uid change, in a user namespace
    before the capabilities themselves go (:func:`drop_capabilities`).
    """
    pr_capbset_drop, pr_set_securebits, pr_cap_ambient, ambient_clear_all = 24, 28, 47, 4
    libc = _libc()
    for cap in range(64):
        if libc.prctl(pr_capbset_drop, cap, 0, 0, 0) != 0 and ctypes.get_errno() == 22:  # EINVAL: past the last
            break
    libc.prctl(pr_cap_ambient, ambient_clear_all, 0, 0, 0)
    noroot, noroot_locked = 1, 2
    libc.prctl(pr_set_securebits, noroot | noroot_locked, 0, 0, 0)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities(report: Containment) -> None:
    """Keep no capability at all: effective, permitted and inheritable sets emptied."""
    header = _CapHeader(0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3
    data = (_CapData * 2)()
    if _libc().capset(ctypes.byref(header), data) != 0:
        report.notes.append(f"capabilities kept ({os.strerror(ctypes.get_errno())})")
        return
    report.no_capabilities = True
