"""The grader's side of a test talking to the student's process: handles, callbacks, shared state.

A test runs in the grader, on the grader's own builtins and libraries. Plain data the student
produced arrives by value (:mod:`coursekit.grading.codec`). Everything else (the student's
functions, classes, instances, generators, figures, fitted models) stays in the student's process
and the test gets a *handle*: an instance of a class built here for the student's class, whose
attribute access, calls, iteration, ``len`` and item access run there and come back by value or
as further handles. So a test means what it means in Jupyter, while every verdict stays here:

- comparisons between a handle and grader data are decided here (a handle equals nothing but
  itself), so an object whose ``__eq__`` always says True earns nothing; two student objects
  compare with the student's own class, as in Jupyter;
- exceptions come back as the same built-in class, and a student's exception class becomes a
  class of the same name deriving from the same built-in base, so ``except`` and ``pytest.raises``
  match;
- arguments a call changed in place are changed here in place; output printed during a call is
  printed into the test's ``sys.stdout``; the global random states (``random``, ``numpy.random``)
  and the files of the work folder are the same on both sides;
- objects of the test handed to student code (a lambda, a random generator, an estimator) stay
  here and are used by callback, with only public attributes reachable.
No student code ever runs in this process, and nothing is imported on the student's word.
"""
from __future__ import annotations

import base64
import builtins
import dataclasses
import enum
import inspect
import logging
import os
import sys
import threading
import time
import types
import warnings
from pathlib import Path

from coursekit.grading import codec
from coursekit.grading.codec import update_in_place
from coursekit.grading.sandbox import Sandbox, SandboxTimeout
from coursekit.grading.student_process import (ENUM_BASES, ENUM_VALUES, LENT_BUILTINS, MAX_CHAINED, MAX_FILES,
                                                NAMING_ATTRIBUTES, random_state, regular_files, same_random, seed_random,
                                                set_random_state)

MAX_FILE_BYTES = 8 << 20
_NO_ARGUMENT = object()  # a reply named no argument of the call
_PRISTINE_BUILTINS = {name: getattr(builtins, name) for name in LENT_BUILTINS}
_TYPE_ALIASES = {"function": types.FunctionType, "generator": types.GeneratorType, "method": types.MethodType,
                 "builtin_function_or_method": types.BuiltinFunctionType, "coroutine": types.CoroutineType,
                 "code": types.CodeType}


class Remote:
    """Base of every handle on a student object."""

    __slots__ = ("_ck_session", "_ck_ref", "__weakref__")

    def __getattr__(self, name):
        if name.startswith("_ck_"):
            raise AttributeError(name)
        if name in type(self)._ck_methods:
            return RemoteMethod(self, name)
        return self._ck_session.ask("getattr", self, name=name)

    def __setattr__(self, name, value):
        if name.startswith("_ck_"):
            object.__setattr__(self, name, value)
        else:
            self._ck_session.ask("setattr", self, name=name, value=value)

    def __delattr__(self, name):
        self._ck_session.ask("delattr", self, name=name)

    def __repr__(self):
        return self._ck_session.ask("repr", self)

    def __str__(self):
        return self._ck_session.ask("str", self)

    def __format__(self, spec):
        return self._ck_session.ask("format", self, spec=spec)

    def __dir__(self):
        return self._ck_session.ask("special", self, name="__dir__")

    def __copy__(self):  # copy.copy(handle) copies the student's object, as in a kernel
        return self._ck_session.ask("copy", self)

    def __deepcopy__(self, memo):
        return self._ck_session.ask("deepcopy", self)


class RemoteMethod:
    """``handle.method`` before it is called: one round trip for ``handle.method(...)``."""

    __slots__ = ("owner", "name")

    def __init__(self, owner, name):
        self.owner, self.name = owner, name

    def __call__(self, *args, **kwargs):
        return self.owner._ck_session.ask("callmethod", self.owner, name=self.name, args=args, kwargs=kwargs)

    def _resolved(self):
        return self.owner._ck_session.ask("getattr", self.owner, name=self.name)

    def __getattr__(self, name):
        return getattr(self._resolved(), name)

    def __repr__(self):
        return repr(self._resolved())

    def __eq__(self, other):
        if isinstance(other, RemoteMethod):
            return self.owner is other.owner and self.name == other.name
        return NotImplemented

    def __hash__(self):
        return hash((id(self.owner), self.name))


class RemoteException:
    """Mixin of exception classes rebuilt from the student's: attributes are read from the original."""

    def __getattr__(self, name):
        if name.startswith("_ck_") or "_ck_ref" not in self.__dict__:
            raise AttributeError(name)
        return self._ck_session.ask("getattr", self, name=name)

    def __str__(self):
        if "_ck_message" in self.__dict__:
            return self._ck_message
        if "_ck_ref" in self.__dict__:
            return self._ck_session.ask("str", self)
        return BaseException.__str__(self)


