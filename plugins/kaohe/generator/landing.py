"""Write the landing tree: landing/<YYYY-MM-DD>/<kind>[__<sender>].<ext>."""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kaohe.contract import Contract, load_contract

from . import daily, office, reference
from .bad_rows import FORMULA, Planter
from .demolition import LedgerBook
from .district import District, build_district
from .scale import SCALES
from .writers import KIND_FORMATS, FileFormat, TableWriter, dept_format, file_name, group_format


@dataclass
class Output:
    """Writes one file at a time, weaving in planted rows and counting everything."""

    landing: Path
    contract: Contract
    planter: Planter | None
    files: Counter = field(default_factory=Counter)
    rows: Counter = field(default_factory=Counter)
    written: dict[date, set] = field(default_factory=dict)
    injection: dict | None = None

    def write(
        self, day: date, kind: str, sender: str | None, rows: Iterable[dict], fmt: FileFormat | None = None
    ) -> bool:
        """Write one file; nothing at all if there are no rows (never a header-only file)."""
        fmt = fmt or KIND_FORMATS[kind]
        planter = self.planter
        plants = planter.plants_for(day, kind, sender) if planter else []
        inject = planter is not None and planter.injection == (day, sender) and kind == "indicator_progress"
        rows = iter(rows)
        head = next(rows, None)
        if head is None and not plants:
            return False
        rows = itertools.chain([head] if head is not None else [], rows)
        if planter and plants:
            # Files that get plants are small (one department, one group, the office's
            # file of the day), so they are materialised to place the plants at random.
            listed = list(rows)
            rng = planter.position_rng(day, kind, sender)
            for plant in plants:
                listed.insert(rng.randint(0, len(listed)), plant)
            rows = iter(listed)
        name = file_name(kind, sender, fmt)
        with TableWriter(self.landing / day.isoformat() / name, self.contract.kinds[kind], fmt, self.contract) as out:
            for row in rows:
                rule = row.get("_rule")
                if inject and not rule:
                    # The formula goes into the first valid row's note; it must load verbatim.
                    number = out.write(dict(row, note=FORMULA))
                    self.injection = {"business_date": day.isoformat(), "file": name, "row_number": number}
                    inject = False
                    continue
                number = out.write(row)
                if rule and planter:  # only a planter's rows carry a _rule
                    planter.record(day, name, number, rule)
        self.files[kind] += 1
        self.rows[kind] += out.rows
        self.written.setdefault(day, set()).add((kind, sender))
        return True


