"""What Kaohe's DAG files share: defaults, the warehouse connection and the business date.

Kept out of the DAG files so they stay thin (they only wire tasks) and so this is
tested like any other module. Nothing heavy is imported here: DAG parsing stays fast.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pendulum

from kaohe.ops import record_task_failure, record_task_retry
from kaohe.settings import settings


def default_args(retries: int | None = None) -> dict:
    """Retries with exponential backoff cover transient faults (a database restart, a
    network blip); `kaohe run` sets KAOHE_TASK_RETRIES=0 so a data error is reported at once."""
    current = settings()
    return {
        "retries": current.task_retries if retries is None else retries,
        "retry_delay": pendulum.duration(seconds=current.retry_delay_seconds),
        "retry_exponential_backoff": True,
        "max_retry_delay": pendulum.duration(minutes=5),
        "on_failure_callback": record_task_failure,
        "on_retry_callback": record_task_retry,
    }


def heavy_task() -> dict:
    """Task arguments for the heavy steps (validate, transform): on a deployment that sets
    KAOHE_HEAVY_QUEUE they go to that Celery queue, served by workers started with
    `airflow celery worker --queues <it>` on bigger machines."""
    queue = settings().heavy_queue
    return {"queue": queue} if queue else {}


def warehouse_url() -> str | None:
    """The ``warehouse`` Airflow connection (AIRFLOW_CONN_WAREHOUSE), else kaohe's own default."""
    from airflow.sdk import BaseHook

    try:
        conn = BaseHook.get_connection("warehouse")
    except Exception:  # noqa: BLE001 - no connection configured: kaohe's own default
        return None
    uri = urlsplit(conn.get_uri().replace("postgres://", "postgresql://", 1))
    # Airflow writes the extras (e.g. passfile=/abs/pgpass) with '+' for a space, which libpq keeps as a '+'
    query = urlencode(conn.extra_dejson, quote_via=quote) if conn.extra_dejson else uri.query
    return urlunsplit(uri._replace(query=query))


def context_values():
    """(pipeline module, business date, landing root, warehouse URL) of the running task."""
    from airflow.sdk import get_current_context

    from kaohe import pipeline

    ctx = get_current_context()
    params = ctx["params"]
    business_date = pipeline.business_date_of(ctx.get("logical_date"), params.get("business_date"))
    return pipeline, business_date, pipeline.landing_root(params.get("landing")), warehouse_url()


def triggering_business_dates(context) -> list[date]:
    """The business dates an asset-triggered run is for: the param if given, else the
    `business_date` extras of the triggering asset events (several when runs queued up)."""
    from kaohe.pipeline import business_date_of

    explicit = (context.get("params") or {}).get("business_date")
    if explicit:
        return [date.fromisoformat(explicit)]
    dates = set()
    for events in (context.get("triggering_asset_events") or {}).values():
        for event in events:
            if day := (event.extra or {}).get("business_date"):
                dates.add(date.fromisoformat(day))
    return sorted(dates) or [business_date_of(context.get("logical_date") or pendulum.now("UTC"))]
