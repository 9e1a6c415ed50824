"""Rows of the reference kinds (full snapshots), as generators of dicts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from . import demolition
from . import library as lib
from .district import Cadre, District

Row = dict


def departments(d: District) -> Iterator[Row]:
    for x in d.depts:
        yield {"dept_code": x.code, "dept_name": x.name, "dept_class": x.cls, "head_cadre_id": x.head}


def cadres(roster: list[Cadre]) -> Iterator[Row]:
    for c in roster:
        yield {
            "cadre_id": c.id,
            "name": c.name,
            "dept_code": c.dept,
            "role": c.role,
            "quarterly_base_pay": c.pay,
            "active": c.active,
        }


def indicators(d: District) -> Iterator[Row]:
    for i in lib.LIBRARY:
        yield {
            "indicator_code": i.code,
            "name": i.name,
            "category": i.category,
            "level1": i.level1,
            "level2": i.level2,
            "scoring": i.scoring,
            "source": i.source,
            "unit": i.unit,
        }


def assignments(d: District, tamper: tuple[str, int] | None = None) -> Iterator[tuple[Row, bool]]:
    """(row, tampered). `tamper` = (dept, year) whose evaluation weight is cut by one,
    so that department-year sums to 99 (the weights_sum plant)."""
    for year in d.years:
        for x in d.depts:
            hit = tamper == (x.code, year)
            for a in d.assignments[(x.code, year)]:
                weight = a.weight - 1 if hit and a.code == lib.EVALUATION.code else a.weight
                row = {"year": year, "dept_code": a.dept, "indicator_code": a.code, "weight": weight}
                if a.targets:
                    row.update(zip(("q1_target", "q2_target", "q3_target", "q4_target"), a.targets, strict=False))
                yield row, hit


def projects(d: District) -> Iterator[Row]:
    for p in d.projects:
        yield {
            "project_id": p.id,
            "name": p.name,
            "year": p.year,
            "lead_dept_code": p.dept,
            "lead_cadre_id": p.cadre,
            "planned_investment": p.investment,
        }


def milestones(d: District) -> Iterator[Row]:
    for p in d.projects:
        for m, pct in enumerate(p.plan, start=1):
            yield {"project_id": p.id, "month": f"{p.year}-{m:02d}", "planned_cumulative_pct": pct}


def groups(d: District) -> Iterator[Row]:
    for g in d.groups:
        yield {
            "group_id": g.id,
            "zone_id": g.zone_id,
            "zone_name": g.zone_name,
            "leader_cadre_id": g.leader,
            "dept_code": g.dept,
        }


def members(d: District) -> Iterator[Row]:
    for g in d.groups:
        for c in g.members:
            yield {"group_id": g.id, "cadre_id": c}


def targets(d: District) -> Iterator[Row]:
    for g in d.groups:
        for month, signed, cleared in demolition.targets(d, g):
            yield {"group_id": g.id, "month": month, "target_signed": signed, "target_cleared": cleared}


def snapshot(d: District, day: date) -> dict[str, Iterator[Row]]:
    """Every reference kind as of the first day, in a stable order."""
    return {
        "departments": departments(d),
        "cadres": cadres(d.cadres),
        "indicators": indicators(d),
        "indicator_assignments": (row for row, _ in assignments(d)),
        "projects": projects(d),
        "project_milestones": milestones(d),
        "demolition_groups": groups(d),
        "demolition_group_members": members(d),
        "demolition_targets": targets(d),
    }