class _PerInstance:
    """A class attribute (``__doc__``, ``__module__``) that an instance reads from the student's object."""

    def __init__(self, name, class_value):
        self.name, self.class_value = name, class_value

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.class_value
        return instance._ck_session.ask("getattr", instance, name=self.name)


class RemoteClass(type):
    """Metaclass of classes built for the student's classes: calls and checks go to the student's class."""

    def __new__(mcls, name, bases, namespace, **kwargs):
        # a test's ``class Dog(Animal)``: Dog is made in the student's process, as Animal's subclass
        session = next((b.__dict__["_ck_class_session"] for b in bases
                        if isinstance(b, RemoteClass) and "_ck_class_ref" in b.__dict__), None)
        if session is not None and "_ck_class_ref" not in namespace:
            return session.subclass(name, bases, namespace)
        return super().__new__(mcls, name, bases, namespace, **kwargs)

    def __init__(cls, name, bases, namespace, **kwargs):
        super().__init__(name, bases, namespace)

    def __call__(cls, *args, **kwargs):
        if "_ck_class_ref" not in cls.__dict__:
            return super().__call__(*args, **kwargs)
        return cls._ck_class_session.ask("call", cls, args=args, kwargs=kwargs)

    def __getattr__(cls, name):
        if name.startswith("_ck_") or name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)
        return cls._ck_class_session.ask("getattr", cls, name=name)

    def __instancecheck__(cls, obj):
        if type.__instancecheck__(cls, obj):
            return True
        session = cls.__dict__.get("_ck_class_session")
        if session is not None and _student_side(obj, session):
            return session.ask("isinstance", cls, value=obj)
        return False

    def __subclasscheck__(cls, other):
        if type.__subclasscheck__(cls, other):
            return True
        session = cls.__dict__.get("_ck_class_session")
        if session is not None and isinstance(other, RemoteClass) and other.__dict__.get("_ck_class_session") is session:
            return session.ask("issubclass", cls, value=other)
        return False


class RemoteContainerClass(RemoteClass):
    """Metaclass of the classes built for student classes that are containers themselves, by their
    own metaclass (an Enum with methods: ``len(Level)``, ``for m in Level``, ``Level['JUNIOR']``).
    ``x in Level`` iterates here and compares here, as for a handle on a student's instance."""

    def __iter__(cls):
        return cls._ck_class_session.ask("iter", cls)

    def __len__(cls):
        return cls._ck_class_session.ask("len", cls)

    def __getitem__(cls, key):
        return cls._ck_class_session.ask("special", cls, name="__getitem__", args=(key,))

    def __reversed__(cls):
        return cls._ck_class_session.ask("special", cls, name="__reversed__")

    def __bool__(cls):  # a class is true, whatever its len
        return True


class RemoteSuper:
    """``super()`` in a method of a test's subclass of a student class: the next class's method
    runs in the student's process (``super().__init__(name)`` calls the student's ``__init__``)."""

    __slots__ = ("_ck_cls", "_ck_obj")

    def __getattribute__(self, name):  # every name, ``__init__`` included, is the next class's
        cls, obj = object.__getattribute__(self, "_ck_cls"), object.__getattribute__(self, "_ck_obj")

        def method(*args, **kwargs):
            return obj._ck_session.ask("supercall", obj, name=name, cls=cls.__dict__["_ck_class_ref"],
                                       args=args, kwargs=kwargs)
        return method


def test_super(*args):
    """The ``super`` test code sees: the builtin, except in a method of a test's subclass of a
    student class, where it is a :class:`RemoteSuper`. Python calls it with (class, self) when a
    method says ``super()`` (3.12), or with nothing (3.11: both are read from the caller's frame)."""
    if not args:
        frame = sys._getframe(1)
        code = frame.f_code
        if "__class__" not in code.co_freevars or not code.co_argcount:
            raise RuntimeError("super(): no arguments")
        args = (frame.f_locals["__class__"], frame.f_locals[code.co_varnames[0]])
    if len(args) == 2 and isinstance(args[0], RemoteClass) and isinstance(args[1], Remote) \
            and args[0].__dict__.get("_ck_class_session") is args[1]._ck_session:
        made = object.__new__(RemoteSuper)
        object.__setattr__(made, "_ck_cls", args[0])
        object.__setattr__(made, "_ck_obj", args[1])
        return made
    return super(*args)


def _student_side(obj, session) -> bool:
    if isinstance(obj, Remote):
        return obj._ck_session is session
    if isinstance(obj, RemoteException):
        return obj.__dict__.get("_ck_session") is session
    if isinstance(obj, RemoteClass):
        return obj.__dict__.get("_ck_class_session") is session
    return False


_OPERATORS = {"__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__", "__truediv__", "__rtruediv__",
              "__floordiv__", "__rfloordiv__", "__mod__", "__rmod__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__and__", "__rand__", "__or__", "__ror__", "__xor__", "__rxor__"}


