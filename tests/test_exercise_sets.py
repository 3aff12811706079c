"""The shipped exercise sets keep the shape the course promises (issues 12 and 15).

These are static checks on the sources, cheap enough for every test run; whether each set is
sound (reference passes, blank and trivial answers fail) is `coursekit validate`'s job, which the
book build runs.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from coursekit.exercise.parse import SOLUTION, load_source

ROOT = Path(__file__).resolve().parents[1]
SETS = sorted(p.name for p in (ROOT / "exercises").iterdir() if (p / f"{p.name}.ipynb").exists())
LEVEL_SETS = ["entry-level", "mid-level", "advanced-level"]
CLOSENESS = re.compile(r"np\.(allclose|isclose|array_equal)\(")
SIZE_CHECK = re.compile(r"np\.shape\(|\.shape\b|\blen\(|\.size\b")


def _source(name: str):
    return load_source(ROOT / "exercises" / name / f"{name}.ipynb")


def test_sets_found():
    assert "interviews" in SETS and all(level in SETS for level in LEVEL_SETS)


@pytest.mark.parametrize("name", SETS)
def test_set_has_six_questions_each_with_visible_and_hidden_tests(name):
    assignment = _source(name)
    assert len(assignment.questions) >= 6, f"{name}: {len(assignment.questions)} questions, want at least 6"
    for q in assignment.questions:
        assert q.visible_tests and q.hidden_tests, f"{name} {q.id}: needs a visible and a hidden test"


@pytest.mark.parametrize("name", SETS)
def test_every_set_is_in_the_table_of_contents(name):
    toc = (ROOT / "_toc.yml").read_text()
    assert f"file: chapters/exercises/{name}\n" in toc, f"{name}: chapters/exercises/{name} missing from _toc.yml"


@pytest.mark.parametrize("name", SETS)
def test_array_closeness_comes_after_a_size_check(name):
    """np.allclose over an empty array is True: a test must pin the shape or length first."""
    for q in _source(name).questions:
        for test in q.tests:
            match = CLOSENESS.search(test.code)
            if match and match.group(1) != "array_equal":
                before = test.code[:match.start()]
                assert SIZE_CHECK.search(before), (
                    f"{name} {test.name}: np.{match.group(1)} with no shape, len or size check before it")


@pytest.mark.parametrize("name", LEVEL_SETS)
def test_level_sets_practise_skills_not_lookups(name):
    """Most questions of a level set practise the level's work; at most a few read the career table."""
    assignment = _source(name)
    lookups = {c.question for c in assignment.cells if c.role == SOLUTION and "careers." in c.source}
    assert len(assignment.questions) - len(lookups) >= 4, f"{name}: only {len(assignment.questions) - len(lookups)} questions beyond career-data lookups"


def test_interviews_part_is_listed_before_the_roadmap():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    captions = [part["caption"] for part in toc["parts"]]
    assert captions.index("Interviews and the job search") == captions.index("Roadmap") - 1
    files = set(re.findall(r"file: (chapters/interviews/\S+)", (ROOT / "_toc.yml").read_text()))
    on_disk = {f"chapters/interviews/{p.stem}" for p in (ROOT / "chapters" / "interviews").iterdir()
               if p.suffix in (".md", ".ipynb")}
    assert on_disk == files, f"pages not in the toc: {sorted(on_disk - files)}; missing: {sorted(files - on_disk)}"
