"""The marts' own data tests catch what they are written for (a test that cannot fail is a defect)."""

import psycopg
import pytest

from kaohe.transform import data_test

pytestmark = pytest.mark.integration


def test_the_lineage_tests_fail_when_a_score_and_its_rows_disagree(district_copy):
    _, url = district_copy
    assert data_test("score_lineage", url).success  # as built: every score's rows add up to it

    with psycopg.connect(url) as conn:
        for side in ("cadre_id is null", "cadre_id is not null"):  # one department row, one individual row
            conn.execute(f"update marts.score_lineage set points = points + 0.01 where ctid ="
                         f" (select ctid from marts.score_lineage where {side} and points <> 0 limit 1)")

    result = data_test("score_lineage", url)
    assert not result.success
    failed = sorted(f.split(":", 1)[0].split(".")[2] for f in result.failures)
    assert failed == ["score_lineage_adds_up_to_dept_scores", "score_lineage_adds_up_to_individual_scores"]


def test_a_staged_key_twice_in_one_delivery_fails_the_staging_key_test(district_copy):
    _, url = district_copy
    assert data_test("stg_ingest__cadres stg_ingest__bonus_penalty", url).success  # as built: every key once

    with psycopg.connect(url) as conn:
        for model in ("stg_ingest__cadres", "stg_ingest__bonus_penalty"):  # a reference kind, a daily kind
            conn.execute(f"insert into staging.{model} select * from staging.{model} limit 1")

    result = data_test("stg_ingest__cadres stg_ingest__bonus_penalty", url)
    assert not result.success
    failed = sorted(f.split(":", 1)[0].split(".")[2] for f in result.failures)
    assert failed == ["unique_combination_stg_ingest__bonus_penalty_event_id__load_id",
                      "unique_combination_stg_ingest__cadres_cadre_id__snapshot_date"]
