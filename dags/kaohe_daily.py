"""kaohe_daily: one business date's landing folder → raw → validated → marts → payroll drafts.

Thin by design: every task calls a function of ``kaohe.pipeline`` (tested on its own).
The warehouse comes from the ``AIRFLOW_CONN_WAREHOUSE`` connection, the landing root
from ``KAOHE_LANDING`` (or the run's ``landing`` param). The marts are Airflow Assets:
kaohe_notice (dags/kaohe_notice.py) runs when they are refreshed.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from airflow.timetables.trigger import CronTriggerTimetable
from kaohe.assets import MART_ASSETS, PAYROLL_ASSET
from kaohe.dag_support import context_values, default_args, heavy_task
from kaohe.ops import record_dag_failure
from kaohe.sensors import LandingFolderSensor
from kaohe.settings import BUSINESS_TZ, settings


@dag(
    dag_id="kaohe_daily",
    description="日督查: ingest the day's departmental submissions and build the assessment marts",
    # the district's cut-off, China time; the business date is China's date of the run
    schedule=CronTriggerTimetable(settings().daily_cutoff, timezone=BUSINESS_TZ),
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    on_failure_callback=record_dag_failure,
    params={
        "business_date": Param(
            None, type=["null", "string"], description="YYYY-MM-DD; default: the run's date in China"
        ),
        "landing": Param(None, type=["null", "string"], description="landing root; default: $KAOHE_LANDING"),
    },
    tags=["kaohe"],
)
def kaohe_daily():
    wait = LandingFolderSensor(task_id="wait_for_landing", retries=0)

    @task(trigger_rule="none_failed")  # a wait that timed out is skipped: go on with what arrived
    def discover() -> dict:
        pipeline, business_date, landing, _ = context_values()
        return pipeline.discover(landing, business_date)

    @task
    def load(found: dict) -> dict:
        pipeline, business_date, landing, url = context_values()
        return pipeline.load(landing, business_date, url)

    @task(**heavy_task())
    def validate(loaded: dict) -> dict:
        pipeline, business_date, _, url = context_values()
        return pipeline.validate(business_date, url)

    @task(outlets=list(MART_ASSETS.values()), **heavy_task())
    def transform(validated: dict, **context) -> dict:
        pipeline, business_date, _, url = context_values()
        built = pipeline.transform(business_date, url)
        for asset in MART_ASSETS.values():
            context["outlet_events"][asset].extra = {"business_date": business_date.isoformat()}
        return built

    @task(outlets=[PAYROLL_ASSET])
    def payroll(built: dict) -> dict:
        pipeline, business_date, _, url = context_values()
        return pipeline.payroll(business_date, url)

    @task
    def summarise(drafted: dict) -> dict:
        pipeline, business_date, _, url = context_values()
        return pipeline.summary(business_date, url) | drafted

    found = discover()
    wait >> found
    summarise(payroll(transform(validate(load(found)))))


kaohe_daily()
