"""The coursekit command as a user meets it: messages, help and exit codes, in real subprocesses.

Exit codes: 0 done, 1 done but something needs a look (validation failed, problem rows),
2 nothing done (usage mistake, missing file, malformed source).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from coursekit.exercise.parse import load_source
from coursekit.exercise.release import student_notebook

M, C = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
QUESTION = M("<!-- QUESTION id=q1 points=2 -->\nWrite `evens(a)`: the even numbers of the array `a`.")
SOLUTION = C("def evens(a):\n    # BEGIN SOLUTION\n    return a[a % 2 == 0]\n    # END SOLUTION")
VISIBLE = C("# TEST\nimport numpy as np\nassert list(evens(np.arange(5))) == [0, 2, 4], 'evens of 0..4'")
HIDDEN = C("# HIDDEN TEST\nimport numpy as np\nassert list(evens(np.array([7, 8, 10]))) == [8, 10], 'evens of 7, 8, 10'")
SETUP = C("import numpy as np")


def coursekit(*args, cwd=None, timeout=300, env=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "coursekit.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, timeout=timeout, env=dict(os.environ, **env) if env else None)


def source(folder: Path, name: str, *cells) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.from_dict(c) for c in cells]
    path = folder / name / f"{name}.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, str(path))
    return path


def errors_of(result, verb: str) -> list[str]:
    """The error lines (grade also reports progress on stderr)."""
    lines = [line for line in result.stderr.strip().splitlines() if "graded, " not in line
             and not line.startswith("grading ")]
    assert all(line.startswith(f"coursekit {verb}: ") for line in lines), result.stderr
    assert "Traceback" not in result.stderr
    return lines


def test_bare_command_prints_help_and_version_works():
    bare = coursekit()
    assert bare.returncode == 2
    assert "usage: coursekit" in bare.stdout and "exit codes" in bare.stdout
    assert "arguments are required" not in bare.stderr + bare.stdout
    import coursekit as package
    version = coursekit("--version")
    assert version.returncode == 0 and version.stdout.strip() == f"coursekit {package.__version__}"


def test_every_subcommand_and_argument_is_explained():
    from coursekit.cli import parser
    main = parser()
    verbs = next(a for a in main._actions if a.dest == "verb").choices
    assert set(verbs) >= {"validate", "release", "grade", "export", "report", "build"}
    for name, sub in verbs.items():
        assert sub.description and len(sub.description.split()) > 15, name
        assert "example:\n  coursekit " + name in sub.epilog and "exit codes" in sub.epilog, name
        for action in sub._actions:
            assert action.help and action.help.strip(), f"{name} {action.dest} has no help"
    shown = coursekit("export", "--help").stdout
    assert "Canvas" in shown and "example:" in shown and "0  done" in shown


@pytest.mark.parametrize("cells, code, message", [
    ([SETUP, QUESTION, SOLUTION, VISIBLE, HIDDEN], 0, None),
    ([C("import numpy as np\nimport notamodule"), QUESTION, SOLUTION, VISIBLE, HIDDEN], 1,
     "cell 1 ('import numpy as np') raised ModuleNotFoundError: No module named 'notamodule'"),
    ([SETUP, QUESTION, C("def evens(a):\n    # BEGIN SOLUTION\n    return a[a % 2 = 0]\n    # END SOLUTION"),
      VISIBLE, HIDDEN], 1, "cell 3 ('def evens(a):'), line 3: "),
    ([SETUP, QUESTION, C("def evens(a):\n    # BEGIN SOLUTON\n    return a[a % 2 == 0]\n    # END SOLUTION"),
      VISIBLE, HIDDEN], 2, "cell 3 ('def evens(a):'), line 2: 'BEGIN SOLUTON' looks like a misspelled "
                            "'# BEGIN SOLUTION' marker"),
    ([SETUP, M("<!-- QUESTON id=q1 points=2 -->\nWrite evens."), SOLUTION, VISIBLE, HIDDEN], 2,
     "'QUESTON' looks like a misspelled QUESTION marker"),
    ([SETUP, M("<!-- QUESTION id=q1 -->\nWrite evens."), SOLUTION, VISIBLE, HIDDEN], 2,
     "QUESTION marker has no points=..."),
    ([SETUP, QUESTION, SOLUTION, C("# HIDEN TEST\nassert True"), HIDDEN], 2,
     "'HIDEN TEST' looks like a misspelled '# HIDDEN TEST' marker"),
    # np.all over an empty array is True: an empty answer earns every point
    ([SETUP, QUESTION, SOLUTION, C("# TEST\nimport numpy as np\nassert np.all(evens(np.arange(5)) % 2 == 0)"),
      C("# HIDDEN TEST\nimport numpy as np\nassert np.all(evens(np.arange(9)) % 2 == 0), 'only evens'")], 1,
     "cell 2 (question q1): every test passes when evens returns 0: a wrong answer earns full points"),
])
def test_validate_names_the_real_cause(tmp_path, cells, code, message):
    path = source(tmp_path, "set", *cells)
    result = coursekit("validate", path.parent.name, cwd=tmp_path)
    assert result.returncode == code, result.stderr
    lines = errors_of(result, "validate")
    if message is None:
        assert result.stdout.strip() == f"{path.parent.name}/{path.name}: sound" or "sound" in result.stdout
        assert not lines
    else:
        assert any(message in line for line in lines), result.stderr
        assert len(lines) == 1, result.stderr  # one cause, one line
        assert "set/set.ipynb" in lines[0]


def test_partly_vacuous_test_is_a_warning(tmp_path):
    weak = C("# TEST\nimport numpy as np\nassert isinstance(evens(np.arange(5)), np.ndarray), 'return an array'")
    path = source(tmp_path, "weak", SETUP, QUESTION, SOLUTION, weak, HIDDEN)
    result = coursekit("validate", "weak", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert errors_of(result, "validate") == [
        "coursekit validate: warning: weak/weak.ipynb: cell 2 (question q1): q1 test 1 passes when evens "
        "returns an empty array"]
    assert "weak/weak.ipynb: sound (1 warning(s))" in result.stdout


def test_source_that_never_finishes_is_stopped(tmp_path):
    from coursekit.exercise.validate import validate_paths
    from coursekit.grading.confine import Limits
    path = source(tmp_path, "slow", C("import time\ntime.sleep(60)"), QUESTION, SOLUTION, VISIBLE, HIDDEN)
    verdict = validate_paths([path], Limits(question_seconds=2))[str(path)]
    assert verdict.failures == [f"{path}: cell 1 ('import time') did not finish within 2 s"]


def test_release_and_grade_refuse_an_unsound_source(tmp_path):
    path = source(tmp_path, "broken", C("import numpy as np\nimport notamodule"), QUESTION, SOLUTION, VISIBLE, HIDDEN)
    released = coursekit("release", path, "--out", tmp_path / "out", cwd=tmp_path)
    assert released.returncode == 1
    lines = errors_of(released, "release")
    assert "ModuleNotFoundError" in lines[0] and "refusing an unsound source" in lines[-1]
    assert not (tmp_path / "out").exists()
    submission = tmp_path / "subs" / "ana.ipynb"
    submission.parent.mkdir()
    nbformat.write(student_notebook(load_source(path)), str(submission))
    graded = coursekit("grade", path, submission, "--gradebook", tmp_path / "gb.sqlite", cwd=tmp_path)
    assert graded.returncode == 1 and "--allow-unsound" in errors_of(graded, "grade")[-1]
    assert not (tmp_path / "gb.sqlite").exists()
    forced = coursekit("grade", path, submission, "--gradebook", tmp_path / "gb.sqlite", "--allow-unsound",
                       cwd=tmp_path)
    assert "1 graded" in forced.stdout, forced.stderr


def test_grade_with_problem_rows_exits_1_and_export_names_assignments(tmp_path, basic_source):
    subs = tmp_path / "subs"
    subs.mkdir()
    nbformat.write(student_notebook(load_source(basic_source)), str(subs / "ana.ipynb"))
    (subs / "ben.ipynb").write_text("print('a .py file saved as .ipynb')\n")
    gradebook = tmp_path / "gb.sqlite"
    graded = coursekit("grade", basic_source, subs, "--gradebook", gradebook)
    assert graded.returncode == 1 and "2 graded" in graded.stdout
    assert errors_of(graded, "grade") == [
        "coursekit grade: 1 submission(s) need a look (invalid: 1): see their status and reason in the "
        "gradebook or the report"]
    wrong = coursekit("export", "--gradebook", gradebook, "--assignment", "nope", "--out", tmp_path / "x.csv")
    assert wrong.returncode == 2
    assert errors_of(wrong, "export") == [f"coursekit export: no assignment 'nope' in {gradebook}; it holds basic"]
    right = coursekit("export", "--gradebook", gradebook, "--assignment", "basic", "--out", tmp_path / "x.csv")
    assert right.returncode == 0 and "rows" in right.stdout


def test_usage_mistakes_exit_2_with_the_prefix(tmp_path):
    missing = coursekit("release", "nowhere", "--out", "x", cwd=tmp_path)
    assert missing.returncode == 2 and errors_of(missing, "release") == ["coursekit release: nowhere: file not found"]
    bad_option = coursekit("validate", cwd=tmp_path)
    assert bad_option.returncode == 2 and "coursekit validate: error:" in bad_option.stderr


def test_validate_warns_about_a_set_the_build_would_skip(tmp_path):
    folder = tmp_path / "exercises" / "evens"
    folder.mkdir(parents=True)
    path = source(tmp_path, "evens-draft", SETUP, QUESTION, SOLUTION, VISIBLE, HIDDEN)
    path.rename(folder / "draft.ipynb")
    result = coursekit("validate", "exercises/evens", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert errors_of(result, "validate") == [
        "coursekit validate: warning: exercises/evens/draft.ipynb: the book build skips this set: the notebook "
        "must be named after its folder (exercises/evens/evens.ipynb)"]


def test_release_and_grade_remember_sound_sources(tmp_path):
    """Grading again does not validate again, unless the source (or what it ships) changed."""
    from coursekit.exercise.validate import validate_paths
    path = source(tmp_path, "evens", SETUP, QUESTION, SOLUTION, VISIBLE, HIDDEN)
    cache = tmp_path / "cache.json"
    assert not validate_paths([path], cache=cache)[str(path)].cached
    assert validate_paths([path], cache=cache)[str(path)].cached
    (path.parent / "data.csv").write_text("a\n1\n")  # a new shipped file changes what students get
    assert not validate_paths([path], cache=cache)[str(path)].cached


def test_validate_runs_afresh_and_remembers_a_sound_source(tmp_path):
    """`coursekit validate` always runs the source; grading after it does not run it again."""
    from coursekit.exercise.validate import validate_paths
    path = source(tmp_path, "evens", SETUP, QUESTION, SOLUTION, VISIBLE, HIDDEN)
    env = {"XDG_CACHE_HOME": str(tmp_path / "cache")}
    for _ in range(2):
        result = coursekit("validate", str(path), cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
    stamps = json.loads((tmp_path / "cache" / "coursekit" / "validated.json").read_text())
    assert list(stamps) == [f"{path.resolve()}|"]
    assert not validate_paths([path], cache=tmp_path / "cache" / "coursekit" / "validated.json", rerun=True)[str(path)].cached
    assert validate_paths([path], cache=tmp_path / "cache" / "coursekit" / "validated.json")[str(path)].cached


def test_ordinary_comments_are_not_taken_for_misspelled_markers(tmp_path):
    prose = C("def evens(a):\n    # test each element\n    # BEGIN SOLUTION\n    keep = a % 2 == 0  # the solution\n"
              "    # Tests below use arrays\n    return a[keep]\n    # END SOLUTION")
    path = source(tmp_path, "prose", SETUP, QUESTION, prose, VISIBLE, HIDDEN)
    assert [q.id for q in load_source(path).questions] == ["q1"]


def test_a_reader_that_goes_away_costs_no_result_and_no_traceback(tmp_path, basic_source):
    """``coursekit grade ... | head -0``: the summary cannot be printed, the gradebook is complete."""
    subs = tmp_path / "subs"
    subs.mkdir()
    for name in ("ana", "ben"):
        nbformat.write(student_notebook(load_source(basic_source)), str(subs / f"{name}.ipynb"))
    gradebook = tmp_path / "gb.sqlite"
    read, write = os.pipe()
    os.close(read)  # nobody reads what the command prints
    try:
        done = subprocess.run([sys.executable, "-m", "coursekit.cli", "grade", str(basic_source), str(subs),
                               "--gradebook", str(gradebook)], stdout=write, stderr=subprocess.PIPE, text=True,
                              timeout=300)
    finally:
        os.close(write)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    shown = coursekit("grade", basic_source, subs, "--gradebook", gradebook)
    assert shown.returncode == 0 and "0 graded (none), 2 skipped as already graded" in shown.stdout, shown.stdout
