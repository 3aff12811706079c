"""Evaluate an instructor's test in the grader's own process, on values fetched by value.

The test's free names are looked up in the student's namespace once, before it runs: data
arrives decoded from plain data, the student's functions become :class:`RemoteFunction` proxies
whose calls cross by value too, and modules are imported here by name. Builtins, NumPy, pandas
and every assertion are the grader's own, so nothing the student patched can make a test pass.
"""
from __future__ import annotations

import ast
import builtins
import sys
from dataclasses import dataclass
from functools import lru_cache

from coursekit.grading import codec
from coursekit.grading.sandbox import Sandbox, SandboxDied, SandboxTimeout


class StudentError(Exception):
    """The student's function raised; the test fails with this message."""


@dataclass
class TestOutcome:
    name: str
    hidden: bool
    passed: bool
    message: str = ""
    weight: float = 1.0


@lru_cache(maxsize=4096)
def free_names(code: str) -> tuple[str, ...]:
    """Names a test reads but neither defines nor gets from builtins: those come from the student."""
    tree = ast.parse(code)
    loaded, bound = [], set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            (loaded.append(node.id) if isinstance(node.ctx, ast.Load) else bound.add(node.id))
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            bound.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.ExceptHandler) and node.name:
            bound.add(node.name)
    return tuple(n for n in dict.fromkeys(loaded) if n not in bound and not hasattr(builtins, n))


@lru_cache(maxsize=4096)
def _compiled(code: str, filename: str):
    """Tests are the same for every submission: compile each once per grading run."""
    return compile(code, filename, "exec")


class RemoteFunction:
    """A student's function, called in the student's process with arguments passed by value."""

    def __init__(self, sandbox: Sandbox, name: str, deadline: float):
        self._sandbox, self._name, self._deadline = sandbox, name, deadline

    def __call__(self, *args, **kwargs):
        reply = self._sandbox.request({"op": "call", "name": self._name,
                                       "args": [codec.encode(a) for a in args],
                                       "kwargs": {k: codec.encode(v) for k, v in kwargs.items()}},
                                      self._deadline)
        if not reply.get("ok"):
            error = reply.get("error") or {}
            raise StudentError(f"{self._name}() raised {error.get('type', 'an error')}: {error.get('message', '')}")
        return codec.decode(reply.get("value"))

    def __repr__(self):
        return f"<your function {self._name}>"


def fetch(sandbox: Sandbox, names: tuple[str, ...], deadline: float) -> dict:
    """The student's values for ``names``; names the student never defined are left out."""
    if not names:
        return {}
    reply = sandbox.request({"op": "get", "names": list(names)}, deadline)
    values = {}
    for name, data in (reply.get("values") or {}).items():
        if name not in names or isinstance(data, dict) and "__missing__" in data:
            continue
        if isinstance(data, dict) and "__function__" in data:
            values[name] = RemoteFunction(sandbox, name, deadline)
        elif isinstance(data, dict) and "__module__" in data:
            # Only modules the grader has already imported: a name from the student never
            # makes the grader import anything new.
            module = sys.modules.get(str(data["__module__"]))
            if module is not None:
                values[name] = module
        else:
            try:
                values[name] = codec.decode(data)
            except (codec.CodecError, ValueError, TypeError, KeyError):
                values[name] = codec.Unsupported("unknown", "it could not be decoded")
    return values


def _assertion_line(code: str, exc: BaseException, filename: str) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    lines = code.splitlines()
    if line and 0 < line <= len(lines):
        return lines[line - 1].strip()
    return ""


def run_test(code: str, name: str, sandbox: Sandbox, deadline: float) -> tuple[bool, str]:
    """Run one test; (passed, message). Sandbox deaths and timeouts propagate to the caller."""
    filename = f"<test {name}>"
    try:
        compiled = _compiled(code, filename)
    except SyntaxError as exc:
        return False, f"the test itself does not compile ({exc.msg}); tell your instructor"
    namespace = {"__builtins__": builtins, "__name__": "__coursekit_test__"}
    namespace.update(fetch(sandbox, free_names(code), deadline))
    try:
        exec(compiled, namespace)
    except (SandboxDied, SandboxTimeout):
        raise
    except AssertionError as exc:
        message = str(exc) or f"assertion failed: {_assertion_line(code, exc, filename)}"
        return False, message
    except StudentError as exc:
        return False, str(exc)
    except NameError as exc:
        missing = getattr(exc, "name", None) or str(exc)
        return False, f"{missing} is not defined: did you run the cell that defines it?"
    except (codec.CodecError,) as exc:
        return False, f"a value could not be checked ({exc})"
    except Exception as exc:
        return False, f"{type(exc).__name__}: {exc}"
    return True, ""
