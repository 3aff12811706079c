"""Grade a class on a Dask distributed cluster: one task per submission, results recorded as they come.

The grader (the client) reads every file it ships: the source notebook and its data files once,
scattered to every worker, and each submission's bytes in its own task, so workers need no shared
filesystem. A worker writes them to a private temporary folder, grades the submission with the same
sandbox and limits as a local run (its own warm zygote, started on first use and closed at exit),
and returns the result; the grader writes it to the gradebook the moment it arrives.

A worker that dies takes nothing with it: the scheduler gives its tasks to another worker, and the
grader records each submission once, whichever worker graded it. Only a bounded window of
submissions is in flight, so memory stays flat however large the class.

``distributed`` is imported only here, and only when ``coursekit grade --scheduler`` is used.
"""
from __future__ import annotations

import asyncio
import atexit
import hashlib
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.parse import Assignment, load_source
from coursekit.grading import submissions
from coursekit.grading.confine import Limits
from coursekit.grading.grade import ERROR, INVALID, SubmissionResult, grade_submission, ungraded
from coursekit.grading.sandbox import Zygote

MISSING_EXTRA = "--scheduler needs the dask extra: pip install 'coursekit[dask]'"
WORKER_WAIT_SECONDS = 60.0
CONNECT_SECONDS = 20.0
MAX_ATTEMPTS = 3


class ClusterError(RuntimeError):
    """The cluster cannot be used (extra missing, scheduler unreachable, workers without coursekit)."""


@dataclass
class AssignmentBundle:
    """The exercise as bytes: the source notebook and the data files shipped beside it."""

    filename: str
    source: bytes
    files: dict[str, bytes]
    preload: tuple[str, ...]
    digest: str = ""

    def __post_init__(self):
        if not self.digest:
            sha = hashlib.sha256(self.filename.encode() + b"\0" + self.source)
            for name in sorted(self.files):
                sha.update(b"\0" + name.encode() + b"\0" + self.files[name])
            self.digest = sha.hexdigest()


@dataclass
class Job:
    """One submission to grade on a worker; ``path`` and ``student`` are the grader's."""

    student: str
    path: str
    data: bytes
    limits: Limits
    show_hidden: bool
    max_notebook_mb: float
    protect: list[str] = field(default_factory=list)


# --- on the worker -------------------------------------------------------------------------------

_lock = threading.Lock()
_zygotes: dict[tuple[str, ...], Zygote] = {}
_assignments: dict[str, Assignment] = {}
_scratch: list[str] = []


def _close_worker_state() -> None:
    with _lock:
        for zygote in _zygotes.values():
            zygote.close()
        _zygotes.clear()
        _assignments.clear()
        for folder in _scratch:
            shutil.rmtree(folder, ignore_errors=True)
        _scratch.clear()


def _register_cleanup() -> None:
    atexit.register(_close_worker_state)
    try:  # a worker started by a Dask nanny is a multiprocessing child, which skips atexit
        from multiprocessing import util
        util.Finalize(None, _close_worker_state, exitpriority=10)
    except Exception:  # pragma: no cover - cleanup is best effort; the zygote also exits on EOF
        pass


_register_cleanup()


def _worker_folder() -> Path:
    """Scratch space inside the Dask worker's own directory, which Dask removes even after a crash."""
    if not _scratch:
        try:
            from distributed import get_worker
            base = get_worker().local_directory
        except (ImportError, ValueError):  # not on a Dask worker (a direct call, in tests)
            base = None
        _scratch.append(tempfile.mkdtemp(prefix="coursekit-", dir=base))
    return Path(_scratch[0])


def _assignment(bundle: AssignmentBundle) -> Assignment:
    """The bundle written to this worker's scratch folder and parsed, once per worker process."""
    with _lock:
        if bundle.digest not in _assignments:
            folder = _worker_folder() / f"assignment-{bundle.digest[:16]}"
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir(parents=True)
            for name, data in bundle.files.items():
                (folder / name).write_bytes(data)
            (folder / bundle.filename).write_bytes(bundle.source)
            _assignments[bundle.digest] = load_source(folder / bundle.filename)
        return _assignments[bundle.digest]


