"""coursekit: the toolkit behind the AI & ML careers course.

Students call :func:`check` and :func:`check_all` from exercise notebooks; instructors use the
``coursekit`` command (validate, release, grade, export, report, build).
"""
import sys


def _import_jsonschema_without_iri_grammars() -> None:
    """Import jsonschema (nbformat's validator) without its optional IRI format checker.

    Where rfc3987-syntax is installed (JupyterLab brings it), importing jsonschema compiles dozens
    of grammars: 1.5 s added to every ``coursekit`` command and every ``coursekit.check`` import.
    Notebooks have no IRI-formatted fields, so nothing coursekit validates changes; the module stays
    importable for anyone else afterwards.
    """
    if "jsonschema" in sys.modules or "rfc3987_syntax" in sys.modules:
        return
    sys.modules["rfc3987_syntax"] = None  # an ImportError for jsonschema, which treats it as optional
    try:
        import jsonschema  # noqa: F401
    except ImportError:
        pass
    finally:
        if sys.modules.get("rfc3987_syntax", 0) is None:
            del sys.modules["rfc3987_syntax"]


_import_jsonschema_without_iri_grammars()


def __getattr__(name: str):
    """``coursekit.check`` and ``coursekit.check_all``, loaded on first use: the grader's fork server
    and the command line import this package without needing them."""
    if name in __all__:
        from coursekit.student import check as module
        return getattr(module, name)
    raise AttributeError(f"module 'coursekit' has no attribute {name!r}")


__all__ = ["check", "check_all"]
__version__ = "0.1.0"
