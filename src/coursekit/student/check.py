"""``coursekit.check("q1")``: run a question's visible tests in the student's own notebook.

The visible tests come from the ``<set>.checks.json`` file released beside the notebook. Each
test runs on a copy of the notebook's namespace, so a check never changes the student's
variables; the verdict shows which tests passed and the failing assertion's message, never a
traceback of coursekit's own code. A question's tests share a time limit (the grader's, 30 s by
default): an answer that loops forever is stopped with a message and the kernel stays usable.
"""
from __future__ import annotations

import ctypes
import html
import json
import os
import signal
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.release import CHECKS_SUFFIX
from coursekit.grading.confine import Limits

DEFAULT_SECONDS = Limits().question_seconds
PASS, FAIL = "✓", "✗"


class CheckError(LookupError):
    """No released checks file, or no such question."""


class CheckTimeout(BaseException):
    """Raised into the answer's code when the question's time is up.

    A BaseException, like KeyboardInterrupt, so that an ``except Exception`` in the answer cannot
    swallow it; it is raised again every second until the check has stopped.
    """


@dataclass
class CheckResult:
    question: str
    results: list = field(default_factory=list)  # (test name, passed, message)

    @property
    def passed(self) -> bool:
        return all(ok for _, ok, _ in self.results)

    def __repr__(self):
        count = sum(ok for _, ok, _ in self.results)
        head = f"{self.question}: {count}/{len(self.results)} visible tests passed"
        lines = [head + (f" {PASS}" if self.passed else "")]
        lines += [f"  {FAIL} {name}: {message}" for name, ok, message in self.results if not ok]
        return "\n".join(lines)

    def _repr_html_(self):
        colour = "#1a7f37" if self.passed else "#b35900"
        items = "".join(f"<li>{PASS if ok else FAIL} {html.escape(name)}"
                        + (f": <code>{html.escape(message)}</code>" if message else "") + "</li>"
                        for name, ok, message in self.results)
        count = sum(ok for _, ok, _ in self.results)
        return (f"<div style='border-left:4px solid {colour};padding:4px 10px'>"
                f"<strong>{html.escape(self.question)}</strong>: {count}/{len(self.results)} visible tests passed"
                f"<ul style='margin:4px 0'>{items}</ul></div>")


def _checks(folder: Path, question: str | None) -> dict:
    files = sorted(folder.glob(f"*{CHECKS_SUFFIX}"))
    for path in files:
        data = json.loads(path.read_text())
        if question is None or question in data.get("questions", {}):
            return data
    if not files:
        raise CheckError(f"no *{CHECKS_SUFFIX} file in {folder}: open the notebook from its released folder")
    raise CheckError(f"no question {question!r} in {', '.join(p.name for p in files)}")


def _namespace(caller) -> dict:
    """The notebook's variables: IPython's user namespace, or the calling module's globals."""
    try:
        return get_ipython().user_ns  # noqa: F821 - defined inside IPython
    except NameError:
        return caller.f_globals


@contextmanager
def _time_limit(seconds: float):
    """Stop the code running in this thread after ``seconds`` by raising CheckTimeout into it.

    In the main thread on POSIX a timer signal also interrupts sleeps and blocking calls; elsewhere
    (Windows, other threads) the exception is delivered at the next Python instruction.
    """
    def expire(*_):
        raise CheckTimeout()

    if hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGALRM, expire)
        signal.setitimer(signal.ITIMER_REAL, seconds, 1.0)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        return
    target, done = threading.get_ident(), threading.Event()

    def interrupt():
        wait = seconds
        while not done.wait(wait):
            ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), ctypes.py_object(CheckTimeout))
            wait = 1.0

    timer = threading.Thread(target=interrupt, daemon=True)
    timer.start()
    try:
        yield
    finally:
        done.set()
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(target), None)


def _run(code: str, namespace: dict) -> tuple[bool, str]:
    try:
        exec(compile(code, "<visible test>", "exec"), dict(namespace))
    except AssertionError as exc:
        return False, str(exc) or "an assertion failed"
    except NameError as exc:
        return False, f"{getattr(exc, 'name', None) or exc} is not defined: run the cell that defines it first"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""


def _check(question: str, data: dict, namespace: dict, seconds: float) -> CheckResult:
    """Run one question's visible tests within its time limit; tests after a timeout are not run."""
    tests = data["questions"][question]["tests"]
    results, stopped = [], False
    try:
        with _time_limit(seconds):
            for test in tests:
                results.append((test["name"], *_run(test["code"], namespace)))
    except CheckTimeout:
        stopped = len(results) < len(tests)  # not when the time ran out just after the last test
    if stopped:
        names = [t["name"] for t in tests]
        results.append((names[len(results)], False,
                        f"stopped after {seconds:g} s: the code never finished (an endless loop?); the grader "
                        "stops it the same way and the question earns nothing"))
        results += [(name, False, "not run: the time was up") for name in names[len(results):]]
    return CheckResult(question, results)


def check(question: str, folder: str | Path | None = None, timeout: float = DEFAULT_SECONDS) -> CheckResult | None:
    """Run the visible tests of one question against the variables in your notebook.

    ``coursekit.check("q1")`` prints how many of q1's visible tests pass and, for each failing one,
    what it expected. The tests run on a copy of your variables, so a check never changes them.
    Hidden tests are not included: a green check means "no obvious mistake", not full marks.

    Parameters:
        question: the question's id, as in its heading (``"q1"``).
        folder: where the notebook's ``.checks.json`` file is; by default the current folder,
            which is the notebook's own folder in JupyterLab.
        timeout: seconds the question's tests may take together (default 30, as the grader);
            code still running then is stopped and the kernel stays usable.

    Returns the verdict, shown in the notebook, or None (with a message) when there are no checks
    for this question. During grading it does nothing: the grader runs its own tests.
    """
    if os.environ.get("COURSEKIT_GRADING"):
        return None  # inside the grader the real tests run elsewhere
    try:
        data = _checks(Path(folder or os.getcwd()), question)
    except CheckError as exc:
        print(f"coursekit.check: {exc}")
        return None
    return _check(question, data, _namespace(sys._getframe(1)), timeout)


def check_all(folder: str | Path | None = None, timeout: float = DEFAULT_SECONDS) -> list[CheckResult]:
    """Run the visible tests of every question of the set and print one verdict per question.

    Takes the same ``folder`` and per-question ``timeout`` as :func:`check`. Write
    ``coursekit.check_all();`` (with the semicolon) so that the list of results is not shown twice.
    """
    if os.environ.get("COURSEKIT_GRADING"):
        return []
    try:
        data = _checks(Path(folder or os.getcwd()), None)
    except CheckError as exc:
        print(f"coursekit.check_all: {exc}")
        return []
    namespace = _namespace(sys._getframe(1))
    results = [_check(q, data, namespace, timeout) for q in data["questions"]]
    for result in results:
        print(repr(result))
    return results
