"""Planted bad input (bad_rows=True): rows that break exactly one contract rule
each, plus a few unusable whole files, and the manifests that say where.

A planted row is an ordinary row dict with an extra "_rule" key; the file
writer ignores keys that are not columns and records the row's spreadsheet
row number (header = 1) in `_planted/bad_rows.csv`.

Each row breaks one rule only, so the expected rule is unambiguous: planted
indicator_progress rows are dated the day before (no key clash with the
day's own row), codes in sender files never differ from the sender unless
`sender_mismatch` is the point, households picked for ledger plants have no
real change within two days of the plant, and so on.
"""

from __future__ import annotations

import csv
import random
from datetime import date, timedelta
from pathlib import Path

from kaohe.contract import load_contract

from . import library as lib
from .daily import cumulative_value, is_quarter_end, project_state, quarter_label
from .demolition import LedgerBook
from .district import Dept, District
from .writers import UTF8, FileFormat, TableWriter, dept_format

FORMULA = "=cmd|' /C calc'!A0"  # must load verbatim, in a valid row's note

# (kind, rule, variant) — interleaved by kind so that a kind's plants land on different days.
_RECIPES = {
    "indicator_progress": [
        ("missing_value", ""),
        ("format", "date"),
        ("format", "number"),
        ("out_of_range", ""),
        ("future_date", ""),
        ("sender_mismatch", ""),
        ("unknown_indicator", ""),
        ("not_assigned", ""),
    ],
    "bonus_penalty": [
        ("duplicate_key", ""),
        ("unknown_dept", ""),
        ("unknown_cadre", ""),
        ("not_deduction", ""),
        ("head_event", ""),
        ("dept_mismatch", ""),
        ("out_of_range", ""),
        ("format", "code"),
        ("future_date", ""),
    ],
    "demolition_ledger": [("unknown_value", ""), ("status_back", ""), ("group_change", ""), ("unknown_group", "")],
    "project_progress": [("unknown_project", ""), ("out_of_range", "")],
    "supervision": [("unknown_value", ""), ("missing_value", "")],
}
_QUARTER_END = {
    "evaluations": [("duplicate_key", ""), ("out_of_range", ""), ("unknown_value", "")],
    "commendations": [("unknown_cadre", "")],
}


def _interleave() -> list[tuple[str, str, str]]:
    queues = {k: list(v) for k, v in _RECIPES.items()}
    out = []
    while any(queues.values()):
        for kind, q in queues.items():
            if q:
                out.append((kind, *q.pop(0)))
    return out


