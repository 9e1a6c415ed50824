"""Master data of the sample district: departments, cadres, indicator
assignments, key projects, demolition zones and work groups.

Everything is drawn from one `random.Random(seed)` in a fixed order, so a
seed always gives the same district. Daily behaviour that must stay stable
from day to day (how fast a department reports, how far behind a project is)
is drawn here too and stored on the objects, so the daily writers are pure
functions of (master data, date).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date
from itertools import accumulate

from . import library as lib
from . import names
from .scale import Scale, code, unused_code


@dataclass(slots=True)
class Dept:
    code: str
    name: str
    cls: str  # economic / comprehensive / agri
    index: int
    base_name: str
    leads_projects: bool
    leads_groups: bool
    head: str = ""
    # Reporting pace vs the plan: < 0.6 ends red, < 0.8 yellow, > 1 closes early.
    pace: float = 1.0
    quality: float = 0.5  # 0..1, drives subjective evaluation scores
    skips_days: bool = False  # occasionally sends nothing


@dataclass(slots=True)
class Cadre:
    id: str
    name: str
    dept: str
    role: str  # head / deputy / staff
    pay: float
    active: bool = True


@dataclass(slots=True)
class Assignment:
    year: int
    dept: str
    code: str
    weight: int
    targets: tuple[float, float, float, float] | None = None  # cumulative q1..q4
    paces: tuple[float, float, float, float] = (1.0, 1.0, 1.0, 1.0)
    curve: float = 1.0  # > 1: slow start inside each quarter


@dataclass(slots=True)
class Project:
    id: str
    name: str
    year: int
    dept: str
    cadre: str
    investment: float  # 万元
    plan: tuple[float, ...]  # planned cumulative % at the end of months 1..12
    pace: float = 1.0
    invest_factor: float = 1.0


@dataclass(slots=True)
class Group:
    id: str
    zone_id: str
    zone_name: str
    leader: str
    dept: str
    index: int
    members: tuple[str, ...] = ()
    n_households: int = 0
    first_household: int = 1
    pace: float = 1.0


@dataclass(slots=True)
class RosterChange:
    """The mid-range cadres snapshot: one transfer, one cadre leaving."""

    transferred: str
    from_dept: str
    to_dept: str
    deactivated: str


@dataclass
class District:
    seed: int
    scale: Scale
    years: tuple[int, ...]
    depts: list[Dept] = field(default_factory=list)
    cadres: list[Cadre] = field(default_factory=list)
    assignments: dict[tuple[str, int], list[Assignment]] = field(default_factory=dict)
    projects: list[Project] = field(default_factory=list)
    groups: list[Group] = field(default_factory=list)
    roster_change: RosterChange | None = None
    group_members: set[str] = field(default_factory=set)  # cadres in some work group
    # Cadres the event generators must not name: inactive ones and the two the
    # roster change touches (their department or status depends on the date).
    protected: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.dept_by_code: dict[str, Dept] = {}
        self.cadre_by_id: dict[str, Cadre] = {}
        self.members_by_dept: dict[str, list[str]] = {}  # active non-heads, for events
        self.projects_by_dept: dict[tuple[str, int], list[Project]] = {}
        self.groups_by_dept: dict[str, list[Group]] = {}

    # -- lookups -----------------------------------------------------------------

    def reported(self, dept: str, year: int) -> list[Assignment]:
        """Assignments the department sends indicator_progress rows for."""
        return [a for a in self.assignments.get((dept, year), ()) if lib.BY_CODE[a.code].reported]

    def assigned(self, dept: str, year: int) -> set[str]:
        return {a.code for a in self.assignments.get((dept, year), ())}

    def unused(self, prefix: str) -> str:
        s = self.scale
        width, used = {
            "D": (s.dept_width, s.departments),
            "C": (s.cadre_width, s.cadres),
            "P": (s.project_width, s.projects_per_year * len(self.years)),
            "G": (s.group_width, s.groups),
            "H": (s.household_width, self.households_total),
        }[prefix]
        return unused_code(prefix, width, used)

    @property
    def households_total(self) -> int:
        return sum(g.n_households for g in self.groups)

    def roster(self, on: date, change_date: date | None) -> list[Cadre]:
        """The cadres snapshot in force on `on` (full list, inactive included)."""
        rc = self.roster_change
        if rc is None or change_date is None or on < change_date:
            return self.cadres
        out = []
        for c in self.cadres:
            if c.id == rc.transferred:
                c = Cadre(c.id, c.name, rc.to_dept, c.role, c.pay, c.active)
            elif c.id == rc.deactivated:
                c = Cadre(c.id, c.name, c.dept, c.role, c.pay, False)
            out.append(c)
        return out


# -- building -----------------------------------------------------------------------


def build_district(seed: int, scale: Scale, years: tuple[int, ...]) -> District:
    rng = random.Random(seed)
    d = District(seed=seed, scale=scale, years=years)
    _departments(rng, d)
    _cadres(rng, d)
    for year in years:
        for dept in d.depts:
            d.assignments[(dept.code, year)] = _assignments(rng, d, dept, year)
    for k, year in enumerate(years):
        _projects(rng, d, year, k)
    _groups(rng, d)
    _roster_change(rng, d)
    return d


def _departments(rng: random.Random, d: District) -> None:
    n = d.scale.departments
    for i in range(n):
        base, cls, projects, groups = names.BASE_DEPARTMENTS[i % len(names.BASE_DEPARTMENTS)]
        cycle = i // len(names.BASE_DEPARTMENTS)
        if d.scale.name == "district":
            name = base
        else:
            county = names.COUNTIES[cycle % len(names.COUNTIES)]
            rep = cycle // len(names.COUNTIES)
            name = f"{county}{base}" + (f"（{rep + 1}）" if rep else "")
        dept = Dept(code("D", i + 1, d.scale.dept_width), name, cls, i, base, projects, groups)
        # A few laggards (red), some slow (yellow), some finishing early.
        r = rng.random()
        if r < 0.10:
            dept.pace = rng.uniform(0.40, 0.58)
        elif r < 0.25:
            dept.pace = rng.uniform(0.62, 0.78)
        elif r < 0.40:
            dept.pace = rng.uniform(1.12, 1.35)
        else:
            dept.pace = rng.uniform(0.85, 1.08)
        dept.quality = min(1.0, max(0.0, (dept.pace - 0.4) / 0.9 + rng.uniform(-0.15, 0.15)))
        d.depts.append(dept)
        d.dept_by_code[dept.code] = dept
    for i in rng.sample(range(n), max(2, n // 20)):
        d.depts[i].skips_days = True


def _person(rng: random.Random) -> str:
    # Frequent surnames first: weight falls off with the list position.
    surname = rng.choices(names.SURNAMES, cum_weights=_SURNAME_CUM)[0]
    given = rng.choice(names.GIVEN_CHARS)
    if rng.random() < 0.7:
        given += rng.choice(names.GIVEN_CHARS)
    return surname + given


_SURNAME_CUM = list(accumulate(1 / (1 + i / 8) for i in range(len(names.SURNAMES))))


def _cadres(rng: random.Random, d: District) -> None:
    n_depts, total = d.scale.departments, d.scale.cadres
    shares = [rng.uniform(0.5, 1.5) for _ in range(n_depts)]
    s = sum(shares)
    sizes = [max(8, int(total * x / s)) for x in shares]
    sizes[-1] = max(8, sizes[-1] + total - sum(sizes))
    article = {base: person for person, base in names.ARTICLE_CADRES}
    number = 0
    for dept, size in zip(d.depts, sizes, strict=False):
        deputies = rng.randint(3, 5)
        members = []
        for k in range(size):
            number += 1
            role = "head" if k == 0 else "deputy" if k <= deputies else "staff"
            if role == "head":
                pay = rng.uniform(12000, 15000)
            elif role == "deputy":
                pay = rng.uniform(9000, 12500)
            else:
                pay = rng.uniform(6000, 10000)
            name = _person(rng)
            if role == "staff" and k == deputies + 1 and dept.index < len(names.BASE_DEPARTMENTS):
                name = article.get(dept.base_name, name)  # 赵阳彩 / 鄢中刚, the first staff member
            c = Cadre(code("C", number, d.scale.cadre_width), name, dept.code, role, round(pay, 2))
            # A few cadres already left (active = false) in the first snapshot.
            if role == "staff" and k > deputies + 2 and rng.random() < 0.006:
                c.active = False
                d.protected.add(c.id)
            d.cadres.append(c)
            d.cadre_by_id[c.id] = c
            if role == "head":
                dept.head = c.id
            elif c.active:
                members.append(c.id)
        d.members_by_dept[dept.code] = members


def split_points(rng: random.Random, total: int, k: int, minimum: int = 1) -> list[int]:
    """k integers >= minimum summing exactly to total (weights must add to 100)."""
    if k * minimum > total:
        raise ValueError(f"cannot split {total} into {k} parts of at least {minimum}")
    raw = [rng.uniform(0.6, 1.4) for _ in range(k)]
    spare = total - k * minimum
    parts = [minimum + int(spare * r / sum(raw)) for r in raw]
    for i in range(total - sum(parts)):
        parts[i % k] += 1
    return parts


def _light_common(rng: random.Random, k: int) -> list[str]:
    """Common items of a non-agri department: at most two party-building (基层党建) ones,
    so the agri departments' special party-building weighting stands out."""
    party = rng.sample(lib.PARTY_BUILDING, rng.randint(0, 2))
    return party + rng.sample(lib.OTHER_COMMON, k - len(party))


