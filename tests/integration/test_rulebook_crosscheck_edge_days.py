"""The rulebook crosscheck again, after two more business days of hand-written edge cases.

The generated district is thin on events, so the exact comparison of tests/crosscheck/rulebook.py with the marts
(test_rulebook_crosscheck.py) says little about deductions, reversals, overrides, the veto or late data. Here a
private copy of the district (fixture `district_copy`) gets two more days, 2026-10-02 and 2026-10-03, run in process
through load → validate → transform, carrying:

- late Q3 events delivered in October (bonus_penalty and supervision), and Q4 events;
- a withdrawn event, corrected events (same event_id again: new points, resolved_on filled in, moved to Q4) and an
  identical re-delivery;
- deduction events whose clamp to [0, w] only gives the rulebook's points if they are summed first, with a
  reversal (a positive event), and one naming a cadre too (it counts for the indicator only);
- a department sanction (veto) on an 优秀 department, a withdrawn sanction on another, and a Q4 veto;
- two warning/interview events on one cadre (→ D), and on a head (→ D), one warning plus an org_handling on
  another cadre (→ no override);
- commendations: one plain (→ A), one beaten by a sanction (→ D), one of a head in Q4 (→ A);
- free bonus/penalty (uncapped: a department above 100), and points with 3 decimals (the rounding meets ties);
- evaluation re-deliveries of Q3 keys (a later delivery replaces), one with a lower-case target_id;
- a roster change in Q4 (a staff member moves department; their events follow them);
- an indicator assignment whose targets are all 0 (ratio 1);
- two deliberately bad rows (an event naming a head, an event sent by the moved cadre's old department).

Then the rulebook and the marts must agree exactly for 2026Q3 and 2026Q4, and the edge cases must really have
happened (overrides, veto, deduction points below the weight, a score above 100).
"""

from __future__ import annotations

import csv
import shutil
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from kaohe import pipeline
from kaohe.warehouse import connect

from tests.crosscheck.compare import CADRE_FIELDS, DEPT_FIELDS, differences, mart_rows, report, rulebook_rows
from tests.crosscheck.rulebook import Inputs, QuarterComputation, compute_quarter, load_inputs, reference_in_force

pytestmark = pytest.mark.integration

Q3, Q4 = "2026Q3", "2026Q4"
DAY_ONE, DAY_TWO = date(2026, 10, 2), date(2026, 10, 3)
LAST_GENERATED_DAY = date(2026, 10, 1)

BONUS_PENALTY = (
    "event_id",
    "dept_code",
    "cadre_id",
    "indicator_code",
    "occurred_on",
    "points",
    "reason",
    "document_no",
    "withdrawn",
)
SUPERVISION = (
    "event_id",
    "event_type",
    "dept_code",
    "cadre_id",
    "occurred_on",
    "resolved_on",
    "subject",
    "document_no",
    "withdrawn",
)
COMMENDATIONS = ("cadre_id", "quarter", "basis", "document_no")
EVALUATIONS = ("evaluator_group", "evaluator_id", "target_type", "target_id", "quarter", "score")
CADRES = ("cadre_id", "name", "dept_code", "role", "quarterly_base_pay", "active")
ASSIGNMENTS = ("year", "dept_code", "indicator_code", "weight", "q1_target", "q2_target", "q3_target", "q4_target")

# rows deliberately broken: event_id → the quarantine rule they must be caught by
DELIBERATELY_BAD = {"BP-EDGE-BAD1": "head_event", "BP-EDGE-BAD2": "dept_mismatch"}


