"""The dbt marts against an independent plain-Python computation of the rulebook (tests/crosscheck/rulebook.py),
on the generated district run through the real DAG (fixture `district`, read only).

Exact comparison (Decimal equality) for 2026Q3, whose last day the run covers: every department's score,
rank_in_class, grade and veto; every assessed cadre's department, individual_score, grade and grade_reason.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from kaohe.warehouse import connect
from tests.crosscheck.rulebook import compute_quarter, load_inputs

pytestmark = pytest.mark.integration

QUARTER = "2026Q3"
SHOW = 10  # differing rows printed on failure


def _differences(expected: dict[str, tuple], actual: dict[str, tuple], fields: tuple[str, ...]) -> list[str]:
    """Readable lines for the keys whose values differ, or that only one side has."""
    lines = []
    for key in sorted(expected.keys() | actual.keys()):
        mine, mart = expected.get(key), actual.get(key)
        if mine == mart:
            continue
        if mine is None or mart is None:
            lines.append(f"  {key}: {'only in the marts' if mine is None else 'missing from the marts'}")
            continue
        changed = ", ".join(f"{name} rulebook={m!s} mart={a!s}"
                            for name, m, a in zip(fields, mine, mart, strict=True) if m != a)
        lines.append(f"  {key}: {changed}")
    return lines


def _report(what: str, lines: list[str], total: int) -> str:
    return f"{len(lines)} of {total} {what} differ from the rulebook; the first {min(SHOW, len(lines))}:\n" + "\n".join(
        lines[:SHOW])


@pytest.fixture(scope="module")
def crosscheck(district):
    """(rulebook result, mart departments, mart cadres) for QUARTER; only reads the district database."""
    _, url, _ = district
    with connect(url) as conn:
        expected = compute_quarter(load_inputs(conn), QUARTER)
        departments = conn.execute(
            "select dept_code, score, rank_in_class, grade, vetoed from marts.dept_quarter_scores where quarter = %s",
            (QUARTER,)).fetchall()
        cadres = conn.execute(
            "select cadre_id, dept_code, individual_score, grade, grade_reason from marts.cadre_quarter_grades "
            "where quarter = %s", (QUARTER,)).fetchall()
    return expected, {r[0]: tuple(r[1:]) for r in departments}, {r[0]: tuple(r[1:]) for r in cadres}


def test_department_scores_ranks_and_grades_match_the_rulebook(crosscheck):
    expected, mart, _ = crosscheck
    mine = {d: (r.score, r.rank_in_class, r.grade, r.vetoed) for d, r in expected.departments.items()}
    # enough rows, with real scores, that agreement means something
    assert sum(1 for v in mine.values() if isinstance(v[0], Decimal)) >= 38, mine
    assert len({v[2] for v in mine.values()}) >= 3, "several department grades are exercised"
    assert any(v[3] for v in mine.values()), "the veto is exercised"
    diff = _differences(mine, mart, ("score", "rank_in_class", "grade", "vetoed"))
    assert not diff, _report("departments", diff, len(mine))


def test_cadre_scores_grades_and_reasons_match_the_rulebook(crosscheck):
    expected, _, mart = crosscheck
    mine = {c: (r.dept_code, r.individual_score, r.grade, r.grade_reason) for c, r in expected.cadres.items()}
    assert len(mine) >= 1000 and sum(1 for v in mine.values() if v[1] is not None) >= 1000
    reasons = {v[3] for v in mine.values()}
    assert {"dept_grade", "quota", "threshold"} <= reasons, reasons
    assert reasons & {"sanction", "unresponsive", "commendation"}, "some override is exercised"
    missing, extra = sorted(mine.keys() - mart.keys()), sorted(mart.keys() - mine.keys())
    assert not missing and not extra, f"cadres missing from the marts: {missing[:SHOW]}; only there: {extra[:SHOW]}"
    diff = _differences(mine, mart, ("dept_code", "individual_score", "grade", "grade_reason"))
    assert not diff, _report("cadres", diff, len(mine))
