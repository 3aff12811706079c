"""The synthetic hiring data: deterministic, equal merit across groups, bias in the labels."""
import pandas as pd
import pytest

from coursekit import careers
from coursekit.datasets import hiring


@pytest.fixture(scope="module")
def applicants():
    return hiring.generate(6000, seed=1)


def test_same_seed_same_data_and_different_seed_different():
    assert hiring.generate(500, seed=7).equals(hiring.generate(500, seed=7))
    assert not hiring.generate(500, seed=7).equals(hiring.generate(500, seed=8))


def test_columns_and_ranges(applicants):
    assert list(applicants.columns) == ["applicant_id", "group", "years_experience", "skills",
                                        "skills_matched", "test_score", "postcode_area",
                                        "qualified", "hired"]
    assert set(applicants["group"]) == {"A", "B"}
    assert applicants["years_experience"].between(0, 20).all()
    assert applicants["test_score"].between(0, 100).all()
    assert set(applicants["qualified"]) == {0, 1} and set(applicants["hired"]) == {0, 1}
    assert 0.5 < (applicants["group"] == "A").mean() < 0.7


def test_skills_come_from_the_career_data(applicants):
    role_skills = set(careers.role("junior-ml-engineer")["skills"])
    known = set(careers.all_skills())
    held = applicants["skills"].str.split(";").apply(lambda s: [x for x in s if x])
    assert held.apply(lambda s: set(s) <= known).all()
    assert (held.apply(lambda s: len(set(s) & role_skills)) == applicants["skills_matched"]).all()


def test_merit_is_the_same_in_both_groups(applicants):
    means = applicants.groupby("group")[["qualified", "test_score", "skills_matched",
                                         "years_experience"]].mean()
    assert abs(means.loc["A", "qualified"] - means.loc["B", "qualified"]) < 0.05
    assert abs(means.loc["A", "test_score"] - means.loc["B", "test_score"]) < 1.5


def test_historical_labels_are_biased_against_group_b(applicants):
    rates = applicants.groupby("group")["hired"].mean()
    assert rates["A"] - rates["B"] > 0.15
    qualified = applicants[applicants["qualified"] == 1]
    tpr = qualified.groupby("group")["hired"].mean()
    assert tpr["A"] - tpr["B"] > 0.2


def test_no_bias_setting_gives_fair_labels():
    fair = hiring.generate(6000, seed=1, bias=0.0)
    rates = fair.groupby("group")["hired"].mean()
    assert abs(rates["A"] - rates["B"]) < 0.05


def test_postcode_is_a_proxy_for_group(applicants):
    north = pd.crosstab(applicants["group"], applicants["postcode_area"], normalize="index")["north"]
    assert north["A"] > 0.7 and north["B"] < 0.3


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        hiring.generate(0)
    with pytest.raises(careers.CareerDataError):
        hiring.generate(10, target_role="astronaut")
