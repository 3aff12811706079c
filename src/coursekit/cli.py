"""The ``coursekit`` command: validate, release, grade, export, report, build.

Every mistake a user can fix ends in one line naming the file and the problem, and exit code 2;
no Python traceback reaches the terminal for it.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from coursekit.careers import CareerDataError
from coursekit.exercise.parse import SourceError
from coursekit.gradebook.store import GradebookError, describe, is_database_url
from coursekit.grading.cluster import ClusterError
from coursekit.grading.confine import Limits


class UsageError(Exception):
    """A mistake in what the user asked for."""


def _limits(args) -> Limits:
    return Limits(question_seconds=args.question_timeout, submission_seconds=args.submission_timeout,
                  memory_mb=args.memory_mb, cpu_seconds=args.cpu_seconds, processes=args.max_processes,
                  output_bytes=args.max_output_kb * 1024, file_mb=args.max_file_mb)


def _add_limit_options(parser) -> None:
    default = Limits()
    group = parser.add_argument_group("limits for student code")
    group.add_argument("--question-timeout", type=float, default=default.question_seconds, metavar="S",
                       help="wall-clock seconds per question (default %(default)s)")
    group.add_argument("--submission-timeout", type=float, default=default.submission_seconds, metavar="S",
                       help="wall-clock seconds per submission (default %(default)s)")
    group.add_argument("--memory-mb", type=int, default=default.memory_mb, help="memory (default %(default)s MB)")
    group.add_argument("--cpu-seconds", type=int, default=default.cpu_seconds, help="CPU time (default %(default)s)")
    group.add_argument("--max-processes", type=int, default=default.processes,
                       help="processes and threads at once (default %(default)s)")
    group.add_argument("--max-output-kb", type=int, default=default.output_bytes // 1024,
                       help="printed output kept (default %(default)s KB)")
    group.add_argument("--max-file-mb", type=int, default=default.file_mb,
                       help="largest file written (default %(default)s MB)")


def _source(path: str) -> Path:
    """A source notebook, given itself or as its folder (an exercise folder or an autograder bundle)."""
    given = Path(path)
    if not given.exists():
        raise UsageError(f"{given}: file not found")
    if not given.is_dir():
        return given
    named = given / f"{given.name}.ipynb"
    if named.exists():
        return named
    candidates = sorted(given.glob("*.ipynb"))
    if len(candidates) != 1:
        raise UsageError(f"{given}: expected one source notebook in the folder, found {len(candidates)}")
    return candidates[0]


def cmd_validate(args) -> int:
    from coursekit.exercise.validate import validate_paths
    report = validate_paths([_source(p) for p in args.sources])
    bad = 0
    for path, problems in report.items():
        if problems:
            bad += 1
            for problem in problems:
                print(problem, file=sys.stderr)
        else:
            print(f"{path}: sound")
    return 1 if bad else 0


def cmd_release(args) -> int:
    from coursekit.exercise.parse import load_source
    from coursekit.exercise.release import release
    for source in map(_source, args.sources):
        paths = release(load_source(source), Path(args.out))
        print(f"{source}: student {paths['student']}, book page {paths['book']}, bundle {paths['bundle']}")
    return 0


def cmd_grade(args) -> int:
    from coursekit.exercise.parse import load_source
    from coursekit.gradebook.store import open_gradebook
    from coursekit.grading.sandbox import Zygote, preload_modules
    from coursekit.grading.submissions import discover
    from coursekit.progress import Progress
    assignment = load_source(_source(args.source))
    for given in args.submissions:
        if not Path(given).exists():
            raise UsageError(f"{given}: no such submission file or folder")
    # Started before the grader imports NumPy and pandas itself, so both imports run at once.
    zygote = None if args.scheduler else Zygote(preload_modules(assignment))
    if zygote:
        zygote.warm()
    try:
        from coursekit.grading.batch import grade_all
        found = discover(args.submissions, assignment.name)
        found = [s for s in found if s.path.resolve() != assignment.path.resolve()]
        if not found:
            raise UsageError(f"no notebooks found in {', '.join(args.submissions)}")
        gradebook = open_gradebook(args.gradebook)
        try:
            summary = grade_all(assignment, found, gradebook, _limits(args), force=args.force,
                                workers=args.workers, show_hidden=args.show_hidden, progress=Progress(),
                                max_notebook_mb=args.max_notebook_mb, scheduler=args.scheduler, zygote=zygote)
        finally:
            gradebook.close()
    finally:
        if zygote:
            zygote.close()
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(summary.statuses.items())) or "none"
    print(f"{summary.graded} graded ({statuses}), {summary.skipped} skipped as already graded; "
          f"gradebook {describe(args.gradebook)}")
    if summary.containment_line():
        print(summary.containment_line())
    return 0


def cmd_export(args) -> int:
    from coursekit.gradebook.export import export_csv, export_lms
    from coursekit.gradebook.store import open_gradebook
    if not is_database_url(args.gradebook) and not Path(args.gradebook).exists():
        raise UsageError(f"{args.gradebook}: no such gradebook")
    gradebook = open_gradebook(args.gradebook)
    write = export_lms if args.format == "lms" else export_csv
    count = write(gradebook, Path(args.out), args.assignment)
    print(f"{args.out}: {count} rows")
    return 0


def cmd_report(args) -> int:
    from coursekit.gradebook.report import student_pages, summary_page
    from coursekit.gradebook.store import open_gradebook
    if not is_database_url(args.gradebook) and not Path(args.gradebook).exists():
        raise UsageError(f"{args.gradebook}: no such gradebook")
    gradebook = open_gradebook(args.gradebook)
    out = Path(args.out)
    pages = student_pages(gradebook, out)
    summary = summary_page(gradebook, out)
    print(f"{summary} and {len(pages)} student feedback page(s)")
    return 0


def cmd_build(args) -> int:
    from coursekit.book.build import BuildError, build_book
    try:
        build_book(Path(args.root), jobs=args.jobs)
    except BuildError as exc:
        print(f"coursekit build: {exc}", file=sys.stderr)
        return 1
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="coursekit", description=__doc__.splitlines()[0])
    verbs = main.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("validate", help="check that exercise sources are sound")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.set_defaults(run=cmd_validate)
    p = verbs.add_parser("release", help="write student notebooks, book pages and autograder bundles")
    p.add_argument("sources", nargs="+", metavar="SOURCE")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(run=cmd_release)
    p = verbs.add_parser("grade", help="grade submissions into a gradebook")
    p.add_argument("source", metavar="SOURCE", help="the exercise source notebook or its autograder bundle")
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION", help="notebook files or folders")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL",
                   help="a SQLite file, or a postgresql://user@host/db URL")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: the scheduler's tcp://host:port (or its scheduler file)")
    p.add_argument("--force", action="store_true", help="grade again submissions already in the gradebook")
    p.add_argument("--workers", type=int, default=None,
                   help="submissions graded at once on this machine (default: cores; ignored with --scheduler)")
    p.add_argument("--show-hidden", action="store_true", help="show hidden tests' messages in feedback")
    p.add_argument("--max-notebook-mb", type=float, default=32.0, help="largest notebook accepted")
    _add_limit_options(p)
    p.set_defaults(run=cmd_grade)
    p = verbs.add_parser("export", help="export grades as CSV")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL")
    p.add_argument("--format", choices=["csv", "lms"], default="csv")
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--assignment", default=None)
    p.set_defaults(run=cmd_export)
    p = verbs.add_parser("report", help="feedback pages and a class summary")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL")
    p.add_argument("--out", required=True, metavar="DIR")
    p.set_defaults(run=cmd_report)
    p = verbs.add_parser("build", help="validate exercises, execute notebooks, build the book")
    p.add_argument("root", nargs="?", default=".")
    p.add_argument("--jobs", type=int, default=None, help="notebooks executed at once (default: cores)")
    p.set_defaults(run=cmd_build)
    return main


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except (UsageError, SourceError, GradebookError, CareerDataError, ClusterError) as exc:
        print(f"coursekit {args.verb}: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"coursekit {args.verb}: interrupted; results recorded so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