def _assignments(rng: random.Random, d: District, dept: Dept, year: int) -> list[Assignment]:
    pool_ind = lib.INDIVIDUAL_POOL[dept.cls]
    extra_key = ([lib.PROJECT_KEY] if dept.leads_projects else []) + (
        [lib.SIGNED_KEY, lib.CLEARED_KEY] if dept.leads_groups else []
    )
    party: list[str] = []
    party_total = 0
    if dept.cls == "economic":
        # 项目建设、招商引资等重点指标权重占比超过70%.
        key = ["K1-01"] + rng.sample(lib.ECONOMIC_KEY_POOL, rng.randint(2, 3)) + extra_key
        key_total, ind_total, eval_w = rng.randint(70, 76), rng.randint(6, 10), rng.randint(5, 8)
        ind = rng.sample(pool_ind, rng.randint(1, 2))
        common = _light_common(rng, rng.randint(3, 5))
    elif dept.cls == "comprehensive":
        key = rng.sample(lib.COMPREHENSIVE_KEY_POOL, rng.randint(1, 2)) + extra_key
        key_total, ind_total, eval_w = rng.randint(25, 35), rng.randint(35, 45), rng.randint(10, 12)
        ind = rng.sample(pool_ind, rng.randint(2, 4))
        common = _light_common(rng, rng.randint(4, 6))
    else:
        # 涉农部门: a special party-building category with a much heavier weight.
        key = [rng.choice(lib.AGRI_KEY_POOL)] + extra_key
        key_total, ind_total, eval_w = rng.randint(20, 28), rng.randint(10, 15), rng.randint(8, 10)
        ind = rng.sample(pool_ind, rng.randint(1, 2))
        party = rng.sample(lib.PARTY_BUILDING, rng.randint(5, 6))
        party_total = rng.randint(35, 40)
        common = rng.sample(lib.OTHER_COMMON, rng.randint(1, 2))
    common_codes = list(common)
    common_total = 100 - key_total - ind_total - eval_w - party_total
    weights = (
        list(zip(key, split_points(rng, key_total, len(key), 3), strict=False))
        + list(zip(party, split_points(rng, party_total, len(party), 4) if party else [], strict=False))
        + list(zip(ind, split_points(rng, ind_total, len(ind)), strict=False))
        + list(zip(common_codes, split_points(rng, common_total, len(common_codes)), strict=False))
        + [(lib.EVALUATION.code, eval_w)]
    )
    growth = 1.1 ** (year - d.years[0])
    out = []
    for code_, weight in weights:
        ind_ = lib.BY_CODE[code_]
        a = Assignment(year, dept.code, code_, weight)
        if ind_.reported:
            annual = ind_.base * growth * rng.uniform(0.5, 1.5)
            fractions = (rng.uniform(0.15, 0.25), rng.uniform(0.40, 0.50), rng.uniform(0.65, 0.75), 1.0)
            a.targets = tuple(max(1, round(annual * f)) for f in fractions)  # type: ignore[assignment]
            a.paces = tuple(dept.pace * rng.uniform(0.9, 1.1) for _ in range(4))  # type: ignore[assignment]
            a.curve = rng.uniform(0.9, 1.3)
        out.append(a)
    return out


