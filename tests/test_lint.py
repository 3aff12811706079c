"""The build's content checks: maths that will not render and leftover placeholder text."""
from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from coursekit.book.lint import file_problems, markdown_problems

ROOT = Path(__file__).resolve().parents[1]


def reasons(text: str) -> list[str]:
    return [reason for _, reason in markdown_problems(text)]


@pytest.mark.parametrize("text, expected", [
    # the two notebooks of issue 15, as they were
    (r"A useful rule of thumb: below \$10^{-7}$ is fine.", r"maths does not render: '\$10^{-7}$'"),
    (r"a two-sided test at level $\alpha$ with power \$1 - \beta$ needs", r"'\$1 - \beta$'"),
    (r"steps smaller than \$2/L$ are guaranteed to decrease it, where $L$ bounds it, plus $\lambda$.",
     "maths swallows prose: $are guaranteed to decrease it, where$"),
    ("a lone $ sign in a sentence", "unpaired $ in 'a lone $ sign in a sentence'"),
    ("pay $110,000 to $150,000 a year", "maths swallows prose: $110,000 to$"),
    ("Other pages are still being written.", "placeholder text 'still being written'"),
    ("TODO: explain the figure", "placeholder text 'TODO'"),
    ("Lorem ipsum dolor sit amet.", "placeholder text 'Lorem ipsum'"),
    ("```{note}\n:class: tip\nThis section is coming soon.\n```", "placeholder text 'coming soon'"),
])
def test_broken_maths_and_placeholders_are_found(text, expected):
    found = reasons(text)
    assert any(expected in reason for reason in found), found


@pytest.mark.parametrize("text", [
    r"The offer is \$120,000 plus \$10,000 bonus, and $x^2$ is maths.",
    r"below $10^{-7}$ is fine; $\lVert g_{\text{analytic and numeric}} \rVert$ too",
    "$$\n\\begin{aligned} a &= b \\\\ c &= d \\end{aligned}\n$$",
    "`$HOME` and `TODO` in code are the reader's business",
    "```python\nprice = '$5'  # TODO\n```",
    "```{code-cell} ipython3\nprint('$')\n```",
    "A to-do list is not a placeholder; nor is the word todo in lower case.",
])
def test_correct_pages_pass(text):
    assert reasons(text) == []


def test_notebook_problems_name_the_file_and_cell(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# Title"), nbformat.v4.new_code_cell("x = '$'  # TODO"),
                nbformat.v4.new_markdown_cell("Fine.\n\nBelow \\$10^{-7}$ is fine.")]
    path = tmp_path / "project.ipynb"
    nbformat.write(nb, str(path))
    assert file_problems(path, tmp_path) == [
        "project.ipynb: cell 3, line 3: maths does not render: '\\$10^{-7}$' (the \\$ escapes the opening "
        "dollar; write $...$ for maths, \\$ only for a dollar sign)"]
    page = tmp_path / "page.md"
    page.write_text("---\ntitle: x\n---\n# Page\n\nText.\n\nWork in progress.\n")
    assert file_problems(page, tmp_path) == ["page.md:8: placeholder text 'Work in progress' in 'Work in progress.'"]


def test_every_page_and_notebook_of_the_book_passes():
    paths = sorted(p for p in [*ROOT.glob("chapters/**/*.md"), *ROOT.glob("chapters/**/*.ipynb"),
                               *ROOT.glob("exercises/*/*.ipynb")] if "_build" not in p.parts)
    assert len(paths) > 30
    problems = [problem for path in paths for problem in file_problems(path, ROOT)]
    assert problems == []
