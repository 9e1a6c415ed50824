"""Loading and validating against a real PostgreSQL, with real GX runs."""

from __future__ import annotations

from datetime import date

import pytest

from kaohe.loader import load_date
from kaohe.validation.runner import validate_date
from kaohe.warehouse import connect
from tests.conftest import write_file

pytestmark = pytest.mark.integration

DAY1, DAY2 = date(2026, 8, 3), date(2026, 8, 4)

MASTER = {
    "departments.csv": "dept_code,dept_name,dept_class,head_cadre_id\n"
                       "D01,招商局,economic,C00001\nD02,飞地办,经济发展类,C00002\nD03,社区管理局,agri,C00003\n",
    "cadres.csv": "cadre_id,name,dept_code,role,quarterly_base_pay,active\n"
                  "C00001,赵阳彩,D01,head,12000,true\nC00002,鄢中刚,D02,head,11000,是\nC00003,王芳,D03,head,10000,1\n"
                  "C00011,李明,D01,staff,8000.50,true\nC00012,张伟,D02,deputy,9000,true\n",
    "indicators.csv": "indicator_code,name,category,level1,level2,scoring,source,unit\n"
                      "K1-01,招商引资到位资金,key,经济发展,招商引资,ratio,submission,万元\n"
                      "G1-01,基层党建,common,基层党建,组织建设,deduction,,分\n"
                      "S1-01,主观评价,subjective,主观评价,测评,evaluation,,分\n",
    "indicator_assignments.csv": "year,dept_code,indicator_code,weight,q1_target,q2_target,q3_target,q4_target\n"
                                 "2026,D01,K1-01,80,10,20,30,40\n2026,D01,G1-01,10,,,,\n2026,D01,S1-01,10,,,,\n"
                                 "2026,D02,K1-01,90,5,10,15,20\n2026,D02,S1-01,10,,,,\n",
    "demolition_groups.csv": "group_id,zone_id,zone_name,leader_cadre_id,dept_code\nG01,Z1,张岭村,C00011,D01\nG02,Z2,五里村,C00012,D02\n",
}


def land_master(landing):
    for name, text in MASTER.items():
        write_file(landing / DAY1.isoformat(), name, text)


def run_day(landing, day, url):
    load_date(landing, day, url)
    return validate_date(day, url)


def quarantined(url):
    with connect(url) as conn:
        return {(f, n): rule for f, n, rule in conn.execute("select file, row_number, rule from quarantine.rejected_rows")}