def _forward(name):
    def method(self, *args):
        return self._ck_session.ask("special", self, name=name, args=args)

    def operator(self, other):
        # ``double(x) + 3.0`` must not hand the test's expected value to the student's class
        if isinstance(other, Remote) and other._ck_session is self._ck_session:
            return self._ck_session.ask("special", self, name=name, args=(other,))
        return NotImplemented
    chosen = operator if name in _OPERATORS else method
    chosen.__name__ = name
    return chosen


def _compare(name):
    def method(self, other):
        if isinstance(other, Remote) and other._ck_session is self._ck_session:
            return self._ck_session.ask("special", self, name=name, args=(other,))
        return NotImplemented  # decided here: a student object equals no grader value
    method.__name__ = name
    return method


def _iter_method(self):
    return self._ck_session.ask("iter", self)


def _next_method(self):
    return self._ck_session.ask("next", self)


def _len_method(self):
    return self._ck_session.ask("len", self)


def _bool_method(self):
    return self._ck_session.ask("bool", self)


def _hash_method(self):
    return self._ck_session.ask("hash", self)


def _call_method(self, *args, **kwargs):
    return self._ck_session.ask("call", self, args=args, kwargs=kwargs)


def _signature_property(self):
    return self._ck_session.signature(self)


_SPECIAL_BUILDERS = {"__iter__": lambda: _iter_method, "__next__": lambda: _next_method,
                     "__len__": lambda: _len_method, "__bool__": lambda: _bool_method,
                     "__call__": lambda: _call_method}
_COMPARISONS = ("__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__")
_NEVER_FORWARDED = ("__contains__", "__str__", "__repr__", "__hash__")  # decided here or always defined


