"""``coursekit.check("q1")``: run a question's visible tests in the student's own notebook.

The visible tests come from the ``<set>.checks.json`` file released beside the notebook. Each
test runs on a copy of the notebook's namespace, so a check never changes the student's
variables; the verdict shows which tests passed and the failing assertion's message, never a
traceback of coursekit's own code.
"""
from __future__ import annotations

import html
import inspect
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.release import CHECKS_SUFFIX


class CheckError(LookupError):
    """No released checks file, or no such question."""


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
        lines = [head + (" ✓" if self.passed else "")]
        lines += [f"  ✗ {name}: {message}" for name, ok, message in self.results if not ok]
        return "\n".join(lines)

    def _repr_html_(self):
        colour = "#1a7f37" if self.passed else "#b35900"
        items = "".join(f"<li>{'✔' if ok else '✘'} {html.escape(name)}"
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


def _namespace(depth: int) -> dict:
    try:
        shell = get_ipython()  # noqa: F821 - defined inside IPython
        return shell.user_ns
    except NameError:
        return inspect.stack()[depth].frame.f_globals


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


def check(question: str, folder: str | Path | None = None, _depth: int = 2) -> CheckResult | None:
    if os.environ.get("COURSEKIT_GRADING"):
        return None  # inside the grader the real tests run elsewhere
    try:
        data = _checks(Path(folder or os.getcwd()), question)
    except CheckError as exc:
        print(f"coursekit.check: {exc}")
        return None
    namespace = _namespace(_depth)
    tests = data["questions"][question]["tests"]
    return CheckResult(question, [(t["name"], *_run(t["code"], namespace)) for t in tests])


def check_all(folder: str | Path | None = None) -> list[CheckResult]:
    if os.environ.get("COURSEKIT_GRADING"):
        return []
    try:
        data = _checks(Path(folder or os.getcwd()), None)
    except CheckError as exc:
        print(f"coursekit.check_all: {exc}")
        return []
    results = [check(q, folder, _depth=3) for q in data["questions"]]
    for result in results:
        print(repr(result))
    return results
