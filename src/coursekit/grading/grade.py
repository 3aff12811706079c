"""Grade one submission: run its answer cells in a sandbox, the source's tests in the grader.

The submission contributes only its answer cells and any cells the student added; setup cells
and tests always come from the source. A cell that loops or kills its process costs its own
question: the process is replaced, the cells that worked are run again, and grading goes on.
"""
from __future__ import annotations

import importlib
import linecache
import os
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.nbgrader import unanswered
from coursekit.exercise.parse import PROMPT, SETUP, SOLUTION, Assignment
from coursekit.grading import submissions
from coursekit.grading.confine import Limits
from coursekit.grading.evaluate import TestOutcome, TestScope, assigned_names, free_names, imported_names, run_test
from coursekit.grading.reference import PRELUDE, fixed_setup_values
from coursekit.grading.remote import Session, is_student_exception
from coursekit.grading.sandbox import CopyOnFirstUse, Sandbox, SandboxDied, SandboxTimeout, Zygote, preload_modules
from coursekit.grading.student_process import random_state, regular_files, set_random_state

MAX_RESTARTS = 8
GRADED, INVALID, ERROR, TIMEOUT = "graded", "invalid", "error", "timeout"
NEEDS_GRADING = "needs_grading"
MAX_FEEDBACK_CHARS = 20_000


@dataclass
class Step:
    """One cell to execute: its code, the question it belongs to and its place in the source."""

    code: str
    question: str | None
    anchor: int
    label: str


@dataclass
class QuestionResult:
    question: str
    points: float
    max_points: float
    status: str  # passed, partial, failed, timeout, error
    feedback: str
    tests: list[TestOutcome] = field(default_factory=list)
    answer: str = ""  # the student's answer: the text of the question's answer cells in the submission


@dataclass
class SubmissionResult:
    student: str
    assignment: str
    path: str
    digest: str
    status: str
    reason: str
    questions: list[QuestionResult]
    seconds: float = 0.0
    output: str = ""
    containment: dict = field(default_factory=dict)  # what the sandbox enforced (not stored)
    notebook: str = ""  # the notebook within the assignment (nbgrader assignments hold several)
    grader_cpu: float = 0.0  # CPU seconds the grader itself spent on it (not stored; for benchmarks)

    @property
    def points(self) -> float:
        return sum(q.points for q in self.questions)


def _key(assignment: Assignment, cell) -> str | None:
    if assignment.format == "nbgrader":
        return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or cell.get("id")
    return cell.get("id")


def _first_line(code: str) -> str:
    line = next((ln.strip() for ln in code.splitlines() if ln.strip()), "")
    return line if len(line) <= 40 else line[:37] + "..."


def nbgrader_partial_credit(shown: str, points: float) -> float:
    """nbgrader's rule for a test cell that runs without error and displays a value (its whole
    source: the hidden tests' run): a number from 0 to the cell's points is its score (partial
    credit), anything else or a negative number gives full points, more than the points gives none
    (nbgrader stops with an error there)."""
    try:
        value = float(shown)
    except ValueError:
        return points
    if value != value or value < 0:  # nan, or a negative number
        return points
    return value if value <= points else 0.0


def _names_read(code: str) -> tuple[str, ...]:
    try:
        return free_names(code)
    except SyntaxError:  # an answer cell that does not compile reads nothing
        return ()


def cell_label(code: str, question: str | None, role: str) -> str:
    """How feedback names a cell: JupyterLab shows no cell numbers, so by its question or first line."""
    if role == SOLUTION and question:
        return f"your answer to {question}"
    if role == SETUP:
        return f"the setup cell `{_first_line(code)}`"
    return f"the cell you added, `{_first_line(code)}`"