class Planter:
    def __init__(self, d: District, dates: list[date], book: LedgerBook):
        self.d, self.dates, self.book = d, dates, book
        self.rng = random.Random(f"{d.seed}:plants:{dates[0]}:{dates[-1]}")
        self.plants: dict[tuple[date, str, str | None], list[dict]] = {}
        self.formats: dict[tuple[date, str, str | None], FileFormat] = {}  # files only plants create
        self.manifest: list[tuple[date, str, int, str]] = []
        self.bad_files: list[tuple[date, str, str]] = []
        self.bad_file_days: dict[date, list[str]] = {}
        self.force_bonus: set[date] = set()
        self.force_supervision: set[date] = set()
        self._event_seq = 900_000  # planted event ids never collide with real ones
        self._used_senders: set[tuple[date, str, str | None]] = set()
        self.weights: tuple[date, str, int] | None = None
        self.injection: tuple[date, str] | None = None
        self._schedule()

    def _schedule(self) -> None:
        """Decide where every plant goes. Bad things land after the first day when the
        range allows, spread over the range, a few files a day."""
        d, dates = self.d, self.dates
        later = dates[1:] or dates
        if len(dates) >= 2:
            day = dates[len(dates) // 2]
            dept = self.rng.choice([x for x in d.depts if x.cls == "economic"])
            self.weights = (day, dept.code, day.year)  # a LATER snapshot: the first one stays valid
        utf8 = [x for x in d.depts if dept_format(x.index) is UTF8 and d.reported(x.code, dates[0].year)]
        if utf8:
            self.injection = (later[len(later) // 3], self.rng.choice(utf8).code)
        for i, (kind, rule, variant) in enumerate(recipes := _interleave()):
            self._plant(later[(i * len(later)) // len(recipes)], kind, rule, variant)
        quarter_ends = [x for x in later if is_quarter_end(x)] or [x for x in dates if is_quarter_end(x)]
        if quarter_ends:
            for kind, rules in _QUARTER_END.items():
                for rule, variant in rules:
                    self._plant(quarter_ends[0], kind, rule, variant)
        for k, reason in enumerate(("header_only", "empty", "unknown_kind")):
            day = later[min(len(later) - 1, ((k + 1) * len(later)) // 4)]
            self.bad_file_days.setdefault(day, []).append(reason)

    # -- scheduling ------------------------------------------------------------------

    def _add(self, day: date, kind: str, sender: str | None, rule: str, rows: list[dict]) -> None:
        for row in rows:
            row["_rule"] = rule
        self.plants.setdefault((day, kind, sender), []).extend(rows)
        self._used_senders.add((day, kind, sender))

    def _event_id(self, prefix: str, day: date) -> str:
        self._event_seq += 1
        return f"{prefix}{day.year}-{self._event_seq}"

    def _pick_dept(self, day: date, kind: str, pool: list[Dept]) -> Dept:
        fresh = [x for x in pool if (day, kind, x.code) not in self._used_senders]
        return self.rng.choice(fresh or pool)

    def _plant(self, day: date, kind: str, rule: str, variant: str) -> None:
        # Dated-the-day-before plants must stay in the day's year (assignments are per year),
        # and ledger plants need households delivered earlier: move on to a later day if needed.
        days = [x for x in self.dates if x >= day] if kind != "evaluations" and kind != "commendations" else [day]
        for candidate in days:
            if candidate.timetuple().tm_yday == 1 and candidate != days[-1]:
                continue
            if getattr(self, f"_{kind}")(candidate, rule, variant) is not False:
                return

    def _indicator_progress(self, day: date, rule: str, variant: str) -> None:
        d, rng = self.d, self.rng
        pool = [x for x in d.depts if d.reported(x.code, day.year)]
        if self.injection and self.injection[0] == day:
            pool = [x for x in pool if x.code != self.injection[1]] or pool
        dept = self._pick_dept(day, "indicator_progress", pool)
        a = rng.choice(d.reported(dept.code, day.year))
        before = day - timedelta(days=1)
        row = {
            "dept_code": dept.code,
            "indicator_code": a.code,
            "as_of_date": before,
            "cumulative_value": cumulative_value(a, before) if before.year == day.year else 0,
        }
        if rule == "missing_value":
            row["cumulative_value"] = None
        elif rule == "format" and variant == "date":
            row["as_of_date"] = f"{day.year}-13-45"
        elif rule == "format":
            row["cumulative_value"] = "1,200"
        elif rule == "out_of_range":
            row["cumulative_value"] = -5
        elif rule == "future_date":
            row["as_of_date"] = day + timedelta(days=3)
            row["cumulative_value"] = cumulative_value(a, day)
        elif rule == "sender_mismatch":
            other = rng.choice([x for x in pool if x.code != dept.code])
            b = rng.choice(d.reported(other.code, day.year))
            row.update(
                dept_code=other.code,
                indicator_code=b.code,
                cumulative_value=cumulative_value(b, before) if before.year == day.year else 0,
            )
        elif rule == "unknown_indicator":
            row.update(indicator_code=lib.UNKNOWN_INDICATOR, cumulative_value=10)
        elif rule == "not_assigned":
            assigned = d.assigned(dept.code, day.year)
            row.update(
                indicator_code=rng.choice([i.code for i in lib.LIBRARY if i.reported and i.code not in assigned]),
                cumulative_value=10,
            )
        self._add(day, "indicator_progress", dept.code, rule, [row])

    def _project_progress(self, day: date, rule: str, variant: str) -> None:
        d = self.d
        pool = [x for x in d.depts if d.projects_by_dept.get((x.code, day.year))]
        dept = self._pick_dept(day, "project_progress", pool)
        before = day - timedelta(days=1)
        if rule == "unknown_project":
            row = {
                "project_id": d.unused("P"),
                "as_of_date": before,
                "cumulative_pct": 50.0,
                "cumulative_investment": 1000.0,
            }
        else:  # out_of_range: 120%
            p = self.rng.choice(d.projects_by_dept[(dept.code, day.year)])
            row = {
                "project_id": p.id,
                "as_of_date": before,
                "cumulative_pct": 120,
                "cumulative_investment": project_state(p, before)[1] if before.year == day.year else 0,
            }
        self._add(day, "project_progress", dept.code, rule, [row])

    def _bonus_penalty(self, day: date, rule: str, variant: str) -> None:
        d, rng = self.d, self.rng
        self.force_bonus.add(day)
        dept = rng.choice([x for x in d.depts if d.members_by_dept[x.code] and d.reported(x.code, day.year)])
        row = {
            "event_id": self._event_id("BP", day),
            "dept_code": dept.code,
            "cadre_id": None,
            "indicator_code": None,
            "occurred_on": day,
            "points": -1,
            "reason": "专项检查发现问题",
            "document_no": None,
            "withdrawn": None,
        }
        rows = [row]
        if rule == "duplicate_key":
            rows.append(dict(row, points=-2, reason="专项检查发现问题(重复报送)"))
        elif rule == "unknown_dept":
            row["dept_code"] = d.unused("D")
        elif rule == "unknown_cadre":
            row["cadre_id"] = d.unused("C")
        elif rule == "not_deduction":
            row["indicator_code"] = rng.choice(d.reported(dept.code, day.year)).code
        elif rule == "head_event":
            row["cadre_id"] = dept.head
        elif rule == "dept_mismatch":
            other = rng.choice([x for x in d.depts if x.code != dept.code and d.members_by_dept[x.code]])
            row["cadre_id"] = rng.choice(d.members_by_dept[other.code])
        elif rule == "out_of_range":
            row["points"] = 0
        elif rule == "format":
            row["dept_code"] = "DX7"
        elif rule == "future_date":
            row["occurred_on"] = day + timedelta(days=5)
        self._add(day, "bonus_penalty", None, rule, rows)

    def _supervision(self, day: date, rule: str, variant: str) -> None:
        self.force_supervision.add(day)
        dept = self.rng.choice(self.d.depts)
        row = {
            "event_id": self._event_id("SV", day),
            "event_type": "warning",
            "dept_code": dept.code,
            "cadre_id": None,
            "occurred_on": day,
            "resolved_on": None,
            "subject": None,
            "document_no": None,
            "withdrawn": None,
        }
        if rule == "unknown_value":
            row["event_type"] = "criticism"
        else:  # missing_value
            row["occurred_on"] = None
        self._add(day, "supervision", None, rule, [row])

    def _demolition_ledger(self, day: date, rule: str, variant: str) -> bool:
        """Plant one ledger row (True), or False when the day has nothing delivered to plant against."""
        d, rng, book = self.d, self.rng, self.book
        if rule == "unknown_group":
            g0 = d.groups[0]
            sender = d.unused("G")
            row = {
                "household_id": d.unused("H"),
                "zone_id": g0.zone_id,
                "group_id": sender,
                "status": "surveyed",
                "status_date": day,
            }
            self._add(day, "demolition_ledger", sender, rule, [row])
            self.formats[(day, "demolition_ledger", sender)] = UTF8
            return True
        groups = self._busy_groups(day)
        min_rank = 1 if rule == "status_back" else 0
        for _ in range(100):
            g = rng.choice(groups)
            source = rng.choice([x for x in d.groups if x.id != g.id]) if rule == "group_change" else g
            quiet = book.quiet_households(source, day, min_rank)
            if quiet and (day, "demolition_ledger", g.id) not in self._used_senders:
                break
        else:
            return False  # nothing delivered yet to plant against: try a later day
        household, status = rng.choice(quiet)
        row = {"household_id": household, "zone_id": g.zone_id, "group_id": g.id, "status_date": day}
        row["status"] = {"unknown_value": "relocated", "status_back": "surveyed", "group_change": status}[rule]
        self._add(day, "demolition_ledger", g.id, rule, [row])
        return True

    def _busy_groups(self, day: date) -> list:
        """Groups that send a ledger that day anyway (a sample of them at large scales)."""
        groups = self.d.groups if len(self.d.groups) <= 300 else self.rng.sample(self.d.groups, 300)
        busy = [g for g in groups if self.book.delivered(g, day, day == self.dates[0])]
        return busy or groups

    def _evaluations(self, day: date, rule: str, variant: str) -> None:
        quarter = quarter_label(day)
        depts = self.d.depts
        base = {"evaluator_group": "public", "target_type": "dept", "quarter": quarter, "score": 80.0}
        if rule == "duplicate_key":
            rows = [
                dict(base, evaluator_id="PB99991", target_id=depts[0].code),
                dict(base, evaluator_id="PB99991", target_id=depts[0].code, score=85.0),
            ]
        elif rule == "out_of_range":
            rows = [dict(base, evaluator_id="PB99992", target_id=depts[1].code, score=101)]
        else:
            rows = [dict(base, evaluator_group="media", evaluator_id="PB99993", target_id=depts[2].code)]
        self._add(day, "evaluations", None, rule, rows)

    def _commendations(self, day: date, rule: str, variant: str) -> None:
        row = {
            "cadre_id": self.d.unused("C"),
            "quarter": quarter_label(day),
            "basis": "工作表现突出",
            "document_no": None,
        }
        self._add(day, "commendations", None, rule, [row])

    # -- used by the day writer --------------------------------------------------------

    def plants_for(self, day: date, kind: str, sender: str | None) -> list[dict]:
        return self.plants.get((day, kind, sender), [])

    def senders(self, day: date, kind: str) -> set[str | None]:
        return {s for (d_, k, s) in self.plants if d_ == day and k == kind}

    def extra_files(self, day: date) -> list[tuple[str, str | None, FileFormat]]:
        """Plant-only files whose sender sends nothing normally (the unknown group)."""
        return [(k, s, fmt) for (d_, k, s), fmt in self.formats.items() if d_ == day]

    def position_rng(self, day: date, kind: str, sender: str | None) -> random.Random:
        return random.Random(f"{self.d.seed}:position:{day}:{kind}:{sender}")

    def record(self, day: date, file: str, row_number: int, rule: str) -> None:
        self.manifest.append((day, file, row_number, rule))

    def write_bad_files(self, folder: Path, day: date, written: set[tuple[str, str | None]]) -> None:
        """Whole unusable files, on keys nobody else used that day (no clash with a real delivery)."""
        contract = load_contract()
        # Keys with no delivery that day: the office sends an empty export, a quiet
        # work group a ledger with only its header.
        office = [(k, None) for k in ("supervision", "bonus_penalty", "commendations", "evaluations")]
        groups = [("demolition_ledger", g.id) for g in self.d.groups]
        depts = [("project_progress", x.code) for x in self.d.depts]
        for reason in self.bad_file_days.get(day, []):
            if reason in ("header_only", "empty"):
                order = office + depts + groups if reason == "empty" else groups + depts + office
                kind, sender = next(key for key in order if key not in written)
                name = f"{kind}__{sender}.csv" if sender else f"{kind}.csv"
                if reason == "empty":
                    (folder / name).parent.mkdir(parents=True, exist_ok=True)
                    (folder / name).write_bytes(b"")
                else:
                    TableWriter(folder / name, contract.kinds[kind], UTF8, contract).close()
                written.add((kind, sender))
            else:
                sender = self.d.depts[2].code
                name = f"budget_report__{sender}.csv"
                with open(folder / name, "w", encoding="utf-8", newline="") as fh:
                    w = csv.writer(fh)
                    w.writerow(["dept_code", "budget_item", "amount"])
                    for item, amount in (("办公经费", "120.5"), ("项目经费", "860"), ("培训经费", "35.2")):
                        w.writerow([sender, item, amount])
            self.bad_files.append((day, name, reason))

    def write_manifests(self, landing: Path) -> None:
        out = landing / "_planted"
        out.mkdir(parents=True, exist_ok=True)
        with open(out / "bad_rows.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["business_date", "file", "row_number", "rule"])
            for day, file, row, rule in sorted(self.manifest):
                w.writerow([day.isoformat(), file, row, rule])
        with open(out / "bad_files.csv", "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(["business_date", "file", "reason"])
            for day, file, reason in sorted(self.bad_files):
                w.writerow([day.isoformat(), file, reason])