def _zygote(preload: tuple[str, ...]) -> Zygote:
    with _lock:
        if preload not in _zygotes:
            _zygotes[preload] = Zygote(preload)
        return _zygotes[preload]


def grade_remote(bundle: AssignmentBundle, job: Job) -> SubmissionResult:
    """Runs on a worker: grade one submission shipped as bytes; the result names the grader's file."""
    assignment = _assignment(bundle)
    zygote = _zygote(bundle.preload)
    folder = Path(tempfile.mkdtemp(prefix="submission-", dir=_worker_folder()))
    try:
        path = folder / (Path(job.path).name or "submission.ipynb")
        path.write_bytes(job.data)
        result = grade_submission(assignment, submissions.Submission(job.student, path), zygote, job.limits,
                                  job.show_hidden, job.max_notebook_mb, [Path(p) for p in job.protect])
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result.path = job.path
    return result


def worker_version() -> str:
    """Runs on each worker before grading: proves coursekit imports there, and which version.

    The version number is followed by a fingerprint of the grading code itself, so two checkouts
    of the same version that grade differently are told apart too.
    """
    from importlib.metadata import PackageNotFoundError, version
    try:
        number = version("coursekit")
    except PackageNotFoundError:  # pragma: no cover - a source checkout on PYTHONPATH
        number = "unknown"
    package = Path(__file__).resolve().parent.parent
    sha = hashlib.sha256()
    for path in sorted([*(package / "grading").glob("*.py"), *(package / "exercise").glob("*.py")]):
        sha.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{number} (grading code {sha.hexdigest()[:10]})"


# --- on the grader ---------------------------------------------------------------------------------

def bundle_of(assignment: Assignment, preload) -> AssignmentBundle:
    files = {p.name: p.read_bytes() for p in assignment.shipped_files()}
    return AssignmentBundle(assignment.path.name, assignment.path.read_bytes(), files, tuple(preload))


def _connect(scheduler: str):
    try:
        import distributed
    except ImportError:
        raise ClusterError(MISSING_EXTRA) from None
    import logging
    logging.getLogger("distributed").setLevel(logging.ERROR)
    try:
        if "://" not in scheduler and Path(scheduler).is_file():
            client = distributed.Client(scheduler_file=scheduler, timeout=CONNECT_SECONDS)
        else:
            client = distributed.Client(scheduler, timeout=CONNECT_SECONDS)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {scheduler} ({exc.__class__.__name__}: "
                           f"{str(exc).splitlines()[0] if str(exc) else 'no answer'})") from None
    return distributed, client


def _check_workers(client, scheduler: str) -> None:
    try:
        client.wait_for_workers(1, timeout=WORKER_WAIT_SECONDS)
    except TimeoutError:
        raise ClusterError(f"no Dask worker joined the scheduler at {scheduler} within "
                           f"{WORKER_WAIT_SECONDS:g} s") from None
    try:
        versions = client.run(worker_version)
    except ImportError as exc:
        raise ClusterError(f"a Dask worker cannot import coursekit ({exc}): install coursekit, at the "
                           "grader's version, on every worker") from None
    ours = worker_version()
    other = sorted({v for v in versions.values() if v != ours})
    if other:
        raise ClusterError(f"Dask workers run coursekit {', '.join(other)} but the grader runs {ours}: "
                           "install the same version everywhere")


class _Window:
    """How many submissions to keep in flight: four per worker thread, looked up every few seconds."""

    def __init__(self, client):
        self.client, self.size, self.checked = client, 8, float("-inf")

    def __call__(self) -> int:
        if time.monotonic() - self.checked > 2.0:
            self.checked = time.monotonic()
            try:
                self.size = min(max(8, 4 * sum(self.client.nthreads().values())), 512)
            except Exception:  # keep the last size; the next look-up may work
                pass
        return self.size


def _rejected_here(assignment: Assignment, submission, show_hidden: bool, max_notebook_mb: float):
    """A file not worth shipping (empty, too large, unreadable): its one-line reason, decided here."""
    try:
        return grade_submission(assignment, submission, None, Limits(), show_hidden, max_notebook_mb)
    except OSError as exc:
        return ungraded(assignment, submission, INVALID, f"cannot be read ({exc.strerror or exc})")