def plan(assignment: Assignment, nb) -> list[Step]:
    """The cells to run, in the submission's order, with source setup cells restored."""
    by_key = {c.key: c for c in assignment.cells}
    question_at = {c.index: c.question for c in assignment.cells}
    steps, used, anchor = [Step(PRELUDE, None, -1, "grader prelude")], set(), -1
    for cell in nb.cells:
        source = by_key.get(_key(assignment, cell))
        if source is not None and source.key not in used:
            used.add(source.key)
            anchor = source.index
            if cell.cell_type == "code" and source.role == SETUP:
                steps.append(Step(source.source, source.question, anchor, cell_label(source.source, None, SETUP)))
            elif cell.cell_type == "code" and source.role == SOLUTION:
                steps.append(Step(cell.source, source.question, anchor, cell_label(cell.source, source.question, SOLUTION)))
            continue
        if cell.cell_type == "code" and cell.source.strip():
            steps.append(Step(cell.source, question_at.get(anchor), anchor, cell_label(cell.source, None, "added")))
    for source in assignment.cells:
        if source.role == SETUP and source.key not in used:
            position = next((i for i, s in enumerate(steps) if s.anchor > source.index), len(steps))
            steps.insert(position, Step(source.source, source.question, source.index,
                                        cell_label(source.source, None, SETUP)))
    return steps


def student_answer(assignment: Assignment, nb, question) -> str:
    """The student's answer to a question: the text of its answer cells in the submission."""
    keys = {c.key for c in assignment.cells if c.role == SOLUTION and c.question == question.id}
    if question.manual:  # everything the student may have written under the question, not its prompt
        keys |= {c.key for c in assignment.cells if c.key in question.cell_keys and c.role != PROMPT}
    parts = [cell.source for cell in nb.cells if _key(assignment, cell) in keys]
    return "\n\n".join(parts)[:MAX_FEEDBACK_CHARS]


