"""Demolition households (征迁户): when each one is surveyed, signed, cleared
and demolished, and when its work group reports it.

A household's life is drawn from a generator seeded by (seed, group), so a
group's ledger can be recomputed for any day without keeping the whole
province's households in memory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from .district import District, Group
from .scale import code

STATUSES = ("surveyed", "signed", "cleared", "demolished")
RANK = {s: i for i, s in enumerate(STATUSES)}


@dataclass(slots=True)
class Event:
    household: str
    status: str
    status_date: date
    reported: date  # the folder it is delivered in (status_date + 0..2 days)


def group_events(d: District, g: Group) -> list[list[Event]]:
    """Per household, its status changes in order. Forward only; a step may be skipped."""
    rng = random.Random(f"{d.seed}:households:{g.id}")
    campaign = date(d.years[0], 1, 5)
    out = []
    for k in range(g.n_households):
        hid = code("H", g.first_household + k, d.scale.household_width)
        steps: list[tuple[str, date]] = []
        surveyed = campaign + timedelta(days=rng.randint(0, 50))
        skip_survey = rng.random() < 0.03
        if rng.random() < 0.92:  # the rest hold out all year
            signed = surveyed + timedelta(days=int(rng.triangular(15, 300, 90) / g.pace))
            steps.append(("signed", signed))
            if rng.random() < 0.93:
                cleared = signed + timedelta(days=int(rng.triangular(5, 90, 25) / g.pace))
                if rng.random() >= 0.04:  # 4% go straight from signed to demolished
                    steps.append(("cleared", cleared))
                if rng.random() < 0.9:
                    steps.append(("demolished", cleared + timedelta(days=rng.randint(3, 30))))
        if not skip_survey or not steps:
            steps.insert(0, ("surveyed", surveyed))
        events = []
        for status, when in steps:
            lag = rng.choices((0, 1, 2), (0.7, 0.2, 0.1))[0]
            events.append(Event(hid, status, when, when + timedelta(days=lag)))
        out.append(events)
    return out


class LedgerBook:
    """Which ledger rows each group delivers on a day (cached for small scales)."""

    def __init__(self, d: District):
        self.d = d
        self._cache: dict[str, list[list[Event]]] | None = {} if d.households_total <= 100_000 else None

    def households(self, g: Group) -> list[list[Event]]:
        if self._cache is None:
            return group_events(self.d, g)
        if g.id not in self._cache:
            self._cache[g.id] = group_events(self.d, g)
        return self._cache[g.id]

    def delivered(self, g: Group, day: date, first_day: bool) -> list[Event]:
        """Rows in the group's file for `day`; the first day carries the backlog."""
        rows = [e for hh in self.households(g) for e in hh if (e.reported <= day if first_day else e.reported == day)]
        rows.sort(key=lambda e: (e.status_date, e.household, RANK[e.status]))
        return rows

    def quiet_households(self, g: Group, day: date, min_rank: int = 0) -> list[tuple[str, str]]:
        """(household, status) of households already delivered before `day`, with no
        change dated or delivered within two days of it — safe targets for plants."""
        out = []
        for hh in self.households(g):
            known = [e for e in hh if e.reported < day]
            if not known:
                continue
            if any(abs((e.status_date - day).days) <= 2 or abs((e.reported - day).days) <= 2 for e in hh):
                continue
            status = max((e.status for e in known), key=RANK.__getitem__)
            if RANK[status] >= min_rank:
                out.append((hh[0].household, status))
        return out


def targets(d: District, g: Group) -> list[tuple[str, int, int]]:
    """Monthly cumulative targets (month, signed, cleared) for every month of the years covered.

    Signing is planned to reach 90% of households by September, clearing 85% by November;
    later years keep the final figures. Rounding a non-decreasing curve keeps it non-decreasing.
    """
    n, first = g.n_households, d.years[0]
    out = []
    for year in d.years:
        for m in range(1, 13):
            t = m + 12 * (year - first)
            fs = min(1.0, max(0.0, (t - 1.5) / 7.5))
            fc = min(1.0, max(0.0, (t - 2.5) / 8.5))
            out.append((f"{year}-{m:02d}", round(n * 0.9 * fs), round(n * 0.85 * fc)))
    return out
