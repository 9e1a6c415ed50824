"""Failing loudly: every task failure is recorded in the warehouse and notified.

``ops.run_failures`` keeps DAG, run, task, business date, error and time; the
notifier posts to ``KAOHE_NOTIFY_WEBHOOK`` when set (JSON), else only logs.
A failure to record never hides the original failure.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request

log = logging.getLogger(__name__)


def _business_date(context) -> str | None:
    from kaohe.pipeline import business_date_of

    try:
        params = context.get("params") or {}
        return business_date_of(context.get("logical_date"), params.get("business_date")).isoformat()
    except Exception:  # noqa: BLE001
        return None


def record_failure(dag_id: str, run_id: str, task_id: str | None, business_date: str | None, error: str,
                   url: str | None = None) -> None:
    from kaohe.schema import ensure_schema
    from kaohe.warehouse import connect

    with connect(url) as conn:
        with conn.transaction():
            ensure_schema(conn)
        conn.execute(
            "insert into ops.run_failures (dag_id, run_id, task_id, business_date, error) values (%s, %s, %s, %s, %s)",
            (dag_id, run_id, task_id, business_date, error[:4000]),
        )
    notify({"dag_id": dag_id, "run_id": run_id, "task_id": task_id, "business_date": business_date, "error": error[:1000]})


def notify(event: dict) -> None:
    hook = os.environ.get("KAOHE_NOTIFY_WEBHOOK")
    if not hook:
        log.error("kaohe failure (no notifier configured): %s", event)
        return
    request = urllib.request.Request(hook, data=json.dumps(event, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"})
    try:
        urllib.request.urlopen(request, timeout=10).close()
    except OSError as exc:
        log.error("kaohe failure notifier could not post to the webhook: %s (event: %s)", exc, event)


def record_task_failure(context) -> None:
    """Airflow task on_failure_callback."""
    ti = context.get("ti") or context.get("task_instance")
    error = context.get("exception")
    try:
        record_failure(
            dag_id=getattr(ti, "dag_id", "?"),
            run_id=getattr(ti, "run_id", "?"),
            task_id=getattr(ti, "task_id", None),
            business_date=_business_date(context),
            error=f"{type(error).__name__}: {error}" if error else "unknown error",
        )
    except Exception:  # noqa: BLE001 - never mask the task's own failure
        log.exception("could not record the failure in ops.run_failures")