def test_each_rule_quarantines_exactly_its_row(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    run_day(landing, DAY1, warehouse_url)
    assert quarantined(warehouse_url) == {}, "the master data is clean"

    folder = landing / DAY2.isoformat()
    write_file(folder, "indicator_progress__D01.csv",
               "dept_code,indicator_code,as_of_date,cumulative_value,note\n"
               "D01,K1-01,2026-08-04,12,ok\n"            # 2 good
               ",K1-01,2026-08-04,12,\n"                 # 3 missing_value
               "DX1,K1-01,2026-08-04,12,\n"              # 4 format (code)
               "D01,K1-01,2026-13-45,12,\n"              # 5 format (date pattern)
               "D01,K1-01,2026-02-30,12,\n"              # 6 format (no such day)
               "D01,K1-01,2026-08-04,\"1,200\",\n"       # 7 format (thousands separator)
               "D01,K1-01,2026-08-03,-5,\n"              # 8 out_of_range
               "D01,K1-01,2026-08-09,12,\n"              # 9 future_date
               "D02,K1-01,2026-08-04,12,\n"              # 10 sender_mismatch
               "D01,K9-99,2026-08-04,12,\n"              # 11 unknown_indicator
               "D01,S1-01,2026-08-04,12,\n"              # 12 good: S1-01 is assigned to D01
               "D01,K1-01,2026/8/2,11,\"=cmd|' /C calc'!A0\"\n"  # 13 good, formula text kept
               )
    write_file(folder, "indicator_progress__D02.csv",
               "dept_code,indicator_code,as_of_date,cumulative_value\n"
               "D02,G1-01,2026-08-04,1\n"                # 2 not_assigned
               "D02,K1-01,2026-08-04,3\nD02,K1-01,2026-08-04,4\n")  # 3,4 duplicate_key
    write_file(folder, "bonus_penalty.csv",
               "event_id,dept_code,cadre_id,indicator_code,occurred_on,points,reason\n"
               "BP-1,D01,,G1-01,2026-08-01,-2,迟报\n"     # 2 good
               "BP-2,D01,,K1-01,2026-08-01,-1,\n"        # 3 not_deduction
               "BP-3,D01,C00001,,2026-08-01,1,\n"        # 4 head_event
               "BP-4,D02,C00011,,2026-08-01,1,\n"        # 5 dept_mismatch
               "BP-5,D01,,,2026-08-01,0,\n"              # 6 out_of_range (points 0)
               "BP-6,D09,,,2026-08-01,1,\n"              # 7 unknown_dept
               "BP-7,D01,C99999,,2026-08-01,1,\n"        # 8 unknown_cadre
               "BP-8,D01,,,2026-08-01,3,表彰\nBP-8,D01,,,2026-08-01,2,\n")  # 9,10 duplicate_key
    write_file(folder, "supervision.csv",
               "event_id,event_type,dept_code,cadre_id,occurred_on\n"
               "SV-1,预警督办,D01,C00011,2026-08-02\n"    # 2 good (Chinese enum label)
               "SV-2,scolding,D01,,2026-08-02\n")        # 3 unknown_value
    write_file(folder, "demolition_ledger__G01.csv",
               "household_id,zone_id,group_id,status,status_date\n"
               "H0000001,Z1,G01,surveyed,2026-08-01\n"   # 2 good
               "H0000001,Z1,G01,signed,2026-08-03\n"     # 3 good
               "H0000001,Z1,G01,已摸底,2026-08-04\n"      # 4 status_back
               "H0000002,Z2,G01,surveyed,2026-08-01\n"   # 5 zone_mismatch
               "H0000003,Z1,G01,signed,2026-08-02\n"     # 6 good
               "H0000003,Z2,G02,cleared,2026-08-03\n")   # 7 sender_mismatch (sent by G01)
    write_file(folder, "demolition_ledger__G02.csv",
               "household_id,zone_id,group_id,status,status_date\n"
               "H0000003,Z2,G02,cleared,2026-08-04\n")   # 2 group_change (H3 is G01's)
    write_file(folder, "indicator_assignments.csv", MASTER["indicator_assignments.csv"].replace(
        "2026,D02,S1-01,10", "2026,D02,S1-01,9"))      # D02 sums to 99: rows 5, 6 weights_sum
    run_day(landing, DAY2, warehouse_url)

    assert quarantined(warehouse_url) == {
        ("indicator_progress__D01.csv", 3): "missing_value",
        ("indicator_progress__D01.csv", 4): "format",
        ("indicator_progress__D01.csv", 5): "format",
        ("indicator_progress__D01.csv", 6): "format",
        ("indicator_progress__D01.csv", 7): "format",
        ("indicator_progress__D01.csv", 8): "out_of_range",
        ("indicator_progress__D01.csv", 9): "future_date",
        ("indicator_progress__D01.csv", 10): "sender_mismatch",
        ("indicator_progress__D01.csv", 11): "unknown_indicator",
        ("indicator_progress__D02.csv", 2): "not_assigned",
        ("indicator_progress__D02.csv", 3): "duplicate_key",
        ("indicator_progress__D02.csv", 4): "duplicate_key",
        ("bonus_penalty.csv", 3): "not_deduction",
        ("bonus_penalty.csv", 4): "head_event",
        ("bonus_penalty.csv", 5): "dept_mismatch",
        ("bonus_penalty.csv", 6): "out_of_range",
        ("bonus_penalty.csv", 7): "unknown_dept",
        ("bonus_penalty.csv", 8): "unknown_cadre",
        ("bonus_penalty.csv", 9): "duplicate_key",
        ("bonus_penalty.csv", 10): "duplicate_key",
        ("supervision.csv", 3): "unknown_value",
        ("demolition_ledger__G01.csv", 4): "status_back",
        ("demolition_ledger__G01.csv", 5): "zone_mismatch",
        ("demolition_ledger__G01.csv", 7): "sender_mismatch",
        ("demolition_ledger__G02.csv", 2): "group_change",
        ("indicator_assignments.csv", 5): "weights_sum",
        ("indicator_assignments.csv", 6): "weights_sum",
    }
    with connect(warehouse_url) as conn:
        message = conn.execute("select message from quarantine.rejected_rows where file = 'bonus_penalty.csv'"
                               " and row_number = 4").fetchone()[0]
        assert "C00001" in message and "head" in message
        note = conn.execute("select note from ingest.valid_indicator_progress where _row_number = 13").fetchone()[0]
        assert note == "=cmd|' /C calc'!A0"
        # read = loaded + quarantined for every file, as the ledger says
        for file, read, loaded, q in conn.execute(
                "select file, rows_read, rows_loaded, rows_quarantined from quarantine.file_loads where status = 'loaded'"):
            assert read == loaded + q, file
        assert conn.execute("select rows_read, rows_loaded, rows_quarantined from quarantine.file_loads"
                            " where file = 'indicator_progress__D01.csv'").fetchone() == (12, 3, 9)


def test_rerun_changes_nothing_and_a_resubmission_replaces_its_key(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    run_day(landing, DAY1, warehouse_url)
    write_file(landing / DAY2.isoformat(), "indicator_progress__D01.csv",
               "dept_code,indicator_code,as_of_date,cumulative_value\nD01,K1-01,2026-08-04,12\n")
    run_day(landing, DAY2, warehouse_url)

    def state():
        with connect(warehouse_url) as conn:
            return (conn.execute("select count(*) from quarantine.file_loads").fetchone(),
                    conn.execute("select count(*) from raw.indicator_progress").fetchone(),
                    conn.execute("select cumulative_value from ingest.valid_indicator_progress").fetchall())

    before = state()
    run_day(landing, DAY2, warehouse_url)  # same content again
    assert state() == before

    write_file(landing / DAY2.isoformat(), "indicator_progress__D01.csv",
               "dept_code,indicator_code,as_of_date,cumulative_value\nD01,K1-01,2026-08-04,15\n")
    run_day(landing, DAY2, warehouse_url)
    with connect(warehouse_url) as conn:
        assert conn.execute("select cumulative_value from ingest.valid_indicator_progress").fetchall() == [(15,)]
        statuses = conn.execute("select status from quarantine.file_loads where kind = 'indicator_progress'"
                                " order by load_id").fetchall()
        assert statuses == [("superseded",), ("loaded",)]  # the old delivery stays in history
        assert conn.execute("select count(*) from raw.indicator_progress").fetchone() == (2,)


def test_rejected_files_are_reported_and_the_rest_still_loads(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    folder = landing / DAY1.isoformat()
    write_file(folder, "cadres__x.csv", "")                         # bad sender in the name
    write_file(folder, "budget_report__D03.csv", "a,b\n1,2\n")      # unknown kind
    write_file(folder, "commendations.csv", "cadre_id,quarter\n")   # header only
    (folder / "project_progress__D01.csv").write_bytes(b"\x00\x01binary\xff" * 20)
    run_day(landing, DAY1, warehouse_url)
    with connect(warehouse_url) as conn:
        rejected = dict(conn.execute("select file, split_part(reason, ':', 1) from quarantine.rejected_files"))
        loaded = conn.execute("select count(*) from ingest.valid_departments").fetchone()[0]
    assert rejected == {"cadres__x.csv": "bad_sender", "budget_report__D03.csv": "unknown_kind",
                        "commendations.csv": "header_only", "project_progress__D01.csv": "not_text"}
    assert loaded == 3