@dataclass
class Picks:
    """Real codes of the district, chosen so that each edge case shows in the results."""

    veto_dept: str  # Q3 优秀, gets a late department sanction
    unvetoed_dept: str  # Q3 优秀, its sanction is withdrawn the next day
    q4_veto_dept: str  # Q4 优秀, a sanction (naming one of its staff) in Q4
    q4_sanctioned: str  # that staff member
    deduction_dept: str
    deductions: list[tuple[str, Decimal]]  # three (indicator_code, weight) of deduction_dept
    deduction_staff: str  # a staff member of deduction_dept named by an indicator's event (counts for the indicator)
    free_bonus_dept: str  # the best Q3 score: a bonus lifts it above 100
    free_penalty_dept: str
    unresponsive: tuple[str, str]  # (cadre, dept): a warning and an interview in Q3 → D
    one_warning: tuple[str, str]  # one warning and an org_handling in Q3 → no override
    commended: tuple[str, str]  # commended for Q3 → A
    commended_sanctioned: tuple[str, str]  # commended and sanctioned in Q3 → D
    cadre_bonus: tuple[str, str]  # bonus/penalty events on the cadre in Q3
    moved: str  # a staff member who moves department on 2026-10-02
    moved_from: str
    moved_to: str
    commended_head: tuple[str, str]  # a head of a department not 优秀 in Q4, commended for Q4 → A
    bad_head: tuple[str, str]  # a head named by a bonus/penalty event (quarantined)
    unresponsive_head: tuple[str, str]  # a head with a warning and an interview in Q3 → D (overrides heads too)
    zero_target: tuple[str, str]  # (dept, ratio indicator) whose targets become 0 from 2026-10-02
    eval_dept: str  # its Q3 evaluations are re-delivered lower
    eval_cadre: tuple[str, str]  # its Q3 leaders rating is re-delivered higher; a lower-case peers row is added


def pick_codes(conn, inputs: Inputs) -> Picks:
    grades = {}
    for quarter, dept, dept_class, score, rank, grade in conn.execute(
        "select quarter, dept_code, dept_class, score, rank_in_class, grade from marts.dept_quarter_scores "
        "where quarter in (%s, %s) order by quarter, rank_in_class, dept_code",
        (Q3, Q4),
    ):
        grades.setdefault(quarter, []).append((dept, dept_class, score, rank, grade))
    used: set[str] = set()

    def take(candidates) -> str:
        dept = next(d for d in candidates if d not in used)
        used.add(dept)
        return dept

    # a department first in its class keeps an 优秀 place (there are ≥ 2 a class) whatever the bonus below does
    excellent_q3 = [d for d, _, _, rank, grade in grades[Q3] if grade == "优秀" and rank == 1]
    veto_dept, unvetoed_dept = take(excellent_q3), take(excellent_q3)
    q4_veto_dept = take(d for d, _, _, rank, grade in grades[Q4] if grade == "优秀" and rank == 1)
    free_bonus_dept = take(g[0] for g in sorted(grades[Q3], key=lambda g: -(g[2] or 0)))

    indicators = {r["indicator_code"]: r for r in reference_in_force(inputs, "indicators", LAST_GENERATED_DAY)}
    assignments = [
        r for r in reference_in_force(inputs, "indicator_assignments", LAST_GENERATED_DAY) if r["year"] == 2026
    ]
    deduction_by_dept: dict[str, list[tuple[str, Decimal]]] = {}
    for a in assignments:
        if indicators[a["indicator_code"]]["scoring"] == "deduction":
            deduction_by_dept.setdefault(a["dept_code"], []).append((a["indicator_code"], a["weight"]))
    deduction_dept = take(sorted(deduction_by_dept, key=lambda d: (-len(deduction_by_dept[d]), d)))
    deductions = sorted(deduction_by_dept[deduction_dept], key=lambda i: (-i[1], i[0]))[:3]
    free_penalty_dept = take(sorted(d for d, *_ in grades[Q3]))

    # Q4: a submission-ratio assignment well short of its target, so that a target of 0 (ratio 1) shows
    q4 = compute_quarter(inputs, Q4)

    def short_of_target(a) -> bool:
        indicator = indicators[a["indicator_code"]]
        return (
            indicator["scoring"] == "ratio"
            and (indicator["source"] or "submission") == "submission"
            and q4.departments[a["dept_code"]].points[a["indicator_code"]] < a["weight"] - 1
        )

    zero_target = next(
        (a["dept_code"], a["indicator_code"])
        for a in sorted(assignments, key=lambda a: (a["dept_code"], a["indicator_code"]))
        if a["dept_code"] not in used and short_of_target(a)
    )
    used.add(zero_target[0])

    # cadres with no event or commendation yet, each from a department of its own
    busy = {r["cadre_id"] for kind in ("bonus_penalty", "supervision", "commendations") for r in inputs.rows[kind]}
    roster = sorted(
        (r for r in reference_in_force(inputs, "cadres", LAST_GENERATED_DAY) if r["active"]),
        key=lambda r: r["cadre_id"],
    )

    def member(role: str = "staff", dept: str | None = None) -> tuple[str, str]:
        row = next(
            r
            for r in roster
            if r["role"] == role
            and r["cadre_id"] not in busy
            and (r["dept_code"] == dept if dept else r["dept_code"] not in used)
        )
        busy.add(row["cadre_id"])
        used.add(row["dept_code"])
        return row["cadre_id"], row["dept_code"]

    q4_sanctioned, _ = member(dept=q4_veto_dept)
    deduction_staff, _ = member(dept=deduction_dept)
    unresponsive, one_warning, commended = member(), member(), member()
    commended_sanctioned, cadre_bonus = member(), member()
    moved, moved_from = member()
    moved_to = take(sorted(d for d, *_ in grades[Q3]))
    not_excellent_q4 = {d for d, *_, grade in grades[Q4] if grade != "优秀"}
    commended_head = next(member("head", d) for d in sorted(not_excellent_q4 - used))
    bad_head, unresponsive_head = member("head"), member("head")
    eval_dept = take(sorted(d for d, *_ in grades[Q3]))
    eval_cadre = member()
    return Picks(
        veto_dept,
        unvetoed_dept,
        q4_veto_dept,
        q4_sanctioned,
        deduction_dept,
        deductions,
        deduction_staff,
        free_bonus_dept,
        free_penalty_dept,
        unresponsive,
        one_warning,
        commended,
        commended_sanctioned,
        cadre_bonus,
        moved,
        moved_from,
        moved_to,
        commended_head,
        bad_head,
        unresponsive_head,
        zero_target,
        eval_dept,
        eval_cadre,
    )


