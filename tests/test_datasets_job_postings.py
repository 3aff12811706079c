"""Tests of the messy job-postings generator (coursekit.datasets.job_postings)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from coursekit import careers
from coursekit.datasets import job_postings as jp

RAW_COLUMNS = ["posting_id", "source", "title", "company", "location", "salary", "posted"]


@pytest.fixture(scope="module")
def raw() -> pd.DataFrame:
    return jp.generate(n=600, seed=0, truth=True)


def _parse_salary(text):
    """An independent parser of the generator's salary formats -> (min, max) or None."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return None
    s = text.strip().lower().replace(",", "").replace("usd", "").replace("$", "").replace("/yr", "").strip()
    if s.endswith("/hr"):
        value = float(s[:-3]) * jp.HOURS_PER_YEAR
        return value, value
    numbers = re.findall(r"\d+(?:\.\d+)?k?", s)
    if not numbers:
        return None
    values = [float(x[:-1]) * 1000 if x.endswith("k") else float(x) for x in numbers]
    return min(values), max(values)


def _format_of(text) -> str:
    if not isinstance(text, str) or not re.search(r"\d", text):
        return "none"
    if "/hr" in text:
        return "hourly"
    if re.search(r"\d\s*-\s*\$?\d", text):
        return "range"
    if re.search(r"\d[kK]$", text.strip()):
        return "k"
    if "USD" in text:
        return "usd"
    if "/yr" in text:
        return "per_year"
    return "other"


def test_columns_and_size(raw):
    plain = jp.generate(n=600, seed=0)
    assert list(plain.columns) == RAW_COLUMNS
    assert len(plain) == 600
    assert list(raw.columns[:7]) == RAW_COLUMNS
    assert {"true_role_id", "true_salary_min", "true_salary_max", "true_posted"} <= set(raw.columns)
    assert pd.api.types.is_datetime64_any_dtype(raw["true_posted"])


def test_same_seed_gives_identical_frame():
    pdt.assert_frame_equal(jp.generate(n=300, seed=7, truth=True), jp.generate(n=300, seed=7, truth=True))


def test_different_seed_gives_different_frame():
    a, b = jp.generate(n=300, seed=1), jp.generate(n=300, seed=2)
    assert not a.equals(b)
    assert (a["title"] != b["title"]).sum() > 100


def test_generator_does_not_touch_global_random_state():
    np.random.seed(123)
    expected = np.random.random()
    np.random.seed(123)
    jp.generate(n=100, seed=5)
    assert np.random.random() == expected


def test_duplicates_exist(raw):
    exact = raw[RAW_COLUMNS].duplicated().sum()
    assert exact >= 0.04 * len(raw)
    # Cross-posts: same posting id, but the rows differ in some field.
    distinct_rows = raw[RAW_COLUMNS].drop_duplicates()
    cross = distinct_rows["posting_id"].duplicated().sum()
    assert cross >= 0.04 * len(raw)


def test_missing_values_exist(raw):
    for column in ["salary", "posted", "company", "location"]:
        assert raw[column].isna().sum() > 0, column
    # Placeholders without a number also count as "no salary".
    assert raw["salary"].isin(["Competitive", "DOE", "negotiable"]).sum() > 0


def test_several_salary_formats_exist(raw):
    formats = raw["salary"].map(_format_of).value_counts()
    for fmt in ["hourly", "range", "k", "usd", "per_year"]:
        assert formats.get(fmt, 0) >= 10, (fmt, formats.to_dict())
    assert formats.get("other", 0) == 0, raw.loc[raw["salary"].map(_format_of) == "other", "salary"].head()


def test_several_date_formats_exist(raw):
    posted = raw["posted"].dropna()
    patterns = {
        "iso": r"^\d{4}-\d\d-\d\d$", "us": r"^\d\d/\d\d/\d{4}$", "day_mon": r"^\d\d [A-Z][a-z]{2} \d{4}$",
        "month_day": r"^[A-Z][a-z]+ \d\d, \d{4}$", "slashed_iso": r"^\d{4}/\d\d/\d\d$",
    }
    for name, pattern in patterns.items():
        assert posted.str.match(pattern).sum() >= 10, name


def test_titles_are_inconsistent(raw):
    per_role = raw.groupby("true_role_id")["title"].nunique()
    assert (per_role >= 3).all(), per_role.to_dict()
    assert raw["title"].str.contains("ML Eng.", regex=False).any()
    assert (raw["title"] != raw["title"].str.strip()).any()
    assert set(raw["true_role_id"]) == set(careers.roles()["id"])


def test_salary_text_encodes_the_answer_key(raw):
    parsed = raw["salary"].map(_parse_salary)
    has = parsed.notna()
    assert has.sum() == raw["true_salary_min"].notna().sum()
    lows = parsed[has].map(lambda p: p[0]).to_numpy()
    highs = parsed[has].map(lambda p: p[1]).to_numpy()
    np.testing.assert_allclose(lows, raw.loc[has, "true_salary_min"].to_numpy())
    np.testing.assert_allclose(highs, raw.loc[has, "true_salary_max"].to_numpy())


def test_salaries_are_plausible_for_each_role(raw):
    ranges = careers.salary_ranges().groupby("id").agg(low=("low", "min"), high=("high", "max"))
    with_salary = raw.dropna(subset=["true_salary_min"])
    bounds = ranges.loc[with_salary["true_role_id"]]
    assert (with_salary["true_salary_min"] <= with_salary["true_salary_max"]).all()
    # Within 15% of the role's published range (postings scatter around it), never wildly off.
    assert (with_salary["true_salary_min"].to_numpy() >= 0.85 * bounds["low"].to_numpy()).all()
    assert (with_salary["true_salary_max"].to_numpy() <= 1.15 * bounds["high"].to_numpy()).all()
    # And most postings sit inside the published range.
    mid = (with_salary["true_salary_min"] + with_salary["true_salary_max"]).to_numpy() / 2
    inside = (mid >= bounds["low"].to_numpy()) & (mid <= bounds["high"].to_numpy())
    assert inside.mean() > 0.75


def test_dates_are_in_2024_and_match_the_text(raw):
    dated = raw.dropna(subset=["posted"])
    assert dated["true_posted"].dt.year.eq(2024).all()
    parsed = pd.to_datetime(dated["posted"], format="mixed", dayfirst=False)
    assert (parsed.to_numpy() == dated["true_posted"].to_numpy()).all()
    assert raw.loc[raw["posted"].isna(), "true_posted"].isna().all()


def test_clean_postings_one_row_per_posting(raw):
    clean = jp.clean_postings(n=600, seed=0)
    assert clean["posting_id"].is_unique
    assert set(clean["posting_id"]) == set(raw["posting_id"])
    roles = careers.roles().set_index("id")
    assert (clean["title"] == clean["role_id"].map(roles["title"])).all()
    assert (clean["level"] == clean["role_id"].map(roles["level"])).all()
    salaried = clean.dropna(subset=["salary_min"])
    assert ((salaried["salary_mid"] - (salaried["salary_min"] + salaried["salary_max"]) / 2).abs() < 1e-9).all()
    # A posting has a salary in the clean table whenever any of its raw rows had one.
    any_salary = raw.groupby("posting_id")["true_salary_min"].apply(lambda s: s.notna().any())
    assert (clean.set_index("posting_id")["salary_min"].notna() == any_salary.loc[clean["posting_id"]]).all()
    assert not clean["location"].dropna().str.contains(r"^[a-z]|,\S").any()


def test_rejects_bad_n():
    with pytest.raises(ValueError, match="at least 20"):
        jp.generate(n=5)
