"""The dbt marts against an independent plain-Python computation of the rulebook (tests/crosscheck/rulebook.py),
on the generated district run through the real DAG (fixture `district`, read only).

Exact comparison (Decimal equality) for 2026Q3, whose last day the run covers: every department's score,
rank_in_class, grade and veto; every assessed cadre's department, individual_score, grade and grade_reason.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from kaohe.warehouse import connect

from tests.crosscheck.compare import CADRE_FIELDS, DEPT_FIELDS, SHOW, differences, mart_rows, report, rulebook_rows
from tests.crosscheck.rulebook import compute_quarter, load_inputs

pytestmark = pytest.mark.integration

QUARTER = "2026Q3"


@pytest.fixture(scope="module")
def crosscheck(district):
    """(rulebook departments, rulebook cadres, mart departments, mart cadres) for QUARTER; only reads."""
    _, url, _ = district
    with connect(url) as conn:
        expected = rulebook_rows(compute_quarter(load_inputs(conn), QUARTER))
        actual = mart_rows(conn, QUARTER)
    return *expected, *actual


def test_department_scores_ranks_and_grades_match_the_rulebook(crosscheck):
    mine, _, mart, _ = crosscheck
    # enough rows, with real scores, that agreement means something
    assert sum(1 for v in mine.values() if isinstance(v[0], Decimal)) >= 38, mine
    assert len({v[2] for v in mine.values()}) >= 3, "several department grades are exercised"
    assert any(v[3] for v in mine.values()), "the veto is exercised"
    diff = differences(mine, mart, DEPT_FIELDS)
    assert not diff, report("departments", diff, len(mine))


def test_cadre_scores_grades_and_reasons_match_the_rulebook(crosscheck):
    _, mine, _, mart = crosscheck
    assert len(mine) >= 1000 and sum(1 for v in mine.values() if v[1] is not None) >= 1000
    reasons = {v[3] for v in mine.values()}
    assert {"dept_grade", "quota", "threshold"} <= reasons, reasons
    assert reasons & {"sanction", "unresponsive", "commendation"}, "some override is exercised"
    missing, extra = sorted(mine.keys() - mart.keys()), sorted(mart.keys() - mine.keys())
    assert not missing and not extra, f"cadres missing from the marts: {missing[:SHOW]}; only there: {extra[:SHOW]}"
    diff = differences(mine, mart, CADRE_FIELDS)
    assert not diff, report("cadres", diff, len(mine))
