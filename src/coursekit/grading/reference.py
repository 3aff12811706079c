"""The source's own run: the values its setup cells give, which tests see whatever the student rebinds.

A hidden test that reads ``treatment`` from the notebook must see the instructor's data, not a
tiny array the student put under that name. So the source's setup and reference solution cells
run once per grading process in a sandbox of their own, and every setup name whose value (plain
data) no reference solution changes is *fixed*: tests read it from here. Names a question asks the
student to define, or that the reference changes in place, stay the student's.
"""
from __future__ import annotations

import ast
import json

from coursekit.exercise.parse import SETUP, SOLUTION, Assignment, strip_markers
from coursekit.grading import codec
from coursekit.grading.confine import Limits
from coursekit.grading.sandbox import Sandbox, SandboxDied, SandboxTimeout, Zygote

MAX_FIXED_BYTES = 16 << 20
# What a kernel run by nbgrader's autograder has in its environment; sources may test for it.
PRELUDE = "import os as _ck_os\n_ck_os.environ['NBGRADER_EXECUTION'] = 'autograde'\ndel _ck_os"
_cache: dict[int, tuple[Assignment, dict]] = {}


def bound_names(code: str) -> set[str]:
    """Names a cell binds at its top level (assignments, definitions, imports, loop targets)."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()
    names: set[str] = set()

    def visit(node):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            return
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            return
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return names


def _plain(encoded) -> bool:
    text = json.dumps(encoded)
    return len(text) <= MAX_FIXED_BYTES and not any(tag in text for tag in ('"__ref__"', '"__gref__"', '"__unsupported__"'))


def fixed_setup_values(assignment: Assignment, zygote: Zygote, limits: Limits) -> dict:
    """Values of the setup names tests must take from the source (computed once per process; tests get copies)."""
    cached = _cache.get(id(assignment))
    if cached is not None and cached[0] is assignment:
        return cached[1]
    values = _compute(assignment, zygote, limits)
    _cache[id(assignment)] = (assignment, values)
    return values


def _compute(assignment: Assignment, zygote: Zygote, limits: Limits) -> dict:
    solution_names: set[str] = set()
    for cell in assignment.cells:
        if cell.role == SOLUTION:
            solution_names |= bound_names(strip_markers(cell.source))
    sandbox = Sandbox(zygote, limits, assignment.shipped_files())
    first: dict = {}
    try:
        sandbox.start()
        sandbox.request({"op": "exec", "code": PRELUDE, "cell": "source"}, _deadline(limits))
        for cell in assignment.cells:
            if cell.cell_type != "code" or cell.role not in (SETUP, SOLUTION):
                continue
            code = cell.source if cell.role == SETUP else strip_markers(cell.source)
            deadline = _deadline(limits)
            reply = sandbox.request({"op": "exec", "code": code, "cell": "source"}, deadline)
            if not reply.get("ok"):
                return {}
            if cell.role == SETUP:
                names = sorted(bound_names(code) - solution_names)
                got = sandbox.request({"op": "get", "names": names}, deadline).get("values") or {}
                first.update({n: v for n, v in got.items() if not (isinstance(v, dict) and "__missing__" in v)})
        last = sandbox.request({"op": "get", "names": sorted(first)}, _deadline(limits)).get("values") or {}
    except (SandboxDied, SandboxTimeout, RuntimeError):
        return {}
    finally:
        sandbox.kill()
    return {name: codec.decode(value) for name, value in first.items()
            if name in last and json.dumps(last[name]) == json.dumps(value) and _plain(value)}


def _deadline(limits: Limits) -> float:
    import time
    return time.monotonic() + limits.question_seconds
