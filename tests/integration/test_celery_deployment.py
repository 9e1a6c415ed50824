"""kaohe_daily and kaohe_notice on a real Airflow deployment: CeleryExecutor with Redis, metadata in PostgreSQL,
and the api-server, scheduler, dag-processor, triggerer and Celery worker as separate processes.

Against a fresh warehouse: `airflow backfill create` over the district's three business dates, then a rerun of
the last one through the REST API. The result must be the warehouse the in-process `kaohe run` of the `district`
fixture built from the same landing tree, row for row; kaohe_notice must have run on the marts' asset events.

The whole deployment lives in one module fixture: started, driven, stopped (by PID, also when something fails);
the tests then only read what it recorded and the two warehouses.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from kaohe.warehouse import database_url

from .airflow_services import AirflowDeployment, DeploymentError
from .conftest import END, START
from .warehouse_tables import differences, table_rows

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

CHINA = ZoneInfo("Asia/Shanghai")
DAILY, NOTICE = "kaohe_daily", "kaohe_notice"
# kaohe_daily runs at the 20:00 China-time cut-off, and its logical date is that moment: the backfill window
# is START's cut-off to END's, both inclusive. Plain dates would be read as midnight China time and miss END.
BACKFILL_FROM = f"{START.isoformat()}T20:00:00+08:00"
BACKFILL_TO = f"{END.isoformat()}T20:00:00+08:00"
BUSINESS_DATES = [START + timedelta(days=n) for n in range((END - START).days + 1)]  # 2026-09-29 .. 2026-10-01
RUN_TIMEOUT = 300  # seconds, per kaohe_daily run (≈ 45 s each on 2 busy cores)


@dataclass
class CeleryOutcome:
    warehouse_url: str
    reports: Path
    scheduled_run: dict
    scheduled_wait_state: str
    backfill_output: str
    backfill_runs: list[dict]
    rerun: dict
    notice_runs: list[dict]
    notice_events: dict[str, list[dict]]
    task_instances: dict[str, list[dict]]
    celery_executions: list[tuple[str, str, str]]
    timings: dict[str, float] = field(default_factory=dict)


def _create_database(admin_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'create database "{name}"')
    return name


def _china_date(timestamp: str) -> date:
    return datetime.fromisoformat(timestamp).astimezone(CHINA).date()


def _seconds(timestamp: str) -> float:
    return datetime.fromisoformat(timestamp).timestamp()


@pytest.fixture(scope="module")
def celery_run(district, embedded_warehouse, tmp_path_factory):
    landing, _, _ = district
    started = time.perf_counter()
    admin = database_url(embedded_warehouse.url(), "postgres")
    databases: list[str] = []
    try:
        databases += [_create_database(admin, "airflow_meta"), _create_database(admin, "celery_wh")]
        outcome = _drive_deployment(
            landing,
            database_url(admin, databases[0]),
            database_url(admin, databases[1]),
            tmp_path_factory.mktemp("celery"),
            started,
        )
        yield outcome
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            for name in databases:
                conn.execute(f'drop database if exists "{name}" with (force)')


def _drive_deployment(
    landing: Path, metadata_url: str, warehouse_url: str, root: Path, started: float
) -> CeleryOutcome:
    """Start the deployment, backfill, rerun, wait for the notices; always stop it again."""
    reports = root / "reports"
    deployment = AirflowDeployment(
        root,
        metadata_url,
        {
            # as in docker-compose.yml: tasks take the warehouse from the connection, kaohe's helpers from the URL
            "AIRFLOW_CONN_WAREHOUSE": warehouse_url,
            "KAOHE_WAREHOUSE_URL": warehouse_url,
            "KAOHE_HOME": str(root / "kaohe-home"),  # private dbt target, GX context and logs
            "KAOHE_REPORTS": str(reports),
            "KAOHE_LANDING": str(landing.resolve()),
            # The first unpause schedules the latest cut-off (today), whose folder never comes: its sensor must wait
            # deferred, not time out and build today's marts into the warehouse compared below. The backfilled dates'
            # folders are there: their sensors succeed at the first look.
            "KAOHE_LANDING_WAIT_SECONDS": "3600",
            "KAOHE_TASK_RETRIES": "0",  # a failure shows at once
            "GX_ANALYTICS_ENABLED": "false",
        },
    )
    timings = deployment.timings
    try:
        deployment.start()
        timings["set-up"] = time.perf_counter() - started

        deployment.wait_for_dags(DAILY, NOTICE)
        deployment.unpause(NOTICE)
        deployment.unpause(DAILY)
        scheduled_run, wait_state = _scheduled_run_waiting(deployment)
        # the operator gives up on that day: failed, so the rerun below is not queued behind it (max_active_runs=1)
        deployment.set_run_state(DAILY, scheduled_run["dag_run_id"], "failed")

        mark = time.perf_counter()
        # one date after the other: a backfill does not obey the DAG's max_active_runs=1 (its own default is 10)
        backfill = deployment.airflow(
            "backfill",
            "create",
            "--dag-id",
            DAILY,
            "--from-date",
            BACKFILL_FROM,
            "--to-date",
            BACKFILL_TO,
            "--max-active-runs",
            "1",
        )
        if backfill.returncode != 0:
            raise DeploymentError(
                f"airflow backfill create failed:\n{backfill.stdout[-2000:]}{backfill.stderr[-3000:]}"
            )
        backfill_runs = deployment.wait_for_runs(
            DAILY, lambda r: r["run_type"] == "backfill", len(BUSINESS_DATES), timeout=RUN_TIMEOUT * len(BUSINESS_DATES)
        )
        timings["backfill (3 runs)"] = time.perf_counter() - mark

        mark = time.perf_counter()
        triggered = deployment.trigger(DAILY, {"business_date": END.isoformat()})

        def rerun_selected(run: dict) -> bool:
            # a cut-off passing meanwhile schedules a run that would wait for its folder and hold the rerun back
            if run["run_type"] == "scheduled" and run["state"] not in ("success", "failed"):
                deployment.set_run_state(DAILY, run["dag_run_id"], "failed")
            return run["dag_run_id"] == triggered["dag_run_id"]

        (rerun,) = deployment.wait_for_runs(DAILY, rerun_selected, 1, timeout=RUN_TIMEOUT)
        timings["rerun"] = time.perf_counter() - mark
        for run in sorted(backfill_runs, key=lambda r: r["logical_date"]):
            timings[f"run {_china_date(run['logical_date'])}"] = _seconds(run["end_date"]) - _seconds(run["start_date"])
        timings[f"run {END} again"] = _seconds(rerun["end_date"]) - _seconds(rerun["start_date"])

        mark = time.perf_counter()
        daily_run_ids = {r["dag_run_id"] for r in backfill_runs} | {rerun["dag_run_id"]}
        notice_runs, notice_events = _notices_for(deployment, daily_run_ids)
        timings["notice after the rerun"] = time.perf_counter() - mark

        task_instances = {
            r["dag_run_id"]: deployment.task_instances(DAILY, r["dag_run_id"]) for r in [*backfill_runs, rerun]
        }
        task_instances |= {r["dag_run_id"]: deployment.task_instances(NOTICE, r["dag_run_id"]) for r in notice_runs}
        outcome = CeleryOutcome(
            warehouse_url,
            reports,
            scheduled_run,
            wait_state,
            backfill.stdout + backfill.stderr,
            backfill_runs,
            rerun,
            notice_runs,
            notice_events,
            task_instances,
            deployment.celery_executions(),
            timings,
        )
    finally:
        deployment.stop()
    timings["total"] = time.perf_counter() - started
    print("celery deployment timings (s): " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()))
    return outcome


def _scheduled_run_waiting(deployment: AirflowDeployment) -> tuple[dict, str]:
    """The run the scheduler creates on unpausing, once its landing wait is handed to the triggerer."""

    def waiting():
        runs = [r for r in deployment.dag_runs(DAILY) if r["run_type"] == "scheduled"]
        if not runs:
            return None
        states = {t["task_id"]: t["state"] for t in deployment.task_instances(DAILY, runs[0]["dag_run_id"])}
        return (runs[0], states["wait_for_landing"]) if states["wait_for_landing"] == "deferred" else None

    return deployment.wait_for(waiting, 90, "the scheduled run's landing wait to be deferred", interval=0.5)


def _notices_for(deployment: AirflowDeployment, daily_run_ids: set[str]) -> tuple[list[dict], dict[str, list]]:
    """Wait until kaohe_notice runs have succeeded on the asset events of every one of the daily runs."""

    def covered():
        runs = deployment.dag_runs(NOTICE)
        if failed := [r["dag_run_id"] for r in runs if r["state"] == "failed"]:
            raise DeploymentError(
                f"kaohe_notice failed: {failed}\n"
                + "\n".join(deployment.task_logs(NOTICE, run_id) for run_id in failed)[-6000:]
            )
        done = [r for r in runs if r["state"] == "success"]
        events = {r["dag_run_id"]: deployment.upstream_asset_events(NOTICE, r["dag_run_id"]) for r in done}
        sources = {e["source_run_id"] for run_events in events.values() for e in run_events}
        return (done, events) if daily_run_ids <= sources else None

    return deployment.wait_for(covered, 180, "kaohe_notice to run on every daily run's asset events", interval=1)


# --- the runs -------------------------------------------------------------------------------------------------------
def test_backfill_runs_exactly_the_three_business_dates(celery_run):
    runs = sorted(celery_run.backfill_runs, key=lambda r: r["logical_date"])
    assert [_china_date(r["logical_date"]) for r in runs] == BUSINESS_DATES, celery_run.backfill_output[-2000:]
    assert [r["state"] for r in runs] == ["success"] * 3
    # each logical date is its cut-off: 20:00 China time
    assert {datetime.fromisoformat(r["logical_date"]).astimezone(CHINA).hour for r in runs} == {20}


def test_the_rest_triggered_rerun_of_the_last_date_succeeds(celery_run):
    rerun = celery_run.rerun
    assert rerun["run_type"] == "manual" and rerun["conf"] == {"business_date": END.isoformat()}
    assert rerun["state"] == "success"
    assert {t["task_id"]: t["state"] for t in celery_run.task_instances[rerun["dag_run_id"]]} == {
        "wait_for_landing": "success",
        "discover": "success",
        "load": "success",
        "validate": "success",
        "transform": "success",
        "payroll": "success",
        "summarise": "success",
    }


def test_the_landing_wait_is_deferred_to_the_triggerer(celery_run):
    """The run of the latest cut-off (no folder for it) waits in the triggerer, holding no worker slot."""
    assert celery_run.scheduled_wait_state == "deferred"
    assert _china_date(celery_run.scheduled_run["logical_date"]) > END


def test_every_task_ran_on_the_celery_worker(celery_run):
    # the worker logs each workload it executes; the task instances' executor field stays empty
    executed = Counter(celery_run.celery_executions)
    expected = {
        (
            DAILY if run_id in {r["dag_run_id"] for r in [*celery_run.backfill_runs, celery_run.rerun]} else NOTICE,
            run_id,
            t["task_id"],
        )
        for run_id, tis in celery_run.task_instances.items()
        for t in tis
    }
    assert len(expected) == 7 * 4 + len(celery_run.notice_runs)
    assert {key for key in expected if executed[key] != 1} == set()


# --- the warehouse --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def both_warehouses(district, celery_run):
    _, district_url, _ = district
    return table_rows(district_url), table_rows(celery_run.warehouse_url)


def test_the_warehouse_equals_the_kaohe_run_of_the_same_dates(both_warehouses):
    expected, got = both_warehouses
    assert sorted(got) == sorted(expected)
    assert {t for t in expected if t.startswith("marts.")} >= {
        "marts.dept_quarter_scores",
        "marts.cadre_quarter_grades",
        "marts.daily_warnings",
        "marts.demolition_group_months",
    }
    assert differences(got, expected) == []


def test_no_row_is_loaded_twice(both_warehouses):
    expected, got = both_warehouses
    counts = {t: (sum(expected[t].values()), sum(got[t].values())) for t in expected if t.startswith("raw.")}
    assert all(n > 0 for n, _ in counts.values())
    assert {t: c for t, c in counts.items() if c[0] != c[1]} == {}


def test_the_file_ledger_accounts_for_the_same_rows(district, celery_run):
    _, district_url, _ = district
    ledger = (
        "select status, count(*), sum(rows_read), sum(rows_loaded), sum(rows_quarantined)"
        " from quarantine.file_loads group by status order by status"
    )
    with psycopg.connect(district_url) as conn:
        expected = conn.execute(ledger).fetchall()
    with psycopg.connect(celery_run.warehouse_url) as conn:
        got = conn.execute(ledger).fetchall()
        task_failures = conn.execute(
            "select run_id, task_id, error from ops.run_failures where task_id is not null"
        ).fetchall()
    assert got == expected
    assert task_failures == []


# --- the notice -----------------------------------------------------------------------------------------------------
def test_kaohe_notice_runs_on_the_marts_asset_events(celery_run):
    assert celery_run.notice_runs and {r["state"] for r in celery_run.notice_runs} == {"success"}
    assert {r["run_type"] for r in celery_run.notice_runs} == {"asset_triggered"}
    events = [e for run_events in celery_run.notice_events.values() for e in run_events]
    # the transform task's events carry the business date they refreshed
    assert {e["extra"].get("business_date") for e in events} == {d.isoformat() for d in BUSINESS_DATES}
    notices = celery_run.reports / "notices"
    for day in BUSINESS_DATES:
        page = notices / f"notice_{day.isoformat()}.html"
        assert page.is_file() and page.stat().st_size > 1000, sorted(p.name for p in notices.glob("*"))