def _plan(rng: random.Random) -> tuple[float, ...]:
    """Monthly planned cumulative %: S-curve from a start month, 100 in December."""
    start = rng.randint(1, 4)
    plan, last = [], 0.0
    for m in range(1, 13):
        if m < start:
            pct = 0.0
        elif m == 12:
            pct = 100.0
        else:
            f = (m - start + 1) / (13 - start)
            pct = round(100 * (3 * f * f - 2 * f * f * f), 1)
        last = max(last, pct)
        plan.append(last)
    return tuple(plan)


def _projects(rng: random.Random, d: District, year: int, k: int) -> None:
    s = d.scale
    leads = [x for x in d.depts if x.leads_projects]
    {base: title for title, base in names.NAMED_PROJECTS}
    used_names: set[str] = set()
    by_base = {x.base_name: x for x in d.depts[: len(names.BASE_DEPARTMENTS)]}
    for j in range(s.projects_per_year):
        number = k * s.projects_per_year + j + 1
        if j < len(names.NAMED_PROJECTS):
            title, base = names.NAMED_PROJECTS[j]
            dept = by_base[base]
        else:
            # Every leading department gets one project first, then at random.
            dept = leads[j % len(leads)] if j < len(leads) + len(names.NAMED_PROJECTS) else rng.choice(leads)
            title = (
                rng.choice(names.PROJECT_PLACES) + rng.choice(names.PROJECT_THINGS) + rng.choice(names.PROJECT_PHASES)
            )
            for _ in range(10):
                if title not in used_names:
                    break
                title = (
                    rng.choice(names.PROJECT_PLACES)
                    + rng.choice(names.PROJECT_THINGS)
                    + rng.choice(names.PROJECT_PHASES)
                )
            else:
                title += f"（{number}号）"  # large scales run out of combinations: number them, as plans do
        used_names.add(title)
        leaders = [dept.head] + [c for c in d.members_by_dept[dept.code][:5] if d.cadre_by_id[c].role == "deputy"]
        cadre = rng.choice(leaders)
        investment = round(math.exp(rng.uniform(math.log(800), math.log(150000))), 2)
        r = rng.random()
        pace = rng.uniform(0.6, 0.85) if r < 0.2 else rng.uniform(1.0, 1.15) if r > 0.85 else rng.uniform(0.92, 1.02)
        p = Project(
            code("P", number, s.project_width),
            title,
            year,
            dept.code,
            cadre,
            investment,
            _plan(rng),
            pace,
            rng.uniform(0.9, 1.05),
        )
        d.projects.append(p)
        d.projects_by_dept.setdefault((dept.code, year), []).append(p)


