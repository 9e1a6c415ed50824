"""Loading and validating against a real PostgreSQL, with real GX runs."""

from __future__ import annotations

import os
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
        return {
            (f, n): rule for f, n, rule in conn.execute("select file, row_number, rule from quarantine.rejected_rows")
        }


def test_each_rule_quarantines_exactly_its_row(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    run_day(landing, DAY1, warehouse_url)
    assert quarantined(warehouse_url) == {}, "the master data is clean"

    folder = landing / DAY2.isoformat()
    write_file(
        folder,
        "indicator_progress__D01.csv",
        "dept_code,indicator_code,as_of_date,cumulative_value,note\n"
        "D01,K1-01,2026-08-04,12,ok\n"  # 2 good
        ",K1-01,2026-08-04,12,\n"  # 3 missing_value
        "DX1,K1-01,2026-08-04,12,\n"  # 4 format (code)
        "D01,K1-01,2026-13-45,12,\n"  # 5 format (date pattern)
        "D01,K1-01,2026-02-30,12,\n"  # 6 format (no such day)
        'D01,K1-01,2026-08-04,"1,200",\n'  # 7 format (thousands separator)
        "D01,K1-01,2026-08-03,-5,\n"  # 8 out_of_range
        "D01,K1-01,2026-08-09,12,\n"  # 9 future_date
        "D02,K1-01,2026-08-04,12,\n"  # 10 sender_mismatch
        "D01,K9-99,2026-08-04,12,\n"  # 11 unknown_indicator
        "D01,S1-01,2026-08-04,12,\n"  # 12 good: S1-01 is assigned to D01
        "D01,K1-01,2026/8/2,11,\"=cmd|' /C calc'!A0\"\n",  # 13 good, formula text kept
    )
    write_file(
        folder,
        "indicator_progress__D02.csv",
        "dept_code,indicator_code,as_of_date,cumulative_value\n"
        "D02,G1-01,2026-08-04,1\n"  # 2 not_assigned
        "D02,K1-01,2026-08-04,3\nD02,K1-01,2026-08-04,4\n",
    )  # 3,4 duplicate_key
    write_file(
        folder,
        "bonus_penalty.csv",
        "event_id,dept_code,cadre_id,indicator_code,occurred_on,points,reason\n"
        "BP-1,D01,,G1-01,2026-08-01,-2,迟报\n"  # 2 good
        "BP-2,D01,,K1-01,2026-08-01,-1,\n"  # 3 not_deduction
        "BP-3,D01,C00001,,2026-08-01,1,\n"  # 4 head_event
        "BP-4,D02,C00011,,2026-08-01,1,\n"  # 5 dept_mismatch
        "BP-5,D01,,,2026-08-01,0,\n"  # 6 out_of_range (points 0)
        "BP-6,D09,,,2026-08-01,1,\n"  # 7 unknown_dept
        "BP-7,D01,C99999,,2026-08-01,1,\n"  # 8 unknown_cadre
        "BP-8,D01,,,2026-08-01,3,表彰\nBP-8,D01,,,2026-08-01,2,\n",
    )  # 9,10 duplicate_key
    write_file(
        folder,
        "supervision.csv",
        "event_id,event_type,dept_code,cadre_id,occurred_on\n"
        "SV-1,预警督办,D01,C00011,2026-08-02\n"  # 2 good (Chinese enum label)
        "SV-2,scolding,D01,,2026-08-02\n",
    )  # 3 unknown_value
    write_file(
        folder,
        "demolition_ledger__G01.csv",
        "household_id,zone_id,group_id,status,status_date\n"
        "H0000001,Z1,G01,surveyed,2026-08-01\n"  # 2 good
        "H0000001,Z1,G01,signed,2026-08-03\n"  # 3 good
        "H0000001,Z1,G01,已摸底,2026-08-04\n"  # 4 status_back
        "H0000002,Z2,G01,surveyed,2026-08-01\n"  # 5 zone_mismatch
        "H0000003,Z1,G01,signed,2026-08-02\n"  # 6 good
        "H0000003,Z2,G02,cleared,2026-08-03\n",
    )  # 7 sender_mismatch (sent by G01)
    write_file(
        folder,
        "demolition_ledger__G02.csv",
        "household_id,zone_id,group_id,status,status_date\nH0000003,Z2,G02,cleared,2026-08-04\n",
    )  # 2 group_change (H3 is G01's)
    write_file(
        folder,
        "indicator_assignments.csv",
        MASTER["indicator_assignments.csv"].replace("2026,D02,S1-01,10", "2026,D02,S1-01,9"),
    )  # D02 sums to 99: rows 5, 6 weights_sum
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
        message = conn.execute(
            "select message from quarantine.rejected_rows where file = 'bonus_penalty.csv' and row_number = 4"
        ).fetchone()[0]
        assert "C00001" in message and "head" in message
        note = conn.execute("select note from ingest.valid_indicator_progress where _row_number = 13").fetchone()[0]
        assert note == "=cmd|' /C calc'!A0"
        # read = loaded + quarantined for every file, as the ledger says
        for file, read, loaded, q in conn.execute(
            "select file, rows_read, rows_loaded, rows_quarantined from quarantine.file_loads where status = 'loaded'"
        ):
            assert read == loaded + q, file
        assert conn.execute(
            "select rows_read, rows_loaded, rows_quarantined from quarantine.file_loads"
            " where file = 'indicator_progress__D01.csv'"
        ).fetchone() == (12, 3, 9)


def test_rerun_changes_nothing_and_a_resubmission_replaces_its_key(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    run_day(landing, DAY1, warehouse_url)
    write_file(
        landing / DAY2.isoformat(),
        "indicator_progress__D01.csv",
        "dept_code,indicator_code,as_of_date,cumulative_value\nD01,K1-01,2026-08-04,12\n",
    )
    run_day(landing, DAY2, warehouse_url)

    def state():
        with connect(warehouse_url) as conn:
            return (
                conn.execute("select count(*) from quarantine.file_loads").fetchone(),
                conn.execute("select count(*) from raw.indicator_progress").fetchone(),
                conn.execute("select cumulative_value from ingest.valid_indicator_progress").fetchall(),
            )

    before = state()
    run_day(landing, DAY2, warehouse_url)  # same content again
    assert state() == before

    write_file(
        landing / DAY2.isoformat(),
        "indicator_progress__D01.csv",
        "dept_code,indicator_code,as_of_date,cumulative_value\nD01,K1-01,2026-08-04,15\n",
    )
    run_day(landing, DAY2, warehouse_url)
    with connect(warehouse_url) as conn:
        assert conn.execute("select cumulative_value from ingest.valid_indicator_progress").fetchall() == [(15,)]
        statuses = conn.execute(
            "select status from quarantine.file_loads where kind = 'indicator_progress' order by load_id"
        ).fetchall()
        assert statuses == [("superseded",), ("loaded",)]  # the old delivery stays in history
        assert conn.execute("select count(*) from raw.indicator_progress").fetchone() == (2,)


def test_a_rerun_of_a_folder_with_a_resend_loads_nothing_and_the_newest_file_keeps_winning(tmp_path, warehouse_url):
    """Two files of one key (date, kind, sender) in one folder — an original and a resend under another name:
    each differs from the key's last delivery (the other one), and reruns used to load both again every time.
    Loader only (the newest delivery wins by load id: validation supersedes the lower ones)."""
    folder = tmp_path / "landing" / DAY2.isoformat()
    header = "dept_code,indicator_code,as_of_date,cumulative_value\n"

    def deliver(name, value, mtime_s):
        path = write_file(folder, name, f"{header}D01,K1-01,2026-08-04,{value}\n")
        os.utime(path, ns=(mtime_s * 10**9, mtime_s * 10**9))

    def ledger():
        with connect(warehouse_url) as conn:
            return conn.execute("select file, checksum from quarantine.file_loads order by load_id").fetchall()

    seen: list = []

    def load():
        """The files this run added to the ledger, and each file's outcome."""
        outcomes = load_date(tmp_path / "landing", DAY2, warehouse_url)
        after = ledger()
        assert after[: len(seen)] == seen
        added, seen[:] = after[len(seen) :], after
        return [file for file, _ in added], {o.file: o.status for o in outcomes}

    original, resend = "indicator_progress__D01.csv", "Indicator_Progress__D01.csv"
    deliver(original, 12, 1_000)
    deliver(resend, 15, 2_000)
    assert load()[0] == [original, resend]  # oldest first: the resend wins
    for _ in range(2):
        assert load() == ([], {original: "unchanged", resend: "unchanged"})

    deliver(original, 13, 1_000)  # the original changed, still the older file: it loads, and the resend again
    assert load()[0] == [original, resend]
    assert load()[0] == []

    deliver(original, 14, 3_000)  # the original changed and is now the newest: it alone loads, and wins
    assert load()[0] == [original]
    assert load()[0] == []

    (folder / original).unlink()  # the resend is the folder's only file again: in force again
    assert load()[0] == [resend]
    assert load()[0] == []


def test_rejected_files_are_reported_and_the_rest_still_loads(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land_master(landing)
    folder = landing / DAY1.isoformat()
    write_file(folder, "cadres__x.csv", "")  # bad sender in the name
    write_file(folder, "budget_report__D03.csv", "a,b\n1,2\n")  # unknown kind
    write_file(folder, "commendations.csv", "cadre_id,quarter\n")  # header only
    (folder / "project_progress__D01.csv").write_bytes(b"\x00\x01binary\xff" * 20)
    run_day(landing, DAY1, warehouse_url)
    with connect(warehouse_url) as conn:
        rejected = dict(conn.execute("select file, split_part(reason, ':', 1) from quarantine.rejected_files"))
        loaded = conn.execute("select count(*) from ingest.valid_departments").fetchone()[0]
    assert rejected == {
        "cadres__x.csv": "bad_sender",
        "budget_report__D03.csv": "unknown_kind",
        "commendations.csv": "header_only",
        "project_progress__D01.csv": "not_text",
    }
    assert loaded == 3


# --- the rules the matrix above leaves out: not_monotonic, head_conflict, unknown_project/group/zone -------------

# Master data for projects and demolition, on top of MASTER (D01/D02 lead; G01 works zone Z1, G02 zone Z2).
PROJECT_AND_DEMOLITION_MASTER = {
    "projects.csv": "project_id,name,year,lead_dept_code,lead_cadre_id,planned_investment\n"
    "P101,高新大道改造,2026,D01,C00011,5000\nP102,创新园二期,2026,D02,C00012,3000\n",
    "project_milestones.csv": "project_id,month,planned_cumulative_pct\n"
    "P101,2026-07,10\nP101,2026-08,30\nP102,2026-08,20\n",
    "demolition_targets.csv": "group_id,month,target_signed,target_cleared\n"
    "G01,2026-07,10,5\nG01,2026-08,20,10\nG02,2026-08,5,2\n",
}


def master(*kinds: str) -> dict[str, str]:
    """Only the master files a test needs: every kind delivered costs two GX checkpoints."""
    files = MASTER | PROJECT_AND_DEMOLITION_MASTER
    return {f"{kind}.csv": files[f"{kind}.csv"] for kind in kinds}


def land(folder, files: dict[str, str]):
    for name, text in files.items():
        write_file(folder, name, text)


def rejected(url) -> dict[tuple[str, int], tuple[str, str]]:
    """(file, row) → (rule, message) of every quarantined row."""
    with connect(url) as conn:
        return {
            (f, n): (rule, message)
            for f, n, rule, message in conn.execute(
                "select file, row_number, rule, message from quarantine.rejected_rows"
            )
        }


def valid_rows(url, kind: str, *columns: str) -> set[tuple]:
    with connect(url) as conn:
        return set(conn.execute(f"select {', '.join(columns)} from ingest.valid_{kind}").fetchall())


def test_not_monotonic_quarantines_the_month_a_cumulative_plan_goes_down(tmp_path, warehouse_url):
    # One folder: master data of the same folder is in force for the rules (reference kinds validate first).
    folder = tmp_path / "landing" / DAY1.isoformat()
    land(
        folder,
        master("departments", "cadres", "indicators", "projects", "demolition_groups")
        | {
            "project_milestones.csv": "project_id,month,planned_cumulative_pct\n"
            "P101,2026-07,10\n"  # 2
            "P101,2026-08,30\n"  # 3
            "P101,2026-09,25\n"  # 4 not_monotonic: below August's 30
            "P101,2026-10,40\n"  # 5 good: above every earlier month
            "P102,2026-08,20\n"  # 6 good: another project is judged on its own
            "P102,2026-09,20\n",  # 7 good: flat is not a decrease
            "demolition_targets.csv": "group_id,month,target_signed,target_cleared\n"
            "G01,2026-07,10,5\n"  # 2
            "G01,2026-08,8,6\n"  # 3 not_monotonic (target_signed 8 < 10)
            "G01,2026-09,12,4\n"  # 4 not_monotonic (target_cleared 4 < 6)
            "G02,2026-08,5,2\n",  # 5 good
            "indicator_assignments.csv": "year,dept_code,indicator_code,weight,q1_target,q2_target,q3_target,q4_target\n"
            "2026,D01,K1-01,80,10,20,15,40\n"  # 2 not_monotonic: q3 < q2 (ratio, submission)
            "2026,D01,G1-01,10,5,4,3,2\n"  # 3 good: deduction targets are ignored
            "2026,D01,S1-01,10,,,,\n"  # 4 good
            "2026,D02,K1-01,90,5,,15,20\n"  # 5 missing_value: a blank target is no decrease
            "2026,D02,S1-01,10,,,,\n",  # 6 good
        },
    )
    run_day(tmp_path / "landing", DAY1, warehouse_url)

    got = rejected(warehouse_url)
    assert {key: rule for key, (rule, _) in got.items()} == {
        ("project_milestones.csv", 4): "not_monotonic",
        ("demolition_targets.csv", 3): "not_monotonic",
        ("demolition_targets.csv", 4): "not_monotonic",
        ("indicator_assignments.csv", 2): "not_monotonic",
        ("indicator_assignments.csv", 5): "missing_value",
    }
    # the message names the column, the value and the month, so the clerk knows which cell to fix
    assert got[("project_milestones.csv", 4)][1] == (
        "Row 4: planned_cumulative_pct 25 for 2026-09 is below an earlier month of the same project"
        " (cumulative values must not decrease)"
    )
    assert "target_signed 8 for 2026-08" in got[("demolition_targets.csv", 3)][1]
    assert "target_cleared 4 for 2026-09" in got[("demolition_targets.csv", 4)][1]
    assert "must not decrease (q1 ≤ q2 ≤ q3 ≤ q4): 10 / 20 / 15 / 40" in got[("indicator_assignments.csv", 2)][1]

    assert valid_rows(warehouse_url, "project_milestones", "project_id", "month") == {
        ("P101", "2026-07"),
        ("P101", "2026-08"),
        ("P101", "2026-10"),
        ("P102", "2026-08"),
        ("P102", "2026-09"),
    }
    assert valid_rows(warehouse_url, "demolition_targets", "group_id", "month") == {
        ("G01", "2026-07"),
        ("G02", "2026-08"),
    }
    assert valid_rows(warehouse_url, "indicator_assignments", "dept_code", "indicator_code") == {
        ("D01", "G1-01"),
        ("D01", "S1-01"),
        ("D02", "S1-01"),
    }


def test_head_conflict_sets_a_departments_roster_aside_and_keeps_the_previous_one(tmp_path, warehouse_url):
    landing = tmp_path / "landing"
    land(landing / DAY1.isoformat(), master("departments", "cadres"))
    run_day(landing, DAY1, warehouse_url)

    land(
        landing / DAY2.isoformat(),
        {
            "cadres.csv": "cadre_id,name,dept_code,role,quarterly_base_pay,active\n"
            "C00001,赵阳彩,D01,head,12000,true\n"  # 2 head_conflict: D01 has two active heads
            "C00011,李明,D01,主要负责人,8000.50,true\n"  # 3 head_conflict
            "C00002,鄢中刚,D02,deputy,11000,是\n"  # 4 head_conflict: departments names C00002,
            "C00012,张伟,D02,head,9000,true\n"  # 5 head_conflict  the roster makes C00012 head
            "C00003,王芳,D03,head,10000,1\n"  # 6 good
            "C00013,刘洋,D03,head,9500,false\n",  # 7 good: an inactive head is no second head
            # D01's staff member C00011 of the previous roster stays valid for events of the day
            "bonus_penalty.csv": "event_id,dept_code,cadre_id,indicator_code,occurred_on,points,reason\n"
            "BP-1,D01,C00011,,2026-08-04,1,表彰\n",
        },
    )
    run_day(landing, DAY2, warehouse_url)

    got = rejected(warehouse_url)
    assert {key: rule for key, (rule, _) in got.items()} == {("cadres.csv", n): "head_conflict" for n in (2, 3, 4, 5)}
    two_heads, wrong_head = got[("cadres.csv", 2)][1], got[("cadres.csv", 5)][1]
    assert "D01" in two_heads and "2 active heads" in two_heads and "C00001" in two_heads and "C00011" in two_heads
    assert "D02" in wrong_head and "C00012" in wrong_head and "C00002" in wrong_head
    assert "previous" in two_heads  # the clerk learns the old roster still counts

    with connect(warehouse_url) as conn:
        day2 = set(conn.execute("select cadre_id from ingest.valid_cadres where _business_date = %s", (DAY2,)))
        events = conn.execute("select event_id from ingest.valid_bonus_penalty").fetchall()
    assert day2 == {("C00003",), ("C00013",)}  # D03's roster loads
    assert events == [("BP-1",)]  # judged by D01's previous roster (C00011 staff of D01), not unknown_cadre


def test_unknown_project_is_quarantined_in_plans_and_progress(tmp_path, warehouse_url):
    folder = tmp_path / "landing" / DAY1.isoformat()
    land(
        folder,
        master("departments", "cadres", "projects")
        | {
            "project_milestones.csv": "project_id,month,planned_cumulative_pct\n"
            "P101,2026-08,30\n"  # 2 good
            "P999,2026-08,30\n",  # 3 unknown_project
            "project_progress__D01.csv": "project_id,as_of_date,cumulative_pct,cumulative_investment\n"
            "P101,2026-08-03,35,1200\n"  # 2 good
            "p0999,2026-08-03,10,100\n",  # 3 unknown_project (P0999 is not P999 either)
        },
    )
    run_day(tmp_path / "landing", DAY1, warehouse_url)

    got = rejected(warehouse_url)
    assert {key: rule for key, (rule, _) in got.items()} == {
        ("project_milestones.csv", 3): "unknown_project",
        ("project_progress__D01.csv", 3): "unknown_project",
    }
    assert got[("project_progress__D01.csv", 3)][1] == (
        "Row 3: 项目编号 (project_id) 'p0999' is not a known project in the master data in force on 2026-08-03"
    )
    assert valid_rows(warehouse_url, "project_milestones", "project_id") == {("P101",)}
    assert valid_rows(warehouse_url, "project_progress", "project_id") == {("P101",)}


def test_unknown_group_is_quarantined_in_targets_and_the_ledger(tmp_path, warehouse_url):
    folder = tmp_path / "landing" / DAY1.isoformat()
    land(
        folder,
        master("departments", "cadres", "demolition_groups")
        | {
            "demolition_targets.csv": "group_id,month,target_signed,target_cleared\n"
            "G01,2026-08,20,10\n"  # 2 good
            "G09,2026-08,20,10\n",  # 3 unknown_group
            "demolition_ledger__G09.csv": "household_id,zone_id,group_id,status,status_date\n"
            "H0000009,Z1,G09,surveyed,2026-08-01\n",  # 2 unknown_group (sender matches)
            "demolition_ledger__G01.csv": "household_id,zone_id,group_id,status,status_date\n"
            "H0000001,Z1,G01,surveyed,2026-08-01\n",  # 2 good
        },
    )
    run_day(tmp_path / "landing", DAY1, warehouse_url)

    got = rejected(warehouse_url)
    assert {key: rule for key, (rule, _) in got.items()} == {
        ("demolition_targets.csv", 3): "unknown_group",
        ("demolition_ledger__G09.csv", 2): "unknown_group",
    }
    assert got[("demolition_ledger__G09.csv", 2)][1] == (
        "Row 2: 工作组编号 (group_id) 'G09' is not a known work group in the master data in force on 2026-08-03"
    )
    assert valid_rows(warehouse_url, "demolition_targets", "group_id") == {("G01",)}
    assert valid_rows(warehouse_url, "demolition_ledger", "household_id") == {("H0000001",)}


def test_unknown_zone_is_quarantined_before_the_zone_mismatch_rule(tmp_path, warehouse_url):
    folder = tmp_path / "landing" / DAY1.isoformat()
    land(
        folder,
        master("departments", "cadres", "demolition_groups")
        | {
            "demolition_ledger__G01.csv": "household_id,zone_id,group_id,status,status_date\n"
            "H0000001,Z1,G01,surveyed,2026-08-01\n"  # 2 good
            "H0000002,Z9,G01,surveyed,2026-08-01\n"  # 3 unknown_zone (not zone_mismatch)
            "H0000003,z2,G01,surveyed,2026-08-01\n",  # 4 zone_mismatch: Z2 exists, is G02's
        },
    )
    run_day(tmp_path / "landing", DAY1, warehouse_url)

    got = rejected(warehouse_url)
    assert {key: rule for key, (rule, _) in got.items()} == {
        ("demolition_ledger__G01.csv", 3): "unknown_zone",
        ("demolition_ledger__G01.csv", 4): "zone_mismatch",
    }
    assert got[("demolition_ledger__G01.csv", 3)][1] == (
        "Row 3: 片区编号 (zone_id) 'Z9' is not a known zone in the master data in force on 2026-08-03"
    )
    assert valid_rows(warehouse_url, "demolition_ledger", "household_id") == {("H0000001",)}
