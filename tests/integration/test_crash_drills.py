"""A kill at any moment leaves nothing half-done (issue 13, item 5).

For every stage of a new date's run — load, validation, dbt build, payroll drafts — and for `kaohe publish`:
start the real process, wait (in pg_stat_activity) until it is inside that stage's work, SIGKILL its
process group, run it again, and compare the warehouse with an uninterrupted run (marts, payroll,
quarantine with the file ledger, ops, every raw row; ids and timestamps aside). The uninterrupted run of
the new date is the suite's shared `next_day` reference (the backup drill compares with it too).

To hit the inside of a short step (a COPY, the drafts' rewrite, a publication) rather than whatever a
clock happens to land on, the test holds an ordinary lock that the step's next statement needs: the step
stops there, the test sees it waiting on that statement, and kills the process while its transaction is
open. The lock is released after the kill; the server then finds the client gone and rolls back.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import pytest
from kaohe.warehouse import connect

from .conftest import NEXT_DAY, kaohe, kaohe_process
from .warehouse_state import kill_group, wait_for_no_sessions, wait_until
from .warehouse_tables import OUTPUT_SCHEMAS, differences, table_rows

pytestmark = pytest.mark.integration

NEW_DAY = NEXT_DAY.isoformat()  # the day after the district's last date
QUARTER = "2026Q3"
WAITS = "wait_event_type = 'Lock' and query ilike %s"


@dataclass(frozen=True)
class Drill:
    hold: str  # the statement whose lock stops the step (run in the test's transaction)
    kill_at: str  # the step's statement (ilike pattern) that waits for it: the process is killed there
    # take the hold only once the writer lock's connection names this step (application_name ilike): the
    # step has begun (the lock connection lives the whole step, so no fast query can slip past the poll)
    hold_after: str | None = None


RUN_DRILLS = {
    # the first batch of files: ledger rows written, COPY under way, nothing committed
    "load": Drill("lock table raw.indicator_progress in share mode", 'copy raw."indicator_progress"%'),
    # a kind's failing rows quarantined (committed), its ledger rows not yet finalised
    "validation": Drill(
        "lock table quarantine.file_loads in share mode", "update quarantine.file_loads%", hold_after="kaohe validate %"
    ),
    # dbt between creating a mart's new table and swapping it in (other marts already rebuilt)
    "dbt build": Drill("select 1 from marts.dept_quarter_scores limit 1", "%dept_quarter_scores%rename to%"),
    # the drafts' rewrite: the date recorded in payroll.run_dates, the old drafts being deleted
    "payroll drafts": Drill(
        "select 1 from payroll.quarterly_adjustments where status = 'draft' limit 1 for update",
        "delete from payroll.quarterly_adjustments%",
    ),
}
PUBLISH_DRILLS = {
    # the version's rows marked published, its publications row being written
    "publish": Drill("lock table payroll.publications in share mode", "insert into payroll.publications%"),
    # the version committed, cadre_annual_results (which reads it) being rebuilt
    "publish, annual results": Drill(
        "select 1 from marts.cadre_annual_results limit 1", "%cadre_annual_results%rename to%"
    ),
}


@pytest.fixture(scope="module")
def expected(next_day):
    """The warehouse after an uninterrupted run of the next date (the suite's shared reference)."""
    return table_rows(next_day[1], OUTPUT_SCHEMAS)


@pytest.fixture(scope="module")
def published(published_district):
    """The warehouse after an uninterrupted `kaohe publish` of the district's finished quarter (shared)."""
    return table_rows(published_district[1], OUTPUT_SCHEMAS)


def kill_inside(drill: Drill, url: str, *args: str, **env) -> None:
    """Start `kaohe <args>`, SIGKILL its process group while it waits inside the drill's statement."""
    hold = psycopg.connect(url)  # a transaction of its own: the hold lasts until the rollback
    try:
        if drill.hold_after is None:
            hold.execute(drill.hold)
        process = kaohe_process(*args, url=url, **env)
        try:
            if drill.hold_after is not None:
                wait_until(url, "application_name ilike %s", (drill.hold_after,), process=process)
                hold.execute(drill.hold)
            wait_until(url, WAITS, (drill.kill_at,), process=process)
        finally:
            kill_group(process)
    finally:
        hold.rollback()
        hold.close()
    wait_for_no_sessions(url)


def ledger_is_whole(url: str) -> None:
    """What a kill may leave: deliveries loaded whole (pending or validated), never part of a file."""
    with connect(url) as conn:
        for kind, file, read, status in conn.execute(
            "select kind, file, rows_read, status from quarantine.file_loads where business_date = %s"
            " and status <> 'rejected'",
            (NEW_DAY,),
        ).fetchall():
            (in_raw,) = conn.execute(
                f"select count(*) from raw.{kind} r join quarantine.file_loads f"
                " on f.load_id = r._load_id where f.business_date = %s and f.file = %s",
                (NEW_DAY, file),
            ).fetchone()
            assert in_raw == read, (file, status, read, in_raw)


@pytest.mark.parametrize("stage", list(RUN_DRILLS))
def test_a_run_killed_inside_a_stage_then_rerun_equals_an_uninterrupted_run(
    stage, next_day, expected, district_copy, tmp_path
):
    landing, _ = next_day
    _, url = district_copy
    args = ("run", "--landing", str(landing), "--from", NEW_DAY)
    kill_inside(RUN_DRILLS[stage], url, *args, KAOHE_REPORTS=str(tmp_path))
    ledger_is_whole(url)
    again = kaohe(*args, url=url, KAOHE_REPORTS=str(tmp_path))
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert differences(table_rows(url, OUTPUT_SCHEMAS), expected) == []


@pytest.mark.parametrize("stage", list(PUBLISH_DRILLS))
def test_a_publish_killed_midway_then_rerun_equals_an_uninterrupted_publish(stage, published, district_copy):
    _, url = district_copy
    kill_inside(PUBLISH_DRILLS[stage], url, "publish", "--quarter", QUARTER)
    with connect(url) as conn:
        versions = conn.execute("select quarter, version, rows from payroll.publications").fetchall()
        marked = conn.execute(
            "select version, count(*) from payroll.quarterly_adjustments where status = 'published' group by 1"
        ).fetchall()
    # never half-published: either no trace of the version, or all of it, recorded once
    assert versions == [] and marked == [] or len(versions) == 1 and marked == [(1, versions[0][2])], (versions, marked)
    again = kaohe("publish", "--quarter", QUARTER, url=url)
    assert again.returncode == 0, again.stdout + again.stderr[-3000:]
    assert differences(table_rows(url, OUTPUT_SCHEMAS), published) == []
