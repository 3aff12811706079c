"""Evaluate an instructor's test in the grader's own process, as it would run in the notebook's kernel.

All of one submission's test cells share one namespace, in order, as in Jupyter. A name the test
reads and did not define comes from the student's namespace when it is read (by value, or as a
handle, see :mod:`coursekit.grading.remote`), except the values the source's setup cells define,
which come from the source's own run so that rebinding them earns nothing. A student name the test
reads and then rebinds or deletes (nbgrader's "check that it uses squares" idiom) is rebound or
deleted in the student's namespace too. The test runs in a copy of the student's work folder and
its printed output is kept for the feedback. Builtins, NumPy, pandas and every assertion are the
grader's own, so nothing the student patched can make a test pass.
"""
from __future__ import annotations

import ast
import builtins
import contextlib
import copy
import functools
import io
import os
import sys
import threading
import types
from collections.abc import MutableMapping
from dataclasses import dataclass
from functools import lru_cache

from coursekit.exercise.parse import uses_ipython_syntax
from coursekit.grading import codec
from coursekit.grading.guard import files_of
from coursekit.grading.remote import Session, is_student_exception, test_super
from coursekit.grading.sandbox import SandboxDied, SandboxTimeout
from coursekit.grading.student_process import LENT_BUILTINS, QuietShell

MAX_TEST_OUTPUT = 64 * 1024


@dataclass
class TestOutcome:
    name: str
    hidden: bool
    passed: bool
    message: str = ""
    weight: float = 1.0
    output: str = ""
    shown: str | None = None  # the text of the value the cell ends with, as a kernel would display it


@lru_cache(maxsize=4096)
def free_names(code: str) -> tuple[str, ...]:
    """Names a test reads but neither defines nor gets from builtins: those come from the student."""
    tree = ast.parse(as_python(code))
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
def assigned_names(code: str) -> frozenset[str]:
    """Names a cell binds at its top level by assignment, ``def``, ``class``, ``for`` or ``with``
    (not by import: a module a test imported stays the grader's own)."""
    try:
        tree = ast.parse(as_python(code))
    except SyntaxError:
        return frozenset()
    names, pending = set(), list(tree.body)
    while pending:
        node = pending.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp,
                             ast.Import, ast.ImportFrom)):
            continue  # their names are their own, or modules
        if isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        pending.extend(ast.iter_child_nodes(node))
    return frozenset(names)


@lru_cache(maxsize=4096)
def imported_names(code: str) -> frozenset[str]:
    """Names a cell binds by import (``import random``, ``from math import sqrt``)."""
    try:
        tree = ast.parse(as_python(code))
    except SyntaxError:
        return frozenset()
    return frozenset((alias.asname or alias.name).split(".")[0] for node in ast.walk(tree)
                     if isinstance(node, (ast.Import, ast.ImportFrom)) for alias in node.names)


@lru_cache(maxsize=4096)
def as_python(code: str) -> str:
    """A test cell may use IPython syntax (``%matplotlib inline``, ``%time``), as it can in nbgrader's
    kernel: such a cell is translated to Python (see QuietShell for what each magic does)."""
    if uses_ipython_syntax(code):
        from IPython.core.inputtransformer2 import TransformerManager
        return TransformerManager().transform_cell(code)
    return code


@lru_cache(maxsize=4096)
def _compiled(code: str, filename: str) -> tuple:
    """Tests are the same for every submission: compile each once per grading run. A cell that ends
    with an expression (and no ``;``) has it compiled apart, to display its value as a kernel does
    (nbgrader reads a number there as partial credit)."""
    source = as_python(code)
    tree = ast.parse(source, filename)
    last = tree.body[-1] if tree.body else None
    if not isinstance(last, ast.Expr) or source.rstrip().endswith(";"):
        return compile(tree, filename, "exec"), None
    body = ast.Module(body=tree.body[:-1], type_ignores=[])
    return compile(body, filename, "exec"), compile(ast.Expression(last.value), filename, "eval")


def _display(*objects, **kwargs):
    """IPython's ``display`` as a test sees it in a kernel: the objects' text, printed."""
    for obj in objects:
        print(repr(obj))


