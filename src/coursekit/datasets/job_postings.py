"""Messy, seeded job-postings data for the ETL and salary-analysis mini-projects.

Purpose
    Real postings scraped from job boards are never clean. :func:`generate` builds a raw extract
    that has the problems a data engineer meets on day one, so the course can practise cleaning
    without downloading anything:

    * **duplicates** – some postings appear twice byte for byte (the same board scraped twice),
      others are cross-posted on a second board with the same ``posting_id`` but a differently
      written title, salary or date;
    * **inconsistent titles** – one role is written many ways ("ML Eng.", "machine learning
      engineer", "Sr. Data Scientist", stray spaces and capitals);
    * **salaries as text** in mixed U.S.-dollar formats: ``"$120k"``, ``"120,000 USD"``,
      ``"95000-110000"``, ``"$95,000 - $110,000"``, ``"USD 120000"``, ``"$120,000/yr"``,
      hourly rates such as ``"$57.50/hr"``, and placeholders such as ``"Competitive"``;
    * **dates as text** in mixed formats (ISO ``2024-03-05``, U.S. ``03/05/2024``, ``5 Mar 2024``,
      ``March 5, 2024``, ``2024/03/05``);
    * **missing values** in salary, date, company and location.

    Salary levels are drawn around the ranges in :func:`coursekit.careers.salary_ranges`, so the
    course's single data file drives the data: nothing here types a salary figure.

Columns of :func:`generate`
    ``posting_id``  str, e.g. ``"JP-00042"``; shared by duplicates and cross-posts.
    ``source``      str, the job board the row was scraped from.
    ``title``       str, the job title as written by the employer (messy).
    ``company``     str or missing.
    ``location``    str ("Austin, TX", "remote", ...) or missing; casing varies.
    ``salary``      str or missing; see the formats above.
    ``posted``      str or missing; see the formats above.

    With ``truth=True`` four answer-key columns are added, so a cleaning step can be checked:
    ``true_role_id`` (a role id of ``careers.yml``), ``true_salary_min`` and ``true_salary_max``
    (annual USD as float, equal for a single figure, NaN when the posting gives no salary) and
    ``true_posted`` (a ``datetime64`` date, NaT when the date is missing).

Seed
    The same ``(n, seed)`` always gives the identical frame; a different seed gives different
    data. The generator uses its own ``numpy.random.Generator``, never the global random state.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from coursekit import careers

__all__ = ["generate", "clean_postings", "TITLE_VARIANTS", "SALARY_FORMATS", "DATE_FORMATS", "HOURS_PER_YEAR"]

#: How one role is written on job boards. Keys are role ids of careers.yml.
TITLE_VARIANTS: dict[str, list[str]] = {
    "data-analyst": ["Data Analyst", "data analyst", "DATA ANALYST", "Jr. Data Analyst",
                     "Data Analyst I", "Analyst, Data", "Business Data Analyst"],
    "junior-ml-engineer": ["Junior ML Engineer", "Jr. ML Eng.", "junior machine learning engineer",
                           "ML Engineer I", "Associate Machine Learning Engineer", "Jr ML Engineer"],
    "ai-research-assistant": ["AI Research Assistant", "Research Assistant (AI)",
                              "research asst. - machine learning", "AI Research Asst", "Research Assistant, AI Lab"],
    "ml-engineer": ["Machine Learning Engineer", "ML Eng.", "machine learning engineer",
                    "ML Engineer II", "MLE", "Machine-Learning Engineer"],
    "ai-software-developer": ["AI Software Developer", "Software Engineer, AI", "AI software dev",
                              "Software Developer - AI/ML", "AI Application Developer"],
    "data-scientist": ["Data Scientist", "data scientist", "Sr. Data Scientist", "Data Scientist II",
                       "DATA SCIENTIST (Experimentation)", "Data Scientist - Product Analytics"],
    "ai-research-scientist": ["AI Research Scientist", "Research Scientist, AI",
                              "Sr. Research Scientist (ML)", "research scientist - deep learning"],
    "chief-ai-officer": ["Chief AI Officer", "CAIO", "Chief Artificial Intelligence Officer",
                         "VP & Chief AI Officer"],
    "ai-ethics-specialist": ["AI Ethics Specialist", "Responsible AI Specialist",
                             "AI ethics & governance lead", "Specialist, AI Ethics"],
}

#: How often each role appears: entry and mid roles are common, executives are rare.
_ROLE_WEIGHTS = {
    "data-analyst": 22, "junior-ml-engineer": 14, "ai-research-assistant": 6, "ml-engineer": 16,
    "ai-software-developer": 10, "data-scientist": 18, "ai-research-scientist": 6,
    "chief-ai-officer": 2, "ai-ethics-specialist": 6,
}

#: Salary text formats; "range" formats encode a low and a high figure.
SALARY_FORMATS = ("k", "usd_suffix", "plain_range", "dollar_range", "usd_prefix", "per_year", "hourly", "K_upper")
_SALARY_WEIGHTS = (0.18, 0.16, 0.14, 0.14, 0.10, 0.12, 0.06, 0.10)
_NO_SALARY = ("Competitive", "DOE", "", "negotiable")

#: Date text formats, as strftime patterns (U.S. month-first for the slashed one).
DATE_FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%d %b %Y", "%B %d, %Y", "%Y/%m/%d")

#: Hours in a full-time working year, used to turn an hourly rate into an annual salary.
HOURS_PER_YEAR = 2080

_COMPANIES = ["Acme Analytics", "Blue Heron Health", "Cobalt Robotics", "Datawise Bank", "Evergreen Retail",
              "Fjord Logistics", "Granite Insurance", "Helio Energy", "Iris Media", "Juniper Labs",
              "Kestrel Foods", "Lumen University", "Meridian Pharma", "Nimbus Cloud", "Orchid Games"]
_LOCATIONS = ["Austin, TX", "Seattle, WA", "New York, NY", "Boston, MA", "Chicago, IL", "Denver, CO",
              "Atlanta, GA", "San Francisco, CA", "Raleigh, NC", "Remote"]
_SOURCES = ["boardA", "boardB", "boardC"]
_START = np.datetime64("2024-01-01")
_DAYS = 366  # postings fall in calendar year 2024


def _salary_bounds() -> dict[str, list[tuple[float, float, bool]]]:
    """(low, high, open_ended) per role, from the course's career data."""
    bounds: dict[str, list[tuple[float, float, bool]]] = {}
    for row in careers.salary_ranges().itertuples():
        bounds.setdefault(row.id, []).append((float(row.low), float(row.high), bool(row.open_ended)))
    return bounds