# --------------------------------------------------------------------------------------------------------------
# Writing the landing files


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_csv(folder: Path, name: str, header: tuple[str, ...], rows: list[dict]) -> None:
    """A UTF-8 CSV with the contract's English headers; missing keys are blank."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / name).open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([cell(row.get(column)) for column in header] for row in rows)


def bonus(
    event_id: str,
    dept: str,
    occurred_on: str,
    points: str,
    cadre: str | None = None,
    indicator: str | None = None,
    **extra,
) -> dict:
    return {
        "event_id": event_id,
        "dept_code": dept,
        "cadre_id": cadre,
        "indicator_code": indicator,
        "occurred_on": occurred_on,
        "points": points,
        "reason": "edge case",
        **extra,
    }


def supervision(event_id: str, event_type: str, dept: str, occurred_on: str, cadre: str | None = None, **extra) -> dict:
    return {
        "event_id": event_id,
        "event_type": event_type,
        "dept_code": dept,
        "cadre_id": cadre,
        "occurred_on": occurred_on,
        "document_no": f"督字〔2026〕{event_id[-2:]}号",
        **extra,
    }


def deliver_day_one(landing: Path, picks: Picks, inputs: Inputs) -> None:
    folder = landing / DAY_ONE.isoformat()
    p = picks
    (da, wa), (db, _), (dc, _) = p.deductions

    # reference snapshots (full): the roster with one staff member moved, the assignments with a target of 0
    roster = reference_in_force(inputs, "cadres", LAST_GENERATED_DAY)
    write_csv(
        folder,
        "cadres.csv",
        CADRES,
        [{**r, "dept_code": p.moved_to if r["cadre_id"] == p.moved else r["dept_code"]} for r in roster],
    )
    assignments = reference_in_force(inputs, "indicator_assignments", LAST_GENERATED_DAY)
    write_csv(
        folder,
        "indicator_assignments.csv",
        ASSIGNMENTS,
        [
            {
                **a,
                **(
                    {f"q{n}_target": 0 for n in range(1, 5)}
                    if (a["dept_code"], a["indicator_code"]) == p.zero_target and a["year"] == 2026
                    else {}
                ),
            }
            for a in assignments
        ],
    )

    write_csv(
        folder,
        "bonus_penalty.csv",
        BONUS_PENALTY,
        [
            # deduction indicator a: w − (w + 2) + 1 → clamped once to 0 (clamping the penalty alone, then adding
            # the reversal, would give 1)
            bonus("BP-EDGE-DA1", p.deduction_dept, "2026-07-15", str(-(wa + 2)), indicator=da),
            bonus("BP-EDGE-DA2", p.deduction_dept, "2026-09-10", "1", indicator=da),
            # deduction indicator b: +2, then −1 (corrected tomorrow to −2.5), −0.75 (withdrawn tomorrow), −0.25:
            # w − 0.75 summed first; clamping the +2 alone would lose it (w − 2.75)
            bonus("BP-EDGE-DB1", p.deduction_dept, "2026-07-02", "2", indicator=db),
            bonus("BP-EDGE-DB2", p.deduction_dept, "2026-08-05", "-1", indicator=db),
            bonus("BP-EDGE-DB3", p.deduction_dept, "2026-08-20", "-0.75", indicator=db),
            # naming a cadre too: an event with an indicator counts for that indicator only
            bonus("BP-EDGE-DB4", p.deduction_dept, "2026-09-03", "-0.25", cadre=p.deduction_staff, indicator=db),
            # deduction indicator c: a Q3 penalty that tomorrow's correction moves into Q4
            bonus("BP-EDGE-DC1", p.deduction_dept, "2026-09-12", "-1", indicator=dc),
            # free bonus/penalty, uncapped (late Q3, and Q4); 3 decimals: the score's rounding meets a tie
            bonus("BP-EDGE-FB1", p.free_bonus_dept, "2026-09-15", "4"),
            bonus("BP-EDGE-FB2", p.free_bonus_dept, "2026-10-02", "1.5"),
            bonus("BP-EDGE-FP1", p.free_penalty_dept, "2026-09-01", "-3.5"),
            bonus("BP-EDGE-FP2", p.free_penalty_dept, "2026-09-28", "-2.255"),
            # the cadre's own score
            bonus("BP-EDGE-K1", p.cadre_bonus[1], "2026-09-25", "3", cadre=p.cadre_bonus[0]),
            bonus("BP-EDGE-K2", p.cadre_bonus[1], "2026-08-10", "-0.505", cadre=p.cadre_bonus[0]),
            # the moved cadre, sent by the old department on the last day there: follows them into the new one
            bonus("BP-EDGE-M1", p.moved_from, "2026-10-01", "2", cadre=p.moved),
            # deliberately bad: a head has no individual score; the old department after the move
            bonus("BP-EDGE-BAD1", p.bad_head[1], "2026-09-20", "1", cadre=p.bad_head[0]),
            bonus("BP-EDGE-BAD2", p.moved_from, "2026-10-02", "1", cadre=p.moved),
        ],
    )

    x, y = p.unresponsive, p.one_warning
    write_csv(
        folder,
        "supervision.csv",
        SUPERVISION,
        [
            supervision("SV-EDGE-01", "sanction", p.veto_dept, "2026-09-20"),  # the veto, late
            supervision("SV-EDGE-02", "sanction", p.unvetoed_dept, "2026-09-21"),  # withdrawn tomorrow
            supervision("SV-EDGE-03", "warning", x[1], "2026-08-12", x[0], subject="K1-01"),  # resolved tomorrow
            supervision("SV-EDGE-04", "interview", x[1], "2026-09-05", x[0], resolved_on="2026-09-06"),
            supervision("SV-EDGE-05", "warning", y[1], "2026-09-10", y[0]),
            supervision("SV-EDGE-06", "org_handling", y[1], "2026-09-12", y[0]),  # recorded, not scored
            supervision("SV-EDGE-07", "warning", y[1], "2026-09-14"),  # at the department: counts for no cadre
            supervision("SV-EDGE-08", "sanction", p.commended_sanctioned[1], "2026-09-18", p.commended_sanctioned[0]),
            supervision("SV-EDGE-09", "sanction", p.q4_veto_dept, "2026-10-02", p.q4_sanctioned),
            supervision("SV-EDGE-10", "warning", p.moved_from, "2026-10-01", p.moved),  # Q4, before the move
            supervision("SV-EDGE-12", "warning", p.unresponsive_head[1], "2026-07-20", p.unresponsive_head[0]),
            supervision("SV-EDGE-13", "interview", p.unresponsive_head[1], "2026-09-22", p.unresponsive_head[0]),
        ],
    )

    write_csv(
        folder,
        "commendations.csv",
        COMMENDATIONS,
        [
            {"cadre_id": p.commended[0], "quarter": Q3, "basis": "edge case", "document_no": "表字〔2026〕1号"},
            {"cadre_id": p.commended_sanctioned[0], "quarter": Q3, "basis": "edge case"},
            {"cadre_id": p.commended_head[0], "quarter": Q4, "basis": "edge case: a head"},
        ],
    )

    # Q3 evaluations re-delivered (a later delivery of the same key replaces the earlier one)
    earlier = [r for r in inputs.rows["evaluations"] if r["quarter"] == Q3]
    redo = [
        {**r, "score": Decimal("60.5")} for r in earlier if r["target_type"] == "dept" and r["target_id"] == p.eval_dept
    ]
    leaders = [
        r
        for r in earlier
        if r["target_type"] == "cadre" and r["target_id"] == p.eval_cadre[0] and r["evaluator_group"] == "leaders"
    ]
    redo += [{**r, "score": Decimal("99.5")} for r in leaders]
    # a new rating naming the cadre in lower case: codes are upper-cased before use
    redo.append(
        {
            "evaluator_group": "peers",
            "evaluator_id": "CP-EDGE-01",
            "target_type": "cadre",
            "target_id": p.eval_cadre[0].lower(),
            "quarter": Q3,
            "score": Decimal("97.25"),
        }
    )
    write_csv(folder, "evaluations.csv", EVALUATIONS, redo)


def deliver_day_two(landing: Path, picks: Picks) -> None:
    folder = landing / DAY_TWO.isoformat()
    p = picks
    (_, _), (db, _), (dc, _) = p.deductions
    write_csv(
        folder,
        "bonus_penalty.csv",
        BONUS_PENALTY,
        [
            bonus("BP-EDGE-DB2", p.deduction_dept, "2026-08-05", "-2.5", indicator=db),  # corrected points
            bonus("BP-EDGE-DB3", p.deduction_dept, "2026-08-20", "-0.75", indicator=db, withdrawn="是"),
            bonus("BP-EDGE-DC1", p.deduction_dept, "2026-10-02", "-1.5", indicator=dc),  # corrected into Q4
            bonus("BP-EDGE-DC2", p.deduction_dept, "2026-10-03", "-0.3", indicator=dc),
            bonus("BP-EDGE-FB1", p.free_bonus_dept, "2026-09-15", "4"),  # identical re-delivery: changes nothing
            bonus("BP-EDGE-M2", p.moved_to, "2026-10-03", "1.5", cadre=p.moved),
        ],
    )
    x = p.unresponsive
    write_csv(
        folder,
        "supervision.csv",
        SUPERVISION,
        [
            supervision("SV-EDGE-02", "sanction", p.unvetoed_dept, "2026-09-21", withdrawn="true"),
            supervision("SV-EDGE-03", "warning", x[1], "2026-08-12", x[0], subject="K1-01", resolved_on="2026-09-30"),
            supervision("SV-EDGE-11", "interview", p.moved_to, "2026-10-03", p.moved),  # the second in Q4 → D
        ],
    )


def run_day(landing: Path, day: date, url: str) -> None:
    loaded = pipeline.load(landing, day, url)
    assert not loaded["rejected"], loaded
    pipeline.validate(day, url)
    pipeline.transform(day, url)


# --------------------------------------------------------------------------------------------------------------


def test_edge_case_days_match_the_rulebook(district_copy, tmp_path):
    landing, url = district_copy
    private = tmp_path / "landing"  # the shared landing tree stays as it is
    shutil.copytree(landing, private)
    with connect(url) as conn:
        before = load_inputs(conn)
        picks = pick_codes(conn, before)
    deliver_day_one(private, picks, before)
    run_day(private, DAY_ONE, url)
    deliver_day_two(private, picks)
    run_day(private, DAY_TWO, url)

    with connect(url) as conn:
        rejected = conn.execute(
            "select coalesce(raw ->> 'event_id', file || ' row ' || row_number), rule from quarantine.rejected_rows "
            "where business_date in (%s, %s)",
            (DAY_ONE, DAY_TWO),
        ).fetchall()
        inputs = load_inputs(conn)
        marts = {q: mart_rows(conn, q) for q in (Q3, Q4)}
    assert sorted(rejected) == sorted(DELIBERATELY_BAD.items()), "only the deliberately bad rows are quarantined"

    computations = {q: QuarterComputation(inputs, q) for q in (Q3, Q4)}
    results = {q: computation.compute() for q, computation in computations.items()}
    for quarter, result in results.items():
        mine_depts, mine_cadres = rulebook_rows(result)
        mart_depts, mart_cadres = marts[quarter]
        diff = differences(mine_depts, mart_depts, DEPT_FIELDS)
        assert not diff, f"{quarter}: " + report("departments", diff, len(mine_depts))
        diff = differences(mine_cadres, mart_cadres, CADRE_FIELDS)
        assert not diff, f"{quarter}: " + report("cadres", diff, len(mine_cadres))

    # not vacuous: every edge case shows in the (agreed) results
    q3, q4, p = results[Q3], results[Q4], picks
    (da, _), (db, wb), (dc, wc) = p.deductions
    points_q3, points_q4 = q3.departments[p.deduction_dept].points, q4.departments[p.deduction_dept].points
    assert points_q3[da] == 0, "−(w + 2) then +1, summed first, clamps to 0"
    assert points_q3[db] == wb - Decimal("0.75"), "+2 − 2.5 (corrected) − 0.25, the withdrawn −0.75 left out"
    assert (points_q3[dc], points_q4[dc]) == (wc, wc - Decimal("1.8")), "−1 in Q3 corrected to −1.5 in Q4; −0.3"

    veto = q3.departments[p.veto_dept]
    assert (veto.grade_before_veto, veto.grade, veto.vetoed) == ("优秀", "良好", True)
    assert not q3.departments[p.unvetoed_dept].vetoed, "the withdrawn sanction vetoes nothing"
    q4_veto = q4.departments[p.q4_veto_dept]
    assert (q4_veto.grade_before_veto, q4_veto.grade, q4_veto.vetoed) == ("优秀", "良好", True)
    assert q3.departments[p.free_bonus_dept].score > 100, "free bonus is uncapped"
    assert q3.departments[p.free_penalty_dept].free_bonus == Decimal("-5.755")

    def reason(result, cadre: str) -> tuple[str | None, str | None]:
        return result.cadres[cadre].grade, result.cadres[cadre].grade_reason

    assert reason(q3, p.unresponsive[0]) == ("D", "unresponsive")
    assert reason(q3, p.one_warning[0])[1] not in ("sanction", "unresponsive", "commendation")
    assert reason(q3, p.commended[0]) == ("A", "commendation")
    assert reason(q3, p.commended_sanctioned[0]) == ("D", "sanction")
    assert reason(q3, p.unresponsive_head[0]) == ("D", "unresponsive")
    assert reason(q4, p.q4_sanctioned) == ("D", "sanction")
    assert reason(q4, p.commended_head[0]) == ("A", "commendation")
    assert reason(q4, p.moved) == ("D", "unresponsive"), "Q4 warnings from the old and the new department"
    assert (q3.cadres[p.moved].dept_code, q4.cadres[p.moved].dept_code) == (p.moved_from, p.moved_to)
    moved_events = {e["event_id"] for e in computations[Q4].bonus_penalty if e["cadre_id"] == p.moved}
    assert moved_events == {"BP-EDGE-M1", "BP-EDGE-M2"}, "events from both departments follow the cadre"
    ratings = {
        (r["evaluator_id"], r["score"]) for r in computations[Q3].evaluations_by_target[("cadre", p.eval_cadre[0])]
    }
    assert ("CP-EDGE-01", Decimal("97.25")) in ratings and Decimal("99.5") in {s for _, s in ratings}, ratings
    assert q4.departments[p.zero_target[0]].points[p.zero_target[1]] == next(
        a["weight"]
        for a in reference_in_force(inputs, "indicator_assignments", DAY_ONE)
        if (a["dept_code"], a["indicator_code"]) == p.zero_target and a["year"] == 2026
    ), "a target of 0 is ratio 1"
