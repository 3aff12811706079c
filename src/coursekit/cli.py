"""The ``coursekit`` command: validate, release, grade, export, report, build.

Every mistake a user can fix ends in one line that starts with ``coursekit <verb>:`` and names the
file and the problem; no Python traceback reaches the terminal for it. Exit codes are the same for
every subcommand (see EXIT_CODES).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import coursekit

from coursekit.careers import CareerDataError
from coursekit.exercise.parse import SourceError
from coursekit.gradebook.store import GradebookError, describe, is_database_url
from coursekit.grading.cluster import ClusterError
from coursekit.grading.confine import Limits


EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2
EXIT_CODES = """\
exit codes (the same for every subcommand):
  0  done, nothing needs a look
  1  done, but something needs a look: a source failed validation, or some
     submissions got an invalid, error or timeout row in the gradebook
  2  nothing done: a usage mistake, a missing file or a malformed source
every error line starts with 'coursekit <subcommand>:'"""


class UsageError(Exception):
    """A mistake in what the user asked for."""


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """Keep the hand-wrapped descriptions and examples as written."""


def _verb(verbs, name: str, summary: str, description: str, example: str):
    """A subcommand whose help has a description and ends with a worked example."""
    return verbs.add_parser(name, help=summary, description=f"{summary[0].upper()}{summary[1:]}.\n\n{description}",
                            epilog=f"example:\n{example}\n\n{EXIT_CODES}", formatter_class=_Formatter)


def _say(verb: str, lines, stream=sys.stderr) -> None:
    for line in lines:
        for part in str(line).splitlines():
            print(f"coursekit {verb}: {part}", file=stream)


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
    group.add_argument("--memory-mb", type=int, default=default.memory_mb, metavar="MB",
                       help="memory the student's code may add (default %(default)s MB)")
    group.add_argument("--cpu-seconds", type=int, default=default.cpu_seconds, metavar="S",
                       help="CPU time of the student's process (default %(default)s s)")
    group.add_argument("--max-processes", type=int, default=default.processes, metavar="N",
                       help="processes and threads at once (default %(default)s)")
    group.add_argument("--max-output-kb", type=int, default=default.output_bytes // 1024, metavar="KB",
                       help="printed output kept (default %(default)s KB)")
    group.add_argument("--max-file-mb", type=int, default=default.file_mb, metavar="MB",
                       help="largest file the student's code may write (default %(default)s MB)")


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
    for path, verdict in report.items():
        _say("validate", verdict.failures)
        _say("validate", (f"warning: {w}" for w in verdict.warnings))
        if verdict.sound:
            print(f"{path}: sound" + (f" ({len(verdict.warnings)} warning(s))" if verdict.warnings else ""))
    if any(v.malformed for v in report.values()):
        return EXIT_USAGE
    return EXIT_OK if all(v.sound for v in report.values()) else EXIT_PROBLEMS


def _refuse_unsound(verb: str, sources: list[Path], zygote=None) -> int:
    """Validate before releasing or grading: the exit code to stop with, or 0 to go on."""
    from coursekit.exercise.validate import validate_paths
    report = validate_paths(sources, zygote=zygote)
    for verdict in report.values():
        _say(verb, verdict.failures)
    if any(v.malformed for v in report.values()):
        return EXIT_USAGE
    if not all(v.sound for v in report.values()):
        _say(verb, [f"refusing an unsound source; fix it and check with 'coursekit validate'"
                    + (" (or pass --allow-unsound)" if verb == "grade" else "")])
        return EXIT_PROBLEMS
    return EXIT_OK


def cmd_release(args) -> int:
    from coursekit.exercise.parse import load_source
    from coursekit.exercise.release import release
    sources = [_source(p) for p in args.sources]
    refused = _refuse_unsound("release", sources)
    if refused:
        return refused
    for source in sources:
        paths = release(load_source(source), Path(args.out))
        print(f"{source}: student {paths['student']}, book page {paths['book']}, bundle {paths['bundle']}")
    return EXIT_OK


def cmd_grade(args) -> int:
    from coursekit.exercise.parse import load_source
    from coursekit.gradebook.store import open_gradebook
    from coursekit.grading.sandbox import Zygote, preload_modules
    from coursekit.grading.submissions import discover
    from coursekit.progress import Progress
    source = _source(args.source)
    assignment = load_source(source)
    for given in args.submissions:
        if not Path(given).exists():
            raise UsageError(f"{given}: no such submission file or folder")
    # Started before the grader imports NumPy and pandas itself, so both imports run at once.
    zygote = None if args.scheduler else Zygote(preload_modules(assignment))
    if zygote:
        zygote.warm()
    try:
        refused = 0 if args.allow_unsound else _refuse_unsound("grade", [source], zygote)
        if refused:
            return refused
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
    problems = {status: n for status, n in summary.statuses.items() if status != "graded"}
    if problems:
        counts = ", ".join(f"{status}: {n}" for status, n in sorted(problems.items()))
        _say("grade", [f"{sum(problems.values())} submission(s) need a look ({counts}): "
                       "see their status and reason in the gradebook or the report"])
        return EXIT_PROBLEMS
    return EXIT_OK


def _known_assignment(gradebook, name: str | None, where: str) -> None:
    """An --assignment that the gradebook does not hold is a typo: name the ones it does."""
    if name is None:
        return
    known = sorted({row["assignment"] for row in gradebook.submissions()})
    if name not in known:
        raise UsageError(f"no assignment {name!r} in {where}; it holds "
                         + (", ".join(known) if known else "no assignments yet"))


def cmd_export(args) -> int:
    from coursekit.gradebook.export import export_csv, export_lms
    from coursekit.gradebook.store import open_gradebook
    if not is_database_url(args.gradebook) and not Path(args.gradebook).exists():
        raise UsageError(f"{args.gradebook}: no such gradebook")
    gradebook = open_gradebook(args.gradebook)
    _known_assignment(gradebook, args.assignment, describe(args.gradebook))
    write = export_lms if args.format == "lms" else export_csv
    count = write(gradebook, Path(args.out), args.assignment)
    print(f"{args.out}: {count} rows")
    return EXIT_OK


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
    return EXIT_OK


def cmd_build(args) -> int:
    from coursekit.book.build import BuildError, build_book
    try:
        build_book(Path(args.root), jobs=args.jobs)
    except BuildError as exc:
        _say("build", [exc])
        return EXIT_PROBLEMS
    return EXIT_OK


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="coursekit", formatter_class=_Formatter,
        description="Author, validate, release and safely auto-grade notebook exercises, and build the course book.\n\n"
                    "An exercise set is one source notebook (questions, reference solutions, visible and\n"
                    "hidden tests, points); everything students and graders get is derived from it.\n"
                    "Run 'coursekit <subcommand> --help' for each subcommand's options and an example.",
        epilog="example: the life of an exercise set\n"
               "  coursekit validate exercises/data-science\n"
               "  coursekit release exercises/data-science --out released\n"
               "  coursekit grade exercises/data-science submitted/ --gradebook grades.sqlite\n"
               "  coursekit export --gradebook grades.sqlite --format lms --out grades.csv\n"
               "  coursekit report --gradebook grades.sqlite --out report\n\n" + EXIT_CODES)
    main.add_argument("--version", action="version", version=f"coursekit {coursekit.__version__}",
                      help="print coursekit's version (graders on a cluster must all run the same one)")
    verbs = main.add_subparsers(dest="verb", metavar="SUBCOMMAND", title="subcommands")
    source_help = ("an exercise source notebook, or its folder (exercises/<set>/ holding <set>.ipynb, "
                   "or a released autograder bundle)")

    p = _verb(verbs, "validate", "check that exercise sources are sound",
              "Runs each source top to bottom in a Jupyter kernel, grades the reference solution (it\n"
              "must earn full points) and the blank student version (it must earn none), and runs every\n"
              "question's tests against trivial wrong answers (None, 0, empty list, empty array, the\n"
              "input unchanged, a zero value of the right type). A question that a trivial answer passes\n"
              "in full fails validation; a single test that one passes is reported as a warning.",
              "  coursekit validate exercises/data-science exercises/edge-ai")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=source_help)
    p.set_defaults(run=cmd_validate)

    p = _verb(verbs, "release", "write student notebooks, book pages and autograder bundles",
              "Validates each source first and refuses an unsound one. For each set it writes, under\n"
              "OUT/<set>/: student/ (the notebook with stubs and coursekit.check cells, the visible tests,\n"
              "the data files), <set>.ipynb (the book page) and autograder/ (source and manifest).",
              "  coursekit release exercises/data-science --out released")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=source_help)
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the released sets into")
    p.set_defaults(run=cmd_release)

    p = _verb(verbs, "grade", "grade submissions into a gradebook",
              "Validates the source first, then runs each submitted notebook in a sandbox and the\n"
              "source's tests outside it. Every file gets one row per question with points, a status and\n"
              "feedback. A submission already graded with the same content is skipped.",
              "  coursekit grade exercises/data-science submitted/ --gradebook grades.sqlite --workers 4")
    p.add_argument("source", metavar="SOURCE", help=source_help)
    p.add_argument("submissions", nargs="+", metavar="SUBMISSION",
                   help="notebook files or folders of them; the student is the file name, or the first "
                        "folder below the one given")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL",
                   help="a SQLite file (created if missing), or a postgresql://user@host/db URL")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS",
                   help="grade on a Dask cluster: the scheduler's tcp://host:port (or its scheduler file)")
    p.add_argument("--force", action="store_true", help="grade again submissions already in the gradebook")
    p.add_argument("--allow-unsound", action="store_true",
                   help="grade even though the source fails validation (its grades may be wrong)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="submissions graded at once on this machine (default: cores; ignored with --scheduler)")
    p.add_argument("--show-hidden", action="store_true",
                   help="show hidden tests' messages in feedback (default: only passed or failed)")
    p.add_argument("--max-notebook-mb", type=float, default=32.0, metavar="MB",
                   help="largest notebook accepted; larger ones get an invalid row (default %(default)s MB)")
    _add_limit_options(p)
    p.set_defaults(run=cmd_grade)

    p = _verb(verbs, "export", "export grades as CSV",
              "Writes one row per student and question ('csv'), or one row per student with a column per\n"
              "assignment in the gradebook-import layout of learning platforms such as Canvas ('lms').",
              "  coursekit export --gradebook grades.sqlite --format lms --assignment data-science --out lms.csv")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL", help="the gradebook that grade wrote")
    p.add_argument("--format", choices=["csv", "lms"], default="csv",
                   help="csv: student, assignment, question, points, max_points, status per row; lms: a "
                        "learning-platform (Canvas-style) gradebook import, one row per student (default csv)")
    p.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    p.add_argument("--assignment", default=None, metavar="NAME",
                   help="only this assignment (an exercise set's name, e.g. data-science); default: all")
    p.set_defaults(run=cmd_export)

    p = _verb(verbs, "report", "feedback pages and a class summary",
              "Writes OUT/index.html (per-question class results with plots) and one feedback page per\n"
              "student and assignment under OUT/students/.",
              "  coursekit report --gradebook grades.sqlite --out report")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL", help="the gradebook that grade wrote")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the HTML pages into")
    p.set_defaults(run=cmd_report)

    p = _verb(verbs, "build", "validate exercises, execute notebooks, build the book",
              "What 'make book' runs: validates every set under exercises/, releases the book pages,\n"
              "executes every notebook of _toc.yml (in parallel, cached) and runs jupyter-book. It fails\n"
              "on any notebook error, broken reference or unsound exercise set.",
              "  coursekit build . --jobs 2")
    p.add_argument("root", nargs="?", default=".", metavar="ROOT",
                   help="the book's folder, holding _config.yml and _toc.yml (default: the current folder)")
    p.add_argument("--jobs", type=int, default=None, metavar="N", help="notebooks executed at once (default: cores)")
    p.set_defaults(run=cmd_build)
    return main


def main(argv: list[str] | None = None) -> int:
    command = parser()
    args = command.parse_args(argv)
    if args.verb is None:  # bare `coursekit`: show what it can do rather than an argparse error
        command.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except (UsageError, SourceError, GradebookError, CareerDataError, ClusterError) as exc:
        _say(args.verb, [exc])
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"coursekit {args.verb}: interrupted; results recorded so far are kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