def grade_on_cluster(assignment: Assignment, todo: list, gradebook, limits: Limits, scheduler: str,
                     show_hidden: bool = False, progress=None,
                     max_notebook_mb: float = submissions.MAX_NOTEBOOK_MB, protect=(), preload=(),
                     skipped: int = 0):
    """Grade ``todo`` on the cluster at ``scheduler``, recording each result once as it arrives.

    ``progress`` is started once the cluster answers (``skipped`` is shown there) and finished at
    the end. Returns a :class:`~coursekit.grading.batch.BatchSummary` of what was graded.
    """
    from coursekit.grading.batch import BatchSummary
    from coursekit.grading.sandbox import preload_modules
    summary = BatchSummary()

    def record(result: SubmissionResult) -> None:
        result.notebook = result.notebook or assignment.notebook_name  # nbgrader: the notebook in the assignment
        gradebook.record(result)
        summary.count(result)
        if progress:
            progress.advance(result)

    distributed, client = _connect(scheduler)
    started = False
    try:
        _check_workers(client, scheduler)
        bundle = bundle_of(assignment, preload or preload_modules(assignment))
        shipped = client.scatter(bundle, broadcast=True, hash=False)
        if progress:
            progress.start(len(todo), skipped)
            started = True
        protect = [str(Path(p).resolve()) for p in protect]
        queue = iter(todo)
        owner: dict[str, tuple] = {}  # future key -> (submission, attempt); popped when recorded
        pending = distributed.as_completed()

        def submit(submission, attempt: int = 1) -> None:
            try:  # never through a link, never waiting on a FIFO (submissions.read_bytes)
                data = submissions.read_bytes(submission.path, max_notebook_mb) if not submission.problem else None
            except (submissions.InvalidSubmission, OSError):
                data = None
            if data is None:  # empty, too large, not a regular file: rejected here, nothing to ship
                record(_rejected_here(assignment, submission, show_hidden, max_notebook_mb))
                return
            job = Job(submission.student, str(submission.path), data, limits, show_hidden, max_notebook_mb,
                      protect + [str(submission.path.resolve().parent), str(assignment.path.resolve().parent)])
            future = client.submit(grade_remote, shipped, job, pure=False, retries=1,
                                   key=f"coursekit-grade-{submission.student}-{os.urandom(6).hex()}")
            owner[future.key] = (submission, attempt)
            pending.add(future)

        window = _Window(client)

        def refill() -> None:
            while len(owner) < window():
                submission = next(queue, None)
                if submission is None:
                    return
                submit(submission)

        refill()
        while owner:
            future = next(pending, None)
            if future is None:  # cannot happen while futures are in flight; never lose a submission
                stranded = list(owner.values())
                owner.clear()
                for submission, attempt in stranded:
                    submit(submission, attempt + 1)
                continue
            entry = owner.pop(future.key, None)
            if entry is None:  # reported twice (a task retried after its worker died): record once
                continue
            submission, attempt = entry
            try:
                result = future.result()
            except ImportError as exc:
                raise ClusterError(f"a Dask worker cannot import coursekit ({exc}): install coursekit on "
                                   "every worker") from None
            except (Exception, asyncio.CancelledError) as exc:
                if client.status not in ("running", "connecting"):
                    raise ClusterError(f"lost the Dask scheduler at {scheduler}; the {summary.graded} "
                                       "result(s) recorded are kept: run again to grade the rest") from None
                if attempt < MAX_ATTEMPTS:
                    if shipped.status != "finished":
                        shipped = client.scatter(bundle, broadcast=True, hash=False)
                    submit(submission, attempt + 1)
                else:
                    # no digest: a later run grades it again instead of skipping it
                    record(ungraded(assignment, submission, ERROR, f"grading failed on the cluster "
                                                                   f"({exc.__class__.__name__}: {exc})"[:500]))
            else:
                record(result)
            future.release()
            refill()
    finally:
        client.close()
        if started:
            progress.finish()
    return summary
