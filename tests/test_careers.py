"""The career data API: one data file, read the same way by pages, plots and notebooks."""
from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest
import yaml

from coursekit import careers


def test_roles_table_has_every_role_with_salary_bounds():
    table = careers.roles()
    assert len(table) == len(careers.load().roles) == 9
    assert (table.salary_low <= table.salary_high).all()
    assert list(table.level.unique()) == ["entry", "mid", "advanced"]


def test_filters_and_unknown_filters():
    entry = careers.roles(level="entry")
    assert set(entry.title) == {"Data Analyst", "Junior ML Engineer", "AI Research Assistant"}
    assert set(careers.roles(domain="data-science").id) == {"data-analyst", "data-scientist"}
    with pytest.raises(careers.CareerDataError, match="no level 'junior'"):
        careers.roles(level="junior")


def test_research_assistant_keeps_both_ranges():
    ranges = careers.salary_ranges()
    mine = ranges[ranges.id == "ai-research-assistant"]
    assert set(mine.setting) == {"academic", "industry"}
    row = careers.roles().set_index("id").loc["ai-research-assistant"]
    assert row.salary_low == mine.low.min() and row.salary_high == mine.high.max()


def test_salary_text_reads_from_the_file():
    record = careers.role("chief-ai-officer")["salaries"][0]
    text = careers.salary_text("chief-ai-officer")
    assert careers.format_usd(record["low"]) in text and text.count("+") == 1
    assert record["note"] in text


def test_skill_gap_ranks_by_coverage_and_lists_missing():
    gap = careers.skill_gap(["SQL", "excel", "bi-tools", "data-cleaning", "data-visualization"])
    assert gap.iloc[0].id == "data-analyst"
    assert gap.coverage.is_monotonic_decreasing
    assert set(gap.iloc[0].missing) == {"communication", "statistics"}
    assert careers.skill_gap(["basket-weaving"]).attrs["unknown_skills"] == ["basket-weaving"]


def test_salary_ladder_draws_one_bar_per_range():
    fig = careers.salary_ladder()
    bars = fig.axes[0].patches
    assert len([b for b in bars if b.get_width() > 0]) == len(careers.salary_ranges())


def _write(tmp_path, data) -> str:
    path = tmp_path / "careers.yml"
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["roles"][0].pop("salaries"), "missing salaries"),
    (lambda d: d["roles"][0]["salaries"][0].update(low=90000, high=10), "low <= high"),
    (lambda d: d["roles"][0]["salaries"][0].update(low="lots"), "must be numbers"),
    (lambda d: d["roles"][0].update(level="guru"), "unknown level 'guru'"),
    (lambda d: d["roles"][1].update(id=d["roles"][0]["id"]), "appears twice"),
    (lambda d: d["roles"][0]["salaries"][0].update(source="hearsay"), "unknown source 'hearsay'"),
])
def test_malformed_files_give_one_line_errors(tmp_path, mutate, message):
    data = yaml.safe_load(careers.default_path().read_text())
    mutate(data)
    path = _write(tmp_path, data)
    with pytest.raises(careers.CareerDataError) as info:
        careers.load(path)
    assert message in str(info.value) and str(path) in str(info.value)
    assert "\n" not in str(info.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(careers.CareerDataError, match="file not found"):
        careers.load(tmp_path / "missing.yml")
    with pytest.raises(careers.CareerDataError, match="not valid YAML at line "):
        careers.load(_write(tmp_path, "roles:\n  - [unclosed\n"))


def test_every_skill_has_a_display_name_and_group():
    data = careers.load()
    for skill in careers.all_skills():
        assert data.skills[skill]["name"] and data.skills[skill]["group"], skill
    assert careers.skill_name("ab-testing") == "A/B testing"
    assert careers.skill_name("not-a-skill") == "not-a-skill"
    table = careers.skills_table()
    assert set(table.id) == set(careers.all_skills())
    assert table.roles.sum() == sum(len(r["skills"]) for r in data.roles)
    assert table.roles.is_monotonic_decreasing


def test_a_skill_without_a_name_is_a_one_line_error(tmp_path):
    data = yaml.safe_load(careers.default_path().read_text())
    del data["skills"]["fairness-auditing"]
    path = _write(tmp_path, data)
    with pytest.raises(careers.CareerDataError, match="without a display name in 'skills': fairness-auditing"):
        careers.load(path)


def test_role_tables_show_skill_names_and_labels_not_ids():
    from coursekit.book.careers_directives import CareersTable
    row = next(careers.roles(level="advanced").itertuples())
    cells = {name: fn(row) for name, (_, fn) in CareersTable.COLUMNS.items()}
    assert cells["skills"] == ", ".join(careers.skill_name(s) for s in row.skills)
    assert not set(row.skills) & set(cells["skills"].split(", "))
    assert cells["level"] == "Advanced and leadership"


def test_every_certification_status_is_dated():
    from coursekit.book.careers_directives import _status
    certs = {c["id"]: c for c in careers.load().certifications}
    assert len(certs) == 4
    for cert in certs.values():
        assert cert["status"] and cert["status_as_of"], cert["id"]
        assert _status(cert).endswith(f"(as of {cert['status_as_of']})")
    assert "closed" in certs["tensorflow-developer"]["status"]


def test_salary_ladder_is_readable_on_a_phone():
    """Narrow figure, large type, each bar named with its range (no wide tick-label column)."""
    fig = careers.salary_ladder()
    ax = fig.axes[0]
    assert fig.get_size_inches()[0] <= 6
    labels = ax.get_yticklabels()  # in bar order, so a caller can find a bar by its label
    assert len(labels) == len(ax.patches) == len(careers.salary_ranges())
    assert all(t.get_fontsize() >= 12 for t in labels)
    assert all(t.get_fontsize() >= 12 for t in ax.get_xticklabels())
    assert any(t.get_text().replace("\\$", "$").startswith("Chief AI Officer: $200k") for t in labels)
    # The labels sit inside the axes (no wide label column to the left of the bars).
    fig.canvas.draw()
    axes_left = ax.get_window_extent().x0
    assert all(t.get_window_extent().x0 >= axes_left for t in labels)


def test_careers_table_prints_whole_years():
    """The level without an upper bound makes the column float; the table still reads '0–2 years'."""
    from coursekit.book.careers_directives import CareersTable
    years = CareersTable.COLUMNS["years"][1]
    table = careers.roles()
    printed = {years(r) for r in table.itertuples()}
    assert "0–2 years" in printed and "7+ years" in printed
    assert not any(".0" in text for text in printed), printed
