"""The machine sensor simulation: deterministic, rare failures, drift before each failure."""
import numpy as np
import pytest

from coursekit.datasets import sensors


@pytest.fixture(scope="module")
def fleet():
    return sensors.generate(60, 365, seed=0)


def test_same_seed_same_data():
    assert sensors.generate(5, 100, seed=4).equals(sensors.generate(5, 100, seed=4))
    assert not sensors.generate(5, 100, seed=4).equals(sensors.generate(5, 100, seed=5))


def test_shape_and_columns(fleet):
    assert len(fleet) == 60 * 365
    assert list(fleet.columns) == ["machine_id", "day", "temperature", "vibration", "pressure",
                                   "runtime_hours", "failure", "failure_within_7d"]
    assert not fleet.isna().any().any()


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_failures_are_rare(seed):
    data = sensors.generate(60, 365, seed=seed)
    assert 0.02 <= data["failure_within_7d"].mean() <= 0.05
    assert data["failure"].sum() >= 50


def test_label_marks_the_week_up_to_each_failure(fleet):
    for _, machine in fleet.groupby("machine_id"):
        failure = machine["failure"].to_numpy()
        label = machine["failure_within_7d"].to_numpy()
        expected = np.array([failure[d:d + sensors.HORIZON].any() for d in range(len(failure))])
        assert (label == expected).all()


def test_sensors_drift_before_a_failure(fleet):
    fleet = fleet.sort_values(["machine_id", "day"]).reset_index(drop=True)
    before = fleet.index[fleet["failure"] == 1]
    before = before[fleet.loc[before, "day"] >= 3] - 1          # the day before each failure
    healthy = fleet[fleet["failure_within_7d"] == 0]
    assert fleet.loc[before, "vibration"].mean() > healthy["vibration"].mean() + 0.4
    assert fleet.loc[before, "temperature"].mean() > healthy["temperature"].mean() + 2
    assert fleet.loc[before, "pressure"].mean() < healthy["pressure"].mean() - 0.15


def test_runtime_resets_after_a_failure(fleet):
    fleet = fleet.sort_values(["machine_id", "day"]).reset_index(drop=True)
    failed = fleet.index[(fleet["failure"] == 1) & (fleet["day"] < 364)]
    after = fleet.loc[failed + 1, "runtime_hours"].to_numpy()
    assert (after < 30).all()
    assert (fleet.loc[failed, "runtime_hours"].to_numpy() > after).all()


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        sensors.generate(0, 10)