class Session:
    """One submission's conversation with its student process, during tests."""

    def __init__(self, sandbox: Sandbox, deadline: float):
        self.sandbox, self.deadline = sandbox, deadline
        # one request at a time: a test's thread pool calling the student's function from several
        # threads waits its turn (a callback's nested requests come from the same thread)
        self.turn = threading.RLock()
        self.classes: dict[int, type] = {}
        self.descriptions: dict[int, dict] = {}
        self.proxies: dict[int, object] = {}
        self.lent: dict[int, object] = {}
        self.lent_numbers: dict[int, int] = {}
        self.enum_refs: dict[type, int] = {}  # the student's enums rebuilt here, and their numbers there
        self.encode = codec.Encoder(self.refer)
        self.encode_result = codec.Encoder(self.lend_result)
        self.decode = codec.Decoder(self.resolve)
        seed_random()  # the state a new student process starts from: nothing to transfer
        self.random_last = random_state()
        self.watch_random = False  # set while a test that uses the global random states runs
        self.watch_logging = False  # set while a test that mentions logging runs (assertLogs)
        self.logger_levels = _logger_levels()
        self.workdir: Path | None = None
        self.files_seen: dict[str, tuple] = {}
        self.on_refresh = None  # the test scope: takes the student's new values of names it read
        self.on_send = None  # the test scope: the student's values it changed in place, to send along
        self.pyplot = None

    # --- references both ways ---------------------------------------------------------------
    def refer(self, value):
        """A grader object handed to student code: it stays here and is used by callback."""
        if isinstance(value, Remote) and value._ck_session is self:
            return {"__ref__": value._ck_ref}
        if isinstance(value, RemoteClass) and value.__dict__.get("_ck_class_session") is self:
            return {"__ref__": value.__dict__["_ck_class_ref"]}
        if isinstance(value, RemoteException) and value.__dict__.get("_ck_session") is self:
            return {"__ref__": value.__dict__["_ck_ref"]}
        if isinstance(value, RemoteMethod):
            return self.refer(value._resolved())
        if type(value) in self.enum_refs:  # a member of a student's enum rebuilt here: the student's member
            return {"__ref__": self.enum_refs[type(value)], "member": value.name}
        if isinstance(value, type) and value in self.enum_refs:
            return {"__ref__": self.enum_refs[value]}
        if isinstance(value, (types.ModuleType, type, types.FrameType, types.CodeType)):
            return {"__unsupported__": type(value).__name__, "reason": "not lent to student code"}
        number = self.lent_numbers.get(id(value))
        if number is None:
            number = len(self.lent) + 1
            self.lent[number] = value
            self.lent_numbers[id(value)] = number
        return {"__gref__": number}

    def lend_result(self, value):
        """What a callback returns, and everything inside it, is lent only if it is harmless."""
        if isinstance(value, (Remote, RemoteClass, RemoteException)) or self.lent_numbers.get(id(value)):
            return self.refer(value)
        if not _lendable(value, None):
            return {"__unsupported__": type(value).__name__, "reason": "not lent to student code"}
        return self.refer(value)

    def resolve(self, tag, data):
        if tag == "__gref__":
            try:
                return self.lent[data["__gref__"]]
            except (KeyError, TypeError):
                raise codec.CodecError("unknown grader object") from None
        number = data["__ref__"]
        if type(number) is not int:
            raise codec.CodecError("bad reference")
        if data.get("kind") == "class":
            return self.class_for(number)
        if "module" in data:
            name = str(data["module"])[:200]
            if name == "matplotlib.pyplot":
                return self.pyplot_facade(sys.modules.get(name))
            module = sys.modules.get(name)
            if module is not None and not name.startswith("__"):
                return module  # the grader's own, unpatched; never one imported on the student's word
            if self.written_by_student(name):  # the student's own module (%%writefile tools.py): a handle
                return self.proxy(number, None)
            return codec.Unsupported(f"module {name}", "the grader has not loaded it (import it in a setup cell)")
        if "member" in data and type(data.get("cls")) is int:
            cls = self.class_for(data["cls"])
            if isinstance(cls, enum.EnumMeta):
                try:
                    return cls[str(data["member"])]
                except KeyError:
                    raise codec.CodecError("no such enum member") from None
        return self.proxy(number, data.get("cls"))

    def proxy(self, number: int, cls_number):
        if number in self.proxies:
            return self.proxies[number]
        cls = self.class_for(cls_number) if type(cls_number) is int else _plain_remote_class()
        if issubclass(cls, BaseException):
            handle = cls.__new__(cls)
            handle.__dict__.update(_ck_session=self, _ck_ref=number)
        else:
            if not issubclass(cls, Remote):
                cls = _plain_remote_class()
            handle = object.__new__(cls)
            object.__setattr__(handle, "_ck_session", self)
            object.__setattr__(handle, "_ck_ref", number)
        self.proxies[number] = handle
        return handle

    def class_for(self, number: int) -> type:
        if number in self.classes:
            return self.classes[number]
        desc = self.descriptions.get(number)
        if desc is None:
            raise codec.CodecError("reference to an undescribed class")
        self.classes[number] = cls = self.build_class(number, desc)
        return cls

    def build_class(self, number: int, desc: dict) -> type:
        name = _safe_name(desc.get("name"), "StudentClass")
        module = str(desc.get("module", "__main__"))[:200]
        qualname = str(desc.get("qualname", name))[:400]
        known = _known_class(module, qualname)
        if desc.get("exception"):
            if known is not None and issubclass(known, BaseException):
                return known  # a library's exception class the grader already has: the real one
            bases = tuple(self.class_for(b) for b in desc.get("bases", []) if type(b) is int)
            bases = tuple(b for b in bases if issubclass(b, BaseException))
            builtin = getattr(builtins, str(desc["exception"]), Exception)
            if not (isinstance(builtin, type) and issubclass(builtin, BaseException)):
                builtin = Exception
            if not bases:
                bases = (builtin, RemoteException) if builtin is not BaseException else (Exception, RemoteException)
            namespace = {"__module__": module, "__qualname__": qualname, "_ck_class_session": self,
                         "_ck_class_ref": number}
            return RemoteClass(name, bases, namespace)
        if isinstance(desc.get("enum"), dict):
            if known is not None and issubclass(known, enum.Enum):
                return known  # a library's enum: the grader's own
            rebuilt = _rebuilt_enum(name, module, qualname, desc["enum"])
            if rebuilt is not None:
                self.enum_refs[rebuilt] = number
                return rebuilt
        special = set(desc.get("special") or [])
        namespace = {"__module__": _PerInstance("__module__", module), "__qualname__": qualname,
                     "__doc__": _PerInstance("__doc__", None), "__slots__": (),
                     "_ck_class_session": self, "_ck_class_ref": number,
                     "_ck_methods": frozenset(str(m) for m in (desc.get("methods") or [])[:500])}
        for method in special:
            if method in _SPECIAL_BUILDERS:
                namespace[method] = _SPECIAL_BUILDERS[method]()
            elif method in _COMPARISONS:
                namespace[method] = _compare(method)
            elif method.startswith("__") and method not in _NEVER_FORWARDED and method != "unhashable":
                namespace[method] = _forward(method)
        namespace["__hash__"] = None if "unhashable" in special else \
            (_hash_method if "__hash__" in special else object.__hash__)
        if "__call__" in special or known is types.FunctionType:
            namespace["__signature__"] = property(_signature_property)
        spoof = _spoofable(known)
        if spoof is not None:
            namespace["__class__"] = property(lambda self, _cls=spoof: _cls)
        fields = desc.get("dataclass")
        if isinstance(fields, list):
            model = dataclasses.make_dataclass(name, [_safe_name(f, "field") for f in fields[:500]])
            namespace["__dataclass_fields__"] = model.__dataclass_fields__
            namespace["__dataclass_params__"] = model.__dataclass_params__
        container = desc.get("container")
        metaclass = RemoteContainerClass if isinstance(container, list) and container else RemoteClass
        return metaclass(name, (Remote,), namespace)

    def written_by_student(self, name: str) -> bool:
        """A module whose source is in the work folder (``tools.py``, ``tools/__init__.py``), not a library's."""
        top = name.partition(".")[0]
        if self.workdir is None or not top.isidentifier():
            return False
        return (self.workdir / f"{top}.py").is_file() or (self.workdir / top / "__init__.py").is_file()

    def student_module(self, name: str, fromlist) -> object:
        """A test's ``import tools`` of a module the student wrote: imported in the student's process,
        a handle here (``import a.b`` binds ``a``, as Python's import does)."""
        return self.ask("module", name=name if fromlist or "." not in name else name.partition(".")[0])

    def subclass(self, name: str, bases: tuple, namespace: dict) -> type:
        """A test's subclass of student classes, made in the student's process: its methods are the
        test's functions, called back from there; its data attributes cross by value."""
        attrs = {}
        for key, value in namespace.items():
            if key in ("__module__", "__qualname__", "__classcell__"):
                continue
            kind = next((k for k, t in (("static", staticmethod), ("class", classmethod), ("property", property))
                         if isinstance(value, t)), None)
            attrs[key] = value if kind is None else \
                {"kind": kind, "function": value.fget if kind == "property" else value.__func__}
        cls = self.ask("subclass", name=_safe_name(name, "TestClass"), bases=[self.refer(b)["__ref__"] for b in bases],
                       value=attrs)
        cell = namespace.get("__classcell__")
        if cell is not None:  # super() in the test's methods names this class
            cell.cell_contents = cls
        return cls

    # --- asking the student's process ------------------------------------------------------
    def ask(self, op: str, target=None, **fields):
        """Perform ``op`` on a student object and return the result here (by value or as a handle)."""
        message = {"op": op}
        if target is not None:
            message["target"] = self.refer(target)["__ref__"]
        if "args" in fields:
            args, kwargs = fields.pop("args"), fields.pop("kwargs", {}) or {}
            message["args"] = [self.encode(a) for a in args]
            message["kwargs"] = {str(k): self.encode(v) for k, v in kwargs.items()}
        else:
            args, kwargs = (), {}
        for key in ("value", "key"):
            if key in fields:
                message[key] = self.encode(fields.pop(key))
        message.update(fields)
        reply = self.exchange(message, arguments=(*args, *kwargs.values()))
        if "mutated" in reply:
            self.write_back(reply["mutated"], args, kwargs)
        if not reply.get("ok"):
            raise self.rebuild(reply.get("error") or {})
        if op == "get":
            return reply.get("values") or {}
        original = self.argument(reply.get("same_as"), args, kwargs)
        if original is not _NO_ARGUMENT:
            return original
        return self.decode(reply.get("value"))

    def tell(self, op: str) -> None:
        """A request the grader makes for itself (silence output, resend files): its answer does not matter."""
        try:
            self.exchange({"op": op})
        except codec.CodecError:
            pass

    def exchange(self, message: dict, arguments: tuple = ()) -> dict:
        """One request with everything a kernel shares: random states, files, output, fresh names,
        and the student's values the test changed in place (``arguments`` cross anyway)."""
        if not self.turn.acquire(timeout=min(max(0.0, self.deadline - time.monotonic()), threading.TIMEOUT_MAX)):
            raise SandboxTimeout("the test's threads waited past the time limit for the student's process")
        try:
            return self._exchange(message, arguments)
        finally:
            self.turn.release()

    def _exchange(self, message: dict, arguments: tuple) -> dict:
        if self.on_send is not None:
            changed = self.on_send(arguments)
            if changed:
                message["update"] = changed
        if self.watch_logging:  # the levels the test set, and: send what is logged
            message["logging"] = {name: level for name, level in _logger_levels().items()
                                  if self.logger_levels.get(name) != level}
        if self.watch_random:
            state = random_state()
            if not same_random(state, self.random_last):
                message["random"] = codec.encode(state)
        patched = {name: getattr(builtins, name) for name in LENT_BUILTINS
                   if getattr(builtins, name) is not _PRISTINE_BUILTINS[name]}
        if patched:  # a test's mock.patch('builtins.input', ...): the student's code calls the stand-in
            message["builtins"] = {name: self.encode(value) for name, value in patched.items()}
        if self.workdir is not None:
            files = self.files_changed()
            if files:
                message["files"] = files
        reply = self.sandbox.request(message, self.deadline, on_callback=self.callback)
        self.absorb(reply)
        return reply

    def absorb(self, reply: dict) -> None:
        classes = reply.get("classes")
        if isinstance(classes, dict):
            for key, desc in list(classes.items())[:10000]:
                if isinstance(desc, dict) and str(key).isdigit():
                    self.descriptions.setdefault(int(key), desc)
        if isinstance(reply.get("stdout"), str):
            sys.stdout.write(reply["stdout"][: 1 << 20])
        if isinstance(reply.get("stderr"), str):
            sys.stderr.write(reply["stderr"][: 1 << 20])
        for warning in (reply.get("warnings") or [])[:50] if isinstance(reply.get("warnings"), list) else []:
            self.warn_again(warning)
        if self.watch_logging and isinstance(reply.get("logs"), list):
            for record in reply["logs"][:200]:
                log_again(record)
        if "random" in reply:
            try:
                set_random_state(codec.decode(reply["random"]))
            except Exception:  # a garbled state is the student's loss: the grader keeps its own
                pass
            self.random_last = random_state()
        if isinstance(reply.get("files"), dict) and self.workdir is not None:
            self.put_files(reply["files"])
        if isinstance(reply.get("refresh"), dict) and self.on_refresh is not None:
            self.on_refresh(reply["refresh"])

    def warn_again(self, warning) -> None:
        """A warning the student's code gave during a test's call, given again in the test (``pytest.warns``)."""
        try:
            category = self.class_for(warning["category"])
            if not (isinstance(category, type) and issubclass(category, Warning)):
                category = UserWarning
            warnings.warn(str(warning.get("message", ""))[:2000], category, stacklevel=2)
        except (codec.CodecError, KeyError, TypeError):
            pass

    def rebuild(self, error: dict, depth: int = 0) -> BaseException:
        """The student's exception as the same class here (or one of the same name and built-in base),
        with the exceptions it was raised from or while handling (``err.__cause__``, ``__context__``)."""
        kind = str(error.get("type", "Exception"))[:200]
        message = str(error.get("message", ""))[:4000]
        exc = None
        try:
            exc = self.decode(error["exc"]) if "exc" in error else None
        except (codec.CodecError, KeyError):
            exc = None
        builtin = getattr(builtins, kind, None)
        if isinstance(exc, BaseException) and isinstance(exc, RemoteException):
            exc.__dict__["_ck_message"] = message
            try:
                BaseException.__init__(exc, *self.decode(error.get("args", {"__tuple__": [message]})))
            except (codec.CodecError, TypeError):
                BaseException.__init__(exc, message)
        elif isinstance(exc, BaseException) or isinstance(builtin, type) and issubclass(builtin, BaseException):
            cls = type(exc) if isinstance(exc, BaseException) else builtin
            exc = _instantiate(cls, error, message, self.decode)
        else:
            exc = StudentError(f"{kind}: {message}")
        try:
            exc.__dict__["_ck_student"] = True
            exc.__dict__["_ck_line"] = error.get("line")
        except (AttributeError, TypeError):
            pass
        if depth < MAX_CHAINED:
            for key, attribute in (("cause", "__cause__"), ("context", "__context__")):
                if isinstance(error.get(key), dict):
                    setattr(exc, attribute, self.rebuild(error[key], depth + 1))
            exc.__suppress_context__ = error.get("suppress_context") is True
        return exc

    def signature(self, handle) -> inspect.Signature:
        data = self.ask("signature", handle)
        params = []
        for entry in data.get("parameters", []):
            kind = getattr(inspect.Parameter, str(entry.get("kind")), inspect.Parameter.POSITIONAL_OR_KEYWORD)
            extra = {}
            if "default" in entry:
                extra["default"] = entry["default"]
            if "annotation" in entry:
                annotation = entry["annotation"]
                extra["annotation"] = getattr(builtins, annotation, annotation) if isinstance(annotation, str) \
                    and annotation in ("int", "float", "str", "bool", "list", "dict", "tuple", "set", "bytes") \
                    else annotation
            params.append(inspect.Parameter(_safe_name(entry.get("name"), "arg"), kind, **extra))
        returns = data.get("return", inspect.Signature.empty)
        return inspect.Signature(params, return_annotation=returns)

    @staticmethod
    def argument(key, args, kwargs):
        """The test's own argument a reply names (by position or keyword), or ``_NO_ARGUMENT``."""
        if isinstance(key, str) and key.isdigit() and int(key) < len(args):
            return args[int(key)]
        if isinstance(key, str) and key in kwargs:
            return kwargs[key]
        return _NO_ARGUMENT

    def write_back(self, mutated: dict, args, kwargs) -> None:
        """Change the test's own arguments in place, as the student's call changed its copies."""
        for key, data in list(mutated.items())[:1000]:
            original = self.argument(key, args, kwargs)
            if original is _NO_ARGUMENT:
                continue
            try:
                update_in_place(original, self.decode(data))
            except (codec.CodecError, TypeError, ValueError):
                continue

    # --- callbacks: student code using what the test lent ------------------------------------
    def callback(self, message: dict) -> dict:
        reply = {"cb": message.get("cb")}
        try:
            self.absorb({"classes": message.get("classes")})
            target = self.lent[message["target"]]
            action = message.get("action")
            args = [self.decode(a) for a in message.get("args", [])]
            kwargs = {str(k): self.decode(v) for k, v in (message.get("kwargs") or {}).items()}
            if action == "call":
                if not callable(target):
                    raise TypeError(f"{type(target).__name__} object is not callable")
                result = target(*args, **kwargs)
            elif action == "getattr":
                name = str(message.get("name", ""))
                if name in NAMING_ATTRIBUTES:  # what functools.wraps copies: a string, or None
                    result = getattr(target, name, None)
                    if not isinstance(result, str):
                        raise AttributeError(name)
                    reply.update(ok=True, value=result)
                    return reply
                if name.startswith("_"):
                    raise AttributeError(name)
                result = getattr(target, name)
                if not _lendable(result, target):
                    raise AttributeError(f"{name} is not available to student code")
                if isinstance(result, (types.MethodType, types.BuiltinMethodType)):
                    reply.update(ok=True, value=self.refer(result))  # the lent object's own method
                    return reply
            elif action == "iter":
                result = iter(target)
            elif action == "next":
                result = next(target)
            elif action == "len":
                result = len(target)
            elif action == "getitem":
                result = target[self.decode(message.get("key"))]
            elif action == "repr":
                result = repr(target)
            else:
                raise ValueError("unknown callback")
            reply.update(ok=True, value=self.encode_result(result))
        except Exception as exc:
            reply.update(ok=False, error={"type": type(exc).__name__ if type(exc).__module__ == "builtins"
                                          else "Exception", "message": str(exc)[:2000]})
            if isinstance(exc, RemoteException) and exc.__dict__.get("_ck_session") is self:
                reply["error"]["ref"] = exc.__dict__["_ck_ref"]  # the student's own exception object, raised again there
        return reply

    # --- the work folder, mirrored here for the test --------------------------------------------
    def files_changed(self) -> dict:
        now, changed = regular_files(str(self.workdir)), {}
        for name, (size, _) in now.items():
            if self.files_seen.get(name) != now[name] and size <= MAX_FILE_BYTES:
                changed[name] = base64.b64encode(_read_regular(self.workdir / name)).decode("ascii")
        deleted = [name for name in self.files_seen if name not in now]
        self.files_seen = now
        return {"put": changed, "delete": deleted} if changed or deleted else {}

    def put_files(self, files: dict) -> None:
        """Write the student's changed files into the test's folder: plain names, regular files, capped."""
        for name, data in list((files.get("put") or {}).items())[:MAX_FILES]:
            target = _inside(self.workdir, name)
            if target is None or not isinstance(data, str) or len(data) > MAX_FILE_BYTES * 4 // 3 + 8:
                continue
            try:
                raw = base64.b64decode(data, validate=True)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.is_symlink() or target.exists() and not target.is_file():
                    continue
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(raw)
            except (OSError, ValueError):
                continue
        for name in list(files.get("delete") or [])[:MAX_FILES]:
            target = _inside(self.workdir, name)
            if target is not None and target.is_file() and not target.is_symlink():
                target.unlink()
        self.files_seen = regular_files(str(self.workdir))

    def snapshot(self) -> dict:
        """What talking to a throw-away copy of the student's process teaches the session, to forget with it."""
        return {"proxies": dict(self.proxies), "classes": dict(self.classes), "descriptions": dict(self.descriptions),
                "lent": dict(self.lent), "lent_numbers": dict(self.lent_numbers), "random_last": self.random_last,
                "files_seen": dict(self.files_seen)}

    def restore(self, saved: dict) -> None:
        for key, value in saved.items():
            setattr(self, key, value)

    def pyplot_facade(self, module):
        """``matplotlib.pyplot`` in a test: its state functions act on the student's figures."""
        if self.pyplot is None:
            self.pyplot = PyplotFacade(self, module)
        return self.pyplot


