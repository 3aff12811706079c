"""The shipped ai-jobs.net salary survey: typed columns, the facts the lab states, loud failures."""
import pandas as pd
import pytest

from coursekit.datasets import salaries


@pytest.fixture(scope="module")
def survey():
    return salaries.load()


def test_columns_and_types(survey):
    assert list(survey.columns) == salaries.COLUMNS
    assert len(survey) == 3755
    for column in ("work_year", "salary", "salary_in_usd", "remote_ratio"):
        assert pd.api.types.is_integer_dtype(survey[column]), column
    levels = survey["experience_level"]
    assert levels.cat.ordered and list(levels.cat.categories) == ["EN", "MI", "SE", "EX"]
    assert (survey.loc[levels == "EX", "experience_level"] > "SE").all()
    assert list(survey["company_size"].cat.categories) == ["S", "M", "L"]
    assert survey["employee_residence"].str.fullmatch(r"[A-Z]{2}").all()
    assert survey["company_location"].str.fullmatch(r"[A-Z]{2}").all()


def test_the_caveats_the_course_states_hold(survey):
    """The lab and its README describe the sample; these numbers must stay true of the file."""
    assert set(survey["work_year"]) == {2020, 2021, 2022, 2023}
    assert round((survey["company_location"] == "US").mean(), 2) == 0.81
    counts = survey["experience_level"].value_counts()
    assert counts["SE"] == 2516 and counts["EX"] == 114
    assert survey.duplicated().sum() > 1000
    usd = survey["salary_currency"] == "USD"
    assert (survey.loc[usd, "salary"] == survey.loc[usd, "salary_in_usd"]).all()
    assert (survey.loc[~usd, "salary"] != survey.loc[~usd, "salary_in_usd"]).mean() > 0.9


def test_load_returns_a_fresh_copy(survey):
    first = salaries.load()
    first.loc[0, "salary_in_usd"] = -1
    assert salaries.load().loc[0, "salary_in_usd"] > 0


@pytest.mark.parametrize("edit, message", [
    (lambda t: t.replace("experience_level", "level", 1), "missing column(s) experience_level"),
    (lambda t: t.replace("\n2023,SE,FT,", "\n2023,XX,FT,", 1), "unknown experience_level code(s) ['XX']"),
    (lambda t: t.replace(",100,ES,L", ",75,ES,L", 1), "remote_ratio must be one of"),
    (lambda t: t.replace("85847", "lots", 1), "column salary_in_usd must hold whole numbers"),
])
def test_a_damaged_file_fails_with_one_line(tmp_path, monkeypatch, edit, message):
    damaged = tmp_path / "survey.csv"
    damaged.write_text(edit(salaries.path().read_text()))
    monkeypatch.setattr(salaries, "path", lambda: damaged)
    with pytest.raises(ValueError) as info:
        salaries.load()
    assert message in str(info.value) and str(damaged) in str(info.value)
    assert "\n" not in str(info.value)


def test_missing_file_is_named(tmp_path, monkeypatch):
    monkeypatch.setattr(salaries, "path", lambda: tmp_path / "gone.csv")
    with pytest.raises(ValueError, match="gone.csv: file not found"):
        salaries.load()
