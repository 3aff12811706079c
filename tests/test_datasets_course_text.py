"""The course-text corpus: finds the chapters and strips MyST markup down to prose."""
import pytest

from coursekit import careers
from coursekit.datasets import course_text

PAGE = """---
jupytext:
  text_representation: {extension: .md, format_name: myst}
---
(my-label)=
# Data engineering

% a comment the reader never sees
An {term}`ETL` pipeline feeds the {doc}`models <../ml-engineering>` and {doc}`/chapters/growth`.
Salaries {cite:p}`glassdoor` sit at {salary}`ml-engineer` for a {role-title}`ml-engineer`.
See [the glossary](../glossary.md) and ![a chart](img.png) **bold** and *italic* `code`.
Titles such as *analytics
engineer* wrap across lines.

```{note}
:class: dropdown
Keep this sentence.
```

````{admonition} A titled box
Inside the box.
```{code-cell} ipython3
print("nested code is dropped")
```
````

```{careers-table}
:level: entry
```

```python
import secret_code
```

:::{tip}
A colon fence tip.
:::

| Role | Tool |
|------|------|
| Analyst | SQL |

$$
E = mc^2
$$
+++
The end.
"""


def test_strip_myst_keeps_prose_and_drops_markup():
    text = course_text.strip_myst(PAGE)
    for kept in ("Data engineering", "An ETL pipeline feeds the models and growth.",
                 "See the glossary and", "bold and italic code.", "analytics\nengineer wrap", "Keep this sentence.",
                 "A titled box", "Inside the box.", "A colon fence tip.", "Analyst SQL", "The end."):
        assert kept in text, kept
    for dropped in ("jupytext", "my-label", "a comment", "glassdoor", "{", "}", "```", ":::",
                    ":class:", ":level:", "nested code", "secret_code", "img.png", "a chart",
                    "mc^2", "+++", "---", "**", "|"):
        assert dropped not in text, dropped


def test_career_roles_show_the_figures_from_the_data_file():
    text = course_text.strip_myst(PAGE)
    assert careers.salary_text("ml-engineer") in text
    assert careers.role("ml-engineer")["title"] in text


def test_load_chapters_reads_pages_and_skips_build_folders(tmp_path):
    chapters = tmp_path / "chapters"
    (chapters / "trends").mkdir(parents=True)
    (chapters / "_build" / "generated").mkdir(parents=True)
    (chapters / "trends" / "edge-ai.md").write_text("# Edge AI\n\nSmall models on small devices.\n")
    (chapters / "welcome.md").write_text(PAGE)
    (chapters / "_build" / "generated" / "junk.md").write_text("# Junk\n")
    (chapters / "empty.md").write_text("```{toctree}\n```\n")
    pages = course_text.load_chapters(tmp_path)
    assert list(pages) == ["trends/edge-ai", "welcome"]
    assert pages["trends/edge-ai"] == "Edge AI\n\nSmall models on small devices."
    assert course_text.load_chapters(chapters) == pages


def test_finds_the_repository_chapters_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COURSEKIT_CHAPTERS", raising=False)
    folder = course_text.find_chapters()
    assert folder.name == "chapters" and (folder / "welcome.md").is_file()


def test_real_chapters_are_plain_text():
    pages = course_text.load_chapters()
    assert "welcome" in pages and len(pages) >= 10
    for page, text in pages.items():
        assert text.strip(), page
        assert "```" not in text and ":::" not in text, page
        assert "{term}`" not in text and "{cite" not in text, page


def test_missing_folder_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError):
        course_text.find_chapters(tmp_path / "nowhere")
