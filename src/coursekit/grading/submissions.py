"""Find submissions and read them, turning every kind of bad file into a one-line reason.

The folder given on the command line holds one folder per student (``<student>/<set>.ipynb`` or
nbgrader's ``<student>/<assignment>/<notebook>.ipynb``), or notebooks named after their students
(``<student>.ipynb``). The student is always the first path part below the given folder, so no
file deeper down can claim another student's row. A folder that itself holds ``<set>.ipynb`` or
``<assignment>/`` (and no other folder) is one student's, named after the folder.

One submission per student and notebook, chosen by this rule: the notebooks directly in the
student's ``<assignment>/`` folder if there is one, else directly in the student's folder; of
those, the one named after the notebook (``<set>.ipynb``); failing that a copy of it (``<set>
(1).ipynb``, ``<set>-Copy1.ipynb``, another case), the most recently saved; failing that the only
notebook, or the most recently saved of several. Every other file is reported with the reason it
was not graded, and a student who handed in no notebook at all (``answer.py``) gets an ``invalid``
row that says so. Files are never followed through symbolic links, and only regular files are read.
"""
from __future__ import annotations

import ast
import errno
import hashlib
import json
import os
import re
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import nbformat

MAX_NOTEBOOK_MB = 32
TIMESTAMP = "timestamp.txt"  # nbgrader's submission time, beside the notebook
CHECKPOINTS = ".ipynb_checkpoints"
_COPY = re.compile(r"(?:[-_ ]copy\d*| \(\d+\))$", re.IGNORECASE)


class InvalidSubmission(ValueError):
    """The file cannot be graded; the message is the reason recorded in the gradebook."""


@dataclass(frozen=True)
class Submission:
    student: str
    path: Path
    notebook: str = ""  # the notebook of the assignment it answers ("" for a one-notebook set)
    submitted_at: str = ""  # ISO time in UTC: nbgrader's timestamp.txt, else the file's modification time
    problem: str = ""  # set when the student handed in no notebook: the reason for the invalid row


@dataclass(frozen=True)
class Note:
    """What happened to one file found under the given folders, for the run summary."""

    student: str
    path: Path
    verdict: str  # graded, invalid, ignored
    reason: str


@dataclass
class Survey:
    submissions: list[Submission] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)

    def ignored(self) -> list[Note]:
        return [n for n in self.notes if n.verdict == "ignored"]


def discover(paths: list[str | Path], assignment: str, notebook: str = "") -> list[Submission]:
    """Every submission under ``paths``, with the student it belongs to, in a stable order."""
    return survey(paths, assignment, notebook).submissions


def survey(paths: list[str | Path], assignment: str, notebook: str = "", siblings=()) -> Survey:
    """The submissions to grade under ``paths`` and a note for every other file found there.

    ``notebook`` names the notebook graded in this run (default: the assignment's name);
    ``siblings`` are the assignment's other notebooks, graded in runs of their own.
    """
    result = Survey()
    expected = f"{notebook or assignment}.ipynb"
    skip = {f"{s}.ipynb" for s in siblings} - {expected}
    seen: set[tuple[str, str]] = set()
    for given in map(Path, paths):
        if _is_real_dir(given):
            if (_kind(given / assignment) == "folder" or _kind(given / expected) != "missing") and not any(
                    _is_real_dir(e) and e.name != assignment for e in _entries(given)):
                groups = [(given.name or given.resolve().name, given)]  # one student's own folder
            else:
                groups = []
                for entry in _entries(given):
                    if _is_real_dir(entry) or _kind(entry) == "link" and not _notebook_name(entry.name):
                        groups.append((entry.name, entry))
                    elif _notebook_name(entry.name):  # flat layout: <student>.ipynb
                        groups.append((Path(entry.name).stem, entry))
                    else:
                        result.notes.append(Note("", entry, "ignored", _not_notebook(entry, expected)))
        else:
            groups = [(_student_of_file(given, assignment), given)]
        for student, where in groups:
            if (student, str(where)) in seen:
                continue
            seen.add((student, str(where)))
            _choose(result, student, where, assignment, expected, notebook, skip)
    result.submissions.sort(key=lambda s: (s.student, str(s.path)))
    return result


def _student_of_file(path: Path, assignment: str) -> str:
    """A notebook named on the command line: nbgrader's ``<student>/<assignment>/x.ipynb``, else its name."""
    if path.parent.name == assignment and path.parent.parent.name:
        return path.parent.parent.name
    return path.stem


