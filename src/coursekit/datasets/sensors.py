"""Daily sensor readings from a fleet of machines, with rare failures, for predictive maintenance.

Each machine is simulated day by day. A healthy machine runs with noisy readings around its own
baseline. Now and then (more often the longer it has run since its last service) a fault starts
developing. Most faults develop slowly: over one to three weeks temperature and vibration drift up
and pressure drifts down, each reading still buried in day-to-day noise, until the machine fails.
Faults differ in severity (some drift is barely visible), and about one in five is sudden, giving
only a day or two of warning. After a failure the machine is repaired, its runtime counter is reset
and it starts healthy again.

Columns
-------
machine_id         0..n_machines-1
day                0..n_days-1
temperature        degrees Celsius
vibration          mm/s RMS
pressure           bar
runtime_hours      hours run since the last repair (a machine runs 14–24 h a day)
failure            1 on the day the machine broke down
failure_within_7d  1 if the machine breaks down today or within the next 6 days: the label a
                   maintenance model predicts (about 2–5% of rows)

>>> from coursekit.datasets import sensors
>>> df = sensors.generate(20, 180, seed=0)
>>> list(df.columns)[:4]
['machine_id', 'day', 'temperature', 'vibration']
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HORIZON = 7


def generate(n_machines: int = 60, n_days: int = 365, seed: int = 0) -> pd.DataFrame:
    """Simulate ``n_machines`` machines for ``n_days`` days; same ``seed``, same table."""
    if n_machines < 1 or n_days < 1:
        raise ValueError(f"need at least one machine and one day, got {n_machines} and {n_days}")
    rng = np.random.default_rng(seed)
    frames = []
    for machine in range(n_machines):
        base_temp = rng.normal(70, 3)
        base_vib = rng.normal(2.5, 0.3)
        base_press = rng.normal(6.0, 0.3)
        usage = rng.uniform(14, 24)
        hazard = rng.uniform(0.6, 1.4) / 260.0
        temp = np.empty(n_days)
        vib = np.empty(n_days)
        press = np.empty(n_days)
        runtime = np.empty(n_days)
        failure = np.zeros(n_days, dtype=int)
        hours = rng.uniform(0, 2000)
        fault_len = 0       # days the current fault takes to develop into a failure (0: healthy)
        fault_day = 0       # days since the fault started
        severity = 1.0      # how strongly the current fault shows in the sensors
        for day in range(n_days):
            hours += usage + rng.normal(0, 1.0)
            if fault_len == 0 and rng.random() < hazard * (1 + hours / 3000):
                sudden = rng.random() < 0.2
                fault_len = int(rng.integers(1, 3) if sudden else rng.integers(8, 22))
                fault_day = 0
                severity = rng.uniform(0.35, 1.25)
            drift = 0.0
            if fault_len:
                fault_day += 1
                drift = severity * (fault_day / fault_len) ** 2
            temp[day] = base_temp + rng.normal(0, 2.0) + 6.0 * drift + 0.0008 * hours
            vib[day] = base_vib + rng.normal(0, 0.35) + 1.2 * drift
            press[day] = base_press + rng.normal(0, 0.25) - 0.5 * drift
            runtime[day] = hours
            if fault_len and fault_day >= fault_len:
                failure[day] = 1
                fault_len = 0
                hours = 0.0
        ahead = np.convolve(failure[::-1], np.ones(HORIZON, dtype=int))[:n_days][::-1]
        frames.append(pd.DataFrame({
            "machine_id": machine,
            "day": np.arange(n_days),
            "temperature": temp.round(2),
            "vibration": vib.round(3),
            "pressure": press.round(3),
            "runtime_hours": runtime.round(1),
            "failure": failure,
            "failure_within_7d": (ahead > 0).astype(int),
        }))
    return pd.concat(frames, ignore_index=True)
