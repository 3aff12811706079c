"""nbgrader course folders: where an assignment's notebooks are and the settings coursekit honours.

An nbgrader course is laid out as::

    <course>/nbgrader_config.py             optional: code stub, header, autotest templates
    <course>/autotests.yml                  optional: templates for ### AUTOTEST lines
    <course>/source/header.ipynb            optional: cells put before every notebook
    <course>/source/<assignment>/*.ipynb    the source notebooks, plus data files beside them
    <course>/submitted/<student>/<assignment>/*.ipynb   (and timestamp.txt)

The config file is a Python program; coursekit reads it without running it (an instructor's
config could do anything) and takes only literal values of the settings listed in HONOURED.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from coursekit.exercise.parse import SourceError

CONFIG_NAME = "nbgrader_config.py"
DEFAULT_CODE_STUB = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
DEFAULT_TEXT_STUB = "YOUR ANSWER HERE"
DEFAULT_AUTOTESTS = Path(__file__).resolve().parent.parent / "data" / "autotests.yml"

# nbgrader settings coursekit reads from nbgrader_config.py; every other setting is ignored.
HONOURED = {
    ("ClearSolutions", "code_stub"), ("ClearSolutions", "text_stub"),
    ("IncludeHeaderFooter", "header"), ("IncludeHeaderFooter", "footer"),
    ("InstantiateTests", "autotest_filename"),
    ("LockCells", "lock_solution_cells"), ("LockCells", "lock_grade_cells"),
    ("LockCells", "lock_readonly_cells"), ("LockCells", "lock_all_cells"),
}


@dataclass
class NbgraderSettings:
    """What generate_assignment would use for one notebook; defaults are nbgrader's own."""

    course: Path | None = None
    code_stub: dict = field(default_factory=lambda: dict(DEFAULT_CODE_STUB))
    text_stub: str = DEFAULT_TEXT_STUB
    header: Path | None = None
    footer: Path | None = None
    autotest_filename: str = "autotests.yml"
    header_cells: int = 0  # cells the header put above the notebook's own (messages number the file's cells)
    locks: dict = field(default_factory=lambda: {"lock_solution_cells": True, "lock_grade_cells": True,
                                                 "lock_readonly_cells": True, "lock_all_cells": False})

    def stub_for(self, language: str, where: str) -> str:
        if language not in self.code_stub:
            raise SourceError(f"{where}: no code stub for the {language!r} kernel (ClearSolutions.code_stub "
                              f"in {CONFIG_NAME} has {', '.join(sorted(self.code_stub)) or 'none'})")
        return self.code_stub[language]

    def autotest_templates(self, folder: Path) -> Path:
        """As nbgrader looks: the assignment folder, then the course folder; else coursekit's own file."""
        for place in (folder, self.course):
            if place is not None and (Path(place) / self.autotest_filename).is_file():
                return Path(place) / self.autotest_filename
        return DEFAULT_AUTOTESTS


def course_root(notebook: Path) -> Path | None:
    """The course folder of ``<course>/source/<assignment>/<name>.ipynb``, or None outside that layout."""
    notebook = Path(notebook).resolve()
    if notebook.parent.parent.name == "source":
        return notebook.parent.parent.parent
    return None


def read_config(course: Path | None) -> NbgraderSettings:
    """The honoured settings of ``<course>/nbgrader_config.py`` (defaults where it is absent)."""
    settings = NbgraderSettings(course=course)
    path = Path(course) / CONFIG_NAME if course else None
    if path is None or not path.is_file():
        return settings
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (SyntaxError, UnicodeDecodeError) as exc:
        raise SourceError(f"{path}: not readable Python ({exc.__class__.__name__}: "
                          f"{getattr(exc, 'msg', exc)})") from None
    for node in ast.walk(tree):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            name = _setting(target)
            if name not in HONOURED:
                continue
            try:
                value = ast.literal_eval(node.value)
            except (ValueError, SyntaxError, TypeError):
                raise SourceError(f"{path}, line {node.lineno}: {'.'.join(name)} must be a literal value "
                                  "(coursekit reads this file without running it)") from None
            _apply(settings, name, value, f"{path}, line {node.lineno}")
    return settings


def _setting(target) -> tuple[str, str] | None:
    """``c.ClearSolutions.code_stub`` -> ("ClearSolutions", "code_stub")."""
    if (isinstance(target, ast.Attribute) and isinstance(target.value, ast.Attribute)
            and isinstance(target.value.value, ast.Name)):
        return target.value.attr, target.attr
    return None


def _apply(settings: NbgraderSettings, name: tuple[str, str], value, where: str) -> None:
    section, key = name
    if key == "code_stub":
        if isinstance(value, str):  # nbgrader still accepts the old single-string form for Python
            value = {"python": value}
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise SourceError(f"{where}: ClearSolutions.code_stub must be a dict of language to code")
        settings.code_stub = dict(value)
    elif key in ("text_stub", "autotest_filename"):
        if not isinstance(value, str):
            raise SourceError(f"{where}: {section}.{key} must be a string")
        setattr(settings, key, value)
    elif key in ("header", "footer"):
        if not isinstance(value, str):
            raise SourceError(f"{where}: {section}.{key} must be a path string")
        if value:
            resolved = Path(settings.course) / value  # nbgrader: relative to the course folder
            if not resolved.is_file():
                raise SourceError(f"{where}: {section}.{key} names {value!r}, which is not a file")
            setattr(settings, key, resolved)
    elif section == "LockCells":
        settings.locks[key] = bool(value)


def settings_for(notebook: Path) -> NbgraderSettings:
    return read_config(course_root(notebook))


@dataclass
class NbgraderAssignment:
    """One assignment of a course: its name (the folder's), its source notebooks and where it lives."""

    name: str
    folder: Path
    course: Path | None
    notebooks: list[Path]

    @property
    def submitted(self) -> Path | None:
        return self.course / "submitted" if self.course and (self.course / "submitted").is_dir() else None


def is_course(folder: Path) -> bool:
    return (Path(folder) / "source").is_dir()


def assignment_folder(given: Path, name: str | None = None) -> NbgraderAssignment | None:
    """The nbgrader assignment that ``given`` names (a SourceError says why it names none).

    ``given`` is an assignment folder (``source/ps1``) or, with ``name``, a course folder.
    """
    given = Path(given)
    if name is not None:
        if not is_course(given):
            raise SourceError(f"{given}: not an nbgrader course folder (no source/ folder in it)")
        folder = given / "source" / name
        if not folder.is_dir():
            known = sorted(p.name for p in (given / "source").iterdir() if p.is_dir())
            raise SourceError(f"{given}: no assignment {name!r} under source/; it has "
                              + (", ".join(known) if known else "none"))
    elif is_course(given):
        known = sorted(p.name for p in (given / "source").iterdir() if p.is_dir())
        raise SourceError(f"{given}: a course folder; name the assignment with --assignment "
                          f"(one of: {', '.join(known) or 'none'})")
    else:
        folder = given
    notebooks = sorted(p for p in folder.glob("*.ipynb") if not p.name.startswith("."))
    if not notebooks:
        raise SourceError(f"{folder}: no notebooks in the assignment folder")
    course = folder.parent.parent if folder.parent.name == "source" else None
    return NbgraderAssignment(folder.name, folder, course, notebooks)