def _choose(result: Survey, student: str, where: Path, assignment: str, expected: str, notebook: str,
            skip: set) -> None:
    def take(path: Path, note: str = "", problem: str = "") -> None:
        result.submissions.append(Submission(student, path, notebook, submitted_at(path), problem))
        result.notes.append(Note(student, path, "invalid" if problem else "graded", note or problem))

    if not _is_real_dir(where):  # a file (or a link, a FIFO...) standing for the student's submission
        take(where)
        return
    home = where / assignment if _kind(where / assignment) in ("folder", "link") else where
    if _kind(home) == "link":
        take(home)  # a linked assignment folder: its invalid row says why
        home_entries = []
    else:
        home_entries = _entries(home)
    candidates, others = [], []
    for entry in home_entries:
        if entry.name in skip:
            continue
        (candidates if _notebook_name(entry.name) else others).append(entry)
    for path in _walk(where):  # everything else below the student's folder, for the summary
        if path.parent != home and path != home:
            inside = path.relative_to(where).parts[0]
            reason = (f"in {inside}/, not the {assignment}/ folder (another assignment's?)"
                      if inside != assignment else "below the assignment's folder: only notebooks directly in it count")
            if path.name != CHECKPOINTS:
                result.notes.append(Note(student, path, "ignored", reason))
    for entry in others:
        if entry.name == TIMESTAMP:
            result.notes.append(Note(student, entry, "ignored", "nbgrader's submission time, read as such"))
        elif entry.name == CHECKPOINTS:
            continue
        else:
            result.notes.append(Note(student, entry, "ignored", _not_notebook(entry, expected)))
    if not candidates:
        strays = [e for e in others if e.name not in (TIMESTAMP, CHECKPOINTS) and not e.name.startswith(".")]
        if strays:
            names = ", ".join(e.name for e in strays[:3]) + (" ..." if len(strays) > 3 else "")
            take(strays[0], problem=f"no notebook handed in (found {names}): submit {expected}, saved from "
                                    "Jupyter (File > Save Notebook)")
        return
    exact = [e for e in candidates if e.name == expected]
    copies = [e for e in candidates if _normal(e.name) == _normal(expected)]
    if exact:
        chosen, why = exact[0], ""
    elif copies:
        chosen = _newest(copies)
        why = f"graded in place of {expected}, which is missing (the most recently saved copy)"
    else:
        chosen = _newest(candidates)
        why = (f"graded: the only notebook, named {chosen.name} rather than {expected}" if len(candidates) == 1
               else f"graded: several notebooks and none named {expected}; this is the most recently saved")
    take(chosen, why)
    for entry in candidates:
        if entry == chosen:
            continue
        if _normal(entry.name) == _normal(expected):
            reason = f"a copy of {expected}; only {chosen.name} is graded"
        else:
            reason = f"not the assignment's notebook ({chosen.name} is graded)"
        result.notes.append(Note(student, entry, "ignored", reason))


def _not_notebook(entry: Path, expected: str) -> str:
    if entry.name.startswith("."):
        return "a hidden file"
    if entry.suffix.lower() in (".py", ".txt", ".md") and entry.stem.lower() == Path(expected).stem.lower():
        return f"not a notebook ({entry.suffix} file): submit {expected}"
    return "not a notebook"


def _normal(name: str) -> str:
    """``Set (1).IPYNB``, ``set-Copy1.ipynb``, ``set copy.ipynb`` -> ``set``."""
    stem = name[:-len(".ipynb")] if name.lower().endswith(".ipynb") else name
    while True:
        shorter = _COPY.sub("", stem).rstrip()
        if shorter == stem or not shorter:
            return stem.lower()
        stem = shorter


def _newest(entries: list[Path]) -> Path:
    def key(p: Path):
        try:
            return (os.lstat(p).st_mtime_ns, p.name)
        except OSError:
            return (0, p.name)
    return max(entries, key=key)


def _notebook_name(name: str) -> bool:
    return name.lower().endswith(".ipynb")


def _kind(path: Path) -> str:
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "missing"
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "folder"
    if stat.S_ISREG(mode):
        return "file"
    return "special"


def _is_real_dir(path: Path) -> bool:
    """A folder that is not a link, and not a folder merely named like a notebook."""
    return _kind(path) == "folder" and not _notebook_name(path.name)


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted((Path(e.path) for e in os.scandir(folder)), key=lambda p: p.name)
    except OSError:
        return []


def _walk(folder: Path):
    """Every file and link below ``folder``, links not followed; folders named *.ipynb count as files."""
    for entry in _entries(folder):
        if _is_real_dir(entry) and entry.name != CHECKPOINTS:
            yield from _walk(entry)
        elif entry.name != CHECKPOINTS:
            yield entry


