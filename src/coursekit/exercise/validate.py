"""Is an exercise sound? It runs cleanly, the reference earns full points, wrong answers do not.

Four checks, each on what a student will meet:

1. the whole source runs top to bottom in a real Jupyter kernel, setup cells included, as an author's
   "Restart kernel and run all" would (every cell first compiled, so a syntax error names its line);
2. the reference solution, graded exactly as a submission is (same sandbox, same tests), earns
   full points, and the blank student version earns none;
3. trivial wrong answers: each name a solution cell defines and its question's tests read is
   replaced in turn by None, 0, an empty list, an empty array, the input unchanged (functions) and
   a zero or empty value of the reference's own type. A question that a trivial answer passes in
   full is a failure (its points are free); a single test that passes one is a warning, because an
   edge-case test (``f([]) == []``) rightly does and is harmless beside tests that check values.

Failures make the source unsound: ``coursekit validate`` exits 1 and release, grade and the book
build refuse it. Warnings are printed and change nothing else.

An nbgrader source is judged by nbgrader's rules: its metadata must be valid (checked when it is
read), it must run, and the reference must pass every test. coursekit's stricter advice (a test
cell without hidden tests, a blank version that already earns points, tests a trivial answer
passes) is a warning for it, since nbgrader allows all of these (0-point practice tests included).
While the source runs in a kernel ``NBGRADER_EXECUTION`` is ``validate``, as under nbgrader validate.
"""
from __future__ import annotations

import ast
import copy
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.parse import SOLUTION, TEST, Assignment, SourceError, cell_label, load_source
from coursekit.exercise.release import student_notebook
from coursekit.grading.confine import Limits
from coursekit.grading.grade import grade_notebook
from coursekit.grading.sandbox import Zygote


@dataclass
class Verdict:
    """What validation found in one source: failures make it unsound, warnings do not."""

    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    malformed: bool = False  # the source could not be read as an exercise at all
    cached: bool = False     # found sound earlier with the same fingerprint, not run again

    @property
    def sound(self) -> bool:
        return not self.failures


def _cell_of(assignment: Assignment, qid: str) -> str:
    """The question's first cell, numbered as in the author's file (an nbgrader header is not in it)."""
    first = next((c for c in assignment.cells if c.question == qid), None)
    offset = getattr(assignment.settings, "header_cells", 0)
    return f"cell {first.index + 1 - offset}" if first else "?"


def _where(assignment: Assignment, qid: str) -> str:
    return f"{assignment.path}: {_cell_of(assignment, qid)} (question {qid})"