class _Run:
    """The state of grading one submission: the live sandbox, what ran, what each question got."""

    def __init__(self, assignment: Assignment, zygote: Zygote, limits: Limits, show_hidden: bool,
                 protect: list[Path] = (), fixed: dict | None = None):
        self.assignment, self.zygote, self.limits, self.show_hidden = assignment, zygote, limits, show_hidden
        self.protect = list(protect)
        self.fixed = fixed or {}
        self.sandbox: Sandbox | None = None
        self.session: Session | None = None
        self.scope: TestScope | None = None
        self.done: list[Step] = []
        self.budget = {q.id: limits.question_seconds for q in assignment.questions}
        self.problems: dict[str, list[str]] = {q.id: [] for q in assignment.questions}
        self.status: dict[str, str] = {}
        self.deadline = float("inf")  # the submission's clock starts when its process is ready
        self.restarts = 0
        self.numbers: dict[int, int] = {}
        self.output = ""
        self.containment: dict = {}
        # what the source's answers define: a test's own name the student rebinds is read from the
        # student afterwards only if the question asks for it (a test's helper stays the test's)
        self.answer_names = frozenset().union(*(assigned_names(c.source) for c in assignment.cells
                                                if c.role == SOLUTION))
        self.read_by_answers = frozenset().union(*(_names_read(c.source) for c in assignment.cells
                                                   if c.role == SOLUTION)) - self.answer_names \
            - frozenset().union(*(imported_names(c.source) for c in assignment.cells if c.role in (SETUP, SOLUTION)))
        self.workdir = Path(tempfile.mkdtemp(prefix="coursekit-tests-"))
        for path in assignment.shipped_files():
            shutil.copy2(path, self.workdir / path.name)

    def _deadline(self, question: str | None) -> float:
        budget = self.budget.get(question, self.limits.question_seconds)
        return min(time.monotonic() + max(budget, 0.0), self.deadline)

    def _spend(self, question: str | None, since: float) -> None:
        if question in self.budget:
            self.budget[question] -= time.monotonic() - since

    def _replace_sandbox(self) -> bool:
        """Start a fresh process and replay the cells that ran fine; False when that fails.

        The test namespace starts afresh too: its handles pointed into the process that ended.
        """
        self.close()
        if self.restarts > MAX_RESTARTS or time.monotonic() > self.deadline:
            return False
        self.restarts += 1
        self.sandbox = Sandbox(self.zygote, self.limits, self.assignment.shipped_files(), protect=self.protect,
                               workdir=self.workdir)
        try:
            self.sandbox.start()
            if self.deadline == float("inf"):
                self.deadline = time.monotonic() + self.limits.submission_seconds
            self.containment = self.containment or self.sandbox.containment
            self.session = Session(self.sandbox, self.deadline)
            self.session.workdir = self.workdir
            self.session.files_seen = regular_files(str(self.workdir))
            self.scope = TestScope(self.session, self.fixed, self.read_by_answers)
            for step in self.done:  # their errors, if any, were recorded the first time
                self.session.deadline = min(time.monotonic() + self.limits.question_seconds, self.deadline)
                self.session.exchange({"op": "exec", "code": step.code, "cell": self.cell_name(step)})
        except (SandboxDied, SandboxTimeout):
            self.close()
            return False
        return True

    def cell_name(self, step: Step) -> str:
        """The name the cell's code is compiled under, known here too: ``inspect.getsource`` on the
        student's function works in a test, as IPython makes it work in a kernel."""
        number = self.numbers.setdefault(id(step), len(self.numbers) + 1)
        filename = f"<cell {number}>"
        linecache.cache[filename] = (len(step.code), None, step.code.splitlines(True), filename)
        return str(number)

    def _trouble(self, question: str | None, exc: Exception, where: str) -> None:
        if question not in self.problems:
            return
        if isinstance(exc, SandboxTimeout):
            self.status[question] = TIMEOUT
            self.problems[question].append(f"{where} ran past the time limit and was stopped")
        else:
            self.status.setdefault(question, ERROR)
            self.problems[question].append(f"{where}: {exc}")

    def execute(self, step: Step) -> None:
        if self.status.get(step.question) == TIMEOUT:
            return  # the question's time is spent; its other cells would only wait again
        if self.sandbox is None and not self._replace_sandbox():
            self._trouble(step.question, SandboxDied("the notebook's process could not be restarted"), step.label)
            return
        started = time.monotonic()
        try:
            self.session.deadline = self._deadline(step.question)
            request = {"op": "exec", "code": step.code, "cell": self.cell_name(step)}
            shadowed = self.scope.own & self.answer_names
            if shadowed:  # the student may rebind them: a test then reads the student's value
                request["own"] = sorted(shadowed)
            reply = self.session.exchange(request)
            rebound = reply.get("rebound")
            if isinstance(rebound, list):
                self.scope.forget(name for name in rebound if isinstance(name, str) and name in shadowed)
        except (SandboxDied, SandboxTimeout) as exc:
            self._trouble(step.question, exc, step.label[0].upper() + step.label[1:])
            self._spend(step.question, started)
            self._replace_sandbox()
            return
        self._spend(step.question, started)
        self.done.append(step)
        if not reply.get("ok") and step.question in self.problems:
            error = reply.get("error") or {}
            line = f" (line {error['line']})" if isinstance(error.get("line"), int) else ""
            kind = str(error.get("type", "an error"))[:100]
            message = str(error.get("message", ""))[:500]
            label = step.label[0].upper() + step.label[1:]
            self.problems[step.question].append(f"{label}{line} raised {kind}: {message}".rstrip(": "))

    def test_question(self, question, nb, last: bool = False) -> QuestionResult:
        """Run a question's tests in order; consecutive hidden tests share one throw-away copy of the process.

        ``last`` says nothing of the student's runs after this question: its final hidden tests
        can use the process itself, silenced, instead of a copy.
        """
        if question.manual:
            if unanswered(self.assignment, nb, question):  # left as released: nbgrader scores it 0 itself
                return QuestionResult(question.id, 0.0, question.points, "failed", "not answered", [],
                                      student_answer(self.assignment, nb, question))
            return QuestionResult(question.id, 0.0, question.points, NEEDS_GRADING,
                                  "waiting for your instructor to grade it", [], student_answer(self.assignment, nb, question))
        groups: list[list] = []
        for test in question.tests:
            if groups and groups[-1][0].hidden == test.hidden:
                groups[-1].append(test)
            else:
                groups.append([test])
        outcomes = []
        for number, group in enumerate(groups):
            if self.status.get(question.id) == TIMEOUT or self.sandbox is None and not self._replace_sandbox():
                outcomes += [TestOutcome(t.name, t.hidden, False, "not run: the question's code did not finish", t.weight)
                             for t in group]
                continue
            started = time.monotonic()
            done = len(outcomes)
            try:
                if group[0].hidden:
                    outcomes += self.run_hidden(group, question, last and number == len(groups) - 1)
                else:
                    for test in group:
                        outcomes.append(self.run_visible(test, question))
            except (SandboxDied, SandboxTimeout) as exc:
                self._trouble(question.id, exc, f"Calling your code from {group[0].name}")
                outcomes += [TestOutcome(t.name, t.hidden, False, "your code did not finish", t.weight)
                             for t in group[len(outcomes) - done:]]
                self._replace_sandbox()
            self._spend(question.id, started)
        result = self._score(question, outcomes)
        result.answer = student_answer(self.assignment, nb, question)
        return result

    def run_visible(self, test, question) -> TestOutcome:
        passed, message, output, shown = run_test(test.code, test.name, self.scope, self._deadline(question.id))
        return TestOutcome(test.name, test.hidden, passed, message[:MAX_FEEDBACK_CHARS], test.weight,
                           output[:MAX_FEEDBACK_CHARS], shown)

    def run_hidden(self, tests: list, question, last: bool) -> list[TestOutcome]:
        """Hidden tests run against a throw-away copy of the student's process and test namespace.

        Their inputs never reach the process whose later errors and output are shown to the
        student, and whatever they change (student state, test names, files, random state) is
        forgotten. The copy is made when a test first runs the student's code or hands it data
        (:class:`CopyOnFirstUse`): tests that only read values need none. After the last of the
        student's runs no copy is needed: the process is silenced.
        """
        if last:
            self.session.tell("silence")
            return [self.run_visible(test, question) for test in tests]
        copy = CopyOnFirstUse(self.sandbox, self.session.snapshot)
        saved_scope, saved_random, saved_pyplot = self.scope.snapshot(), random_state(), self.session.pyplot
        folder_before = _listing(self.workdir)
        self.session.sandbox = copy
        outcomes: list[TestOutcome] = []
        timed_out = False
        try:
            for test in tests:
                try:
                    outcomes.append(self.run_visible(test, question))
                except SandboxTimeout:
                    timed_out = True
                    self.status[question.id] = TIMEOUT
                    self.problems[question.id].append(f"your code ran past the time limit in {test.name} and was stopped")
                    break
                except SandboxDied as exc:
                    outcomes.append(TestOutcome(test.name, True, False, str(exc), test.weight))
                    break
        finally:
            if copy.saved is not None:  # what the copy taught the grader is forgotten with it
                self.session.restore(copy.saved)
            self.session.sandbox, self.session.pyplot = self.sandbox, saved_pyplot
            set_random_state(saved_random)
            self.scope.restore(saved_scope)
            copy.close(time.monotonic() + 5.0, stuck=timed_out)
            if _listing(self.workdir) != folder_before:
                self.reset_workdir()
        done = len(outcomes)
        return outcomes + [TestOutcome(t.name, True, False, "not run: the question's code did not finish", t.weight)
                           for t in tests[done:]]

    def reset_workdir(self) -> None:
        """The hidden test changed the test's folder: start it again from the data files and the student's files.

        The folder is emptied, not replaced: its path is the student's work folder too (a mount
        point in the student's namespace), and stays the same for the whole submission.
        """
        for entry in os.scandir(self.workdir):
            if entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path, ignore_errors=True)
            else:
                os.unlink(entry.path)
        for path in self.assignment.shipped_files():
            shutil.copy2(path, self.workdir / path.name)
        self.session.files_seen = {}
        self.session.tell("resend_files")

    def _score(self, question, outcomes: list[TestOutcome]) -> QuestionResult:
        total = sum(o.weight for o in outcomes)
        passed = sum(o.weight for o in outcomes if o.passed)
        if question.all_or_nothing:
            points = question.points if passed == total else 0.0
            if points and self.assignment.format == "nbgrader" and outcomes and outcomes[-1].shown is not None:
                points = nbgrader_partial_credit(outcomes[-1].shown, question.points)
                if points != question.points:  # the value itself may be a hidden test's: not shown
                    self.problems[question.id].append(f"the value the test cell ends with gives {points:g} of "
                                                      f"{question.points:g} points (nbgrader's partial credit)")
        else:
            points = round(question.points * passed / total, 4) if total else 0.0
        status = self.status.get(question.id) or (
            "passed" if passed == total and points == question.points else "partial" if points > 0 else "failed")
        return QuestionResult(question.id, points, question.points, status,
                              self._feedback(outcomes, self.problems[question.id]), outcomes)

    def _feedback(self, outcomes: list[TestOutcome], problems: list[str]) -> str:
        """The student's view: hidden tests say passed or failed and nothing else."""
        lines = list(problems)
        for outcome in outcomes:
            mark = "passed" if outcome.passed else "failed"
            if outcome.hidden and not self.show_hidden:
                lines.append(f"hidden test {mark}")
                continue
            lines.append(f"{outcome.name} {mark}" + (f": {outcome.message}" if outcome.message
                                                     and outcome.message != mark else ""))
            if outcome.output.strip():
                lines.append("  output: " + outcome.output.strip()[:2000].replace("\n", "\n  "))
        return "\n".join(lines)[:MAX_FEEDBACK_CHARS]

    def close(self) -> None:
        if self.sandbox is not None:
            self.sandbox.kill()  # first: it waits until everything printed has been read
            self.output += self.sandbox.output
            self.sandbox = None
            self.session = None

    def cleanup(self) -> None:
        self.close()
        shutil.rmtree(self.workdir, ignore_errors=True)


