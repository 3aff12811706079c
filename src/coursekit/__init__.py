"""coursekit: the toolkit behind the AI & ML careers course.

Students call :func:`check` and :func:`check_all` from exercise notebooks; instructors use the
``coursekit`` command (validate, release, grade, export, report, build).
"""
from coursekit.student.check import check, check_all

__all__ = ["check", "check_all"]
__version__ = "0.1.0"