def _draw_salary(rng: np.random.Generator, ranges: list[tuple[float, float, bool]]) -> tuple[float, float]:
    """A posted (min, max) pair around one of the role's published ranges, rounded to $1,000."""
    low, high, open_ended = ranges[rng.integers(len(ranges))]
    # Postings scatter a little around the published range; open-ended ranges stretch further up.
    lo_edge, hi_edge = low * 0.94, high * (1.12 if open_ended else 1.04)
    mid = rng.uniform(lo_edge, hi_edge)
    half_width = rng.uniform(0.04, 0.10) * mid
    s_min = round(max(lo_edge, mid - half_width), -3)
    s_max = round(min(hi_edge, mid + half_width), -3)
    return float(s_min), float(s_max)


# How postings write one figure, and how they write a range.
_POINT_TEXT = {
    "k": lambda p: f"${p / 1000:.0f}k",
    "K_upper": lambda p: f"{p / 1000:.0f}K",
    "usd_suffix": lambda p: f"{p:,.0f} USD",
    "usd_prefix": lambda p: f"USD {p:.0f}",
    "per_year": lambda p: f"${p:,.0f}/yr",
}
_RANGE_TEXT = {
    "plain_range": lambda lo, hi: f"{lo:.0f}-{hi:.0f}",
    "dollar_range": lambda lo, hi: f"${lo:,.0f} - ${hi:,.0f}",
}


