"""Waiting for the day's landing folder without holding a worker slot.

The daily run starts at the cut-off; departments that are late still get until
``KAOHE_LANDING_WAIT_SECONDS`` (default 2 h). The wait is deferred to the
triggerer (Airflow's ``FileTrigger``), so no worker sits polling. When the time
is up the sensor is skipped — not failed — and the run goes on with whatever
arrived; who is missing shows in ``marts.submission_completeness`` and the notice.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from airflow.sdk import BaseSensorOperator

from kaohe.settings import settings

READY_MARKER = "_READY"


def landing_wait_seconds() -> int:
    return settings().landing_wait_seconds


def folder_has_files(folder: Path) -> bool:
    return folder.is_dir() and any(p.is_file() for p in folder.iterdir())


class LandingFolderSensor(BaseSensorOperator):
    """Succeeds once ``<landing>/<business date>/`` holds a file (a ``_READY`` marker
    when ``KAOHE_LANDING_READY_MARKER`` is set: the transfer writes it last)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("timeout", landing_wait_seconds())
        kwargs.setdefault("poke_interval", 60)
        kwargs.setdefault("soft_fail", True)  # time-out: skipped, and the run proceeds
        super().__init__(**kwargs)

    def _target(self, context) -> Path:
        from kaohe import pipeline

        params = context["params"]
        business_date = pipeline.business_date_of(context.get("logical_date"), params.get("business_date"))
        folder = pipeline.landing_root(params.get("landing")) / business_date.isoformat()
        return folder / READY_MARKER if settings().landing_ready_marker else folder

    def poke(self, context) -> bool:
        target = self._target(context)
        return target.is_file() if target.name == READY_MARKER else folder_has_files(target)

    def execute(self, context) -> None:
        if self.poke(context):
            return
        target = self._target(context)
        if self.timeout <= 0:
            from airflow.sdk.exceptions import AirflowSkipException

            raise AirflowSkipException(f"{target} has not arrived; not waiting (KAOHE_LANDING_WAIT_SECONDS=0)")
        from airflow.providers.standard.triggers.file import FileTrigger

        self.log.info("waiting up to %ss for %s (deferred to the triggerer)", self.timeout, target)
        self.defer(
            trigger=FileTrigger(filepath=str(target), poke_interval=self.poke_interval),
            method_name="execute_complete",
            timeout=timedelta(seconds=self.timeout),
        )

    def execute_complete(self, context, event=None) -> None:
        self.log.info("landing arrived: %s", self._target(context))
