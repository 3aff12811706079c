"""Tests of the A/B-test generator (coursekit.datasets.ab_test)."""
from __future__ import annotations

import numpy as np
import pandas.testing as pdt
import pytest
from scipy import stats

from coursekit.datasets import ab_test

COLUMNS = ["visitor_id", "group", "device", "prior_sessions", "bounced", "applications"]


def test_columns_and_balanced_groups():
    frame = ab_test.generate(n_per_group=500, seed=0)
    assert list(frame.columns) == COLUMNS
    assert len(frame) == 1000
    assert frame["group"].value_counts().to_dict() == {"control": 500, "treatment": 500}
    assert frame["visitor_id"].is_unique
    assert (frame["applications"] >= 0).all() and frame["applications"].dtype.kind == "i"
    assert set(frame["bounced"]) <= {0, 1}
    assert set(frame["device"]) == {"mobile", "desktop"}
    # Bounced visitors never apply.
    assert (frame.loc[frame["bounced"] == 1, "applications"] == 0).all()


def test_same_seed_identical_and_different_seed_different():
    pdt.assert_frame_equal(ab_test.generate(1000, seed=3), ab_test.generate(1000, seed=3))
    assert not ab_test.generate(1000, seed=3).equals(ab_test.generate(1000, seed=4))
    pdt.assert_frame_equal(ab_test.history(1000, seed=3), ab_test.history(1000, seed=3))
    assert not ab_test.history(1000, seed=3).equals(ab_test.history(1000, seed=4))


def test_history_is_untreated_and_not_a_copy_of_the_experiment():
    hist = ab_test.history(n=2000, seed=0)
    assert list(hist.columns) == COLUMNS
    assert (hist["group"] == "control").all()
    experiment = ab_test.generate(n_per_group=1000, seed=0)
    assert not np.array_equal(hist["applications"].to_numpy(), experiment["applications"].to_numpy())


def test_metric_is_skewed_with_many_zeros():
    apps = ab_test.history(n=20_000, seed=1)["applications"]
    assert (apps == 0).mean() > 0.5
    assert stats.skew(apps) > 2
    assert apps.var() > apps.mean()  # overdispersed, unlike a plain Poisson


def test_lift_shows_up_in_large_samples_and_zero_lift_does_not():
    big = ab_test.generate(n_per_group=60_000, seed=11, lift=0.10)
    means = big.groupby("group")["applications"].mean()
    assert 0.06 < means["treatment"] / means["control"] - 1 < 0.14
    null = ab_test.generate(n_per_group=60_000, seed=11, lift=0.0)
    means0 = null.groupby("group")["applications"].mean()
    assert abs(means0["treatment"] / means0["control"] - 1) < 0.04
    # The guardrail metric is not affected by the treatment.
    bounce = big.groupby("group")["bounced"].mean()
    assert abs(bounce["treatment"] - bounce["control"]) < 0.015


def test_prior_sessions_predict_applications():
    frame = ab_test.history(n=20_000, seed=2)
    assert np.corrcoef(frame["prior_sessions"], frame["applications"])[0, 1] > 0.05


@pytest.mark.parametrize("kwargs", [{"n_per_group": 1}, {"n_per_group": 2.5}, {"lift": -1.5}])
def test_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        ab_test.generate(**{"n_per_group": 100, **kwargs})
