"""Career facts and figures from the course's single data file.

Pages, plots, notebooks and exercises read roles, salaries, skills and market figures through this
module, so a figure is typed once (in ``data/careers.yml``) and shown everywhere the same.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

import yaml

if TYPE_CHECKING:
    import pandas as pd

LEVEL_ORDER = ("entry", "mid", "advanced")


class CareerDataError(ValueError):
    """The career data file is missing, unreadable or inconsistent (message names the file)."""


@dataclass(frozen=True)
class CareerData:
    """The parsed data file: plain records, validated once on load."""

    path: str
    sources: dict
    market: list
    levels: list
    domains: list
    roles: list
    certifications: list
    bootcamps: dict
    skills: dict = field(default_factory=dict)  # skill id -> {"name": ..., "group": ...}


def default_path() -> Path:
    return Path(str(resources.files("coursekit") / "data" / "careers.yml"))


def _fail(path, message: str):
    raise CareerDataError(f"{path}: {message}")


def _require(path, record: dict, keys: Iterable[str], where: str) -> None:
    missing = [k for k in keys if k not in record]
    if missing:
        _fail(path, f"{where} is missing {', '.join(missing)}")


def _check_salary(path, role_id: str, salary) -> None:
    where = f"role {role_id!r} salary"
    if not isinstance(salary, dict):
        _fail(path, f"{where} must be a mapping with low and high")
    _require(path, salary, ("low", "high", "source"), where)
    low, high = salary["low"], salary["high"]
    if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (low, high)):
        _fail(path, f"{where} low and high must be numbers, got {low!r} and {high!r}")
    if low < 0 or high < low:
        _fail(path, f"{where} needs 0 <= low <= high, got {low} and {high}")


def _validate(path, raw) -> CareerData:
    if not isinstance(raw, dict):
        _fail(path, "top level must be a mapping")
    _require(path, raw, ("sources", "levels", "domains", "roles"), "the file")
    sources = raw["sources"] or {}
    levels = {lv["id"] for lv in raw["levels"]}
    domains = {d["id"] for d in raw["domains"]}
    if not isinstance(raw["roles"], list) or not raw["roles"]:
        _fail(path, "roles must be a non-empty list")
    seen = set()
    for index, role in enumerate(raw["roles"]):
        if not isinstance(role, dict):
            _fail(path, f"role #{index + 1} must be a mapping")
        _require(path, role, ("id", "title", "domain", "level", "skills", "responsibilities", "salaries"),
                 f"role #{index + 1} ({role.get('id', 'no id')})")
        rid = role["id"]
        if rid in seen:
            _fail(path, f"role id {rid!r} appears twice")
        seen.add(rid)
        if role["level"] not in levels:
            _fail(path, f"role {rid!r} has unknown level {role['level']!r}")
        if role["domain"] not in domains:
            _fail(path, f"role {rid!r} has unknown domain {role['domain']!r}")
        if not isinstance(role["skills"], list) or not role["skills"]:
            _fail(path, f"role {rid!r} needs a non-empty list of skills")
        if not isinstance(role["salaries"], list) or not role["salaries"]:
            _fail(path, f"role {rid!r} needs at least one salary range")
        for salary in role["salaries"]:
            _check_salary(path, rid, salary)
            if salary["source"] not in sources:
                _fail(path, f"role {rid!r} cites unknown source {salary['source']!r}")
    skills = raw.get("skills") or {}
    if skills:
        for sid, entry in skills.items():
            if not isinstance(entry, dict) or not entry.get("name") or not entry.get("group"):
                _fail(path, f"skill {sid!r} needs a name and a group")
        unnamed = sorted({s for r in raw["roles"] for s in r["skills"]} - set(skills))
        if unnamed:
            _fail(path, f"skill(s) without a display name in 'skills': {', '.join(unnamed)}")
    for fact in raw.get("market", []):
        if fact.get("source") not in sources:
            _fail(path, f"market fact {fact.get('id')!r} cites unknown source {fact.get('source')!r}")
    return CareerData(path=str(path), sources=sources, market=raw.get("market", []),
                      levels=raw["levels"], domains=raw["domains"], roles=raw["roles"],
                      certifications=raw.get("certifications", []), bootcamps=raw.get("bootcamps", {}),
                      skills=skills)


def load(path: str | Path | None = None) -> CareerData:
    """Read and validate a career data file; the course's own file when no path is given."""
    if path is None:
        return _load_default()
    return _load_path(Path(path))


def _load_path(path: Path) -> CareerData:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(path, "file not found")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(path, f"cannot be read ({exc.__class__.__name__})")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        _fail(path, f"is not valid YAML{where}")
    return _validate(path, raw)


