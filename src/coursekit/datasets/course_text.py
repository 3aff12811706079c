"""The course's own chapters as plain text: a small, always-available corpus for NLP projects.

:func:`load_chapters` finds the book's ``chapters/`` folder, reads every MyST Markdown page in it
and returns ``{page: text}``, where ``page`` is the path below ``chapters/`` without ``.md``
(e.g. ``"trends/generative-ai"``). The markup a reader never sees is removed:

* YAML front matter and MyST comments (``% ...``), target labels (``(label)=``), ``+++`` breaks;
* directives (```` ```{name} ```` and ``:::{name}`` fences, nested ones too): those that hold
  prose (admonitions, glossary, dropdowns, sidebars ...) keep their body without the option lines;
  all others (code cells, figures, tables generated from data, toctrees ...) are dropped whole,
  as are plain code blocks and ``$$`` math blocks;
* roles: ``{term}`ETL``` becomes ``ETL``, ``{doc}`text <target>``` becomes ``text``, citations
  are dropped, and the course's career roles (``{salary}``, ``{role-title}``, ``{market}``) are
  replaced by the figures they display, read from the career data file;
* Markdown syntax: heading marks, emphasis, inline code ticks, links (their text is kept),
  images, HTML tags and comments, table pipes.

The text of a page is whatever is there when you call it: pages change while the course is being
written, and code that uses this corpus must not rely on any particular content.
"""
from __future__ import annotations

import os
import re
from importlib import resources
from pathlib import Path

#: Directives whose body is prose a reader sees; every other directive is dropped whole.
PROSE_DIRECTIVES = {
    "admonition", "attention", "caution", "danger", "error", "hint", "important", "note", "tip",
    "warning", "seealso", "glossary", "epigraph", "pull-quote", "sidebar", "margin", "topic",
    "dropdown", "tab-set", "tab-item", "card", "grid", "grid-item", "grid-item-card",
    "div", "container", "rubric", "exercise", "solution", "prf:definition", "prf:example",
}

_FENCE = re.compile(r"^\s*(?P<fence>`{3,}|~{3,}|:{3,})\s*(?P<rest>.*)$")
_DIRECTIVE = re.compile(r"^\{(?P<name>[A-Za-z0-9_:+-]+)\}\s*(?P<arg>.*)$")
_ROLE = re.compile(r"\{(?P<name>[A-Za-z0-9_:+-]+)\}`(?P<body>[^`]*)`")
_OPTION = re.compile(r"^\s*:[A-Za-z0-9_-]+:.*$")


def find_chapters(start: str | Path | None = None) -> Path:
    """The book's ``chapters`` folder.

    Looked for, in order: ``start`` (the folder itself or a folder containing ``chapters/``),
    the ``COURSEKIT_CHAPTERS`` environment variable, the repository the package is installed
    from (editable install), then the current directory and its parents.
    """
    if start is not None:
        place = Path(start)
        for folder in (place / "chapters", place):
            if folder.is_dir() and any(folder.rglob("*.md")):
                return folder.resolve()
        raise FileNotFoundError(f"{place}: no chapters folder with .md pages here")
    candidates: list[Path] = []
    if os.environ.get("COURSEKIT_CHAPTERS"):
        candidates.append(Path(os.environ["COURSEKIT_CHAPTERS"]))
    package = Path(str(resources.files("coursekit")))
    candidates += list(package.parents)[:3]
    cwd = Path.cwd()
    candidates += [cwd, *cwd.parents]
    for place in candidates:
        for folder in (place, place / "chapters"):
            if folder.name == "chapters" and folder.is_dir() and any(folder.rglob("*.md")):
                return folder.resolve()
    raise FileNotFoundError("cannot find the course's chapters/ folder; pass its path to load_chapters()")


def _role_text(name: str, body: str) -> str:
    name = name.split(":")[-1] if name.startswith(("py:", "std:")) else name
    if name in {"cite", "cite:p", "cite:t", "cite:ps", "cite:ts", "footcite", "numref", "eq"}:
        return ""
    if name in {"salary", "role-title", "market"}:
        try:
            from coursekit import careers
            if name == "salary":
                return careers.salary_text(body.strip())
            if name == "role-title":
                return careers.role(body.strip())["title"]
            fact = careers.market_fact(body.strip())
            return " ".join(x for x in (fact.get("qualifier", ""), careers.format_usd(fact["value_usd"])) if x)
        except Exception:  # unknown id: keep the reader-facing id rather than fail
            return body.strip()
    explicit = re.match(r"^(?P<text>.*?)\s*<[^<>]*>$", body.strip(), flags=re.S)
    if explicit and explicit.group("text"):
        return explicit.group("text")
    body = body.strip().lstrip("~!")
    if name in {"doc", "ref", "download"}:   # a bare target: the reader sees a title, use its name
        return _target_name(body)
    return body