def _format_salary(fmt: str, s_min: float, s_max: float) -> tuple[str, float, float]:
    """Write a salary as text; returns the text and the (min, max) it really encodes."""
    point = round((s_min + s_max) / 2, -3)
    if fmt in _POINT_TEXT:
        return _POINT_TEXT[fmt](point), point, point
    if fmt in _RANGE_TEXT:
        return _RANGE_TEXT[fmt](s_min, s_max), s_min, s_max
    if fmt == "hourly":
        rate = round(point / HOURS_PER_YEAR * 2) / 2  # to the half dollar, as employers write it
        annual = rate * HOURS_PER_YEAR
        return f"${rate:.2f}/hr", annual, annual
    raise ValueError(f"unknown salary format {fmt!r}")


def _messy_title(rng: np.random.Generator, role_id: str) -> str:
    variants = TITLE_VARIANTS[role_id]
    title = variants[rng.integers(len(variants))]
    noise = rng.random()
    if noise < 0.08:
        title = f"  {title} "
    elif noise < 0.14:
        title = title.replace(" ", "  ", 1)
    return title


def _messy_location(rng: np.random.Generator, location: str) -> str:
    noise = rng.random()
    if noise < 0.10:
        return location.lower()
    if noise < 0.15:
        return location.upper()
    if noise < 0.20:
        return location.replace(", ", ",")
    return location


def _base_postings(rng: np.random.Generator, m: int) -> pd.DataFrame:
    """m distinct postings with clean values (the answer key)."""
    ids = list(_ROLE_WEIGHTS)
    weights = np.array([_ROLE_WEIGHTS[i] for i in ids], dtype=float)
    role_ids = rng.choice(ids, size=m, p=weights / weights.sum())
    bounds = _salary_bounds()
    rows = []
    for k, role_id in enumerate(role_ids):
        s_min, s_max = _draw_salary(rng, bounds[role_id])
        rows.append({
            "posting_id": f"JP-{k + 1:05d}",
            "role_id": str(role_id),
            "company": _COMPANIES[rng.integers(len(_COMPANIES))],
            "location": _LOCATIONS[rng.integers(len(_LOCATIONS))],
            "salary_min": s_min,
            "salary_max": s_max,
            "posted": _START + np.timedelta64(int(rng.integers(_DAYS)), "D"),
        })
    return pd.DataFrame(rows)


def _render(rng: np.random.Generator, base: pd.Series, source: str) -> dict:
    """One raw row for a clean posting: messy text, some values missing, plus the answer key."""
    has_salary = rng.random() > 0.12
    if has_salary:
        fmt = SALARY_FORMATS[rng.choice(len(SALARY_FORMATS), p=_SALARY_WEIGHTS)]
        salary, t_min, t_max = _format_salary(fmt, base.salary_min, base.salary_max)
    else:
        placeholder = _NO_SALARY[rng.integers(len(_NO_SALARY))] if rng.random() < 0.5 else None
        salary, t_min, t_max = placeholder, np.nan, np.nan
    has_date = rng.random() > 0.06
    posted_ts = pd.Timestamp(base.posted)
    posted = posted_ts.strftime(DATE_FORMATS[rng.integers(len(DATE_FORMATS))]) if has_date else None
    return {
        "posting_id": base.posting_id,
        "source": source,
        "title": _messy_title(rng, base.role_id),
        "company": base.company if rng.random() > 0.04 else None,
        "location": _messy_location(rng, base.location) if rng.random() > 0.05 else None,
        "salary": salary,
        "posted": posted,
        "true_role_id": base.role_id,
        "true_salary_min": t_min,
        "true_salary_max": t_max,
        "true_posted": posted_ts if has_date else pd.NaT,
    }