@lru_cache(maxsize=1)
def _load_default() -> CareerData:
    return _load_path(default_path())


def _level_rank(level: str) -> int:
    return LEVEL_ORDER.index(level) if level in LEVEL_ORDER else len(LEVEL_ORDER)


def roles(level: str | None = None, domain: str | None = None, data: CareerData | None = None) -> pd.DataFrame:
    """The roles table: one row per role, salary low/high spanning all its ranges.

    Sorted by level, then by the top of the salary range, so tables read as a ladder.
    """
    import pandas as pd  # imported here so that reading the data file stays light
    data = data or load()
    _check_filter(data, level, domain)
    levels = {lv["id"]: lv for lv in data.levels}
    rows = []
    for role in data.roles:
        if (level and role["level"] != level) or (domain and role["domain"] != domain):
            continue
        salaries = role["salaries"]
        rows.append({
            "id": role["id"],
            "title": role["title"],
            "domain": role["domain"],
            "level": role["level"],
            "years_min": levels[role["level"]]["years_min"],
            "years_max": levels[role["level"]]["years_max"],
            "salary_low": min(s["low"] for s in salaries),
            "salary_high": max(s["high"] for s in salaries),
            "open_ended": any(s.get("open_ended", False) for s in salaries),
            "salary_note": "; ".join(s["note"] for s in salaries if s.get("note")),
            "source": ", ".join(sorted({s["source"] for s in salaries})),
            "skills": list(role["skills"]),
            "responsibilities": list(role["responsibilities"]),
        })
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["_rank"] = table["level"].map(_level_rank)
    table = table.sort_values(["_rank", "salary_high", "title"]).drop(columns="_rank")
    return table.reset_index(drop=True)


def _check_filter(data: CareerData, level: str | None, domain: str | None) -> None:
    if level is not None and level not in {lv["id"] for lv in data.levels}:
        raise CareerDataError(f"{data.path}: no level {level!r}; known: "
                              + ", ".join(lv["id"] for lv in data.levels))
    if domain is not None and domain not in {d["id"] for d in data.domains}:
        raise CareerDataError(f"{data.path}: no domain {domain!r}; known: "
                              + ", ".join(d["id"] for d in data.domains))


def salary_ranges(data: CareerData | None = None) -> pd.DataFrame:
    """One row per salary range (a role may have several, e.g. academic and industry)."""
    import pandas as pd  # imported here so that reading the data file stays light
    data = data or load()
    rows = []
    for role in data.roles:
        for salary in role["salaries"]:
            rows.append({"id": role["id"], "title": role["title"], "level": role["level"],
                         "domain": role["domain"], "setting": salary.get("setting", "typical"),
                         "low": salary["low"], "high": salary["high"],
                         "open_ended": salary.get("open_ended", False), "note": salary.get("note", ""),
                         "source": salary["source"]})
    return pd.DataFrame(rows)


def role(role_id: str, data: CareerData | None = None) -> dict:
    """One role's record, as in the data file."""
    data = data or load()
    for record in data.roles:
        if record["id"] == role_id:
            return record
    raise CareerDataError(f"{data.path}: no role {role_id!r}; known: " + ", ".join(r["id"] for r in data.roles))


def format_usd(amount: float) -> str:
    """$1.8 trillion, $150,000: the way the course prints money."""
    if amount >= 1e12:
        return f"${amount / 1e12:.1f} trillion"
    if amount >= 1e9:
        return f"${amount / 1e9:.1f} billion"
    return f"${amount:,.0f}"


def salary_text(role_id: str, data: CareerData | None = None) -> str:
    """A role's salary ranges as prose, e.g. '$150,000–$200,000+ (plus equity)'."""
    parts = []
    for salary in role(role_id, data)["salaries"]:
        text = f"{format_usd(salary['low'])}–{format_usd(salary['high'])}" + ("+" if salary.get("open_ended") else "")
        extras = [e for e in (salary.get("setting"), salary.get("note")) if e]
        parts.append(text + (f" ({', '.join(extras)})" if extras else ""))
    return " or ".join(parts)


def market_fact(fact_id: str, data: CareerData | None = None) -> dict:
    data = data or load()
    for fact in data.market:
        if fact["id"] == fact_id:
            return fact
    raise CareerDataError(f"{data.path}: no market fact {fact_id!r}")


def all_skills(data: CareerData | None = None) -> list[str]:
    data = data or load()
    return sorted({skill for r in data.roles for skill in r["skills"]})


def skill_name(skill_id: str, data: CareerData | None = None) -> str:
    """The display name of a skill id ('ab-testing' -> 'A/B testing'); the id itself if unnamed."""
    data = data or load()
    return data.skills.get(skill_id, {}).get("name", skill_id)