class TestBuiltins(dict):
    """The builtins a test sees: Python's own, read when used (so a test's ``mock.patch`` of one
    shows), and an ``import`` that also finds the modules the student wrote in the work folder,
    as handles on them in the student's process (the grader never imports a student's file)."""

    def __init__(self, session: Session, scope: "TestScope"):
        super().__init__(__import__=self.import_module, dir=self.dir)
        self.session, self.scope = session, scope

    def dir(self, *args):
        """``dir()`` in a test cell lists the student's names too, as one kernel namespace would."""
        if args:
            return builtins.dir(*args)
        names = sys._getframe(1).f_locals
        if names is not self.scope:
            return sorted(names)
        return sorted(set(self.scope.globals) | set(self.session.ask("names")))

    def __missing__(self, name):
        try:
            return getattr(builtins, name)
        except AttributeError:
            raise KeyError(name) from None

    def import_module(self, name, globals=None, locals=None, fromlist=(), level=0):
        try:
            module = builtins.__import__(name, globals, locals, fromlist, level)
            redirect_loaders()  # a test's ``import joblib``: its load too
            return module
        except ModuleNotFoundError as missing:
            if level or missing.name != name.partition(".")[0] or not self.session.written_by_student(name):
                raise
        return self.session.student_module(name, fromlist)


# --- unpickling, never here ------------------------------------------------------------------
# A test may load a model or a frame the student's code saved (``joblib.load('model.joblib')``).
# Unpickling runs whatever the bytes name, so it happens in the student's process, which also has
# the student's classes; the test gets the result by value or as a handle. guard.py refuses any
# other unpickling in a test (``pickle.Unpickler(f).load()``).
_LOADERS = (("pickle", "load", "pickle"), ("pickle", "loads", "pickle"), ("joblib", "load", "joblib"),
            ("pandas", "read_pickle", "pandas"))
_running = threading.local()  # the session of the test running on this thread, if any


def _pickled_bytes(source) -> bytes:
    if isinstance(source, (bytes, bytearray, memoryview)):
        return bytes(source)
    if hasattr(source, "read"):
        return source.read()
    with open(source, "rb") as handle:  # guard.py: only the test's work folder
        return handle.read()


def _loader_in_student(original, kind: str):
    @functools.wraps(original)
    def load(source, *args, **kwargs):
        session = getattr(_running, "session", None)
        if session is None:  # not a test (another thread of the grader): the library's own
            return original(source, *args, **kwargs)
        compression = None
        if kind == "pandas":
            compression = kwargs.get("compression", "infer")
            if compression == "infer":
                compression = sys.modules["pandas"].io.common.infer_compression(
                    source if isinstance(source, (str, os.PathLike)) else None, "infer")
        return session.ask("unpickle", value=_pickled_bytes(source), loader=kind, compression=compression)
    load._ck_original = original
    return load


def redirect_loaders() -> None:
    """The loaders of the libraries imported so far load in the student's process during tests."""
    for module_name, attribute, kind in _LOADERS:
        module = sys.modules.get(module_name)
        current = getattr(module, attribute, None)
        if current is not None and not hasattr(current, "_ck_original"):
            setattr(module, attribute, _loader_in_student(current, kind))


class TestMain(types.ModuleType):
    """``__main__`` while a test cell runs: the notebook's namespace, as in a kernel, so that
    ``mock.patch('__main__.helper', wraps=helper)`` replaces the student's ``helper`` for the
    student's code too, and ``import __main__`` reads the student's names."""

    def __init__(self, scope: "TestScope"):
        super().__init__("__main__")
        object.__setattr__(self, "_ck_scope", scope)

    def __getattr__(self, name):
        try:
            return self._ck_scope[name]
        except KeyError:
            raise AttributeError(f"module '__main__' has no attribute {name!r}") from None

    def __setattr__(self, name, value):
        self._ck_scope[name] = value

    def __delattr__(self, name):
        try:
            del self._ck_scope[name]
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self):
        return sorted(set(self._ck_scope.globals) | set(self._ck_scope.session.ask("names")))