def business_dates(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def generate(
    landing: Path, start: date, end: date, seed: int = 7, bad_rows: bool = False, scale: str = "district"
) -> dict:
    """Write a sample landing tree for every business date from start to end inclusive.

    Returns a summary: files and rows written per kind, planted bad rows and files,
    where the formula-injection note went, and the mid-range roster change.
    """
    if scale not in SCALES:
        raise ValueError(f"scale must be one of {sorted(SCALES)}")
    landing = Path(landing)
    dates = business_dates(start, end)
    d = build_district(seed, SCALES[scale], tuple(range(start.year, end.year + 1)))
    # A later cadres snapshot (one transfer, one leaving) when the range is long enough.
    change_date = dates[len(dates) // 2] if len(dates) >= 30 else None
    book = LedgerBook(d)
    planter = Planter(d, dates, book) if bad_rows else None
    plan = office.plan_office(
        d, dates, planter.force_bonus if planter else set(), planter.force_supervision if planter else set()
    )
    out = Output(landing, load_contract(), planter)
    for day in dates:
        _write_day(out, d, day, dates, change_date, book, plan)
    if planter:
        planter.write_manifests(landing)
    rc = d.roster_change
    return {
        "scale": scale,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "business_dates": len(dates),
        "files": dict(sorted(out.files.items())),
        "rows": dict(sorted(out.rows.items())),
        "planted_bad_rows": len(planter.manifest) if planter else 0,
        "planted_rules": dict(sorted(Counter(r for *_, r in planter.manifest).items())) if planter else {},
        "bad_files": len(planter.bad_files) if planter else 0,
        "formula_injection": out.injection,
        "notable_events": _notable(plan),
        "roster_change": (
            {
                "business_date": change_date.isoformat(),
                "transferred": rc.transferred,
                "from_dept": rc.from_dept,
                "to_dept": rc.to_dept,
                "deactivated": rc.deactivated,
            }
            if change_date and rc
            else None
        ),
    }


def _notable(plan: office.OfficePlan) -> dict:
    """The events the assessment rules single out, so tests downstream can find them."""
    n = plan.notable

    def brief(e):
        return {
            "event_id": e.event_id,
            "dept_code": e.dept_code,
            "cadre_id": e.cadre_id,
            "occurred_on": e.occurred_on.isoformat(),
        }

    return {
        "sanctions": [brief(e) for e in n.get("sanctions", [])],
        "double_warning": [brief(e) for e in n.get("double_warning", [])],
        "withdrawn": n["withdrawn"].event_id if n.get("withdrawn") else None,
        "corrected": sorted({e.event_id for e in n.get("corrections", [])}),
    }


def _write_day(
    out: Output,
    d: District,
    day: date,
    dates: list[date],
    change_date: date | None,
    book: LedgerBook,
    plan: office.OfficePlan,
) -> None:
    first = day == dates[0]
    planter = out.planter

    # Reference snapshots: all kinds on the first day; later only what changed.
    if first:
        for kind, rows in reference.snapshot(d, day).items():
            out.write(day, kind, None, rows)
    if day == change_date:
        out.write(day, "cadres", None, reference.cadres(d.roster(day, change_date)))
    if planter and planter.weights and planter.weights[0] == day:
        _, weights_dept, year = planter.weights
        rows = (
            dict(row, _rule="weights_sum") if hit else row
            for row, hit in reference.assignments(d, (weights_dept, year))
        )
        out.write(day, "indicator_assignments", None, rows)

    # Senders that must send today because a bad row (or the formula note) is planted in their file.
    def forced(kind: str) -> set:
        return planter.senders(day, kind) if planter else set()

    injected = {planter.injection[1]} if planter and planter.injection and planter.injection[0] == day else set()

    must = forced("indicator_progress") | injected
    for dept in d.depts:
        if dept.code in must or not daily.skips(d, dept, day):
            out.write(
                day, "indicator_progress", dept.code, daily.indicator_progress(d, dept, day), dept_format(dept.index)
            )

    must = forced("project_progress")
    reporting = daily.reports_projects(day, dates[0])
    for dept in d.depts:
        if (reporting or dept.code in must) and d.projects_by_dept.get((dept.code, day.year)):
            out.write(day, "project_progress", dept.code, daily.project_progress(d, dept, day), dept_format(dept.index))

    for g in d.groups:
        rows = (
            {
                "household_id": e.household,
                "zone_id": g.zone_id,
                "group_id": g.id,
                "status": e.status,
                "status_date": e.status_date,
            }
            for e in book.delivered(g, day, first)
        )
        out.write(day, "demolition_ledger", g.id, rows, group_format(g.index))

    out.write(day, "bonus_penalty", None, (e.row() for e in plan.bonus.get(day, ())))
    out.write(day, "supervision", None, (e.row() for e in plan.supervision.get(day, ())))
    if daily.is_quarter_end(day):
        roster = d.roster(day, change_date)
        out.write(day, "evaluations", None, office.evaluations(d, day, roster))
        out.write(day, "commendations", None, office.commendations(d, day, roster))

    if planter:
        for kind, sender, fmt in planter.extra_files(day):
            out.write(day, kind, sender, (), fmt)
        planter.write_bad_files(out.landing / day.isoformat(), day, out.written.setdefault(day, set()))
