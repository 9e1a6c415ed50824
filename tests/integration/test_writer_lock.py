"""One writer at a time, whoever starts it (issue 13, item 4): real processes racing on one warehouse.

The writer holding the lock is paused by the test with an ordinary row lock on a payroll draft (its payroll
step's delete waits for it), found in pg_stat_activity — no fixed sleeps — so that the other process
certainly asks for the warehouse while the first one is in its payroll step."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys

import psycopg
import pytest
from kaohe.warehouse import connect, database_name
from kaohe.writer_lock import holders, writer_lock

from .conftest import database_copy, kaohe_process
from .warehouse_state import wait_until
from .warehouse_tables import OUTPUT_SCHEMAS, differences, table_rows

pytestmark = pytest.mark.integration

DAY = "2026-10-01"  # the district's last date: a rerun rebuilds as of it either way
PAYROLL_STEP = f"application_name like 'kaohe payroll {DAY} %%'"
DELETE_WAITS = "query ilike 'delete from payroll.quarterly_adjustments%%' and wait_event_type = 'Lock'"


def pause_payroll(url: str) -> psycopg.Connection:
    """A transaction holding one draft row: the payroll step's rewrite of the drafts waits for it."""
    pause = psycopg.connect(url)
    assert pause.execute(
        "select 1 from payroll.quarterly_adjustments where status = 'draft' limit 1 for update"
    ).fetchone(), "no draft to hold: the test would prove nothing"
    return pause


@contextlib.contextmanager
def run_paused_in_payroll(landing, url: str, reports, **env):
    """`kaohe run` of DAY in the background (its notices in `reports`), held inside its payroll step — holding
    the writer lock, rewriting the drafts — until the block ends: the process."""
    pause = pause_payroll(url)
    try:
        run = kaohe_process("run", "--landing", str(landing), "--from", DAY, url=url, KAOHE_REPORTS=str(reports), **env)
        wait_until(url, PAYROLL_STEP, process=run)  # the run holds the lock…
        wait_until(url, DELETE_WAITS, process=run)  # …and its payroll step is rewriting the drafts
        yield run
    finally:
        pause.rollback()
        pause.close()


def drafts(url: str, quarter: str) -> list[tuple]:
    with connect(url) as conn:
        return sorted(
            conn.execute(
                "select cadre_id, grade, base_pay, multiplier, adjusted_pay, adjustment, delta_to_pay, version"
                " from payroll.quarterly_adjustments where quarter = %s and status = %s",
                (quarter, "draft"),
            ).fetchall()
        )


WAIT_IN_ANOTHER_PROCESS = """
import sys
from kaohe.writer_lock import writer_lock
with writer_lock("publish", "2026Q3", sys.argv[1]):
    print("got it")
"""


def test_a_scope_in_its_own_process_never_waits_a_waiter_names_the_holder_and_gives_up(warehouse_url):
    with writer_lock("run", DAY, warehouse_url):
        with writer_lock("validate", DAY, warehouse_url):  # kaohe run's task inside its date: no second ask
            with connect(warehouse_url) as conn:
                queue = holders(conn)
            assert [h["application_name"].split(" (")[0] for h in queue] == [f"kaohe validate {DAY}"]
            other = subprocess.run(
                [sys.executable, "-c", WAIT_IN_ANOTHER_PROCESS, warehouse_url],
                text=True,
                capture_output=True,
                timeout=60,
                env={**os.environ, "KAOHE_WRITER_LOCK_TIMEOUT": "1"},
            )
        assert other.returncode != 0 and "got it" not in other.stdout
        assert (
            f"waiting for the warehouse (database {database_name(warehouse_url)}): 'kaohe validate {DAY} ("
            in other.stderr
        )
        assert (
            "WriterLockTimeout: gave up after 1 s waiting" in other.stderr
            and "KAOHE_WRITER_LOCK_TIMEOUT" in other.stderr
        )
        with connect(warehouse_url) as conn:
            assert [h["application_name"].split(" (")[0] for h in holders(conn)] == [f"kaohe run {DAY}"]
    with connect(warehouse_url) as conn:
        assert holders(conn) == []  # released with its scope
    free = subprocess.run(
        [sys.executable, "-c", WAIT_IN_ANOTHER_PROCESS, warehouse_url], text=True, capture_output=True, timeout=60
    )
    assert free.returncode == 0 and "got it" in free.stdout and "waiting" not in free.stderr, free.stderr


