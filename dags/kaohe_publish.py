"""kaohe_publish: the payroll release as an auditable Airflow run — triggered by hand with
a quarter (and dry_run, on by default: look first, then publish). Does what
`kaohe publish --quarter Q` does."""

from __future__ import annotations

import pendulum
from airflow.sdk import Param, dag, task
from kaohe.assets import MART_ASSETS, PAYROLL_ASSET
from kaohe.dag_support import default_args
from kaohe.ops import record_dag_failure


@dag(
    dag_id="kaohe_publish",
    description="绩效工资发布: publish a quarter's draft pay adjustments as its next version",
    schedule=None,
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Shanghai"),
    catchup=False,
    max_active_runs=1,
    on_failure_callback=record_dag_failure,
    default_args=default_args(retries=0),  # never publish twice on a retry: a failed publish is looked at first
    params={
        "quarter": Param("2026Q3", type="string", pattern=r"^[0-9]{4}Q[1-4]$", description="the quarter, e.g. 2026Q3"),
        "dry_run": Param(True, type="boolean", description="only say what would be published"),
    },
    tags=["kaohe", "payroll"],
)
def kaohe_publish():
    @task(outlets=[PAYROLL_ASSET, MART_ASSETS["cadre_annual_results"]])
    def publish(**context) -> dict:
        from kaohe import pipeline
        from kaohe.dag_support import warehouse_url

        params = context["params"]
        result = pipeline.publish(params["quarter"], dry_run=bool(params["dry_run"]), url=warehouse_url())
        print(result["message"])
        return result

    publish()


kaohe_publish()
