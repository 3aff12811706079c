"""Grade a class: many submissions in parallel, each result stored the moment it is ready.

Only a few submissions are in flight at once and nothing is kept per submission after it is
recorded, so memory stays flat however large the class. A submission already in the gradebook
with the same file contents is skipped unless ``force`` is set, which makes a killed run resumable.
With ``scheduler`` the same happens on a Dask cluster (:mod:`coursekit.grading.cluster`).
"""
from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.parse import Assignment
from coursekit.gradebook.store import Gradebook
from coursekit.grading import confine, submissions
from coursekit.grading.confine import CONTAINMENT_LABELS, Limits
from coursekit.grading.grade import ERROR, INVALID, grade_submission, prepare, ungraded
from coursekit.grading.sandbox import Zygote, preload_modules


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
    outdated: int = 0  # graded again because the source changed since
    ignored: list = field(default_factory=list)  # files found but not graded, with reasons (submissions.Note)
    statuses: dict = field(default_factory=dict)
    containment: dict = field(default_factory=dict)

    def count(self, result) -> None:
        """Take note of one recorded result."""
        self.graded += 1
        self.statuses[result.status] = self.statuses.get(result.status, 0) + 1
        self.containment = self.containment or result.containment

    def containment_line(self) -> str:
        """What the sandbox enforced on this machine, in one line for the instructor."""
        if not self.containment:
            return ""
        held = [label for key, label in CONTAINMENT_LABELS.items() if self.containment.get(key)]
        missing = [label for key, label in CONTAINMENT_LABELS.items() if not self.containment.get(key)]
        return ("sandbox: " + ", ".join(held or ["limits only"])
                + (f"; not available here: {', '.join(missing)}" if missing else ""))


_worker: dict = {}


def _start_worker(assignment, zygote, limits, show_hidden, max_notebook_mb, protect) -> None:
    """What every grading process keeps: the assignment, the shared fork server, the options."""
    _worker.update(assignment=assignment, zygote=zygote, limits=limits, show_hidden=show_hidden,
                   max_notebook_mb=max_notebook_mb, protect=protect)


def _grade_in_worker(submission: submissions.Submission):
    w = _worker
    return grade_submission(w["assignment"], submission, w["zygote"], w["limits"], w["show_hidden"],
                            w["max_notebook_mb"], w["protect"])


def _grade_in_processes(job: tuple, todo: list, workers: int, record) -> None:
    """Grade on ``workers`` processes forked from this one, each grading one submission at a time.

    A test changes process-wide state as it would in its own kernel, and the grader's own work
    (decoding, running tests) is CPU-bound Python: processes, not threads, make it scale with cores.
    A worker that dies costs the submissions it held an ``error`` row each, and grading goes on.
    """
    assignment, zygote = job[0], job[1]
    context = multiprocessing.get_context("fork")
    zygote.warm()
    zygote.share_between_processes(context)
    prepare(assignment, zygote, job[2])  # once, here: every grading process forked below inherits it
    queue = list(reversed(todo))
    while queue:
        with ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_start_worker,
                                 initargs=job) as pool:
            running = {}
            try:
                while queue or running:
                    while queue and len(running) < workers * 2:
                        submission = queue.pop()
                        running[pool.submit(_grade_in_worker, submission)] = submission
                    finished, _ = wait(running, return_when=FIRST_COMPLETED)
                    for future in finished:
                        submission = running.pop(future)
                        try:
                            result = future.result()
                        except BrokenProcessPool:
                            raise
                        except Exception as exc:
                            result = ungraded(assignment, submission, ERROR,
                                              f"the grader could not finish this notebook ({type(exc).__name__})")
                        record(result)
            except BrokenProcessPool:
                for submission in running.values():
                    record(ungraded(assignment, submission, ERROR, "the grading process died while grading it"))


def class_folder(found: list[submissions.Submission]) -> Path:
    """The folder holding every submission: hidden from each student so no one reads a classmate's."""
    parents = [str(s.path.resolve().parent) for s in found] or [os.getcwd()]
    return Path(os.path.commonpath(parents))


def grade_all(assignment: Assignment, found: list[submissions.Submission], gradebook: Gradebook,
              limits: Limits, force: bool = False, workers: int | None = None, show_hidden: bool = False,
              progress=None, max_notebook_mb: float = submissions.MAX_NOTEBOOK_MB,
              scheduler: str | None = None, zygote: Zygote | None = None) -> BatchSummary:
    """Grade ``found`` into ``gradebook``; ``zygote`` may be one the caller started early."""
    summary = BatchSummary()
    todo, refused = [], []
    if not getattr(gradebook, "_versions", {}).get((assignment.name, assignment.notebook_name)):
        gradebook.begin_run(assignment)  # the caller may have begun it with a deadline and policy
    version = gradebook._versions[(assignment.name, assignment.notebook_name)]
    for submission in found:
        if submission.problem:  # no notebook handed in: an invalid row saying so, nothing to run
            refused.append(ungraded(assignment, submission, INVALID, submission.problem))
            continue
        recorded = gradebook.recorded(submission.student, assignment.name, assignment.notebook_name)
        if recorded and not force:
            try:
                same_file = recorded[0] == submissions.digest(submission.path)
            except OSError:
                same_file = False
            if same_file and recorded[1] == version:
                summary.skipped += 1
                continue
            if same_file:
                summary.outdated += 1  # graded by an earlier version of the source: graded again
        todo.append(submission)
    for result in refused:
        result.notebook = assignment.notebook_name
        gradebook.record(result)
        summary.count(result)
    # the gradebook's folder (a database gradebook has none) and the class's folder are hidden
    protect = ([gradebook.path.resolve().parent] if getattr(gradebook, "path", None) else []) + [class_folder(found)]
    if scheduler:
        from coursekit.grading.cluster import grade_on_cluster
        remote = grade_on_cluster(assignment, todo, gradebook, limits, scheduler, show_hidden, progress,
                                  max_notebook_mb, protect, skipped=summary.skipped)
        remote.skipped, remote.outdated = summary.skipped, summary.outdated
        for result in refused:
            remote.count(result)
        return remote
    workers = max(1, min(workers or os.cpu_count() or 1, len(todo) or 1))
    if progress:
        progress.start(len(todo), summary.skipped, workers=workers, limit=limits.submission_seconds)
        for result in refused:
            progress.note(result)
    # the grading processes are the parallelism: a numerical library's own threads (OpenBLAS waits
    # for work by spinning) would only take the cores they run on
    confine.pin_thread_pools()
    zygote = zygote or Zygote(preload_modules(assignment))
    job = (assignment, zygote, limits, show_hidden, max_notebook_mb, protect)

    def record(result) -> None:
        result.notebook = result.notebook or assignment.notebook_name  # nbgrader: the notebook in the assignment
        gradebook.record(result)
        summary.count(result)
        if progress:
            progress.advance(result)

    try:
        if workers == 1:
            _start_worker(*job)
            for submission in todo:
                record(_grade_in_worker(submission))
        else:
            _grade_in_processes(job, todo, workers, record)
    finally:
        zygote.close()
        if progress:
            progress.finish()
    return summary
