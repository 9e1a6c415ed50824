"""Running the daily DAG for a range of dates without Airflow servers.

Airflow lives in the state folder (``.kaohe/airflow``, SQLite metadata); the
warehouse is handed to it as ``AIRFLOW_CONN_WAREHOUSE``. Each date is one real
DAG run through Airflow's own ``dag.test()``, all in one process, so Airflow's
imports, the DAG parse and dbt's parse are paid once per range, not per date.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from kaohe.settings import dags_dir, state_dir, unless_set
from kaohe.writer_lock import writer_lock

DAG_ID = "kaohe_daily"
NOTICE_DAG_ID = "kaohe_notice"


class RunFailed(RuntimeError):
    def __init__(self, business_date: date, task: str | None, reason: str):
        super().__init__(f"{business_date}: task {task or '?'} failed: {reason}")
        self.business_date, self.task, self.reason = business_date, task, reason


@dataclass
class DateResult:
    business_date: date
    seconds: float
    summary: dict = field(default_factory=dict)


def airflow_env(url: str, landing: Path | None = None) -> dict[str, str]:
    home = state_dir() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    env = {
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(dags_dir()),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__DEFAULT_TIMEZONE": "Asia/Shanghai",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": os.environ.get("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING"),
        "AIRFLOW_CONN_WAREHOUSE": url,
        "KAOHE_WAREHOUSE_URL": url,
        # an operator's range run reports a data error at once, and does not wait for
        # folders of past dates that will never come (both overridable, e.g. by the restart test)
        **unless_set({"KAOHE_TASK_RETRIES": "0", "KAOHE_LANDING_WAIT_SECONDS": "0"}),
    }
    if landing is not None:
        env["KAOHE_LANDING"] = str(Path(landing).resolve())
    return env


def ensure_airflow_db(env: dict[str, str]) -> None:
    """`airflow db migrate` once per Airflow version (≈ 6 s), not per run."""
    import importlib.metadata

    marker = Path(env["AIRFLOW_HOME"]) / ".migrated"
    version = importlib.metadata.version("apache-airflow")
    if marker.exists() and marker.read_text() == version and (Path(env["AIRFLOW_HOME"]) / "airflow.db").exists():
        return
    airflow = Path(sys.executable).with_name("airflow")
    out = subprocess.run([str(airflow), "db", "migrate"], env={**os.environ, **env}, capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError(f"airflow db migrate failed: {out.stderr.strip()[-2000:]}")
    marker.write_text(version)


@contextlib.contextmanager
def airflow_lock(notify=None):
    """One range run at a time per Airflow home (SQLite metadata, shared run ids): a
    second `kaohe run` waits for the first instead of corrupting its runs."""
    home = state_dir() / "airflow"
    home.mkdir(parents=True, exist_ok=True)
    with open(home / ".run.lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if notify:
                notify(f"another kaohe run is using {home}; waiting for it to finish")
            fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def date_range(start: date, end: date) -> list[date]:
    if end < start:
        raise ValueError(f"--to {end} is before --from {start}")
    return [start + timedelta(days=i) for i in range((end - start).days + 1)]


def run_dates(landing: Path, start: date, end: date, url: str, on_date=None) -> list[DateResult]:
    with airflow_lock(notify=lambda message: print(message, file=sys.stderr, flush=True)):
        return _run_dates(landing, start, end, url, on_date)


def _run_dates(landing: Path, start: date, end: date, url: str, on_date=None) -> list[DateResult]:
    env = airflow_env(url, landing)
    os.environ.update(env)  # before Airflow is imported: it reads its config once
    ensure_airflow_db(env)

    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(str(dags_dir()))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    dag, notice_dag = bag.get_dag(DAG_ID), bag.get_dag(NOTICE_DAG_ID)
    results = []
    for day in date_range(start, end):
        with writer_lock("run", day, url):  # the whole date, its notice included: no other writer in between
            results.append(_run_date(dag, notice_dag, landing, day, url))
        if on_date:
            on_date(results[-1])
    return results


def _run_date(dag, notice_dag, landing: Path, day: date, url: str) -> DateResult:
    import pendulum

    started = time.perf_counter()
    run = dag.test(
        logical_date=pendulum.datetime(day.year, day.month, day.day, tz="Asia/Shanghai"),
        run_conf={"business_date": day.isoformat(), "landing": str(Path(landing).resolve())},
    )
    if run is None or str(run.state) != "success":
        task, reason = _failure_of(run, url)
        raise RunFailed(day, task, reason)
    # without a scheduler nothing reacts to the asset events: run the downstream DAG here
    notice_run = notice_dag.test(run_conf={"business_date": day.isoformat()})
    if notice_run is None or str(notice_run.state) != "success":
        task, reason = _failure_of(notice_run, url)
        raise RunFailed(day, task, reason)
    from kaohe.outputs import notices_dir
    from kaohe.pipeline import summary

    notice_file = notices_dir(url) / f"notice_{day.isoformat()}.html"
    details = summary(day, url) | ({"notice": str(notice_file)} if notice_file.exists() else {})
    return DateResult(day, time.perf_counter() - started, details)


def _failure_of(run, url: str) -> tuple[str | None, str]:
    """The failing task and its error, as recorded by the failure callback."""
    from kaohe.warehouse import connect

    if run is None:
        return None, "the DAG run did not start"
    try:
        with connect(url) as conn:
            row = conn.execute(
                "select task_id, error from ops.run_failures where run_id = %s"
                " order by final desc, task_id is null, failure_id desc limit 1",  # the failed task before the DAG's summary
                (run.run_id,),
            ).fetchone()
    except Exception as exc:  # noqa: BLE001
        return None, f"run ended {run.state}; failure record unreadable: {exc}"
    if row:
        return row[0], row[1]
    return None, f"run ended {run.state} (no failure recorded; see Airflow logs in {state_dir() / 'airflow' / 'logs'})"
