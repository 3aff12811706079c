"""The ``coursekit`` command: validate, release, grade, export, report, build.

Every mistake a user can fix ends in one line that starts with ``coursekit <verb>:`` and names the
file and the problem; no Python traceback reaches the terminal for it. Exit codes are the same for
every subcommand (see EXIT_CODES).
"""
from __future__ import annotations

import argparse
import atexit
import os
import sys
import threading
from pathlib import Path

import coursekit

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


def _sources(path: str, assignment: str | None = None) -> tuple[list[Path], str | None]:
    """The source notebooks SOURCE names and the nbgrader assignment they form (None for a coursekit set).

    An nbgrader assignment is a folder of notebooks (``source/ps1``), or a course folder plus
    ``--assignment``; every notebook in it is handled, each on its own.
    """
    from coursekit.exercise import course
    given = Path(path)
    if not given.exists():
        raise UsageError(f"{given}: file not found")
    in_course = given.is_dir() and given.resolve().parent.name == "source"  # <course>/source/<assignment>
    if assignment is None and not in_course and (
            not given.is_dir() or (given / f"{given.name}.ipynb").exists()
            or len(list(given.glob("*.ipynb"))) == 1 and not course.is_course(given)):
        return [_source(path)], None
    found = course.assignment_folder(given, assignment)
    return found.notebooks, found.name


def _all_sources(paths: list[str], assignment: str | None) -> list[tuple[list[Path], str | None]]:
    return [_sources(p, assignment) for p in paths]


def cmd_validate(args) -> int:
    from coursekit.exercise.validate import user_cache, validate_paths
    report = {}
    for notebooks, name in _all_sources(args.sources, args.assignment):
        # run afresh; a sound verdict is remembered, so release and grade need not run the source again
        report.update(validate_paths(notebooks, assignment=name, cache=user_cache(), rerun=True))
    for path, verdict in report.items():
        _say("validate", verdict.failures)
        _say("validate", (f"warning: {w}" for w in verdict.warnings))
        if verdict.sound:
            print(f"{path}: sound" + (f" ({len(verdict.warnings)} warning(s))" if verdict.warnings else ""))
    if any(v.malformed for v in report.values()):
        return EXIT_USAGE
    return EXIT_OK if all(v.sound for v in report.values()) else EXIT_PROBLEMS


def _refuse_unsound(verb: str, sources: list[Path], zygote=None, assignment: str | None = None) -> int:
    """Validate before releasing or grading: the exit code to stop with, or 0 to go on."""
    from coursekit.exercise.validate import user_cache, validate_paths
    report = validate_paths(sources, zygote=zygote, assignment=assignment, cache=user_cache())
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
    groups = _all_sources(args.sources, args.assignment)
    for notebooks, name in groups:
        refused = _refuse_unsound("release", notebooks, assignment=name)
        if refused:
            return refused
    for notebooks, name in groups:
        for source in notebooks:
            paths = release(load_source(source, name), Path(args.out))
            print(f"{source}: student {paths['student']}, book page {paths['book']}, bundle {paths['bundle']}")
    return EXIT_OK


def cmd_grade(args) -> int:
    from coursekit.exercise import course
    from coursekit.gradebook.store import describe
    notebooks, name = _sources(args.source, args.assignment)
    submitted = list(args.submissions)
    if not submitted:
        default = course.assignment_folder(Path(args.source), args.assignment).submitted if name else None
        if default is None:
            raise UsageError("name the submissions to grade (notebook files or folders of them)")
        submitted = [str(default)]
    for given in submitted:
        if not Path(given).exists():
            raise UsageError(f"{given}: no such submission file or folder")
    summaries, matched = [], set()
    for source in notebooks:
        summary = _grade_notebook(args, source, name, submitted, matched)
        if isinstance(summary, int):
            return summary
        summaries.append(summary)
    if name:
        _report_unmatched(submitted, name, matched, notebooks)
    graded = sum(s.graded for s in summaries)
    skipped = sum(s.skipped for s in summaries)
    counts: dict[str, int] = {}
    for summary in summaries:
        for status, n in summary.statuses.items():
            counts[status] = counts.get(status, 0) + n
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "none"
    print(f"{graded} graded ({statuses}), {skipped} skipped as already graded; "
          f"gradebook {describe(args.gradebook)}")
    outdated = sum(s.outdated for s in summaries)
    if outdated:
        print(f"{outdated} graded again because the source changed since they were graded")
    _print_ignored([note for s in summaries for note in s.ignored])
    line = next((s.containment_line() for s in summaries if s.containment_line()), "")
    if line:
        print(line)
    problems = {status: n for status, n in counts.items() if status != "graded"}
    if problems:
        counts_text = ", ".join(f"{status}: {n}" for status, n in sorted(problems.items()))
        _say("grade", [f"{sum(problems.values())} submission(s) need a look ({counts_text}): "
                       "see their status and reason in the gradebook or the report"])
        return EXIT_PROBLEMS
    return EXIT_OK


