"""The book build: a small fixture book through the same code path as `make book`."""
from __future__ import annotations

import html as html_module
import re
import shutil
import textwrap
from pathlib import Path

import nbformat
import pytest

from coursekit.book.build import BuildError, build_book

FIXTURE_NB = ("import matplotlib.pyplot as plt\n"
              "fig, ax = plt.subplots()\nax.plot([1, 2, 3])\nax.set_title('rising')\nplt.show()")


def make_book(root: Path, notebook_code: str = FIXTURE_NB, extra_toc: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_config.yml").write_text(textwrap.dedent("""\
        title: Fixture book
        only_build_toc_files: true
        exclude_patterns: [_build, "**/_build", ".*"]
        execute:
          execute_notebooks: cache
          cache: _build/.jupyter_cache
        sphinx:
          extra_extensions: [coursekit.book.careers_directives]
        """))
    (root / "_toc.yml").write_text("format: jb-book\nroot: intro\nchapters:\n  - file: page\n  - file: nb\n"
                                   + extra_toc)
    (root / "intro.md").write_text("# Intro\n\nThe ML engineer earns {salary}`ml-engineer`.\n")
    (root / "page.md").write_text("# Page\n\n```{salary-ladder}\n:level: entry\n```\n")
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_markdown_cell("# Notebook"), nbformat.v4.new_code_cell(notebook_code)]
    nbformat.write(nb, str(root / "nb.ipynb"))
    return root


def test_fixture_book_builds_with_pages_figures_and_no_errors(tmp_path):
    root = make_book(tmp_path / "book")
    stats = build_book(root, jobs=1)
    html = root / "_build" / "html"
    for page in ("intro", "page", "nb"):
        text = (html / f"{page}.html").read_text()
        assert "Traceback" not in text and "output_error" not in text and "stderr" not in text
    assert "$110,000" in (html / "intro.html").read_text()
    assert re.search(r"<img[^>]+salary-ladder", (html / "page.html").read_text())
    assert re.search(r"<img[^>]+(src=\"data:image/png|\.png)", (html / "nb.html").read_text())
    assert stats["executed"] == 1
    again = build_book(root, jobs=1)
    assert again["executed"] == 0  # unchanged notebook: served from the cache


def test_failing_notebook_fails_the_build_naming_the_file(tmp_path):
    root = make_book(tmp_path / "book", notebook_code="x = 1\nraise ValueError('broken on purpose')")
    with pytest.raises(BuildError) as info:
        build_book(root, jobs=1)
    assert "nb.ipynb: cell 2 raised ValueError: broken on purpose" in str(info.value)


def test_broken_toc_entry_and_reference_fail(tmp_path):
    root = make_book(tmp_path / "book", extra_toc="  - file: missing\n")
    with pytest.raises(BuildError, match="entry 'missing' has no .md or .ipynb file"):
        build_book(root, jobs=1)
    root = make_book(tmp_path / "book2")
    (root / "page.md").write_text("# Page\n\nSee {doc}`nowhere` and {salary}`astronaut`.\n")
    with pytest.raises(BuildError) as info:
        build_book(root, jobs=1)
    assert "page.md" in str(info.value) and "nowhere" in str(info.value)


def test_unsound_exercise_stops_the_build(tmp_path, basic_source):
    root = make_book(tmp_path / "book")
    folder = root / "exercises" / "basic"
    folder.mkdir(parents=True)
    nb = nbformat.read(str(basic_source), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace("total = sum(range(1, 11))", "total = 54")
    nbformat.write(nb, str(folder / "basic.ipynb"))
    with pytest.raises(BuildError, match="reference solution earns"):
        build_book(root, jobs=1)
    shutil.copy2(basic_source, folder / "basic.ipynb")
    (root / "_toc.yml").write_text((root / "_toc.yml").read_text() + "  - file: chapters/exercises/basic\n")
    build_book(root, jobs=1)
    page = (root / "_build" / "html" / "chapters" / "exercises" / "basic.html").read_text()
    assert "add the numbers 1 to 10" not in page  # hidden tests never reach the book
    assert "tag_hide-cell" in page and re.search(r"<span[^>]*>range</span>", page)  # solution folded, present
    assert "Show the solution" in page and "Show the test" in page  # one clear label per folded cell


def test_withheld_solutions_unlisted_and_misnamed_sets(tmp_path, basic_source, capsys):
    """A graded course publishes no solution anywhere in the site; the build names sets it leaves out."""
    root = make_book(tmp_path / "book", extra_toc="  - file: chapters/exercises/basic\n")
    (root / "_config.yml").write_text((root / "_config.yml").read_text() + "coursekit:\n  withhold_solutions: [basic]\n")
    for name in ("basic", "unlisted"):
        (root / "exercises" / name).mkdir(parents=True)
        shutil.copy2(basic_source, root / "exercises" / name / f"{name}.ipynb")
    (root / "exercises" / "misnamed").mkdir()
    shutil.copy2(basic_source, root / "exercises" / "misnamed" / "other.ipynb")
    build_book(root, jobs=1)
    err = capsys.readouterr().err
    assert ("coursekit build: warning: exercises/unlisted: not in _toc.yml, so the book leaves it out; "
            "to publish it add '- file: chapters/exercises/unlisted' to a chapter") in err
    assert "exercises/misnamed: skipped: its notebook must be named after the folder, misnamed.ipynb" in err
    assert "exercises/basic: not in _toc.yml" not in err
    vacuous = "warning: exercises/basic/basic.ipynb: cell 3 (question q1): q1 test 1 passes when total is 0"
    assert vacuous in err
    build_book(root, jobs=1)  # validation is cached, its warnings are not forgotten
    again = capsys.readouterr()
    assert vacuous in again.err and "validated 0 changed exercise set(s)" in again.out
    html = root / "_build" / "html"
    page = (html / "chapters" / "exercises" / "basic.html").read_text()
    assert "total = ..." in html_module.unescape(re.sub(r"<[^>]+>", "", page))  # the student's stub instead
    published = [p for p in html.rglob("*") if p.is_file() and p.suffix in (".html", ".ipynb", ".txt", ".md", ".js")]
    assert any(p.suffix == ".ipynb" for p in published)  # the page's download is there, without solutions
    for path in published:
        text = html_module.unescape(re.sub(r"<[^>]+>", "", path.read_text(errors="ignore")))
        for solution in ("sum(range(1, 11))", "return SCALE * x", "i * i for i in range(5)"):
            assert solution not in text, f"{path} shows the solution {solution!r}"


def test_maths_that_will_not_render_and_placeholders_stop_the_build(tmp_path):
    """Sphinx accepts both silently; the build names each file, cell or line, before running anything."""
    root = make_book(tmp_path / "book")
    (root / "page.md").write_text("# Page\n\nA gap below \\$10^{-7}$ is fine.\n\nThis part is coming soon.\n")
    nb = nbformat.read(str(root / "nb.ipynb"), as_version=4)
    nb.cells[0].source = "# Notebook\n\nPower \\$1 - \\beta$ needs a larger sample."
    nbformat.write(nb, str(root / "nb.ipynb"))
    with pytest.raises(BuildError) as info:
        build_book(root, jobs=1)
    message = str(info.value)
    assert "page.md:3: maths does not render: '\\$10^{-7}$'" in message
    assert "page.md:5: placeholder text 'coming soon'" in message
    assert "nb.ipynb: cell 1, line 3: maths does not render: '\\$1 - \\beta$'" in message
    assert not (root / "_build" / "html").exists()  # stopped before executing or rendering
