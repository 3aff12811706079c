"""Real salaries of data, ML and AI jobs, 2020–2023, from the ai-jobs.net salary survey.

``ai-ml-salaries-2020-2023.csv`` (shipped inside the package) holds 3,755 self-reported answers to
the public salary survey of the ai-jobs.net job board, which releases its data in the public
domain (CC0). This is the widely used 2023 compilation of it ("Data Science Salaries 2023"),
without its row-id column. The salary lab (``chapters/levels/project-salary-analysis.ipynb``)
teaches with it because it is real: the course's other salary figures are ranges quoted from a
secondary source, and a real sample is the only way to show what such ranges hide.

Read it as a sample, not as the market: answers are unverified, about 81% come from people at
U.S. companies, senior respondents dominate, some rows are exact repeats of others, and
``salary_in_usd`` converts other currencies at a yearly average rate, which hides differences in
cost of living and taxes.

Columns of :func:`load`
    ``work_year``           int, the year the salary was paid (2020–2023).
    ``experience_level``    ordered category EN < MI < SE < EX (entry, mid, senior, executive),
                            chosen by the respondent; :data:`EXPERIENCE_LEVELS` spells them out.
    ``employment_type``     category FT, PT, CT, FL (full-time, part-time, contract, freelance).
    ``job_title``           str, as picked from the survey's list of titles.
    ``salary``              int, gross yearly amount in ``salary_currency``, as reported.
    ``salary_currency``     str, ISO 4217 code.
    ``salary_in_usd``       int, ``salary`` converted to U.S. dollars at the year's average rate.
    ``employee_residence``  str, ISO 3166 alpha-2 country where the employee lives.
    ``remote_ratio``        int, share of work done remotely: 0, 50 or 100 (percent).
    ``company_location``    str, ISO 3166 alpha-2 country of the employer's main office.
    ``company_size``        ordered category S < M < L (under 50, 50–250, over 250 employees).

>>> from coursekit.datasets import salaries
>>> df = salaries.load()
>>> len(df), df["work_year"].min(), df["work_year"].max()
(3755, 2020, 2023)
"""
from __future__ import annotations

from importlib import resources
from pathlib import Path

import pandas as pd

#: Survey codes of the experience levels, in order, with their meaning.
EXPERIENCE_LEVELS = {"EN": "Entry", "MI": "Mid", "SE": "Senior", "EX": "Executive"}
#: Survey codes of the employment types.
EMPLOYMENT_TYPES = {"FT": "Full-time", "PT": "Part-time", "CT": "Contract", "FL": "Freelance"}
#: Survey codes of company size, in order.
COMPANY_SIZES = {"S": "Small (<50)", "M": "Medium (50-250)", "L": "Large (>250)"}
REMOTE_RATIOS = (0, 50, 100)

COLUMNS = ["work_year", "experience_level", "employment_type", "job_title", "salary",
           "salary_currency", "salary_in_usd", "employee_residence", "remote_ratio",
           "company_location", "company_size"]
_CODES = {"experience_level": EXPERIENCE_LEVELS, "employment_type": EMPLOYMENT_TYPES,
          "company_size": COMPANY_SIZES}
_ORDERED = {"experience_level": True, "employment_type": False, "company_size": True}


def path() -> Path:
    """Where the shipped survey file lives."""
    return Path(str(resources.files("coursekit") / "data" / "ai-ml-salaries-2020-2023.csv"))


def _fail(message: str):
    raise ValueError(f"{path()}: {message}")


def load() -> pd.DataFrame:
    """The survey as a typed DataFrame (columns and types in the module docstring), in file order.

    The file is checked on load, so an edited or truncated copy fails with one line naming the
    problem instead of producing quietly wrong statistics.
    """
    try:
        df = pd.read_csv(path(), dtype={"job_title": str, "salary_currency": str,
                                        "employee_residence": str, "company_location": str},
                         keep_default_na=False)
    except FileNotFoundError:
        _fail("file not found; reinstall coursekit")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        _fail(f"missing column(s) {', '.join(missing)}")
    df = df[COLUMNS].copy()
    for column in ("work_year", "salary", "salary_in_usd", "remote_ratio"):
        if not pd.api.types.is_integer_dtype(df[column]):
            _fail(f"column {column} must hold whole numbers only")
    if (df[["salary", "salary_in_usd"]] <= 0).any().any():
        _fail("salaries must be positive")
    bad_remote = sorted(set(df["remote_ratio"]) - set(REMOTE_RATIOS))
    if bad_remote:
        _fail(f"remote_ratio must be one of {REMOTE_RATIOS}, got {bad_remote}")
    for column, codes in _CODES.items():
        unknown = sorted(set(df[column]) - set(codes))
        if unknown:
            _fail(f"unknown {column} code(s) {unknown}; expected {list(codes)}")
        df[column] = pd.Categorical(df[column], categories=list(codes), ordered=_ORDERED[column])
    return df