def _grade_notebook(args, source: Path, name: str | None, submitted: list[str], matched: set):
    """Grade the submissions of one source notebook: a BatchSummary, or the exit code to stop with.

    In an nbgrader assignment a submission belongs to the source notebook of the same file name,
    in a folder named after the assignment (or given as a file): nothing is graded against
    another notebook's tests.
    """
    from coursekit.grading.sandbox import Zygote, preload_modules_of
    # Started before the grader reads the source and imports nbformat, NumPy and pandas itself, so
    # that the fork server's imports run meanwhile.
    zygote = None if args.scheduler else Zygote(preload_modules_of(source))
    if zygote:
        zygote.warm()
    from coursekit.exercise.parse import load_source
    from coursekit.gradebook.store import open_gradebook
    from coursekit.grading.submissions import survey
    from coursekit.progress import Progress
    try:
        assignment = load_source(source, name)
        refused = 0 if args.allow_unsound else _refuse_unsound("grade", [source], zygote, name)
        if refused:
            return refused
        from coursekit.grading.batch import grade_all
        siblings = [p.stem for p in source.parent.glob("*.ipynb")] if name else []
        files_found = survey(submitted, assignment.name, assignment.notebook_name, siblings)
        found = [s for s in files_found.submissions if s.path.resolve() != assignment.path.resolve()]
        if name:
            files = {Path(g).resolve() for g in submitted if Path(g).is_file()}
            found = [s for s in found if s.problem or s.path.parent.name == name or s.path.resolve() in files]
            matched.update(s.path.resolve() for s in found)
        if not found:
            if name:
                _say("grade", [f"no submissions of {source.name} found in {', '.join(submitted)}"])
                from coursekit.grading.batch import BatchSummary
                return BatchSummary()
            raise UsageError(f"no notebooks found in {', '.join(submitted)}")
        gradebook = open_gradebook(args.gradebook)
        try:
            from coursekit.gradebook.late import PolicyError
            try:
                gradebook.begin_run(assignment, args.deadline, args.late_policy)
            except PolicyError as exc:
                raise UsageError(str(exc)) from None
            summary = grade_all(assignment, found, gradebook, _limits(args), force=args.force,
                                workers=args.workers, show_hidden=False, progress=Progress(),
                                max_notebook_mb=args.max_notebook_mb, scheduler=args.scheduler, zygote=zygote)
            summary.ignored = files_found.ignored()
            return summary
        finally:
            gradebook.close()
    finally:
        if zygote:
            zygote.close()


def _print_ignored(notes) -> None:
    """Every file found but not graded, with its reason; nbgrader's timestamp.txt files only counted."""
    stamps = [n for n in notes if n.path.name == "timestamp.txt"]
    others = [n for n in notes if n.path.name != "timestamp.txt"]
    if stamps:
        print(f"{len(stamps)} timestamp.txt file(s) read as submission times")
    for note in others:
        print(f"not graded: {note.path}: {note.reason}")


def _report_unmatched(submitted: list[str], name: str, matched: set, notebooks: list[Path]) -> None:
    """Notebooks handed in for this assignment that no source notebook is named like: said, not graded."""
    from coursekit.grading.submissions import discover
    names = {p.name for p in notebooks}
    for found in discover(submitted, name):
        if found.path.parent.name == name and found.path.resolve() not in matched and found.path.name not in names:
            _say("grade", [f"warning: {found.path}: not graded, assignment {name} has no source notebook "
                           f"{found.path.name} (it has {', '.join(sorted(names))})"])


def _known_assignment(gradebook, name: str | None, location: str) -> None:
    """An --assignment that the gradebook does not hold is a typo: name the ones it does."""
    from coursekit.gradebook.store import describe
    if name is None:
        return
    where = describe(location)
    known = sorted({row["assignment"] for row in gradebook.submissions()})
    if name not in known:
        raise UsageError(f"no assignment {name!r} in {where}; it holds "
                         + (", ".join(known) if known else "no assignments yet"))


