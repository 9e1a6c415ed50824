"""Sections 1 to 3 of the assessment rulebook (/work/shared/spec/assessment-rules.md), computed in plain Python.

Written from the rulebook, not from the dbt models, so that the two can check each other. It reads only the
validated rows (``ingest.valid_<kind>``), the delivery log (to know which snapshots exist and which parts of a
snapshot were set aside) and the rule parameters seed CSV, and computes for one quarter:

- the department score, rank within class and grade (quota, then veto) — sections 1 and 2;
- each assessed cadre's individual score, grade and grade reason — section 3.

Arithmetic is exact: inputs are ``Decimal``, quotients and means are carried as ``Fraction`` (never rounded
on the way), and values are rounded to 2 decimals half away from zero (``ROUND_HALF_UP``) exactly at the points
the rulebook names — each indicator's points, E, score(d, q) and individual(c, q) — and nowhere else.

"As of day t": the master data is the reference snapshot in force on t (the latest folder on or before t, with
a set-aside part of a snapshot falling back to that part's previous rows), and for each key of a daily kind the
latest delivery wins; dated rows count when their own date (as_of_date, occurred_on, status_date) is on or
before t, whenever they were delivered (late data changes the quarter it is dated in).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from math import ceil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PARAMETERS_CSV = REPO / "dbt_project" / "seeds" / "rule_parameters.csv"

REFERENCE_KINDS = (
    "departments",
    "cadres",
    "indicators",
    "indicator_assignments",
    "projects",
    "project_milestones",
    "demolition_groups",
    "demolition_targets",
)
DAILY_KINDS = (
    "indicator_progress",
    "project_progress",
    "bonus_penalty",
    "supervision",
    "evaluations",
    "commendations",
    "demolition_ledger",
)

# Reference kinds whose snapshot can be set aside in part (data contract): the rule that sets a part aside,
# and the columns naming the part. That part's previous valid rows then stay in force.
PARTIAL_SNAPSHOTS = {
    "indicator_assignments": ("weights_sum", ("dept_code", "year")),
    "cadres": ("head_conflict", ("dept_code",)),
}

LEDGER_STATUS_ORDER = {"surveyed": 0, "signed": 1, "cleared": 2, "demolished": 3}
DEPT_GRADES = ("优秀", "良好", "一般", "较差")
HEAD_GRADE = {"优秀": "A", "良好": "B", "一般": "C", "较差": "D"}
QUOTA_PARAM = {"优秀": "quota_excellent", "良好": "quota_good", "一般": "quota_fair", "较差": "quota_poor"}
EVAL_WEIGHT_PARAM = {"leaders": "eval_weight_leaders", "peers": "eval_weight_peers", "public": "eval_weight_public"}

Row = dict


# --------------------------------------------------------------------------------------------------------------
# Exact arithmetic


def exact(value) -> Fraction:
    """A Decimal/int as an exact fraction (Fraction(Decimal) is exact)."""
    return value if isinstance(value, Fraction) else Fraction(value)


def round2(value) -> Decimal:
    """Round to 2 decimals, half away from zero, from an exact value (Fraction or Decimal)."""
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    cents = abs(value) * 100
    whole, rest = divmod(cents.numerator, cents.denominator)
    if 2 * rest >= cents.denominator:  # the half goes away from zero
        whole += 1
    return Decimal(whole if value >= 0 else -whole).scaleb(-2)


# --------------------------------------------------------------------------------------------------------------
# Periods and parameters


@dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        return cls(int(text[:4]), int(text[5]))

    def __str__(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last_day(self) -> date:
        following = date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)
        return following - timedelta(days=1)

    @property
    def last_month(self) -> str:
        return f"{self.year}-{3 * self.number:02d}"

    def contains(self, day: date | None) -> bool:
        return day is not None and self.first_day <= day <= self.last_day


def load_parameters(day: date, path: Path = PARAMETERS_CSV) -> dict[str, Fraction]:
    """The rule parameters in force on `day`: for each name, the row with the latest effective_from ≤ day."""
    chosen: dict[str, tuple[date, Fraction]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            effective = date.fromisoformat(row["effective_from"].strip())
            if effective > day:
                continue
            name = row["param"].strip()
            if name not in chosen or effective >= chosen[name][0]:
                chosen[name] = (effective, Fraction(Decimal(row["value"].strip())))
    return {name: value for name, (_, value) in chosen.items()}


# --------------------------------------------------------------------------------------------------------------
# Inputs: validated rows as loaded, and what the delivery log says about snapshots


@dataclass
class Inputs:
    rows: dict[str, list[Row]]  # kind → valid rows in delivery order (business date, load, row)
    snapshot_dates: dict[str, list[date]]  # reference kind → folders holding a loaded snapshot, ascending
    set_aside: dict[str, set[tuple[date, tuple]]] = field(default_factory=dict)  # kind → {(folder, part)}


def _part_key(kind: str, values: dict) -> tuple:
    """The part (e.g. department-year) of a reference row, normalised like the loader normalises codes."""
    _, columns = PARTIAL_SNAPSHOTS[kind]
    key = []
    for column in columns:
        value = values.get(column)
        if column == "year":
            key.append(int(Decimal(str(value).strip())) if value not in (None, "") else None)
        else:
            key.append(str(value).strip().upper() if value is not None else None)
    return tuple(key)


def load_inputs(conn) -> Inputs:
    """Read everything the rulebook needs from the warehouse (read only)."""
    from psycopg.rows import dict_row

    rows: dict[str, list[Row]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for kind in REFERENCE_KINDS + DAILY_KINDS:
            cur.execute(f"select * from ingest.valid_{kind} order by _business_date, _load_id, _row_number")
            rows[kind] = cur.fetchall()
        # A snapshot exists from its folder's date even if every row of it was quarantined.
        cur.execute(
            "select kind, business_date from quarantine.file_loads where status = 'loaded' "
            "group by kind, business_date order by business_date"
        )
        snapshot_dates: dict[str, list[date]] = defaultdict(list)
        for r in cur.fetchall():
            snapshot_dates[r["kind"]].append(r["business_date"])
        set_aside: dict[str, set] = defaultdict(set)
        for kind, (rule, _) in PARTIAL_SNAPSHOTS.items():
            cur.execute(
                "select q.business_date, q.raw from quarantine.rejected_rows q "
                "join quarantine.file_loads f on f.load_id = q.load_id and f.status = 'loaded' "
                "where q.kind = %s and q.rule = %s",
                (kind, rule),
            )
            for r in cur.fetchall():
                set_aside[kind].add((r["business_date"], _part_key(kind, r["raw"])))
    return Inputs(rows=rows, snapshot_dates=dict(snapshot_dates), set_aside=dict(set_aside))


def latest_per_key(rows: Iterable[Row], key: Callable[[Row], tuple]) -> list[Row]:
    """For each key, the row delivered last (rows come in delivery order: a later delivery replaces)."""
    latest: dict[tuple, Row] = {}
    for row in rows:
        latest[key(row)] = row
    return list(latest.values())


def reference_in_force(inputs: Inputs, kind: str, day: date) -> list[Row]:
    """The snapshot of a reference kind in force on `day`: the latest folder on or before it.

    For kinds a snapshot of which can be set aside in part, a part set aside in that folder keeps its
    previous valid rows (walking back over folders where it was set aside again)."""
    dates = [d for d in inputs.snapshot_dates.get(kind, []) if d <= day]
    if not dates:
        return []
    by_folder: dict[date, list[Row]] = defaultdict(list)
    for row in inputs.rows[kind]:
        by_folder[row["_business_date"]].append(row)
    current = dates[-1]
    if kind not in PARTIAL_SNAPSHOTS:
        return list(by_folder[current])
    set_aside = inputs.set_aside.get(kind, set())
    parts_set_aside = {part for folder, part in set_aside if folder == current}
    in_force = [r for r in by_folder[current] if _part_key(kind, r) not in parts_set_aside]
    for part in parts_set_aside:
        for folder in reversed(dates[:-1]):
            earlier = [r for r in by_folder[folder] if _part_key(kind, r) == part]
            if earlier:
                in_force += earlier
                break
            if (folder, part) not in set_aside:
                break  # the part was simply absent from that snapshot: nothing earlier stays in force
    return in_force


# --------------------------------------------------------------------------------------------------------------
# Results


@dataclass
class DeptResult:
    dept_code: str
    dept_class: str
    score: Decimal | None
    rank_in_class: int | None = None
    grade: str | None = None
    grade_before_veto: str | None = None
    vetoed: bool = False
    flags: set[str] = field(default_factory=set)
    points: dict[str, Decimal] = field(default_factory=dict)  # indicator_code → points
    free_bonus: Decimal = Decimal("0.00")


@dataclass
class CadreResult:
    cadre_id: str
    dept_code: str
    role: str
    individual_score: Decimal | None
    grade: str | None
    grade_reason: str | None
    flags: set[str] = field(default_factory=set)


@dataclass
class QuarterResult:
    quarter: str
    departments: dict[str, DeptResult]
    cadres: dict[str, CadreResult]


# --------------------------------------------------------------------------------------------------------------
# The rulebook


class QuarterComputation:
    """Everything for one quarter, as of its last day."""

    def __init__(self, inputs: Inputs, quarter: str, parameters_csv: Path = PARAMETERS_CSV):
        self.q = Quarter.parse(quarter)
        self.t = self.q.last_day
        self.p = load_parameters(self.t, parameters_csv)
        t, year = self.t, self.q.year
        rows = inputs.rows

        # master data in force on the quarter's last day
        self.departments = {r["dept_code"]: r for r in reference_in_force(inputs, "departments", t)}
        self.indicators = {r["indicator_code"]: r for r in reference_in_force(inputs, "indicators", t)}
        self.assignments = [r for r in reference_in_force(inputs, "indicator_assignments", t) if r["year"] == year]
        self.roster = reference_in_force(inputs, "cadres", t)
        self.projects = [r for r in reference_in_force(inputs, "projects", t) if r["year"] == year]
        self.milestones = reference_in_force(inputs, "project_milestones", t)
        self.groups = reference_in_force(inputs, "demolition_groups", t)
        self.targets = reference_in_force(inputs, "demolition_targets", t)

        # daily kinds: latest delivery per key, dated rows on or before t
        self.progress = [
            r
            for r in latest_per_key(
                rows["indicator_progress"], lambda r: (r["dept_code"], r["indicator_code"], r["as_of_date"])
            )
            if r["as_of_date"] <= t
        ]
        self.project_reports = [
            r
            for r in latest_per_key(rows["project_progress"], lambda r: (r["project_id"], r["as_of_date"]))
            if r["as_of_date"] <= t
        ]
        self.ledger = [r for r in rows["demolition_ledger"] if r["status_date"] <= t]
        self.bonus_penalty = self._events_in_quarter(rows["bonus_penalty"])
        self.supervision = self._events_in_quarter(rows["supervision"])
        # target_id names a department or a cadre: a code, upper-cased before use like every code (data
        # contract), though the contract types the column as text and the valid view keeps it as sent
        self.evaluations = [
            r
            for r in latest_per_key(
                rows["evaluations"],
                lambda r: (
                    r["evaluator_group"],
                    r["evaluator_id"],
                    r["target_type"],
                    r["target_id"].upper(),
                    r["quarter"],
                ),
            )
            if r["quarter"] == str(self.q)
        ]
        self.evaluations_by_target: dict[tuple[str, str], list[Row]] = defaultdict(list)
        for r in self.evaluations:
            self.evaluations_by_target[(r["target_type"], r["target_id"].upper())].append(r)
        self.commended = {
            r["cadre_id"]
            for r in latest_per_key(rows["commendations"], lambda r: (r["cadre_id"], r["quarter"]))
            if r["quarter"] == str(self.q)
        }

    def _events_in_quarter(self, rows: list[Row]) -> list[Row]:
        """Events by event_id: the latest delivery replaces; withdrawn ones count nowhere."""
        return [
            r
            for r in latest_per_key(rows, lambda r: (r["event_id"],))
            if not r.get("withdrawn") and self.q.contains(r["occurred_on"])
        ]

    # -- section 1 ------------------------------------------------------------------------------------------

    def evaluation_mean(self, target_type: str, target_id: str) -> tuple[Decimal, bool]:
        """E: the weighted mean of the evaluator groups' mean scores, weights renormalised over the groups that
        scored, rounded. (E, no_evaluation)."""
        scores: dict[str, list[Fraction]] = defaultdict(list)
        for r in self.evaluations_by_target.get((target_type, target_id), []):
            scores[r["evaluator_group"]].append(exact(r["score"]))
        if not scores:
            return round2(self.p["eval_missing"]), True
        weighted = sum(self.p[EVAL_WEIGHT_PARAM[g]] * sum(s) / len(s) for g, s in scores.items())
        total_weight = sum(self.p[EVAL_WEIGHT_PARAM[g]] for g in scores)
        return round2(weighted / total_weight), False

    def submission_ratio(self, dept: str, assignment: Row) -> tuple[Fraction, set[str]]:
        code = assignment["indicator_code"]
        year_start = date(self.q.year, 1, 1)
        candidates = [
            r
            for r in self.progress
            if r["dept_code"] == dept and r["indicator_code"] == code and r["as_of_date"] >= year_start
        ]
        flags = set()
        if candidates:
            actual = exact(max(candidates, key=lambda r: r["as_of_date"])["cumulative_value"])
        else:
            actual, flags = Fraction(0), {"no_submission"}
        target = assignment[f"q{self.q.number}_target"]
        target = exact(target) if target is not None else Fraction(0)
        return (Fraction(1) if target == 0 else actual / target), flags

    def project_ratio(self, dept: str) -> tuple[Fraction, set[str]]:
        led = [p["project_id"] for p in self.projects if p["lead_dept_code"] == dept]
        if not led:
            return Fraction(1), {"no_projects"}
        ratios = []
        for project in led:
            plans = [m for m in self.milestones if m["project_id"] == project and m["month"] <= self.q.last_month]
            planned = exact(max(plans, key=lambda m: m["month"])["planned_cumulative_pct"]) if plans else Fraction(0)
            reports = [r for r in self.project_reports if r["project_id"] == project]
            actual = exact(max(reports, key=lambda r: r["as_of_date"])["cumulative_pct"]) if reports else Fraction(0)
            ratios.append(Fraction(1) if planned == 0 else min(actual / planned, Fraction(1)))
        return sum(ratios) / len(ratios), set()

    def demolition_ratio(self, dept: str, stage: str) -> tuple[Fraction, set[str]]:
        """Households of the department's groups at `stage` or beyond by t, against those groups' targets for
        the quarter's last month."""
        led = {g["group_id"] for g in self.groups if g["dept_code"] == dept}
        status: dict[str, int] = {}
        first_row: dict[str, Row] = {}
        for r in self.ledger:
            household = r["household_id"]
            status[household] = max(status.get(household, -1), LEDGER_STATUS_ORDER[r["status"]])
            if household not in first_row or r["status_date"] < first_row[household]["status_date"]:
                first_row[household] = r
        reached = sum(
            1 for h, s in status.items() if first_row[h]["group_id"] in led and s >= LEDGER_STATUS_ORDER[stage]
        )
        target_rows = [r for r in self.targets if r["group_id"] in led and r["month"] == self.q.last_month]
        target = sum(exact(r[f"target_{stage}"]) for r in target_rows)
        if not target_rows or target == 0:
            return Fraction(1), {f"no_demolition_target_{stage}"}
        return Fraction(reached) / target, set()

    def indicator_points(self, dept: str, assignment: Row) -> tuple[Decimal, set[str]]:
        indicator = self.indicators[assignment["indicator_code"]]
        weight = exact(assignment["weight"])
        scoring, source = indicator["scoring"], indicator["source"] or "submission"
        if scoring == "ratio":
            if source == "submission":
                ratio, flags = self.submission_ratio(dept, assignment)
            elif source == "project_progress":
                ratio, flags = self.project_ratio(dept)
            elif source in ("demolition_signed", "demolition_cleared"):
                ratio, flags = self.demolition_ratio(dept, source.removeprefix("demolition_"))
            else:
                raise ValueError(f"unknown source {source!r}")
            return round2(weight * min(ratio, self.p["ratio_cap"])), flags
        if scoring == "deduction":
            events = sum(
                (
                    exact(e["points"])
                    for e in self.bonus_penalty
                    if e["dept_code"] == dept and e["indicator_code"] == assignment["indicator_code"]
                ),
                Fraction(0),
            )
            return round2(min(max(weight + events, Fraction(0)), weight)), set()  # summed first, clamped once
        if scoring == "evaluation":
            e, missing = self.evaluation_mean("dept", dept)
            return round2(weight * exact(e) / 100), ({"no_evaluation"} if missing else set())
        raise ValueError(f"unknown scoring {scoring!r}")

    def department(self, dept: str) -> DeptResult:
        info = self.departments[dept]
        result = DeptResult(dept, info["dept_class"], None)
        assigned = [a for a in self.assignments if a["dept_code"] == dept]
        # a sanction on the department in the quarter, with or without a cadre
        result.vetoed = any(e["event_type"] == "sanction" and e["dept_code"] == dept for e in self.supervision)
        if not assigned:
            result.flags.add("no_assignments")
            return result
        for assignment in assigned:
            points, flags = self.indicator_points(dept, assignment)
            result.points[assignment["indicator_code"]] = points
            result.flags |= flags
        # free bonus/penalty: the department's events naming neither an indicator nor a cadre; uncapped
        result.free_bonus = sum(
            (
                e["points"]
                for e in self.bonus_penalty
                if e["dept_code"] == dept and not e["indicator_code"] and not e["cadre_id"]
            ),
            Decimal("0.00"),
        )
        result.score = round2(sum(result.points.values(), Decimal(0)) + result.free_bonus)
        return result

    # -- section 2 ------------------------------------------------------------------------------------------

    def department_grades(self) -> dict[str, DeptResult]:
        results = {d: self.department(d) for d in self.departments}
        by_class: dict[str, list[DeptResult]] = defaultdict(list)
        for r in results.values():
            if r.score is not None:
                by_class[r.dept_class].append(r)
        for members in by_class.values():
            members.sort(key=lambda r: (-r.score, r.dept_code))
            excellent_places = ceil(self.p["dept_excellent_quota"] * len(members))
            for rank, r in enumerate(members, start=1):
                r.rank_in_class = rank
                score = exact(r.score)
                if score >= self.p["dept_excellent_min"] and rank <= excellent_places:
                    grade = "优秀"
                elif score >= self.p["dept_good_min"]:
                    grade = "良好"
                elif score >= self.p["dept_fair_min"]:
                    grade = "一般"
                else:
                    grade = "较差"
                r.grade_before_veto = grade
                # the veto caps at 良好; the 优秀 place it frees is not passed on
                r.grade = "良好" if r.vetoed and grade == "优秀" else grade
        return results

    # -- section 3 ------------------------------------------------------------------------------------------

    def override(self, cadre: str) -> tuple[str, str] | None:
        """The first override that applies to a cadre (heads too): sanction, unresponsive, commendation."""
        naming = [e for e in self.supervision if e["cadre_id"] == cadre]
        if any(e["event_type"] == "sanction" for e in naming):
            return "D", "sanction"
        if sum(1 for e in naming if e["event_type"] in ("warning", "interview")) >= self.p["unresponsive_min"]:
            return "D", "unresponsive"
        if cadre in self.commended:
            return "A", "commendation"
        return None

    def individual(self, cadre: str, dept_score: Decimal) -> tuple[Decimal, set[str]]:
        e, missing = self.evaluation_mean("cadre", cadre)
        # the cadre's own events: those naming the cadre and no indicator (they follow the cadre)
        events = sum(
            (exact(ev["points"]) for ev in self.bonus_penalty if ev["cadre_id"] == cadre and not ev["indicator_code"]),
            Fraction(0),
        )
        value = self.p["share_dept"] * min(exact(dept_score), Fraction(100)) + self.p["share_eval"] * exact(e) + events
        return round2(value), ({"no_evaluation"} if missing else set())

    def compute(self) -> QuarterResult:
        departments = self.department_grades()
        assessed = [c for c in self.roster if c["active"]]
        cadres: dict[str, CadreResult] = {}
        members_by_dept: dict[str, list[CadreResult]] = defaultdict(list)
        for c in assessed:
            dept = departments.get(c["dept_code"])
            result = CadreResult(c["cadre_id"], c["dept_code"], c["role"], None, None, None)
            if c["role"] != "head" and dept is not None and dept.score is not None:
                result.individual_score, result.flags = self.individual(c["cadre_id"], dept.score)
            if (override := self.override(c["cadre_id"])) is not None:
                result.grade, result.grade_reason = override
            elif c["role"] == "head" and dept is not None and dept.grade is not None:
                result.grade, result.grade_reason = HEAD_GRADE[dept.grade], "dept_grade"  # heads follow the dept
            if c["role"] != "head":
                members_by_dept[c["dept_code"]].append(result)
            cadres[result.cadre_id] = result

        for dept_code, members in members_by_dept.items():
            dept = departments.get(dept_code)
            if dept is None or dept.grade is None:
                continue  # no department score: no individual score to grade by
            # N counts every active deputy and staff member, overridden ones included
            places = ceil(self.p[QUOTA_PARAM[dept.grade]] * len(members))
            open_members = sorted(
                (m for m in members if m.grade is None), key=lambda m: (-m.individual_score, m.cadre_id)
            )
            for m in open_members:
                score = exact(m.individual_score)
                if places > 0 and score >= self.p["a_min"]:
                    m.grade, m.grade_reason = "A", "quota"
                    places -= 1
                elif score >= self.p["b_min"]:
                    m.grade, m.grade_reason = "B", "threshold"
                elif score >= self.p["c_min"]:
                    m.grade, m.grade_reason = "C", "threshold"
                else:
                    m.grade, m.grade_reason = "D", "threshold"
        return QuarterResult(str(self.q), departments, cadres)


def compute_quarter(inputs: Inputs, quarter: str, parameters_csv: Path = PARAMETERS_CSV) -> QuarterResult:
    return QuarterComputation(inputs, quarter, parameters_csv).compute()
