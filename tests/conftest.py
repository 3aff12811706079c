"""Shared fixtures: the small exercise used by grader tests, and one warm zygote per session."""
from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

from coursekit.exercise.parse import load_source
from coursekit.exercise.release import release
from coursekit.grading.sandbox import Zygote

with warnings.catch_warnings():  # its API-docs helper warns about attrs field types at import time
    warnings.simplefilter("ignore", UserWarning)
    import pytest_notebook.plugin  # noqa: F401
pytest_plugins = ["pytest_notebook.plugin"]  # nb_regression fixture, --nb-force-regen (tests/test_notebooks.py)

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture(scope="session")
def basic_source() -> Path:
    return FIXTURES / "basic" / "basic.ipynb"


@pytest.fixture(scope="session")
def basic(basic_source):
    return load_source(basic_source)


@pytest.fixture(scope="session")
def zygote():
    server = Zygote(("numpy", "pandas"))
    server.warm()
    yield server
    server.close()


@pytest.fixture
def released(basic, tmp_path):
    """The basic exercise released into a temporary folder: {'student', 'checks', 'book', 'bundle'}."""
    return release(basic, tmp_path / "release")


def copy_fixture(name: str, dest: Path) -> Path:
    target = dest / name
    shutil.copytree(FIXTURES / name, target)
    return target


@pytest.fixture(scope="session")
def nbgrader_source() -> Path:
    return FIXTURES / "nbgrader" / "squares.ipynb"


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium driven by Playwright: one per test process (Playwright's sync API allows one)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