def _existing_gradebook(location: str):
    from coursekit.gradebook.store import is_database_url, open_gradebook
    if not is_database_url(location) and not Path(location).exists():
        raise UsageError(f"{location}: no such gradebook")
    return open_gradebook(location)


def cmd_export(args) -> int:
    from coursekit.gradebook import export
    gradebook = _existing_gradebook(args.gradebook)
    _known_assignment(gradebook, args.assignment, args.gradebook)
    if args.roster and not Path(args.roster).is_file():
        raise UsageError(f"{args.roster}: no such roster file")
    roster = Path(args.roster) if args.roster else None
    if args.format == "csv":
        count = export.export_csv(gradebook, Path(args.out), args.assignment)
    else:
        write = export.export_moodle if args.format == "moodle" else export.export_canvas
        count = write(gradebook, Path(args.out), args.assignment, roster)
        missing = export.unmatched(gradebook, roster, args.assignment)
        if missing:
            _say("export", [f"warning: {len(missing)} student(s) not in {args.roster}, their ID is left empty: "
                            + ", ".join(missing[:10]) + (" ..." if len(missing) > 10 else "")])
    print(f"{args.out}: {count} rows")
    return EXIT_OK


def cmd_feedback(args) -> int:
    from coursekit.gradebook.feedback import write_notebooks, write_pages
    gradebook = _existing_gradebook(args.gradebook)
    _known_assignment(gradebook, args.assignment, args.gradebook)
    out = Path(args.out)
    pages = write_pages(gradebook, out, args.assignment, instructor=args.instructor)
    notebooks = write_notebooks(gradebook, out, args.assignment, instructor=args.instructor) if args.notebooks else []
    view = "instructor view, with hidden tests: not for students" if args.instructor else "student view"
    print(f"{out}: {len(pages)} feedback page(s)" + (f" and {len(notebooks)} notebook(s)" if notebooks else "")
          + f" ({view})")
    return EXIT_OK