def _python(code: str) -> str:
    """A cell's code as the kernel compiles it (magics and shell escapes turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(code)


def syntax_problems(assignment: Assignment) -> list[str]:
    """Every code cell compiles; an error names the cell, the line and the code on it."""
    found = []
    for index, cell in enumerate(assignment.notebook.cells):
        if cell.cell_type != "code":
            continue
        try:
            compile(_python(cell.source), "<cell>", "exec")
        except SyntaxError as exc:
            lines = cell.source.splitlines()
            code = lines[exc.lineno - 1].strip() if exc.lineno and exc.lineno <= len(lines) else ""
            found.append(f"{assignment.path}: {cell_label(index, cell.source)}, line {exc.lineno}: "
                         f"{exc.msg}" + (f": {code}" if code else ""))
    return found


def run_problems(assignment: Assignment, timeout: float) -> list[str]:
    """Run the source in a real kernel, in a scratch copy of its folder: the first error outside tests.

    A failing test cell is left to the grading check, which names the failing assertion.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellTimeoutError

    from coursekit.kernel import ipc_config
    nb = copy.deepcopy(assignment.notebook)
    started: list[int] = []
    with tempfile.TemporaryDirectory(prefix="coursekit-validate-") as folder, _execution_mode("validate"):
        for data_file in assignment.shipped_files():
            shutil.copy2(data_file, Path(folder) / data_file.name)
        try:
            with ipc_config() as config:
                # the kernel's own log (ipykernel reports a race of its sockets at shutdown now and
                # then, with a traceback) is not the author's business: cells report through Jupyter
                NotebookClient(nb, config=config, timeout=int(timeout), allow_errors=True,
                               resources={"metadata": {"path": folder}},
                               on_cell_start=lambda cell, cell_index: started.append(cell_index)
                               ).execute(stderr=subprocess.DEVNULL)
        except CellTimeoutError:
            where = cell_label(started[-1], nb.cells[started[-1]].source) if started else "a cell"
            return [f"{assignment.path}: {where} did not finish within {timeout:g} s"]
        except Exception as exc:  # the kernel could not start: no kernelspec, a broken environment
            return [f"{assignment.path}: could not run the source in a Jupyter kernel: "
                    f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"]
    tests = {c.index for c in assignment.cells if c.role == TEST}
    for index, cell in enumerate(nb.cells):
        for output in [] if index in tests else cell.get("outputs", []):
            if output.get("output_type") == "error":
                return [f"{assignment.path}: {cell_label(index, cell.source)} raised "
                        f"{output.get('ename')}: {output.get('evalue')}".rstrip(": ")]
    return []


class _execution_mode:
    """``NBGRADER_EXECUTION`` set for kernels started inside the block (sources may read it), then restored."""

    def __init__(self, mode: str):
        self.mode, self.saved = mode, None

    def __enter__(self):
        self.saved = os.environ.get("NBGRADER_EXECUTION")
        os.environ["NBGRADER_EXECUTION"] = self.mode

    def __exit__(self, *exc):
        if self.saved is None:
            os.environ.pop("NBGRADER_EXECUTION", None)
        else:
            os.environ["NBGRADER_EXECUTION"] = self.saved


def grading_problems(assignment: Assignment, zygote: Zygote, limits: Limits) -> Verdict:
    """The reference earns full points and the blank student version none, graded as submissions are.

    For an nbgrader source only the reference's points are a failure (see the module's docstring).
    """
    verdict = Verdict()
    advice = verdict.warnings if assignment.format == "nbgrader" else verdict.failures
    found = verdict.failures
    manual = {q.id for q in assignment.questions if q.manual}
    for q in assignment.questions:
        if q.manual:
            continue
        if not q.hidden_tests:
            advice.append(f"{_where(assignment, q.id)}: has no hidden test")
        if not q.visible_tests or not any(t.code.strip() for t in q.visible_tests):
            advice.append(f"{_where(assignment, q.id)}: has no visible test")
    if len(manual) == len(assignment.questions):
        return verdict  # only manually graded questions: nothing for the grader to check
    reference, _, _ = grade_notebook(assignment, assignment.notebook, zygote, limits, show_hidden=True)
    for result in reference:
        if result.question in manual:
            continue
        if result.points < result.max_points:
            failing = "; ".join(line for line in result.feedback.splitlines() if "failed" in line or "raised" in line)
            found.append(f"{_where(assignment, result.question)}: the reference solution earns {result.points:g}/"
                         f"{result.max_points:g} ({failing or result.status})")
    blank, _, _ = grade_notebook(assignment, student_notebook(assignment), zygote, limits, show_hidden=True)
    for result in blank:
        if result.points > 0 and result.question not in manual:
            advice.append(f"{_where(assignment, result.question)}: the blank student version already earns "
                          f"{result.points:g}/{result.max_points:g}; its tests pass without an answer")
    return verdict


# Trivial wrong answers, as Python expressions run in the student's process: ``ref()`` is the
# reference's value (or its result for this call), ``args`` the call's positional arguments.
TRIVIAL = {
    "None": "None",
    "0": "0",
    "an empty list": "[]",
    "an empty array": "__import__('numpy').empty((0,) + __import__('numpy').shape(ref())[1:])",
    "its input unchanged": "args[0] if args else None",
    "a zero or empty value of the right type": "_coursekit_blank(ref())",
}
FUNCTIONS_ONLY = {"its input unchanged"}

_STUB_PRELUDE = '''
def _coursekit_blank(value):
    kind = type(value)
    if kind.__module__.split(".")[0] == "pandas":
        return value.iloc[0:0]
    if kind.__name__ == "ndarray":
        return __import__("numpy").zeros_like(value)
    try:
        return kind()
    except Exception:
        return None

def _coursekit_trivial(answer):
    def value(ref, args):
        return {expression}
    if callable(answer) and not isinstance(answer, type):
        def stub(*args, **kwargs):
            return value(lambda: answer(*args, **kwargs), args)
        stub.__name__ = getattr(answer, "__name__", "stub")
        return stub
    return value(lambda: answer, ())
'''


def _defined_names(code: str, functions_only: bool = False) -> list[str]:
    """Names a cell binds at its top level by ``def`` (or assignment): what a question asks for."""
    try:
        tree = ast.parse(_python(code))
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not functions_only:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names += [n.id for n in ast.walk(target) if isinstance(n, ast.Name)]
    return list(dict.fromkeys(names))


def _answer_names(assignment: Assignment, functions_only: bool = False) -> dict[str, dict[int, list[str]]]:
    """Per question, per solution cell (by its place in the source): the names it defines that the question's tests read."""
    from coursekit.grading.evaluate import free_names
    found: dict[str, dict[int, list[str]]] = {}
    for cell in assignment.cells:
        if cell.role != SOLUTION or cell.question is None:
            continue
        question = assignment.question(cell.question)
        read = set()
        for test in question.tests:
            try:
                read.update(free_names(test.code))
            except SyntaxError:
                continue
        names = [n for n in _defined_names(cell.source, functions_only) if n in read]
        if names:
            found.setdefault(cell.question, {})[cell.index] = names
    return found


def _with_trivial_answers(assignment: Assignment, answers: dict, expression: str):
    """The source notebook with each answer name rebound, at the end of its cell, to a trivial value."""
    nb = copy.deepcopy(assignment.notebook)
    cells = {index: names for per_question in answers.values() for index, names in per_question.items()}
    prelude = _STUB_PRELUDE.format(expression=expression)
    for index, cell in enumerate(nb.cells):
        names = cells.get(index)
        if names and cell.cell_type == "code":
            rebind = "\n".join(f"{name} = _coursekit_trivial({name})" for name in names)
            cell.source = f"{cell.source}\n{prelude}\n{rebind}\n"
    return nb


def trivial_answer_findings(assignment: Assignment, zygote: Zygote, limits: Limits) -> Verdict:
    """Tests that trivial wrong answers pass: failures for a whole question, warnings for one test."""
    verdict = Verdict()
    reported: set[str] = set()
    full: set[str] = set()
    functions = {n for per_question in _answer_names(assignment, True).values()
                 for names in per_question.values() for n in names}
    for label, expression in TRIVIAL.items():
        functions_only = label in FUNCTIONS_ONLY
        answers = _answer_names(assignment, functions_only)
        if not answers:
            continue
        nb = _with_trivial_answers(assignment, answers, expression)
        results, _, _ = grade_notebook(assignment, nb, zygote, limits, show_hidden=True)
        for result in results:
            names = [n for per_cell in answers.get(result.question, {}).values() for n in per_cell]
            if not names or result.question in full:
                continue
            if len(names) == 1:
                when = f"{names[0]} {'returns' if names[0] in functions else 'is'} {label}"
            else:
                when = f"the answers {', '.join(names)} are all replaced by {label}"
            if result.max_points > 0 and result.points >= result.max_points:
                full.add(result.question)
                verdict.failures.append(f"{_where(assignment, result.question)}: every test passes when {when}: "
                                        f"a wrong answer earns full points; test the values")
                continue
            for outcome in result.tests:
                if outcome.passed and outcome.name not in reported:
                    reported.add(outcome.name)
                    verdict.warnings.append(f"{_where(assignment, result.question)}: {outcome.name} passes when {when}")
    return verdict


def validate(assignment: Assignment, zygote: Zygote, limits: Limits) -> Verdict:
    """All checks on one parsed source; a source that does not run is not graded (one cause, one line)."""
    failures = syntax_problems(assignment) or run_problems(assignment, limits.question_seconds)
    if failures:
        return Verdict(failures)
    verdict = grading_problems(assignment, zygote, limits)
    if verdict.sound:
        trivial = trivial_answer_findings(assignment, zygote, limits)
        verdict.failures += [] if assignment.format == "nbgrader" else trivial.failures
        verdict.warnings += (trivial.failures if assignment.format == "nbgrader" else []) + trivial.warnings
    verdict.warnings += inline_solution_leaks(assignment)
    return verdict


def inline_solution_leaks(assignment: Assignment) -> list[str]:
    """nbgrader reads no ``# SOLUTION`` comments: such a line left in a student cell ships as written."""
    if assignment.format != "nbgrader":
        return []
    from coursekit.exercise.parse import INLINE_SOLUTION
    found = []
    offset = getattr(assignment.settings, "header_cells", 0)
    for cell in assignment.cells:
        for line in (cell.student_source or "").splitlines():
            if INLINE_SOLUTION.match(line):
                found.append(f"{assignment.path}: {cell_label(cell.index - offset, cell.source)}: {line.strip()!r} "
                             "reaches students as written (nbgrader has no '# SOLUTION' comment); put it between "
                             "### BEGIN SOLUTION and ### END SOLUTION")
    return found


def misnamed(path: Path) -> str | None:
    """A warning for a source in an ``exercises/<set>/`` folder that the book build would skip."""
    path = Path(path)
    if path.parent.parent.name == "exercises" and path.stem != path.parent.name:
        return (f"{path}: the book build skips this set: the notebook must be named after its folder "
                f"({path.parent / (path.parent.name + '.ipynb')})")
    return None


def fingerprint(source: Path, limits: Limits) -> str:
    """What a verdict depends on: the source and the files beside it, the career data, coursekit's code."""
    import coursekit  # noqa: F401 - its folder holds the code below
    from coursekit.careers import default_path
    from coursekit.exercise.course import course_root
    sha = hashlib.sha256(repr(limits.as_dict()).encode())
    course = course_root(Path(source))  # an nbgrader course: its config, templates and header count too
    shared = [p for p in ([course / "nbgrader_config.py", course / "autotests.yml"] + sorted((course / "source").iterdir())
                          if course else []) if p.is_file()]
    for path in sorted(p for p in Path(source).parent.iterdir() if p.is_file()) + shared + [default_path()]:
        sha.update(path.name.encode() + path.read_bytes())
    package = Path(coursekit.__file__).parent  # the code that parses, runs and grades a source
    for path in sorted([*package.glob("exercise/*.py"), *package.glob("grading/*.py"), package / "kernel.py",
                        package / "data" / "autotests.yml"]):
        sha.update(path.read_bytes())
    return sha.hexdigest()


def user_cache() -> Path:
    """Where release and grade remember sound sources, so that grading again starts at once."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "coursekit" / "validated.json"


def _read_cache(cache: Path) -> dict:
    try:
        stamps = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}
    return stamps if isinstance(stamps, dict) else {}


def _write_cache(cache: Path, fresh: dict) -> None:
    """Merge ``fresh`` stamps into the cache file, replacing it atomically (graders may run side by side)."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        temporary = cache.with_name(f".{cache.name}.{os.getpid()}")
        temporary.write_text(json.dumps({**_read_cache(cache), **fresh}, indent=1))
        os.replace(temporary, cache)
    except OSError:
        pass  # a cache that cannot be written only costs time


def validate_paths(paths: list[str | Path], limits: Limits | None = None,
                   zygote: Zygote | None = None, assignment: str | None = None,
                   cache: Path | None = None, rerun: bool = False) -> dict[str, Verdict]:
    """A verdict per source file; a malformed source is one failure naming the file and the cell.

    ``zygote`` may be a fork server the caller already started (``coursekit grade`` does);
    ``assignment`` names the nbgrader assignment the notebooks belong to (see load_source). With a
    ``cache`` file, a source found sound before with the same fingerprint is not run again (its
    warnings are kept); ``rerun`` runs every source anyway and only records the sound ones.
    """
    limits = limits or Limits(question_seconds=60)
    stamps = _read_cache(cache) if cache else {}
    report, fresh = {}, {}
    own = zygote is None
    try:
        for path in paths:
            key = f"{Path(path).resolve()}|{assignment or ''}"
            current = fingerprint(Path(path), limits) if cache and Path(path).is_file() else None
            stamp = stamps.get(key)
            if current and not rerun and isinstance(stamp, dict) and stamp.get("fingerprint") == current:
                report[str(path)] = Verdict(warnings=list(stamp.get("warnings", [])), cached=True)
                continue
            try:
                source = load_source(path, assignment)
            except SourceError as exc:
                report[str(path)] = Verdict([str(exc)], malformed=True)
                continue
            zygote = zygote or Zygote()  # started only when a source is run
            verdict = validate(source, zygote, limits)
            if misnamed(path):
                verdict.warnings.append(misnamed(path))
            report[str(path)] = verdict
            if current and verdict.sound:
                fresh[key] = {"fingerprint": current, "warnings": verdict.warnings}
    finally:
        if own and zygote is not None:
            zygote.close()
    if fresh:
        _write_cache(cache, fresh)
    return report