class PyplotFacade(types.ModuleType):
    """The test's ``plt``: functions run on the student's pyplot (gcf, gca, close...), classes are the grader's."""

    def __init__(self, session: Session, module):
        super().__init__("matplotlib.pyplot")
        self._ck_session, self._ck_module, self._ck_remote = session, module, None

    def __getattr__(self, name):
        value = getattr(self._ck_module, name, None) if self._ck_module is not None else None
        if value is not None and (not isinstance(value, types.FunctionType) or name.startswith("_")):
            return value
        if self._ck_remote is None:
            reply = self._ck_session.exchange({"op": "module", "name": "matplotlib.pyplot"})
            reference = reply.get("value") if reply.get("ok") else None
            if not (isinstance(reference, dict) and type(reference.get("__ref__")) is int):
                raise AttributeError(name)
            self._ck_remote = self._ck_session.proxy(reference["__ref__"], None)
        return getattr(self._ck_remote, name)


class StudentError(Exception):
    """The student's code raised something that could not be rebuilt as its own class."""


def _plain_remote_class():
    return _PLAIN


_PLAIN = RemoteClass("StudentObject", (Remote,), {"__slots__": (), "_ck_methods": frozenset(), "__hash__": object.__hash__})


def _safe_name(name, default: str) -> str:
    name = str(name)[:200] if name is not None else ""
    return name if name.isidentifier() else default