def generate(n: int = 600, seed: int = 0, truth: bool = False) -> pd.DataFrame:
    """Return ``n`` raw job-posting rows, messy on purpose (see the module docstring).

    About 6% of the rows are exact duplicates of another row and about 6% are cross-posts of a
    posting on a second board (same ``posting_id``, differently written fields). ``truth=True``
    adds the answer-key columns ``true_role_id``, ``true_salary_min``, ``true_salary_max`` and
    ``true_posted``.
    """
    if not isinstance(n, (int, np.integer)) or n < 20:
        raise ValueError(f"n must be an integer of at least 20, got {n!r}")
    rng = np.random.default_rng(seed)
    n_exact = int(round(0.06 * n))
    n_cross = int(round(0.06 * n))
    base = _base_postings(rng, n - n_exact - n_cross)
    rows = [_render(rng, posting, _SOURCES[rng.integers(len(_SOURCES))]) for posting in base.itertuples()]
    # Cross-posts: the same posting rendered again for a different board.
    for k in rng.choice(len(base), size=n_cross, replace=False):
        first = rows[k]["source"]
        other = [s for s in _SOURCES if s != first][rng.integers(len(_SOURCES) - 1)]
        cross = _render(rng, base.iloc[k], other)
        # A cross-post repeats the salary and date information of its original (or lacks it).
        for col in ("true_salary_min", "true_salary_max", "true_posted"):
            if pd.isna(cross[col]) and not pd.isna(rows[k][col]):
                cross[col] = rows[k][col]
                source_text = "salary" if col.startswith("true_salary") else "posted"
                cross[source_text] = rows[k][source_text]
        rows.append(cross)
    # Exact duplicates: a row scraped twice.
    for k in rng.choice(len(rows), size=n_exact, replace=False):
        rows.append(dict(rows[k]))
    frame = pd.DataFrame(rows)
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    frame["true_posted"] = pd.to_datetime(frame["true_posted"])
    frame = frame.astype({"true_salary_min": float, "true_salary_max": float})
    if not truth:
        frame = frame.drop(columns=[c for c in frame.columns if c.startswith("true_")])
    return frame


def clean_postings(n: int = 600, seed: int = 0) -> pd.DataFrame:
    """The cleaned table a finished ETL pipeline delivers for ``generate(n, seed)``.

    One row per distinct ``posting_id`` with ``role_id``, ``title`` (canonical, from careers.yml),
    ``level``, ``domain``, ``company``, ``location``, ``salary_min``, ``salary_max``, ``salary_mid``
    (annual USD) and ``posted`` (datetime). Built from the answer key, so analysis projects can
    start from clean data; the ETL project derives the same table from the raw text.
    """
    raw = generate(n=n, seed=seed, truth=True)
    raw = raw.assign(_has_salary=raw["true_salary_min"].notna(), _has_date=raw["true_posted"].notna())
    # Keep one row per posting: the one with a salary, then with a date, then by board name.
    raw = raw.sort_values(["posting_id", "_has_salary", "_has_date", "source"],
                          ascending=[True, False, False, True], kind="stable")
    first = raw.drop_duplicates("posting_id").set_index("posting_id")
    roles = careers.roles().set_index("id")
    table = pd.DataFrame({
        "posting_id": first.index,
        "role_id": first["true_role_id"].to_numpy(),
        "company": first["company"].to_numpy(),
        "location": first["location"].str.strip().str.replace(r",\s*", ", ", regex=True).str.title()
        .str.replace(r", (\w\w)$", lambda m: ", " + m.group(1).upper(), regex=True).to_numpy(),
        "salary_min": first["true_salary_min"].to_numpy(),
        "salary_max": first["true_salary_max"].to_numpy(),
        "posted": first["true_posted"].to_numpy(),
    })
    table["title"] = table["role_id"].map(roles["title"])
    table["level"] = table["role_id"].map(roles["level"])
    table["domain"] = table["role_id"].map(roles["domain"])
    table["salary_mid"] = (table["salary_min"] + table["salary_max"]) / 2
    columns = ["posting_id", "role_id", "title", "level", "domain", "company", "location",
               "salary_min", "salary_max", "salary_mid", "posted"]
    return table[columns].reset_index(drop=True)
