"""Every coursekit command imports nbformat: jsonschema's format libraries stay out of it."""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

from coursekit import _FORMAT_LIBRARIES

PROBE = """
import importlib.util, json, sys
import coursekit, nbformat
nbformat.validate(nbformat.v4.new_notebook())
loaded = [n for n in sys.argv[1:] if n in sys.modules]
installed = [n for n in sys.argv[1:] if importlib.util.find_spec(n) is not None]
for name in installed:
    __import__(name)  # still importable by anyone who wants it
print(json.dumps({"loaded": loaded, "installed": installed}))
"""


def test_nbformat_loads_without_jsonschemas_format_libraries():
    result = subprocess.run([sys.executable, "-c", PROBE, *_FORMAT_LIBRARIES], capture_output=True, text=True,
                            check=True)
    seen = json.loads(result.stdout)
    if not seen["installed"]:
        pytest.skip("none of jsonschema's format libraries is installed here")
    assert seen["loaded"] == []


def test_the_fork_server_imports_no_notebook_validator():
    """The fork server reads no notebook: jsonschema (90 ms of its start, before any student runs) stays out."""
    probe = "import sys, coursekit.grading.zygote; print('jsonschema' in sys.modules, 'nbformat' in sys.modules)"
    result = subprocess.run([sys.executable, "-P", "-c", probe], capture_output=True, text=True, check=True, cwd="/")
    assert result.stdout.split() == ["False", "False"]
