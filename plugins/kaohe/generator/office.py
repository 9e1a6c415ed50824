"""What the assessment office (考核办) and the discipline commission deliver:
bonus_penalty and supervision events now and then, evaluations and
commendations at each quarter's end.

Events are planned once for the whole range so that re-deliveries (a
correction, a resolved_on filled in, a withdrawal) can point back at events
delivered earlier.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Any

from . import library as lib
from . import names
from .daily import quarter_bounds, quarter_label
from .district import Cadre, District


@dataclass(slots=True)
class BonusPenalty:
    event_id: str
    dept_code: str
    cadre_id: str | None
    indicator_code: str | None
    occurred_on: date
    points: float | int
    reason: str | None = None
    document_no: str | None = None
    withdrawn: bool | None = None

    def row(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Supervision:
    event_id: str
    event_type: str
    dept_code: str
    cadre_id: str | None
    occurred_on: date
    resolved_on: date | None = None
    subject: str | None = None
    document_no: str | None = None
    withdrawn: bool | None = None

    def row(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass
class OfficePlan:
    bonus: dict[date, list[BonusPenalty]]
    supervision: dict[date, list[Supervision]]
    notable: dict[str, Any]  # the special events (one event or a list of them), for the summary and tests


def _occurred(rng: random.Random, day: date, start: date) -> date:
    # Events are sent up to 10 days after they happen (late data crosses quarter ends).
    return max(start, day - timedelta(days=rng.randint(0, 10)))


def _doc(rng: random.Random, issuer: str, year: int) -> str:
    return f"{issuer}〔{year}〕{rng.randint(1, 99)}号"


def _free_event(rng: random.Random, d: District, day: date, start: date) -> BonusPenalty:
    reason, points = rng.choice(names.FREE_REASONS)
    return BonusPenalty(
        "",
        rng.choice(d.depts).code,
        None,
        None,
        _occurred(rng, day, start),
        points,
        reason,
        _doc(rng, "安高考办发", day.year),
    )


def _subject(rng: random.Random, d: District, dept: str, day: date) -> str | None:
    projects = d.projects_by_dept.get((dept, day.year))
    if projects and rng.random() < 0.5:
        return rng.choice(projects).id
    reported = d.reported(dept, day.year)
    return rng.choice(reported).code if reported else None


def _staff(rng: random.Random, d: District, dept: str) -> str | None:
    members = d.members_by_dept[dept]
    return rng.choice(members) if members else None


def plan_office(
    d: District,
    dates: list[date],
    force_bonus: AbstractSet[date] = frozenset(),
    force_supervision: AbstractSet[date] = frozenset(),
) -> OfficePlan:
    """`force_*`: days the office must send that kind (a bad row is planted there)."""
    start, end = dates[0], dates[-1]
    rng = random.Random(f"{d.seed}:office:{start}:{end}")
    factor = max(1, len(d.depts) // 40)  # larger scales: proportionally more events
    bonus: dict[date, list[BonusPenalty]] = {}
    sup: dict[date, list[Supervision]] = {}
    named_this_quarter: dict[str, set[str]] = {}  # avoid accidental 多次督办 doubles

    for day in dates:
        if rng.random() < 0.35:
            for _ in range(rng.randint(1, 4) * factor):
                bonus.setdefault(day, []).append(_bonus_event(rng, d, day, start))
        if rng.random() < 0.25:
            for _ in range(rng.randint(1, 2) * factor):
                e = _supervision_event(rng, d, day, start, named_this_quarter)
                if e:
                    sup.setdefault(day, []).append(e)

    notable: dict[str, Any] = {}
    _sanctions(rng, d, dates, sup, notable)
    _double_warning(rng, d, dates, sup, notable, named_this_quarter)
    _number(bonus, "BP")
    _number(sup, "SV")
    _redeliveries(rng, d, dates, bonus, sup, notable)
    _forced(d, start, bonus, sup, force_bonus, force_supervision)
    return OfficePlan(bonus, sup, notable)


def _forced(d: District, start: date, bonus, sup, force_bonus, force_supervision) -> None:
    """One ordinary event on each forced day that has none. Drawn from their own
    generators and numbered after the others, so a tree with bad rows is the clean
    tree plus additions (same events, same ids)."""
    last: dict[tuple[str, int], int] = {}
    for plan, prefix in ((bonus, "BP"), (sup, "SV")):
        for events in plan.values():
            for e in events:
                year, seq = e.event_id[2:].split("-")
                last[(prefix, int(year))] = max(last.get((prefix, int(year)), 0), int(seq))
    for day in sorted(force_bonus):
        if not bonus.get(day):
            e = _free_event(random.Random(f"{d.seed}:forced-bp:{day}"), d, day, start)
            last[("BP", day.year)] = n = last.get(("BP", day.year), 0) + 1
            e.event_id = f"BP{day.year}-{n:04d}"
            bonus[day] = [e]
    for day in sorted(force_supervision):
        if not sup.get(day):
            rng = random.Random(f"{d.seed}:forced-sv:{day}")
            dept = rng.choice(d.depts)
            last[("SV", day.year)] = n = last.get(("SV", day.year), 0) + 1
            sup[day] = [
                Supervision(
                    f"SV{day.year}-{n:04d}",
                    "warning",
                    dept.code,
                    None,
                    _occurred(rng, day, start),
                    subject=_subject(rng, d, dept.code, day),
                    document_no=_doc(rng, "安高考办督字", day.year),
                )
            ]


def _bonus_event(rng: random.Random, d: District, day: date, start: date) -> BonusPenalty:
    r = rng.random()
    dept = rng.choice(d.depts)
    when = _occurred(rng, day, start)
    if r < 0.5:
        # A deduction against one of the department's deduction indicators.
        codes = [a.code for a in d.assignments[(dept.code, when.year)] if lib.BY_CODE[a.code].scoring == "deduction"]
        if codes:
            points = rng.choice((-0.5, -1, -1, -1.5, -2))
            return BonusPenalty(
                "",
                dept.code,
                None,
                rng.choice(codes),
                when,
                points,
                rng.choice(names.DEDUCTION_REASONS),
                _doc(rng, "安高考办发", day.year),
            )
    if r < 0.8:
        cadre = _staff(rng, d, dept.code)
        if cadre:
            reason, points = rng.choice(names.CADRE_REASONS)
            return BonusPenalty(
                "",
                dept.code,
                cadre,
                None,
                when,
                points,
                reason,
                _doc(rng, "安高考办发", day.year) if rng.random() < 0.6 else None,
            )
    return _free_event(rng, d, day, start)


def _supervision_event(rng, d: District, day: date, start: date, named: dict[str, set[str]]) -> Supervision | None:
    dept = rng.choice(d.depts)
    when = _occurred(rng, day, start)
    kind = rng.choices(("warning", "interview", "org_handling"), (0.6, 0.28, 0.12))[0]
    cadre = None
    if kind != "warning" or rng.random() < 0.3:
        quarter = named.setdefault(quarter_label(when), set())
        candidates = [c for c in d.members_by_dept[dept.code] if c not in quarter]
        if not candidates:
            return None
        cadre = rng.choice(candidates)
        if kind != "org_handling":
            quarter.add(cadre)
    resolved = when + timedelta(days=rng.randint(3, 15)) if rng.random() < 0.4 else None
    if resolved and resolved > day:
        resolved = None
    issuer = "安高纪工委发" if kind == "org_handling" else "安高考办督字"
    return Supervision(
        "", kind, dept.code, cadre, when, resolved, _subject(rng, d, dept.code, day), _doc(rng, issuer, day.year)
    )


def _quarters(dates: list[date]) -> dict[str, list[date]]:
    out: dict[str, list[date]] = {}
    for day in dates:
        out.setdefault(quarter_label(day), []).append(day)
    return out


def _sanctions(rng, d: District, dates, sup, notable) -> None:
    """One 纪律处分 per quarter (per 40 departments) — a staff member of a 涉农 department
    (记过处分), which caps the department at 良好 and the cadre at D."""
    agri = [x for x in d.depts if x.cls == "agri"]
    made = []
    for k, (_quarter, days) in enumerate(_quarters(dates).items()):
        for j in range(max(1, len(d.depts) // 40)):
            dept = agri[(k + j * 7) % len(agri)]
            cadre = _staff(rng, d, dept.code)
            occurred = days[len(days) // 3]
            delivered = min(dates[-1], occurred + timedelta(days=rng.randint(0, 3)))
            e = Supervision(
                "", "sanction", dept.code, cadre, occurred, None, None, _doc(rng, "安高纪工委发", occurred.year)
            )
            sup.setdefault(delivered, []).append(e)
            made.append(e)
    notable["sanctions"] = made


def _double_warning(rng, d: District, dates, sup, notable, named) -> None:
    """One cadre warned twice in one quarter (多次督办推而不动 → D)."""
    first = dates[len(dates) // 4]
    quarter_end = quarter_bounds(first)[1]
    second = min(first + timedelta(days=7), quarter_end, dates[-1])
    dept = rng.choice([x for x in d.depts if d.members_by_dept[x.code]])
    taken = named.setdefault(quarter_label(first), set())
    candidates = [c for c in d.members_by_dept[dept.code] if c not in taken] or d.members_by_dept[dept.code]
    cadre = rng.choice(candidates)
    taken.add(cadre)
    pair = []
    for day in (first, second):
        e = Supervision(
            "",
            "warning",
            dept.code,
            cadre,
            day,
            None,
            _subject(rng, d, dept.code, day),
            _doc(rng, "安高考办督字", day.year),
        )
        sup.setdefault(day, []).append(e)
        pair.append(e)
    notable["double_warning"] = pair


def _number(plan: dict, prefix: str) -> None:
    """Event ids in order of delivery: BP2026-0001 ..."""
    seq: dict[int, int] = {}
    for day in sorted(plan):
        for e in plan[day]:
            seq[day.year] = seq.get(day.year, 0) + 1
            e.event_id = f"{prefix}{day.year}-{seq[day.year]:04d}"


def _redeliveries(rng, d: District, dates, bonus, sup, notable) -> None:
    """A few events are sent again later: points corrected, resolved_on filled in;
    one bonus_penalty event is withdrawn."""
    end = dates[-1]
    originals = [(day, e) for day in sorted(bonus) for e in bonus[day]]
    corrected, withdrawn = [], None
    for day, e in originals:
        again = day + timedelta(days=rng.randint(3, 15))
        if again > end:
            continue
        if withdrawn is None and e.indicator_code is None and e.cadre_id is None:
            withdrawn = replace(e, withdrawn=True)
            bonus.setdefault(again, []).append(withdrawn)
        elif rng.random() < 0.08:
            fix = replace(
                e,
                points=e.points * 2 if e.points != 0 else -1,
                reason=(e.reason or "") + "(更正)",
                document_no=e.document_no or _doc(rng, "安高考办发", day.year),
            )
            bonus.setdefault(again, []).append(fix)
            corrected.append(fix)
    for day in sorted(sup):
        for e in list(sup[day]):
            again = day + timedelta(days=rng.randint(5, 20))
            if (
                e.resolved_on is None
                and e.event_type in ("warning", "interview")
                and again <= end
                and rng.random() < 0.3
            ):
                fix = replace(e, resolved_on=again - timedelta(days=rng.randint(0, 3)))
                sup.setdefault(again, []).append(fix)
                corrected.append(fix)
    notable["corrections"] = corrected
    notable["withdrawn"] = withdrawn


# -- quarter end ----------------------------------------------------------------------


def evaluations(d: District, day: date, roster: list[Cadre]) -> Iterator[dict]:
    """Subjective ratings (主观评价) of every department and every non-head cadre.

    Evaluator ids are anonymised: LD01.. (district leaders), PR#### (a department,
    under a per-quarter permutation), PB##### (service users), CP###### (colleagues).
    Some departments get no public rating (weights renormalise), a few cadres none at all.
    """
    quarter = quarter_label(day)
    rng = random.Random(f"{d.seed}:evaluations:{quarter}")
    n = len(d.depts)
    alias = list(range(1, n + 1))
    rng.shuffle(alias)
    for i, dept in enumerate(d.depts):
        base = 72 + 24 * dept.quality
        for k in range(1, 6):
            yield _eval("leaders", f"LD{k:02d}", "dept", dept.code, quarter, _score(rng, base))
        for j in _sample_other(rng, n, i, min(6, n - 1)):
            yield _eval("peers", f"PR{alias[j]:04d}", "dept", dept.code, quarter, _score(rng, base - 2))
        if rng.random() < 0.9:
            for rater in rng.sample(range(10000, 99990), rng.randint(3, 5)):
                yield _eval("public", f"PB{rater}", "dept", dept.code, quarter, _score(rng, base + 1))
    for c in roster:
        if not c.active or c.role == "head" or rng.random() < 0.01:
            continue
        base = 76 + 18 * rng.random()
        yield _eval("leaders", f"LD{rng.randint(1, 5):02d}", "cadre", c.id, quarter, _score(rng, base))
        for rater in rng.sample(range(100000, 999999), 2):
            yield _eval("peers", f"CP{rater}", "cadre", c.id, quarter, _score(rng, base))


def _sample_other(rng: random.Random, n: int, i: int, k: int) -> list[int]:
    """k distinct indices other than i (cheap even for 10,000 departments)."""
    out: set[int] = set()
    while len(out) < k:
        j = rng.randrange(n)
        if j != i:
            out.add(j)
    return sorted(out)


def _score(rng: random.Random, base: float) -> float:
    return round(min(99.5, max(55.0, rng.gauss(base, 5))), 1)


def _eval(group: str, evaluator: str, target_type: str, target: str, quarter: str, score: float) -> dict:
    return {
        "evaluator_group": group,
        "evaluator_id": evaluator,
        "target_type": target_type,
        "target_id": target,
        "quarter": quarter,
        "score": score,
    }


def commendations(d: District, day: date, roster: list[Cadre]) -> Iterator[dict]:
    """2-3 cadres commended per quarter (per 40 departments); in Q3 the article's
    赵阳彩 (招商局) and 鄢中刚 (飞地办) — 直接评定为A等次."""
    quarter = quarter_label(day)
    rng = random.Random(f"{d.seed}:commendations:{quarter}")
    eligible = [c for c in roster if c.active and c.role != "head" and c.id not in d.protected]
    chosen: list[Cadre] = []
    if quarter.endswith("Q3"):
        article = {n for n, _ in names.ARTICLE_CADRES}
        chosen = [c for c in eligible if c.name in article and d.dept_by_code[c.dept].index < 40][:2]
    k = rng.randint(2, 3) * max(1, len(d.depts) // 40)
    for c in rng.sample(eligible, min(len(eligible), k)):
        if len(chosen) >= k:
            break
        if c not in chosen:
            chosen.append(c)
    doc = _doc(rng, "安高党工委发", day.year)
    for c in chosen:
        yield {"cadre_id": c.id, "quarter": quarter, "basis": rng.choice(names.COMMENDATION_BASIS), "document_no": doc}


__all__ = ["OfficePlan", "plan_office", "evaluations", "commendations"]