_ENUM_BASES = {name: getattr(enum, name, None) for name in ENUM_BASES}
_ENUM_TYPES = {None: None, "int": int, "str": str, "float": float}


def _rebuilt_enum(name: str, module: str, qualname: str, spec: dict):
    """A student's enum of plain values with no code of its own, made here as a real enum of the same
    kind (the student's process checked it has nothing else): members compare, iterate and convert
    with the standard library's code. None if the description is not one."""
    base, mixin = _ENUM_BASES.get(str(spec.get("base"))), spec.get("type")
    members = spec.get("members")
    if base is None or mixin not in _ENUM_TYPES or not isinstance(members, list) or not 0 < len(members) <= 1000:
        return None
    pairs = []
    for pair in members:
        if not (isinstance(pair, list) and len(pair) == 2 and type(pair[1]) in ENUM_VALUES
                and isinstance(pair[0], str) and pair[0].isidentifier() and not pair[0].startswith("_")):
            return None
        value = pair[1]
        if type(value) is int and abs(value) > 10 ** 100:
            return None
        pairs.append((pair[0], value))
    try:
        extra = {"type": _ENUM_TYPES[mixin]} if base is enum.Enum and mixin else {}
        return base(name, pairs, module=module, qualname=qualname, **extra)
    except (TypeError, ValueError):
        return None


