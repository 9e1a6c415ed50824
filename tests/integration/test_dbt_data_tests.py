"""The marts' own data tests catch what they are written for (a test that cannot fail is a defect)."""

from datetime import date

import psycopg
import pytest
from kaohe.transform import data_test

pytestmark = pytest.mark.integration


def test_the_lineage_tests_fail_when_a_score_and_its_rows_disagree(district_copy):
    _, url = district_copy
    assert data_test("score_lineage", url).success  # as built: every score's rows add up to it

    with psycopg.connect(url) as conn:
        for side in ("cadre_id is null", "cadre_id is not null"):  # one department row, one individual row
            conn.execute(
                f"update marts.score_lineage set points = points + 0.01 where ctid ="
                f" (select ctid from marts.score_lineage where {side} and points <> 0 limit 1)"
            )

    result = data_test("score_lineage", url)
    assert not result.success
    failed = sorted(f.split(":", 1)[0].split(".")[2] for f in result.failures)
    assert failed == ["score_lineage_adds_up_to_dept_scores", "score_lineage_adds_up_to_individual_scores"]


# Every period mart of the district (run 2026-09-29 .. 2026-10-01): its period column, the periods that are
# final (their last day has been run) and those in progress. as_of_date is the build's business date, except in
# the month marts that carried a month as-of date before (the month's last day, or the date while in progress).
PERIOD_MARTS = [
    ("dept_quarter_scores", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("cadre_quarter_grades", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("cadre_grade_distribution", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("score_lineage", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("grade_decisions", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("dept_month_scores", "month", {"2026-09"}, {"2026-10"}, True),
    ("dept_period_scores", "period", set(), {"2026H2", "2026"}, True),
    ("cadre_annual_results", "year::text", set(), {"2026"}, True),
    ("demolition_group_quarters", "quarter", {"2026Q3"}, {"2026Q4"}, True),
    ("demolition_group_months", "month", {"2026-09"}, {"2026-10"}, False),
    ("demolition_zone_months", "month", {"2026-09"}, {"2026-10"}, False),
    ("demolition_funnel", "month", {"2026-09"}, {"2026-10"}, False),
    ("key_project_status", "month", {"2026-09"}, {"2026-10"}, False),
]


def test_every_period_mart_says_whether_its_period_is_final(district_copy):
    _, url = district_copy
    with psycopg.connect(url) as conn:
        for mart, period, final, open_, as_of_is_build_date in PERIOD_MARTS:
            rows = conn.execute(f"select distinct {period}, as_of_date, is_final from marts.{mart}").fetchall()
            status = {p: is_final for p, _, is_final in rows}
            assert len(status) == len(rows), f"{mart}: one as-of date and status per period: {rows}"
            assert final <= {p for p, f in status.items() if f} and open_ <= {p for p, f in status.items() if not f}, (
                mart,
                status,
            )
            if as_of_is_build_date:
                assert {as_of for _, as_of, _ in rows} == {date(2026, 10, 1)}, mart
            else:  # the month in progress is as of the business date
                assert {as_of for p, as_of, f in rows if not f} == {date(2026, 10, 1)}, mart

    # the contract's test catches a row that calls an open quarter final, or a wrong as-of date
    assert data_test("dept_quarter_scores", url).success
    with psycopg.connect(url) as conn:
        conn.execute(
            "update marts.dept_quarter_scores set is_final = true where ctid ="
            " (select ctid from marts.dept_quarter_scores where quarter = '2026Q4' limit 1)"
        )
        conn.execute(
            "update marts.cadre_quarter_grades set as_of_date = date '2026-09-30' where ctid ="
            " (select ctid from marts.cadre_quarter_grades where quarter = '2026Q3' limit 1)"
        )
    result = data_test("dept_quarter_scores cadre_quarter_grades", url)
    failed = sorted(f.split(":", 1)[0].split(".")[2] for f in result.failures)
    assert len(failed) == 2 and all(name.startswith("period_status_") for name in failed), failed


def test_a_staged_key_twice_in_one_delivery_fails_the_staging_key_test(district_copy):
    _, url = district_copy
    assert data_test("stg_ingest__cadres stg_ingest__bonus_penalty", url).success  # as built: every key once

    with psycopg.connect(url) as conn:
        for model in ("stg_ingest__cadres", "stg_ingest__bonus_penalty"):  # a reference kind, a daily kind
            conn.execute(f"insert into staging.{model} select * from staging.{model} limit 1")

    result = data_test("stg_ingest__cadres stg_ingest__bonus_penalty", url)
    assert not result.success
    failed = sorted(f.split(":", 1)[0].split(".")[2] for f in result.failures)
    assert failed == [
        "unique_combination_stg_ingest__bonus_penalty_event_id__load_id",
        "unique_combination_stg_ingest__cadres_cadre_id__snapshot_date",
    ]


def test_the_code_checks_a_daily_build_skips_pass_on_the_district(district_copy):
    """The data tests tagged code_invariant (period status, staging keys) are left out of a daily build
    (kaohe.transform.CODE_CHECKS): here they run, all of them, over the district as built."""
    _, url = district_copy
    result = data_test("tag:code_invariant", url)
    assert result.success, result.failures[:5]
    assert result.nodes >= 60  # 13 period marts + the 47 generated staging key tests
