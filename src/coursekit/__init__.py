"""coursekit: the toolkit behind the AI & ML careers course.

Students call :func:`check` and :func:`check_all` from exercise notebooks; instructors use the
``coursekit`` command (validate, release, grade, export, report, build).
"""
import functools
import importlib.util
import sys


# jsonschema's optional format checkers; nbformat validates notebooks without any format checker
_FORMAT_LIBRARIES = ("rfc3987", "rfc3986_validator", "rfc3987_syntax", "fqdn", "idna", "rfc3339_validator",
                     "webcolors", "jsonpointer", "uri_template", "isoduration")


class _JsonschemaWithoutFormatLibraries:
    """Import finder: jsonschema (nbformat's validator) imports without its format checkers' libraries.

    Where JupyterLab is installed they are too, and importing them costs more than the rest of a
    short command: rfc3987-syntax compiles dozens of grammars (1.5 s), isoduration loads arrow.
    nbformat uses no format checker, so nothing coursekit validates changes; the libraries stay
    importable for anyone else afterwards. A finder rather than an import here: processes that never
    read a notebook (the grader's fork server) do not import jsonschema at all.
    """

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name != "jsonschema":
            return None
        sys.meta_path.remove(cls)  # once, and the finders below find the module itself
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.loader is not None:
            spec.loader.exec_module = functools.partial(cls.exec_module, spec.loader.exec_module)
        return spec

    @staticmethod
    def exec_module(run, module) -> None:
        blocked = [name for name in _FORMAT_LIBRARIES if name not in sys.modules]
        for name in blocked:
            sys.modules[name] = None  # an ImportError for jsonschema, which treats each as optional
        try:
            run(module)
        finally:
            for name in blocked:
                if sys.modules.get(name, 0) is None:
                    del sys.modules[name]


if "jsonschema" not in sys.modules:
    sys.meta_path.insert(0, _JsonschemaWithoutFormatLibraries)


def __getattr__(name: str):
    """``coursekit.check`` and ``coursekit.check_all``, loaded on first use: the grader's fork server
    and the command line import this package without needing them."""
    if name in __all__:
        from coursekit.student import check as module
        return getattr(module, name)
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")


__all__ = ["check", "check_all"]
__version__ = "0.1.0"