class TestGlobals(dict):
    """The globals of test code: the test's own names, and the student's read when asked for, as in
    one kernel namespace (``globals()['answer']``, ``'answer' in globals()``, a helper function the
    test defines that reads a student's name)."""

    def __init__(self, scope: "TestScope", **names):
        super().__init__(**names)
        self.scope = scope

    def __missing__(self, name):
        return self.scope.student_value(name)

    def __contains__(self, name):
        return dict.__contains__(self, name) or self.scope.student_has(name)


class TestScope(MutableMapping):
    """The namespace test cells run in: the test's own names, and the student's read on demand."""

    def __init__(self, session: Session, fixed: dict | None = None, read_by_answers: frozenset = frozenset()):
        """``read_by_answers``: names the source's answers read from the notebook without defining
        them (``SCALE``, a helper a test cell defines): a test's binding of one is the student's
        code's too, as in one kernel namespace. Other names a test binds stay here, where the
        student's code cannot read a hidden test's expected values."""
        self.session = session
        shell = QuietShell(self, may_run_files=False)  # %run would run a student's file in the grader
        self.globals = TestGlobals(self, __builtins__=TestBuiltins(session, self), __name__="__main__",
                                   get_ipython=lambda: shell, display=_display, super=test_super)
        self.own: set[str] = {"get_ipython", "display", "super"}  # names a test cell bound (or a kernel provides)
        self.student: set[str] = set()      # names whose value is the student's
        self.borrowed: set[str] = set()     # names ever read from the student: rebinding them reaches it
        self.read_by_answers = read_by_answers
        self.fixed = dict(fixed or {})      # setup values from the source's own run
        self.fixed_now: dict = {}
        self.fixed_texts: dict[str, str | None] = {}
        # mutable values the test holds by value, with their encoding as the student's process also
        # has them; and those of them test code read since they were last compared
        self.shared: dict[str, tuple] = {}
        self.touched: set[str] = set()
        session.on_refresh = self.refresh
        session.on_send = self.changes
        self.main = TestMain(self)
        shell.run_globals = self.globals

    def begin(self, code: str) -> None:
        """Before a test cell: fetch its free names in one round trip (this also syncs files and random state)."""
        self.fixed_now = {}
        names = free_names(code)
        for name in names:  # a fresh copy, also for functions and comprehensions that read it
            if name in self.fixed and name not in self.own and name not in self.student:
                self.fixed_value(name)
        wanted = [n for n in names if n not in self.own and n not in self.fixed]
        values = self.session.ask("get", names=wanted)
        for name, data in values.items():
            if name in wanted:
                self.take(name, data)

    def take(self, name: str, data) -> None:
        if isinstance(data, dict) and "__missing__" in data:
            self.student.discard(name)
            if name not in self.own:
                self.globals.pop(name, None)
            return
        try:
            value = self.session.decode(data)
        except codec.CodecError:
            value = codec.Unsupported("unknown", "it could not be decoded")
        self.student.add(name)
        self.borrowed.add(name)
        self.own.discard(name)
        self.globals[name] = value
        self.agree(name, value)

    def _text(self, value) -> str | None:
        try:
            return codec.dumps(self.session.encode(value))
        except Exception:  # a value that cannot be compared is not followed
            return None

    def agree(self, name: str, value, text: str | None = None) -> None:
        """The student's process holds ``value`` under ``name`` too: if it is mutable, remember its
        encoding, to notice the test changing it in place."""
        self.touched.discard(name)
        text = text if text is not None or not codec.changes_in_place(value) else self._text(value)
        if text is None:
            self.shared.pop(name, None)
        else:
            self.shared[name] = (value, text)

    def changes(self, arguments: tuple = ()) -> dict:
        """The student's values that test code changed in place since they last agreed (a test's
        ``cart.clear()`` before it calls ``add_item``), to send with the next request: in a kernel
        the test and the student's code share one namespace. A value that is an argument of the
        request crosses as one anyway; it is compared at a later request."""
        if not self.touched:
            return {}
        passed = {id(a) for a in arguments}
        changed = {}
        for name in list(self.touched):
            value, text = self.shared.get(name, (None, None))
            if value is None or dict.get(self.globals, name) is not value:
                self.touched.discard(name)
                continue
            if id(value) in passed:
                continue
            self.touched.discard(name)
            try:
                encoded = self.session.encode(value)
                now = codec.dumps(encoded)
            except Exception:
                continue
            if now != text:
                changed[name] = encoded
                self.shared[name] = (value, now)
                # the instructor's setup value changed by the test: from now on one value, shared
                self.student.add(name)
                self.borrowed.add(name)
        return changed

    def end(self) -> None:
        """After a test cell: the next one gets fresh copies of the setup values, so this one's
        changes to them are not sent (the student's names it changed and shares still are)."""
        for name in [n for n in self.shared if n in self.fixed and n not in self.student]:
            del self.shared[name]
            self.touched.discard(name)

    def refresh(self, fresh: dict) -> None:
        """Student code changed names the test has read: the test sees the new values."""
        for name, data in fresh.items():
            if name in self.student:
                self.take(name, data)

    def forget(self, names) -> None:
        """The student's cell rebound names a test cell had bound: in one kernel namespace, later
        tests read the student's value."""
        for name in names:
            if name in self.own:
                self.own.discard(name)
                self.globals.pop(name, None)

    def snapshot(self) -> tuple:
        return (dict(self.globals), set(self.own), set(self.student), set(self.borrowed), dict(self.shared),
                set(self.touched))

    def restore(self, saved: tuple) -> None:
        """Back to the snapshot, values a (hidden) test changed in place included: they would
        otherwise reach the student's process with the next request."""
        self.globals.clear()
        self.globals.update(saved[0])
        self.own, self.student, self.borrowed = (set(s) for s in saved[1:4])
        self.shared, self.touched = dict(saved[4]), set(saved[5])
        self.fixed_now = {}
        for name, (value, text) in list(self.shared.items()):
            if dict.get(self.globals, name) is not value or self._text(value) == text:
                continue
            try:
                self.globals[name] = agreed = self.session.decode(codec.loads(text))
                self.shared[name] = (agreed, text)
            except codec.CodecError:
                self.globals.pop(name, None)
                del self.shared[name]

    def fixed_value(self, name: str):
        """A fresh copy per test cell: what one test does to the instructor's data, the next does not see."""
        if name not in self.fixed_now:
            self.fixed_now[name] = copy.deepcopy(self.fixed[name])
            self.globals[name] = self.fixed_now[name]
            if name not in self.fixed_texts:  # the instructor's value, as the student's setup cell made it
                pristine = self.fixed[name]
                self.fixed_texts[name] = self._text(pristine) if codec.changes_in_place(pristine) else None
            self.agree(name, self.fixed_now[name], self.fixed_texts[name])
        return self.fixed_now[name]

    def __getitem__(self, name):
        if name in self.shared:
            self.touched.add(name)
        if name in self.own or name in self.student:
            return self.globals[name]
        return self.student_value(name)

    def student_value(self, name):
        """A name no test cell bound: the setup's value or the student's (KeyError: neither has it)."""
        if name in self.fixed:
            return self.fixed_value(name)
        if name.startswith("__") or hasattr(builtins, name):
            raise KeyError(name)
        self.take(name, self.session.ask("get", names=[name]).get(name, {"__missing__": name}))
        if name not in self.student:
            raise KeyError(name)
        return dict.__getitem__(self.globals, name)

    def student_has(self, name) -> bool:
        try:
            self.student_value(name)
        except KeyError:
            return False
        return True

    def __setitem__(self, name, value):
        if getattr(value, "__name__", None) == "matplotlib.pyplot" and type(value).__name__ == "module":
            value = self.session.pyplot_facade(value)
        self.globals[name] = value
        # the test rebinds a name it took from the student, binds one the answers read (``SCALE = 10``),
        # or shadows a builtin the student's code calls (``input = lambda prompt: '41'``): in Jupyter
        # they share one namespace
        if name in self.borrowed or name in LENT_BUILTINS and callable(value) \
                or name in self.read_by_answers and not isinstance(value, types.ModuleType):
            self.session.ask("setname", name=name, value=value)
            self.student.add(name)
            self.agree(name, value)
        else:
            self.own.add(name)
            self.shared.pop(name, None)

    def __delitem__(self, name):
        if name in self.student:
            self.session.ask("delname", name=name)
            self.student.discard(name)
            self.globals.pop(name, None)
            return
        if not dict.__contains__(self.globals, name):
            raise KeyError(name)
        del self.globals[name]
        self.own.discard(name)

    def __iter__(self):
        return iter(self.globals)

    def __len__(self):
        return len(self.globals)

    def __contains__(self, name):
        return name in self.globals


