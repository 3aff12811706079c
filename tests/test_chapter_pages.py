"""Every chapter page ends with the same wrap-up box: key points and what to do next (issue 15)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Reference pages and the guides are not chapters; the interviews part keeps its own summaries.
NOT_CHAPTERS = {"glossary.md", "bibliography.md"}
PAGES = sorted(p for p in (ROOT / "chapters").rglob("*.md")
               if p.parent.name not in {"guides", "interviews", "exercises"} and p.name not in NOT_CHAPTERS)
BOX = re.compile(r"^```\{admonition\} Wrap-up\n:class: wrap-up\n\n\*\*Key points\*\*\n\n((?:- .+\n)+)\n"
                 r"\*\*What to do next\*\*\n\n((?:- .+\n)+)```$", re.M)


def test_the_chapter_pages_are_found():
    assert len(PAGES) >= 24


@pytest.mark.parametrize("page", PAGES, ids=[str(p.relative_to(ROOT / "chapters")) for p in PAGES])
def test_chapter_page_has_one_wrap_up_box(page):
    text = page.read_text(encoding="utf-8")
    boxes = BOX.findall(text)
    assert len(boxes) == 1, f"{page.relative_to(ROOT)}: expected one wrap-up box, found {len(boxes)}"
    points, next_steps = boxes[0]
    assert 3 <= points.count("\n- ") + 1 <= 5, f"{page.relative_to(ROOT)}: 3 to 5 key points"
    assert "{doc}" in next_steps, f"{page.relative_to(ROOT)}: 'What to do next' should link a page"
    assert text.count(":class: wrap-up") == 1
