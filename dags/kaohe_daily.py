"""kaohe_daily: one business date's landing folder → raw → validated → marts → payroll drafts → notice.

Thin by design: every task calls a function of ``kaohe.pipeline`` (tested on
its own). The warehouse comes from the ``AIRFLOW_CONN_WAREHOUSE`` connection,
the landing root from ``KAOHE_LANDING`` (or the run's ``landing`` param).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import Param, dag, get_current_context, task
from airflow.timetables.trigger import CronTriggerTimetable

from kaohe.ops import record_task_failure


def _warehouse_url() -> str | None:
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection("warehouse")
    except Exception:  # noqa: BLE001 - no connection configured: kaohe's own default
        return None
    return conn.get_uri().replace("postgres://", "postgresql://", 1)


def _context():
    from kaohe import pipeline

    ctx = get_current_context()
    params = ctx["params"]
    business_date = pipeline.business_date_of(ctx.get("logical_date"), params.get("business_date"))
    return pipeline, business_date, pipeline.landing_root(params.get("landing")), _warehouse_url()


@dag(
    dag_id="kaohe_daily",
    description="日督查: ingest the day's departmental submissions and build the assessment marts",
    schedule=CronTriggerTimetable(os.environ.get("KAOHE_DAILY_CUTOFF", "0 20 * * *"), timezone="Asia/Shanghai"),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    # Retries cover transient faults in a deployment; `kaohe run` sets 0 so that
    # a data error is reported at once.
    default_args={"retries": int(os.environ.get("KAOHE_TASK_RETRIES", "2")), "retry_delay": pendulum.duration(seconds=10), "retry_exponential_backoff": True,
                  "on_failure_callback": record_task_failure},
    params={
        "business_date": Param(None, type=["null", "string"], description="YYYY-MM-DD; default: the run's date in China"),
        "landing": Param(None, type=["null", "string"], description="landing root; default: $KAOHE_LANDING"),
    },
    tags=["kaohe"],
)
def kaohe_daily():
    @task
    def discover() -> dict:
        pipeline, business_date, landing, _ = _context()
        return pipeline.discover(landing, business_date)

    @task
    def load(found: dict) -> dict:
        pipeline, business_date, landing, url = _context()
        return pipeline.load(landing, business_date, url)

    @task
    def validate(loaded: dict) -> dict:
        pipeline, business_date, _, url = _context()
        return pipeline.validate(business_date, url)

    @task
    def transform(validated: dict) -> dict:
        pipeline, business_date, _, url = _context()
        return pipeline.transform(business_date, url)

    @task
    def payroll(built: dict) -> dict:
        pipeline, business_date, _, url = _context()
        return pipeline.payroll(business_date, url)

    @task
    def notice(drafted: dict) -> dict:
        pipeline, business_date, _, url = _context()
        return pipeline.notice(business_date, url)

    @task
    def summarise(published: dict) -> dict:
        pipeline, business_date, _, url = _context()
        return pipeline.summary(business_date, url) | published

    summarise(notice(payroll(transform(validate(load(discover()))))))


kaohe_daily()