class _CappedOutput(io.StringIO):
    def write(self, text):
        room = MAX_TEST_OUTPUT - self.tell()
        if room > 0:
            super().write(str(text)[:room])
        return len(text)


def _failing_line(code: str, exc: BaseException, filename: str) -> str:
    tb, line = exc.__traceback__, None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == filename:
            line = tb.tb_lineno
        tb = tb.tb_next
    lines = code.splitlines()
    return lines[line - 1].strip() if line and 0 < line <= len(lines) else ""


def describe_failure(code: str, exc: BaseException, filename: str) -> str:
    """One line saying why a test failed, in words a student can act on."""
    line = _failing_line(code, exc, filename)
    where = f" (in `{line}`)" if line else ""
    if is_student_exception(exc):
        text = str(exc)
        return f"your code raised {type(exc).__name__}" + (f": {text}" if text else "") + where
    if isinstance(exc, AssertionError):
        return str(exc) or (f"assertion failed: {line}" if line else "assertion failed")
    if isinstance(exc, NameError):
        missing = getattr(exc, "name", None) or str(exc)
        return f"{missing} is not defined: did you run the cell that defines it?"
    if isinstance(exc, codec.CodecError):
        return f"a value could not be checked ({exc})"
    text = str(exc)
    return f"{type(exc).__name__}" + (f": {text}" if text else "") + where


