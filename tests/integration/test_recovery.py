"""Recovering: PostgreSQL restarted in the middle of a run — the failed attempt is retried with
backoff, the run ends correct, and no row is loaded twice.

The warehouse here is a private PostgreSQL cluster (restarting the shared one would cut off the
other tests' connections)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from kaohe.warehouse import EmbeddedWarehouse, connect

from .conftest import kaohe

pytestmark = pytest.mark.integration

DAY = "2026-09-30"  # a quarter's last day: the run builds quarter scores and payroll drafts too


@pytest.fixture
def private_warehouse(tmp_path):
    warehouse = EmbeddedWarehouse(tmp_path / "pg")
    try:
        yield warehouse, warehouse.start()
    finally:
        warehouse.remove()  # stopped, and its data folder (under /var/tmp when tmp_path is private) deleted


def restart_when_busy(warehouse: EmbeddedWarehouse, url: str, restarted: list, stop: threading.Event) -> None:
    """Restart the server as soon as the run is loading or validating (a COPY or a validation query)."""
    while not stop.is_set():
        try:
            with psycopg.connect(url, autocommit=True, connect_timeout=2) as conn:
                busy = conn.execute(
                    "select count(*) from pg_stat_activity where pid <> pg_backend_pid() and state = 'active'"
                    " and (query ilike 'copy raw.%%' or query ilike '%%ingest.batch_%%')"
                ).fetchone()[0]
        except psycopg.OperationalError:
            busy = 0
        if busy:
            warehouse.stop()  # fast shutdown: every session is cut off mid-statement
            warehouse.start()
            restarted.append(time.monotonic())
            return
        time.sleep(0.05)


def test_a_database_restart_mid_run_is_retried_and_leaves_no_duplicates(private_warehouse, tmp_path):
    warehouse, url = private_warehouse
    landing = tmp_path / "landing"
    generated = kaohe("generate", "--landing", str(landing), "--from", DAY, url=url)
    assert generated.returncode == 0, generated.stderr[-2000:]

    restarted: list[float] = []
    stop = threading.Event()
    watcher = threading.Thread(target=restart_when_busy, args=(warehouse, url, restarted, stop), daemon=True)
    watcher.start()
    try:
        run = kaohe(
            "run",
            "--landing",
            str(landing),
            "--from",
            DAY,
            url=url,
            KAOHE_TASK_RETRIES="3",
            KAOHE_RETRY_DELAY_SECONDS="2",
        )
    finally:
        stop.set()
        watcher.join(timeout=30)
    assert restarted, "the server was never restarted: the test proved nothing"
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]

    with connect(url) as conn:
        retried = conn.execute("select task_id, error from ops.run_failures where not final").fetchall()
        final = conn.execute("select task_id from ops.run_failures where final").fetchall()
        files = conn.execute(
            "select kind, file, rows_read, rows_loaded, rows_quarantined, load_id"
            " from quarantine.file_loads where status = 'loaded'"
        ).fetchall()
        raw_rows = {}
        for kind in {k for k, *_ in files}:
            for load_id, n in conn.execute(f"select _load_id, count(*) from raw.{kind} group by 1"):
                raw_rows[load_id] = n
        deliveries = conn.execute(
            "select count(*), count(distinct (business_date, kind, sender, checksum))"
            " from quarantine.file_loads where status = 'loaded'"
        ).fetchone()
        scored = conn.execute("select count(*) from marts.dept_quarter_scores where quarter = '2026Q3'").fetchone()[0]
        drafts = conn.execute("select count(*) from payroll.quarterly_adjustments where quarter = '2026Q3'").fetchone()[
            0
        ]
    assert retried, "no attempt failed: the restart did not hit a task"
    assert any(m in error for _, error in retried for m in ("terminat", "connection", "shutdown", "closed")), retried
    assert final == []  # every failure was recovered by a retry
    # nothing lost, nothing twice: each delivery loaded once, with exactly its rows
    assert deliveries[0] == deliveries[1] == len(files)
    # raw keeps every row received, once: per delivery exactly the rows it read
    assert {load_id: read for _, _, read, _, _, load_id in files} == {
        load_id: raw_rows.get(load_id, 0) for *_, load_id in files
    }
    assert all(read == loaded + quarantined for _, _, read, loaded, quarantined, _ in files)
    assert scored == 40 and drafts > 1000