def _logger_levels() -> dict:
    levels = {"root": logging.getLogger().level}
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and logger.level != logging.NOTSET:
            levels[name] = logger.level
    return levels


def log_again(record) -> None:
    """A record the student's code logged during a test's call, handled again here by the logger of
    that name or its nearest parent the grader already has (the one ``assertLogs`` watches).
    Loggers are never made on the student's word; with no handler of the test's, nothing is printed
    twice (the student's own output already shows it)."""
    if not isinstance(record, dict):
        return
    name, message, level = str(record.get("name", ""))[:200], str(record.get("message", ""))[:2000], record.get("level")
    if type(level) is not int:
        return
    known = logging.Logger.manager.loggerDict
    owner = name
    while owner and not isinstance(known.get(owner), logging.Logger):
        owner = owner.rpartition(".")[0]
    logger = known[owner] if owner else logging.getLogger()
    if logger.hasHandlers():
        logger.handle(logger.makeRecord(name, max(0, min(level, 100)), "<student>", 0, message, None, None))


def _known_class(module: str, qualname: str):
    """The grader's own class of that name, only from a module the grader has already imported."""
    if module == "builtins":
        if qualname in _TYPE_ALIASES:
            return _TYPE_ALIASES[qualname]
        value = getattr(builtins, qualname, None)
        return value if isinstance(value, type) else None
    owner = sys.modules.get(module)
    if owner is None or module == "__main__":
        return None
    value = owner
    for part in qualname.split("."):
        value = getattr(value, part, None)
        if value is None:
            return None
    return value if isinstance(value, type) else None