def load_source_modules(assignment: Assignment) -> None:
    """The modules the source imports, imported here too (on the instructor's word, never the student's),
    so that a test reading ``stats`` or ``np`` from the notebook gets the grader's own, unpatched module."""
    for name in preload_modules(assignment):
        if name not in sys.modules:
            try:
                importlib.import_module(name)
            except Exception:  # a module this machine lacks: tests that need it fail, saying so
                pass


def prepare(assignment: Assignment, zygote: Zygote, limits: Limits) -> dict:
    """What every submission of this source shares, made once per process (grading processes forked
    after it inherit it): the source's modules imported here, and its fixed setup values."""
    load_source_modules(assignment)
    return fixed_setup_values(assignment, zygote, limits)


def _listing(folder: Path) -> dict:
    return {str(p): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in folder.rglob("*")}


def grade_notebook(assignment: Assignment, nb, zygote: Zygote, limits: Limits,
                   show_hidden: bool = False, protect: list[Path] = ()) -> tuple[list[QuestionResult], str, dict]:
    """Per-question results for a parsed notebook, the printed output kept, and the containment.

    In a notebook whose cells keep the source's order, each question's tests run right after its
    cells, as the student saw them; if the student reordered cells, all tests run at the end.
    """
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    steps = plan(assignment, nb)
    test_points = {}
    for cell in assignment.cells:
        if cell.question:
            test_points[cell.question] = max(test_points.get(cell.question, -1), cell.index)
    pending = sorted(assignment.questions, key=lambda q: test_points.get(q.id, 0))
    in_order = all(a.anchor <= b.anchor for a, b in zip(steps, steps[1:]))
    fixed = prepare(assignment, zygote, limits)
    run = _Run(assignment, zygote, limits, show_hidden, protect, fixed)
    results = {}
    try:
        for step in steps:
            while in_order and pending and test_points.get(pending[0].id, 0) < step.anchor:
                question = pending.pop(0)
                results[question.id] = run.test_question(question, nb)
            run.execute(step)
        for number, question in enumerate(pending):
            results[question.id] = run.test_question(question, nb, last=number == len(pending) - 1)
    finally:
        run.cleanup()
    return [results[q.id] for q in assignment.questions], run.output, run.containment


