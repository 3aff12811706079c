"""Deadlines and late policies: when a submission came in, and what lateness costs.

A policy is one short string, given to ``coursekit grade --late-policy`` and stored with the
assignment in the gradebook, so the penalty is worked out whenever grades are read (an extension
or a changed policy needs no re-grading):

* ``none``: lateness is recorded and shown, nothing is deducted (the default);
* ``percent-per-day:P``: P percent of the points earned is deducted for each started day after
  the deadline, down to zero;
* ``zero-after:CUTOFF``: a submission after the deadline keeps its points up to CUTOFF (an ISO
  date and time) and gets zero after it.

Times without a zone are the grading machine's local time; everything is stored in UTC.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone

DAY = 86400.0


class PolicyError(ValueError):
    """A deadline or late policy that cannot be read; the message says what is expected."""


def parse_time(text: str) -> datetime:
    """An ISO date and time (``2026-03-01T23:59``, ``2026-03-01 23:59:00.123 UTC``, ...) as an aware UTC time."""
    raw = str(text).strip()
    cleaned = raw
    for suffix in (" UTC", "UTC", "Z"):
        if cleaned.endswith(suffix):
            cleaned = cleaned[: -len(suffix)].rstrip() + "+00:00"
            break
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise PolicyError(f"{raw!r} is not a date and time (expected e.g. 2026-03-01T23:59 or "
                          "2026-03-01T23:59+01:00)") from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # the grading machine's local time
    return moment.astimezone(timezone.utc)


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


@dataclass(frozen=True)
class LatePolicy:
    kind: str = "none"  # none, percent-per-day, zero-after
    percent: float = 0.0
    cutoff: str = ""  # ISO UTC, for zero-after

    def __str__(self) -> str:
        if self.kind == "percent-per-day":
            return f"percent-per-day:{self.percent:g}"
        if self.kind == "zero-after":
            return f"zero-after:{self.cutoff}"
        return "none"

    def describe(self, deadline: str) -> str:
        """The policy in words, for reports and feedback pages."""
        if not deadline:
            return "no deadline set"
        if self.kind == "percent-per-day":
            return f"deadline {deadline}; {self.percent:g}% of the points deducted per started day late"
        if self.kind == "zero-after":
            return f"deadline {deadline}; late work counts in full until {self.cutoff}, zero after it"
        return f"deadline {deadline}; late work is marked late but not penalised"

    def penalty(self, points: float, submitted_at: str, deadline: str) -> tuple[float, float]:
        """(days late, points deducted) for ``points`` earned by work handed in at ``submitted_at``."""
        if not deadline or not submitted_at:
            return 0.0, 0.0
        late = (parse_time(submitted_at) - parse_time(deadline)).total_seconds()
        if late <= 0:
            return 0.0, 0.0
        days = math.ceil(late / DAY)
        if self.kind == "percent-per-day":
            return days, round(points * min(1.0, self.percent * days / 100), 4)
        if self.kind == "zero-after" and parse_time(submitted_at) > parse_time(self.cutoff):
            return days, points
        return days, 0.0


def parse_policy(text: str | None) -> LatePolicy:
    """``none``, ``percent-per-day:P`` or ``zero-after:CUTOFF``; PolicyError otherwise."""
    text = (text or "none").strip()
    kind, _, value = text.partition(":")
    kind = kind.strip().lower()
    if kind == "none" and not value:
        return LatePolicy()
    if kind == "percent-per-day":
        try:
            percent = float(value)
        except ValueError:
            percent = -1.0
        if not 0 < percent <= 100:
            raise PolicyError(f"late policy {text!r}: expected percent-per-day:P with P between 0 and 100, "
                              "e.g. percent-per-day:10")
        return LatePolicy("percent-per-day", percent)
    if kind == "zero-after" and value:
        return LatePolicy("zero-after", cutoff=iso(parse_time(value)))
    raise PolicyError(f"late policy {text!r}: expected none, percent-per-day:P or zero-after:CUTOFF "
                      "(e.g. percent-per-day:10, zero-after:2026-03-08T23:59)")