def _zone_name(z: int) -> str:
    if z < len(names.DISTRICT_VILLAGES):
        return names.DISTRICT_VILLAGES[z]
    n = z - len(names.DISTRICT_VILLAGES)
    heads, tails = names.VILLAGE_HEADS, names.VILLAGE_TAILS
    name = heads[n % len(heads)] + tails[(n // len(heads)) % len(tails)] + "村"
    rep = n // (len(heads) * len(tails))
    return ("东西南北上下前后"[rep - 1] if rep else "") + name


def _groups(rng: random.Random, d: District) -> None:
    s = d.scale
    leads = [x for x in d.depts if x.leads_groups]
    rng.shuffle(leads)
    lo, hi = s.households
    first = 1
    taken: set[str] = set()
    for z in range(s.zones):
        zone_id, zone_name = code("Z", z + 1, s.zone_width), _zone_name(z)
        for k in range(s.groups_per_zone):
            i = z * s.groups_per_zone + k
            dept = leads[i % len(leads)] if i < len(leads) else rng.choice(leads)
            deputies = [c for c in d.members_by_dept[dept.code] if d.cadre_by_id[c].role == "deputy"]
            leader = deputies[(i // len(leads)) % len(deputies)]
            g = Group(code("G", i + 1, s.group_width), zone_id, zone_name, leader, dept.code, i)
            # Members: the leader, staff of the lead department and a few from others (统征/住建/绿化 协同).
            pool = [c for c in d.members_by_dept[dept.code] if c not in taken and c != leader]
            other = rng.choice(d.depts)
            pool2 = [c for c in d.members_by_dept[other.code] if c not in taken and c != leader]
            size = rng.randint(5, 10)
            own = rng.sample(pool, min(len(pool), size - 1 - min(2, len(pool2))))
            rest = rng.sample(pool2, min(len(pool2), size - 1 - len(own)))
            g.members = tuple([leader] + own + [c for c in rest if c not in own])
            d.group_members.update(g.members)
            taken.update(g.members[1:])
            g.n_households = rng.randint(lo, hi)
            g.first_household = first
            first += g.n_households
            g.pace = rng.uniform(0.55, 0.8) if rng.random() < 0.25 else rng.uniform(0.9, 1.25)
            d.groups.append(g)
            d.groups_by_dept.setdefault(dept.code, []).append(g)


def _roster_change(rng: random.Random, d: District) -> None:
    """Pick the cadre transferred and the one leaving for the mid-range snapshot."""
    busy = d.group_members | {p.cadre for p in d.projects}
    article = {n for n, _ in names.ARTICLE_CADRES}

    def free_staff(dept: Dept) -> list[str]:
        return [
            c
            for c in d.members_by_dept[dept.code]
            if d.cadre_by_id[c].role == "staff" and c not in busy and d.cadre_by_id[c].name not in article
        ]

    # Among the first 40 departments (the district itself at every scale), ones with staff to spare.
    pool = [x for x in d.depts[:40] if len(free_staff(x)) >= 2]
    src, dst, leaving = rng.sample(pool, 3)
    moved, gone = rng.choice(free_staff(src)), rng.choice(free_staff(leaving))
    d.roster_change = RosterChange(moved, src.code, dst.code, gone)
    d.protected.update({moved, gone})
    for dept_code, c in ((src.code, moved), (leaving.code, gone)):
        d.members_by_dept[dept_code].remove(c)
