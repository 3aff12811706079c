"""Expand nbgrader's ``### AUTOTEST`` and ``### HASHED AUTOTEST`` lines into test code.

An autotest line names expressions (``### AUTOTEST total; len(names)``); the test written in their
place asserts that each expression, as the student computes it, equals what the reference
solution gives. The expected values come from running the source in a kernel, and the test code
comes from a templates file (autotests.yml) with nbgrader's structure: per kernel, a ``dispatch``
expression whose printed value picks a template list, ``normalize``, optional ``hash`` and
``setup``, ``check`` and ``success``. Expansion follows nbgrader 0.9's generate_assignment step
for step (the same kernel outputs, the same per-cell salts), so a course's own autotests.yml gives
the test cells nbgrader writes, and the tests coursekit grades with are the ones students got.
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from coursekit.exercise.parse import SourceError, cell_label

DELIMITER, HASHED = "AUTOTEST", "HASHED"
COMMENT = {"python": "#", "python3": "#", "ir": "#"}


def _sanitize(kernel: str, text: str) -> str:
    """The printed value as nbgrader reads it: quotes at the ends stripped (R's ``[1]`` too)."""
    if kernel == "ir":
        import re
        text = re.sub(r"\[\d+\]\s+", "", text)
    return text.strip('"').strip("'")


def _render(template: str, **values) -> str:
    import jinja2  # here: most sources have no autotests, and reading them is on grade's path to its first result
    return jinja2.Environment(loader=jinja2.BaseLoader()).from_string(template).render(**values)


def has_autotests(nb) -> bool:
    return any(c.cell_type == "code" and DELIMITER in c.source for c in nb.cells)


def load_templates(path: Path, kernel: str) -> dict:
    import yaml
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SourceError(f"{path}: not a readable autotest templates file ({exc.__class__.__name__})") from None
    if not isinstance(data, dict) or not isinstance(data.get(kernel), dict):
        raise SourceError(f"{path}: no autotest templates for the {kernel!r} kernel")
    section = data[kernel]
    missing = [k for k in ("dispatch", "normalize", "check", "templates") if k not in section]
    if missing or "default" not in (section.get("templates") or {}):
        raise SourceError(f"{path}: the {kernel!r} section needs dispatch, normalize, check and "
                          f"templates with a 'default' entry (missing: {', '.join(missing) or 'default'})")
    return section


class _Kernel:
    """A kernel in the source's folder that runs the source's cells and reports printed values."""

    def __init__(self, kernel: str, folder: Path, where: str):
        from jupyter_client import KernelManager
        self.where = where
        self._dir = tempfile.TemporaryDirectory(prefix="coursekit-autotest-")
        options = {"transport": "ipc", "ip": os.path.join(self._dir.name, "kernel")} if os.name == "posix" else {}
        self.km = KernelManager(kernel_name=kernel, **options)
        env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
        self.km.start_kernel(cwd=str(folder), env=env)
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=60)

    def run(self, code: str, label: str) -> str | None:
        """Run ``code``; its last printed value (text/plain), or None; an error is the author's to fix."""
        result: list = [None]
        error: list = []

        def hook(msg):
            kind, content = msg["header"]["msg_type"], msg["content"]
            if kind in ("display_data", "update_display_data", "execute_result"):
                result[0] = content.get("data", {}).get("text/plain")
            elif kind == "error":
                error.append(f"{content.get('ename')}: {content.get('evalue')}")

        self.kc.execute_interactive(code, output_hook=hook, timeout=120, allow_stdin=False)
        if error:
            raise SourceError(f"{self.where}: {label} raised {error[0]} while the autotests were being written")
        return result[0]

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)
        self._dir.cleanup()


def expand(nb, path: Path, folder: Path, templates_file: Path, header_cells: int = 0) -> dict[int, str]:
    """New sources for the cells with autotest lines (by index); the notebook is left unchanged.

    Every code cell runs in one kernel, in order, as generate_assignment runs them.
    """
    if not has_autotests(nb):
        return {}
    kernel = nb.metadata.get("kernelspec", {}).get("name", "")
    if kernel not in COMMENT:
        raise SourceError(f"{path}: AUTOTEST lines need a python3 (or python, ir) kernel, not {kernel!r}")
    templates = load_templates(templates_file, kernel)
    runner = _Kernel(kernel, folder, str(path))
    try:
        changed = {}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or not cell.source:
                continue
            where = f"{path}: {cell_label(index - header_cells, cell.source)}" if index >= header_cells \
                else f"{path}: header {cell_label(index, cell.source)}"
            new = _expand_cell(cell, index, runner, templates, COMMENT[kernel], kernel, where)
            if new is not None:
                changed[index] = new
        return changed
    finally:
        runner.close()


def _expand_cell(cell, index: int, runner: _Kernel, tpl: dict, comment: str, kernel: str, where: str) -> str | None:
    is_grade = bool(cell.get("metadata", {}).get("nbgrader", {}).get("grade"))
    salt = int(hashlib.sha256((cell.source + str(index)).encode("utf-8")).hexdigest(), 16) % 10**6
    out, pending, setup_done, found = [], [], False, False
    for line in cell.source.split("\n"):
        if DELIMITER not in line or line.strip()[:len(comment)] != comment:
            out.append(line)
            pending.append(line)
            continue
        runner.run("\n".join(pending), where)
        pending = []
        if not is_grade:
            raise SourceError(f"{where}: an AUTOTEST line outside an autograder test cell "
                              "(mark the cell 'Autograder tests')")
        found = True
        if tpl.get("setup") is not None and not setup_done:
            out.append(tpl["setup"])
            setup_done = True
            runner.run(tpl["setup"], where)
        hashed = HASHED in line[:line.find(DELIMITER)]
        if hashed and tpl.get("hash") is None:
            raise SourceError(f"{where}: a HASHED AUTOTEST line, but the templates file has no 'hash' template")
        snippets = [s.strip() for s in line[line.find(DELIMITER) + len(DELIMITER):].strip(";").split(";")]
        if "" in snippets:
            snippets.remove("")
        for snippet in snippets:
            if hashed:
                salt += 1
            out.extend(_tests_for(snippet, runner, tpl, hex(salt)[2:] if hashed else None, kernel, where))
            out.append("")
    if is_grade and found and tpl.get("success") is not None:
        out.append(tpl["success"])
        pending.append(tpl["success"])
    if pending:
        runner.run("\n".join(pending), where)
    return "\n".join(out) if found else None


def _tests_for(snippet: str, runner: _Kernel, tpl: dict, salt: str | None, kernel: str, where: str) -> list[str]:
    """The check lines for one expression, with the values the reference gives."""
    label = f"the autotest of {snippet!r}"
    kind = runner.run(_render(tpl["dispatch"], snippet=snippet), label)
    kind = _sanitize(kernel, kind) if kind is not None else None
    chosen = tpl["templates"].get(kind, tpl["templates"]["default"])
    try:
        tests = [(t["test"], t["fail"]) for t in chosen]
    except (KeyError, TypeError):
        raise SourceError(f"{where}: every autotest template needs a 'test' and a 'fail' entry") from None
    lines = []
    for test, fail in tests:
        message = _render(fail, snippet=snippet).replace('"', '\\"')
        code = _render(tpl["normalize"], snippet=test)
        if salt is not None:
            code = _render(tpl["hash"], snippet=code, salt=salt)
        code = _render(code, snippet=snippet)
        value = runner.run(code, label)
        value = _sanitize(kernel, value) if value is not None else None
        lines.append(_render(tpl["check"], snippet=code, value=value, message=message))
    return lines
