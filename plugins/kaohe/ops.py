"""Failing loudly: every task failure is recorded in the warehouse and notified.

``ops.run_failures`` keeps DAG, run, task, business date, error and time — one row per
failed task and one per failed DAG run (task_id null). The notifier posts JSON to
``KAOHE_NOTIFY_WEBHOOK`` and/or mails ``KAOHE_NOTIFY_EMAIL`` (via ``KAOHE_SMTP_HOST``,
``KAOHE_SMTP_PORT``, ``KAOHE_SMTP_FROM``); with neither configured it only logs.
A failure to record or notify never hides the original failure.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from kaohe.settings import Settings, settings

log = logging.getLogger(__name__)


def _business_date(context) -> str | None:
    from kaohe.pipeline import business_date_of

    try:
        params = dict(context.get("params") or {})
        run = context.get("dag_run")
        explicit = params.get("business_date") or (getattr(run, "conf", None) or {}).get("business_date")
        return business_date_of(context.get("logical_date") or getattr(run, "logical_date", None), explicit).isoformat()
    except Exception:  # noqa: BLE001 - a failure callback: an unreadable date is recorded as none, not raised
        return None


def record_failure(
    dag_id: str,
    run_id: str,
    task_id: str | None,
    business_date: str | None,
    error: str,
    url: str | None = None,
    final: bool = True,
    wait_seconds: float = 60,
) -> None:
    """Record (and, when final, notify) a failure. The warehouse may be the thing that failed —
    restarting, say — so recording waits for it to answer again, up to `wait_seconds`."""
    import time

    import psycopg

    from kaohe.schema import ensure_schema
    from kaohe.warehouse import connect

    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            with connect(url) as conn:
                with conn.transaction():
                    ensure_schema(conn)
                conn.execute(
                    "insert into ops.run_failures (dag_id, run_id, task_id, business_date, error, final)"
                    " values (%s, %s, %s, %s, %s, %s)",
                    (dag_id, run_id, task_id, business_date, error[:4000], final),
                )
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    if final:
        notify(
            {
                "dag_id": dag_id,
                "run_id": run_id,
                "task_id": task_id,
                "business_date": business_date,
                "error": error[:1000],
            }
        )


def notify(event: dict) -> None:
    current = settings()
    hook, mail_to = current.notify_webhook, current.notify_email
    if not hook and not mail_to:
        log.error("kaohe failure (no notifier configured): %s", event)
        return
    if hook:
        request = urllib.request.Request(
            hook, data=json.dumps(event, ensure_ascii=False).encode(), headers={"Content-Type": "application/json"}
        )
        try:
            urllib.request.urlopen(request, timeout=10).close()
        except OSError as exc:
            log.error("kaohe failure notifier could not post to the webhook: %s (event: %s)", exc, event)
    if mail_to:
        _mail(mail_to, event, current)


def _mail(to: str, event: dict, current: Settings) -> None:
    import smtplib
    from email.message import EmailMessage

    message = EmailMessage()
    message["Subject"] = (
        f"[kaohe] {event.get('dag_id')} failed"
        f"{' at ' + event['task_id'] if event.get('task_id') else ''} ({event.get('business_date')})"
    )
    message["From"] = current.smtp_from
    message["To"] = to
    message.set_content(json.dumps(event, ensure_ascii=False, indent=2))
    try:
        with smtplib.SMTP(current.smtp_host, current.smtp_port, timeout=10) as smtp:
            smtp.send_message(message)
    except OSError as exc:
        log.error("kaohe failure notifier could not send mail to %s: %s (event: %s)", to, exc, event)


def record_task_failure(context, final: bool = True) -> None:
    """Airflow task on_failure_callback (final) and on_retry_callback (not final)."""
    ti = context.get("ti") or context.get("task_instance")
    error = context.get("exception")
    try:
        record_failure(
            dag_id=getattr(ti, "dag_id", "?"),
            run_id=getattr(ti, "run_id", "?"),
            task_id=getattr(ti, "task_id", None),
            business_date=_business_date(context),
            error=f"{type(error).__name__}: {error}" if error else "unknown error",
            final=final,
        )
    except Exception:  # never mask the task's own failure
        log.exception("could not record the failure in ops.run_failures")


def record_task_retry(context) -> None:
    """Airflow task on_retry_callback: the attempt failed, Airflow will try again."""
    record_task_failure(context, final=False)


def record_dag_failure(context) -> None:
    """Airflow DAG on_failure_callback: the run as a whole, with the tasks that failed."""
    run = context.get("dag_run")
    try:
        failed = _failed_tasks(getattr(run, "run_id", None))
        reason = context.get("reason") or "the run failed"
        record_failure(
            dag_id=getattr(run, "dag_id", "?"),
            run_id=getattr(run, "run_id", "?"),
            task_id=None,
            business_date=_business_date(context),
            error=f"DAG run failed ({reason}); failed tasks: {', '.join(failed) or 'none recorded'}",
        )
    except Exception:
        log.exception("could not record the DAG failure in ops.run_failures")


def _failed_tasks(run_id: str | None, url: str | None = None) -> list[str]:
    """The tasks of the run whose failures were recorded (the task callbacks run first)."""
    from kaohe.warehouse import connect

    if not run_id:
        return []
    try:
        with connect(url) as conn:
            return [
                t
                for (t,) in conn.execute(
                    "select distinct task_id from ops.run_failures"
                    " where run_id = %s and task_id is not null and final order by 1",
                    (run_id,),
                )
            ]
    except Exception:  # noqa: BLE001 - a failure callback: the warehouse may be what failed
        return []
