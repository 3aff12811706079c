"""Synthetic job applicants for a bias audit of a hiring-screen model.

Every applicant belongs to a protected group ``A`` or ``B``. Both groups are drawn from the *same*
distribution of merit (experience, skills, assessment score), so any difference in how they are
treated comes from the process, not from the people. The historical hiring decision (``hired``)
has bias baked in: at equal merit, group A was hired more often. A proxy feature
(``postcode_area``) is strongly correlated with the group, so a model that never sees ``group``
can still learn the bias through it.

Columns
-------
applicant_id       1..n
group              protected attribute, "A" (about 60%) or "B"
years_experience   years of relevant work, 0–20, same distribution for both groups
skills             the applicant's skills, ";"-separated, using the course's skill names
skills_matched     how many of the target role's skills (from careers.yml) the applicant has
test_score         technical assessment, 0–100
postcode_area      "north" or "south": a proxy, mostly "north" for A and "south" for B
qualified          1 if the applicant would do the job well (the synthetic ground truth that a
                   real audit never gets to see); independent of group by construction
hired              1 if the historical process hired them: the biased label a model learns from

>>> from coursekit.datasets import hiring
>>> df = hiring.generate(1000, seed=0)
>>> df.groupby("group")["hired"].mean().round(2).to_dict()  # doctest: +SKIP
"""
from __future__ import annotations

import numpy as np
import pandas as pd

#: Share of "north" postcodes in each group: the proxy's strength.
NORTH_SHARE = {"A": 0.8, "B": 0.2}


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def generate(n: int = 2000, seed: int = 0, bias: float = 0.9,
             target_role: str = "junior-ml-engineer") -> pd.DataFrame:
    """Draw ``n`` applicants; the same ``seed`` always gives the same table.

    ``bias`` is how much the historical process favoured group A, in standard deviations of
    merit: 0 gives fair historical labels, the default gives a clear gap. ``target_role`` is the
    role id (see ``coursekit.careers.roles()``) whose skill list defines ``skills_matched``.
    """
    from coursekit import careers

    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    role_skills = list(careers.role(target_role)["skills"])
    other_skills = [s for s in careers.all_skills() if s not in role_skills]

    group = rng.choice(np.array(["A", "B"]), size=n, p=[0.6, 0.4])
    ability = rng.normal(size=n)
    years = np.round(np.clip(rng.gamma(2.0, 2.0, size=n) + 0.6 * ability, 0, 20), 1)
    p_skill = _sigmoid(0.9 * ability + rng.normal(scale=0.6, size=n))
    has_role_skill = rng.random((n, len(role_skills))) < p_skill[:, None]
    has_other_skill = rng.random((n, len(other_skills))) < 0.12
    skills = [";".join(sorted([s for s, h in zip(role_skills, row) if h]
                              + [s for s, h in zip(other_skills, extra) if h]))
              for row, extra in zip(has_role_skill, has_other_skill)]
    skills_matched = has_role_skill.sum(axis=1)
    test_score = np.round(np.clip(60 + 12 * ability + rng.normal(scale=8, size=n), 0, 100))
    north = rng.random(n) < np.where(group == "A", NORTH_SHARE["A"], NORTH_SHARE["B"])

    def z(x):
        return (x - x.mean()) / (x.std() + 1e-9)

    merit = 0.3 * z(years) + 0.4 * z(skills_matched.astype(float)) + 0.5 * z(test_score)
    merit = merit / merit.std()
    qualified = (merit + rng.normal(scale=0.4, size=n)) > 0.35
    favoured = np.where(group == "A", bias * 0.4, -bias * 0.6)
    hired = (merit + favoured + rng.normal(scale=0.5, size=n)) > 0.45

    return pd.DataFrame({
        "applicant_id": np.arange(1, n + 1),
        "group": group,
        "years_experience": years,
        "skills": skills,
        "skills_matched": skills_matched.astype(int),
        "test_score": test_score.astype(int),
        "postcode_area": np.where(north, "north", "south"),
        "qualified": qualified.astype(int),
        "hired": hired.astype(int),
    })