_BY_VALUE_TYPES = (int, float, str, bytes, bytearray, list, tuple, dict, set, frozenset, complex, bool, type(None))


def _spoofable(known):
    """Classes a handle may report as its ``__class__`` (for isinstance): never one that crosses by value."""
    if known is None or not isinstance(known, type) or issubclass(known, BaseException) or known is type:
        return None
    if issubclass(known, _BY_VALUE_TYPES):
        return None
    if "numpy" in sys.modules and issubclass(known, (sys.modules["numpy"].ndarray, sys.modules["numpy"].generic)):
        return None
    if "pandas" in sys.modules:
        pd = sys.modules["pandas"]
        if issubclass(known, (pd.Series, pd.DataFrame, pd.Index)):
            return None
    return known


def _instantiate(cls, error: dict, message: str, decode):
    try:
        args = decode(error["args"]) if "args" in error else (message,)
        exc = cls(*args)
    except Exception:
        exc = cls.__new__(cls)
        BaseException.__init__(exc, message)
    return exc


_NEVER_LENT = ("ctypes", "_ctypes", "cffi", "_cffi_backend", "os", "posix", "sys", "subprocess", "socket",
               "_socket", "io", "_io", "importlib", "pickle", "marshal", "threading", "_thread", "multiprocessing",
               "types", "inspect", "gc", "weakref", "code", "codeop")


def _lendable(value, owner) -> bool:
    """What a lent object's public attribute may hand to student code: data, that object's own
    methods, or plain library objects; never modules, classes, code, frames, functions, or anything
    that reaches the machine (ctypes pointers, files, sockets)."""
    if isinstance(value, (types.ModuleType, type, types.FrameType, types.CodeType, types.FunctionType,
                          types.TracebackType)):
        return False
    if isinstance(value, (types.MethodType, types.BuiltinMethodType)):
        return getattr(value, "__self__", None) is owner
    module = type(value).__module__ or ""
    return module.split(".")[0] not in _NEVER_LENT and not (module == "builtins" and callable(value))


def _read_regular(path: Path) -> bytes:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as handle:
        return handle.read(MAX_FILE_BYTES)


def _inside(folder: Path, name) -> Path | None:
    """``name`` as a path inside ``folder``, or None when it is absolute, climbs out or is odd."""
    if not isinstance(name, str) or not name or len(name) > 400 or "\x00" in name:
        return None
    parts = name.split("/")
    if name.startswith("/") or any(p in ("", ".", "..") for p in parts) or len(parts) > 5:
        return None
    target = folder.joinpath(*parts)
    current = folder
    for part in parts[:-1]:
        current = current / part
        if current.is_symlink():
            return None
    return target


def is_student_exception(exc: BaseException) -> bool:
    return bool(getattr(exc, "__dict__", {}).get("_ck_student"))