def cmd_review(args) -> int:
    from coursekit.gradebook.review import make_server, pending
    gradebook = _existing_gradebook(args.gradebook)
    _known_assignment(gradebook, args.assignment, args.gradebook)
    if args.set:
        student, question, points = args.set
        try:
            value = None if points == "-" else float(points)
        except ValueError:
            raise UsageError(f"points {points!r}: expected a number (or - to leave the points unset)") from None
        names = sorted({r["assignment"] for r in pending(gradebook, args.assignment)
                        if r["student"] == student and r["question"] == question})
        if len(names) > 1:
            raise UsageError(f"{student} answered {question} in several assignments ({', '.join(names)}): "
                             "name one with --assignment")
        if not names:
            raise UsageError(f"no answer of {student!r} to a hand-graded question {question!r}"
                             + (f" in {args.assignment}" if args.assignment else ""))
        row = gradebook.set_manual(student, names[0], question, value, args.comment or "", args.notebook)
        print(f"{student} {names[0]} {question}: {row['points']:g} / {row['max_points']:g} ({row['status']})")
        return EXIT_OK
    if args.list:
        print("assignment\tnotebook\tstudent\tquestion\tpoints\tmax_points\tstatus")
        for r in pending(gradebook, args.assignment):
            print(f"{r['assignment']}\t{r['notebook']}\t{r['student']}\t{r['question']}\t"
                  f"{r['points']:g}\t{r['max_points']:g}\t{r['status']}")
        return EXIT_OK
    server = make_server(gradebook, args.host, args.port, args.assignment)
    print(f"review page at {server.url} (press Ctrl-C to stop; every change is saved at once)", flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return EXIT_OK


def cmd_report(args) -> int:
    from coursekit.gradebook.report import student_pages, summary_page
    gradebook = _existing_gradebook(args.gradebook)
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
               "  coursekit review --gradebook grades.sqlite\n"
               "  coursekit feedback --gradebook grades.sqlite --out feedback\n"
               "  coursekit export --gradebook grades.sqlite --format canvas --out grades.csv\n"
               "  coursekit report --gradebook grades.sqlite --out report\n\n" + EXIT_CODES)
    main.add_argument("--version", action="version", version=f"coursekit {coursekit.__version__}",
                      help="print coursekit's version (graders on a cluster must all run the same one)")
    verbs = main.add_subparsers(dest="verb", metavar="SUBCOMMAND", title="subcommands")
    source_help = ("an exercise source notebook, or its folder (exercises/<set>/ holding <set>.ipynb, "
                   "a released autograder bundle, or an nbgrader assignment folder such as source/ps1)")
    assignment_help = ("with an nbgrader course folder as SOURCE: the assignment under its source/ folder; "
                       "every notebook in it is handled")

    p = _verb(verbs, "validate", "check that exercise sources are sound",
              "Runs each source top to bottom in a Jupyter kernel, grades the reference solution (it\n"
              "must earn full points) and the blank student version (it must earn none), and runs every\n"
              "question's tests against trivial wrong answers (None, 0, empty list, empty array, the\n"
              "input unchanged, a zero value of the right type). A question that a trivial answer passes\n"
              "in full fails validation; a single test that one passes is reported as a warning.",
              "  coursekit validate exercises/data-science exercises/edge-ai")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=source_help)
    p.add_argument("--assignment", default=None, metavar="NAME", help=assignment_help)
    p.set_defaults(run=cmd_validate)

    p = _verb(verbs, "release", "write student notebooks, book pages and autograder bundles",
              "Validates each source first and refuses an unsound one. For each set it writes, under\n"
              "OUT/<set>/: student/ (the notebook with stubs and coursekit.check cells, the visible tests,\n"
              "the data files), <set>.ipynb (the book page) and autograder/ (source and manifest).",
              "  coursekit release exercises/data-science --out released")
    p.add_argument("sources", nargs="+", metavar="SOURCE", help=source_help)
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the released sets into")
    p.add_argument("--assignment", default=None, metavar="NAME", help=assignment_help)
    p.set_defaults(run=cmd_release)

    p = _verb(verbs, "grade", "grade submissions into a gradebook",
              "Validates the source first, then runs each submitted notebook in a sandbox and the\n"
              "source's tests outside it. Every file gets one row per question with points, a status and\n"
              "feedback. A submission already graded with the same content by the same version of the source\n"
              "is skipped; after you edit the source, everything is graded again. Each student folder gives\n"
              "one notebook (the one named after the set; other files are listed with the reason).",
              "  coursekit grade exercises/data-science submitted/ --gradebook grades.sqlite --workers 4")
    p.add_argument("source", metavar="SOURCE", help=source_help)
    p.add_argument("submissions", nargs="*", metavar="SUBMISSION",
                   help="notebook files or folders of them; the student is the file name, or the first "
                        "folder below the one given (default for an nbgrader course: its submitted/ folder)")
    p.add_argument("--assignment", default=None, metavar="NAME", help=assignment_help)
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
                   help="no longer needed: what hidden tests said is stored for every run and shown only "
                        "in 'coursekit feedback --instructor'")
    p.add_argument("--deadline", default=None, metavar="TIME",
                   help="the assignment's deadline, e.g. 2026-03-01T23:59 (local time) or with +01:00; stored "
                        "in the gradebook, kept for later runs")
    p.add_argument("--late-policy", default=None, metavar="POLICY",
                   help="none (lateness shown, no penalty), percent-per-day:P (P%% of the points per started day) "
                        "or zero-after:TIME (zero after that cutoff); stored in the gradebook (default none)")
    p.add_argument("--max-notebook-mb", type=float, default=32.0, metavar="MB",
                   help="largest notebook accepted; larger ones get an invalid row (default %(default)s MB)")
    _add_limit_options(p)
    p.set_defaults(run=cmd_grade)

    p = _verb(verbs, "export", "export grades as CSV",
              "Writes one row per student and question ('csv', with the submission's status, reason, time\n"
              "and late penalty), or one row per student with a total per assignment for a learning platform:\n"
              "Canvas's gradebook import ('canvas', also called 'lms') or Moodle's grade import ('moodle').\n"
              "Totals include manual points and late penalties. Refuses to mix rows graded by two versions\n"
              "of a source: grade again first.",
              "  coursekit export --gradebook grades.sqlite --format canvas --roster canvas-export.csv --out lms.csv")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL", help="the gradebook that grade wrote")
    p.add_argument("--format", choices=["csv", "canvas", "lms", "moodle"], default="csv",
                   help="csv: one row per student and question; canvas (or lms): Canvas's gradebook import; "
                        "moodle: Moodle's grade import CSV (default csv)")
    p.add_argument("--roster", default=None, metavar="CSV",
                   help="a class list (e.g. Canvas's or Moodle's own grade export) to fill the ID columns: "
                        "matched on SIS Login ID, SIS User ID, Username, ID number or Email address")
    p.add_argument("--out", required=True, metavar="FILE", help="the CSV file to write")
    p.add_argument("--assignment", default=None, metavar="NAME",
                   help="only this assignment (an exercise set's name, e.g. data-science); default: all")
    p.set_defaults(run=cmd_export)

    p = _verb(verbs, "feedback", "one feedback page per student",
              "Writes OUT/<assignment>--<student>.html for every student: their answers, points per question,\n"
              "the errors their code raised, visible tests' messages, hidden tests as passed or failed only,\n"
              "and your comments on hand-graded answers. --instructor adds what hidden tests said (pages\n"
              "named *.instructor.html: never hand them out); --notebooks also writes each as a notebook.",
              "  coursekit feedback --gradebook grades.sqlite --out feedback --assignment data-science")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL", help="the gradebook that grade wrote")
    p.add_argument("--out", required=True, metavar="DIR", help="folder to write the pages into")
    p.add_argument("--assignment", default=None, metavar="NAME", help="only this assignment; default: all")
    p.add_argument("--instructor", action="store_true",
                   help="the instructor view: hidden tests' messages and output too (not for students)")
    p.add_argument("--notebooks", action="store_true", help="also write each page as a notebook (.ipynb)")
    p.set_defaults(run=cmd_feedback)

    p = _verb(verbs, "review", "grade answers by hand",
              "Serves a local page (http://127.0.0.1:PORT/, offline) listing every answer to a hand-graded\n"
              "question (nbgrader manually graded cells and tasks), question by question: type the points,\n"
              "press Enter to save and move on, add a comment. Every change is saved to the gradebook at\n"
              "once. For scripts: --set STUDENT QUESTION POINTS [--comment TEXT], and --list.",
              "  coursekit review --gradebook grades.sqlite\n"
              "  coursekit review --gradebook grades.sqlite --set alice q4 2 --comment 'clear and correct'")
    p.add_argument("--gradebook", required=True, metavar="PATH|URL", help="the gradebook that grade wrote")
    p.add_argument("--assignment", default=None, metavar="NAME", help="only this assignment; default: all")
    p.add_argument("--notebook", default=None, metavar="NAME",
                   help="with --set: the notebook, when the assignment has several with that question")
    p.add_argument("--set", nargs=3, default=None, metavar=("STUDENT", "QUESTION", "POINTS"),
                   help="grade one answer and exit (POINTS - keeps the points unset and saves the comment)")
    p.add_argument("--comment", default=None, metavar="TEXT", help="with --set: the comment for the student")
    p.add_argument("--list", action="store_true", help="print every hand-graded answer's state (tab-separated) and exit")
    p.add_argument("--host", default="127.0.0.1", metavar="HOST",
                   help="the address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8765, metavar="PORT", help="the port (default %(default)s; 0: any free one)")
    p.set_defaults(run=cmd_review)

    p = _verb(verbs, "report", "feedback pages and a class summary",
              "Writes OUT/index.html (every student linked, problem rows first, then per-question class\n"
              "results with plots) and each student's feedback page (the student view) under OUT/students/.",
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


def _mistakes() -> tuple:
    """Errors a user can fix, looked up only when one is raised. Their modules are not imported up
    front (nbformat, pandas with the cluster's), so that ``grade`` starts the fork server first."""
    from coursekit.careers import CareerDataError
    from coursekit.exercise.parse import SourceError
    from coursekit.gradebook.store import GradebookError
    cluster = sys.modules.get("coursekit.grading.cluster")
    return (UsageError, SourceError, GradebookError, CareerDataError) + ((cluster.ClusterError,) if cluster else ())


def main(argv: list[str] | None = None) -> int:
    command = parser()
    args = command.parse_args(argv)
    if args.verb is None:  # bare `coursekit`: show what it can do rather than an argparse error
        command.print_help()
        return EXIT_USAGE
    try:
        return args.run(args)
    except _mistakes() as exc:
        _say(args.verb, [exc])
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(f"coursekit {args.verb}: interrupted; results recorded so far are kept", file=sys.stderr)
        return 130


def run() -> None:
    """The ``coursekit`` command: :func:`main`, then exit without the interpreter's teardown.

    Freeing every NumPy and pandas object at exit takes about 0.1 s, as long as grading a few
    submissions. Exit handlers still run and output is flushed; the teardown is kept when a thread
    is still running, which the normal exit would wait for.
    """
    try:
        code = main()
    except BrokenPipeError:  # the reader of the output went away (``| head``); what was recorded stays
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = EXIT_PROBLEMS
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that went away (``| head``): nothing more to say
            pass
    os._exit(code)


if __name__ == "__main__":
    run()