def _target_name(target: str) -> str:
    name = target.rstrip("/").split("/")[-1].split("#")[0]
    name = re.sub(r"\.(md|ipynb)$", "", name)
    return re.sub(r"[-_]+", " ", name).strip()


def strip_myst(source: str) -> str:
    """Plain prose from one MyST Markdown page (see the module docstring for what is removed)."""
    lines = source.replace("\r\n", "\n").split("\n")
    if lines and lines[0].strip() == "---":
        for end in range(1, len(lines)):
            if lines[end].strip() == "---":
                lines = lines[end + 1:]
                break
    kept: list[str] = []
    stack: list[tuple[str, bool]] = []   # (closing fence, keep body?) per open fence
    in_math = False
    in_options = False
    for line in lines:
        stripped = line.strip()
        if stack:
            fence, keep = stack[-1]
            if stripped and set(stripped) == {fence[0]} and len(stripped) >= len(fence):
                stack.pop()
                in_options = False
                continue
        match = _FENCE.match(line)
        if match and (not stack or stack[-1][1]):
            fence, rest = match.group("fence"), match.group("rest")
            directive = _DIRECTIVE.match(rest)
            if directive:
                name = directive.group("name")
                keep = name in PROSE_DIRECTIVES
                stack.append((fence, keep))
                in_options = keep
                if keep and name == "admonition" and directive.group("arg"):
                    kept.append(directive.group("arg"))
                continue
            if fence[0] == ":" and not rest:
                continue
            stack.append((fence, False))   # a plain code block (or an unknown fence): dropped
            continue
        if any(not keep for _, keep in stack):
            continue
        if in_options:
            if _OPTION.match(line):
                continue
            in_options = False
        if stripped.startswith("$$"):
            in_math = not (in_math or (len(stripped) > 2 and stripped.endswith("$$")))
            continue
        if in_math:
            continue
        if stripped.startswith("%") or stripped == "+++" or re.match(r"^\(.+\)=\s*$", stripped):
            continue
        if re.match(r"^\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?$", stripped):
            continue
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"<!--.*?-->", " ", text, flags=re.S)
    text = _ROLE.sub(lambda m: _role_text(m.group("name"), m.group("body")), text)
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", " ", text)               # images
    text = re.sub(r"\[\]\(([^)]*)\)", lambda m: _target_name(m.group(1)), text)  # [](target)
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)            # links keep their text
    text = re.sub(r"\[([^\]]*)\]\[[^\]]*\]", r"\1", text)           # reference links
    text = re.sub(r"<[^>\n]+>", " ", text)                          # HTML tags
    text = re.sub(r"`([^`]*)`", r"\1", text)                        # inline code
    span = r"((?:[^*\n]|\n(?!\s*\n))+?)"                             # may wrap, within a paragraph
    text = re.sub(r"\*\*" + span + r"\*\*", r"\1", text)                # bold
    text = re.sub(r"(?<![\w*])\*(?!\s)" + span + r"\*(?![\w*])", r"\1", text)   # italics
    text = re.sub(r"(?m)^\s{0,3}#{1,6}\s+", "", text)               # heading marks
    text = re.sub(r"(?m)^\s*>\s?", "", text)                        # block quotes
    text = re.sub(r"(?m)^\s*\|(.*)\|\s*$", lambda m: m.group(1).replace("|", " "), text)
    text = re.sub(r"\\([\\`*_{}\[\]()#+\-.!|~<>$%])", r"\1", text)   # backslash escapes
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([.,;:!?)])", r"\1", text)                    # space left by a dropped role
    text = re.sub(r"(?m)^ +| +$", "", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def load_chapters(root: str | Path | None = None) -> dict[str, str]:
    """``{page: plain text}`` for every ``.md`` page of the book, sorted by page name.

    ``root`` is the ``chapters`` folder (or the repository holding it); by default it is found
    with :func:`find_chapters`. Folders whose name starts with ``_`` or ``.`` (build output,
    checkpoints) are skipped, and so are pages with no prose left after stripping.
    """
    folder = find_chapters(root)
    pages = {}
    for path in sorted(folder.rglob("*.md")):
        relative = path.relative_to(folder)
        if any(part.startswith(("_", ".")) for part in relative.parts[:-1]):
            continue
        text = strip_myst(path.read_text(encoding="utf-8"))
        if text:
            pages[relative.with_suffix("").as_posix()] = text
    return pages