def ungraded(assignment: Assignment, submission: submissions.Submission, status: str, reason: str,
             digest: str = "", seconds: float = 0.0) -> SubmissionResult:
    """A submission none of whose questions could be graded: each gets 0 with the same status and reason."""
    return SubmissionResult(submission.student, assignment.name, str(submission.path), digest, status, reason,
                            [QuestionResult(q.id, 0.0, q.points, status, reason) for q in assignment.questions],
                            seconds, notebook=assignment.notebook_name)


def grade_submission(assignment: Assignment, submission: submissions.Submission, zygote: Zygote,
                     limits: Limits, show_hidden: bool = False,
                     max_notebook_mb: float = submissions.MAX_NOTEBOOK_MB,
                     protect: list[Path] = ()) -> SubmissionResult:
    """Grade one submission file; never raises for anything the file contains.

    ``protect`` lists folders (gradebook, submissions, sources) hidden from the student's process.
    """
    with _ONE_AT_A_TIME:
        return _grade_submission(assignment, submission, zygote, limits, show_hidden, max_notebook_mb, protect)


# A test changes process-wide state (random states, working folder, sys.stdout) exactly as it would
# in its own kernel, so one process grades one submission at a time; local grading scales with
# processes (see batch.py), and a threaded Dask worker stays correct.
_ONE_AT_A_TIME = threading.Lock()