def submitted_at(path: Path) -> str:
    """When it was handed in: nbgrader's ``timestamp.txt`` beside it, else the file's modification time."""
    from coursekit.gradebook.late import PolicyError, iso, parse_time
    stamp = path.parent / TIMESTAMP
    try:
        if _kind(stamp) == "file" and os.lstat(stamp).st_size < 200:
            return iso(parse_time(read_bytes(stamp, 1).decode("utf-8", "replace").strip()))
    except (PolicyError, InvalidSubmission, OSError):
        pass
    try:
        return iso(datetime.fromtimestamp(os.lstat(path).st_mtime, timezone.utc))
    except OSError:
        return ""


def _open_regular(path: Path) -> tuple[int, os.stat_result]:
    """An open descriptor of a regular file, never through a symbolic link, never waiting on a FIFO or device."""
    try:
        before = os.lstat(path)
    except OSError as exc:
        raise InvalidSubmission(f"cannot be read ({exc.strerror})") from None
    mode = before.st_mode
    if stat.S_ISLNK(mode):
        raise InvalidSubmission("a symbolic link, not a file: hand in the notebook itself")
    if stat.S_ISDIR(mode):
        raise InvalidSubmission("a folder named like a notebook, not a notebook file")
    if not stat.S_ISREG(mode):
        kind = "a FIFO" if stat.S_ISFIFO(mode) else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) \
            else "a socket" if stat.S_ISSOCK(mode) else "not a regular file"
        raise InvalidSubmission(f"{kind}, not a notebook file")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InvalidSubmission(f"cannot be read ({exc.strerror})") from None
    now = os.fstat(fd)
    if not stat.S_ISREG(now.st_mode) or (now.st_dev, now.st_ino) != (before.st_dev, before.st_ino):
        os.close(fd)
        raise InvalidSubmission("the file was replaced while it was being read")
    return fd, now


def read_bytes(path: Path, max_mb: float = MAX_NOTEBOOK_MB) -> bytes:
    """The bytes of a regular notebook file of at most ``max_mb``; InvalidSubmission with a reason otherwise."""
    fd, info = _open_regular(path)
    try:
        if info.st_size == 0:
            raise InvalidSubmission("the file is empty")
        if info.st_size > max_mb * 1024 * 1024:
            raise InvalidSubmission(f"the notebook is {info.st_size / 1024 / 1024:.0f} MB, over the {max_mb:g} MB limit")
        limit = int(max_mb * 1024 * 1024) + 1
        chunks, size = [], 0
        while size < limit:
            chunk = os.read(fd, min(1 << 20, limit - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size >= limit:
            raise InvalidSubmission(f"the notebook grew over the {max_mb:g} MB limit while it was read")
        return b"".join(chunks)
    finally:
        os.close(fd)


def digest(path: Path) -> str:
    """SHA-256 of a regular file's contents, read in blocks; OSError for anything else (links, FIFOs, folders)."""
    try:
        fd, _ = _open_regular(path)
    except InvalidSubmission as exc:
        raise OSError(errno.EINVAL, str(exc)) from None
    sha = hashlib.sha256()
    try:
        for block in iter(lambda: os.read(fd, 1 << 20), b""):
            sha.update(block)
    finally:
        os.close(fd)
    return sha.hexdigest()


WRONG_FILE = ("this is Python code saved with the .ipynb extension, not a notebook: open the exercise notebook "
              "in Jupyter, put your answers in its cells and save it (File > Save Notebook); renaming a .py "
              "file does not make a notebook")


def _looks_like_python(text: str) -> bool:
    if text.lstrip().startswith(("{", "[")):
        return False
    try:
        ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(text.strip())


def read(path: Path, max_mb: float = MAX_NOTEBOOK_MB) -> nbformat.NotebookNode:
    """Read and check a submitted notebook; raise InvalidSubmission with a reason otherwise."""
    raw = read_bytes(path, max_mb)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidSubmission("not a text file (binary data, not a notebook)") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        if _looks_like_python(text):
            raise InvalidSubmission(WRONG_FILE) from None
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
    invalid: dict = {}
    try:
        nb = nbformat.reads(text, as_version=4, capture_validation_error=invalid)  # validated once, there
    except Exception as exc:
        raise InvalidSubmission(f"not a valid notebook ({exc.__class__.__name__})") from None
    if "ValidationError" in invalid:
        raise InvalidSubmission(f"not a valid notebook ({_short(invalid['ValidationError'].message)})")
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
