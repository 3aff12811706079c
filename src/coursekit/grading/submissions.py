"""Find submissions and read them, turning every kind of bad file into a one-line reason.

A submission is a notebook file, or a folder searched for notebooks. nbgrader's
``submitted/<student>/<assignment>/<name>.ipynb`` layout names the student; otherwise the
student id is the file's stem.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import nbformat

MAX_NOTEBOOK_MB = 32


class InvalidSubmission(ValueError):
    """The file cannot be graded; the message is the reason recorded in the gradebook."""


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path


def discover(paths: list[str | Path], assignment: str) -> list[Submission]:
    """Every notebook under ``paths``, with the student it belongs to, in a stable order."""
    found: dict[Path, Submission] = {}
    for given in map(Path, paths):
        if given.is_dir():
            candidates = sorted(p for p in given.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts)
        else:
            candidates = [given]
        for path in candidates:
            found.setdefault(path.resolve(), Submission(student_of(path, assignment), path))
    return sorted(found.values(), key=lambda s: (s.student, str(s.path)))


def student_of(path: Path, assignment: str) -> str:
    parts = path.parts
    if "submitted" in parts:
        i = len(parts) - 1 - parts[::-1].index("submitted")
        if len(parts) - i >= 4:  # submitted/<student>/<assignment>/<name>.ipynb
            return parts[i + 1]
    if path.parent.name == assignment and path.parent.parent.name:
        return path.parent.parent.name
    return path.stem


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def read(path: Path, max_mb: float = MAX_NOTEBOOK_MB) -> nbformat.NotebookNode:
    """Read and check a submitted notebook; raise InvalidSubmission with a reason otherwise."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InvalidSubmission(f"cannot be read ({exc.strerror})") from None
    if size == 0:
        raise InvalidSubmission("the file is empty")
    if size > max_mb * 1024 * 1024:
        raise InvalidSubmission(f"the notebook is {size / 1024 / 1024:.0f} MB, over the {max_mb:g} MB limit")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmission("not a text file (binary data, not a notebook)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidSubmission(f"not JSON (line {exc.lineno}: {exc.msg})") from None
    except RecursionError:
        raise InvalidSubmission("not a notebook (JSON nested too deeply)") from None
    if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
        raise InvalidSubmission("JSON but not a notebook (no cells)")
    major = data.get("nbformat")
    if major != 4:
        raise InvalidSubmission(f"nbformat {major} notebooks are not supported: open and save it in "
                                "Jupyter to convert it to nbformat 4")
    _check_unique(data)
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except nbformat.ValidationError as exc:
        raise InvalidSubmission(f"not a valid notebook ({_short(exc.message)})") from None
    except Exception as exc:
        raise InvalidSubmission(f"not a valid notebook ({exc.__class__.__name__})") from None
    language = (nb.metadata.get("kernelspec", {}).get("language")
                or nb.metadata.get("language_info", {}).get("name") or "python")
    if str(language).lower() != "python":
        raise InvalidSubmission(f"a notebook for the {language} kernel, not Python")
    return nb


def _short(message: str) -> str:
    first = str(message).splitlines()[0]
    return first if len(first) < 160 else first[:157] + "..."


def _check_unique(data: dict) -> None:
    """Duplicate ids, checked on the raw JSON (nbformat would silently renumber them)."""
    ids, grade_ids = set(), set()
    cells = data.get("cells") if isinstance(data.get("cells"), list) else []
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        cid = cell.get("id")
        if isinstance(cid, str):
            if cid in ids:
                raise InvalidSubmission(f"two cells share the id {cid!r} (copied cells?)")
            ids.add(cid)
        meta = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        nbgrader = meta.get("nbgrader") if isinstance(meta.get("nbgrader"), dict) else {}
        gid = nbgrader.get("grade_id")
        if isinstance(gid, str):
            if gid in grade_ids:
                raise InvalidSubmission(f"two cells share the nbgrader grade_id {gid!r}")
            grade_ids.add(gid)
