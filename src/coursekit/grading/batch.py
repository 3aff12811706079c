"""Grade a class: many submissions in parallel, each result stored the moment it is ready.

Only a few submissions are in flight at once and nothing is kept per submission after it is
recorded, so memory stays flat however large the class. A submission already in the gradebook
with the same file contents is skipped unless ``force`` is set, which makes a killed run resumable.
With ``scheduler`` the same happens on a Dask cluster (:mod:`coursekit.grading.cluster`).
"""
from __future__ import annotations

import os
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.parse import Assignment
from coursekit.gradebook.store import Gradebook
from coursekit.grading import submissions
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_submission
from coursekit.grading.sandbox import Zygote, preload_modules


@dataclass
class BatchSummary:
    graded: int = 0
    skipped: int = 0
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
        names = {"network_namespace": "no network", "read_only_filesystem": "read-only filesystem",
                 "private_workdir": "private work folder", "pid_namespace": "own process tree",
                 "separate_user": "separate user"}
        held = [label for key, label in names.items() if self.containment.get(key)]
        missing = [label for key, label in names.items() if not self.containment.get(key)]
        return ("sandbox: " + ", ".join(held or ["limits only"])
                + (f"; not available here: {', '.join(missing)}" if missing else ""))


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
    todo = []
    for submission in found:
        if not force:
            try:
                same = gradebook.recorded_digest(submission.student, assignment.name) == \
                    submissions.digest(submission.path)
            except OSError:
                same = False
            if same:
                summary.skipped += 1
                continue
        todo.append(submission)
    # the gradebook's folder (a database gradebook has none) and the class's folder are hidden
    protect = ([gradebook.path.resolve().parent] if getattr(gradebook, "path", None) else []) + [class_folder(found)]
    if scheduler:
        from coursekit.grading.cluster import grade_on_cluster
        remote = grade_on_cluster(assignment, todo, gradebook, limits, scheduler, show_hidden, progress,
                                  max_notebook_mb, protect, skipped=summary.skipped)
        remote.skipped = summary.skipped
        return remote
    if progress:
        progress.start(len(todo), summary.skipped)
    workers = workers or os.cpu_count() or 1
    zygote = zygote or Zygote(preload_modules(assignment))
    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            queue, running = iter(todo), set()
            while True:
                while len(running) < workers * 2:
                    submission = next(queue, None)
                    if submission is None:
                        break
                    running.add(pool.submit(grade_submission, assignment, submission, zygote, limits,
                                            show_hidden, max_notebook_mb, protect))
                if not running:
                    break
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    result = future.result()
                    gradebook.record(result)
                    summary.count(result)
                    if progress:
                        progress.advance(result)
    finally:
        zygote.close()
        if progress:
            progress.finish()
    return summary
