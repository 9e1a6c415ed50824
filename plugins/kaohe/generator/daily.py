"""Rows of the departments' daily kinds: indicator_progress and project_progress.

Values are pure functions of (master data, date): a year-to-date figure on
day t never depends on what was generated for other days, so any range can
be generated on its own and still be consistent (non-decreasing, on pace).
"""

from __future__ import annotations

import calendar
import math
import random
from collections.abc import Iterator
from datetime import date

from . import library as lib
from . import names
from .district import Assignment, Dept, District, Project


def quarter_bounds(day: date) -> tuple[date, date]:
    q = (day.month - 1) // 3
    first = date(day.year, 3 * q + 1, 1)
    last_month = 3 * q + 3
    return first, date(day.year, last_month, calendar.monthrange(day.year, last_month)[1])


def is_quarter_end(day: date) -> bool:
    return day == quarter_bounds(day)[1]


def quarter_label(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def cumulative_value(a: Assignment, day: date) -> int | float:
    """Year-to-date value: each quarter adds its target increment times the
    department's pace for that quarter, spread over the quarter's days. A lagging
    quarter's shortfall carries on, as it does in real ledgers."""
    assert a.targets is not None
    first, last = quarter_bounds(day)
    q = (day.month - 1) // 3
    value, prev = 0.0, 0.0
    for k in range(q):
        value += (a.targets[k] - prev) * a.paces[k]
        prev = a.targets[k]
    progress = ((day - first).days + 1) / ((last - first).days + 1)
    value += (a.targets[q] - prev) * a.paces[q] * progress**a.curve
    if lib.BY_CODE[a.code].integer:
        return int(math.floor(value + 1e-9))
    return math.floor(value * 100 + 1e-6) / 100


def skips(d: District, dept: Dept, day: date) -> bool:
    """A couple of departments occasionally send nothing (one day in five)."""
    return dept.skips_days and random.Random(f"{d.seed}:skip:{dept.code}:{day}").random() < 0.2


def indicator_progress(d: District, dept: Dept, day: date) -> Iterator[dict]:
    rng = random.Random(f"{d.seed}:notes:{dept.code}:{day}")
    for a in d.reported(dept.code, day.year):
        note = rng.choice(names.NOTES) if rng.random() < 0.06 else None
        yield {
            "dept_code": dept.code,
            "indicator_code": a.code,
            "as_of_date": day,
            "cumulative_value": cumulative_value(a, day),
            "note": note,
        }


def reports_projects(day: date, first_day: date) -> bool:
    """Lead departments report key projects weekly (Mondays) and at month end."""
    return day == first_day or day.weekday() == 0 or day.day == calendar.monthrange(day.year, day.month)[1]


def project_state(p: Project, day: date) -> tuple[float, float]:
    """(cumulative_pct, cumulative_investment) on a day: the plan interpolated
    inside the month, times the project's pace (some run behind), capped at 100."""
    m = day.month
    before = p.plan[m - 2] if m > 1 else 0.0
    planned = before + (p.plan[m - 1] - before) * day.day / calendar.monthrange(day.year, m)[1]
    pct = math.floor(min(100.0, planned * p.pace) * 10 + 1e-6) / 10
    investment = math.floor(p.investment * pct * p.invest_factor + 1e-6) / 100
    return pct, investment


def project_progress(d: District, dept: Dept, day: date) -> Iterator[dict]:
    for p in d.projects_by_dept.get((dept.code, day.year), ()):
        pct, investment = project_state(p, day)
        yield {"project_id": p.id, "as_of_date": day, "cumulative_pct": pct, "cumulative_investment": investment}
