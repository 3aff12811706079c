"""Sphinx roles and directives that print career facts straight from the data file.

Prose pages write ``{salary}`ml-engineer``` or a ``{careers-table}`` directive instead of typing a
figure, so the book can never disagree with ``coursekit.careers``.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.util.docutils import SphinxDirective, SphinxRole

from coursekit import careers


class _CareerRole(SphinxRole):
    """Base for inline roles that look one record up and print it; unknown ids are build errors."""

    def lookup(self, key: str) -> str:
        raise NotImplementedError

    def run(self):
        try:
            text = self.lookup(self.text.strip())
        except careers.CareerDataError as exc:
            msg = self.inliner.reporter.error(str(exc), line=self.lineno)
            return [self.inliner.problematic(self.rawtext, self.rawtext, msg)], [msg]
        return [nodes.Text(text)], []


class SalaryRole(_CareerRole):
    def lookup(self, key):
        return careers.salary_text(key)


class RoleTitleRole(_CareerRole):
    def lookup(self, key):
        return careers.role(key)["title"]


class MarketRole(_CareerRole):
    def lookup(self, key):
        fact = careers.market_fact(key)
        return f"{fact.get('qualifier', '')} {careers.format_usd(fact['value_usd'])}".strip()


def _table(header: list[str], rows: list[list[str]]) -> nodes.table:
    table = nodes.table(classes=["careers-table"])
    group = nodes.tgroup(cols=len(header))
    table += group
    group.extend(nodes.colspec(colwidth=1) for _ in header)
    head = nodes.thead()
    body = nodes.tbody()
    group += head
    group += body
    for target, cells in ((head, [header]), (body, rows)):
        for cells_row in cells:
            row = nodes.row()
            for cell in cells_row:
                entry = nodes.entry()
                entry += nodes.paragraph(text=str(cell))
                row += entry
            target += row
    return table


class CareersTable(SphinxDirective):
    """A table of roles (title, level, experience, salary, skills), filtered by level or domain."""

    option_spec = {"level": directives.unchanged, "domain": directives.unchanged,
                   "columns": directives.unchanged}
    COLUMNS = {
        "title": ("Role", lambda r: r.title),
        "level": ("Level", lambda r: _label("levels", r.level)),
        "domain": ("Domain", lambda r: _label("domains", r.domain)),
        "years": ("Experience", lambda r: _years(r.years_min, r.years_max)),
        "salary": ("U.S. salary (estimated range)", lambda r: careers.salary_text(r.id)),
        "skills": ("Key skills", lambda r: ", ".join(careers.skill_name(s) for s in r.skills)),
        "responsibilities": ("Responsibilities", lambda r: "; ".join(r.responsibilities)),
    }

    def run(self):
        self.env.note_dependency(str(careers.default_path()))
        columns = [c.strip() for c in self.options.get("columns", "title,years,salary,skills").split(",")]
        unknown = [c for c in columns if c not in self.COLUMNS]
        if unknown:
            raise self.error(f"careers-table: unknown column(s) {', '.join(unknown)}; "
                             f"choose from {', '.join(self.COLUMNS)}")
        try:
            table = careers.roles(level=self.options.get("level"), domain=self.options.get("domain"))
        except careers.CareerDataError as exc:
            raise self.error(str(exc))
        rows = [[self.COLUMNS[c][1](r) for c in columns] for r in table.itertuples()]
        return [_table([self.COLUMNS[c][0] for c in columns], rows)]


def _years(low, high) -> str:
    """'0–2 years' or '7+ years'; the table's column is float when one level has no upper bound."""
    if high is None or high != high:
        return f"{int(low)}+ years"
    return f"{int(low)}–{int(high)} years"


def _label(kind: str, item_id: str) -> str:
    """The display label of a level or domain id, as the data file spells it."""
    return {x["id"]: x["label"] for x in getattr(careers.load(), kind)}.get(item_id, item_id)


def _status(cert: dict) -> str:
    if not cert.get("status"):
        return "not recorded"
    return cert["status"] + (f" (as of {cert['status_as_of']})" if cert.get("status_as_of") else "")


class CertificationsTable(SphinxDirective):
    """The certifications the source names, each with its dated status from the data file."""

    def run(self):
        self.env.note_dependency(str(careers.default_path()))
        data = careers.load()
        return [_table(["Certification", "Provider", "Status"],
                       [[c["name"], c["provider"], _status(c)] for c in data.certifications])]


class SalaryLadder(SphinxDirective):
    """The salary-ladder figure, drawn with matplotlib at build time from the data file, as SVG."""

    option_spec = {"level": directives.unchanged, "domain": directives.unchanged,
                   "alt": directives.unchanged, "caption": directives.unchanged}

    def run(self):
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        self.env.note_dependency(str(careers.default_path()))
        level, domain = self.options.get("level"), self.options.get("domain")
        key = hashlib.sha1(f"{level}|{domain}|{careers.default_path().read_bytes()!r}".encode()).hexdigest()[:12]
        out_dir = Path(self.env.app.srcdir) / "_build" / "generated"
        out_dir.mkdir(parents=True, exist_ok=True)
        image_path = out_dir / f"salary-ladder-{key}.svg"
        try:
            fig = careers.salary_ladder(level=level, domain=domain)
        except careers.CareerDataError as exc:
            raise self.error(str(exc))
        fig.savefig(image_path, format="svg", metadata={"Date": None}, bbox_inches="tight")  # vector: sharp at any width
        plt.close(fig)
        alt = self.options.get("alt", "Horizontal bars, one per role, each labelled with the role and its quoted "
                                      "U.S. salary range, coloured by career level")
        rel = "/" + str(image_path.relative_to(self.env.app.srcdir))
        figure = nodes.figure()
        figure += nodes.image(uri=rel, alt=alt, candidates={"*": rel})
        self.env.images.add_file(self.env.docname, rel)
        caption = self.options.get("caption", "Estimated U.S. salary ranges by role and level, as quoted by "
                                              "the course's source from Glassdoor and Payscale (course data file).")
        figure += nodes.caption(text=caption)
        return [figure]


def setup(app):
    app.add_role("salary", SalaryRole())
    app.add_role("role-title", RoleTitleRole())
    app.add_role("market", MarketRole())
    app.add_directive("careers-table", CareersTable)
    app.add_directive("certifications-table", CertificationsTable)
    app.add_directive("salary-ladder", SalaryLadder)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
