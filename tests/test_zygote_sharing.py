"""Grading processes forked by ``--workers N`` spawn every sandbox through the one fork server."""
from __future__ import annotations

import multiprocessing
import os
import time
from pathlib import Path

from coursekit.grading.confine import Limits
from coursekit.grading.sandbox import Sandbox, Zygote


def _parent_of(pid: int) -> int:
    with open(f"/proc/{pid}/stat") as handle:
        return int(handle.read().rsplit(")", 1)[1].split()[1])


def _in_grading_process(zygote: Zygote, results) -> None:
    box = Sandbox(zygote, Limits())
    box.start()
    try:
        reply = box.request({"op": "exec", "code": "x = 6 * 7"}, time.monotonic() + 30)
        results.put({"ok": reply.get("ok"), "keeper_parent": _parent_of(box.keeper_pid)})
    finally:
        box.kill()
    zygote.close()  # a grading process ending must not end the fork server the others share


def test_forked_grading_processes_share_the_fork_server():
    context = multiprocessing.get_context("fork")
    zygote = Zygote(("numpy",))
    zygote.warm()
    zygote.share_between_processes(context)
    server_pid = zygote._process.pid
    try:
        results = context.Queue()
        workers = [context.Process(target=_in_grading_process, args=(zygote, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        seen = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(30)
        assert [s["ok"] for s in seen] == [True, True]
        assert [s["keeper_parent"] for s in seen] == [server_pid, server_pid]
        assert zygote._process.poll() is None  # still serving after both processes closed their copies
        box = Sandbox(zygote, Limits())
        box.start()
        box.kill()
        assert zygote._process.pid == server_pid and os.getpid() == zygote._owner
    finally:
        zygote.close()


def test_preload_read_from_the_notebook_file_matches_the_parsed_source(basic_source, nbgrader_source, tmp_path):
    """The fork server starts before the source is parsed, with the modules the parsed source names."""
    from coursekit.exercise.parse import load_source
    from coursekit.grading.sandbox import DEFAULT_PRELOAD, preload_modules, preload_modules_of
    sources = [basic_source, nbgrader_source, *sorted(Path(__file__).parents[1].glob("exercises/*/*.ipynb"))]
    assert any(len(preload_modules_of(p)) > len(DEFAULT_PRELOAD) for p in sources)
    for path in sources:
        assert preload_modules_of(path) == preload_modules(load_source(path)), path
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{ not json")
    assert preload_modules_of(broken) == list(DEFAULT_PRELOAD)
    assert preload_modules_of(tmp_path / "missing.ipynb") == list(DEFAULT_PRELOAD)