def test_publish_during_the_payroll_step_waits_then_publishes_one_consistent_version(district_copy, tmp_path):
    landing, url = district_copy
    expected = drafts(url, "2026Q3")  # a rerun of an unchanged date writes the same drafts again
    assert expected, "no 2026Q3 drafts to publish"
    with run_paused_in_payroll(landing, url, tmp_path) as run:
        publish = kaohe_process("publish", "--quarter", "2026Q3", url=url)
        wait_until(
            url, "application_name like 'kaohe publish 2026Q3 %%waiting' and wait_event = 'advisory'", process=publish
        )
        with connect(url) as conn:
            queue = holders(conn)
        assert [h["application_name"].split(" (")[0] for h in queue] == [f"kaohe payroll {DAY}", "kaohe publish 2026Q3"]
        assert [h["granted"] for h in queue] == [True, False]
    run_out, run_err = run.communicate(timeout=300)
    publish_out, publish_err = publish.communicate(timeout=300)
    assert run.returncode == 0, run_out[-2000:] + run_err[-3000:]
    assert publish.returncode == 0, publish_out[-2000:] + publish_err[-3000:]

    # it said what it waited for: the run's payroll step, by host and pid
    assert "kaohe publish 2026Q3: waiting for the warehouse" in publish_err, publish_err
    assert f"'kaohe payroll {DAY} (" in publish_err and f" pid {run.pid})'" in publish_err, publish_err
    assert "the warehouse is ours after" in publish_err
    assert "published 2026Q3 version 1" in publish_out

    with connect(url) as conn:
        publications = conn.execute("select quarter, version, rows, total_delta from payroll.publications").fetchall()
        published = sorted(
            conn.execute(
                "select cadre_id, grade, base_pay, multiplier, adjusted_pay, adjustment, delta_to_pay, version"
                " from payroll.quarterly_adjustments where quarter = '2026Q3' and status = 'published'"
            ).fetchall()
        )
        stamps = conn.execute(
            "select count(distinct published_at) from payroll.quarterly_adjustments where status = 'published'"
        ).fetchone()[0]
        annual_sources = conn.execute(
            "select count(*) from marts.cadre_annual_results where quarter_grades like '%%(v1)%%'"
        ).fetchone()[0]
    # exactly one version, whole: every draft the run wrote, in one statement, recorded once
    assert published == expected
    assert publications == [("2026Q3", 1, len(expected), sum(row[6] for row in expected))]
    assert stamps == 1
    assert drafts(url, "2026Q3") == []
    assert annual_sources > 0  # the annual results were rebuilt from the published version


def test_two_runs_of_a_date_from_two_airflow_homes_take_turns(
    district, district_copy, embedded_warehouse, second_home, tmp_path
):
    landing, url = district_copy
    # a resubmission both runs find (the same rows, other bytes): only one of them may load it
    resent = tmp_path / "landing"
    shutil.copytree(landing, resent)
    changed = resent / DAY / "indicator_progress__D01.csv"
    changed.write_bytes(changed.read_bytes() + b"\n")
    with database_copy(embedded_warehouse, district[1]) as reference_url:
        # what the warehouse must equal: the same resubmission run once on another copy, beside the race (another
        # database, so another advisory lock; a third state folder)
        once = kaohe_process(
            "run",
            "--landing",
            str(resent),
            "--from",
            DAY,
            url=reference_url,
            KAOHE_HOME=str(second_home),
            KAOHE_REPORTS=str(tmp_path / "reports-ref"),
        )
        try:
            with run_paused_in_payroll(resent, url, tmp_path / "reports-1") as first:
                # another state folder, so another Airflow home (its own SQLite metadata): the file lock cannot help
                second = kaohe_process(
                    "run",
                    "--landing",
                    str(resent),
                    "--from",
                    DAY,
                    url=url,
                    KAOHE_HOME=str(tmp_path / "home-2"),
                    KAOHE_REPORTS=str(tmp_path / "reports-2"),
                )
                wait_until(
                    url,
                    f"application_name like 'kaohe run {DAY} %%waiting' and wait_event = 'advisory'",
                    process=second,
                    timeout=300,
                )
        finally:
            once_out, once_err = once.communicate(timeout=600)
        assert once.returncode == 0, once_out[-2000:] + once_err[-3000:]
        reference = table_rows(reference_url, OUTPUT_SCHEMAS)
    first_out, first_err = first.communicate(timeout=300)
    second_out, second_err = second.communicate(timeout=300)
    assert first.returncode == 0, first_out[-2000:] + first_err[-3000:]
    assert second.returncode == 0, second_out[-2000:] + second_err[-3000:]
    assert f"kaohe run {DAY}: waiting for the warehouse" in second_err, second_err
    assert f"'kaohe payroll {DAY} (" in second_err and f" pid {first.pid})'" in second_err, second_err
    assert f"{DAY}  ok" in first_out and f"{DAY}  ok" in second_out

    with connect(url) as conn:
        deliveries = conn.execute(
            "select count(*), count(distinct (business_date, kind, sender, checksum)) from quarantine.file_loads"
        ).fetchone()
        resubmitted = conn.execute(
            "select status from quarantine.file_loads where business_date = %s"
            " and file = 'indicator_progress__D01.csv' order by load_id",
            (DAY,),
        ).fetchall()
    assert deliveries[0] == deliveries[1]  # no delivery twice in the ledger
    assert resubmitted == [("superseded",), ("loaded",)]

    # the warehouse equals one run's
    assert differences(table_rows(url, OUTPUT_SCHEMAS), reference) == []
