"""Seeded A/B-test data for the data-science mini-project.

Purpose
    A job board wants to know whether showing the salary range on every job card makes visitors
    apply more. :func:`generate` simulates the experiment: visitors are split at random into a
    ``control`` group (cards without salary) and a ``treatment`` group (cards with salary), and
    we record how many applications each visitor sends in the 14 days after the first visit.
    :func:`history` simulates the month before the test (no treatment), the data an analyst uses
    to plan the test: baseline mean, spread, and so the sample size.

    The metric is a count with many zeros and a long right tail (most visitors browse and leave,
    a few apply to many jobs), so a t-test leans on the central limit theorem and a bootstrap is
    a useful cross-check. Applications are Poisson given a visitor's latent "intent", which is
    gamma distributed (a negative-binomial mixture); desktop visitors and returning visitors apply
    more. The treatment multiplies intent by ``1 + lift``; it does not change bounce rates.

Columns (one row per visitor)
    ``visitor_id``      int, unique.
    ``group``           "control" or "treatment" (only ``generate``; ``history`` has "control").
    ``device``          "mobile" or "desktop".
    ``prior_sessions``  int, sessions in the 30 days before the first visit (a pre-period
                        covariate: useful for variance reduction such as CUPED).
    ``bounced``         int 0/1, left after viewing a single page (a guardrail metric).
    ``applications``    int >= 0, applications sent within 14 days (the primary metric).

Seed
    The same arguments always give the identical frame; a different seed gives different data.
    Each call uses its own ``numpy.random.Generator``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["generate", "history", "BASE_MEAN", "DEFAULT_LIFT"]

#: Scale of a visitor's intent to apply (mobile visitor, no prior sessions, no treatment).
BASE_MEAN = 0.42
#: Relative effect of the treatment used by :func:`generate` unless told otherwise.
DEFAULT_LIFT = 0.07
_SHAPE = 0.9          # gamma shape of visitor intent: smaller means more skewed
_DESKTOP_SHARE = 0.38
_DESKTOP_FACTOR = 1.35
_BOUNCE_RATE = 0.31


def _visitors(rng: np.random.Generator, n: int, treated: np.ndarray, lift: float) -> pd.DataFrame:
    desktop = rng.random(n) < _DESKTOP_SHARE
    prior = rng.poisson(rng.gamma(1.2, 2.0, size=n))
    intent_mean = BASE_MEAN * np.where(desktop, _DESKTOP_FACTOR, 1.0) * (1 + 0.08 * np.minimum(prior, 10))
    intent = rng.gamma(_SHAPE, intent_mean / _SHAPE) * np.where(treated, 1 + lift, 1.0)
    bounced = rng.random(n) < _BOUNCE_RATE * np.where(desktop, 0.8, 1.1)
    applications = np.where(bounced, 0, rng.poisson(intent / (1 - _BOUNCE_RATE)))
    return pd.DataFrame({
        "device": np.array(["mobile", "desktop"], dtype=object)[desktop.astype(int)],
        "prior_sessions": prior.astype(int),
        "bounced": bounced.astype(int),
        "applications": applications.astype(int),
    })


def generate(n_per_group: int = 10_000, seed: int = 0, lift: float = DEFAULT_LIFT) -> pd.DataFrame:
    """Return the experiment: ``2 * n_per_group`` visitors, half control and half treatment.

    ``lift`` is the true relative increase in expected applications for treated visitors
    (0.07 means +7%); pass ``lift=0`` to simulate an experiment with no effect (an A/A test).
    Rows are in random order, as visitors arrive.
    """
    if int(n_per_group) != n_per_group or n_per_group < 2:
        raise ValueError(f"n_per_group must be an integer >= 2, got {n_per_group!r}")
    if not -1 < lift < 10:
        raise ValueError(f"lift must be a relative change between -1 and 10, got {lift!r}")
    n_per_group = int(n_per_group)
    rng = np.random.default_rng(seed)
    groups = np.repeat(np.array(["control", "treatment"], dtype=object), n_per_group)
    rng.shuffle(groups)
    frame = _visitors(rng, 2 * n_per_group, groups == "treatment", lift)
    frame.insert(0, "group", groups)
    frame.insert(0, "visitor_id", np.arange(1, 2 * n_per_group + 1))
    return frame


def history(n: int = 20_000, seed: int = 0) -> pd.DataFrame:
    """Return ``n`` visitors from the month before the test (everyone saw the old cards).

    Same columns as :func:`generate`, with ``group`` always "control". Use it to plan a test.
    """
    if int(n) != n or n < 2:
        raise ValueError(f"n must be an integer >= 2, got {n!r}")
    rng = np.random.default_rng([seed, 20240101])  # a stream distinct from generate(seed=seed)
    frame = _visitors(rng, int(n), np.zeros(int(n), dtype=bool), 0.0)
    frame.insert(0, "group", "control")
    frame.insert(0, "visitor_id", np.arange(1, int(n) + 1))
    return frame