def _run_cell(compiled: tuple, scope: TestScope) -> str | None:
    """Run a compiled test cell; the text a kernel would display for its last expression, if any."""
    body, last = compiled
    exec(body, scope.globals, scope)
    if last is None:
        return None
    value = eval(last, scope.globals, scope)
    return None if value is None else repr(value)


def run_test(code: str, name: str, scope: TestScope, deadline: float) -> tuple[bool, str, str, str | None]:
    """Run one test cell; (passed, message, output, the value it displays). Sandbox deaths and
    timeouts propagate."""
    filename = f"<test {name}>"
    try:
        compiled = _compiled(code, filename)
    except SyntaxError as exc:
        return False, f"the test itself does not compile ({exc.msg}); tell your instructor", "", None
    session = scope.session
    session.deadline = deadline
    # Comparing the global random states before every request costs more than the rest of it:
    # only a test that mentions them can change them (a student's change always comes back).
    session.watch_random = "random" in code
    session.watch_logging = "logging" in code or "Logs" in code  # assertLogs, assertNoLogs
    output = _CappedOutput()
    here, main = os.getcwd(), sys.modules.get("__main__")
    passed, message, shown = True, "", None
    redirect_loaders()
    try:
        sys.modules["__main__"] = scope.main
        _running.session = session
        with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
            scope.begin(code)
            if session.workdir is None:
                shown = _run_cell(compiled, scope)
            else:
                os.chdir(session.workdir)
                with files_of(session.workdir):
                    shown = _run_cell(compiled, scope)
    except (SandboxDied, SandboxTimeout):
        raise
    except KeyboardInterrupt as exc:
        if not is_student_exception(exc):
            raise  # the instructor pressed Ctrl-C
        passed, message = False, describe_failure(code, exc, filename)
    except BaseException as exc:  # pytest's Failed, SystemExit and the like are failures too
        passed, message = False, describe_failure(code, exc, filename)
    finally:
        _running.session = None
        os.chdir(here)
        if main is None:
            sys.modules.pop("__main__", None)
        else:
            sys.modules["__main__"] = main
        scope.end()
    return passed, message, output.getvalue(), shown