def skills_table(data: CareerData | None = None) -> pd.DataFrame:
    """One row per skill a role lists: id, display name, group and how many roles list it."""
    import pandas as pd  # imported here so that reading the data file stays light
    data = data or load()
    counts: dict[str, int] = {}
    for record in data.roles:
        for skill in record["skills"]:
            counts[skill] = counts.get(skill, 0) + 1
    rows = [{"id": s, "name": skill_name(s, data), "group": data.skills.get(s, {}).get("group", "Other"),
             "roles": n} for s, n in counts.items()]
    return pd.DataFrame(rows).sort_values(["roles", "name"], ascending=[False, True]).reset_index(drop=True)


def skill_gap(skills: Iterable[str], data: CareerData | None = None) -> pd.DataFrame:
    """Rank roles by how many of their skills a person already has, listing what is missing.

    Skills are compared case-insensitively; coverage is the share of a role's skills held.
    Ties are broken by level (closer to entry first), then title.
    """
    import pandas as pd  # imported here so that reading the data file stays light
    data = data or load()
    if isinstance(skills, str):
        skills = [skills]
    held = {s.strip().lower() for s in skills if s and s.strip()}
    unknown = held - set(all_skills(data))
    rows = []
    for record in data.roles:
        needed = list(record["skills"])
        have = [s for s in needed if s in held]
        rows.append({"id": record["id"], "title": record["title"], "level": record["level"],
                     "coverage": len(have) / len(needed), "have": have,
                     "missing": [s for s in needed if s not in held]})
    table = pd.DataFrame(rows)
    table["_rank"] = table["level"].map(_level_rank)
    table = table.sort_values(["coverage", "_rank", "title"], ascending=[False, True, True])
    table = table.drop(columns="_rank").reset_index(drop=True)
    table.attrs["unknown_skills"] = sorted(unknown)
    return table


def salary_ladder(ax=None, level: str | None = None, domain: str | None = None, data: CareerData | None = None):
    """Horizontal bars of every salary range, grouped by level: the course's salary-ladder figure.

    Drawn to stay readable on a phone: a narrow figure, large type, and each role's name and range
    written above its bar instead of in a wide column of tick labels.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    data = data or load()
    _check_filter(data, level, domain)
    ranges = salary_ranges(data)
    if level:
        ranges = ranges[ranges["level"] == level]
    if domain:
        ranges = ranges[ranges["domain"] == domain]
    ranges = ranges.assign(_rank=ranges["level"].map(_level_rank)).sort_values(["_rank", "high"])
    if ax is None:
        _fig, ax = plt.subplots(figsize=(5.5, 0.7 * len(ranges) + 1.9))
    colors = {"entry": "#4C9F70", "mid": "#3A7CA5", "advanced": "#8E5572"}
    k = lambda v: f"\\${v / 1000:.0f}k"  # noqa: E731  (escaped: a pair of $ would start mathtext)
    ax.barh(range(len(ranges)), ranges["high"] - ranges["low"], left=ranges["low"], height=0.38,
            color=[colors.get(lv, "grey") for lv in ranges["level"]])
    # Each bar's name and range is its y tick label, moved inside the axes just above the bar, so
    # callers can still find a bar by its label (ax.get_yticklabels() is in bar order).
    labels = [r.title + (f" ({r.setting})" if r.setting != "typical" else "") + ": "
              + f"{k(r.low)}–{k(r.high)}" + ("+" if r.open_ended else "") for r in ranges.itertuples()]
    ax.set_yticks([y + 0.42 for y in range(len(ranges))], labels, fontsize=14, ha="left", va="center")
    ax.tick_params(axis="y", length=0, pad=-6)
    ax.set_ylim(-0.6, len(ranges) - 0.05)
    ax.set_xlim(0, ranges["high"].max() * 1.08 if len(ranges) else 1)
    ax.xaxis.set_major_formatter(lambda v, _pos: k(v))
    ax.xaxis.set_major_locator(plt.MaxNLocator(nbins=5))
    ax.tick_params(axis="x", labelsize=12)
    ax.set_xlabel("U.S. salary range (USD per year)", fontsize=13)
    level_labels = {lv["id"]: lv["label"] for lv in data.levels}
    present = [lv for lv in LEVEL_ORDER if lv in set(ranges["level"])]
    if len(present) > 1:
        ax.legend(handles=[Patch(color=colors[lv], label=level_labels[lv]) for lv in present],
                  loc="upper center", bbox_to_anchor=(0.5, -0.09 - 0.5 / len(ranges)), ncol=len(present),
                  fontsize=12, frameon=False, handlelength=1, columnspacing=1)
    ax.set_title("Salary ranges by role and career level", fontsize=14)
    ax.figure.tight_layout()
    return ax.figure