def _grade_submission(assignment, submission, zygote, limits, show_hidden, max_notebook_mb, protect):
    started = time.monotonic()
    cpu = time.process_time()
    try:
        file_digest = submissions.digest(submission.path)
    except OSError:
        file_digest = ""
    try:
        nb = submissions.read(submission.path, max_notebook_mb)
    except submissions.InvalidSubmission as exc:
        return ungraded(assignment, submission, INVALID, str(exc), file_digest, time.monotonic() - started)
    try:
        protected = [submission.path.parent, assignment.path.parent, *protect]
        questions, output, containment = grade_notebook(assignment, nb, zygote, limits, show_hidden, protected)
    except RuntimeError as exc:  # the fork server itself failed: nothing the student did
        return ungraded(assignment, submission, ERROR, str(exc), file_digest, time.monotonic() - started)
    except KeyboardInterrupt as exc:
        if not is_student_exception(exc):
            raise  # the instructor pressed Ctrl-C
        return ungraded(assignment, submission, ERROR, "the notebook interrupted its own grading",
                        file_digest, time.monotonic() - started)
    except BaseException as exc:  # nothing one submission does may end the run: it gets its row
        return ungraded(assignment, submission, ERROR, f"the grader could not finish this notebook "
                        f"({type(exc).__name__}: {str(exc)[:200]})", file_digest, time.monotonic() - started)
    statuses = {q.status for q in questions}
    status, reason = GRADED, ""
    if TIMEOUT in statuses:
        status = TIMEOUT
        reason = "time limit reached in " + ", ".join(q.question for q in questions if q.status == TIMEOUT)
    elif ERROR in statuses:
        status = ERROR
        reason = "the notebook's process died in " + ", ".join(q.question for q in questions if q.status == ERROR)
    result = SubmissionResult(submission.student, assignment.name, str(submission.path), file_digest, status,
                              reason, questions, time.monotonic() - started, output, containment,
                              notebook=assignment.notebook_name)
    result.grader_cpu = time.process_time() - cpu
    return result
