"""The Airflow Assets Kaohe's DAGs produce and consume: one per public mart, plus the
payroll versions. kaohe_daily's transform task updates the marts (with the business date
in each event's extra); kaohe_notice runs on them instead of on a clock."""

from __future__ import annotations

from airflow.sdk import Asset

MARTS = [
    "dept_quarter_scores",
    "cadre_quarter_grades",
    "score_lineage",
    "grade_decisions",
    "dept_month_scores",
    "dept_period_scores",
    "cadre_annual_results",
    "cadre_grade_distribution",
    "daily_warnings",
    "daily_demolition_groups",
    "key_project_status",
    "submission_completeness",
    "demolition_group_months",
    "demolition_group_quarters",
    "demolition_zone_months",
    "demolition_funnel",
]


def _asset(schema: str, table: str) -> Asset:
    # URI: the warehouse relation, in Airflow's postgres form (host/database are the deployment's names)
    return Asset(name=f"{schema}.{table}", uri=f"postgres://warehouse:5432/kaohe/{schema}/{table}", group="kaohe")


MART_ASSETS = {table: _asset("marts", table) for table in MARTS}
PAYROLL_ASSET = _asset("payroll", "quarterly_adjustments")
# what the daily notice reads
NOTICE_INPUTS = [MART_ASSETS[t] for t in ("daily_warnings", "daily_demolition_groups", "submission_completeness")]
