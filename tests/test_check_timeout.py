"""coursekit.check in a real Jupyter kernel: an endless answer is stopped and the kernel stays usable."""
from __future__ import annotations

import time

import nbformat
from nbclient import NotebookClient

from coursekit.kernel import ipc_config

LOOP = "def double(x):\n    while True:\n        pass"
SWALLOWING_LOOP = "def double(x):\n    while True:\n        try:\n            pass\n        except Exception:\n            pass"


def run_in_kernel(folder, *cells: str) -> list[str]:
    """Execute code cells in a fresh kernel started in ``folder``; the printed text of each cell."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell(code) for code in cells]
    with ipc_config() as config:
        NotebookClient(nb, config=config, timeout=60, resources={"metadata": {"path": str(folder)}}).execute()
    return ["".join(o.get("text", "") for o in cell.outputs) for cell in nb.cells]


def test_endless_answer_is_stopped_and_the_kernel_stays_usable(released):
    folder = released["student"].parent
    started = time.monotonic()
    out = run_in_kernel(
        folder,
        "import coursekit",
        LOOP,
        "print(repr(coursekit.check('q2', timeout=2)))",
        SWALLOWING_LOOP,  # an `except Exception` in the answer cannot swallow the stop
        "print(repr(coursekit.check('q2', timeout=2)))",
        "def double(x):\n    return 2 * x",
        "print(repr(coursekit.check('q2')))",
        "print(21 * 2)",
    )
    assert time.monotonic() - started < 45
    for verdict in (out[2], out[4]):
        assert "q2: 0/1 visible tests passed" in verdict
        assert "✗ q2 test 1: stopped after 2 s" in verdict and "endless loop" in verdict
        assert "Traceback" not in verdict
    assert out[6].strip() == "q2: 1/1 visible tests passed ✓"  # the same kernel goes on working
    assert out[7].strip() == "42"


def test_tests_after_a_timeout_are_not_run(released, monkeypatch):
    """Outside IPython too (plain Python, the main thread): the time limit covers all of a question's tests."""
    import json

    from coursekit.student.check import check
    checks = json.loads(released["checks"].read_text())
    checks["questions"]["q2"]["tests"].append({"name": "q2 test 2", "code": "assert double(3) == 6"})
    released["checks"].write_text(json.dumps(checks))
    namespace = {"check": check, "folder": released["student"].parent}
    exec(LOOP, namespace)
    started = time.monotonic()
    result = eval("check('q2', folder, timeout=1)", namespace)
    assert time.monotonic() - started < 5
    assert [ok for _, ok, _ in result.results] == [False, False]
    assert result.results[1][2] == "not run: the time was up"


def test_student_api_help_shows_no_private_parameters():
    import inspect

    import coursekit
    for function in (coursekit.check, coursekit.check_all):
        assert function.__doc__ and len(function.__doc__.split()) > 20
        assert not [p for p in inspect.signature(function).parameters if p.startswith("_")]
