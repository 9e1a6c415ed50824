"""kaohe_notice: the daily notice (日督查日通报), whenever kaohe_daily has refreshed the marts
it reads — data-aware, not on a clock. One page per business date in the triggering events."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from kaohe.assets import NOTICE_INPUTS
from kaohe.dag_support import default_args
from kaohe.ops import record_dag_failure


@dag(
    dag_id="kaohe_notice",
    description="日督查日通报: the daily notice page, after the marts it reads are refreshed",
    schedule=NOTICE_INPUTS,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    on_failure_callback=record_dag_failure,
    default_args=default_args(),
    params={
        "business_date": Param(
            None,
            type=["null", "string"],
            description="YYYY-MM-DD; default: the business dates of the triggering events",
        )
    },
    tags=["kaohe"],
)
def kaohe_notice():
    @task
    def render(**context) -> dict:
        from kaohe import pipeline
        from kaohe.dag_support import triggering_business_dates, warehouse_url

        dates = triggering_business_dates(context)
        return {day.isoformat(): pipeline.notice(day, warehouse_url())["notice"] for day in dates}

    render()


kaohe_notice()
