"""Content checks that Sphinx does not make: maths that will not render, and leftover placeholders.

MyST's ``dollarmath`` never reports an error. A ``\\$`` typed before maths (``\\$10^{-7}$``) prints
a dollar sign and pairs the closing ``$`` with the next one in the paragraph, turning the prose in
between into maths; a lone ``$`` just shows up as a dollar. Both pass ``jupyter-book build -W``.
So ``coursekit build`` parses every page and markdown cell of the toc with MyST's own parser (the
one the book uses, so the verdict matches the rendering) and fails on:

* a ``\\$`` escape followed, in the same paragraph, by a ``$`` that opens or closes nothing;
* a ``$`` left unpaired (write ``\\$`` for a dollar sign);
* inline maths that swallowed prose (``$110,000 to $``: two unescaped dollar amounts);
* placeholder text: TODO, FIXME, TBD, "lorem ipsum", "coming soon", "still being written", ...

Code (cells, fences, inline code) is never checked: a ``$`` or a TODO there is the reader's business.
"""
from __future__ import annotations

import os
import re
from functools import lru_cache
from pathlib import Path

import nbformat

PLACEHOLDER = re.compile(
    r"\b(?:TODO|FIXME|TBD)\b"
    r"|(?i:\blorem ipsum\b|\bcoming soon\b|\b(?:still|yet) (?:being|to be) written\b"
    r"|\bto be (?:written|added|completed)\b|\bunder construction\b|\bplaceholder text\b|\bwork in progress\b)")
# Directives whose body is prose, linted like the page around it (the others hold code or data).
PROSE_DIRECTIVES = {"admonition", "attention", "caution", "danger", "dropdown", "epigraph", "error",
                    "hint", "important", "margin", "note", "seealso", "sidebar", "tip", "topic", "warning",
                    "card", "tab-item", "exercise", "solution"}
DIRECTIVE = re.compile(r"^\{(?P<name>[\w-]+)\}")
OPTION = re.compile(r"^:[\w-]+:.*$")
# Inline maths that reads like a sentence: three plain words in a row, outside \text{...} and commands.
PROSE = re.compile(r"(?<![\\\w])[A-Za-z]{2,},?\s+[A-Za-z]{2,},?\s+[A-Za-z]{2,}\b"
                   r"|^\s*\d[\d,.]*\s+[A-Za-z]{2,}")   # or an amount and a word: "$110,000 to $"
ESCAPED_MATHS = re.compile(r"\\\$[^$\n]{0,40}?(?<![\\\s])\$")   # \$10^{-7}$: escape, then a closing $
BARE_DOLLAR = re.compile(r"(?<!\\)\$")
TEXT_COMMAND = re.compile(r"\\(?:text\w*|math\w+|operatorname|mbox)\s*\{[^{}]*\}|\\[A-Za-z]+")


@lru_cache(maxsize=1)
def _parser():
    from markdown_it.renderer import RendererHTML
    from myst_parser.config.main import MdParserConfig
    from myst_parser.parsers.mdit import create_md_parser
    config = MdParserConfig(enable_extensions={"dollarmath", "colon_fence", "deflist", "substitution",
                                               "html_image"})
    md = create_md_parser(config, RendererHTML)
    md.disable("text_join", ignoreInvalid=True)  # keep `\$` escapes apart from bare dollars
    return md


def _snippet(text: str, at: int, width: int = 30) -> str:
    start, end = max(0, at - width), min(len(text), at + width)
    return " ".join(text[start:end].split())


def _inline_problems(children, source: str) -> list[str]:
    """Problems in one paragraph (the children of an inline token)."""
    problems, escaped = [], False
    for child in children:
        if child.type == "text_special" and child.content == "$":
            escaped = True
        elif child.type == "text" and "$" in child.content:
            escaped_maths = ESCAPED_MATHS.search(source) if escaped else None
            if escaped_maths:
                problems.append(f"maths does not render: '{' '.join(escaped_maths.group(0).split())}' (the \\$ "
                                f"escapes the opening dollar; write $...$ for maths, \\$ only for a dollar sign)")
            else:
                bare = BARE_DOLLAR.search(source)
                where = _snippet(source, bare.start()) if bare else child.content.strip()
                problems.append(f"unpaired $ in '{where}' (write \\$ for a dollar sign, or close the maths)")
        elif child.type == "math_inline":
            plain = TEXT_COMMAND.sub(" ", child.content)
            if PROSE.search(plain):
                cause = "a \\$ escapes the opening dollar earlier in the paragraph" if escaped else \
                    "unescaped dollar amounts or an unpaired $ (write \\$ for a dollar sign)"
                problems.append(f"maths swallows prose: ${' '.join(child.content.split())[:60]}$ ({cause})")
        if child.type == "text":
            for match in PLACEHOLDER.finditer(child.content):
                problems.append(f"placeholder text '{match.group(0)}' in "
                                f"'{_snippet(child.content, match.start())}'")
    return list(dict.fromkeys(problems))


def markdown_problems(text: str) -> list[tuple[int, str]]:
    """(line, reason) for every problem in a MyST Markdown text; lines count from 1."""
    problems = []
    tokens = _parser().parse(text)
    for token in tokens:
        line = token.map[0] + 1 if token.map else 1
        if token.type == "inline":
            problems += [(line, p) for p in _inline_problems(token.children or [], token.content)]
        elif token.type in ("fence", "colon_fence"):
            match = DIRECTIVE.match(token.info.strip())
            if match and match["name"] in PROSE_DIRECTIVES:
                body = "\n".join("" if OPTION.match(ln) else ln for ln in token.content.splitlines())
                problems += [(line + inner, p) for inner, p in markdown_problems(body)]
    return problems


def file_problems(path: Path, root: Path | None = None) -> list[str]:
    """One line per problem, naming the file and the line (pages) or the cell (notebooks)."""
    name = os.path.relpath(path, root) if root else str(path)
    if path.suffix == ".ipynb":
        nb = nbformat.read(str(path), as_version=4)
        return [f"{name}: cell {number}, line {line}: {reason}"
                for number, cell in enumerate(nb.cells, start=1) if cell.cell_type == "markdown"
                for line, reason in markdown_problems(cell.source)]
    return [f"{name}:{line}: {reason}" for line, reason in markdown_problems(path.read_text(encoding="utf-8"))]


def check_pages(root: Path, files: list[Path]) -> None:
    """Raise BuildError listing every problem in the toc's pages and notebooks (the build's hook)."""
    from coursekit.book.build import BuildError
    problems = [p for path in files if path.suffix in (".md", ".ipynb") for p in file_problems(path, root)]
    if problems:
        raise BuildError("\n".join(problems))
